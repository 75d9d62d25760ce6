"""The node pools: their shape, their instance or machine type against the catalog
(`components/catalog/`), their labels and taints against Kubernetes' syntax and the platform's API,
and the per-platform rules (AMI types, boot disks, where an arm64 series is offered)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import Field, field_validator

from .. import arch, limits, regions, versions
from ..catalog import api, aws, gcp, lifecycle
from ..settings.base import (
    _DNS_LABEL,
    PROJECT,
    CapacityType,
    _Context,
    _minor,
    _Model,
    _validate,
)
from ..settings.workloads import Qemu


class Taint(_Model):
    key: str = Field(min_length=1)
    value: str = ""
    effect: arch.TaintEffect


class NodeCapacity(_Model):
    """The vCPU and memory of an instance type the catalog does not list (`unlistedInstanceType`)."""

    vcpu: int = Field(ge=1)
    memory_mib: int = Field(ge=1, alias="memoryMiB")


_ARCH_ALIASES = {"x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64", "arm": "arm64"}
_UNLISTED = f"a type newer than the catalog: set {aws.UNLISTED_KEY}: true on the pool"


class NodePool(_Model):
    """One node pool: exactly one architecture."""

    name: Annotated[str, Field(pattern=_DNS_LABEL, max_length=40)]
    arch: arch.Arch
    instance_type: str = Field(min_length=1)
    instance_types: tuple[str, ...] = ()  # engine karpenter: more types the NodePool may launch
    # engine karpenter: families to fall back across, at instanceType's size (m8g, m7g, m6g);
    # engine compute-class: machine series in priority order (c4a, n4a, t2a)
    instance_families: tuple[str, ...] = ()
    capacity_types: tuple[CapacityType, ...] = ()  # karpenter / compute-class: e.g. [SPOT, ON_DEMAND], Spot first
    unlisted_instance_type: bool = False  # the type is newer than components/catalog: skip those checks
    node_capacity: NodeCapacity | None = None  # with unlistedInstanceType: its vCPU and memory
    min_size: int = Field(default=1, ge=0)
    max_size: int = Field(default=3, ge=1)
    desired_size: int | None = Field(default=None, ge=0)  # default: minSize
    capacity_type: CapacityType = "ON_DEMAND"
    labels: dict[str, str] = Field(default_factory=dict)
    taints: tuple[Taint, ...] = ()
    disk_size: int = Field(default=versions.DEFAULT_NODE_DISK_GIB, ge=20)  # GiB
    disk_type: str | None = None  # gke: boot disk type, default the series' (pd-balanced or hyperdisk-balanced)
    ami_type: str | None = None  # eks: default AL2023 for the arch
    ami_id: str | None = None  # openshift: RHCOS

    @field_validator("arch", mode="before")
    @classmethod
    def _kubernetes_vocabulary(cls, v: Any) -> Any:
        if isinstance(v, str) and v in _ARCH_ALIASES:
            raise ValueError(
                f"{v!r} is not Kubernetes' name for it: use {_ARCH_ALIASES[v]!r} (expected amd64 or arm64)"
            )
        return v

    @field_validator("ami_id")
    @classmethod
    def _ami_shape(cls, v: str | None) -> str | None:
        problem = v and limits.ec2_id_problem(v, "ami")
        if problem:
            raise ValueError(f"{v!r} is not an AMI id: {problem}")
        return v

    @property
    def family_types(self) -> tuple[str, ...]:
        """Each of `instanceFamilies` at `instanceType`'s size: EC2 m8g, m7g at 2xlarge; on GKE each
        series at the same shape where the series comes in it (c4a, t2a at standard-8)."""
        _, dot, size = self.instance_type.partition(".")
        if dot:
            return tuple(f"{f}.{size}" for f in self.instance_families)
        _, dash, shape = self.instance_type.partition("-")
        if not dash or gcp.lookup(self.instance_type) is None:
            return ()
        return tuple(f"{f}-{shape}" for f in self.instance_families if gcp.lookup(f"{f}-{shape}") is not None)

    @property
    def all_instance_types(self) -> tuple[str, ...]:
        """`instanceType` first, then `instanceTypes`, then the families' types, each once."""
        return tuple(dict.fromkeys((self.instance_type, *self.instance_types, *self.family_types)))

    @property
    def all_capacity_types(self) -> tuple[CapacityType, ...]:
        """`capacityTypes`, or `capacityType` alone."""
        return self.capacity_types or (self.capacity_type,)

    @property
    def initial_size(self) -> int:
        return self.desired_size if self.desired_size is not None else self.min_size

    def aws_capacity(self, instance_type: str) -> tuple[int, int]:
        """(vCPU, memory MiB) of one of the pool's EC2 types: the catalog's, or `nodeCapacity` for an
        unlisted one (the settings require it where it is needed)."""
        if self.unlisted_instance_type:
            assert self.node_capacity is not None, "checked by the settings"
            return self.node_capacity.vcpu, self.node_capacity.memory_mib
        m = arch.machine(arch.Cloud.AWS, instance_type)
        return m.vcpu, m.memory_mib

    def gke_boot_disk(self) -> str:
        """The boot disk type: the configured one, else the series' first (pd-balanced where supported)."""
        if self.disk_type:
            return self.disk_type
        machine = gcp.lookup(self.instance_type)
        return machine.series.boot_disks[0] if machine else "pd-balanced"


