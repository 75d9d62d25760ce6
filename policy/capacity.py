"""Policies on the build capacity: each node pool, Karpenter NodePool and ComputeClass of the arch
it declares (and of one arch only), Spot capacity with something to fall back to, a pool for more
than one arch, no end-of-life AMI types.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs, StackValidationArgs

from components import arch
from policy.common import Report, arch_or_none, ns_name

NODEPOOL_TYPE = "kubernetes:karpenter.sh/v1:NodePool"
COMPUTE_CLASS_TYPE = "kubernetes:cloud.google.com/v1:ComputeClass"
CLASS_ARCH_ANNOTATION = "multiarch.dev/arch"  # components/computeclass.py ARCH_ANNOTATION
INSTANCE_TYPE_KEY = "node.kubernetes.io/instance-type"
INSTANCE_FAMILY_KEY = "karpenter.k8s.aws/instance-family"


def node_pool_arch(args: ResourceValidationArgs, report: Report) -> None:
    p = args.props
    if args.resource_type == "aws:eks/nodeGroup:NodeGroup":
        ami = p.get("amiType")
        facts = arch.EKS_AMI_TYPES.get(ami or "")
        for instance_type in p.get("instanceTypes") or []:
            actual = arch_or_none(arch.Cloud.AWS, instance_type)
            if actual is not None and facts is not None and actual != facts.arch:
                report(f"node group {args.name}: {instance_type} is {actual} but AMI type {ami} is {facts.arch}")
    elif args.resource_type == "kubernetes:machine.openshift.io/v1beta1:MachineSet":
        spec = p.get("spec") or {}
        value = ((((spec.get("template") or {}).get("spec") or {}).get("providerSpec")) or {}).get("value") or {}
        instance_type = value.get("instanceType", "")
        labels = ((p.get("metadata") or {}).get("annotations") or {}).get(
            "capacity.cluster-autoscaler.kubernetes.io/labels", ""
        )
        declared = dict(kv.split("=", 1) for kv in labels.split(",") if "=" in kv).get(arch.ARCH_LABEL)
        actual = arch_or_none(arch.Cloud.AWS, instance_type)
        if declared and actual and declared != actual:
            report(
                f"MachineSet {ns_name(p)}: {instance_type} is {actual} but it is declared {arch.ARCH_LABEL}={declared}"
            )


def class_arch(props: Mapping[str, Any]) -> str | None:
    return ((props.get("metadata") or {}).get("annotations") or {}).get(CLASS_ARCH_ANNOTATION)


def _series_arch(family: str) -> str | None:
    from components.catalog import gcp

    series = gcp.SERIES.get(family)
    return series.arch if series else None


def compute_class_one_arch(args: ResourceValidationArgs, report: Report) -> None:
    """A build ComputeClass launches its arch or nothing: every priority of that arch, and no
    fallback to the cluster's default machines (E2, x86) when none can be had."""
    if args.resource_type != COMPUTE_CLASS_TYPE:
        return
    p = args.props
    name = ns_name(p)
    want = class_arch(p)
    spec = p.get("spec") or {}
    if want is None:
        report(f"ComputeClass {name}: no {CLASS_ARCH_ANNOTATION} annotation: a build class is of exactly one arch")
        return
    for i, prio in enumerate(spec.get("priorities") or []):
        family = prio.get("machineFamily") or str(prio.get("machineType") or "").split("-", 1)[0]
        actual = _series_arch(family) if family else None
        if actual is not None and actual != want:
            report(f"ComputeClass {name}: priorities[{i}] is {family}, {actual}, but the class is {want}")
    if spec.get("whenUnsatisfiable") != "DoNotScaleUp":
        report(
            f"ComputeClass {name}: whenUnsatisfiable {spec.get('whenUnsatisfiable')!r} lets GKE fall back to the "
            f"cluster's default machines (E2, amd64) when no priority can be had: set DoNotScaleUp"
        )


def _spot_only_one_type(r: Any) -> tuple[str, str] | None:
    """(what, the one type) of a pool that launches Spot capacity of a single instance type only."""
    p, kind = r.props, r.resource_type
    if kind == "aws:eks/nodeGroup:NodeGroup" and p.get("capacityType") == "SPOT":
        types = p.get("instanceTypes") or []
        if len(types) == 1:
            return f"node group {p.get('nodeGroupName') or r.name}", str(types[0])
    elif kind == "gcp:container/nodePool:NodePool" and (p.get("nodeConfig") or {}).get("spot"):
        return f"GKE node pool {p.get('name') or r.name}", str((p.get("nodeConfig") or {}).get("machineType"))
    elif kind == NODEPOOL_TYPE:
        reqs = {q.get("key"): q for q in _nodepool_requirements(p) if q.get("operator") == "In"}
        capacity = set((reqs.get("karpenter.sh/capacity-type") or {}).get("values") or [])
        types = (reqs.get(INSTANCE_TYPE_KEY) or {}).get("values") or []
        if capacity == {"spot"} and len(types) == 1 and INSTANCE_FAMILY_KEY not in reqs:
            return f"NodePool {(p.get('metadata') or {}).get('name')}", str(types[0])
    elif kind == COMPUTE_CLASS_TYPE:
        prios = (p.get("spec") or {}).get("priorities") or []
        if len(prios) == 1 and prios[0].get("spot"):
            return f"ComputeClass {ns_name(p)}", str(prios[0].get("machineType") or prios[0].get("machineFamily"))
    return None


