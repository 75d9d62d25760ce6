"""Karpenter on EKS (`autoscaling.engine: karpenter`): build pools that launch instances directly.

`Karpenter` creates what the upstream getting-started CloudFormation creates (v1.14.1, vendored
facts in `tools/crds/SOURCES.md`), as Pulumi resources scoped to this cluster:

- the node role (the four managed policies upstream attaches) and its EKS access entry (EC2_LINUX);
- the controller's role, trusted by EKS Pod Identity, holding the upstream least-privilege policies
  (node lifecycle, IAM integration, EKS integration, interruption, resource discovery), each scoped
  by `kubernetes.io/cluster/<name>`, `eks:eks-cluster-name` and `karpenter.sh/nodepool` tags as
  upstream scopes them; the Pod Identity association for `kube-system/karpenter`;
- the interruption queue (SQS, SSE, 5-minute retention, TLS only) and its four EventBridge rules:
  Spot interruption warning, rebalance recommendation, instance state change, scheduled change;
- `karpenter.sh/discovery` tags on the cluster's subnets and security group;
- the `karpenter-crd` and `karpenter` charts (pinned in `versions`), on the system node group;
- one `EC2NodeClass` (AL2023 alias, discovery selectors, the node role, root volume) and one
  `NodePool` per build pool: its arch, instance types, capacity type, labels, taints, limits
  derived from maxSize x the catalog's vCPU and memory, consolidation after `consolidateAfter`.

Build pods carry `karpenter.sh/do-not-disrupt` (see `scheduling.BUILD_POD_ANNOTATIONS`): consolidation,
drift and expiry wait for a running build, for at most the NodePools' `terminationGracePeriod` (the
longest build timeout plus a margin unless configured: `Settings.karpenter_termination_grace_period`),
after which Karpenter drains the node anyway.

`policies.py` holds the IAM and queue documents, `manifests.py` the chart values, the EC2NodeClass
and the NodePools (both pure), `component.py` the component.
"""

from .component import (
    Karpenter,
    KarpenterArgs,
)
from .manifests import (
    CAPACITY_TYPE_LABEL,
    CAPACITY_TYPES,
    DISCOVERY_TAG,
    INSTANCE_TYPE_LABEL,
    NAMESPACE,
    NODE_CLASS,
    SERVICE_ACCOUNT,
    helm_values,
    node_class,
    node_pool,
    pool_limits,
)
from .policies import (
    INTERRUPTION_EVENTS,
    NODE_POLICIES,
    QUEUE_RETENTION_SECONDS,
    controller_policies,
    event_pattern,
    queue_policy,
)

__all__ = [
    "CAPACITY_TYPES",
    "CAPACITY_TYPE_LABEL",
    "DISCOVERY_TAG",
    "INSTANCE_TYPE_LABEL",
    "INTERRUPTION_EVENTS",
    "NAMESPACE",
    "NODE_CLASS",
    "NODE_POLICIES",
    "QUEUE_RETENTION_SECONDS",
    "SERVICE_ACCOUNT",
    "Karpenter",
    "KarpenterArgs",
    "controller_policies",
    "event_pattern",
    "helm_values",
    "node_class",
    "node_pool",
    "pool_limits",
    "queue_policy",
]