def _pool_list(raw: Any, errors: list[str]) -> list[NodePool]:
    """The pools that validate (the others are reported in `errors`)."""
    if not isinstance(raw, list):
        errors.append(
            f"{PROJECT}:nodePools: expected a list of pools (name, arch, instanceType, ...), got {type(raw).__name__}"
        )
        return []
    pools: list[NodePool] = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            errors.append(f"{PROJECT}:nodePools[{i}]: expected an object, got {item!r}")
            continue
        name = item.get("name")
        label = name if isinstance(name, str) and name else i
        pool = _validate(f"{PROJECT}:nodePools[{label}]", NodePool, item, errors)
        if pool is not None:
            pools.append(pool)
    return pools


def _check_pools(ctx: _Context, raw_pools: Any, pools: list[NodePool], errors: list[str]) -> None:
    if isinstance(raw_pools, list):
        if not raw_pools:
            errors.append(f"{PROJECT}:nodePools: at least one pool is required (one per architecture)")
        names = [p.get("name") for p in raw_pools if isinstance(p, dict)]
        for dup in sorted({n for n in names if isinstance(n, str) and names.count(n) > 1}):
            errors.append(
                f"{PROJECT}:nodePools[{dup}].name: {dup!r} is used by {names.count(dup)} pools; "
                "pool names must be unique (they name the cloud resources)"
            )
    for pool in pools:
        at = f"{PROJECT}:nodePools[{pool.name}]"
        if pool.min_size > pool.max_size:
            errors.append(f"{at}.minSize: {pool.min_size} is greater than maxSize {pool.max_size}")
        if pool.desired_size is not None and not pool.min_size <= pool.desired_size <= pool.max_size:
            errors.append(
                f"{at}.desiredSize: {pool.desired_size} is outside minSize..maxSize ({pool.min_size}..{pool.max_size})"
            )
        _check_labels(ctx, pool, at, errors)
        _check_taints(ctx, pool, at, errors)
        if ctx.cloud is not None and ctx.catalog:
            _check_catalog(ctx, pool, at, errors)
        if ctx.cloud is not None:
            _check_pool_for_platform(ctx, pool, at, errors)


# --- labels and taints -------------------------------------------------------------------------


