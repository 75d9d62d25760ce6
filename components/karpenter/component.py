"""`Karpenter`: the roles, the queue and its rules, the discovery tags, the charts, the EC2NodeClass
and the NodePools, declared for one EKS cluster."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from .. import iam, names, versions
from ..settings import Karpenter as KarpenterSettings
from ..settings import NodePool
from .manifests import (
    DISCOVERY_TAG,
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


@dataclass(frozen=True)
class KarpenterArgs:
    cluster_name: str  # the EKS cluster (IAM scoping, discovery tags, chart settings)
    cluster: pulumi.Input[str]  # the same name as an Output of the cluster, for ordering
    region: str
    subnets: Mapping[str, pulumi.Input[str]]  # key -> subnet, tagged for discovery: where Karpenter launches nodes
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
            aws.ec2.Tag(f"{name}-discovery-{key}", resource_id=subnet, key=DISCOVERY_TAG, value=cluster, opts=child)
            for key, subnet in args.subnets.items()
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
