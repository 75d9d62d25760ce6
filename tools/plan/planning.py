"""One stack planned offline (`make()`): its stack file read, the program run under the mock
engine, the report printed (tree, warnings, cost table), and the verdicts of the policy pack and
the schema check; a stack that cannot be planned is a `PlanError` with its exit code.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from components import placement
from components.cost import pool_costs
from tools import mockengine, policyrun, schemas, stackfile
from tools.plan.costs import print_costs
from tools.plan.placing import print_placement
from tools.plan.steady import BUILDS_PER_DAY, print_steady_state
from tools.plan.tree import print_tree
from tools.recording import Recording

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2


def verdicts(rec: Recording, kubernetes_version: str) -> list[policyrun.Violation]:
    """Policy violations and schema failures, schema failures reported as a mandatory policy.
    The pack judges (in its own process) while the schemas are checked here."""
    answers = policyrun.shared().submit(rec.resources)
    found = [
        policyrun.Violation(schemas.SCHEMA_POLICY, "mandatory", f.message, f.resource)
        for f in schemas.check(rec.kubernetes_objects(), kubernetes_version)
    ]
    found += answers()
    return sorted(found, key=lambda v: (not v.mandatory, v.policy, v.resource, v.message))


@dataclass
class Planned:
    """One stack planned offline: what it declares, its cost and its verdicts."""

    stack: stackfile.StackFile
    recording: Recording
    settings: Any
    cost: dict[str, Any]
    verdicts: list[policyrun.Violation]
    report: str  # the tree, warnings and cost table as printed
    placement: placement.Placement | None = None  # where every pod runs (components/placement/)
    steady_state: dict[str, Any] | None = None  # what builds leave behind at a rate (components/retention.py)


class PlanError(Exception):
    """The stack could not be planned: `exit_code` says why (EXIT_CONFIG or EXIT_FAILED)."""

    def __init__(self, exit_code: int, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.exit_code = exit_code
        self.lines = lines


def make(
    stack_ref: str | stackfile.StackFile, *, policies: bool = True, builds_per_day: float = BUILDS_PER_DAY
) -> Planned:
    """Plan a stack (name, path or loaded file) under the mock engine; raises PlanError."""
    from components import settings as settings_mod

    try:
        stack = stack_ref if isinstance(stack_ref, stackfile.StackFile) else stackfile.load(stack_ref)
    except stackfile.UnreadableStackFileError as exc:
        raise PlanError(EXIT_CONFIG, [f"error: {exc}"]) from None
    except stackfile.StackFileError as exc:
        raise PlanError(EXIT_FAILED, [f"error: {exc}"]) from None
    if policies:
        policyrun.shared().start()  # the pack's start-up overlaps the program's run
    bare = settings_mod.bare_keys(stack.config)
    try:
        rec = mockengine.run_main(stack.config, stack=stack.name, secret_keys=stack.secret_keys)
        settings = settings_mod.load()
        if bare:
            raise settings_mod.ConfigError([])
    except settings_mod.ConfigError as exc:
        errors = bare + exc.errors
        lines = [f"{stack.path.name}: invalid stack configuration", *(f"error: {e}" for e in errors)]
        raise PlanError(EXIT_CONFIG, lines) from None
    except Exception as exc:
        raise PlanError(
            EXIT_FAILED, [f"error: the program failed under the mock engine: {type(exc).__name__}: {exc}"]
        ) from None
    report = io.StringIO()
    resources = sum(1 for r in rec.resources if r.counted)
    groupings = len(rec.resources) - resources
    report.write(f"Plan for stack {stack.name} ({settings.platform}, {resources} resources, ")
    report.write(f"{groupings} components and providers) ")
    report.write(f"from {stack.path.name}\n\n")
    print_tree(rec, report)
    for warning in settings.warnings:
        report.write(f"warning: {warning}\n")
    placed = placement.evaluate(settings)
    where = print_placement(placed, report)
    cost = print_costs(settings, pool_costs(settings, placed), report, placed)
    cost["placement"] = where
    steady = print_steady_state(settings, builds_per_day, report)
    found: list[policyrun.Violation] = []
    if policies:
        try:
            found = verdicts(rec, settings.cluster.kubernetes_version)
        except Exception as exc:
            raise PlanError(
                EXIT_FAILED, [f"error: the policy pack could not run: {type(exc).__name__}: {exc}"]
            ) from None
    return Planned(stack, rec, settings, cost, found, report.getvalue(), placed, steady)
