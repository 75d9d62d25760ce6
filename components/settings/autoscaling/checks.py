"""The autoscaling checks: per engine (karpenter, compute-class, the Cluster Autoscaler), each
pool's fallbacks, the Cluster Autoscaler's pin, and the cluster-wide totals it scales within."""

from __future__ import annotations

import re
from collections.abc import Sequence

from pydantic.alias_generators import to_camel

from ... import versions
from ..base import PROJECT, _Context, version_known
from ..pools import NodePool
from . import COMPUTE_CLASS, KARPENTER, Autoscaling, Range
from .computeclass import _check_compute_classes, _check_system_pool
from .karpenter import _check_karpenter


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
    if a.engine == KARPENTER or a.karpenter is not None:
        _check_karpenter(ctx, a, pools, errors)
    elif a.engine == COMPUTE_CLASS:
        _check_compute_classes(ctx, a, pools, errors)
    else:
        for pool in pools:
            for key, given in (
                ("instanceTypes", pool.instance_types),
                ("instanceFamilies", pool.instance_families),
                ("capacityTypes", pool.capacity_types),
            ):
                if given:
                    errors.append(
                        f"{PROJECT}:nodePools[{pool.name}].{key}: only with {at}.engine karpenter (eks) or "
                        "compute-class (gke): a node pool the Cluster Autoscaler scales has one instance type and "
                        "one capacity type"
                    )
    _check_fallbacks(a, pools, errors)
    _check_system_pool(ctx, a, pools, errors)
    cluster_autoscaler = a.enabled and not a.uses_karpenter and not a.uses_compute_classes
    if a.cluster_autoscaler_version is not None and not (ctx.platform == "eks" and cluster_autoscaler):
        errors.append(f"{at}.clusterAutoscalerVersion: only for platform eks with engine cluster-autoscaler")
    if ctx.platform == "eks" and cluster_autoscaler and ctx.cluster is not None:
        if version_known(ctx):
            _check_cluster_autoscaler_pin(ctx, a, errors)
        if pools and ctx.pools_complete and all(p.min_size == 0 for p in pools):
            first = next((p for p in pools if p.arch == "amd64"), pools[0])
            errors.append(
                f"{PROJECT}:nodePools[{first.name}].minSize: 0, and every pool's minSize is 0: the Cluster Autoscaler "
                "runs as a pod on the pools' nodes, so with none there is nothing to run it and no pool ever scales "
                "up; keep minSize >= 1 on one pool (or use engine karpenter, whose controller has a system node group) "
                "(Cluster Autoscaler FAQ: it is a Deployment on the cluster's own nodes)"
            )
    if ctx.platform == "openshift" and a.enabled and ctx.cluster is not None:
        zones = len(ctx.cluster.zones)
        for pool in pools:
            if zones and pool.max_size < zones:
                errors.append(
                    f"{PROJECT}:nodePools[{pool.name}].maxSize: {pool.max_size} is less than the {zones} zones: "
                    "each zone's MachineAutoscaler needs at least one machine; raise maxSize or list fewer zones"
                )


def _check_fallbacks(a: Autoscaling, pools: Sequence[NodePool], errors: list[str]) -> None:
    """A pool's capacity types: one or both, each once, and `capacityType` among them."""
    for pool in pools:
        at = f"{PROJECT}:nodePools[{pool.name}]"
        if not pool.capacity_types:
            continue
        if len(set(pool.capacity_types)) != len(pool.capacity_types):
            errors.append(f"{at}.capacityTypes: {list(pool.capacity_types)} names a capacity type twice")
        if "capacity_type" in pool.model_fields_set and pool.capacity_type not in pool.capacity_types:
            errors.append(
                f"{at}.capacityType: {pool.capacity_type} is not among capacityTypes {list(pool.capacity_types)}; "
                "remove capacityType (capacityTypes says it all)"
            )


def _check_cluster_autoscaler_pin(ctx: _Context, a: Autoscaling, errors: list[str]) -> None:
    """The Cluster Autoscaler's minor must be the cluster's (its compatibility policy)."""
    assert ctx.cluster is not None
    minor = ctx.cluster.kubernetes_version
    at = f"{PROJECT}:autoscaling.clusterAutoscalerVersion"
    if a.cluster_autoscaler_version is not None:
        m = re.fullmatch(r"v(\d+)\.(\d+)\.(\d+)", a.cluster_autoscaler_version)
        if m is None:
            errors.append(
                f"{at}: {a.cluster_autoscaler_version!r} is not a Cluster Autoscaler release tag such as v1.35.2"
            )
        elif f"{m[1]}.{m[2]}" != minor:
            errors.append(
                f"{at}: {a.cluster_autoscaler_version} is for Kubernetes {m[1]}.{m[2]}, and the cluster runs {minor}: "
                "the Cluster Autoscaler's minor must be the cluster's (kubernetes/autoscaler compatibility policy)"
            )
    elif minor not in versions.CLUSTER_AUTOSCALER:
        errors.append(
            f"{PROJECT}:cluster.version: {minor!r} has no Cluster Autoscaler pinned (pinned: "
            f"{', '.join(versions.CLUSTER_AUTOSCALER)}, components/versions.py); set {at} to its release "
            f"for {minor} (registry.k8s.io/autoscaling/cluster-autoscaler:v{minor}.x)"
        )
