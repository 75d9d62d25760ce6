"""What a stack costs a month, from the dated price table (`catalog/prices.py`): each pool at its
minimum (idle), initial and maximum size, priced at the dearest type it may launch, and the
managed control plane. A type without a price is unknown, never $0. The plan prints the table
(`tools/plan/costs.py`); `BuildPlatform.monthly_cost` carries the totals."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from . import limits, placement, workspaces, zones
from .catalog import lifecycle, prices


@dataclass(frozen=True)
class PoolCost:
    pool: str
    arch: str
    instance_type: str
    hourly: float | None
    min_size: int
    initial_size: int
    max_size: int
    estimated: bool = False  # the price is estimated (prices.estimated), shown with "~"
    system: bool = False  # the controllers' pool: no builds land there

    def monthly(self, nodes: int) -> float | None:
        return None if self.hourly is None else prices.monthly(self.hourly, nodes)


@dataclass(frozen=True)
class StorageCost:
    """What the builds' workspaces cost: a fixed volume's month (GKE's shared Filestore instance,
    billed at its size whether a build runs or not), or what one build's workspaces cost for the
    hour it runs (EFS bills what is stored; the cleanup task empties them when the run ends)."""

    what: str
    monthly: float | None  # every month, idle included; None: unknown
    build_hourly: float | None  # one build's, for an hour; None: unknown
    estimated: bool = False


GB_PER_GIB = 1024**3 / 10**9


def workspace_storage(settings: Any) -> StorageCost | None:
    """The builds' workspace storage, when the stack has pipelines and RWX storage for them."""
    if settings.pipelines is None:
        return None
    region = price_region(settings)
    if workspaces.mode(settings.platform) == "shared-volume":
        fs = settings.storage.filestore
        if fs is None or not fs.enabled:
            return None
        gib = int((limits.quantity(fs.workspace_capacity) or 0) // 1024**3)
        per_gib, estimated = prices.filestore_gib_month(region, fs.storage_class.tier)
        monthly = None if per_gib is None else round(per_gib * gib, 2)
        what = f"Filestore {fs.storage_class.tier} {fs.workspace_capacity}"
        return StorageCost(what, monthly, 0.0, estimated)
    efs = settings.storage.efs
    if efs is None or not efs.enabled:
        return None
    per_gb, estimated = prices.efs_gb_month(region)
    hourly = (
        None if per_gb is None else round(per_gb * workspaces.WORKSPACE_GIB * GB_PER_GIB / prices.HOURS_PER_MONTH, 4)
    )
    return StorageCost(
        f"workspaces on EFS ({workspaces.WORKSPACE_GIB} GiB a build, while it runs)", 0.0, hourly, estimated
    )


def price_region(settings: Any) -> str | None:
    if settings.platform == "gke":
        location = settings.cluster.location or ""
        return re.sub(r"-[a-z]$", "", location) or None
    return settings.aws_region  # type: ignore[no-any-return]


def pool_costs(settings: Any, placed: placement.Placement | None = None) -> list[PoolCost]:
    """Each pool at idle, initial and max size; with a system pool, it first, then each build pool
    from what it keeps at idle to its limit, priced at its dearest instance type. At idle is the
    placement model's: a pool's minimum, plus the nodes kept running for pods that fit nowhere else."""
    placed = placed or placement.evaluate(settings)
    idle = placed.idle_nodes
    region = price_region(settings)
    system = [settings.system_pool] if settings.system_pool is not None else []
    costs = []
    for p in [*system, *settings.node_pools]:
        priced = [(prices.hourly(region, t), t) for t in p.all_instance_types]
        known = [(h, t) for h, t in priced if h is not None]
        # Priced at the dearest type; with a type the table cannot price, unknown, and that type named.
        missing = [t for h, t in priced if h is None]
        hourly, instance_type = max(known) if not missing else (None, missing[0])
        costs.append(
            PoolCost(
                p.name, p.arch, instance_type, hourly, max(idle.get(p.name, ("", p.min_size))[1], p.min_size),
                max(_initial_nodes(settings, p), idle.get(p.name, ("", 0))[1]), p.max_size,
                estimated=prices.estimated(region, instance_type), system=p in system,
            )
        )  # fmt: skip
    return costs


def _initial_nodes(settings: Any, pool: Any) -> int:
    """What the cloud starts with: on GKE the initial count is per zone, in every zone of the pool."""
    if settings.platform == "gke":
        return zones.initial_nodes(pool, settings.cluster.location or "")
    return pool.initial_size  # type: ignore[no-any-return]


def control_plane_hourly(settings: Any) -> float:
    """The managed control plane per hour: EKS by the version's support phase (AS_OF)."""
    if settings.platform == "eks":
        minor = lifecycle.EKS.minors.get(settings.cluster.kubernetes_version)
        if minor is not None and minor.phase() == "extended":
            return prices.EKS_EXTENDED_SUPPORT_HOURLY
    return prices.CONTROL_PLANE_HOURLY[settings.platform]


def estimate(settings: Any, placed: placement.Placement | None = None) -> dict[str, Any]:
    """Idle (what the placement model keeps running) and most (every pool at its maximum) a month,
    control plane included; None where a pool with nodes there has no price."""
    costs = pool_costs(settings, placed)
    control = prices.monthly(control_plane_hourly(settings), 1)
    storage = workspace_storage(settings)

    def total(size: str) -> float | None:
        parts = [c.monthly(getattr(c, size)) if getattr(c, size) else 0.0 for c in costs]
        parts.append(storage.monthly if storage is not None else 0.0)
        return None if any(p is None for p in parts) else round(control + sum(p or 0.0 for p in parts), 2)

    return {
        "region": price_region(settings),
        "prices_as_of": prices.PRICES_AS_OF,
        "idle_monthly_usd": total("min_size"),
        "max_monthly_usd": total("max_size"),
        "control_plane_monthly_usd": control,
    }
