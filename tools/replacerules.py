"""Which input changes make `pulumi up` replace a resource instead of updating it, which the API
server refuses to update at all, and what kind of thing each resource is, which decides what its
replacement or deletion risks.

The rules of every type the stacks declare, each with where it comes from, so `tools.diff` can say
"replace, because ..." offline, as `pulumi preview` would with the providers. Most come from data:
`components/catalog/replacements.json` holds the ForceNew attributes, ForceNew blocks and
CustomizeDiff rules of the Terraform resources pulumi-aws and pulumi-gcp bridge, and pulumi-kubernetes'
own list, each with its upstream file, line and the package version it was read for. Only what no
schema says is kept here by hand (`IMMUTABLE`): fields the Kubernetes API server or a CRD's CEL rules
refuse to change, which pulumi-kubernetes plans as an update that then fails; the review refuses
those (exit 3) unless the resource asks the engine to replace on them (`replaceOnChanges`).
`CLASSES` gives the review its risk: a cluster's replacement is blocked with its blast radius, a
stateful resource's as before, capacity drains nodes, workload plumbing interrupts work, a
namespace takes its contents with it.
Paths are the engine's camelCase input paths: `a.b` descends into a mapping, `*` stands for one
segment, list elements (`[x86]`, `[0]`) are transparent, and a rule covers everything below its path.

Sources:
- TF-AWS: terraform-provider-aws, which pulumi-aws bridges (`ForceNew: true`, `RequiresReplace()`,
  CustomizeDiff, ModifyPlan; pulumi-aws 7's per-resource `region`). Rows and lines: the catalog.
- TF-GOOGLE: terraform-provider-google (and magic-modules for beta fields), which pulumi-gcp
  bridges. Machine type, disk type and disk size of a node pool are updated in place by a surge
  upgrade (GoogleCloudPlatform/magic-modules#9575).
- PULUMI-K8S: pulumi-kubernetes `provider/pkg/provider/diff.go` (`forceNewProperties`: every
  object's `metadata.name`/`metadata.namespace`, and the per-kind lists; ConfigMaps and Secrets on
  data changes unless `enableConfigMapMutable`/`enableSecretMutable`), and its DiffConfig, which
  replaces the provider only when the kubeconfig's active cluster changes. It replaces on nothing
  else: for an immutable field outside that list it plans an update, which the API server refuses.
- HELM: pulumi-kubernetes `helm_release.go`: a release's `name` and `namespace` are its identity.
- K8S-API: the Kubernetes API's update validation (immutable fields), e.g. `ValidateStorageClassUpdate`.
- KARPENTER: Karpenter v1's NodePool/EC2NodeClass CRDs (`x-kubernetes-validations`: nodeClassRef's
  group and kind are immutable, a NodePool cannot move between static and dynamic) and its drift:
  a NodePool template or EC2NodeClass change is applied in place, and Karpenter then replaces the
  nodes that no longer match, within the disruption budget.
- GKE-CC: GKE ComputeClasses: a class is updated in place; the nodes GKE created for it keep running
  (with `activeMigration.optimizeRulePriority: false` they are not moved to a better priority) and
  new nodes follow the new spec; a deleted class leaves the pods that select it unschedulable. Its
  CRD makes `spec.autopilot` immutable.
- OPENSHIFT-API: openshift/api's CRDs (CEL rules), e.g. ClusterCSIDriver's token requests.
- ENGINE: the Pulumi engine: a resource's `replaceOnChanges` turns an update of those paths into a
  replacement (`deleteBeforeReplace`: the old one goes first, for a fixed name).
- MACHINE-API: OpenShift's machine API: a MachineSet's template applies only to Machines created
  after the change; existing Machines keep theirs.
- K8S-NS: Kubernetes namespaces: deleting a namespace deletes every object in it (namespace lifecycle).
- K8S-CRD: deleting a CustomResourceDefinition deletes every object of its kind.
- GITLAB: the gitlab-runner chart: removing the runner's pod stops the jobs it is running (its build
  pods go with it), and jobs that need its tags wait for another runner.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from components.catalog import replacements


@dataclass(frozen=True)
class Rule:
    path: str  # the input path whose change forces replacement (or is refused)
    reason: str  # why, in a reviewer's words
    source: str  # where the rule comes from (a key of the sources above)
    kind: str = "attribute"  # attribute | block | when (see components/catalog/replacements.py)
    when: str = ""  # kind `when`: the condition (a predicate of tools.diff.decide)
    value: Any = None
    paths: tuple[str, ...] = ()
    computed: bool = False
    unless_provider_flag: str = ""
    where: str = ""  # the upstream file and line, and the package version it was read for
    effect: str = "replace"  # replace | refused (the API server refuses an in-place update)
    way_out: tuple[str, ...] = ()  # refused: what to do instead


@dataclass(frozen=True)
class Note:
    path: str
    note: str  # what an in-place update of this path does (and does not) do
    source: str


EKS_NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
GKE_NODE_POOL = "gcp:container/nodePool:NodePool"
KARPENTER_NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"
KARPENTER_NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
MACHINE_SET = "kubernetes:machine.openshift.io/v1beta1:MachineSet"
COMPUTE_CLASS = "kubernetes:cloud.google.com/v1:ComputeClass"
STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"


def _from_catalog(entry: replacements.TypeRules) -> list[Rule]:
    return [Rule(r.path, r.reason or entry.reason, r.source.label, r.kind, r.when, r.value, r.paths, r.computed,
                 r.unless_provider_flag, r.where) for r in entry.rules]  # fmt: skip


RENAME = (
    "give it another name in the stack (a new key): Pulumi creates the new one before it deletes the old one",
    "or delete it in one change and create it in the next, deliberately",
)


def _refused(path: str, reason: str, source: str, where: str, when: str = "changed-in-place", **kw: Any) -> Rule:
    return Rule(path, reason, source, "when", when, where=where, effect="refused", **{"way_out": RENAME, **kw})


CEL = "(karpenter.sh_nodepools.yaml, Karpenter v1.14.1)"
CC = "GoogleCloudPlatform/compute-class-api cloud.google.com_computeclasses.yaml:{} @8067eae"
SC_WAY_OUT = (
    "mark it replaceOnChanges, with deleteBeforeReplace (the class's name is fixed): the engine replaces the class"
)
# What no schema says, by hand: fields the API server refuses to change, each with its source. A
# resource whose replaceOnChanges covers one is replaced by the engine instead (ENGINE).
IMMUTABLE: dict[str, list[Rule]] = {
    STORAGE_CLASS: [
        _refused(
            p,
            "the API server refuses to update it",
            "K8S-API",
            "kubernetes pkg/apis/storage/validation/validation.go ValidateStorageClassUpdate",
            way_out=(SC_WAY_OUT + " (components/storage.py does)",),
        )
        for p in ("reclaimPolicy", "volumeBindingMode")
    ],
    **{
        t: [
            _refused(
                "immutable",
                "once `immutable` is true, the API server refuses to unset it",
                "K8S-API",
                f"kubernetes pkg/apis/core/validation/validation.go Validate{k}Update",
                "unset-after-set",
            )
        ]
        for t, k in (("kubernetes:core/v1:ConfigMap", "ConfigMap"), ("kubernetes:core/v1:Secret", "Secret"))
    },
    KARPENTER_NODE_POOL: [
        *(
            _refused(
                f"spec.template.spec.nodeClassRef.{f}",
                f"nodeClassRef.{f} is immutable (CEL: self.{f} == oldSelf.{f})",
                "KARPENTER",
                f"tools/crds/nodepools.yaml:{line} {CEL}",
            )
            for f, line in (("group", 277), ("kind", 279))
        ),
        _refused(
            "spec.replicas",
            "a NodePool cannot move between static (replicas) and dynamic provisioning (CEL: "
            "has(self.replicas) == has(oldSelf.replicas))",
            "KARPENTER",
            f"tools/crds/nodepools.yaml:465 {CEL}",
            "added-or-removed",
        ),
    ],
    COMPUTE_CLASS: [
        _refused("spec.autopilot", "Autopilot is immutable (CEL: self == oldSelf)", "GKE-CC", CC.format("110-118")),
        _refused(
            "spec.autopilot",
            "Autopilot is required once set (CEL: !has(oldSelf.autopilot) || has(self.autopilot))",
            "GKE-CC",
            CC.format("3511-3513"),
            "removed",
        ),
    ],
    "kubernetes:operator.openshift.io/v1:ClusterCSIDriver": [
        _refused(
            "spec.driverConfig.secretsStore.tokenRequests.type",
            "tokenRequests type cannot be changed from Managed",
            "OPENSHIFT-API",
            "tools/crds/clustercsidrivers.yaml:630-634",
            "changed-from",
            value="Managed",
            way_out=("keep it Managed: the ClusterCSIDriver is the driver's singleton",),
        ),
    ],
}


def _rules() -> dict[str, list[Rule]]:
    out = {t: _from_catalog(entry) for t, entry in replacements.types().items()}
    for t, rules in IMMUTABLE.items():
        out.setdefault(t, []).extend(rules)
    return out


RULES: dict[str, list[Rule]] = _rules()
# Every Kubernetes object (and patch: its target's name is its identity); not Helm releases or manifests.
KUBERNETES_OBJECT = _from_catalog(replacements.kubernetes_object())
REGIONAL = frozenset(t for t, entry in replacements.types().items() if entry.regional)

NOTES: dict[str, list[Note]] = {
    MACHINE_SET: [
        Note(
            "spec.template",
            "updated in place, but no existing Machine changes: only Machines created from now on use the new "
            "template (scale the MachineSet down and up, or delete its Machines one by one, to roll them)",
            "MACHINE-API",
        )
    ],
    GKE_NODE_POOL: [
        Note(
            "nodeConfig",
            "updated in place by a surge upgrade: GKE recreates the pool's nodes a few at a time",
            "TF-GOOGLE",
        )
    ],
    EKS_NODE_GROUP: [
        Note(
            "version",
            "updated in place: EKS rolls the group's nodes to the new version, maxUnavailable at a time",
            "TF-AWS",
        ),
        Note("releaseVersion", "updated in place: EKS rolls the group's nodes", "TF-AWS"),
    ],
    KARPENTER_NODE_POOL: [
        Note(
            "spec.template",
            "updated in place; Karpenter then replaces the pool's drifted nodes within its disruption budget, "
            "never one running a build (karpenter.sh/do-not-disrupt)",
            "KARPENTER",
        )
    ],
    COMPUTE_CLASS: [
        Note(
            "spec",
            "updated in place: the nodes GKE created for the class keep running until empty; the nodes it creates "
            "next follow the new priorities",
            "GKE-CC",
        )
    ],
    KARPENTER_NODE_CLASS: [
        Note(
            "spec",
            "updated in place; Karpenter then replaces the nodes it launched from the old class (drift), never "
            "one running a build (karpenter.sh/do-not-disrupt)",
            "KARPENTER",
        )
    ],
    "aws:eks/cluster:Cluster": [
        Note("version", "updated in place: the control plane is upgraded one minor version at a time", "TF-AWS")
    ],
}


# --- what each resource is ----------------------------------------------------------------------

CLUSTER = "cluster"  # a Kubernetes cluster, or the provider that reaches one: replaced, everything on it is new
STATEFUL = "stateful"  # holds data that outlives builds: replaced or deleted, the data stays behind or goes
CAPACITY = "capacity"  # nodes: replaced or deleted, they are drained
PLUMBING = "plumbing"  # what builds run through (runner, pipeline engine, storage classes, autoscalers, CSI)
NAMESPACE = "namespace"  # deleted or replaced, it takes every object in it along
ACCESS = "access"  # identities, roles, bindings, credentials: a change is an outage of who may do what
NETWORK = "network"  # security groups, their rules, mount targets, tags
PROVIDER = "provider"  # a cloud provider instance: updated in place (pulumi-aws 7 and pulumi-gcp replace none)
GROUPING = "grouping"  # the program's components: they contain resources, they are none

CLASS_TEXT = {
    CLUSTER: "a Kubernetes cluster (or the provider that reaches it)",
    STATEFUL: "holds data",
    CAPACITY: "nodes",
    PLUMBING: "what builds run through",
    NAMESPACE: "a namespace",
    ACCESS: "identity and access",
    NETWORK: "network",
    PROVIDER: "a cloud provider instance",
    GROUPING: "a component of the program",
}

CLASSES: dict[str, str] = {
    "aws:eks/cluster:Cluster": CLUSTER,
    "gcp:container/cluster:Cluster": CLUSTER,
    "pulumi:providers:kubernetes": CLUSTER,
    "aws:efs/fileSystem:FileSystem": STATEFUL,
    "aws:efs/backupPolicy:BackupPolicy": STATEFUL,
    "gcp:filestore/instance:Instance": STATEFUL,
    "kubernetes:core/v1:PersistentVolume": STATEFUL,
    "kubernetes:core/v1:PersistentVolumeClaim": STATEFUL,
    EKS_NODE_GROUP: CAPACITY,
    GKE_NODE_POOL: CAPACITY,
    MACHINE_SET: CAPACITY,
    KARPENTER_NODE_POOL: CAPACITY,
    KARPENTER_NODE_CLASS: CAPACITY,
    COMPUTE_CLASS: CAPACITY,
    "kubernetes:autoscaling.openshift.io/v1beta1:MachineAutoscaler": CAPACITY,
    "kubernetes:autoscaling.openshift.io/v1:ClusterAutoscaler": PLUMBING,
    "kubernetes:helm.sh/v3:Release": PLUMBING,
    "kubernetes:yaml/v2:ConfigFile": PLUMBING,
    "kubernetes:apps/v1:DaemonSet": PLUMBING,
    "kubernetes:apps/v1:Deployment": PLUMBING,
    "kubernetes:apps/v1:StatefulSet": PLUMBING,
    "kubernetes:batch/v1:Job": PLUMBING,
    "kubernetes:core/v1:ConfigMap": PLUMBING,
    "kubernetes:core/v1:Service": PLUMBING,
    "kubernetes:tekton.dev/v1:Pipeline": PLUMBING,
    "kubernetes:tekton.dev/v1:Task": PLUMBING,
    "kubernetes:storage.k8s.io/v1:StorageClass": PLUMBING,
    "kubernetes:operator.openshift.io/v1:ClusterCSIDriver": PLUMBING,
    "kubernetes:operator.tekton.dev/v1alpha1:TektonConfigPatch": PLUMBING,
    "kubernetes:operators.coreos.com/v1:OperatorGroup": PLUMBING,
    "kubernetes:operators.coreos.com/v1alpha1:Subscription": PLUMBING,
    "aws:eks/addon:Addon": PLUMBING,
    "aws:sqs/queue:Queue": PLUMBING,
    "aws:sqs/queuePolicy:QueuePolicy": PLUMBING,
    "aws:cloudwatch/eventRule:EventRule": PLUMBING,
    "aws:cloudwatch/eventTarget:EventTarget": PLUMBING,
    "kubernetes:core/v1:Namespace": NAMESPACE,
    "aws:iam/role:Role": ACCESS,
    "aws:iam/policy:Policy": ACCESS,
    "aws:iam/rolePolicy:RolePolicy": ACCESS,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ACCESS,
    "aws:eks/accessEntry:AccessEntry": ACCESS,
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": ACCESS,
    "kubernetes:core/v1:ServiceAccount": ACCESS,
    "kubernetes:core/v1:Secret": ACCESS,
    "kubernetes:rbac.authorization.k8s.io/v1:Role": ACCESS,
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": ACCESS,
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole": ACCESS,
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding": ACCESS,
    "kubernetes:security.openshift.io/v1:SecurityContextConstraints": ACCESS,
    "aws:ec2/securityGroup:SecurityGroup": NETWORK,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": NETWORK,
    "aws:efs/mountTarget:MountTarget": NETWORK,
    "aws:ec2/tag:Tag": NETWORK,
    "pulumi:providers:aws": PROVIDER,
    "pulumi:providers:gcp": PROVIDER,
}


def resource_class(type_: str) -> str:
    """What a resource is: its class (`CLASSES`); the program's components are groupings. A type
    the table does not know is an error: a new kind of resource adds a row (a test walks every
    committed stack's resources)."""
    if type_.startswith("multiarch:"):
        return GROUPING
    return CLASSES[type_]


# What a component's outputs say when they change: the resources the component's transforms write
# into (a provider renders them; the plan sees the component's account of it).
OUTPUT_CONTEXT: dict[str, tuple[str, str]] = {  # output -> (when it appears or changes, when it goes)
    "controllersOnSystemNodes": (
        "Tekton's controllers move to the system nodes (the release's transform schedules them there)",
        "Tekton's controllers leave the system nodes",
    ),
    "featureFlags": ("the release's feature-flags change (its transform sets them)", "the feature-flags go"),
}


@cache
def _pattern(path: str) -> re.Pattern[str]:
    parts = [r"[^.\[]+" if seg == "*" else re.escape(seg) for seg in path.split(".")]
    return re.compile(r"\.".join(parts) + r"(?:$|[.\[])")


def schema_path(path: str) -> str:
    """A path with its list elements dropped (`spec.steps[build].script` -> `spec.steps.script`):
    rules are written against the schema, where list elements are transparent."""
    return re.sub(r"\[[^\]]*\]", "", path)


def covers(rule_path: str, path: str) -> bool:
    """A change at `path` falls under `rule_path` (the same path, or below it)."""
    return _pattern(rule_path).match(path) is not None or _pattern(rule_path).match(schema_path(path)) is not None


def is_kubernetes_object(type_: str) -> bool:
    return type_.startswith("kubernetes:") and not type_.startswith(("kubernetes:helm.sh/", "kubernetes:yaml/"))


def rules_of(type_: str) -> list[Rule]:
    """Every rule of a type: an object's identity first, then its own."""
    rules = RULES.get(type_, [])
    return [*KUBERNETES_OBJECT, *rules] if is_kubernetes_object(type_) else list(rules)


def replacing(type_: str, path: str) -> Rule | None:
    """The unconditional rule that makes a change of `path` on a `type_` a replacement, if any
    (ForceNew attributes; blocks and conditions need both sides: `tools.diff.decide`)."""
    return next(
        (r for r in rules_of(type_) if r.kind == "attribute" and r.effect == "replace" and covers(r.path, path)), None
    )


def note(type_: str, path: str) -> Note | None:
    return next((n for n in NOTES.get(type_, []) if covers(n.path, path)), None)
