"""The multiarch CrossGuard policies, importable (so tests and the offline plan can use them).

`policy/__main__.py` only builds the PolicyPack from `ALL`. Mandatory policies stop a change;
advisory ones are reported. Props use Pulumi's camelCase wire names. Tunables come from the pack's
config (`pulumi preview --policy-pack policy --policy-pack-config config.json`); each policy falls
back to the schema's default when the engine sends none.
"""

from __future__ import annotations

import re
import sys
import tomllib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

# The architecture catalog is the program's own: one mapping, in one place.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from components import arch, names

MANDATORY, ADVISORY = EnforcementLevel.MANDATORY, EnforcementLevel.ADVISORY
Report = Callable[..., None]  # pulumi_policy's ReportViolation: report(message, urn=None)
WORKLOAD_KINDS = ("DaemonSet", "Deployment", "StatefulSet", "ReplicaSet", "Job", "CronJob", "Pod", "Task")
DEFAULT_PRIVILEGED_ALLOWED = ["qemu-binfmt/qemu-binfmt"]
NFS_PORT = 2049


def _config(args: Any, key: str, default: Any) -> Any:
    value = (args.get_config() or {}).get(key)
    return default if value is None else value


def _ident(props: Mapping[str, Any]) -> str:
    md = props.get("metadata") or {}
    ns = md.get("namespace")
    return f"{ns}/{md.get('name')}" if ns else str(md.get("name"))


def _kind(args: ResourceValidationArgs) -> str | None:
    if not args.resource_type.startswith("kubernetes:"):
        return None
    kind = args.props.get("kind")
    return kind if kind in WORKLOAD_KINDS else None


