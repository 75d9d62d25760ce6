"""Who scales the pools: the Cluster Autoscaler (or OpenShift's, or GKE's own) or Karpenter (eks)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from pydantic import Field
from pydantic.alias_generators import to_camel

from components import arch, names, versions
from components.settings.base import _DURATION, PROJECT, CapacityType, _Context, _Model

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


Engine = Literal["cluster-autoscaler", "karpenter"]
KARPENTER: Engine = "karpenter"


class SystemPool(_Model):
    """The managed node group Karpenter and the cluster's controllers run on (engine karpenter).

    Nothing autoscales it: it keeps `minSize` nodes; `maxSize` is the room for scaling it by hand.
    Its nodes are tainted CriticalAddonsOnly, so builds never land there.
    """

    instance_type: str = Field(default=versions.SYSTEM_POOL_INSTANCE_TYPE, min_length=1)
    min_size: int = Field(default=1, ge=1)
    max_size: int = Field(default=2, ge=1)
    capacity_type: CapacityType = "ON_DEMAND"
    disk_size: int = Field(default=20, ge=20)  # GiB: controllers only, no image layers


class Karpenter(_Model):
    """Karpenter's knobs (engine karpenter)."""

    # How long an empty or underused node stays: a burst's nodes wait this long for the next jobs.
    consolidate_after: str = Field(default="5m", pattern=_DURATION)
    system_pool: SystemPool = SystemPool()


# Node label keys a NodePool's template may not set: Karpenter's own (its CRD's CEL rules refuse most,
# the API server evaluates them, jsonschema does not; the rest would contradict what Karpenter launched).
KARPENTER_RESERVED_LABEL_DOMAINS = ("karpenter.sh", "karpenter.k8s.aws")
KARPENTER_RESERVED_LABELS = ("kubernetes.io/hostname",)


def karpenter_reserved_label(key: str) -> bool:
    domain = key.split("/", 1)[0] if "/" in key else ""
    return key in KARPENTER_RESERVED_LABELS or domain.endswith(KARPENTER_RESERVED_LABEL_DOMAINS)


# Keys only the Cluster Autoscaler (or OpenShift's) reads: refused with engine karpenter.
CLUSTER_AUTOSCALER_KEYS = ("expander", "scale_down_delay_after_add", "scale_down_unneeded_time", "limits")


class Autoscaling(_Model):
    """Who scales the pools between minSize and maxSize."""

    enabled: bool = True
    engine: Engine = "cluster-autoscaler"  # eks: karpenter launches instances directly, pools idle at zero
    karpenter: Karpenter | None = None  # engine karpenter: default Karpenter()
    expander: Literal["least-waste", "random", "most-pods", "priority", "price"] = "least-waste"
    scale_down_delay_after_add: str = Field(default="10m", pattern=_DURATION)  # a burst's nodes stay a while
    scale_down_unneeded_time: str = Field(default="10m", pattern=_DURATION)
    profile: Literal["OPTIMIZE_UTILIZATION", "BALANCED"] = "OPTIMIZE_UTILIZATION"  # gke
    limits: AutoscalingLimits = AutoscalingLimits()

    @property
    def uses_karpenter(self) -> bool:
        return self.enabled and self.engine == KARPENTER

    @property
    def karpenter_settings(self) -> Karpenter:
        return self.karpenter or Karpenter()


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
    elif any(p.instance_types for p in pools):
        for pool in pools:
            if pool.instance_types:
                errors.append(
                    f"{PROJECT}:nodePools[{pool.name}].instanceTypes: only with {at}.engine karpenter "
                    "(a managed node group autoscaled by the Cluster Autoscaler has one instance type)"
                )
    if ctx.platform == "eks" and a.enabled and not a.uses_karpenter and ctx.cluster is not None:
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


