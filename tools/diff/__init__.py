"""Change review: what a change to a stack will do, offline, before anyone runs `pulumi up`.

    python -m tools.diff BASE HEAD [--format table|json|markdown] [--terraform-report FILE]

BASE and HEAD are each a stack name (`dev`), a stack file, a `plan.json` written by
`tools.plan`, or `REF:path`, a stack file as it stands at a git ref
(`origin/main:stacks/Pulumi.prod.yaml`). Stack files are planned offline with the current
program, on the same mock engine and stack-file reader as `tools.plan`; to review a change to the
program itself, plan the base revision's checkout and pass its `plan.json` as BASE.

Every resource is matched by URN (or by an alias: a rename that carries its alias is the same
resource) and classified:
- `create`, `delete`, `same`;
- `update`: the input paths that changed, old -> new (secrets are `[secret]` on both sides: only
  whether they changed is said);
- `replace`: the input that forces it and why, as the engine and its providers decide
  (`tools.diff.decide`: the Terraform providers' ForceNew attributes, blocks and CustomizeDiff rules
  from `components/catalog/replacements.json`, pulumi-kubernetes' list, the resource's
  `replaceOnChanges`), and the resources replaced because of it (a new file system id changes its
  mount targets, a new cluster its Kubernetes provider and every object on it);
- `refused` beside its action: a change the API server refuses (an immutable field nothing
  replaces): `pulumi up` would fail there, so it is blocked, with the field and the way out.
Paths under a resource's `ignoreChanges` are not changes (the autoscaler owns the sizes).

Then the risk, in words a reviewer acts on: a replaced or deleted `protect`ed or `retainOnDelete`
resource is BLOCKED, with what would happen and the documented procedure, and so is an update the
API server refuses, with the way out; a replaced node group says how many nodes are drained and
whose builds are interrupted; the monthly cost at min, initial and max, before and after; the
policy verdicts that appear or disappear.

A Kubernetes version change the cloud refuses (a downgrade, or a skip of a minor version) is a
mandatory verdict of the change itself (`kubernetes-upgrade-path`).

Exit status: 0 safe to apply; 1 HEAD (or the change) fails a mandatory policy or schema check; 2 either side has
an invalid configuration (or cannot be read); 3 blocked. When several apply: 2, then 3, then 1.

`--format json` writes one document (its schema: `schemaVersion`, `base`/`head` {source, stack,
platform}, `resources` [{urn, type, name, action, counted (what the plan and the pack count: not the
program's components, not provider instances), renamedFrom, changes [{path, old, new, secret,
forcesReplacement}], reasons [{path, reason, source, cascade, where (the rule's upstream file and
line), wayOut}], notes, ignored [changes under ignoreChanges, not applied], refused [reasons: the
changes the API server refuses, each with its wayOut], blocked}], `summary` {create, update,
replace, delete, same}, `blocked` [{urn, type, name, action, why, procedure}], `risks`, `cost`
{base, head, delta: {atMin, initial, atMax}}, `verdicts` {appeared, resolved, headMandatory},
`exitCode`). `--format markdown` writes a merge-request comment.
`--terraform-report FILE` writes GitLab's Terraform report (`{"create": N, "update": N,
"delete": N}`, a replacement counting as one delete and one create) for the merge-request widget.

The pieces, each a module of this package: `sides` (a side read from a plan.json or planned from
a stack file), `compare` (inputs flattened, resources matched, what changed), `decide` (what forces
a replacement, or is refused), `structure` (a structured value's change, part by part), `risk`
(what is blocked, with its blast radius, and what each replacement or deletion interrupts),
`verdict` (the upgrade path, the cost and policy deltas, the `Review` and its exit code), `render`
(table, Markdown, JSON, the Terraform report) and `command` (the command line).
"""

from tools.diff.command import main
from tools.diff.compare import Change, Item, Reason, classify, compare, flatten, show
from tools.diff.render import render, render_markdown, render_table, write_terraform_report
from tools.diff.risk import Blocked, blocked, risks
from tools.diff.sides import Resource, Side, SideError, load_side, load_sides
from tools.diff.verdict import (
    EXIT_BLOCKED,
    EXIT_CONFIG,
    EXIT_POLICY,
    EXIT_SAFE,
    SCHEMA_VERSION,
    Review,
    cost_delta,
    review,
    upgrade_path,
    verdict_delta,
)

__all__ = [
    "EXIT_BLOCKED",
    "EXIT_CONFIG",
    "EXIT_POLICY",
    "EXIT_SAFE",
    "SCHEMA_VERSION",
    "Blocked",
    "Change",
    "Item",
    "Reason",
    "Resource",
    "Review",
    "Side",
    "SideError",
    "blocked",
    "classify",
    "compare",
    "cost_delta",
    "flatten",
    "load_side",
    "load_sides",
    "main",
    "render",
    "render_markdown",
    "render_table",
    "review",
    "risks",
    "show",
    "upgrade_path",
    "verdict_delta",
    "write_terraform_report",
]
