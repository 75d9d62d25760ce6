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
- `replace`: the input that forces it and why, from the table in `tools/replacerules.py`, and the
  resources replaced because of it (a new file system id changes its mount targets, a new
  provider region every resource of that provider).
Paths under a resource's `ignoreChanges` are not changes (the autoscaler owns the sizes).

Then the risk, in words a reviewer acts on: a replaced or deleted `protect`ed or `retainOnDelete`
resource is BLOCKED, with what would happen and the documented procedure; a replaced node group
says how many nodes are drained and whose builds are interrupted; the monthly cost at min,
initial and max, before and after; the policy verdicts that appear or disappear.

A Kubernetes version change the cloud refuses (a downgrade, or a skip of a minor version) is a
mandatory verdict of the change itself (`kubernetes-upgrade-path`).

Exit status: 0 safe to apply; 1 HEAD (or the change) fails a mandatory policy or schema check; 2 either side has
an invalid configuration (or cannot be read); 3 blocked. When several apply: 2, then 3, then 1.

`--format json` writes one document (its schema: `schemaVersion`, `base`/`head` {source, stack,
platform}, `resources` [{urn, type, name, action, counted (what the plan and the pack count: not the program's
components, not provider instances), renamedFrom, changes [{path, old, new, secret,
forcesReplacement}], reasons [{path, reason, source, cascade}], notes, ignored [changes under ignoreChanges,
not applied], blocked}], `summary`
{create, update, replace, delete, same}, `blocked` [{urn, type, name, action, why, procedure}],
`risks`, `cost` {base, head, delta: {atMin, initial, atMax}}, `verdicts` {appeared, resolved,
headMandatory}, `exitCode`). `--format markdown` writes a merge-request comment.
`--terraform-report FILE` writes GitLab's Terraform report (`{"create": N, "update": N,
"delete": N}`, a replacement counting as one delete and one create) for the merge-request widget.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from tools import cli, plan, replacerules, stackfile
from tools.mockengine import Registered, Secret, contains_secret, counted, redact

EXIT_SAFE, EXIT_POLICY, EXIT_CONFIG, EXIT_BLOCKED = 0, 1, 2, 3
SCHEMA_VERSION = 1
ACTIONS = ("replace", "delete", "create", "update", "same")
ABSENT = object()  # a path one side does not have
NOT_COMPARABLE = object()  # a secret read from a plan.json: its value is not there
POOL_TAG = "multiarch.dev/pool"

# What to do before a protected resource may go, by type: the README's documented procedure.
PROCEDURES: dict[str, list[str]] = {
    "aws:efs/fileSystem:FileSystem": [
        "Only if the data on it may go (README, 'Shared RWX storage'):",
        "pulumi state unprotect '{urn}'",
        "pulumi up --stack {stack}   # creates the new file system; the old one is retained in AWS",
        "aws efs describe-mount-targets --file-system-id <old fs-id>   # delete them, then:",
        "aws efs delete-file-system --file-system-id <old fs-id>",
    ],
}
GENERIC_PROCEDURE = [
    "Only if this is deliberate:",
    "pulumi state unprotect '{urn}'",
    "pulumi up --stack {stack}   # a retainOnDelete resource stays in the cloud: delete it there by hand",
]


@dataclass
class Resource:
    """One resource of a side, from a fresh plan or a plan.json."""

    urn: str
    type: str
    name: str
    custom: bool
    provider: str
    inputs: dict[str, Any]
    outputs: dict[str, Any] | None  # None: not recorded (a plan.json from before components' outputs were)
    protect: bool
    retain_on_delete: bool
    ignore_changes: list[str]
    aliases: list[str]
    id: str = ""
    parent: str = ""
    dependencies: list[str] = field(default_factory=list)
    transforms: int = 0  # resource transforms attached: what they write is in the parent component's outputs

    @property
    def counted(self) -> bool:
        return counted(self.type, self.custom)

    @classmethod
    def of(cls, r: Registered) -> Resource:
        return cls(
            r.urn, r.type, r.name, r.custom, r.provider, r.inputs, r.outputs, r.protect,
            r.retain_on_delete, r.ignore_changes, r.aliases, r.id, r.parent, list(r.dependencies), r.transforms,
        )  # fmt: skip

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Resource:
        opts = doc.get("options", {})
        custom = doc.get("custom", True)
        # A component's outputs are recorded since plan.json had them; an older plan.json did not.
        outputs = _secrets_from_json(doc.get("outputs", {})) if "outputs" in doc or custom else None
        return cls(
            doc["urn"], doc["type"], doc["name"], custom, doc.get("provider", ""),
            _secrets_from_json(doc.get("inputs", {})), outputs,
            bool(opts.get("protect")), bool(opts.get("retainOnDelete")), list(opts.get("ignoreChanges", [])),
            list(opts.get("aliases", [])), doc.get("id", ""), doc.get("parent", ""),
            list(doc.get("dependencies", [])), int(doc.get("transforms", 0)),
        )  # fmt: skip


def _secrets_from_json(value: Any) -> Any:
    if value == "[secret]":
        return Secret(NOT_COMPARABLE)
    if isinstance(value, dict):
        return {k: _secrets_from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_secrets_from_json(v) for v in value]
    return value


@dataclass
class Side:
    source: str
    stack: str
    platform: str
    resources: dict[str, Resource]
    cost: dict[str, Any]
    verdicts: list[dict[str, str]]


class SideError(Exception):
    def __init__(self, source: str, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.source = source
        self.lines = lines


def _git_stack_file(ref: str, path: str, tmp: Path) -> stackfile.StackFile:
    proc = subprocess.run(
        ["git", "show", f"{ref}:{path}"], cwd=stackfile.ROOT, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise SideError(f"{ref}:{path}", [f"error: {ref}:{path}: {proc.stderr.strip() or 'not found'}"])
    target = tmp / ref.replace("/", "_") / Path(path).name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(proc.stdout)
    return stackfile.load(str(target))


def _restack(resource: Resource, old: str, new: str) -> Resource:
    """The resource as stack `new` declares it (URNs carry the stack's name)."""

    def urn(u: str) -> str:
        return u.replace(f"urn:pulumi:{old}::", f"urn:pulumi:{new}::", 1)

    return dataclasses.replace(
        resource,
        urn=urn(resource.urn),
        provider=urn(resource.provider),
        aliases=[urn(a) for a in resource.aliases],
        parent=urn(resource.parent),
        dependencies=[urn(d) for d in resource.dependencies],
    )


def load_side(source: str, tmp: Path, stack: str | None = None) -> Side:
    """Plan one side: a plan.json is read, anything else is planned offline now, as stack `stack`
    (default: the stack file's own name) so that both sides' URNs name the same stack."""
    path = Path(source)
    if path.suffix == ".json" and path.is_file():
        try:
            doc = json.loads(path.read_text())
            name = str(doc["stack"])
            resources = [Resource.from_json(r) for r in doc["resources"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise SideError(source, [f"error: {source}: not a plan.json written by tools.plan ({exc})"]) from None
        if stack and stack != name:
            resources = [_restack(r, name, stack) for r in resources]
        return Side(
            source,
            stack or name,
            doc.get("platform", ""),
            {r.urn: r for r in resources},
            doc.get("cost", {}),
            doc.get("verdicts", []),
        )
    try:
        if ":" in source and not path.exists():
            git_ref, _, git_path = source.partition(":")
            loaded = _git_stack_file(git_ref, git_path, tmp)
        else:
            loaded = stackfile.load(source)
    except stackfile.StackFileError as exc:
        raise SideError(source, [f"error: {exc}"]) from None
    if stack:
        loaded = dataclasses.replace(loaded, name=stack)
    try:
        planned = plan.make(loaded)
    except plan.PlanError as exc:
        raise SideError(source, exc.lines) from None
    return Side(
        source,
        planned.stack.name,
        planned.settings.platform,
        {r.urn: Resource.of(r) for r in planned.recording.resources},
        planned.cost,
        [v.__dict__ for v in planned.verdicts],
    )


# --- comparing inputs ---------------------------------------------------------------------


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Leaf paths of an input value: mappings descend with `.`, lists of named items with `[name]`."""
    if isinstance(value, dict):
        if not value:
            return {prefix: {}} if prefix else {}
        out: dict[str, Any] = {}
        for key in sorted(value):
            out.update(flatten(value[key], f"{prefix}.{key}" if prefix else key))
        return out
    if (
        isinstance(value, list)
        and value
        and all(isinstance(v, dict) and isinstance(v.get("name"), str) for v in value)
        and len({v["name"] for v in value}) == len(value)
    ):
        out = {}
        for item in value:
            out.update(flatten({k: v for k, v in item.items() if k != "name"}, f"{prefix}[{item['name']}]"))
        return out
    return {prefix: value}


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, Secret) and isinstance(new, Secret):
        if old.value is NOT_COMPARABLE or new.value is NOT_COMPARABLE:
            return True  # a plan.json does not hold secret values: nothing to compare
        return bool(old.value == new.value)
    return bool(old == new)


def show(value: Any, width: int = 70) -> str:
    """A value as a reviewer reads it; secrets never shown."""
    if value is ABSENT:
        return "(none)"
    if contains_secret(value):
        return "[secret]"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    text = text.replace("\n", "\\n")
    return text if len(text) <= width else text[: width - 1] + "…"


def _from_difference(line: str, other: str, context: int = 12) -> str:
    """`line` from a little before where it starts to differ from `other`."""
    same = next((i for i, (a, b) in enumerate(zip(line, other, strict=False)) if a != b), min(len(line), len(other)))
    start = max(0, same - context)
    return show(("…" if start else "") + line[start:], 60)


@dataclass
class Change:
    path: str
    old: Any
    new: Any
    forces_replacement: bool = False

    @property
    def secret(self) -> bool:
        return contains_secret(self.old) or contains_secret(self.new)

    def doc(self) -> dict[str, Any]:
        if self.secret:
            return {
                "path": self.path,
                "old": "[secret]",
                "new": "[secret]",
                "secret": True,
                "forcesReplacement": self.forces_replacement,
            }
        return {
            "path": self.path,
            "old": None if self.old is ABSENT else self.old,
            "new": None if self.new is ABSENT else self.new,
            "secret": False,
            "forcesReplacement": self.forces_replacement,
        }

    def text(self) -> str:
        if self.secret:
            return f"{self.path}: [secret] changed"
        if isinstance(self.old, str) and isinstance(self.new, str) and "\n" in self.old + self.new:
            # A script or a file: the lines that changed, not two truncated copies.
            old, new = self.old.splitlines(), self.new.splitlines()
            changed = [
                f"line {i + 1}: {_from_difference(a, b)} → {_from_difference(b, a)}"
                for i, (a, b) in enumerate(zip(old, new, strict=False))
                if a != b
            ]
            if len(old) != len(new):
                changed.append(f"{len(old)} → {len(new)} lines")
            return f"{self.path}: " + "; ".join(changed)
        return f"{self.path}: {show(self.old)} → {show(self.new)}"


@dataclass
class Reason:
    path: str
    reason: str
    source: str
    cascade: str = ""  # the resource whose replacement causes this one

    def text(self) -> str:
        return f"{self.path}: {self.reason} [{self.source}]"


@dataclass
class Item:
    action: str
    base: Resource | None
    head: Resource | None
    changes: list[Change] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    ignored: list[Change] = field(default_factory=list)  # changes under ignoreChanges: not applied
    blocked: bool = False

    @property
    def resource(self) -> Resource:
        r = self.head or self.base
        assert r is not None
        return r

    @property
    def renamed_from(self) -> str | None:
        if self.base and self.head and self.base.urn != self.head.urn:
            return self.base.urn
        return None

    @property
    def counted(self) -> bool:
        """Counted in the summary: what the plan and the pack count (`mockengine.counted`)."""
        return self.resource.counted

    @property
    def shown_action(self) -> str:
        """The program's components are context (what they say of their resources), never changes."""
        if self.resource.custom or self.counted or self.action == "same":
            return self.action
        return "context"


def _option_changes(base: Resource, head: Resource) -> list[Change]:
    pairs = (("protect", base.protect, head.protect), ("retainOnDelete", base.retain_on_delete, head.retain_on_delete))
    return [Change(f"options.{name}", old, new) for name, old, new in pairs if old != new]


def compare(base: Resource, head: Resource) -> Item:
    old, new = flatten(base.inputs), flatten(head.inputs)
    if not head.custom and base.outputs is not None and head.outputs is not None:
        # A component: what it registered as its outputs is what it declares (when both sides say).
        old.update(flatten(base.outputs, "outputs"))
        new.update(flatten(head.outputs, "outputs"))
    changes, ignored = [], []
    for path in sorted(set(old) | set(new)):
        o, n = old.get(path, ABSENT), new.get(path, ABSENT)
        if _same(o, n):
            continue
        if any(replacerules.covers(pattern, path) for pattern in head.ignore_changes):
            ignored.append(Change(path, o, n))
        else:
            changes.append(Change(path, o, n))
    item = Item("same", base, head, changes + _option_changes(base, head), ignored=ignored)
    for c in changes:
        rule = replacerules.replacing(head.type, c.path)
        if rule is not None:
            c.forces_replacement = True
            item.reasons.append(Reason(c.path, rule.reason, rule.source))
        elif (n := replacerules.note(head.type, c.path)) is not None and n.note not in item.notes:
            item.notes.append(n.note)
    if item.reasons:
        item.action = "replace"
    elif item.changes:
        item.action = "update"
    return item


def classify(base: Side, head: Side) -> list[Item]:
    """Every resource of both sides, matched by URN or alias, with its action."""
    matched: dict[str, str] = {urn: urn for urn in head.resources if urn in base.resources}
    for urn, r in head.resources.items():
        if urn not in matched:
            alias = next((a for a in r.aliases if a in base.resources and a not in head.resources), None)
            if alias is not None:
                matched[urn] = alias
    items = [
        compare(base.resources[matched[urn]], r) if urn in matched else Item("create", None, r)
        for urn, r in head.resources.items()
    ]
    kept = set(matched.values())
    items += [Item("delete", r, None) for urn, r in base.resources.items() if urn not in kept]
    _cascade(items)
    _component_context(items)
    order = {a: i for i, a in enumerate(ACTIONS)}
    return sorted(items, key=lambda i: (order[i.action], i.resource.type, i.resource.name))


def _component_context(items: list[Item]) -> None:
    """A component's output changes describe what its transforms write into the resources they are
    attached to (a provider renders them, the plan cannot see inside): each such resource is
    updated, with the change as its context. The component itself is never a changed resource."""
    by_parent: dict[str, list[Item]] = {}
    for i in items:
        if i.head is not None:
            by_parent.setdefault(i.head.parent, []).append(i)
    for component in items:
        r = component.head
        if r is None or r.custom or component.action != "update":
            continue
        outputs = [c for c in component.changes if c.path.startswith("outputs.")]
        for child in by_parent.get(r.urn, []):
            if child.head is None or not child.head.transforms or child.action not in ("same", "update"):
                continue
            for key in dict.fromkeys(c.path.split(".")[1].split("[")[0] for c in outputs):
                appears, goes = replacerules.OUTPUT_CONTEXT.get(
                    key, (f"what its transforms write changes ({key})",) * 2
                )
                gone = all(c.new is ABSENT for c in outputs if c.path.startswith(f"outputs.{key}"))
                text = f"{goes if gone else appears} ({r.type} {r.name}, outputs.{key})"
                if text not in child.notes:
                    child.notes.append(text)
            if outputs:
                child.action = "update"


def _cascade(items: list[Item]) -> None:
    """Replacements that replacements cause: a new provider, or a new id where an input held the old."""
    done: set[str] = set()
    flat = {id(i): flatten(i.base.inputs) for i in items if i.base is not None}  # once, not once per cause
    while True:
        replaced = [i for i in items if i.action == "replace" and i.resource.urn not in done]
        if not replaced:
            return
        for cause in replaced:
            done.add(cause.resource.urn)
            old_id = cause.base.id if cause.base else ""
            label = f"{cause.resource.type} {cause.resource.name}"
            cluster = replacerules.resource_class(cause.resource.type) == replacerules.CLUSTER
            for item in items:
                if item.action not in ("same", "update") or item.base is None or item.head is None:
                    continue
                if (
                    cluster
                    and item.head.type.startswith("pulumi:providers:")
                    and cause.resource.urn in (item.head.dependencies)
                ):
                    item.reasons.append(
                        Reason(
                            "kubeconfig",
                            "the cluster behind it is replaced: a new endpoint and certificate, so the provider is "
                            "replaced and every object it manages is created anew on the new cluster",
                            "PULUMI-K8S",
                            label,
                        )
                    )
                    item.action = "replace"
                    continue
                if cause.resource.type.startswith("pulumi:providers:") and item.head.provider.startswith(
                    cause.resource.urn + "::"
                ):
                    item.reasons.append(
                        Reason("provider", f"its provider {cause.resource.name} is replaced", "PROVIDER", label)
                    )
                    item.action = "replace"
                    continue
                if not old_id or old_id.endswith("-id"):  # the mock engine's generic ids carry no meaning
                    continue
                for path, value in flat[id(item)].items():
                    if not (isinstance(value, str) and old_id in value):
                        continue
                    rule = replacerules.replacing(item.head.type, path)
                    if rule is not None:
                        item.reasons.append(
                            Reason(
                                path, f"{label} is replaced: its new id changes this; {rule.reason}", rule.source, label
                            )
                        )
                        item.action = "replace"
                    else:
                        item.notes.append(f"{path} takes the new id of {label}")
                        item.action = "update" if item.action == "same" else item.action


# --- risk -----------------------------------------------------------------------------------


@dataclass
class Blocked:
    item: Item
    why: str
    procedure: list[str]

    def doc(self) -> dict[str, Any]:
        r = self.item.resource
        return {
            "urn": r.urn,
            "type": r.type,
            "name": r.name,
            "action": self.item.action,
            "why": self.why,
            "procedure": self.procedure,
        }


CLUSTER_PROCEDURE = [
    "Only if a new cluster is what you want (README, 'Reviewing a change'):",
    "pulumi stack init {stack}-next   # the changed configuration, as a stack of its own",
    "pulumi up --stack {stack}-next   # the new cluster, beside the old one",
    "move the builds: register the runner on the new stack, let the old cluster's running builds finish",
    "pulumi destroy --stack {stack}   # then the old one (a protected file system: adopt it by fileSystemId first)",
]
# What only the cluster holds: not declared by the stack, so not in any plan.
CLUSTER_STATE = (
    "what only the cluster holds is lost: running builds and their pods, PipelineRun and TaskRun history and "
    "logs, PersistentVolumeClaims and their bindings (the data on the file system stays, out of reach of the "
    "new cluster's claims until they bind it again)"
)


def _kind_names(items: Iterable[Item]) -> str:
    """`Namespace builds, gitlab-runner; Task build, manifest` for reviewers."""
    by_kind: dict[str, list[str]] = {}
    for i in items:
        r = i.base or i.resource  # what goes: the old side's names
        inputs = redact(r.inputs)
        md = inputs.get("metadata") or {}
        kind = str(inputs.get("kind") or r.type.rsplit(":", 1)[-1])
        name = md.get("name") or inputs.get("name") or r.name
        ns = md.get("namespace") or (inputs.get("namespace") if r.type.startswith("kubernetes:helm.sh/") else None)
        by_kind.setdefault(kind, []).append(f"{ns}/{name}" if ns else str(name))
    return "; ".join(f"{kind} {', '.join(sorted(names))}" for kind, names in sorted(by_kind.items()))


K8S_PROVIDER = "pulumi:providers:kubernetes"


def _urns(i: Item) -> set[str]:
    return {r.urn for r in (i.base, i.head) if r is not None}


def _depends(i: Item) -> set[str]:
    return {d for r in (i.base, i.head) if r is not None for d in r.dependencies}


def _providers_of(cluster: Item, items: Sequence[Item]) -> list[Item]:
    """The Kubernetes providers that reach a cluster (built from its outputs), replaced or deleted."""
    if cluster.resource.type == K8S_PROVIDER:
        return [cluster]
    return [
        i
        for i in items
        if i.resource.type == K8S_PROVIDER and i.action in ("replace", "delete") and _depends(i) & _urns(cluster)
    ]


def _cluster_blast(item: Item, items: Sequence[Item]) -> tuple[str, list[Item]]:
    """What a cluster's replacement (or deletion) takes along, in words, and those items: every
    in-cluster object, recreated or deleted, the capacity replaced with it, and what only the
    cluster holds."""
    providers = {p.resource.urn for p in _providers_of(item, items)}
    on = [
        i
        for i in items
        if i.resource.counted
        and i.action in ("replace", "delete")
        and any(i.resource.provider.startswith(p + "::") for p in providers)
    ]
    capacity = [
        i
        for i in items
        if i.action in ("replace", "delete")
        and replacerules.resource_class(i.resource.type) == replacerules.CAPACITY
        and i not in on
    ]
    recreated = [i for i in on if i.action == "replace"]
    deleted = [i for i in on if i.action == "delete"]
    parts = []
    if recreated:
        parts.append(f"{len(recreated)} objects on it are created anew on the new cluster: {_kind_names(recreated)}")
    if deleted:
        parts.append(f"{len(deleted)} objects on it are deleted: {_kind_names(deleted)}")
    if capacity:
        parts.append(f"its capacity is replaced with it: {_kind_names(capacity)}")
    parts.append(CLUSTER_STATE)
    return "; ".join(parts), [*on, *capacity, *_providers_of(item, items)]


def blocked(items: Sequence[Item], stack: str) -> list[Blocked]:
    """What `pulumi up` must not do unattended: replacing or deleting a cluster (with its blast radius)
    or a protected or retained resource (stateful: a file system)."""
    out = []
    clusters = [
        i
        for i in items
        if i.action in ("replace", "delete") and replacerules.resource_class(i.resource.type) == replacerules.CLUSTER
    ]
    # A cluster resource speaks for the providers that reach it; a provider alone (an adopted
    # cluster's kubeconfig now naming another cluster) speaks for itself.
    attached = {p.resource.urn for c in clusters if c.resource.type != K8S_PROVIDER for p in _providers_of(c, items)}
    for item in clusters:
        if item.resource.urn in attached:
            continue
        r = item.resource
        what = f"{item.action} of {r.type} {r.name}, a Kubernetes cluster"
        successor = next(
            (i for i in items if i.action == "create" and i.resource.type == r.type and r.type != K8S_PROVIDER),
            None,
        )
        if item.action == "delete" and successor is not None:
            what += f" (a new cluster, {successor.resource.name}, is created in its place)"
        if item.reasons:
            what += " (because " + "; ".join(x.text() for x in item.reasons) + ")"
        blast, taken = _cluster_blast(item, items)
        what += ": " + blast
        for i in (item, *taken):
            i.blocked = True  # part of this blocked cluster replacement: its entry names them
        out.append(Blocked(item, what, [s.format(urn=r.urn, stack=stack) for s in CLUSTER_PROCEDURE]))
    for item in items:
        b = item.base
        if item.action not in ("replace", "delete") or b is None or not (b.protect or b.retain_on_delete):
            continue
        item.blocked = True
        guards = " and ".join(
            g for g, on in (("protected", b.protect), ("retained on delete", b.retain_on_delete)) if on
        )
        what = (
            f"{item.action} of {b.type} {b.name}, which is {guards}. `pulumi up` stops at it"
            + (" (protect)" if b.protect else "")
            + "; forced, it "
            + ("creates a new, empty one and " if item.action == "replace" else "")
            + (
                "leaves the old one in the cloud, outside the stack"
                if b.retain_on_delete
                else "deletes it and its data"
            )
        )
        if b.type == "aws:efs/fileSystem:FileSystem":
            what += ": every build's workspace and cache stay behind on the old file system"
        if item.reasons:
            what += " (because " + "; ".join(r.text() for r in item.reasons) + ")"
        steps = PROCEDURES.get(b.type, GENERIC_PROCEDURE)
        out.append(Blocked(item, what, [s.format(urn=b.urn, stack=stack) for s in steps]))
    return out


def _pool_of(r: Resource) -> tuple[str, int]:
    i = redact(r.inputs)
    if r.type == replacerules.EKS_NODE_GROUP:
        return str((i.get("tags") or {}).get(POOL_TAG, r.name)), int((i.get("scalingConfig") or {}).get("maxSize") or 0)
    if r.type == replacerules.GKE_NODE_POOL:
        labels = (i.get("nodeConfig") or {}).get("labels") or {}
        return str(labels.get(POOL_TAG, r.name)), int((i.get("autoscaling") or {}).get("totalMaxNodeCount") or 0)
    if r.type == replacerules.KARPENTER_NODE_POOL:
        spec = i.get("spec") or {}
        labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
        nodes = str((spec.get("limits") or {}).get("nodes") or "")
        return str(labels.get(POOL_TAG, r.name)), int(nodes) if nodes.isdigit() else 0
    if r.type == replacerules.COMPUTE_CLASS:  # GKE creates its nodes; it knows no count
        return str(((i.get("metadata") or {}).get("labels") or {}).get(POOL_TAG, r.name)), 0
    labels = ((i.get("spec") or {}).get("template", {}).get("metadata", {}).get("labels")) or {}
    return str(labels.get(POOL_TAG, r.name)), int((i.get("spec") or {}).get("replicas") or 0)


NODE_TYPES = (replacerules.EKS_NODE_GROUP, replacerules.GKE_NODE_POOL, replacerules.MACHINE_SET)
RUN_TEMPLATE = "multiarch-pipelinerun"  # components/names.py PIPELINE_RUN_TEMPLATE


def _name(r: Resource) -> str:
    i = redact(r.inputs)
    return str((i.get("metadata") or {}).get("name") or i.get("name") or r.name)


def _namespace_contents(ns: str, items: Sequence[Item]) -> list[Item]:
    return [
        i
        for i in items
        if i.base is not None
        and i.resource.type != "kubernetes:core/v1:Namespace"
        and (
            (redact(i.base.inputs).get("metadata") or {}).get("namespace") == ns
            or (i.base.type == "kubernetes:helm.sh/v3:Release" and redact(i.base.inputs).get("namespace") == ns)
        )
    ]


def _storage_class_risk(item: Item, items: Sequence[Item]) -> str:
    old = _name(item.base) if item.base else _name(item.resource)
    new = _name(item.head) if item.head else None
    templates = [
        i
        for i in items
        if i.base is not None
        and i.resource.type == "kubernetes:core/v1:ConfigMap"
        and _name(i.base) == RUN_TEMPLATE
        and f"storageClassName: {old}" in json.dumps(redact(i.base.inputs))
    ]
    runs = ""
    if templates:
        t = templates[0]
        now = "now names " + new if new and new != old else "is deleted" if t.action == "delete" else "still names it"
        runs = (
            f" PipelineRuns that name StorageClass {old} (those started from the run template ConfigMap "
            f"{_name(t.base) if t.base else ''}, which {now}) fail to bind their workspaces once it is gone: start "
            "runs from the new template."
        )
    if item.action == "delete" or (new is not None and new != old):
        how = f"replaced by {new}" if item.action == "replace" and new else "deleted"
        return (
            f"{item.action} of StorageClass {old}: {how}. Claims that name {old} stay Pending once it is gone; "
            f"volumes already bound keep working.{runs}"
        )
    return (
        f"replace of StorageClass {old}: deleted, then created under the same name: claims made in between stay "
        f"Pending until it is back; volumes already bound keep working.{runs}"
    )


def _runner_risk(item: Item) -> str | None:
    r = item.base or item.resource
    i = redact(r.inputs)
    if r.type != "kubernetes:helm.sh/v3:Release" or i.get("chart") != "gitlab-runner":
        return None
    values = i.get("values") or {}
    concurrent = values.get("concurrent", "?")
    how = "removed" if item.action == "delete" else "reinstalled"
    return (
        f"{item.action} of the GitLab runner {i.get('namespace')}/{i.get('name')}: it is {how}, and the jobs it is "
        f"running (up to {concurrent} at once) are killed with their build pods; its pending jobs wait for a runner "
        "with the same tags [GITLAB]"
    )


def _tekton_risk(item: Item) -> str | None:
    r = item.base or item.resource
    if r.type != "kubernetes:yaml/v2:ConfigFile" or "tektoncd/pipeline" not in str(redact(r.inputs).get("file", "")):
        return None
    if item.action == "delete":
        return (
            "delete of the Tekton release: its CRDs go with it, and with them every Pipeline, Task, PipelineRun and "
            "TaskRun of the cluster (history included); running PipelineRuns fail [K8S-CRD]"
        )
    return "replace of the Tekton release: running PipelineRuns fail while its controllers are recreated [PULUMI-K8S]"


def risks(items: Sequence[Item]) -> list[str]:
    """One line per replaced or deleted resource that interrupts work, by what the resource is
    (`replacerules.CLASSES`); a cluster's and a stateful resource's are blocked instead."""
    out = []
    for item in items:
        r, b = item.resource, item.base
        if item.action not in ("replace", "delete") or b is None or item.blocked:
            continue
        kind = replacerules.resource_class(r.type)
        if r.type == replacerules.COMPUTE_CLASS:
            pool, _ = _pool_of(b)
            out.append(
                f"{item.action} of ComputeClass {_name(b)}: builds of pool {pool} select it (cloud.google.com/"
                f"compute-class={_name(b)}); {'while it is gone they' if item.action == 'replace' else 'they'} "
                "cannot be scheduled, and the nodes GKE created for it are removed once empty"
            )
        elif kind == replacerules.CAPACITY and r.type in (*NODE_TYPES, replacerules.KARPENTER_NODE_POOL):
            pool, most = _pool_of(b)
            named = redact(b.inputs).get("nodeGroupName") or redact(b.inputs).get("name")
            fixed = (
                f" Its name ({named}) is fixed, so the provider deletes the old one before it creates the new one:"
                " the pool has no nodes in between."
                if item.action == "replace"
                and named
                and r.type in (replacerules.EKS_NODE_GROUP, replacerules.GKE_NODE_POOL)
                else ""
            )
            up_to = f"up to {most} node(s)" if most else "the nodes"
            out.append(
                f"{item.action} of {r.type} {r.name}: {up_to} of pool {pool} are drained, "
                f"and builds running on pool {pool} are interrupted.{fixed}"
            )
        elif kind == replacerules.NAMESPACE:
            ns = _name(b)
            inside = _namespace_contents(ns, items)
            listed = f": {_kind_names(inside)}," if inside else ""
            out.append(
                f"{item.action} of Namespace {ns}: deleting a namespace deletes everything in it{listed} and what the "
                "stack does not declare there (running build pods, PipelineRuns and TaskRuns, their logs) [K8S-NS]"
            )
        elif r.type == "kubernetes:storage.k8s.io/v1:StorageClass":
            out.append(_storage_class_risk(item, items))
        elif (line := _runner_risk(item) or _tekton_risk(item)) is not None:
            out.append(line)
    return out


# Kubernetes versions a cloud upgrades in place, one minor at a time and never down (EKS:
# UpdateClusterVersion; GKE: master upgrades). A plan cannot see this; the cloud refuses it halfway.
VERSIONED = {
    "aws:eks/cluster:Cluster": ("version", "EKS"),
    "aws:eks/nodeGroup:NodeGroup": ("version", "EKS"),
    "gcp:container/cluster:Cluster": ("minMasterVersion", "GKE"),
}
UPGRADE_POLICY = "kubernetes-upgrade-path"


def _minor(version: Any) -> tuple[int, int] | None:
    m = re.match(r"^v?(\d+)\.(\d+)", version) if isinstance(version, str) else None
    return (int(m[1]), int(m[2])) if m else None


def upgrade_path(items: Iterable[Item]) -> list[dict[str, str]]:
    """Version changes the cloud refuses, as mandatory verdicts of the change (not of either side)."""
    found = []
    for item in items:
        if item.base is None or item.head is None or item.resource.type not in VERSIONED:
            continue
        key, cloud = VERSIONED[item.resource.type]
        old, new = _minor(item.base.inputs.get(key)), _minor(item.head.inputs.get(key))
        if old is None or new is None or old == new:
            continue
        shown = f"{key} {item.base.inputs[key]} → {item.head.inputs[key]}"
        if new < old:
            why = f"{shown}: {cloud} cannot downgrade Kubernetes; the update would fail after the earlier steps applied"
        elif new[0] != old[0] or new[1] > old[1] + 1:
            steps = " → ".join(f"{old[0]}.{m}" for m in range(old[1], new[1] + 1))
            why = f"{shown}: {cloud} upgrades one minor version at a time; apply {steps} as separate changes"
        else:
            continue
        found.append({"level": "mandatory", "policy": UPGRADE_POLICY, "resource": item.resource.name, "message": why})
    return found


COST_KEYS = ("atMin", "initial", "atMax")


def cost_delta(base: Side, head: Side) -> dict[str, Any]:
    """Both sides' totals and the change; a side whose plan could not price every pool has totals
    that are only lower bounds (`complete: false`), and then the change is unknown (None), never a
    difference of lower bounds."""

    def totals(side: Side) -> dict[str, float]:
        t = side.cost.get("totalMonthlyUsd") or {}
        return {k: float(t.get(k) or 0.0) for k in COST_KEYS}

    b, h = totals(base), totals(head)
    complete = {"base": base.cost.get("complete", True), "head": head.cost.get("complete", True)}

    def column(side: Side, key: str) -> bool:
        return bool((side.cost.get("completeByColumn") or {}).get(key, side.cost.get("complete", True)))

    missing = [
        f"no price for {', '.join(side.cost.get('unpriced', []))} in {side.cost.get('region')} ({label})"
        for label, side in (("BASE", base), ("HEAD", head))
        if not side.cost.get("complete", True)
    ]
    return {
        "base": b,
        "head": h,
        "complete": complete,
        "completeByColumn": {
            label: {k: column(side, k) for k in COST_KEYS} for label, side in (("base", base), ("head", head))
        },
        "incomplete": "; ".join(missing),  # "" when both sides are priced
        "delta": {k: round(h[k] - b[k], 2) if column(base, k) and column(head, k) else None for k in COST_KEYS},
    }


def _cost_cell(amount: float | None, complete: bool = True, signed: bool = False) -> str:
    if amount is None:
        return "unknown"
    return _usd(amount, signed=signed) if complete else f">= {_usd(amount)}"


def _verdict_key(v: dict[str, str]) -> tuple[str, str, str, str]:
    return (v.get("level", ""), v.get("policy", ""), v.get("resource", ""), v.get("message", ""))


def verdict_delta(base: Side, head: Side, change: Sequence[dict[str, str]] = ()) -> dict[str, Any]:
    """Verdicts that appear or disappear, with the change's own (`change`: the upgrade path)."""
    b = {_verdict_key(v): v for v in base.verdicts}
    h = {_verdict_key(v): v for v in [*head.verdicts, *change]}
    return {
        "appeared": [h[k] for k in sorted(set(h) - set(b))],
        "resolved": [b[k] for k in sorted(set(b) - set(h))],
        "headMandatory": sum(1 for v in h.values() if v.get("level") in ("mandatory", "remediate")),
    }


# --- the review -----------------------------------------------------------------------------


@dataclass
class Review:
    base: Side
    head: Side
    items: list[Item]
    blocked: list[Blocked]
    risks: list[str]
    cost: dict[str, Any]
    verdicts: dict[str, Any]

    @property
    def summary(self) -> dict[str, int]:
        counts = dict.fromkeys(("create", "update", "replace", "delete", "same"), 0)
        for i in self.items:
            if i.counted:
                counts[i.action] += 1
        return counts

    @property
    def exit_code(self) -> int:
        if self.blocked:
            return EXIT_BLOCKED
        return EXIT_POLICY if self.verdicts["headMandatory"] else EXIT_SAFE

    def terraform_report(self) -> dict[str, Any]:
        """GitLab's Terraform report (create, update, delete of what the plan counts), and whether the
        cost change is known (GitLab reads the three counts; the rest is for whoever reads the file)."""
        s = self.summary
        return {
            "create": s["create"] + s["replace"],
            "update": s["update"],
            "delete": s["delete"] + s["replace"],
            "costComplete": not self.cost.get("incomplete"),
            "costIncomplete": self.cost.get("incomplete", ""),
        }

    def doc(self) -> dict[str, Any]:
        return {
            "schemaVersion": SCHEMA_VERSION,
            "base": {"source": self.base.source, "stack": self.base.stack, "platform": self.base.platform},
            "head": {"source": self.head.source, "stack": self.head.stack, "platform": self.head.platform},
            "resources": [
                {
                    "urn": i.resource.urn,
                    "type": i.resource.type,
                    "name": i.resource.name,
                    "action": i.action,
                    "counted": i.counted,
                    "renamedFrom": i.renamed_from,
                    "changes": [c.doc() for c in i.changes],
                    "reasons": [r.__dict__ for r in i.reasons],
                    "notes": i.notes,
                    "ignored": [c.doc() for c in i.ignored],
                    "blocked": i.blocked,
                }
                for i in self.items
            ],
            "summary": self.summary,
            "blocked": [b.doc() for b in self.blocked],
            "risks": self.risks,
            "cost": self.cost,
            "verdicts": self.verdicts,
            "exitCode": self.exit_code,
        }


def review(base: Side, head: Side) -> Review:
    items = classify(base, head)
    return Review(
        base,
        head,
        items,
        blocked(items, head.stack),
        risks(items),
        cost_delta(base, head),
        verdict_delta(base, head, upgrade_path(items)),
    )


def _usd(x: float, signed: bool = False) -> str:
    return (f"{'+' if x > 0 else '-' if x < 0 else '±'}${abs(x):,.0f}") if signed else f"${x:,.0f}"


def _verdict_line(v: dict[str, str]) -> str:
    return f"[{v.get('level')}] {v.get('policy')}: {v.get('resource')}: {v.get('message')}"


def _outcome(r: Review) -> str:
    return {
        EXIT_SAFE: "safe to apply",
        EXIT_POLICY: "HEAD or the change fails a mandatory policy or schema check",
        EXIT_BLOCKED: "BLOCKED: a cluster, or a protected or stateful resource, would be replaced or deleted",
    }[r.exit_code]


def render_table(r: Review, out: TextIO) -> None:
    out.write(f"Change review of stack {r.head.stack} ({r.head.platform}): {r.base.source} → {r.head.source}\n\n")
    changed = [i for i in r.items if i.action != "same" or i.ignored]
    for i in changed:
        rename = f" (renamed from {i.renamed_from.rsplit('::', 1)[-1]}, by its alias)" if i.renamed_from else ""
        out.write(f"  {i.shown_action:<8} {i.resource.type} {i.resource.name}{rename}\n")
        for c in i.changes:
            out.write(f"             {c.text()}\n")
        for reason in i.reasons:
            out.write(f"             forces replacement: {reason.text()}\n")
        for note in i.notes:
            out.write(f"             note: {note}\n")
        for c in i.ignored:
            out.write(f"             not applied (ignoreChanges: owned outside the stack): {c.text()}\n")
    if not changed:
        out.write("  no changes\n")
    s = r.summary
    out.write(
        f"\nSummary: {s['replace']} to replace, {s['update']} to update, {s['create']} to create, "
        f"{s['delete']} to delete, {s['same']} unchanged\n"
    )
    for b in r.blocked:
        out.write(f"\nBLOCKED: {b.why}\n")
        for step in b.procedure:
            out.write(f"  {step}\n")
    if r.risks:
        out.write("\nRisk:\n")
        for line in r.risks:
            out.write(f"  - {line}\n")
    cost = r.cost
    done = cost.get("complete", {"base": True, "head": True})
    out.write("\nMonthly cost (estimate, USD):")
    for key, label in (("atMin", "at min"), ("initial", "initial"), ("atMax", "at max")):
        cols = cost.get("completeByColumn") or {side: dict.fromkeys(COST_KEYS, done[side]) for side in done}
        before = _cost_cell(cost["base"][key], cols["base"][key])
        after = _cost_cell(cost["head"][key], cols["head"][key])
        out.write(f"  {label} {before} → {after} ({_cost_cell(cost['delta'][key], signed=True)})")
    if cost.get("incomplete"):
        out.write(f"\n  incomplete: {cost['incomplete']}: the change is unknown")
    v = r.verdicts
    out.write(f"\n\nPolicy verdicts: {len(v['appeared'])} new, {len(v['resolved'])} resolved, ")
    out.write(f"{v['headMandatory']} mandatory in HEAD and the change\n")
    for x in v["appeared"]:
        out.write(f"  + {_verdict_line(x)}\n")
    for x in v["resolved"]:
        out.write(f"  - {_verdict_line(x)}\n")
    out.write(f"\nResult: {_outcome(r)} (exit {r.exit_code})\n")


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(r: Review, out: TextIO) -> None:
    s = r.summary
    icon = {EXIT_SAFE: "✅", EXIT_POLICY: "❌", EXIT_BLOCKED: "⛔"}[r.exit_code]
    out.write(f"### {icon} Stack `{r.head.stack}` ({r.head.platform}): {_outcome(r)}\n\n")
    out.write(f"`{r.base.source}` → `{r.head.source}`\n\n")
    out.write("| replace | update | create | delete | unchanged |\n| ---: | ---: | ---: | ---: | ---: |\n")
    out.write(f"| {s['replace']} | {s['update']} | {s['create']} | {s['delete']} | {s['same']} |\n\n")
    for b in r.blocked:
        out.write(f"> **Blocked:** {_md(b.why)}\n>\n> ```sh\n")
        out.writelines(f"> {step}\n" for step in b.procedure)
        out.write("> ```\n\n")
    changed = [i for i in r.items if i.action != "same" or i.ignored]
    if changed:
        out.write("| action | resource | what changes | why |\n| --- | --- | --- | --- |\n")
        for i in changed:
            what = "<br>".join(
                [_md(f"`{c.text()}`") for c in i.changes]
                + [_md(f"not applied (ignoreChanges): `{c.text()}`") for c in i.ignored]
            )
            why = "<br>".join(_md(x.text()) for x in i.reasons) + "".join(f"<br>{_md(n)}" for n in i.notes)
            out.write(f"| **{i.shown_action}** | `{i.resource.type}` {_md(i.resource.name)} | {what} | {why} |\n")
        out.write("\n")
    if r.risks:
        out.write("**Risk**\n\n" + "".join(f"- {_md(x)}\n" for x in r.risks) + "\n")
    c = r.cost
    done = c.get("complete", {"base": True, "head": True})
    out.write("| monthly cost (estimate) | at min | initial | at max |\n| --- | ---: | ---: | ---: |\n")
    for label, key in (("before", "base"), ("after", "head")):
        cols = (c.get("completeByColumn") or {}).get(key) or dict.fromkeys(COST_KEYS, done[key])
        cells = " | ".join(_cost_cell(c[key][k], cols[k]) for k in COST_KEYS)
        out.write(f"| {label}{'' if done[key] else ' (incomplete)'} | {cells} |\n")
    d = c["delta"]
    out.write(f"| change | {' | '.join(_cost_cell(d[k], signed=True) for k in COST_KEYS)} |\n\n")
    if c.get("incomplete"):
        out.write(f"Cost incomplete: {_md(c['incomplete'])}.\n\n")
    v = r.verdicts
    if v["appeared"] or v["resolved"]:
        out.write("**Policy verdicts**\n\n")
        out.writelines(f"- new: {_md(_verdict_line(x))}\n" for x in v["appeared"])
        out.writelines(f"- resolved: {_md(_verdict_line(x))}\n" for x in v["resolved"])
        out.write("\n")


