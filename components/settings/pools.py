"""The node pools: their shape, their instance or machine type against the catalog
(`components/catalog/`), their labels and taints against Kubernetes' syntax and the platform's API,
and the per-platform rules (AMI types, boot disks, where an arm64 series is offered)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, field_validator

from .. import arch, limits, versions
from ..catalog import api, gcp
from .base import (
    _DNS_LABEL,
    PROJECT,
    CapacityType,
    Pending,
    _Context,
    _Model,
    _validate,
)
from .instance_types import _check_catalog, _check_pool_for_platform


class Taint(_Model):
    key: str = Field(min_length=1)
    value: str = ""
    effect: arch.TaintEffect


class NodeCapacity(_Model):
    """The vCPU and memory of an instance type the catalog does not list (`unlistedInstanceType`)."""

    vcpu: int = Field(ge=1)
    memory_mib: int = Field(ge=1, alias="memoryMiB")


_ARCH_ALIASES = {"x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64", "arm": "arm64"}


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
    ami_id: str | Pending | None = None  # openshift: RHCOS (an Output is checked when it resolves)

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
    def _ami_shape(cls, v: str | Pending | None) -> str | Pending | None:
        problem = isinstance(v, str) and v and limits.ec2_id_problem(v, "ami")
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


# --- per platform ------------------------------------------------------------------------------
