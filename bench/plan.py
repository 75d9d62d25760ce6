"""Benchmark: the offline plan of every committed stack against its SDK-import floor.

    python -m bench.plan [STACK ...] [--runs N]

The floor of a stack is what any Pulumi program declaring its resources pays before it declares
anything: a fresh interpreter that imports exactly the provider SDK modules the stack's program
loads (listed by running the program once), then runs an empty program under the same mock
engine. Against it, the whole plan (`python -m tools.plan`: program, policy pack over its protocol,
schema checks, files, diagram), and their ratio; and beside it the same floor run as the plan's
command runs (the cyclic collector off, no interpreter teardown: tools/cli.py), and that ratio.
For the first stack also: an empty program with no SDK (the bare floor), the program alone, and
the change review of the stack against itself
(`tools.diff`: two offline plans with their verdicts, and the comparison), set against two whole
plans. Every sample is a whole command in a fresh interpreter (imports and exit included, as a
user's `make plan` pays them): wall-clock seconds, median and spread. Nothing is asserted
(timings on shared machines are noisy).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROVIDERS = ("pulumi_aws", "pulumi_gcp", "pulumi_kubernetes")

BARE_FLOOR = """
import pulumi
from tools import mockengine
mockengine.run(lambda: None, {}, stack="floor")
"""

# The provider modules a stack's program loads (the SDKs load their modules lazily: a module still
# lazy was never used, and is left out).
LOADED = """
import json, sys, types
from tools import mockengine, stackfile
stack = stackfile.load({stack!r})
mockengine.run_main(stack.config, stack=stack.name, secret_keys=stack.secret_keys)
print(json.dumps(sorted(
    name for name, module in sys.modules.items()
    if name.split(".")[0] in {providers!r} and type(module) is types.ModuleType
)))
"""

SDK_FLOOR = """
import importlib
for name in {modules!r}:
    getattr(importlib.import_module(name), "__builtins__", None)  # load it (the SDKs import lazily)
from tools import mockengine
mockengine.run(lambda: None, {{}}, stack="floor")
"""

# The same floor run as the plan's command runs (tools/cli.py): the cyclic collector off from the
# first import, and no interpreter teardown. Not what a plain Pulumi program pays: shown beside.
SDK_FLOOR_AS_CLI = "import gc, os; gc.disable()\n" + SDK_FLOOR + "os._exit(0)\n"

PROGRAM = """
from tools import mockengine, stackfile
stack = stackfile.load({stack!r})
mockengine.run_main(stack.config, stack=stack.name, secret_keys=stack.secret_keys)
"""

PLAN = [sys.executable, "-m", "tools.plan"]
DIFF = [sys.executable, "-m", "tools.diff"]


# A user's default environment: bytecode written on first import (PYTHONDONTWRITEBYTECODE, set on some
# CI images, would make every sample compile what changed since `make venv` ran tools.bytecode).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def sample(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, env=ENV)
    return time.perf_counter() - start


def code(text: str) -> list[str]:
    return [sys.executable, "-c", text]


def loaded_modules(stack: str) -> list[str]:
    out = subprocess.run(
        code(LOADED.format(stack=stack, providers=PROVIDERS)),
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        env=ENV,
    ).stdout
    return list(json.loads(out.strip().splitlines()[-1]))


def median(xs: list[float]) -> str:
    return f"{statistics.median(xs):.2f} s"


def spread(xs: list[float]) -> str:
    return f"{min(xs):.2f}-{max(xs):.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.plan")
    parser.add_argument("stacks", nargs="*", help="stacks (default: every committed stack, dev first)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    stacks = args.stacks or sorted(
        (p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in (ROOT / "stacks").glob("Pulumi.*.yaml")),
        key=lambda s: (s != "dev", s),
    )
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, stack in enumerate(stacks):
            out = str(Path(tmp) / stack)
            plan = [*PLAN, stack, "--out", out]
            sample(plan)  # warm the page cache, the bytecode and the schema cache
            modules = loaded_modules(stack)
            floor_code = code(SDK_FLOOR.format(modules=modules))
            cli_floor_code = code(SDK_FLOOR_AS_CLI.format(modules=modules))
            floors, cli_floors, plans = [], [], []
            for _ in range(args.runs):  # interleaved: a slow moment hits all alike
                floors.append(sample(floor_code))
                cli_floors.append(sample(cli_floor_code))
                plans.append(sample(plan))
            size = sum(p.stat().st_size for p in Path(out).rglob("*") if p.is_file())
            rows.append((stack, floors, cli_floors, plans, size))
            if i == 0:
                bare = [sample(code(BARE_FLOOR)) for _ in range(args.runs)]
                program = [sample(code(PROGRAM.format(stack=stack))) for _ in range(args.runs)]
                diffs = [sample([*DIFF, stack, stack]) for _ in range(args.runs)]
                of_two = statistics.median(diffs) / (2 * statistics.median(plans))
                print(
                    f"{stack}: empty program, no SDK {median(bare)} ({spread(bare)}); program only "
                    f"{median(program)} ({spread(program)}); diff {stack} {stack} {median(diffs)} "
                    f"({spread(diffs)}), {of_two:.2f} of two plans"
                )
    print(
        f"\n{'stack':<22} {'SDK-import floor':>18} {'plan':>18} {'plan / floor':>13} "
        f"{'floor as the CLI runs':>22} {'plan / it':>10} {'plan output':>12}"
    )
    for stack, floors, cli_floors, plans, size in rows:
        ratio = statistics.median(plans) / statistics.median(floors)
        cli_ratio = statistics.median(plans) / statistics.median(cli_floors)
        print(
            f"{stack:<22} {median(floors):>7} ({spread(floors)}) {median(plans):>7} ({spread(plans)}) "
            f"{ratio:>12.2f}x {median(cli_floors):>11} ({spread(cli_floors)}) {cli_ratio:>9.2f}x "
            f"{size / 1024:>8.0f} KiB"
        )
    print(f"(n={args.runs} each, {time.strftime('%Y-%m-%d')})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
