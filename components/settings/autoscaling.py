"""Who scales the pools: the Cluster Autoscaler (or OpenShift's, or GKE's own) or Karpenter (eks)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from pydantic import (
    Field,
)
from pydantic.alias_generators import to_camel

from components import arch, versions
from components.settings.base import _DURATION, PROJECT, _Context, _Model

if TYPE_CHECKING:
    from components.settings.pools import NodePool


class Range(_Model):
    min: int = Field(default=0, ge=0)
    max: int = Field(ge=1)


class AutoscalingLimits(_Model):
    """Cluster-wide bounds (the Cluster Autoscaler's --max-nodes-total / --cores-total / --memory-total)."""

    max_nodes_total: int = Field(default=50, ge=1)
    cores: Range = Range(min=0, max=400)
    memory_gib: Range = Range(min=0, max=1600)


class Autoscaling(_Model):
    """Who scales the pools between minSize and maxSize."""

    enabled: bool = True
    expander: Literal["least-waste", "random", "most-pods", "priority", "price"] = "least-waste"
    scale_down_delay_after_add: str = Field(default="10m", pattern=_DURATION)  # a burst's nodes stay a while
    scale_down_unneeded_time: str = Field(default="10m", pattern=_DURATION)
    profile: Literal["OPTIMIZE_UTILIZATION", "BALANCED"] = "OPTIMIZE_UTILIZATION"  # gke
    limits: AutoscalingLimits = AutoscalingLimits()


def _check_autoscaling(ctx: _Context, a: Autoscaling, pools: Sequence[NodePool], errors: list[str]) -> None:
    at = f"{PROJECT}:autoscaling"
    for name in ("cores", "memory_gib"):
        r: Range = getattr(a.limits, name)
        if r.min > r.max:
            errors.append(f"{at}.limits.{to_camel(name)}.min: {r.min} is greater than max {r.max}")
    if not a.enabled and ctx.platform in ("eks", "openshift"):
        for pool in pools:
            if pool.min_size == 0:
                errors.append(
                    f"{PROJECT}:nodePools[{pool.name}].minSize: 0 with autoscaling disabled: nothing would ever "
                    f"add a node to this pool once it is empty; enable {at} or set minSize >= 1"
                )
    if ctx.platform == "eks" and a.enabled and ctx.cluster is not None:
        minor = ctx.cluster.kubernetes_version
        if minor not in versions.CLUSTER_AUTOSCALER:
            errors.append(
                f"{PROJECT}:cluster.version: {minor} has no Cluster Autoscaler pinned (known: "
                f"{', '.join(versions.CLUSTER_AUTOSCALER)}); add it to CLUSTER_AUTOSCALER in components/versions.py"
            )
    if ctx.platform == "openshift" and a.enabled and ctx.catalog:
        zones = len(ctx.cluster.zones) if ctx.cluster is not None else 0
        for pool in pools:
            if zones and pool.max_size < zones:
                errors.append(
                    f"{PROJECT}:nodePools[{pool.name}].maxSize: {pool.max_size} is less than the {zones} zones: "
                    "each zone's MachineAutoscaler needs at least one machine; raise maxSize or list fewer zones"
                )
            if arch.aws_capacity(pool.instance_type) is None:
                errors.append(
                    f"{PROJECT}:nodePools[{pool.name}].instanceType: {pool.instance_type}: its vCPU and memory are not "
                    "in components/arch.py, and scale-from-zero annotations need them; add the family there"
                )
