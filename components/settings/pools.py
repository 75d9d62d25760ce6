"""The cluster and its node pools: shapes, the per-platform rules, and the clouds' limits on the
names the stack derives from them (`components/names.py`, `components/limits.py`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import (
    Field,
    field_validator,
)
from pydantic.alias_generators import to_camel

from components import arch, limits, names, regions, versions
from components.settings.autoscaling import Autoscaling
from components.settings.base import (
    _DNS_LABEL,
    PROJECT,
    CapacityType,
    _Context,
    _minor,
    _Model,
    _no_numbers,
    _validate,
)
from components.settings.storage import Storage
from components.settings.workloads import Qemu


class Taint(_Model):
    key: str = Field(min_length=1)
    value: str = ""
    effect: arch.TaintEffect


_ARCH_ALIASES = {"x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64", "arm": "arm64"}


class NodePool(_Model):
    """One node pool: exactly one architecture."""

    name: Annotated[str, Field(pattern=_DNS_LABEL, max_length=40)]
    arch: arch.Arch
    instance_type: str = Field(min_length=1)
    instance_types: tuple[str, ...] = ()  # engine karpenter: more types the NodePool may launch
    min_size: int = Field(default=1, ge=0)
    max_size: int = Field(default=3, ge=1)
    desired_size: int | None = Field(default=None, ge=0)  # default: minSize
    capacity_type: CapacityType = "ON_DEMAND"
    labels: dict[str, str] = Field(default_factory=dict)
    taints: tuple[Taint, ...] = ()
    disk_size: int = Field(default=versions.DEFAULT_NODE_DISK_GIB, ge=20)  # GiB
    ami_type: str | None = None  # eks: default AL2023 for the arch
    ami_id: str | None = Field(default=None, pattern=r"^ami-[0-9a-f]{8,17}$")  # openshift: RHCOS

    @field_validator("arch", mode="before")
    @classmethod
    def _kubernetes_vocabulary(cls, v: Any) -> Any:
        if isinstance(v, str) and v in _ARCH_ALIASES:
            raise ValueError(
                f"{v!r} is not Kubernetes' name for it: use {_ARCH_ALIASES[v]!r} (expected amd64 or arm64)"
            )
        return v

    @property
    def all_instance_types(self) -> tuple[str, ...]:
        """`instanceType` first, then `instanceTypes`, each once."""
        return tuple(dict.fromkeys((self.instance_type, *self.instance_types)))

    @property
    def initial_size(self) -> int:
        return self.desired_size if self.desired_size is not None else self.min_size


class Cluster(_Model):
    name: Annotated[str, Field(pattern=r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$")]
    version: str | None = None  # eks/gke: default versions.DEFAULT_KUBERNETES_VERSION
    create: bool = True
    vpc_id: str | None = Field(default=None, pattern=r"^vpc-[0-9a-f]{8,17}$")
    subnet_ids: tuple[str, ...] = ()
    endpoint_public_access: bool = True
    public_access_cidrs: tuple[str, ...] = ("0.0.0.0/0",)
    location: str | None = None
    infrastructure_name: str | None = None
    zones: tuple[str, ...] = ()
    unlisted_region: bool = False  # the region is newer than components/regions.py: skip that check

    _version_not_number = field_validator("version", mode="before")(_no_numbers)

    @field_validator("version")
    @classmethod
    def _version_shape(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"1\.\d{2}", v):
            raise ValueError(f'{v!r} is not a Kubernetes minor version such as "1.33"')
        return v

    @field_validator("subnet_ids")
    @classmethod
    def _subnet_shape(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [s for s in v if not re.fullmatch(r"subnet-[0-9a-f]{8,17}", s)]
        if bad:
            raise ValueError(f"{', '.join(map(repr, bad))}: expected subnet ids (subnet-0123abcd...)")
        return v

    @property
    def kubernetes_version(self) -> str:
        return self.version or versions.DEFAULT_KUBERNETES_VERSION


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
        for key in (arch.ARCH_LABEL, "beta.kubernetes.io/arch", "node.kubernetes.io/instance-type"):
            if key in pool.labels:
                errors.append(f"{at}.labels.{key}: set by the kubelet from the node itself; remove it")
        if ctx.cloud is not None and ctx.catalog:
            try:
                actual = arch.arch_of(ctx.cloud, pool.instance_type)
            except arch.UnknownInstanceFamilyError as exc:
                errors.append(f"{at}.instanceType: {exc}")
            else:
                if actual != pool.arch:
                    errors.append(
                        f"{at}.instanceType: {pool.instance_type} is an {actual} instance type, "
                        f"but the pool's arch is {pool.arch} (choose an {pool.arch} type or set arch: {actual})"
                    )
        if ctx.cloud is not None:
            _check_pool_for_platform(ctx, pool, at, errors)


def _check_pool_for_platform(ctx: _Context, pool: NodePool, at: str, errors: list[str]) -> None:
    if ctx.platform == "eks":
        if pool.ami_id is not None:
            errors.append(f"{at}.amiId: only for platform openshift; EKS pools use amiType")
        if pool.ami_type is not None:
            facts = arch.EKS_AMI_TYPES.get(pool.ami_type)
            version = ctx.cluster.kubernetes_version if ctx.cluster else None
            if facts is None:
                errors.append(
                    f"{at}.amiType: {pool.ami_type!r} is not an EKS AMI type; expected one of "
                    + ", ".join(arch.EKS_AMI_TYPES)
                )
            elif facts.arch != pool.arch:
                errors.append(
                    f"{at}.amiType: {pool.ami_type} is an {facts.arch} AMI type, but the pool's arch is {pool.arch}"
                )
            elif facts.end_of_life and version and _minor(version) > versions.EKS_AL2_LAST_MINOR:
                errors.append(
                    f"{at}.amiType: {pool.ami_type} has no AMIs for Kubernetes {version} "
                    f"(AL2 is end of life); use {arch.default_eks_ami_type(pool.arch)}"
                )
    elif ctx.platform == "gke":
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
        location = ctx.cluster.location if ctx.cluster else None
        unlisted = ctx.cluster is not None and ctx.cluster.unlisted_region
        known = location and (regions.gcp_region_of(location) in regions.GCP_REGIONS or unlisted)
        if (
            location
            and known
            and arch.family_of(arch.Cloud.GCP, pool.instance_type) == "t2a"
            and not arch.t2a_offered_in(location)
        ):
            errors.append(
                f"{at}.instanceType: {pool.instance_type} (Tau T2A) is not offered in {location}; "
                f"T2A is offered in {arch.t2a_locations()}"
            )
    elif ctx.platform == "openshift":
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


def _check_platform(ctx: _Context, gcp_project: str | None, errors: list[str]) -> None:
    c = ctx.cluster
    at = f"{PROJECT}:cluster"
    if ctx.platform in ("eks", "openshift") and not ctx.aws_region:
        errors.append(f"aws:region: required for platform {ctx.platform} (pulumi config set aws:region eu-west-3)")
    if ctx.platform == "gke" and not gcp_project:
        errors.append("gcp:project: required for platform gke (pulumi config set gcp:project my-project)")
    if c is None:
        return

    def unused(*keys: str) -> None:
        for key in keys:
            if key in c.model_fields_set or to_camel(key) in c.model_fields_set:
                errors.append(f"{at}.{to_camel(key)}: not used on platform {ctx.platform}")

    if ctx.platform == "eks":
        if c.create and len(c.subnet_ids) < 2:
            errors.append(
                f"{at}.subnetIds: {list(c.subnet_ids)} has {len(c.subnet_ids)} subnet(s); EKS needs "
                "private subnets in at least two availability zones"
            )
        unused("location", "infrastructure_name", "zones")
    elif ctx.platform == "gke":
        if not c.location:
            errors.append(f"{at}.location: required for platform gke (a region such as europe-west4, or a zone)")
        unused("vpc_id", "subnet_ids", "infrastructure_name", "zones")
    elif ctx.platform == "openshift":
        if not c.infrastructure_name:
            errors.append(
                f"{at}.infrastructureName: required on openshift; find it with "
                "`oc get infrastructure cluster -o jsonpath='{.status.infrastructureName}'`"
            )
        if not c.zones:
            errors.append(
                f"{at}.zones: required on openshift: the availability zones for the MachineSets, "
                "e.g. [eu-west-3a, eu-west-3b]"
            )
        if ctx.aws_region:
            bad = [z for z in c.zones if not z.startswith(ctx.aws_region)]
            if bad:
                errors.append(f"{at}.zones: {', '.join(bad)} not in aws:region {ctx.aws_region}")
        if len(set(c.zones)) != len(c.zones):
            errors.append(f"{at}.zones: {list(c.zones)} lists a zone twice")
        unused("version", "location", "subnet_ids")


def _derived_names(
    ctx: _Context, pools: Sequence[NodePool], storage: Storage, autoscaling: Autoscaling
) -> list[tuple[str, str, str, str, str]]:
    """(config key, configured value, what it names, derived name, limit) for every derived name."""
    c = ctx.cluster
    out: list[tuple[str, str, str, str, str]] = []
    if c is None:
        return out
    key = f"{PROJECT}:cluster.name"
    if ctx.platform == "eks":
        out.append((key, c.name, "EKS cluster", c.name, "eks-cluster"))
        if c.create:
            out.append((key, c.name, "IAM role", names.eks_cluster_role(c.name), "iam-role"))
        out.append((key, c.name, "IAM role", names.eks_node_role(c.name), "iam-role"))
        if autoscaling.uses_karpenter:
            out.append((key, c.name, "IAM role", names.karpenter_controller_role(c.name), "iam-role"))
            out.append((key, c.name, "IAM role", names.karpenter_node_role(c.name), "iam-role"))
            for part in names.KARPENTER_POLICIES:
                out.append((key, c.name, "IAM policy", names.karpenter_policy(c.name, part), "iam-policy"))
            out.append((key, c.name, "SQS queue", names.karpenter_queue(c.name), "sqs-queue"))
            for event in names.KARPENTER_EVENTS:
                out.append((key, c.name, "EventBridge rule", names.karpenter_rule(c.name, event), "eventbridge-rule"))
            system = names.eks_node_group(c.name, names.SYSTEM_POOL)
            out.append((key, c.name, "node group", system, "eks-node-group"))
        elif autoscaling.enabled:
            out.append((key, c.name, "IAM role", names.autoscaler_role(c.name), "iam-role"))
        efs = storage.efs
        if efs is not None and efs.enabled:
            out.append((key, c.name, "IAM role", names.efs_csi_role(c.name), "iam-role"))
            if not efs.adopted:
                out.append((key, c.name, "security group", names.efs_security_group(c.name), "security-group"))
        for pool in pools:
            at = f"{PROJECT}:nodePools[{pool.name}].name"
            if autoscaling.uses_karpenter:  # a NodePool: a cluster-scoped Kubernetes object
                out.append((at, pool.name, "Karpenter NodePool", pool.name, "object"))
                continue
            group = names.eks_node_group(c.name, pool.name)
            out.append((key, c.name, "node group", group, "eks-node-group"))
            out.append((at, pool.name, "node group", group, "eks-node-group"))
    elif ctx.platform == "gke":
        out.append((key, c.name, "GKE cluster", c.name, "gke-cluster"))
        for pool in pools:
            at = f"{PROJECT}:nodePools[{pool.name}].name"
            out.append((at, pool.name, "GKE node pool", pool.name, "gke-node-pool"))
    elif ctx.platform == "openshift" and c.infrastructure_name:
        for pool in pools:
            at = f"{PROJECT}:nodePools[{pool.name}].name"
            for zone in c.zones:
                machine_set = names.machine_set(c.infrastructure_name, pool.name, zone)
                out.append((at, pool.name, "MachineSet (and its machines' label)", machine_set, "label-value"))
    return out


def _check_limits(
    ctx: _Context, pools: Sequence[NodePool], storage: Storage, autoscaling: Autoscaling, errors: list[str]
) -> None:
    """The clouds' limits: derived names, regions, CIDRs, subnets, sizes (`components/limits.py`)."""
    c = ctx.cluster
    reported: set[str] = set()
    by_key: dict[str, list[tuple[str, str, str, str, str]]] = {}
    for entry in _derived_names(ctx, pools, storage, autoscaling):
        by_key.setdefault(entry[0], []).append(entry)
    for key, entries in by_key.items():  # cluster.name first: a pool is not blamed for a long cluster name
        if key != f"{PROJECT}:cluster.name" and f"{PROJECT}:cluster.name" in reported:
            continue
        # One line per key: the derived name that limits it most.
        worst = None
        for _, value, what, derived, kind in entries:
            limit = limits.NAMES[kind]
            if limit.problem(derived) is None:
                continue
            room = limit.max_length - (len(derived) - len(value))
            if worst is None or room < worst[0]:
                worst = (room, value, what, derived, limit)
        if worst is None:
            continue
        reported.add(key)
        room, value, what, derived, limit = worst
        problem = limit.problem(derived)
        if len(derived) > limit.max_length:
            fix = (
                f"shorten it to at most {room} characters"
                if room >= 1
                else "the rest of that name already exceeds the limit"
            )
            errors.append(
                f"{key}: {value!r} makes the {what} name {derived!r} ({len(derived)} characters); {problem} ({fix})"
            )
        else:
            errors.append(f"{key}: {value!r} makes the {what} name {derived!r}; {problem}")
    if c is not None:
        _check_region(ctx, c, errors)
        at = f"{PROJECT}:cluster"
        for i, cidr in enumerate(c.public_access_cidrs):
            problem = limits.cidr_problem(cidr)
            if problem:
                errors.append(f"{at}.publicAccessCidrs[{i}]: {cidr!r} {problem}")
        for dup in sorted({s for s in c.subnet_ids if c.subnet_ids.count(s) > 1}):
            errors.append(f"{at}.subnetIds: {dup} is listed {c.subnet_ids.count(dup)} times; list each subnet once")
    for pool in pools:
        at = f"{PROJECT}:nodePools[{pool.name}].maxSize"
        if ctx.platform == "eks" and not autoscaling.uses_karpenter and pool.max_size > limits.EKS_MAX_NODES_PER_GROUP:
            errors.append(
                f"{at}: {pool.max_size} is above the {limits.EKS_MAX_NODES_PER_GROUP} nodes an EKS managed node group "
                "can hold (EKS service quota 'Nodes per managed node group'); split the pool"
            )
        if ctx.platform == "gke" and c is not None and c.location:
            zones = 1 if c.location.count("-") >= 2 else 3
            most = limits.GKE_MAX_NODES_PER_POOL_ZONE * zones
            if pool.max_size > most:
                errors.append(
                    f"{at}: {pool.max_size} is above the {most} nodes a GKE node pool can hold in {c.location} "
                    f"({limits.GKE_MAX_NODES_PER_POOL_ZONE} per zone, GKE quotas and limits)"
                )