def _check_labels(ctx: _Context, pool: NodePool, at: str, errors: list[str]) -> None:
    eks_key, eks_value = api.field("eks", "labelKey"), api.field("eks", "labelValue")
    karpenter = ctx.autoscaling is not None and ctx.autoscaling.uses_karpenter
    for key, value in pool.labels.items():
        where = f"{at}.labels.{key}"
        if key in (arch.ARCH_LABEL, "beta.kubernetes.io/arch", "node.kubernetes.io/instance-type"):
            errors.append(f"{where}: set by the kubelet from the node itself; remove it")
            continue
        problem = limits.label_key_problem(key)
        if problem:
            errors.append(f"{where}: {key!r} is not a Kubernetes label key: {problem} ({limits.K8S_LABEL_SOURCE})")
            continue
        problem = limits.label_value_problem(value)
        if problem:
            errors.append(f"{where}: {value!r} is not a Kubernetes label value: {problem} ({limits.K8S_LABEL_SOURCE})")
            continue
        if ctx.platform in ("eks", "gke") and not limits.kubelet_may_set(key):
            who = (
                "a Karpenter NodePool may not set them either (its CRD refuses them)"
                if karpenter
                else f"{ctx.platform.upper()} nodes get their labels from the kubelet: they would never register"
            )
            errors.append(
                f"{where}: the kubelet may not set labels of the kubernetes.io and k8s.io domains, and {who}; use a "
                f"domain of your own, such as multiarch.dev/ ({limits.KUBELET_LABEL_SOURCE})"
            )
            continue
        if ctx.platform == "eks" and not karpenter:
            problem = eks_key.length_problem(key)
            if problem:
                errors.append(f"{where}: the key {problem} for an EKS node group label ({eks_key.source})")
                continue
            problem = eks_value.length_problem(value)
            if problem:
                errors.append(
                    f"{where}: {value!r} {problem}: EKS node group label values are {int(eks_value.min or 0)} to "
                    f"{int(eks_value.max or 0)} characters ({eks_value.source})"
                )


def _check_taints(ctx: _Context, pool: NodePool, at: str, errors: list[str]) -> None:
    eks_key = api.field("eks", "taintKey")  # taintValue (0-63) is the Kubernetes label value's own bound
    seen: dict[tuple[str, str], int] = {}
    for i, taint in enumerate(pool.taints):
        where = f"{at}.taints[{i}]"
        problem = limits.label_key_problem(taint.key)
        if problem:
            errors.append(
                f"{where}.key: {taint.key!r} is not a Kubernetes taint key: {problem} ({limits.K8S_LABEL_SOURCE})"
            )
            continue
        problem = limits.label_value_problem(taint.value)
        if problem:
            errors.append(
                f"{where}.value: {taint.value!r} is not a Kubernetes taint value: {problem} ({limits.K8S_LABEL_SOURCE})"
            )
            continue
        if ctx.platform == "eks":
            problem = eks_key.length_problem(taint.key)
            if problem:
                errors.append(f"{where}.key: {taint.key!r} {problem} for an EKS taint key ({eks_key.source})")
                continue
        first = seen.setdefault((taint.key, taint.effect), i)
        if first != i:
            errors.append(
                f"{where}: {taint.key}:{taint.effect} is already taints[{first}]; a node has one taint per key and "
                "effect (Kubernetes taints): merge them"
            )


# --- the instance or machine type, against the catalog -----------------------------------------


def _check_catalog(ctx: _Context, pool: NodePool, at: str, errors: list[str]) -> None:
    if pool.unlisted_instance_type:
        needs_size = ctx.platform == "openshift" or (ctx.autoscaling is not None and ctx.autoscaling.uses_karpenter)
        if pool.node_capacity is None and needs_size:
            errors.append(
                f"{at}.nodeCapacity: required with {aws.UNLISTED_KEY} here: the catalog has no vCPU and memory for "
                f"{pool.instance_type}, and "
                f"{'the NodePool limits' if ctx.platform == 'eks' else 'the scale-from-zero annotations'} "
                "need them; state {vcpu, memoryMiB}"
            )
        return
    if pool.node_capacity is not None:
        errors.append(f"{at}.nodeCapacity: only with {aws.UNLISTED_KEY}: true (the catalog knows {pool.instance_type})")
    assert ctx.cloud is not None
    for i, instance_type in enumerate((pool.instance_type, *pool.instance_types)):
        key = f"{at}.instanceTypes[{i - 1}]" if i else f"{at}.instanceType"
        problem = instance_type_problem(ctx, instance_type, pool.arch)
        if problem:
            errors.append(f"{key}: {problem}")
    if ctx.cloud is arch.Cloud.AWS:
        for i, (family, instance_type) in enumerate(zip(pool.instance_families, pool.family_types, strict=True)):
            key = f"{at}.instanceFamilies[{i}]"
            family_arch = arch.aws_family_arch(family)
            if family_arch is None:
                errors.append(f"{key}: {family!r} is not an EC2 instance family ({aws.source_note()})")
            elif family_arch != pool.arch:
                errors.append(
                    f"{key}: {family!r} is an {family_arch} family, but the pool's arch is {pool.arch}: Karpenter "
                    f"would launch {family_arch} nodes for {pool.arch} builds ({aws.source_note()})"
                )
            elif (problem := instance_type_problem(ctx, instance_type, pool.arch)) is not None:
                errors.append(f"{key}: {family!r} at the size of instanceType: {problem}")


