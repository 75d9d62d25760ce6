"""The plan's placement table: what runs where at idle (each pool's nodes, its pods, what they use
of what the nodes leave to pods), the nodes kept running for pods that fit nowhere else, and the
node each arch's build lands on; and the same as data for plan.json. The model is
`components/placement/`; this only prints it."""

from __future__ import annotations

import textwrap
from collections import Counter
from typing import Any, TextIO

from components.placement import Placement
from components.placement.rules import mebibytes, millicores


def _pods(names: tuple[str, ...] | list[str]) -> str:
    counted = Counter(names)
    return ", ".join(f"{n} x{c}" if c > 1 else n for n, c in sorted(counted.items()))


def print_placement(placed: Placement, out: TextIO) -> dict[str, Any]:
    out.write("\nPlacement at idle (components/placement/: the scheduler's rules, each pool at idle):\n")
    table = [["pool", "type", "nodes", "pods", "CPU used", "memory used"]]
    for r in placed.rows:
        if r.nodes:
            table.append(
                [r.pool, r.instance_type, str(r.nodes), str(len(r.pods)),
                 f"{millicores(r.cpu_used_m)} of {millicores(r.cpu_allocatable_m)}",
                 f"{mebibytes(r.memory_used_mib)} of {mebibytes(r.memory_allocatable_mib)}"]
            )  # fmt: skip
        else:
            table.append([r.pool, r.instance_type, "0", "", "", ""])
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        cells = [c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        out.write("  " + " ".join(cells).rstrip() + "\n")
    for r in placed.rows:
        if r.pods:
            out.write(
                textwrap.fill(
                    _pods(list(r.pods)),
                    110,
                    initial_indent=f"  {r.pool}: ",
                    subsequent_indent="    ",
                    break_on_hyphens=False,
                )
            )
            out.write("\n")
        if r.kept_for:
            out.write(f"  {r.pool}: a node kept running for {_pods(list(r.kept_for))}: nothing else holds them\n")
    if placed.external_workers:
        out.write(
            "  the controllers run on the cluster's own workers (the installer's), which the stack does not declare\n"
        )
    for pools in placed.unsized:
        out.write(f"  not sized (unlistedInstanceType): {pools}\n")
    out.write("Builds land on:\n")
    builds: dict[str, list[dict[str, Any]]] = {}
    for a, landings in placed.builds.items():
        for x in landings:
            where = "a new node" if x.started else "a node kept at idle"
            asks = f"{millicores(x.cpu_m)} CPU, {mebibytes(x.memory_mib)}" if x.cpu_m or x.memory_mib else "no requests"
            out.write(f"  {a}: the {x.pod} ({asks}) on {where}, {x.instance_type} of pool {x.pool}\n")
            builds.setdefault(a, []).append(
                {"pod": x.pod, "pool": x.pool, "instanceType": x.instance_type, "startedForIt": x.started,
                 "cpuMillicores": x.cpu_m, "memoryMiB": x.memory_mib}
            )  # fmt: skip
    return {
        "idle": [
            {"pool": r.pool, "instanceType": r.instance_type, "nodes": r.nodes, "pods": list(r.pods),
             "cpuUsedMillicores": r.cpu_used_m, "cpuAllocatableMillicores": r.cpu_allocatable_m,
             "memoryUsedMiB": r.memory_used_mib, "memoryAllocatableMiB": r.memory_allocatable_mib,
             "keptFor": list(r.kept_for), "system": r.system}
            for r in placed.rows
        ],
        "builds": builds,
        "controllersOnClusterWorkers": placed.external_workers,
        # What the change review asks: where each pod at idle can go, where each arch's build fits.
        "homes": {pod: list(pools) for pod, pools in sorted(placed.homes.items())},
        "buildPools": {a: list(pools) for a, pools in sorted(placed.build_pools.items())},
        "pools": [r.pool for r in placed.rows],
    }  # fmt: skip