def load_sides(base: str, head: str, stack: str | None, err: TextIO) -> tuple[Side, Side] | None:
    """Both sides, planned once each (HEAD as BASE's stack unless `stack` says); None, with the
    reasons written to `err`, when either cannot be planned."""
    sides: list[Side] = []
    failed = False
    with tempfile.TemporaryDirectory(prefix="multiarch-diff-") as tmp:
        for source in (base, head):
            try:
                sides.append(load_side(source, Path(tmp), stack or (sides[0].stack if sides else None)))
            except SideError as exc:
                failed = True
                err.write(f"{exc.source}:\n")
                err.writelines(f"  {line}\n" for line in exc.lines)
    return None if failed else (sides[0], sides[1])


def render(result: Review, fmt: str, out: TextIO) -> None:
    if fmt == "json":
        out.write(json.dumps(result.doc(), indent=2, sort_keys=True, default=str) + "\n")
    elif fmt == "markdown":
        render_markdown(result, out)
    else:
        render_table(result, out)


def write_terraform_report(result: Review, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result.terraform_report()) + "\n")


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.diff", description=__doc__.split("\n\n")[0])
    parser.add_argument("base", help="stack name, stack file, plan.json, or REF:path")
    parser.add_argument("head", help="stack name, stack file, plan.json, or REF:path")
    parser.add_argument("--format", choices=("table", "json", "markdown"), default="table")
    parser.add_argument("--terraform-report", type=Path, help="write GitLab's Terraform report JSON here")
    parser.add_argument("--stack", help="the stack both sides are planned as (default: BASE's stack)")
    args = parser.parse_args(argv)

    sides = load_sides(args.base, args.head, args.stack, err)
    if sides is None:
        return EXIT_CONFIG
    result = review(*sides)
    render(result, args.format, out)
    if args.terraform_report:
        write_terraform_report(result, args.terraform_report)
    return result.exit_code


if __name__ == "__main__":
    cli.run(main)
