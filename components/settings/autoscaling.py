"""Who scales the pools: the Cluster Autoscaler (or OpenShift's, or GKE's own) or Karpenter (eks)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, Field
from pydantic.alias_generators import to_camel

from .. import arch, limits, names, scheduling, versions
from ..catalog import aws, lifecycle
from ..settings.base import _DURATION, PROJECT, CapacityType, _Context, _Model, version_known

if TYPE_CHECKING:
    from ..settings.pools import NodePool


Arch = arch.Arch


def _go_duration(value: str) -> str:
    ns = limits.go_duration_ns(value)
    if ns is not None and ns > limits.GO_DURATION_MAX_NS:
        raise ValueError(
            f"{value!r} overflows Go's time.Duration, which the autoscalers parse it into: at most 2562047h "
            f"({limits.GO_DURATION_SOURCE})"
        )
    return value


Duration = Annotated[str, Field(pattern=_DURATION), AfterValidator(_go_duration)]


class Range(_Model):
    min: int = Field(default=0, ge=0)
    max: int = Field(ge=1)


class AutoscalingLimits(_Model):
    """Cluster-wide bounds (the Cluster Autoscaler's --max-nodes-total / --cores-total / --memory-total)."""

    max_nodes_total: int = Field(default=50, ge=1)
    cores: Range = Range(min=0, max=400)
    memory_gib: Range = Range(min=0, max=1600)


Engine = Literal["cluster-autoscaler", "karpenter", "compute-class"]
KARPENTER: Engine = "karpenter"
COMPUTE_CLASS: Engine = "compute-class"


class SystemPool(_Model):
    """The small pool the cluster's controllers run on: Karpenter's system node group (eks, engine
    karpenter: `autoscaling.karpenter.systemPool`) or GKE's system node pool (`autoscaling.systemPool`,
    on by default), so that every build pool can idle at zero nodes.

    Nothing autoscales it on EKS: it keeps `minSize` nodes; `maxSize` is the room for scaling it by
    hand (GKE's autoscaler keeps it within both). Its nodes are tainted CriticalAddonsOnly, so builds
    never land there.
    """

    enabled: bool = True  # gke: false keeps the older layout (the controllers share the build pools)
    instance_type: str = Field(default="", min_length=0)  # default: t4g.medium (eks), e2-medium (gke)
    unlisted_instance_type: bool = False  # newer than components/catalog: skip its checks
    arch: Arch | None = None  # default: the instance type's (required with unlistedInstanceType)
    min_size: int = Field(default=1, ge=1)
    max_size: int = Field(default=2, ge=1)
    capacity_type: CapacityType = "ON_DEMAND"
    disk_size: int = Field(default=20, ge=20)  # GiB: controllers only, no image layers

    def type_on(self, platform: str | None) -> str:
        return self.instance_type or (
            versions.GKE_SYSTEM_POOL_INSTANCE_TYPE if platform == "gke" else versions.SYSTEM_POOL_INSTANCE_TYPE
        )


class Karpenter(_Model):
    """Karpenter's knobs (engine karpenter)."""

    # How long an empty or underused node stays: a burst's nodes wait this long for the next jobs.
    consolidate_after: Duration = "5m"
    # How long a node Karpenter wants gone (expired, drifted) may keep running builds before it is
    # drained anyway (do-not-disrupt holds it until then). Default: the longest build timeout (the
    # CI jobs', the PipelineRuns') plus a margin; never unbounded.
    termination_grace_period: Duration | None = None
    system_pool: SystemPool = SystemPool()
    # The AL2023 release the nodes boot (al2023@vYYYYMMDD); default: versions.KARPENTER_AMI_ALIASES for
    # the cluster's minor. Set it for a minor newer than that table.
    ami_alias: str | None = None


# Node label keys a NodePool's template may not set: Karpenter's own (its CRD's CEL rules refuse most,
# the API server evaluates them, jsonschema does not; the rest would contradict what Karpenter launched).
KARPENTER_RESERVED_LABEL_DOMAINS = ("karpenter.sh", "karpenter.k8s.aws")
KARPENTER_RESERVED_LABELS = ("kubernetes.io/hostname",)


def karpenter_reserved_label(key: str) -> bool:
    domain = key.split("/", 1)[0] if "/" in key else ""
    return key in KARPENTER_RESERVED_LABELS or domain.endswith(KARPENTER_RESERVED_LABEL_DOMAINS)


# Keys only the Cluster Autoscaler (or OpenShift's) reads: refused with engine karpenter.
CLUSTER_AUTOSCALER_KEYS = (
    "expander", "scale_down_delay_after_add", "scale_down_unneeded_time", "limits", "cluster_autoscaler_version",
)  # fmt: skip


class Autoscaling(_Model):
    """Who scales the pools between minSize and maxSize."""

    enabled: bool = True
    engine: Engine = (
        "cluster-autoscaler"  # eks: karpenter; gke: compute-class (GKE ComputeClasses, node pools auto-created)
    )
    karpenter: Karpenter | None = None  # engine karpenter: default Karpenter()
    system_pool: SystemPool | None = None  # gke: the system node pool, on by default
    expander: Literal["least-waste", "random", "most-pods", "priority", "price"] = "least-waste"
    scale_down_delay_after_add: Duration = "10m"  # a burst's nodes stay a while
    scale_down_unneeded_time: Duration = "10m"
    # eks: the Cluster Autoscaler release (image tag, vX.Y.Z) when the cluster's minor is newer than
    # versions.CLUSTER_AUTOSCALER; its minor must be the cluster's.
    cluster_autoscaler_version: str | None = None
    profile: Literal["OPTIMIZE_UTILIZATION", "BALANCED"] = "OPTIMIZE_UTILIZATION"  # gke
    limits: AutoscalingLimits = AutoscalingLimits()

    @property
    def uses_karpenter(self) -> bool:
        return self.enabled and self.engine == KARPENTER

    @property
    def uses_compute_classes(self) -> bool:
        return self.enabled and self.engine == COMPUTE_CLASS

    @property
    def gke_system_pool(self) -> SystemPool:
        return self.system_pool or SystemPool()

    @property
    def karpenter_settings(self) -> Karpenter:
        return self.karpenter or Karpenter()

    def cluster_autoscaler_tag(self, kubernetes_version: str) -> str:
        """The Cluster Autoscaler image tag for the cluster's minor (the settings checked one exists)."""
        return self.cluster_autoscaler_version or versions.CLUSTER_AUTOSCALER[kubernetes_version][1]


def karpenter_ami_alias(k: Karpenter, kubernetes_version: str) -> str:
    """The AL2023 alias Karpenter's nodes boot: the configured one, else the pin for the minor."""
    return k.ami_alias or versions.KARPENTER_AMI_ALIASES[kubernetes_version]


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
    if ctx.platform in ("eks", "openshift") and cluster_autoscaler and ctx.pools_complete:
        _check_totals(ctx, a, pools, errors)
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
    if ctx.catalog and not system.unlisted_instance_type:
        from ..settings.pools import instance_type_problem

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
    from ..catalog import gcp

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
            elif location and not gcp.offered_in(series, location):
                errors.append(
                    f"{key}: {family!r} ({series.display}) is not offered in {location}; {family.upper()} is "
                    f"offered in {gcp.locations(series)} ({gcp.SOURCE})"
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


def _node_size(pool: NodePool) -> tuple[int, int] | None:
    """(vCPU, memory MiB) of the pool's largest node, None when it is unknown (an unlisted type
    without nodeCapacity, or a type the catalog does not know: reported elsewhere)."""
    sizes = []
    for t in pool.all_instance_types:
        try:
            sizes.append(pool.aws_capacity(t))
        except (arch.UnknownInstanceTypeError, AssertionError):
            return None
    return max(sizes) if sizes else None


def _check_totals(ctx: _Context, a: Autoscaling, pools: Sequence[NodePool], errors: list[str]) -> None:
    """The autoscaler adds a node only while the cluster stays within its totals: each pool that may
    grow needs room for one more of its nodes above every pool's minimum (and, on OpenShift, the
    control plane, which its ClusterAutoscaler counts)."""
    at = f"{PROJECT}:autoscaling.limits"
    control_plane = limits.OPENSHIFT_CONTROL_PLANE_NODES if ctx.platform == "openshift" else 0
    sized = {p.name: _node_size(p) for p in pools}
    floor_nodes = sum(p.min_size for p in pools) + control_plane
    growing = [p for p in pools if p.max_size > p.min_size]
    counted = " and the 3 control plane nodes (OpenShift's ClusterAutoscaler counts them)" if control_plane else ""
    knob = "ClusterAutoscaler spec.resourceLimits" if control_plane else "Cluster Autoscaler --max-nodes-total"
    if growing and floor_nodes + 1 > a.limits.max_nodes_total:
        errors.append(
            f"{at}.maxNodesTotal: {a.limits.max_nodes_total} leaves no room to scale: the pools' minimum "
            f"sizes{counted} already make {floor_nodes} node{'s' if floor_nodes != 1 else ''}, and the autoscaler "
            "adds one only below maxNodesTotal; raise it to at "
            f"least {floor_nodes + 1} ({knob})"
        )
    known = {name: size for name, size in sized.items() if size is not None}
    if len(known) < len(sized) or not growing:
        return
    floor_cores = sum(p.min_size * known[p.name][0] for p in pools)
    floor_mib = sum(p.min_size * known[p.name][1] for p in pools)
    smallest_cpu = min(growing, key=lambda p: known[p.name][0])
    vcpu = known[smallest_cpu.name][0]
    if floor_cores + vcpu > a.limits.cores.max:
        need = floor_cores + vcpu
        errors.append(
            f"{at}.cores.max: {a.limits.cores.max} leaves no room for one more node: the pools at their minimum "
            f"sizes have {floor_cores} vCPU, and the smallest node that may be added ({smallest_cpu.name}, "
            f"{smallest_cpu.instance_type}, {vcpu} vCPU) makes {need}; raise it to at least {need} (the autoscaler's "
            f"cores total; {aws.source_note()})"
        )
    smallest_mem = min(growing, key=lambda p: known[p.name][1])
    mib = known[smallest_mem.name][1]
    if floor_mib + mib > a.limits.memory_gib.max * 1024:
        need = -(-(floor_mib + mib) // 1024)
        errors.append(
            f"{at}.memoryGib.max: {a.limits.memory_gib.max} leaves no room for one more node: the pools at their "
            f"minimum sizes have {floor_mib / 1024:g} GiB, and the smallest node that may be added "
            f"({smallest_mem.name}, {smallest_mem.instance_type}, {mib / 1024:g} GiB) makes "
            f"{(floor_mib + mib) / 1024:g}; "
            f"raise it to at least {need} (the autoscaler's memory total; {aws.source_note()})"
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
    k = a.karpenter_settings
    system = k.system_pool
    sys_at = f"{at}.karpenter.systemPool"
    if "enabled" in system.model_fields_set and not system.enabled:
        errors.append(f"{sys_at}.enabled: false with engine karpenter: its controller runs there; keep it")
    if system.min_size > system.max_size:
        errors.append(f"{sys_at}.minSize: {system.min_size} is greater than maxSize {system.max_size}")
    if system.unlisted_instance_type and system.arch is None:
        errors.append(f"{sys_at}.arch: required with unlistedInstanceType (amd64 or arm64: the catalog cannot say)")
    elif system.arch is not None and not system.unlisted_instance_type:
        errors.append(f"{sys_at}.arch: only with unlistedInstanceType (the catalog knows {system.type_on('eks')}'s)")
    if ctx.catalog and not system.unlisted_instance_type:
        _check_system_node(ctx, system, errors)
    if ctx.cluster is not None and version_known(ctx):
        _check_ami_alias(ctx.cluster.kubernetes_version, k, errors)
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


def _check_ami_alias(version: str, k: Karpenter, errors: list[str]) -> None:
    at = f"{PROJECT}:autoscaling.karpenter.amiAlias"
    if k.ami_alias is None:
        if version not in versions.KARPENTER_AMI_ALIASES:
            errors.append(
                f"{PROJECT}:cluster.version: {version!r} has no Karpenter AMI alias pinned (pinned: "
                f"{', '.join(versions.KARPENTER_AMI_ALIASES)}, components/versions.py); set {at} to an AL2023 "
                f"release that has AMIs for {version}, such as al2023@vYYYYMMDD (awslabs/amazon-eks-ami releases)"
            )
        return
    if lifecycle.AMI_ALIAS.fullmatch(k.ami_alias) is None:
        errors.append(
            f"{at}: {k.ami_alias!r} is not an AL2023 alias: expected al2023@vYYYYMMDD (or al2023@latest) "
            "(Karpenter EC2NodeClass amiSelectorTerms alias)"
        )
    elif lifecycle.alias_covers(k.ami_alias, version) is False:
        release = k.ami_alias.split("@", 1)[1]
        low, high = lifecycle.AL2023_RELEASES[release]
        errors.append(
            f"{at}: {k.ami_alias} has AMIs for Kubernetes {low} to {high}, not for cluster.version {version}: "
            f"Karpenter would find no image and launch no node; choose a release that covers {version} "
            "(components/catalog/lifecycle.py, awslabs/amazon-eks-ami releases)"
        )


def _check_system_node(ctx: _Context, system: SystemPool, errors: list[str]) -> None:
    """The system node's type exists, and one node holds the controllers and DaemonSets it carries."""
    key = f"{PROJECT}:autoscaling.karpenter.systemPool.instanceType"
    from ..settings.pools import instance_type_problem

    problem = instance_type_problem(ctx, system.type_on("eks"), None)
    if problem:
        errors.append(f"{key}: {problem.replace('on the pool', 'on the system pool')}")
        return
    t = aws.lookup(system.type_on("eks"))
    assert t is not None
    cpu, memory = limits.eks_allocatable(t.vcpu, t.memory_mib, t.eks_max_pods)
    pods = len(scheduling.SYSTEM_NODE_PODS)
    want_cpu = sum(c for _, c, _ in scheduling.SYSTEM_NODE_PODS)
    want_mib = sum(m for _, _, m in scheduling.SYSTEM_NODE_PODS)
    short = []
    if t.eks_max_pods < pods:
        short.append(f"it runs at most {t.eks_max_pods} pods, and a system node runs {pods}")
    if memory < want_mib:
        short.append(f"it leaves {max(memory, 0)} MiB to pods, and they request {want_mib} MiB")
    if cpu < want_cpu:
        short.append(f"it leaves {cpu}m CPU to pods, and they request {want_cpu}m")
    if short:
        errors.append(
            f"{key}: {system.type_on('eks')!r} is too small for the system node: {'; '.join(short)} (Karpenter "
            f"{scheduling.KARPENTER_CONTROLLER_REQUESTS['memory']}, CoreDNS, the node agents; "
            f"{limits.EKS_RESERVATION_SOURCE}; "
            f"{aws.source_note()}); choose a larger type, such as {versions.SYSTEM_POOL_INSTANCE_TYPE}"
        )