def _check_region(ctx: _Context, c: Cluster, errors: list[str]) -> None:
    if c.unlisted_region:
        return
    way_out = (
        f"check the spelling, or set {PROJECT}:cluster.unlistedRegion: true for a region newer than the list "
        f"(components/regions.py, as of {regions.REGIONS_AS_OF})"
    )
    if ctx.platform in ("eks", "openshift") and ctx.aws_region and ctx.aws_region not in regions.AWS_REGIONS:
        errors.append(f"aws:region: {ctx.aws_region!r} is not an AWS region; {way_out}")
    if ctx.platform == "gke" and c.location and regions.gcp_region_of(c.location) not in regions.GCP_REGIONS:
        errors.append(f"{PROJECT}:cluster.location: {c.location!r} is not in a Google Cloud region; {way_out}")


def _warnings(platform: str | None, pools: Sequence[NodePool], qemu: Qemu | None) -> tuple[str, ...]:
    out: list[str] = []
    if qemu is not None and qemu.enabled and platform == "eks":
        for pool in pools:
            facts = arch.EKS_AMI_TYPES.get(pool.ami_type or "")
            if facts is not None and not facts.binfmt_misc:
                out.append(
                    f"{PROJECT}:nodePools[{pool.name}].amiType: {pool.ami_type} has no binfmt_misc: qemu emulation "
                    "cannot be registered on these nodes; emulated builds will not run there"
                )
    return tuple(out)
