"""Change review: what a change to a stack will do, offline, before anyone runs `pulumi up`.

The command line of `python -m tools.diff` (documented in `tools/diff/__init__.py`): both sides
loaded, reviewed, written in the format asked for, and GitLab's Terraform report where asked.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from tools.diff.render import render, write_terraform_report
from tools.diff.sides import load_sides
from tools.diff.verdict import EXIT_CONFIG, review


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