def _check_karpenter(ctx: _Context, a: Autoscaling, pools: Sequence[NodePool], errors: list[str]) -> None:
    at = f"{PROJECT}:autoscaling"
    if a.engine != KARPENTER:
        errors.append(f"{at}.karpenter: only with {at}.engine karpenter (the engine is {a.engine})")
        return
    if ctx.platform is not None and ctx.platform != "eks":
        other = "GKE's cluster autoscaler" if ctx.platform == "gke" else "OpenShift's ClusterAutoscaler"
        errors.append(
            f"{at}.engine: karpenter is for platform eks (it launches EC2 instances for an EKS cluster); "
            f"on {ctx.platform} the pools are scaled by {other}: remove engine or set it to cluster-autoscaler"
        )
        return
    if not a.enabled:
        errors.append(f"{at}.enabled: false with engine karpenter: Karpenter is the autoscaler; enable it")
    for key in CLUSTER_AUTOSCALER_KEYS:
        if key in a.model_fields_set:
            errors.append(
                f"{at}.{to_camel(key)}: not used by engine karpenter (it consolidates after "
                f"{at}.karpenter.consolidateAfter; each NodePool's limits come from its pool's maxSize)"
            )
    system = a.karpenter_settings.system_pool
    sys_at = f"{at}.karpenter.systemPool"
    if system.min_size > system.max_size:
        errors.append(f"{sys_at}.minSize: {system.min_size} is greater than maxSize {system.max_size}")
    if ctx.catalog:
        try:
            arch.arch_of(arch.Cloud.AWS, system.instance_type)
        except arch.UnknownInstanceFamilyError as exc:
            errors.append(f"{sys_at}.instanceType: {exc}")
    if ctx.cluster is not None and not ctx.cluster.subnet_ids:
        errors.append(
            f"{PROJECT}:cluster.subnetIds: required with engine karpenter: the stack tags these subnets "
            f"karpenter.sh/discovery so Karpenter launches nodes into them; list the cluster's private subnets"
        )
    for pool in pools:
        pool_at = f"{PROJECT}:nodePools[{pool.name}]"
        if pool.name == names.SYSTEM_POOL:
            errors.append(
                f"{pool_at}.name: {pool.name!r} is the system node group's name with engine karpenter; "
                "choose another name for this build pool"
            )
        if pool.min_size != 0:
            errors.append(
                f"{pool_at}.minSize: {pool.min_size} with engine karpenter: Karpenter keeps no minimum, a "
                "build pool starts and idles at zero nodes; set minSize: 0 (the system pool runs the controllers)"
            )
        if pool.desired_size is not None:
            errors.append(f"{pool_at}.desiredSize: not used with engine karpenter (nodes come and go with the jobs)")
        for key in pool.labels:
            if karpenter_reserved_label(key):
                errors.append(
                    f"{pool_at}.labels.{key}: Karpenter sets its labels on its nodes itself "
                    f"({', '.join(d + '/*' for d in KARPENTER_RESERVED_LABEL_DOMAINS)}, "
                    f"{', '.join(KARPENTER_RESERVED_LABELS)}), and a NodePool may not set them; use a label of "
                    "your own domain (capacityType and instanceTypes choose what Karpenter launches)"
                )
        if ctx.catalog:
            for i, instance_type in enumerate(pool.all_instance_types):
                key = f"{pool_at}.instanceTypes[{i - 1}]" if i else f"{pool_at}.instanceType"
                if i:
                    try:
                        actual = arch.arch_of(arch.Cloud.AWS, instance_type)
                    except arch.UnknownInstanceFamilyError as exc:
                        errors.append(f"{key}: {exc}")
                        continue
                    if actual != pool.arch:
                        errors.append(
                            f"{key}: {instance_type} is an {actual} instance type, but the pool's arch is {pool.arch}"
                        )
                        continue
                if arch.aws_capacity(instance_type) is None:
                    errors.append(
                        f"{key}: {instance_type}: its vCPU and memory are not in components/arch.py, and the "
                        "NodePool's limits are derived from them; add the family there"
                    )