def spot_capacity_fallback(args: StackValidationArgs, report: Report) -> None:
    for r in args.resources:
        found = _spot_only_one_type(r)
        if found:
            what, one = found
            fix = (
                "allow more types (instanceFamilies) or on-demand as the fallback (capacityTypes: [SPOT, ON_DEMAND])"
                if what.startswith(("NodePool", "ComputeClass"))
                else "a pool of the Cluster Autoscaler has one type: use engine karpenter (eks) or compute-class "
                "(gke) with instanceFamilies and capacityTypes: [SPOT, ON_DEMAND], or capacityType ON_DEMAND"
            )
            report(
                f"{what} launches Spot capacity of one instance type ({one}) and nothing else: when that type's Spot "
                f"capacity runs short, its builds wait; {fix}"
            )


def _nodepool_requirements(props: Mapping[str, Any]) -> list[dict[str, Any]]:
    spec = props.get("spec") or {}
    return list((((spec.get("template") or {}).get("spec")) or {}).get("requirements") or [])


def nodepool_arches(props: Mapping[str, Any]) -> set[str] | None:
    """The arches a NodePool's kubernetes.io/arch requirement allows (None: no such requirement)."""
    allowed: set[str] | None = None
    for req in _nodepool_requirements(props):
        if req.get("key") != arch.ARCH_LABEL:
            continue
        values: set[str] = {str(v) for v in req.get("values") or []}
        here = values if req.get("operator") == "In" else {str(a) for a in arch.ARCHES} - values
        allowed = here if allowed is None else allowed & here
    return allowed


def karpenter_nodepool_arch(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type != NODEPOOL_TYPE:
        return
    p = args.props
    name = (p.get("metadata") or {}).get("name")
    allowed = nodepool_arches(p)
    chosen = [
        (str(v), req.get("key"))
        for req in _nodepool_requirements(p)
        if req.get("key") in (INSTANCE_TYPE_KEY, INSTANCE_FAMILY_KEY) and req.get("operator") == "In"
        for v in req.get("values") or []
    ]
    if allowed is None:
        report(
            f"NodePool {name}: no {arch.ARCH_LABEL} requirement: Karpenter may launch any architecture for it; "
            "a build pool is exactly one"
        )
        return
    for value, key in chosen:
        what = "instance type" if key == INSTANCE_TYPE_KEY else "instance family"
        actual = arch_or_none(arch.Cloud.AWS, value) if key == INSTANCE_TYPE_KEY else arch.aws_family_arch(value)
        if actual is not None and actual not in allowed:
            report(
                f"NodePool {name}: {what} {value} is {actual} but its {arch.ARCH_LABEL} requirement allows "
                f"{', '.join(sorted(allowed)) or 'nothing'}"
            )


def _pool_arches(resources: Any) -> set[str]:
    found: set[str] = set()
    for r in resources:
        p = r.props
        if r.resource_type == "aws:eks/nodeGroup:NodeGroup":
            facts = arch.EKS_AMI_TYPES.get(p.get("amiType") or "")
            if facts:
                found.add(facts.arch)
        elif r.resource_type == "gcp:container/nodePool:NodePool":
            machine = ((p.get("nodeConfig") or {}).get("machineType")) or ""
            a = arch_or_none(arch.Cloud.GCP, machine)
            if a:
                found.add(a)
        elif r.resource_type == "kubernetes:machine.openshift.io/v1beta1:MachineSet":
            spec = p.get("spec") or {}
            value = ((((spec.get("template") or {}).get("spec") or {}).get("providerSpec")) or {}).get("value") or {}
            a = arch_or_none(arch.Cloud.AWS, value.get("instanceType", ""))
            if a:
                found.add(a)
        elif r.resource_type == NODEPOOL_TYPE:
            found |= nodepool_arches(p) or set()
        elif r.resource_type == COMPUTE_CLASS_TYPE and class_arch(p):
            found.add(str(class_arch(p)))
    return found


def multi_arch_pools(args: StackValidationArgs, report: Report) -> None:
    found = _pool_arches(args.resources)
    if len(found) == 1:
        only = found.pop()
        report(
            f"the stack has only {only} node pools: every other architecture builds under qemu emulation "
            "(slow, and some builds fail); add a pool per architecture"
        )


def no_al2_ami_types(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type != "aws:eks/nodeGroup:NodeGroup":
        return
    ami = args.props.get("amiType") or ""
    facts = arch.EKS_AMI_TYPES.get(ami)
    if facts is not None and facts.end_of_life:
        report(f"node group {args.name}: {ami} is end of life (no AL2 AMIs for Kubernetes 1.33+); use AL2023")
