"""The nodes a stack's pools can have: one shape per pool and instance type it may launch, with
the labels and taints the node carries and what it leaves to pods (the platform's reservations,
from `catalog/nodes.py`). Pure."""

from __future__ import annotations

from dataclasses import dataclass

from .. import arch, names
from ..catalog import aws, gcp, nodes
from ..settings import NodePool, Settings
from .rules import Shape, Taint

CLASS_LABEL = arch.COMPUTE_CLASS_LABEL
UNKNOWN = 10**9  # what a node of an unsized type is assumed to hold: anything (not checked)


@dataclass(frozen=True)
class PoolNodes:
    """A pool as the scheduler sees it: its shapes (the first is what it keeps at idle), how many
    nodes it keeps when idle, how many it may reach, and whether builds may land there."""

    name: str
    arch: str
    shapes: tuple[Shape, ...]  # one per type it may launch; an unsized type holds anything
    idle_nodes: int
    max_nodes: int
    system: bool
    unsized: tuple[str, ...] = ()  # types the catalog has no size for (unlistedInstanceType): not checked


def system_pool_key(settings: Settings) -> str:
    return (
        "multiarch:autoscaling.karpenter.systemPool"
        if settings.autoscaling.uses_karpenter
        else "multiarch:autoscaling.systemPool"
    )


def _taints(settings: Settings, pool: NodePool, system: bool) -> tuple[Taint, ...]:
    out = [Taint(t.key, t.value, t.effect) for t in pool.taints]
    if settings.platform == "gke" and pool.arch == "arm64":
        out.append(Taint(**arch.GKE_ARM64_TAINT))  # type: ignore[arg-type]
    if settings.autoscaling.uses_compute_classes and not system:
        # GKE taints a ComputeClass's auto-created nodes with the class; pods that select it tolerate it.
        out.append(Taint(CLASS_LABEL, names.compute_class(pool.name), "NoSchedule"))
    return tuple(dict.fromkeys(out))


def _labels(settings: Settings, pool: NodePool, instance_type: str, system: bool) -> dict[str, str]:
    labels = {
        "kubernetes.io/os": "linux",
        arch.ARCH_LABEL: pool.arch,
        "node.kubernetes.io/instance-type": instance_type,
        **pool.labels,
        arch.POOL_LABEL: pool.name,
    }
    if settings.autoscaling.uses_compute_classes and not system:
        labels[CLASS_LABEL] = names.compute_class(pool.name)
    if settings.platform == "openshift":
        labels["node-role.kubernetes.io/worker"] = ""
    return labels


def _size(
    settings: Settings, pool: NodePool, instance_type: str, system: bool
) -> tuple[int, int, int, str, int, int] | None:
    """(CPU millicores, memory MiB, pods, how) a node of this type leaves to pods, and its vCPU and
    memory; None when the catalog cannot size it."""
    arm64 = pool.arch == "arm64"
    if settings.platform == "gke" and pool.unlisted_instance_type:
        if pool.node_capacity is None:
            return None
        cpu, memory = nodes.gke_allocatable(pool.node_capacity.vcpu, pool.node_capacity.memory_mib, False)
        how = " after GKE's reservation and what runs there"
        return cpu, memory, nodes.GKE_MAX_PODS, how, pool.node_capacity.vcpu, pool.node_capacity.memory_mib
    if settings.platform == "gke":
        machine = gcp.lookup(instance_type)
        if machine is None:
            return None
        shared = instance_type in machine.series.fixed and machine.series.name == "e2"
        cpu, memory = nodes.gke_allocatable(machine.vcpu, machine.memory_mib, shared)
        how = " after GKE's reservation for shared-core E2" if shared else " after GKE's reservation"
        how += " and what runs there"
        return cpu, memory, nodes.GKE_MAX_PODS, how, machine.vcpu, machine.memory_mib
    if pool.unlisted_instance_type:
        if pool.node_capacity is None:
            return None
        vcpu, memory_mib, eni_pods = pool.node_capacity.vcpu, pool.node_capacity.memory_mib, 110
    else:
        t = aws.lookup(instance_type)
        if t is None:
            return None
        vcpu, memory_mib, eni_pods = t.vcpu, t.memory_mib, nodes.eks_eni_max_pods(t.max_enis, t.ipv4_per_eni)
    if settings.platform == "openshift":
        cpu, memory = nodes.openshift_allocatable(vcpu, memory_mib, arm64)
        return (
            cpu,
            memory,
            nodes.OPENSHIFT_MAX_PODS,
            " after OpenShift's system-reserved and what runs there",
            vcpu,
            memory_mib,
        )
    cpu, memory = nodes.eks_allocatable(vcpu, memory_mib, eni_pods, arm64)
    managed = system or not settings.autoscaling.uses_karpenter
    pods = nodes.eks_max_pods(eni_pods, vcpu, managed)
    return cpu, memory, pods, " after the EKS AMI's reservation and what runs there", vcpu, memory_mib


def pool_nodes(settings: Settings) -> list[PoolNodes]:
    """Every pool of the stack, the system pool first."""
    system = settings.system_pool
    out = []
    for pool, is_system in [
        *([(system, True)] if system is not None else []),
        *((p, False) for p in settings.node_pools),
    ]:
        shapes, unsized = [], []
        for t in pool.all_instance_types:
            size = _size(settings, pool, t, is_system)
            if size is None:
                # A type newer than the catalog: its labels and taints still decide, its size cannot.
                unsized.append(t)
                size = (UNKNOWN, UNKNOWN, UNKNOWN, " (its size is unknown: unlistedInstanceType)", 0, 0)
            cpu, memory, pods, how, vcpu, total = size
            labels, taints = _labels(settings, pool, t, is_system), _taints(settings, pool, is_system)
            shapes.append(Shape(pool.name, t, pool.arch, labels, taints, cpu, memory, pods, how, vcpu, total))
        scaled_to_zero = not is_system and (
            settings.autoscaling.uses_karpenter or settings.autoscaling.uses_compute_classes
        )
        out.append(
            PoolNodes(
                pool.name, pool.arch, tuple(shapes), 0 if scaled_to_zero else pool.min_size, pool.max_size,
                is_system, tuple(unsized),
            )
        )  # fmt: skip
    return out