def instance_type_problem(ctx: _Context, instance_type: str, expected: arch.Arch | None) -> str | None:
    """What is wrong with an instance or machine type on this stack (None: nothing), ending with its
    source and, for a type the catalog does not know, the way out."""
    assert ctx.cloud is not None
    try:
        machine = arch.machine(ctx.cloud, instance_type)
    except arch.UnknownInstanceTypeError as exc:
        return f"{instance_type!r} {exc}" + (f"; {_UNLISTED}" if exc.unlistable else "")
    if ctx.cloud is arch.Cloud.GCP:
        return _gcp_problem(ctx, machine, expected)
    t = aws.lookup(instance_type)
    assert t is not None
    source = aws.source_note()
    if expected is not None and machine.arch != expected:
        return (
            f"{instance_type} is an {machine.arch} instance type, but the pool's arch is {expected} "
            f"(choose an {expected} type or set arch: {machine.arch}; {source})"
        )
    if not t.boots_from_ebs:
        return f"{instance_type!r} cannot boot from an EBS root volume, which every node of the stack has ({source})"
    region = ctx.aws_region
    zones = t.offered_zones(region) if region else None
    if region and zones is not None:
        if not zones:
            return (
                f"{instance_type!r} is not offered in {region} ({source}); if it is offered there now, set "
                f"{aws.UNLISTED_KEY}: true on the pool"
            )
        known = aws.catalog().zones_of(region) or frozenset()
        wanted = [z for z in (ctx.cluster.zones if ctx.cluster and ctx.platform == "openshift" else ()) if z in known]
        missing = [z for z in wanted if z not in zones]  # a zone that is not one is the zones' error
        if missing:
            return (
                f"{instance_type!r} is not offered in {', '.join(missing)} (in {region} only in "
                f"{', '.join(sorted(zones))}; {source}): list only those zones, or choose another type"
            )
    return None


def _gcp_problem(ctx: _Context, machine: arch.Machine, expected: arch.Arch | None) -> str | None:
    m = gcp.lookup(machine.name)
    assert m is not None
    if expected is not None and m.arch != expected:
        return (
            f"{m.name} is an {m.arch} machine type, but the pool's arch is {expected} "
            f"(choose an {expected} type or set arch: {m.arch}; {gcp.SOURCE})"
        )
    location = ctx.cluster.location if ctx.cluster else None
    unlisted = ctx.cluster is not None and ctx.cluster.unlisted_region
    known = location and (regions.gcp_location_known(location) or unlisted)
    if location and known and not gcp.offered_in(m.series, location):
        return (
            f"{m.name} ({m.series.display}) is not offered in {location}; {m.series.name.upper()} is offered "
            f"in {gcp.locations(m.series)} ({gcp.SOURCE}); if it is offered there now, set "
            f"{aws.UNLISTED_KEY}: true on the pool"
        )
    version = ctx.cluster.kubernetes_version if ctx.cluster else None
    if m.series.gke_from and version and lifecycle.minor_key(version) < lifecycle.minor_key(m.series.gke_from):
        return (
            f"{m.name!r}: GKE offers {m.series.display} node pools from {m.series.gke_from}, and "
            f"{PROJECT}:cluster.version is {version} ({gcp.SOURCE})"
        )
    return None


# --- per platform ------------------------------------------------------------------------------


def _check_pool_for_platform(ctx: _Context, pool: NodePool, at: str, errors: list[str]) -> None:
    if pool.disk_type is not None and ctx.platform != "gke":
        errors.append(f"{at}.diskType: only for platform gke (EKS and OpenShift nodes boot from gp3 volumes)")
    if ctx.platform in ("eks", "openshift") and pool.disk_size > limits.EBS_GP3_MAX_GIB:
        errors.append(
            f"{at}.diskSize: {pool.disk_size} GiB is above the {limits.EBS_GP3_MAX_GIB} GiB of a gp3 volume "
            "(EBS User Guide, volume types)"
        )
    if ctx.platform == "eks":
        _check_eks_pool(ctx, pool, at, errors)
    elif ctx.platform == "gke":
        _check_gke_pool(ctx, pool, at, errors)
    elif ctx.platform == "openshift":
        _check_openshift_pool(ctx, pool, at, errors)


