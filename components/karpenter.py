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
drift and expiry wait for a running build (no `terminationGracePeriod` is set, so nothing forces it).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from . import arch, iam, names, scheduling, versions
from .settings import Karpenter as KarpenterSettings
from .settings import NodePool

NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "karpenter"
NODE_CLASS = "build"  # the one EC2NodeClass every build NodePool uses
DISCOVERY_TAG = names.KARPENTER_DISCOVERY_TAG
CAPACITY_TYPE_LABEL = "karpenter.sh/capacity-type"
INSTANCE_TYPE_LABEL = "node.kubernetes.io/instance-type"
NODE_POLICIES = (
    "AmazonEKS_CNI_Policy",
    "AmazonEKSWorkerNodePolicy",
    "AmazonEC2ContainerRegistryPullOnly",
    "AmazonSSMManagedInstanceCore",
)
CAPACITY_TYPES = {"ON_DEMAND": "on-demand", "SPOT": "spot"}
# EventBridge rules feeding the interruption queue: names.KARPENTER_EVENTS -> (source, detail-type).
INTERRUPTION_EVENTS: dict[str, tuple[str, str]] = {
    "spot": ("aws.ec2", "EC2 Spot Instance Interruption Warning"),
    "rebalance": ("aws.ec2", "EC2 Instance Rebalance Recommendation"),
    "state-change": ("aws.ec2", "EC2 Instance State-change Notification"),
    "health": ("aws.health", "AWS Health Event"),
}
QUEUE_RETENTION_SECONDS = 300  # upstream: interruption messages are worthless after five minutes


# --- IAM: the upstream policies, with the cluster, region, account and partition filled in -------


def _ec2(partition: str, region: str, kind: str, account: str = "*") -> str:
    return f"arn:{partition}:ec2:{region}:{account}:{kind}/*"


