"""The pools' roles in a change: where the controllers can run at idle and where each arch's build
fits (the placement model's answer for the base, recorded in plan.json), and what a change that
deletes a pool, or replaces it under its fixed name, takes away while it is gone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tools import replacerules
from tools.diff.compare import Item
from tools.diff.sides import Resource
from tools.recording import redact

POOL_TAG = "multiarch.dev/pool"
NODE_TYPES = (replacerules.EKS_NODE_GROUP, replacerules.GKE_NODE_POOL, replacerules.MACHINE_SET)


def pool_of(r: Resource) -> tuple[str, int]:
    i = redact(r.inputs)
    if r.type == replacerules.EKS_NODE_GROUP:
        return str((i.get("tags") or {}).get(POOL_TAG, r.name)), int((i.get("scalingConfig") or {}).get("maxSize") or 0)
    if r.type == replacerules.GKE_NODE_POOL:
        labels = (i.get("nodeConfig") or {}).get("labels") or {}
        return str(labels.get(POOL_TAG, r.name)), int((i.get("autoscaling") or {}).get("totalMaxNodeCount") or 0)
    if r.type == replacerules.KARPENTER_NODE_POOL:
        spec = i.get("spec") or {}
        labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
        nodes = str((spec.get("limits") or {}).get("nodes") or "")
        return str(labels.get(POOL_TAG, r.name)), int(nodes) if nodes.isdigit() else 0
    if r.type == replacerules.COMPUTE_CLASS:  # GKE creates its nodes; it knows no count
        return str(((i.get("metadata") or {}).get("labels") or {}).get(POOL_TAG, r.name)), 0
    labels = ((i.get("spec") or {}).get("template", {}).get("metadata", {}).get("labels")) or {}
    return str(labels.get(POOL_TAG, r.name)), int((i.get("spec") or {}).get("replicas") or 0)


STRANDING_PROCEDURE = [
    "Keep a place for them first (docs/review.md, 'Pools and their roles'):",
    "add a pool they tolerate with minSize >= 1 to the stack file, and apply that alone",
    "then apply this change: they move to that pool while this one is replaced (then drop the extra pool)",
]


@dataclass(frozen=True)
class Roles:
    """What the placement model said of the base: where each pod at idle may go, where each
    arch's build fits (plan.json's cost.placement; absent from a plan made before it)."""

    homes: dict[str, list[str]]
    build_pools: dict[str, list[str]]
    pools: list[str]

    @classmethod
    def of(cls, cost: dict[str, Any]) -> Roles | None:
        placed = (cost or {}).get("placement") or {}
        if "homes" not in placed:
            return None
        return cls(dict(placed["homes"]), dict(placed.get("buildPools") or {}), list(placed.get("pools") or []))

    @property
    def build_pool_names(self) -> set[str]:
        return {p for pools in self.build_pools.values() for p in pools}


def gone_pool(item: Item) -> str | None:
    """The pool a change leaves without nodes for a while: deleted, or replaced under a fixed name
    (the provider deletes the old one first)."""
    r, b = item.resource, item.base
    if b is None or r.type not in (*NODE_TYPES, replacerules.KARPENTER_NODE_POOL):
        return None
    if item.action == "delete":
        return pool_of(b)[0]
    named = redact(b.inputs).get("nodeGroupName") or redact(b.inputs).get("name")
    fixed = r.type in (replacerules.EKS_NODE_GROUP, replacerules.GKE_NODE_POOL) and named
    return pool_of(b)[0] if item.action == "replace" and fixed else None


def gone_pools(items: Sequence[Item], head: Roles | None) -> set[str]:
    """The pools without nodes at some point of the change: replaced under a fixed name (between
    the delete and the create), or deleted with no pool of that name in the head (Pulumi deletes
    last: a pool of the same name the change creates is there by then)."""
    out = set()
    for i in items:
        pool = gone_pool(i)
        if pool is None:
            continue
        if i.action == "replace" or head is None or pool not in head.pools:
            out.add(pool)
    return out


def stranding(items: Sequence[Item], base: Roles, head: Roles | None) -> list[tuple[Item, str]]:
    """(the pool item, why) when the change leaves some controller with nowhere to run. A pool
    replaced under its fixed name is gone between its delete and its create; a deleted one goes
    after what the change creates exists (Pulumi deletes last), so its pods may move to the head's
    new pools. A controller the head no longer runs is not stranded: it is removed."""
    gone = gone_pools(items, head)
    gone_items = [(i, pool) for i in items if (pool := gone_pool(i)) is not None and pool in gone]
    if not gone_items:
        return []
    window = {pool for i, pool in gone_items if i.action == "replace"}

    def elsewhere(pod: str) -> bool:
        if head is None:
            return False
        if pod not in head.homes:
            return True  # the change removes it
        return bool(set(head.homes[pod]) - window - (gone - window))

    stranded = sorted(pod for pod, homes in base.homes.items() if homes and set(homes) <= gone and not elsewhere(pod))
    if not stranded:
        return []
    item = next(i for i, pool in gone_items if pool in {p for s in stranded for p in base.homes[s]})
    for i, _ in gone_items:
        i.blocked = True
    pools = ", ".join(sorted(gone))
    what = (
        f"{item.action} of {item.resource.type} {item.resource.name}: pool {pools} is the only place at idle for "
        f"{', '.join(stranded)}; between the delete and the create they have nowhere to run"
        + (
            ", the autoscaler among them: nothing starts a node for them, and the cluster cannot heal itself"
            if any(p.endswith(("/karpenter", "/cluster-autoscaler")) for p in stranded)
            else ""
        )
    )
    return [(item, what)]