def _check_eks_pool(ctx: _Context, pool: NodePool, at: str, errors: list[str]) -> None:
    if pool.ami_id is not None:
        errors.append(f"{at}.amiId: only for platform openshift; EKS pools use amiType")
    if pool.ami_type is None:
        return
    facts = arch.EKS_AMI_TYPES.get(pool.ami_type)
    version = ctx.cluster.kubernetes_version if ctx.cluster else None
    ami_types = api.field("eks", "AMITypes")
    if pool.ami_type not in ami_types.enum:
        errors.append(
            f"{at}.amiType: {pool.ami_type!r} is not an EKS AMI type; {ami_types.enum_problem(pool.ami_type)} "
            f"({ami_types.source})"
        )
    elif facts is None:
        errors.append(
            f"{at}.amiType: {pool.ami_type} is an EKS AMI type ({ami_types.source}), but not a Linux build node "
            f"image the stack supports; expected one of {', '.join(arch.EKS_AMI_TYPES)}"
        )
    elif facts.arch != pool.arch:
        errors.append(f"{at}.amiType: {pool.ami_type} is an {facts.arch} AMI type, but the pool's arch is {pool.arch}")
    elif facts.end_of_life and version and _minor(version) > versions.EKS_AL2_LAST_MINOR:
        errors.append(
            f"{at}.amiType: {pool.ami_type} has no AMIs for Kubernetes {version} "
            f"(AL2 is end of life); use {arch.default_eks_ami_type(pool.arch)}"
        )


def _check_gke_pool(ctx: _Context, pool: NodePool, at: str, errors: list[str]) -> None:
    if pool.ami_id is not None:
        errors.append(f"{at}.amiId: not used on platform gke (GKE pools use COS_CONTAINERD)")
    if pool.ami_type is not None:
        errors.append(f"{at}.amiType: not used on platform gke (GKE pools use COS_CONTAINERD)")
    for i, taint in enumerate(pool.taints):
        if taint.key == arch.ARCH_LABEL:
            errors.append(
                f"{at}.taints[{i}]: GKE taints arm64 nodes {arch.ARCH_LABEL}=arm64:NoSchedule by itself; "
                "do not declare it (it would fight GKE and never converge)"
            )
    machine = gcp.lookup(pool.instance_type)
    if pool.disk_type is None or machine is None or pool.unlisted_instance_type:
        return
    if pool.disk_type not in machine.series.boot_disks:
        errors.append(
            f"{at}.diskType: {pool.disk_type!r} is not a boot disk {machine.series.name.upper()} machines support; "
            f"expected {' or '.join(machine.series.boot_disks)} ({gcp.SOURCE})"
        )


def _check_openshift_pool(ctx: _Context, pool: NodePool, at: str, errors: list[str]) -> None:
    stream_arch = arch.ARCH_FACTS[pool.arch].openshift
    region = ctx.aws_region or "<region>"
    if pool.ami_id is None:
        errors.append(
            f"{at}.amiId: required on openshift: the RHCOS {stream_arch} AMI for {region}; find it with "
            "`oc get configmap/coreos-bootimages -n openshift-machine-config-operator "
            f"-o jsonpath='{{.data.stream}}' | jq -r '.architectures.{stream_arch}.images.aws.regions"
            f'."{region}".image' + "'`"
        )
    if pool.ami_type is not None:
        errors.append(f"{at}.amiType: only for platform eks; OpenShift pools use amiId")
    if pool.capacity_type != "ON_DEMAND":
        errors.append(f"{at}.capacityType: {pool.capacity_type} is not supported on openshift; use ON_DEMAND")


def _warnings(platform: str | None, pools: Sequence[NodePool], qemu: Qemu | None) -> list[str]:
    out: list[str] = []
    if qemu is not None and qemu.enabled and platform == "eks":
        for pool in pools:
            facts = arch.EKS_AMI_TYPES.get(pool.ami_type or "")
            if facts is not None and not facts.binfmt_misc:
                out.append(
                    f"{PROJECT}:nodePools[{pool.name}].amiType: {pool.ami_type} has no binfmt_misc: qemu emulation "
                    "cannot be registered on these nodes; emulated builds will not run there"
                )
    return out