def controller_policies(
    cluster: str, region: str, account: str, partition: str, node_role_arn: str, queue_arn: str
) -> dict[str, dict[str, Any]]:
    """names.KARPENTER_POLICIES -> policy document, as the upstream CloudFormation writes them."""
    owned = {f"aws:ResourceTag/kubernetes.io/cluster/{cluster}": "owned"}
    request_owned = {
        f"aws:RequestTag/kubernetes.io/cluster/{cluster}": "owned",
        "aws:RequestTag/eks:eks-cluster-name": cluster,
    }
    any_nodepool = {"aws:ResourceTag/karpenter.sh/nodepool": "*"}
    tagged_kinds = ("fleet", "instance", "volume", "network-interface", "launch-template", "spot-instances-request")
    tagged = [_ec2(partition, region, k) for k in tagged_kinds]
    profile = f"arn:{partition}:iam::{account}:instance-profile/*"
    region_tag = {"aws:RequestTag/topology.kubernetes.io/region": region}

    def doc(*statements: dict[str, Any]) -> dict[str, Any]:
        return {"Version": "2012-10-17", "Statement": list(statements)}

    return {
        "node-lifecycle": doc(
            {
                "Sid": "AllowScopedEC2InstanceAccessActions",
                "Effect": "Allow",
                "Resource": [
                    f"arn:{partition}:ec2:{region}::image/*",
                    f"arn:{partition}:ec2:{region}::snapshot/*",
                    _ec2(partition, region, "security-group"),
                    _ec2(partition, region, "subnet"),
                    _ec2(partition, region, "capacity-reservation"),
                    _ec2(partition, region, "placement-group"),
                ],
                "Action": ["ec2:RunInstances", "ec2:CreateFleet"],
            },
            {
                "Sid": "AllowScopedEC2LaunchTemplateAccessActions",
                "Effect": "Allow",
                "Resource": _ec2(partition, region, "launch-template"),
                "Action": ["ec2:RunInstances", "ec2:CreateFleet"],
                "Condition": {"StringEquals": owned, "StringLike": any_nodepool},
            },
            {
                "Sid": "AllowScopedEC2InstanceActionsWithTags",
                "Effect": "Allow",
                "Resource": tagged,
                "Action": ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
                "Condition": {
                    "StringEquals": request_owned,
                    "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"},
                },
            },
            {
                "Sid": "AllowScopedResourceCreationTagging",
                "Effect": "Allow",
                "Resource": tagged,
                "Action": "ec2:CreateTags",
                "Condition": {
                    "StringEquals": {
                        **request_owned,
                        "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"],
                    },
                    "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"},
                },
            },
            {
                "Sid": "AllowScopedResourceTagging",
                "Effect": "Allow",
                "Resource": _ec2(partition, region, "instance"),
                "Action": "ec2:CreateTags",
                "Condition": {
                    "StringEquals": owned,
                    "StringLike": any_nodepool,
                    "StringEqualsIfExists": {"aws:RequestTag/eks:eks-cluster-name": cluster},
                    "ForAllValues:StringEquals": {
                        "aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"]
                    },
                },
            },
            {
                "Sid": "AllowScopedDeletion",
                "Effect": "Allow",
                "Resource": [_ec2(partition, region, "instance"), _ec2(partition, region, "launch-template")],
                "Action": ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
                "Condition": {"StringEquals": owned, "StringLike": any_nodepool},
            },
        ),
        "iam-integration": doc(
            {
                "Sid": "AllowPassingInstanceRole",
                "Effect": "Allow",
                "Resource": node_role_arn,
                "Action": "iam:PassRole",
                "Condition": {"StringEquals": {"iam:PassedToService": ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"]}},
            },
            {
                "Sid": "AllowScopedInstanceProfileCreationActions",
                "Effect": "Allow",
                "Resource": profile,
                "Action": ["iam:CreateInstanceProfile"],
                "Condition": {
                    "StringEquals": {**request_owned, **region_tag},
                    "StringLike": {"aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*"},
                },
            },
            {
                "Sid": "AllowScopedInstanceProfileTagActions",
                "Effect": "Allow",
                "Resource": profile,
                "Action": ["iam:TagInstanceProfile"],
                "Condition": {
                    "StringEquals": {
                        **owned,
                        "aws:ResourceTag/topology.kubernetes.io/region": region,
                        **request_owned,
                        **region_tag,
                    },
                    "StringLike": {
                        "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*",
                        "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*",
                    },
                },
            },
            {
                "Sid": "AllowScopedInstanceProfileActions",
                "Effect": "Allow",
                "Resource": profile,
                "Action": [
                    "iam:AddRoleToInstanceProfile",
                    "iam:RemoveRoleFromInstanceProfile",
                    "iam:DeleteInstanceProfile",
                ],
                "Condition": {
                    "StringEquals": {**owned, "aws:ResourceTag/topology.kubernetes.io/region": region},
                    "StringLike": {"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*"},
                },
            },
        ),
        "eks-integration": doc(
            {
                "Sid": "AllowAPIServerEndpointDiscovery",
                "Effect": "Allow",
                "Resource": f"arn:{partition}:eks:{region}:{account}:cluster/{cluster}",
                "Action": "eks:DescribeCluster",
            }
        ),
        "interruption": doc(
            {
                "Sid": "AllowInterruptionQueueActions",
                "Effect": "Allow",
                "Resource": queue_arn,
                "Action": ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
            }
        ),
        "resource-discovery": doc(
            {
                "Sid": "AllowRegionalReadActions",
                "Effect": "Allow",
                "Resource": "*",
                "Action": [
                    "ec2:DescribeCapacityReservations",
                    "ec2:DescribeImages",
                    "ec2:DescribeInstances",
                    "ec2:DescribeInstanceStatus",
                    "ec2:DescribeInstanceTypeOfferings",
                    "ec2:DescribeInstanceTypes",
                    "ec2:DescribeLaunchTemplates",
                    "ec2:DescribePlacementGroups",
                    "ec2:DescribeSecurityGroups",
                    "ec2:DescribeSpotPriceHistory",
                    "ec2:DescribeSubnets",
                ],
                "Condition": {"StringEquals": {"aws:RequestedRegion": region}},
            },
            {
                "Sid": "AllowSSMReadActions",
                "Effect": "Allow",
                "Resource": f"arn:{partition}:ssm:{region}::parameter/aws/service/*",
                "Action": "ssm:GetParameter",
            },
            {"Sid": "AllowPricingReadActions", "Effect": "Allow", "Resource": "*", "Action": "pricing:GetProducts"},
            {
                "Sid": "AllowUnscopedInstanceProfileListAction",
                "Effect": "Allow",
                "Resource": "*",
                "Action": "iam:ListInstanceProfiles",
            },
            {
                "Sid": "AllowInstanceProfileReadActions",
                "Effect": "Allow",
                "Resource": profile,
                "Action": "iam:GetInstanceProfile",
            },
        ),
    }


def queue_policy(queue_arn: str) -> dict[str, Any]:
    """EventBridge (and SQS) may send; nothing may talk to the queue without TLS."""
    return {
        "Version": "2012-10-17",
        "Id": "EC2InterruptionPolicy",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": ["events.amazonaws.com", "sqs.amazonaws.com"]},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
            },
            {
                "Sid": "DenyHTTP",
                "Effect": "Deny",
                "Action": "sqs:*",
                "Resource": queue_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                "Principal": "*",
            },
        ],
    }


