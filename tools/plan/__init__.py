"""Offline plan: what `pulumi up` would declare for a stack, without the CLI, credentials or network.

    python -m tools.plan STACK [--out DIR]

STACK is a stack name (stacks/Pulumi.STACK.yaml) or a path to a stack file. The program runs under
the Pulumi SDK's mock engine with that stack's config. Prints the resource tree with the facts a
reviewer checks (arch, instance type, AMI type, sizes) and an estimated monthly cost per pool;
writes DIR/plan.json (every resource: type, name, parent, provider, options, inputs with secrets
shown as "[secret]") and DIR/manifests/ (one YAML file per Kubernetes object).

It then judges the plan: the CrossGuard pack in `policy/` is run on every declared resource and on
the whole stack over the analyzer protocol, the way `pulumi preview --policy-pack policy` runs it;
every Kubernetes object is checked against the upstream schema of the cluster's version. Verdicts
are printed with their policy, level and resource, and saved in plan.json. It also writes the
stack as a diagram (DIR/diagram*.mmd, DIR/diagram*.dot, and DIR/diagram.png where Graphviz is: of the
components only, past `diagram.PNG_MAX_RESOURCES` resources).

Everything written is canonical: resources in URN order, URN lists sorted, JSON keys sorted, so
two plans of the same stack file are byte-identical and a plain `diff` of two plans is the change
(`python -m tools.diff` reads it for you).

Exit status: 0 planned and no mandatory violation; 1 a mandatory policy or schema failure (or any
other failure); 2 configuration error (the same messages `pulumi up` prints).

The pieces, each a module of this package: `planning` (`make()`: the program run, the report, the
verdicts), `tree` (the resource tree with each resource's facts), `costs` (the cost table and the
cost view), `document` (plan.json and the files written) and `command` (the command line).
"""

from tools.plan.command import main
from tools.plan.costs import cost_view, print_costs
from tools.plan.document import dumps, plan_document, write_outputs
from tools.plan.planning import EXIT_CONFIG, EXIT_FAILED, EXIT_OK, PlanError, Planned, make, verdicts
from tools.plan.tree import facts, print_tree

__all__ = [
    "EXIT_CONFIG",
    "EXIT_FAILED",
    "EXIT_OK",
    "PlanError",
    "Planned",
    "cost_view",
    "dumps",
    "facts",
    "main",
    "make",
    "plan_document",
    "print_costs",
    "print_tree",
    "verdicts",
    "write_outputs",
]
