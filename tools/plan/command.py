"""Offline plan: what `pulumi up` would declare for a stack, without the CLI, credentials or network.

The command line of `python -m tools.plan` (documented in `tools/plan/__init__.py`): the stack
planned, its report and verdicts printed, its files and diagram written.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from tools import diagram, policyrun, stackfile
from tools.plan.document import write_outputs
from tools.plan.planning import EXIT_CONFIG, EXIT_FAILED, EXIT_OK, PlanError, make
from tools.plan.steady import BUILDS_PER_DAY


def print_verdicts(found: Sequence[policyrun.Violation], checked: int, objects: int, out: TextIO) -> None:
    mandatory = [v for v in found if v.mandatory]
    out.write(
        f"\nPolicy verdicts (policy/ pack on {checked} resources and the stack; {objects} Kubernetes objects "
        f"schema-checked): {len(mandatory)} mandatory, {len(found) - len(mandatory)} advisory\n"
    )
    for v in found:
        out.write(f"  [{v.level}] {v.policy}: {v.resource}: {v.message}\n")


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.plan", description=__doc__.split("\n\n")[0])
    parser.add_argument("stack", help="stack name (stacks/Pulumi.<stack>.yaml) or path to a stack file")
    parser.add_argument("--out", type=Path, default=None, help="output directory (default: build/plan/<stack>)")
    parser.add_argument(
        "--builds-per-day", type=float, default=BUILDS_PER_DAY, metavar="N",
        help=f"the build rate the steady-state table is stated at (default {BUILDS_PER_DAY})",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.builds_per_day <= 0:
        err.write(f"error: --builds-per-day: {args.builds_per_day:g} is not a build rate; give a number above 0\n")
        return EXIT_CONFIG

    try:
        planned = make(args.stack, builds_per_day=args.builds_per_day)
    except PlanError as exc:
        for line in exc.lines:
            err.write(line + "\n")
        return exc.exit_code
    rec = planned.recording
    out_dir = args.out or stackfile.ROOT / "build" / "plan" / planned.stack.name
    out.write(planned.report)
    n = len(rec.kubernetes_objects())
    print_verdicts(planned.verdicts, len(policyrun.analyzed(rec.resources)), n, out)
    write_outputs(planned, out_dir)
    drawn = diagram.write(rec, out_dir)
    out.write(f"\nWrote {out_dir / 'plan.json'}, {n} manifests in {out_dir / 'manifests'}, ")
    out.write(f"and the diagram ({', '.join(p.name for p in drawn.files)}; {drawn.note})\n")
    return EXIT_FAILED if any(v.mandatory for v in planned.verdicts) else EXIT_OK