def event_pattern(event: str) -> str:
    source, detail_type = INTERRUPTION_EVENTS[event]
    return json.dumps({"source": [source], "detail-type": [detail_type]})


# --- Kubernetes: the chart's values, the EC2NodeClass and the NodePools ---------------------------


def pool_limits(pool: NodePool) -> dict[str, str]:
    """At most maxSize nodes (`nodes`), and the cpu and memory of maxSize nodes of the pool's largest
    instance type (the catalog's real figures): whichever types Karpenter picks from the fallback
    list, the pool never outgrows maxSize nodes."""
    sizes = [pool.aws_capacity(t) for t in pool.all_instance_types]
    vcpu = max(s[0] for s in sizes)
    mib = max(s[1] for s in sizes)
    memory = pool.max_size * mib
    return {
        "cpu": str(pool.max_size * vcpu),
        "memory": f"{memory // 1024}Gi" if memory % 1024 == 0 else f"{memory}Mi",
        "nodes": str(pool.max_size),
    }


def node_pool(pool: NodePool, consolidate_after: str, termination_grace_period: str = "75m") -> dict[str, Any]:
    """The NodePool spec for one build pool (karpenter.sh/v1): every instance type of its fallback
    list and every capacity type it allows (Karpenter prefers Spot when both are allowed, and picks
    among the types by price and availability), bounded by `pool_limits`."""
    template: dict[str, Any] = {
        "metadata": {"labels": {**pool.labels, arch.POOL_LABEL: pool.name}},
        "spec": {
            "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": NODE_CLASS},
            "requirements": [
                {"key": arch.ARCH_LABEL, "operator": "In", "values": [pool.arch]},
                {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
                {"key": INSTANCE_TYPE_LABEL, "operator": "In", "values": sorted(pool.all_instance_types)},
                {
                    "key": CAPACITY_TYPE_LABEL,
                    "operator": "In",
                    "values": sorted(CAPACITY_TYPES[c] for c in pool.all_capacity_types),
                },
            ],
            # Upstream's default, said explicitly: nodes are renewed monthly. A node whose build pods
            # say do-not-disrupt is drained when they end, or at the latest terminationGracePeriod
            # after Karpenter wants it gone: the longest build timeout plus a margin, so an expired
            # or drifted node cannot be held forever (Settings.karpenter_termination_grace_period).
            "expireAfter": "720h",
            "terminationGracePeriod": termination_grace_period,
        },
    }
    if pool.taints:
        template["spec"]["taints"] = [
            {"key": t.key, **({"value": t.value} if t.value else {}), "effect": t.effect}
            for t in sorted(pool.taints, key=arch.taint_order)
        ]
    return {
        "template": template,
        "disruption": {"consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": consolidate_after},
        "limits": pool_limits(pool),
    }


def node_class(
    cluster: str, node_role: str, disk_size_gib: int, tags: Mapping[str, str], ami_alias: str
) -> dict[str, Any]:
    """The one EC2NodeClass (karpenter.k8s.aws/v1) the build NodePools share."""
    return {
        "role": node_role,
        "amiSelectorTerms": [{"alias": ami_alias}],
        "subnetSelectorTerms": [{"tags": {DISCOVERY_TAG: cluster}}],
        "securityGroupSelectorTerms": [{"tags": {DISCOVERY_TAG: cluster}}],
        "blockDeviceMappings": [
            {
                "deviceName": "/dev/xvda",
                "rootVolume": True,
                "ebs": {
                    "volumeSize": f"{disk_size_gib}Gi",
                    "volumeType": "gp3",
                    "encrypted": True,
                    "deleteOnTermination": True,
                },
            }
        ],
        # IMDSv2 only, not reachable from pods (hop limit 1): pods get AWS credentials from Pod Identity.
        "metadataOptions": {"httpEndpoint": "enabled", "httpTokens": "required", "httpPutResponseHopLimit": 1},
        "tags": dict(tags),  # the provider's default tags do not reach what Karpenter launches
    }


