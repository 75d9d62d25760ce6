"""The plan's cost table (each pool at min, initial and max size, the control plane, the totals,
unknown prices named) and the cost view a reviewer asks of a stack's bill (idle, one build hour
per arch, at most).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TextIO

from components import placement
from components.catalog import prices, regional
from components.cost import PoolCost, StorageCost, control_plane_hourly, price_region, workspace_storage
from components.placement import Placement


def _usd(amount: float, nodes: int | None = None) -> str:
    text = f"${amount:,.0f}"
    return f"{text} ({nodes})" if nodes is not None else text


UNKNOWN = "unknown"  # a price the table does not have: never shown, nor summed, as $0


def print_costs(
    settings: Any, costs: Sequence[PoolCost], out: TextIO, placed: Placement | None = None
) -> dict[str, Any]:
    """The cost table: each pool at min (idle), initial and max size, plus the control plane. A pool
    the price table cannot price shows "unknown" in each cell where it has nodes (none cost $0
    whatever the price), and the totals of those columns, left without it, say they are incomplete
    ("at least")."""
    region = price_region(settings)
    out.write(
        f"\nEstimated monthly cost (on-demand list prices, {region}, as of {prices.PRICES_AS_OF}; "
        f"{prices.HOURS_PER_MONTH} h/month):\n"
    )
    totals = [0.0, 0.0, 0.0]
    known = [True, True, True]  # per column: every pool with nodes there is priced
    rows, table = [], []
    unpriced = []
    for c in costs:
        sizes = (c.min_size, c.initial_size, c.max_size)
        monthly = [c.monthly(n) if c.hourly is not None else (0.0 if n == 0 else None) for n in sizes]
        if c.hourly is None:
            unpriced.append(f"{c.pool} ({c.instance_type})")
            cells = [_usd(0.0, n) if n == 0 else f"{UNKNOWN} ({n})" for n in sizes]
            table.append([c.pool, c.arch, c.instance_type, UNKNOWN, *cells])
            known = [k and m is not None for k, m in zip(known, monthly, strict=True)]
        else:
            cells = [_usd(m or 0.0, n) for m, n in zip(monthly, sizes, strict=True)]
            table.append([c.pool, c.arch, c.instance_type, f"{'~' if c.estimated else ''}{c.hourly:.3f}", *cells])
            totals = [t + (m or 0.0) for t, m in zip(totals, monthly, strict=True)]
        rows.append(
            {
                "pool": c.pool,
                "arch": c.arch,
                "instanceType": c.instance_type,
                "hourlyUsd": c.hourly,
                "hourlyEstimated": c.estimated,
                "minSize": c.min_size,
                "initialSize": c.initial_size,
                "maxSize": c.max_size,
                "monthlyUsdAtMin": monthly[0],
                "monthlyUsdInitial": monthly[1],
                "monthlyUsdAtMax": monthly[2],
            }
        )
    storage = workspace_storage(settings)
    if storage is not None and storage.monthly != 0.0:
        if storage.monthly is None:
            unpriced.append(storage.what)
            known = [False, False, False]
            table.append(["workspaces", "", storage.what, "", *[UNKNOWN] * 3])
        else:
            mark = "~" if storage.estimated else ""
            table.append(["workspaces", "", storage.what, "", *[mark + _usd(storage.monthly)] * 3])
            totals = [t + storage.monthly for t in totals]
    control = prices.monthly(control_plane_hourly(settings), 1)
    if control:
        table.append(["control plane", "", "", "", *[_usd(control)] * 3])
    totals = [round(t + control, 2) for t in totals]
    complete = all(known)
    shown = [_usd(t) if k else f">= {_usd(t)}" for t, k in zip(totals, known, strict=True)]
    table.append(["total" if complete else "total (incomplete)", "", "", "", *shown])
    header = ["pool", "arch", "type", "$/h", "at min", "initial", "at max"]
    widths = [max(len(str(r[i])) for r in [header, *table]) for i in range(len(header))]
    for r in [header, *table]:
        cells = [str(v).ljust(w) if i < 3 else str(v).rjust(w) for i, (v, w) in enumerate(zip(r, widths, strict=True))]
        out.write("  " + " ".join(cells).rstrip() + "\n")
    if not complete:
        out.write(
            f"  no price for {', '.join(unpriced)} in {region} (components/catalog/prices.py): "
            "the totals leave them out\n"
        )
    estimates = {c.instance_type: prices.quote(region, c.instance_type).how for c in costs if c.estimated}
    for instance_type, how in estimates.items():
        out.write(f"  ~ {instance_type} estimated: {how}\n")
    if estimates:
        out.write(f"    (components/catalog/prices.py; reference prices: {regional.source(region)})\n")
    if storage is not None and storage.estimated:
        out.write(
            f"  ~ storage estimated from the base region's price by this region's ratio ({prices.STORAGE_AS_OF})\n"
        )
    view = cost_view(settings, costs, totals, known, placed)
    out.write(f"\n  engine {view['engine']}: idle {view['idleText']}; at most {view['maxText']}\n")
    for a, b in view["buildHour"].items():
        price = "unknown" if b["hourlyUsd"] is None else f"${b['hourlyUsd']:.2f}"
        out.write(
            f"  one hour of one {a} build: {price} (one {b['instanceType']} node of pool {b['pool']}{b['note']}"
            f"{b['storageNote']})\n"
        )
    return {
        "region": region,
        "pricesAsOf": prices.PRICES_AS_OF,
        "currency": "USD",
        "pools": rows,
        "controlPlaneMonthlyUsd": control,
        "complete": complete,
        "completeByColumn": dict(zip(("atMin", "initial", "atMax"), known, strict=True)),
        "unpriced": unpriced if not complete else [],
        "totalMonthlyUsd": {"atMin": totals[0], "initial": totals[1], "atMax": totals[2]},
        "view": {k: v for k, v in view.items() if not k.endswith("Text")},
    }


def cost_view(
    settings: Any,
    costs: Sequence[PoolCost],
    totals: Sequence[float],
    known: Sequence[bool],
    placed: Placement | None = None,
) -> dict[str, Any]:
    """What a reviewer asks of a stack's bill: what it costs idle (the placement table's nodes, the
    control plane included), what one hour of one build adds per arch (the node the placement model
    lands it on: nothing more on a node kept at idle with room, else one node of that type), and the
    most it can cost."""
    placed = placed or placement.evaluate(settings)
    storage = workspace_storage(settings)
    engine = "karpenter" if settings.autoscaling.uses_karpenter else str(settings.autoscaling.engine)
    region = price_region(settings)
    build: dict[str, dict[str, Any]] = {}
    for a, landings in placed.builds.items():
        if not landings:
            continue
        x = next((x for x in landings if x.started), landings[0])  # the build's largest claim
        hourly = prices.hourly(region, x.instance_type)
        node = None if hourly is None else (hourly if x.started else 0.0)
        space = storage.build_hourly if storage is not None else 0.0
        build[a] = {
            "pool": x.pool,
            "instanceType": x.instance_type,
            "hourlyUsd": None if node is None or space is None else round(node + space, 4),
            "nodeHourlyUsd": node,
            "storageHourlyUsd": space,
            "note": ", started for the build" if x.started else ", kept running at idle with room: no extra cost",
            "storageNote": _storage_note(storage),
        }

    def money(x: float, complete: bool) -> str:
        return f"{'' if complete else '>= '}${x:,.0f} a month"

    return {
        "engine": engine,
        "idleMonthlyUsd": totals[0],
        "idleComplete": known[0],
        "maxMonthlyUsd": totals[2],
        "maxComplete": known[2],
        "buildHour": build,
        "idleText": money(totals[0], known[0]),
        "maxText": money(totals[2], known[2]),
    }


def _storage_note(storage: StorageCost | None) -> str:
    if storage is None:
        return ""
    if storage.build_hourly == 0.0:
        return f"; its workspace on the shared {storage.what} volume, in the idle cost"
    if storage.build_hourly is None:
        return f"; its {storage.what}: unknown"
    return f"; its {storage.what}: {'~' if storage.estimated else ''}${storage.build_hourly:.4f}"
