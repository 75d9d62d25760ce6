"""GKE's system node pool and engine compute-class: the features its GKE version must have, and
every fallback series of a pool's arch and offered where the cluster runs."""

from __future__ import annotations

from collections.abc import Sequence

from ... import names
from ...catalog import gcp, lifecycle
from ..base import PROJECT, _Context, version_known
from ..instance_types import instance_type_problem
from ..pools import NodePool
from . import Autoscaling


def _check_system_pool(ctx: _Context, a: Autoscaling, pools: Sequence[NodePool], errors: list[str]) -> None:
    """GKE's system node pool: a machine type of the catalog, away from the build pools' names."""
    at = f"{PROJECT}:autoscaling.systemPool"
    if a.system_pool is not None and ctx.platform != "gke":
        where = "autoscaling.karpenter.systemPool with engine karpenter" if ctx.platform == "eks" else "none"
        errors.append(f"{at}: only for platform gke (on {ctx.platform}: {where})")
        return
    if ctx.platform != "gke" or not a.gke_system_pool.enabled:
        return
    system = a.gke_system_pool
    if system.min_size > system.max_size:
        errors.append(f"{at}.minSize: {system.min_size} is greater than maxSize {system.max_size}")
    if system.capacity_type != "ON_DEMAND":
        errors.append(
            f"{at}.capacityType: {system.capacity_type}: the controllers' pool is on-demand (Spot would evict them)"
        )
    errors += system.unlisted_problems(at, "gke")
    if ctx.catalog and not system.unlisted_instance_type:
        problem = instance_type_problem(ctx, system.type_on("gke"), None)
        if problem:
            errors.append(f"{at}.instanceType: {problem.replace('on the pool', 'on the system pool')}")
    for pool in pools:
        if pool.name == names.SYSTEM_POOL:
            errors.append(
                f"{PROJECT}:nodePools[{pool.name}].name: {pool.name!r} is the system node pool's name; choose another "
                f"name for this build pool, or set {at}.enabled: false"
            )


def _check_compute_classes(ctx: _Context, a: Autoscaling, pools: Sequence[NodePool], errors: list[str]) -> None:
    """engine compute-class: GKE only, every build pool idles at zero, the features it uses exist
    at the cluster's GKE version, and every fallback family is of the pool's arch and offered there."""

    at = f"{PROJECT}:autoscaling"
    if ctx.platform is not None and ctx.platform != "gke":
        other = "the Cluster Autoscaler or Karpenter" if ctx.platform == "eks" else "OpenShift's ClusterAutoscaler"
        errors.append(
            f"{at}.engine: compute-class is for platform gke (GKE ComputeClasses); on {ctx.platform} the pools are "
            f"scaled by {other}: remove engine or set it to "
            f"{'cluster-autoscaler or karpenter' if ctx.platform == 'eks' else 'cluster-autoscaler'}"
        )
        return
    if not a.enabled:
        errors.append(f"{at}.enabled: false with engine compute-class: GKE's autoscaler creates the nodes; enable it")
    if not a.gke_system_pool.enabled:
        errors.append(
            f"{at}.systemPool.enabled: false with engine compute-class: every build pool idles at zero nodes, so the "
            "controllers need the system node pool; enable it"
        )
    if ctx.cluster is not None and version_known(ctx):
        version = ctx.cluster.kubernetes_version
        for feature, (floor, why) in lifecycle.GKE_FEATURES.items():
            if lifecycle.minor_key(version) < lifecycle.minor_key(floor):
                errors.append(
                    f"{PROJECT}:cluster.version: {version!r} is older than {floor}, the first GKE version with "
                    f"{feature} ({why}), which engine compute-class uses ({lifecycle.GKE_FEATURES_SOURCE})"
                )
                break
    location = ctx.cluster.location if ctx.cluster else None
    for pool in pools:
        pool_at = f"{PROJECT}:nodePools[{pool.name}]"
        if pool.min_size != 0:
            errors.append(
                f"{pool_at}.minSize: {pool.min_size} with engine compute-class: GKE creates the class's nodes for the "
                "builds and removes them after; set minSize: 0 (the system node pool runs the controllers)"
            )
        if pool.desired_size is not None:
            errors.append(
                f"{pool_at}.desiredSize: not used with engine compute-class (nodes come and go with the jobs)"
            )
        if pool.instance_types:
            errors.append(
                f"{pool_at}.instanceTypes: not used with engine compute-class; name machine series in instanceFamilies"
            )
        for i, family in enumerate(pool.instance_families):
            series = gcp.SERIES.get(family)
            key = f"{pool_at}.instanceFamilies[{i}]"
            if series is None:
                errors.append(
                    f"{key}: {family!r} is not a machine series GKE pools may use (series: "
                    f"{', '.join(sorted(gcp.SERIES))}; {gcp.SOURCE})"
                )
            elif series.arch != pool.arch:
                errors.append(
                    f"{key}: {family!r} is an {series.arch} series, but the pool's arch is {pool.arch}: its "
                    f"ComputeClass would launch {series.arch} nodes for {pool.arch} builds ({gcp.SOURCE})"
                )
            elif location and ctx.location_known and not gcp.offered_in(series, location):
                errors.append(
                    f"{key}: {family!r} ({series.display}) is not offered in {location}; {family.upper()} is "
                    f"offered in {gcp.locations(series)} ({gcp.SOURCE})"
                )