def helm_values(cluster: str, queue: str, system_nodes: int) -> dict[str, Any]:
    """The karpenter chart's values: this cluster, its queue, on the system node group."""
    return {
        "settings": {"clusterName": cluster, "interruptionQueue": queue},
        "serviceAccount": {"create": True, "name": SERVICE_ACCOUNT},
        # The chart spreads replicas one per node: no more replicas than system nodes.
        "replicas": min(2, system_nodes),
        # On the system node group (the chart already tolerates CriticalAddonsOnly and keeps off
        # Karpenter's own nodes).
        "nodeSelector": {"kubernetes.io/os": "linux", arch.POOL_LABEL: names.SYSTEM_POOL},
        "controller": {
            "resources": {"requests": dict(scheduling.KARPENTER_CONTROLLER_REQUESTS), "limits": {"memory": "1Gi"}},
        },
    }


@dataclass(frozen=True)
class KarpenterArgs:
    cluster_name: str  # the EKS cluster (IAM scoping, discovery tags, chart settings)
    cluster: pulumi.Input[str]  # the same name as an Output of the cluster, for ordering
    region: str
    subnet_ids: Sequence[str]  # tagged for discovery: where Karpenter launches nodes
    security_group_id: pulumi.Input[str]  # the cluster security group, tagged for discovery
    pools: Sequence[NodePool]  # one NodePool each
    settings: KarpenterSettings  # consolidateAfter, the system pool
    ami_alias: str  # the AL2023 release the nodes boot (settings: karpenter_ami_alias for the cluster's minor)
    termination_grace_period: str = "75m"  # default 1h builds + 15m (Settings.karpenter_termination_grace_period)
    tags: Mapping[str, str] = field(default_factory=dict)  # onto what Karpenter launches
    pod_identity_agent: pulumi.Resource | None = None  # the add-on that hands the role to the pod
    system_nodes: pulumi.Resource | None = None  # the system node group the controller runs on


def _document(documents: dict[str, str], part: str) -> str:
    return documents[part]


