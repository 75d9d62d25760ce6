"""Where a GKE pool's nodes go: its zones in a regional or zonal cluster, and how many nodes GKE
starts with (its initial count is per zone). Pure: the node pools, the cost and the placement
model read it."""

from __future__ import annotations

import math
from typing import Protocol

from . import names, regions
from .catalog import gcp as machines


class Pool(Protocol):
    """What the zones depend on of a pool (the settings' NodePool)."""

    @property
    def name(self) -> str: ...
    @property
    def instance_type(self) -> str: ...
    @property
    def min_size(self) -> int: ...
    @property
    def initial_size(self) -> int: ...


def node_locations(pool: Pool, location: str) -> list[str] | None:
    """Zones for the pool (None: the cluster's). In a region, a series offered in only some of its
    zones (T2A) runs there; the system pool runs in as many zones as its minimum size (one by
    default), so a regional cluster idles at one small node, not one per zone."""
    if _is_zone(location):
        return None
    machine = machines.lookup(pool.instance_type)
    offered = machines.zones_offering(machine.series, location) if machine is not None else None
    zones = sorted(offered) if offered else None
    if pool.name == names.SYSTEM_POOL:
        spread = zones or list(regions.gcp_zones(location))
        return spread[: max(1, pool.min_size)] or None
    return zones


def zone_count(pool: Pool, location: str) -> int:
    zones = node_locations(pool, location)
    return len(zones) if zones else (1 if _is_zone(location) else len(regions.gcp_zones(location)) or 3)


def initial_per_zone(pool: Pool, location: str) -> int:
    """GKE's initial node count is per zone; spread the pool's initial size over its zones."""
    return math.ceil(pool.initial_size / zone_count(pool, location))


def initial_nodes(pool: Pool, location: str) -> int:
    """How many nodes GKE creates at first: the per-zone count in every zone of the pool."""
    return initial_per_zone(pool, location) * zone_count(pool, location)


def _is_zone(location: str) -> bool:
    return location.count("-") == 2
