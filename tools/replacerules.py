"""Which input changes make the provider replace a resource instead of updating it in place, and
what kind of thing each resource is, which decides what its replacement or deletion risks.

One table for every resource type this program declares, each rule with where it comes from, so
`tools.diff` can say "replace, because ..." offline, as `pulumi preview` would with the providers;
and one table of classes (`CLASSES`), from which the review derives its risk: a cluster's
replacement is blocked with its blast radius, a stateful resource's as before, capacity drains
nodes, workload plumbing interrupts work, a namespace takes its contents with it.
Paths are the engine's camelCase input paths: `a.b` descends into a mapping, `*` stands for one
segment, and a rule covers everything below its path (a rule on `nodeConfig.spot` matches a change
of `nodeConfig.spot`, a rule on `parameters` any key of `parameters`).

Sources (read for this table; versions as bundled by pulumi-aws 7, pulumi-gcp 10, pulumi-kubernetes 4):
- TF-AWS: terraform-provider-aws, the resource's schema (`ForceNew: true`), which pulumi-aws bridges.
- TF-GOOGLE: terraform-provider-google, `google_container_node_pool` / `google_container_cluster`
  schemas (`ForceNew`); machine type, disk type and disk size became in-place (a surge upgrade of
  the pool's nodes) in v5.10 (GoogleCloudPlatform/magic-modules#9575).
- PULUMI-K8S: pulumi-kubernetes `provider/pkg/provider/diff.go` (`forceNewProperties`: every
  object's `metadata.name`/`metadata.namespace`, and the per-kind lists), plus its Diff, which
  turns the API server's "field is immutable" answer to a dry-run into a replacement; its
  DiffConfig replaces the provider when the kubeconfig names another cluster; ConfigMaps and
  Secrets are replaced on data changes unless `enableConfigMapMutable`/`enableSecretMutable`.
- K8S-API: the Kubernetes API's update validation (immutable fields), e.g. `ValidateStorageClassUpdate`.
- HELM: pulumi-kubernetes `helm_release.go`: a release's `name` and `namespace` are its identity.
- MACHINE-API: OpenShift's machine API: a MachineSet's template applies only to Machines created
  after the change; existing Machines keep theirs.
- K8S-NS: Kubernetes namespaces: deleting a namespace deletes every object in it (namespace lifecycle).
- K8S-CRD: deleting a CustomResourceDefinition deletes every object of its kind.
- GITLAB: the gitlab-runner chart: removing the runner's pod stops the jobs it is running (its build
  pods go with it), and jobs that need its tags wait for another runner.
- KARPENTER: Karpenter v1's NodePool/EC2NodeClass CRDs (`x-kubernetes-validations`: nodeClassRef's
  group and kind are immutable) and its drift: a NodePool template or EC2NodeClass change is applied
  in place, and Karpenter then replaces the nodes that no longer match, within the disruption budget.
- GKE-CC: GKE ComputeClasses: a class is updated in place; the nodes GKE created for it keep running
  (with `activeMigration.optimizeRulePriority: false` they are not moved to a better priority) and
  new nodes follow the new spec; a deleted class leaves the pods that select it unschedulable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Rule:
    path: str  # the input path whose change forces replacement
    reason: str  # why, in a reviewer's words
    source: str  # where the rule comes from (a key of the sources above)


@dataclass(frozen=True)
class Note:
    path: str
    note: str  # what an in-place update of this path does (and does not) do
    source: str


def _rules(source: str, reason: str, *paths: str) -> list[Rule]:
    return [Rule(p, reason, source) for p in paths]


EKS_NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
GKE_NODE_POOL = "gcp:container/nodePool:NodePool"
KARPENTER_NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"
KARPENTER_NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
MACHINE_SET = "kubernetes:machine.openshift.io/v1beta1:MachineSet"
COMPUTE_CLASS = "kubernetes:cloud.google.com/v1:ComputeClass"

RULES: dict[str, list[Rule]] = {
    EKS_NODE_GROUP: _rules(
        "TF-AWS",
        "an EKS managed node group cannot change this in place",
        "instanceTypes",
        "amiType",
        "capacityType",
        "diskSize",
        "nodeGroupName",
        "nodeGroupNamePrefix",
        "subnetIds",
        "clusterName",
        "nodeRoleArn",
        "remoteAccess",
    ),
    "aws:eks/cluster:Cluster": _rules(
        "TF-AWS", "an EKS cluster cannot change this in place", "name", "roleArn", "encryptionConfig"
    ),
    "aws:eks/addon:Addon": _rules("TF-AWS", "an add-on is identified by cluster and name", "addonName", "clusterName"),
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": _rules(
        "TF-AWS", "an association is bound to one service account", "clusterName", "namespace", "serviceAccount"
    ),
    "aws:efs/fileSystem:FileSystem": _rules(
        "TF-AWS",
        "EFS cannot change this on an existing file system",
        "performanceMode",
        "encrypted",
        "kmsKeyId",
        "creationToken",
        "availabilityZoneName",
    ),
    "aws:efs/mountTarget:MountTarget": _rules(
        "TF-AWS", "a mount target lives in one subnet of one file system", "subnetId", "fileSystemId", "ipAddress"
    ),
    "aws:efs/backupPolicy:BackupPolicy": _rules("TF-AWS", "the policy belongs to one file system", "fileSystemId"),
    "aws:iam/role:Role": _rules("TF-AWS", "an IAM role's name and path are its identity", "name", "namePrefix", "path"),
    "aws:iam/rolePolicy:RolePolicy": _rules(
        "TF-AWS", "an inline policy is identified by role and name", "name", "namePrefix", "role"
    ),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": _rules(
        "TF-AWS", "an attachment is one role and one policy", "role", "policyArn"
    ),
    "aws:iam/policy:Policy": _rules(
        "TF-AWS", "a managed policy's name, path and description are fixed", "name", "namePrefix", "path", "description"
    ),
    "aws:eks/accessEntry:AccessEntry": _rules(
        "TF-AWS", "an access entry is one principal of one cluster, of one type", "clusterName", "principalArn", "type"
    ),
    "aws:sqs/queue:Queue": _rules(
        "TF-AWS", "a queue's name and kind are its identity", "name", "namePrefix", "fifoQueue"
    ),
    "aws:sqs/queuePolicy:QueuePolicy": _rules("TF-AWS", "a queue policy belongs to one queue", "queueUrl"),
    "aws:cloudwatch/eventRule:EventRule": _rules(
        "TF-AWS", "a rule's name and event bus are its identity", "name", "namePrefix", "eventBusName"
    ),
    "aws:cloudwatch/eventTarget:EventTarget": _rules(
        "TF-AWS", "a target is one id on one rule", "rule", "targetId", "eventBusName"
    ),
    "aws:ec2/tag:Tag": _rules("TF-AWS", "a tag resource is one key on one resource", "resourceId", "key"),
    KARPENTER_NODE_POOL: _rules(
        "KARPENTER",
        "a NodePool's EC2NodeClass reference cannot change kind or group",
        "spec.template.spec.nodeClassRef.group",
        "spec.template.spec.nodeClassRef.kind",
    ),
    "aws:ec2/securityGroup:SecurityGroup": _rules(
        "TF-AWS", "a security group's name, description and VPC are fixed", "name", "namePrefix", "description", "vpcId"
    ),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _rules(
        "TF-AWS", "a rule belongs to one security group", "securityGroupId"
    ),
    GKE_NODE_POOL: _rules(
        "TF-GOOGLE",
        "GKE cannot change this on an existing node pool",
        "name",
        "namePrefix",
        "cluster",
        "location",
        "project",
        "initialNodeCount",
        "nodeConfig.spot",
        "nodeConfig.preemptible",
        "nodeConfig.serviceAccount",
        "nodeConfig.oauthScopes",
        "nodeConfig.guestAccelerators",
        "nodeConfig.localSsdCount",
        "nodeConfig.metadata",
        "nodeConfig.minCpuPlatform",
        "nodeConfig.shieldedInstanceConfig",
        "networkConfig",
        "placementPolicy",
    ),
    "gcp:container/cluster:Cluster": _rules(
        "TF-GOOGLE",
        "GKE cannot change this on an existing cluster",
        "name",
        "location",
        "project",
        "network",
        "subnetwork",
        "networkingMode",
        "ipAllocationPolicy",
        "initialNodeCount",
        "nodeConfig",
        "privateClusterConfig.enablePrivateNodes",
        "clusterIpv4Cidr",
    ),
    "kubernetes:storage.k8s.io/v1:StorageClass": [
        *_rules("PULUMI-K8S", "a StorageClass's provisioner and parameters are immutable", "provisioner", "parameters"),
        *_rules("K8S-API", "the API server refuses to update it", "reclaimPolicy", "volumeBindingMode"),
    ],
    "kubernetes:apps/v1:DaemonSet": _rules("K8S-API", "a workload's selector is immutable", "spec.selector"),
    "kubernetes:apps/v1:Deployment": _rules("K8S-API", "a workload's selector is immutable", "spec.selector"),
    "kubernetes:apps/v1:StatefulSet": _rules(
        "PULUMI-K8S",
        "a StatefulSet cannot change this in place",
        "spec.selector",
        "spec.serviceName",
        "spec.volumeClaimTemplates",
        "spec.podManagementPolicy",
    ),
    "kubernetes:batch/v1:Job": _rules(
        "PULUMI-K8S", "a Job's pod template is immutable", "spec.template", "spec.selector"
    ),
    "kubernetes:core/v1:ConfigMap": _rules(
        "PULUMI-K8S", "pulumi-kubernetes replaces ConfigMaps on data changes", "data", "binaryData"
    ),
    "kubernetes:core/v1:Secret": _rules(
        "PULUMI-K8S", "pulumi-kubernetes replaces Secrets on data changes", "type", "data", "stringData"
    ),
    "kubernetes:core/v1:PersistentVolumeClaim": _rules("PULUMI-K8S", "a claim's spec is immutable", "spec"),
    "kubernetes:core/v1:Service": _rules("PULUMI-K8S", "a Service's cluster IP is immutable", "spec.clusterIP"),
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": _rules(
        "PULUMI-K8S", "a binding's roleRef is immutable", "roleRef"
    ),
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding": _rules(
        "PULUMI-K8S", "a binding's roleRef is immutable", "roleRef"
    ),
    "kubernetes:helm.sh/v3:Release": _rules(
        "HELM", "a release's name and namespace are its identity", "name", "namespace"
    ),
    "pulumi:providers:aws": _rules(
        "TF-AWS", "the provider's region is where its resources live: every resource it manages is replaced", "region"
    ),
    "pulumi:providers:kubernetes": _rules(
        "PULUMI-K8S",
        "a kubeconfig for another cluster replaces the provider: every object it manages is created there anew",
        "kubeconfig",
    ),
    "pulumi:providers:gcp": _rules(
        "TF-GOOGLE",
        "the provider's project is where its resources live: every resource it manages is replaced",
        "project",
    ),
}

# Every Kubernetes object (and patch: its target's name is its identity); not Helm releases or manifests.
KUBERNETES_OBJECT = _rules(
    "PULUMI-K8S", "an object's name and namespace are its identity", "metadata.name", "metadata.namespace"
)

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
PROVIDER = "provider"  # a cloud provider instance: replaced, every resource it manages is (its own rule)
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


def covers(rule_path: str, path: str) -> bool:
    """A change at `path` falls under `rule_path` (the same path, or below it)."""
    return _pattern(rule_path).match(path) is not None


def is_kubernetes_object(type_: str) -> bool:
    return type_.startswith("kubernetes:") and not type_.startswith(("kubernetes:helm.sh/", "kubernetes:yaml/"))


def replacing(type_: str, path: str) -> Rule | None:
    """The rule that makes a change of `path` on a `type_` a replacement, if any."""
    rules = RULES.get(type_, [])
    if is_kubernetes_object(type_):
        rules = [*KUBERNETES_OBJECT, *rules]
    return next((r for r in rules if covers(r.path, path)), None)


def note(type_: str, path: str) -> Note | None:
    return next((n for n in NOTES.get(type_, []) if covers(n.path, path)), None)
