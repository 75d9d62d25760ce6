"""A pool's instance or machine type against the catalog (`components/catalog/`): it exists, is of
the pool's arch, is offered where the cluster runs; and the per-platform rules (AMI types, boot
disks, the zones an arm64 series is offered in)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import arch, limits, names, regions, versions
from ..catalog import api, aws, gcp, lifecycle
from .base import PROJECT, _Context, _minor

if TYPE_CHECKING:
    from .pools import NodePool


_UNLISTED = f"a type newer than the catalog: set {aws.UNLISTED_KEY}: true on the pool"


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
    # The families at instanceType's size; an instanceType without a size is its own error.
    if ctx.cloud is arch.Cloud.AWS and len(pool.family_types) == len(pool.instance_families):
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
    owner = names.OPENSHIFT_RESERVED_POOLS.get(pool.name)
    if owner is not None:
        named = ctx.cluster.infrastructure_name if ctx.cluster else None
        infra = named if isinstance(named, str) and named else "<infra>"
        errors.append(
            f"{at}.name: {pool.name!r} makes the MachineSets {names.machine_set(infra, pool.name, '<zone>')}, the "
            f"names of {owner}: the stack would take them over, and a destroy would delete them; choose another "
            f"name (reserved on openshift: {', '.join(names.OPENSHIFT_RESERVED_POOLS)}; openshift/installer "
            "pkg/asset/machines/aws)"
        )
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
