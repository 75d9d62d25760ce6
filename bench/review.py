"""Benchmark of the merge-request review: every stack, both sides, against as many separate plans.

    python -m bench.review [--runs N]

In a snapshot of this checkout (a fresh git repository, `changed_stacks.snapshot`), a program
change (one pinned image bumped in `components/versions.py`) touches every committed stack, so
`python -m tools.review HEAD` plans each stack twice: the base side with the base revision's
program in a worktree, the head side with the changed one. That is set against what it would cost
as separate commands: `python -m tools.plan` once per stack and side, each a fresh interpreter.
Medians of paired runs; nothing is asserted (timings on shared machines are noisy).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tools import changed_stacks

BUMP = ("qemu-v9.2.2", "qemu-v9.2.3")  # a program change every stack with qemu deploys


def _timed(argv: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} failed (exit {proc.returncode}): {proc.stderr[-1000:]}")
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.review", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="multiarch-bench-review-") as tmp:
        repo = changed_stacks.snapshot(Path(tmp) / "repo")
        versions = repo / "components" / "versions.py"
        text = versions.read_text()
        if BUMP[0] not in text:
            raise SystemExit(f"{BUMP[0]} is no longer pinned in components/versions.py: update bench/review.py")
        versions.write_text(text.replace(*BUMP))
        stacks = changed_stacks.all_stacks(repo)
        reviews, separate = [], []
        _timed([sys.executable, "-m", "tools.review", "HEAD", "--out", str(Path(tmp) / "warm")], repo)
        for run in range(args.runs):
            reviews.append(
                _timed([sys.executable, "-m", "tools.review", "HEAD", "--out", str(Path(tmp) / f"r{run}")], repo)
            )
            separate.append(
                sum(
                    _timed(
                        [sys.executable, "-m", "tools.plan", stack, "--out", str(Path(tmp) / f"p{run}-{side}-{stack}")],
                        repo,
                    )
                    for stack in stacks
                    for side in ("base", "head")
                )
            )
    review, plans = statistics.median(reviews), statistics.median(separate)
    print(f"review of {len(stacks)} stacks, both sides (one process per side): median {review:.2f} s")
    print(f"{2 * len(stacks)} separate plans (a fresh interpreter each):       median {plans:.2f} s")
    print(f"review / separate plans: {review / plans:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
