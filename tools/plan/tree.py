"""The plan's resource tree: every resource under its parent, with its options and the one line of
facts a reviewer checks beside it (arch, instance type, AMI type, sizes, what a policy grants).
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from tools.recording import Recording, Registered


def _num(v: Any) -> str:
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)


def _arch_or_unknown(cloud: Any, instance_type: str) -> str:
    from components import arch

    try:
        return arch.arch_of(cloud, instance_type)
    except arch.UnknownInstanceTypeError:
        return "?"


def facts(r: Registered) -> str:
    """The one line a reviewer wants next to a resource."""
    from components import arch

    i = r.plain_inputs
    if r.type == "aws:eks/nodeGroup:NodeGroup":
        ami = i.get("amiType", "")
        sc = i.get("scalingConfig", {})
        a = arch.EKS_AMI_TYPES[ami].arch if ami in arch.EKS_AMI_TYPES else "?"
        return (
            f"{a} {','.join(i.get('instanceTypes', []))} {ami} {i.get('capacityType', '')} "
            f"min={_num(sc.get('minSize'))} desired={_num(sc.get('desiredSize'))} max={_num(sc.get('maxSize'))}"
        )
    if r.type == "gcp:container/nodePool:NodePool":
        nc, sc = i.get("nodeConfig", {}), i.get("autoscaling", {})
        machine = nc.get("machineType", "")
        zones = ",".join(i.get("nodeLocations") or []) or "all zones"
        return (
            f"{_arch_or_unknown(arch.Cloud.GCP, machine)} {machine} {nc.get('imageType', '')} "
            f"{'SPOT' if nc.get('spot') else 'ON_DEMAND'} autoscaling {_num(sc.get('totalMinNodeCount'))}.."
            f"{_num(sc.get('totalMaxNodeCount'))} {sc.get('locationPolicy', '')} in {zones}"
        )
    if r.type == "kubernetes:machine.openshift.io/v1beta1:MachineSet":
        spec = i.get("spec", {})
        value = spec.get("template", {}).get("spec", {}).get("providerSpec", {}).get("value", {})
        machine = value.get("instanceType", "")
        return (
            f"{_arch_or_unknown(arch.Cloud.AWS, machine)} {machine} {value.get('ami', {}).get('id', '')} "
            f"{value.get('placement', {}).get('availabilityZone', '')} replicas={_num(spec.get('replicas'))}"
        )
    if r.type == "kubernetes:karpenter.sh/v1:NodePool":
        spec = i.get("spec", {})
        reqs = {
            q.get("key"): q.get("values", []) for q in spec.get("template", {}).get("spec", {}).get("requirements", [])
        }
        limits = spec.get("limits", {})
        disruption = spec.get("disruption", {})
        return (
            f"NodePool {i.get('metadata', {}).get('name')}: {','.join(reqs.get(arch.ARCH_LABEL, ['any arch']))} "
            f"{','.join(reqs.get('node.kubernetes.io/instance-type', ['any type']))} "
            f"{','.join(reqs.get('karpenter.sh/capacity-type', ['any capacity']))} "
            f"limits nodes={limits.get('nodes')} cpu={limits.get('cpu')} memory={limits.get('memory')}; "
            f"{disruption.get('consolidationPolicy')} after {disruption.get('consolidateAfter')}, "
            f"grace {spec.get('template', {}).get('spec', {}).get('terminationGracePeriod')}"
        )
    if r.type == "kubernetes:cloud.google.com/v1:ComputeClass":
        spec = i.get("spec", {})
        tried = ", ".join(
            f"{p.get('machineFamily')}{' spot' if p.get('spot') else ''}" for p in spec.get("priorities", [])
        )
        return (
            f"ComputeClass {i.get('metadata', {}).get('name')}: "
            f"{i.get('metadata', {}).get('annotations', {}).get('multiarch.dev/arch', 'any arch')} {tried}; "
            f"{spec.get('whenUnsatisfiable')}"
        )
    if r.type == "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass":
        spec = i.get("spec", {})
        root: dict[str, Any] = next(
            (b.get("ebs", {}) for b in spec.get("blockDeviceMappings", []) if b.get("rootVolume")), {}
        )
        aliases = ",".join(t.get("alias", "?") for t in spec.get("amiSelectorTerms", []))
        return (
            f"EC2NodeClass {i.get('metadata', {}).get('name')}: {aliases}, role {spec.get('role')}, "
            f"root {root.get('volumeSize')} {root.get('volumeType')}"
        )
    if r.type == "aws:cloudwatch/eventRule:EventRule":
        pattern = json.loads(i.get("eventPattern", "{}") or "{}")
        return f"{','.join(pattern.get('detail-type', []))} -> the interruption queue"
    if r.type == "aws:sqs/queue:Queue":
        return (
            f"{i.get('name')} retention {_num(i.get('messageRetentionSeconds'))} s, SSE {i.get('sqsManagedSseEnabled')}"
        )
    if r.type == "aws:eks/accessEntry:AccessEntry":
        return f"{i.get('type')} for {i.get('principalArn')}"
    if r.type == "aws:ec2/tag:Tag":
        return f"{i.get('key')}={i.get('value')} on {i.get('resourceId')}"
    if r.type == "aws:iam/policy:Policy":
        doc = json.loads(i.get("policy", "{}") or "{}")
        return f"{i.get('name')}: " + ", ".join(st.get("Sid", "") for st in doc.get("Statement", []))
    if r.type == "kubernetes:helm.sh/v3:Release":
        return f"chart {i.get('chart')} {i.get('version')} in namespace {i.get('namespace')}"
    if r.type == "kubernetes:storage.k8s.io/v1:StorageClass":
        params = i.get("parameters", {})
        shown = " ".join(f"{k}={v}" for k, v in params.items() if k != "provisioningMode")
        mode = f" {params['provisioningMode']}" if "provisioningMode" in params else ""
        return f"StorageClass {i.get('metadata', {}).get('name')}: {i.get('provisioner')}{mode} {shown}".rstrip()
    if r.type == "aws:efs/fileSystem:FileSystem":
        return f"encrypted={i.get('encrypted')} {i.get('throughputMode', '')} {i.get('creationToken', '')}"
    if r.type == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
        source = i.get("referencedSecurityGroupId") or i.get("cidrIpv4")
        return f"{i.get('ipProtocol')} {_num(i.get('fromPort'))}-{_num(i.get('toPort'))} from {source}"
    if r.type == "aws:efs/mountTarget:MountTarget":
        return f"in {i.get('subnetId')}"
    if r.type == "aws:eks/addon:Addon":
        return f"{i.get('addonName')} {i.get('addonVersion', '')}"
    if r.type == "kubernetes:yaml/v2:ConfigFile":
        return f"manifest {i.get('file')}" + (f" (+{r.transforms} transform)" if r.transforms else "")
    if r.type == "multiarch:pipelines:Engine" and "featureFlags" in r.outputs:
        flags = " ".join(f"{k}={v}" for k, v in sorted(r.outputs["featureFlags"].items()))
        system = r.outputs.get("controllersOnSystemNodes")
        on_system = f"; controllers in {', '.join(system['namespaces'])} on the system nodes" if system else ""
        return f"feature-flags in the release's ConfigMap, set by its transform: {flags}{on_system}"
    if r.type == "kubernetes:core/v1:ConfigMapPatch":
        md = i.get("metadata", {})
        return f"patch ConfigMap {md.get('namespace')}/{md.get('name')}: " + " ".join(
            f"{k}={v}" for k, v in i.get("data", {}).items()
        )
    if r.type == "kubernetes:apps/v1:DaemonSet":
        spec = i.get("spec", {}).get("template", {}).get("spec", {})
        images = [c.get("image") for c in spec.get("initContainers", []) + spec.get("containers", [])]
        terms = (
            spec.get("affinity", {}).get("nodeAffinity", {}).get("requiredDuringSchedulingIgnoredDuringExecution", {})
        )
        on = [v for t in terms.get("nodeSelectorTerms", []) for e in t.get("matchExpressions", []) for v in e["values"]]
        return f"DaemonSet {i.get('metadata', {}).get('name')} on {','.join(on)} nodes: {' + '.join(images)}"
    if r.type == "kubernetes:autoscaling.openshift.io/v1beta1:MachineAutoscaler":
        spec = i.get("spec", {})
        return (
            f"MachineAutoscaler {spec.get('scaleTargetRef', {}).get('name')} "
            f"{_num(spec.get('minReplicas'))}..{_num(spec.get('maxReplicas'))}"
        )
    if r.type == "aws:iam/rolePolicy:RolePolicy":
        doc = json.loads(i.get("policy", "{}") or "{}")
        return "; ".join(
            f"{st.get('Sid', '')}: {','.join(st['Action'] if isinstance(st['Action'], list) else [st['Action']])}"
            for st in doc.get("Statement", [])
        )
    if r.type == "aws:eks/cluster:Cluster":
        return f"Kubernetes {i.get('version')} in {len(i.get('vpcConfig', {}).get('subnetIds', []))} subnets"
    if r.type == "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
        return str(i.get("policyArn", "")).rsplit("/", 1)[-1]
    if r.type == "kubernetes:security.openshift.io/v1:SecurityContextConstraints":
        host = [k.removeprefix("allowHost") for k in sorted(i) if k.startswith("allowHost") and i[k]]
        return (
            f"SCC {i.get('metadata', {}).get('name')}: runAsUser {i.get('runAsUser', {}).get('type')}, "
            f"capabilities +{','.join(i.get('allowedCapabilities') or []) or 'none'}, "
            f"privileged {'yes' if i.get('allowPrivilegedContainer') else 'no'}, host {','.join(host) or 'none'}, "
            f"direct grants {len(i.get('users') or []) + len(i.get('groups') or [])}"
        )
    if r.type.startswith("kubernetes:rbac.authorization.k8s.io/v1:") and r.type.endswith("Binding"):
        md, ref = i.get("metadata", {}), i.get("roleRef", {})
        ns = f"{md['namespace']}/" if md.get("namespace") else ""
        who = ", ".join(
            f"{s.get('kind')} {s.get('namespace', '') + '/' if s.get('namespace') else ''}{s.get('name')}"
            for s in i.get("subjects") or []
        )
        return f"{i.get('kind')} {ns}{md.get('name')}: {ref.get('kind')} {ref.get('name')} to {who}"
    if r.is_kubernetes_object:
        md = i.get("metadata", {})
        ns = f"{md['namespace']}/" if md.get("namespace") else ""
        patch = f" patch spec {json.dumps(i.get('spec'))}" if r.type.endswith("Patch") and "spec" in i else ""
        return f"{i.get('kind')} {ns}{md.get('name', '')}{patch}"
    return ""


def _flags(r: Registered) -> str:
    out = []
    if r.protect:
        out.append("protected")
    if r.retain_on_delete:
        out.append("retain-on-delete")
    return f" [{', '.join(out)}]" if out else ""


def print_tree(rec: Recording, out: TextIO) -> None:
    by_parent: dict[str, list[Registered]] = {}
    for r in rec.resources:
        by_parent.setdefault(r.parent, []).append(r)
    known = {r.urn for r in rec.resources}

    def walk(parent: str, depth: int) -> None:
        for r in sorted(by_parent.get(parent, []), key=lambda x: (x.custom, x.type, x.name)):
            f = facts(r)
            out.write(f"{'  ' * depth}{'+' if r.custom else '*'} {r.type} {r.name}{_flags(r)}{'  ' + f if f else ''}\n")
            walk(r.urn, depth + 1)

    roots = sorted({r.parent for r in rec.resources if r.parent not in known})
    for root in roots:
        walk(root, 0)