def containers(props: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every container of a workload (pod template, CronJob template, Pod) or Tekton Task step."""
    spec = props.get("spec") or {}
    if props.get("kind") == "Task":
        yield from spec.get("steps") or []
        yield from spec.get("sidecars") or []
        return
    if props.get("kind") == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    pod = spec if props.get("kind") == "Pod" else ((spec.get("template") or {}).get("spec")) or {}
    for key in ("initContainers", "containers", "ephemeralContainers"):
        yield from pod.get(key) or []


def _privileged(c: Mapping[str, Any]) -> bool:
    sc = c.get("securityContext") or {}
    added = set(((sc.get("capabilities") or {}).get("add")) or [])
    return bool(sc.get("privileged")) or bool(added & {"SYS_ADMIN", "ALL"})


def privileged_only_binfmt(args: ResourceValidationArgs, report: Report) -> None:
    if _kind(args) is None:
        return
    allowed = _config(args, "allowed", DEFAULT_PRIVILEGED_ALLOWED)
    ident = _ident(args.props)
    if ident in allowed:
        return
    for c in containers(args.props):
        if _privileged(c):
            report(
                f"{args.props.get('kind')} {ident} runs container {c.get('name')!r} privileged; only "
                f"{', '.join(allowed)} (the qemu binfmt DaemonSet) may"
            )


def _runner_configs(props: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    values = props.get("values") or {}
    text = (values.get("runners") or {}).get("config")
    if not isinstance(text, str):
        return
    for runner in tomllib.loads(text).get("runners", []):
        yield runner.get("kubernetes") or {}


# Labels a job must never be able to pick: if the overwrite regex accepts one of these, it is too wide.
OTHER_LABELS = (
    "kubernetes.io/hostname=ip-10-0-1-23",
    "node-role.kubernetes.io/control-plane=",
    "node.kubernetes.io/instance-type=m5a.2xlarge",
    "topology.kubernetes.io/zone=eu-west-3a",
    "team=anything",
)


def gitlab_runner_jobs(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type != "kubernetes:helm.sh/v3:Release" or args.props.get("chart") != "gitlab-runner":
        return
    label = _config(args, "allowedLabel", arch.ARCH_LABEL)
    try:
        runners = list(_runner_configs(args.props))
    except tomllib.TOMLDecodeError as exc:
        report(f"gitlab-runner release {args.name}: runners.config is not valid TOML ({exc})")
        return
    for kube in runners:
        if kube.get("privileged"):
            report(f"gitlab-runner release {args.name}: job pods are privileged (runners.kubernetes.privileged = true)")
        pattern = kube.get("node_selector_overwrite_allowed")
        if pattern is None:
            continue
        try:
            regex = re.compile(pattern)
        except re.error:
            report(f"gitlab-runner release {args.name}: node_selector_overwrite_allowed {pattern!r} is not a regex")
            continue
        wider = [probe for probe in OTHER_LABELS if regex.fullmatch(probe)]
        if wider or not regex.fullmatch(f"{label}=arm64"):
            why = f"it also accepts {wider[0]!r}" if wider else f"it does not accept {label}=arm64"
            report(
                f"gitlab-runner release {args.name}: node_selector_overwrite_allowed {pattern!r} must limit "
                f"jobs to the {label} label; {why}"
            )


def efs_encrypted_and_protected(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type != "aws:efs/fileSystem:FileSystem":
        return
    if not args.props.get("encrypted"):
        report(f"EFS file system {args.name} is not encrypted at rest (encrypted: true)")
    if not args.opts.protect:
        report(f"EFS file system {args.name} is not protected: every build workspace lives there (protect: true)")


def _covers(props: Mapping[str, Any], port: int) -> bool:
    low, high = props.get("fromPort"), props.get("toPort")
    protocol = str(props.get("ipProtocol") or props.get("protocol") or "")
    if protocol in ("-1", "all"):
        return True
    return low is not None and high is not None and int(low) <= port <= int(high)


def nfs_only_from_cluster(args: ResourceValidationArgs, report: Report) -> None:
    port = int(_config(args, "port", NFS_PORT))
    p = args.props
    rules: list[Mapping[str, Any]] = []
    single_rule = args.resource_type == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule" or (
        args.resource_type == "aws:ec2/securityGroupRule:SecurityGroupRule" and p.get("type") == "ingress"
    )
    if single_rule:
        rules = [p]
    elif args.resource_type == "aws:ec2/securityGroup:SecurityGroup":
        rules = list(p.get("ingress") or [])
    for rule in rules:
        if not _covers(rule, port):
            continue
        cidrs = [
            rule.get("cidrIpv4"),
            rule.get("cidrIpv6"),
            *(rule.get("cidrBlocks") or []),
            *(rule.get("ipv6CidrBlocks") or []),
        ]
        cidrs = [c for c in cidrs if c]
        if cidrs or rule.get("prefixListId"):
            report(
                f"{args.name} opens NFS (TCP {port}) to {', '.join(cidrs) or rule.get('prefixListId')}; "
                "admit only the cluster's (or workers') security group"
            )


def _arch_or_none(cloud: arch.Cloud, instance_type: str) -> str | None:
    """The catalog's arch of a type; None for one it does not know: the stack's settings refuse those
    unless the stack file declares them newer than the catalog (`unlistedInstanceType`), and then
    the pack has nothing to judge them by."""
    try:
        return arch.arch_of(cloud, instance_type)
    except arch.UnknownInstanceTypeError:
        return None


def node_pool_arch(args: ResourceValidationArgs, report: Report) -> None:
    p = args.props
    if args.resource_type == "aws:eks/nodeGroup:NodeGroup":
        ami = p.get("amiType")
        facts = arch.EKS_AMI_TYPES.get(ami or "")
        for instance_type in p.get("instanceTypes") or []:
            actual = _arch_or_none(arch.Cloud.AWS, instance_type)
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
        actual = _arch_or_none(arch.Cloud.AWS, instance_type)
        if declared and actual and declared != actual:
            report(
                f"MachineSet {_ident(p)}: {instance_type} is {actual} but it is declared {arch.ARCH_LABEL}={declared}"
            )


NODEPOOL_TYPE = "kubernetes:karpenter.sh/v1:NodePool"
COMPUTE_CLASS_TYPE = "kubernetes:cloud.google.com/v1:ComputeClass"
CLASS_ARCH_ANNOTATION = "multiarch.dev/arch"  # components/computeclass.py ARCH_ANNOTATION


def _class_arch(props: Mapping[str, Any]) -> str | None:
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
    name = _ident(p)
    want = _class_arch(p)
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
            return f"ComputeClass {_ident(p)}", str(prios[0].get("machineType") or prios[0].get("machineFamily"))
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


INSTANCE_TYPE_KEY = "node.kubernetes.io/instance-type"
INSTANCE_FAMILY_KEY = "karpenter.k8s.aws/instance-family"


def _nodepool_requirements(props: Mapping[str, Any]) -> list[dict[str, Any]]:
    spec = props.get("spec") or {}
    return list((((spec.get("template") or {}).get("spec")) or {}).get("requirements") or [])


def _nodepool_arches(props: Mapping[str, Any]) -> set[str] | None:
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
    allowed = _nodepool_arches(p)
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
        actual = _arch_or_none(arch.Cloud.AWS, value) if key == INSTANCE_TYPE_KEY else arch.aws_family_arch(value)
        if actual is not None and actual not in allowed:
            report(
                f"NodePool {name}: {what} {value} is {actual} but its {arch.ARCH_LABEL} requirement allows "
                f"{', '.join(sorted(allowed)) or 'nothing'}"
            )


# --- build pools' taints, tolerated where their builds run ---------------------------------------

BLOCKING_EFFECTS = ("NoSchedule", "NoExecute")  # PreferNoSchedule keeps no pod away
_KUBERNETES_EFFECT = {cloud: k8s for k8s, cloud in arch.CLOUD_TAINT_EFFECTS.items()}
Taint = tuple[str, str, str]  # key, value ("" for none), Kubernetes effect


def _taints(items: Any) -> list[Taint]:
    out = []
    for t in items or []:
        effect = _KUBERNETES_EFFECT.get(str(t.get("effect")), str(t.get("effect")))
        if effect in BLOCKING_EFFECTS:
            out.append((str(t.get("key")), str(t.get("value") or ""), effect))
    return out


def _build_pools(resources: Any) -> list[tuple[str, str, list[Taint]]]:
    """(what, arch, blocking taints) of every build pool (not the system node group)."""
    pools: list[tuple[str, str, list[Taint]]] = []
    gke_arm64 = arch.GKE_ARM64_TAINT
    for r in resources:
        p, kind = r.props, r.resource_type
        if kind == "aws:eks/nodeGroup:NodeGroup":
            facts = arch.EKS_AMI_TYPES.get(p.get("amiType") or "")
            if facts and (p.get("labels") or {}).get(arch.POOL_LABEL) != names.SYSTEM_POOL:
                pools.append((f"node group {p.get('nodeGroupName') or r.name}", facts.arch, _taints(p.get("taints"))))
        elif kind == "gcp:container/nodePool:NodePool":
            config = p.get("nodeConfig") or {}
            a = _arch_or_none(arch.Cloud.GCP, config.get("machineType") or "")
            if a and (config.get("labels") or {}).get(arch.POOL_LABEL) != names.SYSTEM_POOL:
                taints = _taints(config.get("taints"))
                if a == "arm64":  # GKE's own, on every arm64 node
                    taints.append((gke_arm64["key"], gke_arm64["value"], gke_arm64["effect"]))
                pools.append((f"GKE node pool {p.get('name') or r.name}", a, taints))
        elif kind == "kubernetes:machine.openshift.io/v1beta1:MachineSet":
            template = ((p.get("spec") or {}).get("template") or {}).get("spec") or {}
            value = (template.get("providerSpec") or {}).get("value") or {}
            a = _arch_or_none(arch.Cloud.AWS, value.get("instanceType", ""))
            if a:
                pools.append((f"MachineSet {_ident(p)}", a, _taints(template.get("taints"))))
        elif kind == NODEPOOL_TYPE:
            arches = _nodepool_arches(p) or set()
            template = ((p.get("spec") or {}).get("template") or {}).get("spec") or {}
            for a in sorted(arches):
                pools.append((f"NodePool {_ident(p)}", a, _taints(template.get("taints"))))
        elif kind == COMPUTE_CLASS_TYPE:
            a = _class_arch(p)
            config = (p.get("spec") or {}).get("nodePoolConfig") or {}
            taints = _taints(config.get("taints"))
            behaviour = (config.get("taintConfig") or {}).get("architectureTaintBehavior", "ARM")
            if a == "arm64" and behaviour == "ARM":  # GKE's own, on every arm64 node of the class
                taints.append((gke_arm64["key"], gke_arm64["value"], gke_arm64["effect"]))
            if a:
                pools.append((f"ComputeClass {_ident(p)}", a, taints))
    return pools


def _tolerates(tolerations: Any, taint: Taint) -> bool:
    """Kubernetes' matching: the key (or none, with Exists), the value (or Exists), the effect (or any)."""
    key, value, effect = taint
    for t in tolerations or []:
        operator = t.get("operator") or "Equal"
        if t.get("key") not in (None, "", key) or (not t.get("key") and operator != "Exists"):
            continue
        if operator == "Equal" and str(t.get("value") or "") != value:
            continue
        if t.get("effect") in (None, "", effect):
            return True
    return False


def _run_template_tasks(resources: Any) -> Iterator[tuple[str, str, str, Any]]:
    """(template, task, node arch, tolerations) of every pinned task of the stack's PipelineRun template."""
    for r in resources:
        md = r.props.get("metadata") or {}
        if r.resource_type != "kubernetes:core/v1:ConfigMap" or md.get("name") != names.PIPELINE_RUN_TEMPLATE:
            continue
        text = (r.props.get("data") or {}).get(names.PIPELINE_RUN_TEMPLATE_KEY)
        run = yaml.safe_load(text) if isinstance(text, str) else None
        for spec in ((run or {}).get("spec") or {}).get("taskRunSpecs") or []:
            pod = spec.get("podTemplate") or {}
            node = (pod.get("nodeSelector") or {}).get(arch.ARCH_LABEL)
            if node:
                yield _ident(r.props), str(spec.get("pipelineTaskName")), str(node), pod.get("tolerations")


def _runner_tolerations(resources: Any) -> Iterator[tuple[str, str | None]]:
    """(runner release, its node_tolerations_overwrite_allowed) of every GitLab runner."""
    for r in resources:
        if r.resource_type != "kubernetes:helm.sh/v3:Release" or r.props.get("chart") != "gitlab-runner":
            continue
        release = f"{r.props.get('namespace')}/{r.props.get('name')}"
        try:
            for kube in _runner_configs(r.props):
                yield release, kube.get("node_tolerations_overwrite_allowed")
        except tomllib.TOMLDecodeError:
            continue  # gitlab-runner-jobs-unprivileged says so


def build_pool_taints_tolerated(args: StackValidationArgs, report: Report) -> None:
    pools = _build_pools(args.resources)
    tasks = list(_run_template_tasks(args.resources))
    runners = list(_runner_tolerations(args.resources))
    for what, pool_arch, taints in pools:
        for taint in taints:
            shown = f"{taint[0]}={taint[1]}:{taint[2]}" if taint[1] else f"{taint[0]}:{taint[2]}"
            for template, task, node, tolerations in tasks:
                if node == pool_arch and not _tolerates(tolerations, taint):
                    report(
                        f"{what} ({pool_arch}) is tainted {shown}, and task {task} of the PipelineRun template "
                        f"{template} runs on {pool_arch} nodes without tolerating it: it would stay Pending; "
                        "tolerate the taint in its taskRunSpecs podTemplate"
                    )
            for release, allowed in runners:
                if allowed is None or not re.search(allowed, shown):
                    report(
                        f"{what} ({pool_arch}) is tainted {shown}, and the GitLab runner {release} does not let a "
                        f"job tolerate it (node_tolerations_overwrite_allowed {allowed!r}): its {pool_arch} jobs "
                        "would stay Pending"
                    )


CREDENTIAL_PATTERNS = (
    re.compile(r"glrt-[A-Za-z0-9_\-]{8,}"),  # GitLab runner authentication token
    re.compile(r"GR1348941[A-Za-z0-9_\-]{8,}"),  # GitLab runner registration token
    re.compile(r"glpat-[A-Za-z0-9_\-]{8,}"),  # GitLab personal access token
    re.compile(r"AKIA[0-9A-Z]{16}"),  # AWS access key id
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
)
CREDENTIAL_KEYS = re.compile(r"(?i)^(runner(registration)?token|password|token|apikey|secretkey|accesskey)$")


def _credential_paths(value: Any, path: str = "values") -> Iterator[str]:
    if isinstance(value, Mapping):
        for k, v in value.items():
            child = f"{path}.{k}"
            if CREDENTIAL_KEYS.match(str(k)) and isinstance(v, str) and v:
                yield child
            else:
                yield from _credential_paths(v, child)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _credential_paths(v, f"{path}[{i}]")
    elif isinstance(value, str) and any(p.search(value) for p in CREDENTIAL_PATTERNS):
        yield path


def no_plaintext_secrets(args: ResourceValidationArgs, report: Report) -> None:
    p = args.props
    if args.resource_type == "kubernetes:core/v1:Secret":
        held = [k for k in ("data", "stringData") if p.get(k)]
        missing = [k for k in held if k not in (args.opts.additional_secret_outputs or [])]
        if missing:
            report(
                f"Secret {_ident(p)}: {', '.join(missing)} must be Pulumi secrets "
                "(additionalSecretOutputs), or the value is stored in plaintext in state"
            )
    elif args.resource_type == "kubernetes:helm.sh/v3:Release":
        for path in _credential_paths(p.get("values") or {}):
            report(
                f"Helm release {args.name}: {path} holds a credential in plaintext Helm values; "
                "put it in a Kubernetes Secret and reference the Secret"
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
            a = _arch_or_none(arch.Cloud.GCP, machine)
            if a:
                found.add(a)
        elif r.resource_type == "kubernetes:machine.openshift.io/v1beta1:MachineSet":
            spec = p.get("spec") or {}
            value = ((((spec.get("template") or {}).get("spec") or {}).get("providerSpec")) or {}).get("value") or {}
            a = _arch_or_none(arch.Cloud.AWS, value.get("instanceType", ""))
            if a:
                found.add(a)
        elif r.resource_type == NODEPOOL_TYPE:
            found |= _nodepool_arches(p) or set()
        elif r.resource_type == COMPUTE_CLASS_TYPE and _class_arch(p):
            found.add(str(_class_arch(p)))
    return found


def multi_arch_pools(args: StackValidationArgs, report: Report) -> None:
    found = _pool_arches(args.resources)
    if len(found) == 1:
        only = found.pop()
        report(
            f"the stack has only {only} node pools: every other architecture builds under qemu emulation "
            "(slow, and some builds fail); add a pool per architecture"
        )


def tekton_affinity_assistant(args: StackValidationArgs, report: Report) -> None:
    rwx = [
        r
        for r in args.resources
        if r.resource_type == "kubernetes:storage.k8s.io/v1:StorageClass"
        and r.props.get("provisioner") in ("efs.csi.aws.com", "filestore.csi.storage.gke.io")
    ]
    tekton = [
        r
        for r in args.resources
        if r.resource_type == "kubernetes:yaml/v2:ConfigFile" and "tektoncd/pipeline" in str(r.props.get("file", ""))
    ]
    # The release's own ConfigMap as the engine renders it (after the stack's transform), or a
    # patch of it: `pulumi preview` shows the rendered children; an offline plan does not.
    flags = [
        r
        for r in args.resources
        if r.resource_type in ("kubernetes:core/v1:ConfigMap", "kubernetes:core/v1:ConfigMapPatch")
        and (r.props.get("metadata") or {}).get("name") == "feature-flags"
        and (r.props.get("metadata") or {}).get("namespace", "tekton-pipelines") == "tekton-pipelines"
    ]
    configs = [
        r for r in args.resources if r.resource_type == "kubernetes:operator.tekton.dev/v1alpha1:TektonConfigPatch"
    ]
    if not rwx or not (tekton or configs):
        return
    if tekton and flags and not any((f.props.get("data") or {}).get("coschedule") == "disabled" for f in flags):
        report(
            "Tekton runs with RWX workspaces but the affinity assistant is on: set feature-flags coschedule: disabled"
        )
    for c in configs:
        if (((c.props.get("spec") or {}).get("pipeline")) or {}).get("coschedule") != "disabled":
            report("OpenShift Pipelines with RWX workspaces: TektonConfig spec.pipeline.coschedule must be disabled")


# --- OpenShift SecurityContextConstraints: who may use which, and what they allow ------------------

SCC_TYPE = "kubernetes:security.openshift.io/v1:SecurityContextConstraints"
SCC_CLUSTER_ROLE = "system:openshift:scc:"  # OpenShift's ClusterRole granting `use` of one built-in SCC
# OpenShift's built-in SCCs that allow privileged containers or host access.
HOST_SCCS = (
    "privileged",
    "hostaccess",
    "hostmount-anyuid",
    "hostmount-anyuid-v2",
    "hostnetwork",
    "hostnetwork-v2",
    "node-exporter",
)
SCC_HOST_FIELDS = (
    "allowPrivilegedContainer",
    "allowHostDirVolumePlugin",
    "allowHostIPC",
    "allowHostNetwork",
    "allowHostPID",
    "allowHostPorts",
)
BINDING_TYPES = (
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
)
ROLE_TYPES = ("kubernetes:rbac.authorization.k8s.io/v1:Role", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole")


def _scc_uses(rules: Any) -> list[str]:
    """The SCCs a role's rules allow to `use` ("*" for every SCC)."""
    names: list[str] = []
    for rule in rules or []:
        groups, resources, verbs = (set(rule.get(k) or []) for k in ("apiGroups", "resources", "verbs"))
        scc = groups & {"security.openshift.io", "*"} and resources & {"securitycontextconstraints", "*"}
        if scc and verbs & {"use", "*"}:
            names += list(rule.get("resourceNames") or ["*"])
    return names


def _md(props: Mapping[str, Any]) -> tuple[str, str]:
    md = props.get("metadata") or {}
    return str(md.get("namespace") or ""), str(md.get("name") or "")


def _granted_sccs(props: Mapping[str, Any], roles: Mapping[tuple[str, str, str], list[str]]) -> list[str]:
    """The SCCs a RoleBinding or ClusterRoleBinding grants, through its roleRef."""
    ref = props.get("roleRef") or {}
    name = str(ref.get("name") or "")
    if ref.get("kind") == "ClusterRole" and name.startswith(SCC_CLUSTER_ROLE):
        return [name.removeprefix(SCC_CLUSTER_ROLE)]
    ns = _md(props)[0] if ref.get("kind") == "Role" else ""
    return roles.get((str(ref.get("kind")), ns, name), [])


def scc_grants(args: StackValidationArgs, report: Report) -> None:
    """An SCC is granted through RBAC `use`, to service accounts the stack declares, and to nothing else."""
    owned = {_md(r.props) for r in args.resources if r.resource_type == "kubernetes:core/v1:ServiceAccount"}
    roles: dict[tuple[str, str, str], list[str]] = {}
    for r in args.resources:
        if r.resource_type in ROLE_TYPES:
            kind = r.resource_type.rsplit(":", 1)[-1]
            ns, name = _md(r.props)
            sccs = _scc_uses(r.props.get("rules"))
            roles[(kind, ns if kind == "Role" else "", name)] = sccs
            if "*" in sccs:
                report(f"{kind} {_ident(r.props)} lets its subjects use every SCC; name the one SCC (resourceNames)")
        elif r.resource_type == SCC_TYPE:
            direct = [*(r.props.get("users") or []), *(r.props.get("groups") or [])]
            if direct:
                report(
                    f"SCC {_ident(r.props)} is granted directly to {', '.join(direct)} (users/groups); leave both "
                    "empty and grant `use` through RBAC to a service account the stack owns"
                )
    for r in args.resources:
        if r.resource_type not in BINDING_TYPES:
            continue
        sccs = [s for s in _granted_sccs(r.props, roles) if s != "*"]
        if not sccs:
            continue
        kind, (bns, _) = r.resource_type.rsplit(":", 1)[-1], _md(r.props)
        what = f"{kind} {_ident(r.props)} grants SCC {', '.join(sccs)}"
        for subject in r.props.get("subjects") or []:
            skind, sname = subject.get("kind"), str(subject.get("name") or "")
            sns = str(subject.get("namespace") or bns)
            if skind == "Group":
                also = " (every service account of the cluster)" if sname == "system:serviceaccounts" else ""
                report(f"{what} to group {sname}{also}; grant it to the one service account that needs it")
            elif skind == "User":
                report(f"{what} to user {sname}; grant it to a service account the stack owns")
            elif skind == "ServiceAccount" and (sname == "default" or (sns, sname) not in owned):
                report(
                    f"{what} to service account {sns}/{sname}, which the stack does not own"
                    f"{' (every pod of the namespace runs as default)' if sname == 'default' else ''}; "
                    "grant it to a service account the stack declares for that workload"
                )


def scc_privileged_or_host(args: ResourceValidationArgs, report: Report) -> None:
    """No SCC of the stack allows privileged or host access; only binfmt's service account gets a built-in one."""
    if args.resource_type == SCC_TYPE:
        wide = [f for f in SCC_HOST_FIELDS if args.props.get(f)]
        volumes = set(args.props.get("volumes") or [])
        wide += [f"volumes {v}" for v in sorted(volumes & {"hostPath", "*"})]
        caps = set(args.props.get("allowedCapabilities") or []) & {"*", "ALL", "SYS_ADMIN"}
        wide += [f"capability {c}" for c in sorted(caps)]
        if wide:
            report(
                f"SCC {_ident(args.props)} allows privileged or host access ({', '.join(wide)}); "
                "a build needs none of it (buildah: any UID and SETFCAP)"
            )
        return
    if args.resource_type not in BINDING_TYPES:
        return
    allowed = _config(args, "allowed", DEFAULT_PRIVILEGED_ALLOWED)
    sccs = [s for s in _granted_sccs(args.props, {}) if s in HOST_SCCS]
    bns = _md(args.props)[0]
    for subject in args.props.get("subjects") or [] if sccs else []:
        who = f"{subject.get('namespace') or bns}/{subject.get('name')}"
        if subject.get("kind") != "ServiceAccount" or who not in allowed:
            report(
                f"{args.resource_type.rsplit(':', 1)[-1]} {_ident(args.props)} grants the {', '.join(sccs)} SCC "
                f"(privileged or host access) to {subject.get('kind')} {who}; only {', '.join(allowed)} "
                "(the qemu binfmt DaemonSet) may have it"
            )


def _pinned(image: str) -> bool:
    if "@sha256:" in image:
        return True
    name = image.rsplit("/", 1)[-1]
    return ":" in name and not name.endswith(":latest")


def images_pinned(args: ResourceValidationArgs, report: Report) -> None:
    if _kind(args) is None:
        return
    for c in containers(args.props):
        image = str(c.get("image", ""))
        if image and not _pinned(image):
            report(f"{args.props.get('kind')} {_ident(args.props)}: image {image} is not pinned to a tag or digest")


def no_al2_ami_types(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type != "aws:eks/nodeGroup:NodeGroup":
        return
    ami = args.props.get("amiType") or ""
    facts = arch.EKS_AMI_TYPES.get(ami)
    if facts is not None and facts.end_of_life:
        report(f"node group {args.name}: {ami} is end of life (no AL2 AMIs for Kubernetes 1.33+); use AL2023")


# `allowed`: namespace/name of the workloads (and their service accounts) that may be privileged.
ALLOWED_PRIVILEGED = PolicyConfigSchema(
    properties={"allowed": {"type": "array", "items": {"type": "string"}, "default": DEFAULT_PRIVILEGED_ALLOWED}}
)

ALL = [
    ResourceValidationPolicy(
        name="privileged-only-binfmt",
        description="Only the qemu binfmt DaemonSet may run privileged containers.",
        validate=privileged_only_binfmt,
        enforcement_level=MANDATORY,
        config_schema=ALLOWED_PRIVILEGED,
    ),
    ResourceValidationPolicy(
        name="gitlab-runner-jobs-unprivileged",
        description="GitLab runner jobs are unprivileged and may only choose the kubernetes.io/arch node label.",
        validate=gitlab_runner_jobs,
        enforcement_level=MANDATORY,
        config_schema=PolicyConfigSchema(properties={"allowedLabel": {"type": "string", "default": arch.ARCH_LABEL}}),
    ),
    ResourceValidationPolicy(
        name="efs-encrypted-and-protected",
        description="EFS file systems are encrypted and protected against deletion.",
        validate=efs_encrypted_and_protected,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="nfs-only-from-cluster",
        description="NFS is open only to the cluster's security group, never to a CIDR.",
        validate=nfs_only_from_cluster,
        enforcement_level=MANDATORY,
        config_schema=PolicyConfigSchema(properties={"port": {"type": "integer", "default": NFS_PORT}}),
    ),
    ResourceValidationPolicy(
        name="node-pool-arch-matches",
        description="A node pool's instance type has the architecture of its AMI type (or declared arch).",
        validate=node_pool_arch,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="karpenter-nodepool-arch",
        description="A Karpenter NodePool requires one architecture, and its instance types or families have it.",
        validate=karpenter_nodepool_arch,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="no-plaintext-secrets",
        description="Kubernetes Secrets hold Pulumi secrets; Helm values hold no credentials.",
        validate=no_plaintext_secrets,
        enforcement_level=MANDATORY,
    ),
    StackValidationPolicy(
        name="multi-arch-pools",
        description="The stack has a node pool for more than one architecture.",
        validate=multi_arch_pools,
        enforcement_level=ADVISORY,
    ),
    StackValidationPolicy(
        name="build-pool-taints-tolerated",
        description="Every build pool's taint is tolerated by each build path that runs on that pool's arch.",
        validate=build_pool_taints_tolerated,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="compute-class-one-arch",
        description="A build ComputeClass launches only its arch's series and never falls back to default machines.",
        validate=compute_class_one_arch,
        enforcement_level=MANDATORY,
    ),
    StackValidationPolicy(
        name="spot-capacity-fallback",
        description="A pool that launches Spot capacity has another instance type or on-demand to fall back to.",
        validate=spot_capacity_fallback,
        enforcement_level=ADVISORY,
    ),
    StackValidationPolicy(
        name="tekton-affinity-assistant-off",
        description="Tekton with RWX workspaces runs with the affinity assistant (co-scheduling) disabled.",
        validate=tekton_affinity_assistant,
        enforcement_level=ADVISORY,
    ),
    StackValidationPolicy(
        name="scc-grants-own-service-accounts",
        description="OpenShift SCCs are granted through RBAC `use`, only to service accounts the stack declares.",
        validate=scc_grants,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="scc-no-privileged-or-host",
        description="No SCC allows privileged or host access; only the qemu binfmt DaemonSet is granted one that does.",
        validate=scc_privileged_or_host,
        enforcement_level=MANDATORY,
        config_schema=ALLOWED_PRIVILEGED,
    ),
    ResourceValidationPolicy(
        name="images-pinned",
        description="Container images are pinned to a tag (not latest) or a digest.",
        validate=images_pinned,
        enforcement_level=ADVISORY,
    ),
    ResourceValidationPolicy(
        name="no-al2-ami-types",
        description="EKS node groups do not use end-of-life AL2 AMI types.",
        validate=no_al2_ami_types,
        enforcement_level=ADVISORY,
    ),
]


def warm_up() -> None:
    """Load what the policies read on first use (the instance catalogs, the GCP series), before the
    pack serves: the first analysis then costs what every later one does."""
    from components.catalog import aws, gcp

    aws.catalog()
    gcp.lookup("t2a-standard-8")
    arch.machine(arch.Cloud.AWS, "m6g.2xlarge")
