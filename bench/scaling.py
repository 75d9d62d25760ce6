"""Scaling benchmark: how a plan grows with the pools, on every platform.

    python -m bench.scaling [--sizes 1 8 32 64] [--runs N] [--platforms eks karpenter gke openshift]

For each platform (a committed stack as the template: `dev`, `karpenter-dev`, `gke-dev`,
`openshift-dev`) it generates stacks of 1, 8, 32 and 64 build pools (`generated_stack`: the
template's pools repeated, alternating amd64 and arm64, each named `p<i>`), plans each with
`python -m tools.plan` in a fresh interpreter, and reports the plan's wall time, the resources it
declared, the size of its `plan.json` and the process's peak RSS (`wait4`'s `ru_maxrss`).

Runs are paired: each sample of N pools runs right after a sample of one pool, so the ratio to the
one-pool plan and the per-pool marginal cost ((t_N - t_1) / (N - 1), medians) come from the same
stretch of machine time. Nothing is asserted: timings on shared machines are noisy.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = {"eks": "dev", "karpenter": "karpenter-dev", "gke": "gke-dev", "openshift": "openshift-dev"}
DEFAULT_SIZES = (1, 8, 32, 64)


def generated_stack(platform: str, pools: int) -> dict[str, Any]:
    """The template stack of `platform` with `pools` build pools, alternating amd64 and arm64."""
    doc: dict[str, Any] = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{TEMPLATES[platform]}.yaml").read_text())
    config = doc["config"]
    by_arch = {p["arch"]: p for p in config["multiarch:nodePools"]}
    generated = []
    for i in range(pools):
        arch = ("amd64", "arm64")[i % 2]
        pool = copy.deepcopy(by_arch[arch])
        pool["name"] = f"p{i}"
        pool.pop("desiredSize", None)
        pool["maxSize"] = 3  # at least one machine per zone of the OpenShift template
        if platform != "karpenter":
            pool["minSize"] = 1 if i == 0 else 0  # the first pool keeps a node for the controllers
        generated.append(pool)
    config["multiarch:nodePools"] = generated
    if platform == "eks" and pools >= 30:
        # Above EKS's default 30 managed node groups a cluster: the raised quota, stated as a team would.
        config["multiarch:cluster"].setdefault("quotas", {})["nodeGroupsPerCluster"] = pools + 1
    return doc


@dataclass
class Sample:
    seconds: float
    peak_rss_kib: int
    resources: int
    plan_json_bytes: int


def plan_once(stack_file: Path, out: Path) -> Sample:
    """One offline plan in a fresh interpreter: wall time, peak RSS, resources, plan.json size."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tools.plan", str(stack_file), "--out", str(out)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode not in (0, 1):  # 1: a verdict; the plan is still whole
        raise SystemExit(f"plan of {stack_file.name} failed (exit {proc.returncode}): {stderr[-1000:]}")
    plan = out / "plan.json"
    resources = len(json.loads(plan.read_text())["resources"])
    return Sample(seconds, usage.ru_maxrss, resources, plan.stat().st_size)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scaling", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--platforms", nargs="+", default=list(TEMPLATES), choices=list(TEMPLATES))
    args = parser.parse_args()
    sizes = sorted(set(args.sizes) | {1})
    print(f"{'platform':<10} {'pools':>5} {'resources':>9} {'plan s':>7} {'x 1 pool':>8} {'plan.json':>10} "
          f"{'KiB/pool':>8} {'peak RSS':>9} {'x 1 pool':>8} {'ms/pool':>8}")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="multiarch-scaling-") as tmp:
        root = Path(tmp)
        for platform in args.platforms:
            files = {}
            for n in sizes:
                files[n] = root / f"Pulumi.{platform}-{n}.yaml"
                files[n].write_text(yaml.safe_dump(generated_stack(platform, n), sort_keys=False))
            plan_once(files[1], root / "warm")  # page cache and bytecode
            for n in sizes:
                ones, many = [], []
                for _ in range(args.runs):
                    ones.append(plan_once(files[1], root / "one"))
                    many.append(plan_once(files[n], root / "many"))
                t1, tn = statistics.median(s.seconds for s in ones), statistics.median(s.seconds for s in many)
                r1 = statistics.median(s.peak_rss_kib for s in ones)
                rn = statistics.median(s.peak_rss_kib for s in many)
                size = many[-1].plan_json_bytes
                marginal = f"{(tn - t1) / (n - 1) * 1000:8.1f}" if n > 1 else f"{'-':>8}"
                print(
                    f"{platform:<10} {n:>5} {many[-1].resources:>9} {tn:>7.2f} {tn / t1:>8.2f} "
                    f"{size / 1024:>9.0f}K {size / 1024 / n:>8.1f} {rn / 1024:>8.0f}M {rn / r1:>8.2f} {marginal}",
                    flush=True,
                )
    print(
        "\nplan s: median wall time of `python -m tools.plan` (imports included); x 1 pool: against the 1-pool "
        "plan run beside it; ms/pool: (t_N - t_1) / (N - 1); peak RSS: the plan process's maximum resident set."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