class Karpenter(pulumi.ComponentResource):
    """Karpenter's IAM, queue, rules, discovery tags, charts, EC2NodeClass and NodePools.

    Pass the aws and kubernetes providers.
    """

    node_role_arn: pulumi.Output[str]
    queue_name: pulumi.Output[str]
    policies: pulumi.Output[dict[str, str]]

    def __init__(self, name: str, args: KarpenterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        import pulumi_aws as aws

        super().__init__("multiarch:eks:Karpenter", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        cluster = args.cluster_name

        # Nodes: their role, its policies, and the access entry that lets them join.
        node_role = aws.iam.Role(
            f"{name}-node",
            name=names.karpenter_node_role(cluster),
            assume_role_policy=iam.assume_role_policy("ec2.amazonaws.com"),
            opts=child,
        )
        node_attachments = [
            aws.iam.RolePolicyAttachment(f"{name}-node-{p}", role=node_role.name, policy_arn=iam.managed(p), opts=child)
            for p in NODE_POLICIES
        ]
        access = aws.eks.AccessEntry(
            f"{name}-node-access",
            cluster_name=args.cluster,
            principal_arn=node_role.arn,
            type="EC2_LINUX",
            opts=child,
        )
        self.node_role_arn = node_role.arn

        # The interruption queue and the rules that feed it.
        queue = aws.sqs.Queue(
            f"{name}-queue",
            name=names.karpenter_queue(cluster),
            message_retention_seconds=QUEUE_RETENTION_SECONDS,
            sqs_managed_sse_enabled=True,
            opts=child,
        )
        queue_policy_resource = aws.sqs.QueuePolicy(
            f"{name}-queue-policy",
            queue_url=queue.url,
            policy=queue.arn.apply(lambda a: json.dumps(queue_policy(a), indent=2)),
            opts=child,
        )
        targets: list[pulumi.Resource] = []
        for event in names.KARPENTER_EVENTS:
            rule = aws.cloudwatch.EventRule(
                f"{name}-{event}",
                name=names.karpenter_rule(cluster, event),
                description=f"Karpenter interruption handling for {cluster}: {INTERRUPTION_EVENTS[event][1]}",
                event_pattern=event_pattern(event),
                opts=child,
            )
            targets.append(
                aws.cloudwatch.EventTarget(
                    f"{name}-{event}-target",
                    rule=rule.name,
                    arn=queue.arn,
                    target_id="KarpenterInterruptionQueueTarget",
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[queue_policy_resource]),
                )
            )
        self.queue_name = queue.name

        # The controller: its role (Pod Identity), the upstream policies, the association.
        role = aws.iam.Role(
            f"{name}-controller",
            name=names.karpenter_controller_role(cluster),
            assume_role_policy=iam.pod_identity_trust(),
            opts=child,
        )
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        documents = pulumi.Output.all(identity.account_id, identity.arn, node_role.arn, queue.arn).apply(
            lambda v: {
                part: json.dumps(doc, indent=2)
                for part, doc in controller_policies(
                    cluster, args.region, v[0], str(v[1]).split(":")[1], v[2], v[3]
                ).items()
            }
        )
        self.policies = documents
        attachments: list[pulumi.Resource] = []
        for part in names.KARPENTER_POLICIES:
            policy = aws.iam.Policy(
                f"{name}-{part}",
                name=names.karpenter_policy(cluster, part),
                description=f"Karpenter controller of {cluster}: {part}",
                policy=documents.apply(functools.partial(_document, part=part)),
                opts=child,
            )
            attachments.append(
                aws.iam.RolePolicyAttachment(f"{name}-{part}", role=role.name, policy_arn=policy.arn, opts=child)
            )
        association = iam.pod_identity_association(
            f"{name}-identity",
            cluster=args.cluster,
            namespace=NAMESPACE,
            service_account=SERVICE_ACCOUNT,
            role_arn=role.arn,
            agent=args.pod_identity_agent,
            parent=self,
        )

        # Discovery: the subnets and the security group the EC2NodeClass selects.
        tags: list[pulumi.Resource] = [
            aws.ec2.Tag(f"{name}-discovery-{subnet}", resource_id=subnet, key=DISCOVERY_TAG, value=cluster, opts=child)
            for subnet in args.subnet_ids
        ]
        tags.append(
            aws.ec2.Tag(
                f"{name}-discovery-cluster-sg",
                resource_id=args.security_group_id,
                key=DISCOVERY_TAG,
                value=cluster,
                opts=child,
            )
        )

        # The charts: CRDs first (Helm never upgrades a chart's crds/), then the controller.
        system = args.settings.system_pool
        on_system = [args.system_nodes] if args.system_nodes else []
        crds = k8s.helm.v3.Release(
            f"{name}-crd",
            name=versions.KARPENTER_CRD_CHART,
            chart=f"{versions.KARPENTER_CHART_REPO}/{versions.KARPENTER_CRD_CHART}",
            version=versions.KARPENTER_VERSION,
            namespace=NAMESPACE,
            opts=child,
        )
        controller = k8s.helm.v3.Release(
            name,
            name=versions.KARPENTER_CHART,
            chart=f"{versions.KARPENTER_CHART_REPO}/{versions.KARPENTER_CHART}",
            version=versions.KARPENTER_VERSION,
            namespace=NAMESPACE,
            skip_crds=True,
            values=helm_values(cluster, names.karpenter_queue(cluster), system.min_size),
            # Credentials and the queue before the pod starts; a node to run it on.
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[crds, *attachments, association, *targets, *on_system]
            ),
        )
        disk = max((p.disk_size for p in args.pools), default=versions.DEFAULT_NODE_DISK_GIB)
        nodeclass = k8s.apiextensions.CustomResource(
            f"{name}-{NODE_CLASS}",
            api_version="karpenter.k8s.aws/v1",
            kind="EC2NodeClass",
            metadata={"name": NODE_CLASS},
            spec=node_class(cluster, names.karpenter_node_role(cluster), disk, args.tags, args.ami_alias),
            # After the controller, so it is deleted before it: the controller removes the class's
            # finalizer (and its instance profile) only while it runs.
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[crds, controller, node_role, *node_attachments, access, *tags]
            ),
        )
        for pool in args.pools:
            k8s.apiextensions.CustomResource(
                f"{name}-{pool.name}",
                api_version="karpenter.sh/v1",
                kind="NodePool",
                metadata={"name": pool.name},
                spec=node_pool(pool, args.settings.consolidate_after, args.termination_grace_period),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[crds, nodeclass, controller]),
            )
        self.register_outputs(
            {
                "nodeRoleArn": self.node_role_arn,
                "queueName": self.queue_name,
                "nodePools": {
                    p.name: {"arch": p.arch, "instanceTypes": sorted(p.all_instance_types), "limits": pool_limits(p)}
                    for p in args.pools
                },
            }
        )
