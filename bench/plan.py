"""Benchmark: the offline plan of a stack beside an empty program under the same mock engine.

    python -m bench.plan [STACK] [--runs N]

Four figures: the floor (an empty program), the program alone under the mock engine, the
whole plan (program, policy pack over its protocol, schema checks, files, diagram), and the change
review of the stack against itself (`tools.diff`: two offline plans with their verdicts, and the
comparison), set against the cost of two whole plans. Each sample
runs in a fresh interpreter (imports included, as a user's `make plan` pays them),
so the figures are wall-clock seconds of a whole command. The floor is an empty Pulumi program
under the same mock engine: the difference is what this project's program costs. Reports the
median and the spread; nothing is asserted (timings on shared machines are noisy).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FLOOR = """
import pulumi
from tools import mockengine
mockengine.run(lambda: None, {}, stack="floor")
"""

PROGRAM = """
from tools import mockengine, stackfile
stack = stackfile.load({stack!r})
mockengine.run_main(stack.config, stack=stack.name, secret_keys=stack.secret_keys)
"""

DIFF = """
import sys, io
from tools import diff
sys.exit(diff.main([{stack!r}, {stack!r}], out=io.StringIO()))
"""

PLAN = """
import sys
from tools import plan
sys.exit(plan.main([{stack!r}, "--out", {out!r}]))
"""


def sample(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.plan")
    parser.add_argument("stack", nargs="?", default="dev")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        plan_code = PLAN.format(stack=args.stack, out=str(Path(tmp) / "plan"))
        sample(plan_code)  # warm the page cache and bytecode
        floor = [sample(FLOOR) for _ in range(args.runs)]
        program = [sample(PROGRAM.format(stack=args.stack)) for _ in range(args.runs)]
        plans = [sample(plan_code) for _ in range(args.runs)]
        diffs = [sample(DIFF.format(stack=args.stack)) for _ in range(args.runs)]
        size = sum(p.stat().st_size for p in (Path(tmp) / "plan").rglob("*") if p.is_file())
    rows = (
        ("empty program (floor)", floor),
        (f"program {args.stack} only", program),
        (f"plan {args.stack} (all)", plans),
        (f"diff {args.stack} {args.stack}", diffs),
    )
    for label, xs in rows:
        print(f"{label:<24} median {statistics.median(xs):.2f} s  min {min(xs):.2f}  max {max(xs):.2f}  (n={len(xs)})")
    print(f"{'program cost':<24} {statistics.median(plans) - statistics.median(floor):+.2f} s over the floor")
    print(f"{'plan output':<24} {size / 1024:.1f} KiB")
    ratio = statistics.median(diffs) / (2 * statistics.median(plans))
    print(f"{'diff / two plans':<24} {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
