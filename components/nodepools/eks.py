"""EKS managed node groups, one per pool, each exactly one architecture.

Creates a node IAM role (AmazonEKSWorkerNodePolicy, AmazonEKS_CNI_Policy,
AmazonEC2ContainerRegistryReadOnly) and, per pool, an `aws.eks.NodeGroup` with the AL2023 AMI
type of the pool's architecture (or the pool's `amiType`), its instance type and capacity type,
scaling bounds, the pool's labels plus `multiarch.dev/pool`, taints in EKS' NO_SCHEDULE
vocabulary, a rolling update config, and the Cluster Autoscaler's discovery tags. The desired
size is only the initial size: after creation it belongs to the autoscaler, so the stack ignores it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from .. import arch, iam, names
from ..autoscaler import discovery_tags
from ..settings import NodePool

NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly")


def ami_type(pool: NodePool) -> str:
    """The pool's EKS AMI type: its own `amiType`, else AL2023 for its arch."""
    return pool.ami_type or arch.default_eks_ami_type(pool.arch)


def node_labels(pool: NodePool) -> dict[str, str]:
    return {**pool.labels, arch.POOL_LABEL: pool.name}


@dataclass(frozen=True)
class EksNodePoolsArgs:
    cluster_name: pulumi.Input[str]  # the EKS cluster the groups join (its output, for ordering)
    name_prefix: str  # the cluster's name: <prefix>-node role, <prefix>-<pool> groups, discovery tags
    subnet_ids: pulumi.Input[Sequence[str]]  # where nodes run (the cluster's private subnets)
    pools: Sequence[NodePool]  # one node group per pool, keyed by pool name
    version: pulumi.Input[str] | None = None  # default: the cluster's version
    autoscaler_discovery: bool = True  # the Cluster Autoscaler's tags (not with engine karpenter)
    tags: dict[str, str] = field(default_factory=dict)  # default: none beyond the provider's


class EksNodePools(pulumi.ComponentResource):
    """One managed node group per pool and the node role they share."""

    node_role_arn: pulumi.Output[str]
    node_groups: dict[str, aws.eks.NodeGroup]

    def __init__(self, name: str, args: EksNodePoolsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("multiarch:eks:NodePools", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{name}-node",
            name=names.eks_node_role(args.name_prefix),
            assume_role_policy=iam.assume_role_policy("ec2.amazonaws.com"),
            tags=args.tags,
            opts=child,
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-node-{policy}", role=role.name, policy_arn=iam.managed(policy), opts=child
            )
            for policy in NODE_POLICIES
        ]
        self.node_role_arn = role.arn
        self.node_groups = {}
        for pool in args.pools:
            self.node_groups[pool.name] = aws.eks.NodeGroup(
                f"{name}-{pool.name}",
                cluster_name=args.cluster_name,
                node_group_name=names.eks_node_group(args.name_prefix, pool.name),
                node_role_arn=role.arn,
                subnet_ids=args.subnet_ids,
                version=args.version,
                ami_type=ami_type(pool),
                instance_types=[pool.instance_type],
                capacity_type=pool.capacity_type,
                disk_size=pool.disk_size,
                scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                    min_size=pool.min_size,
                    max_size=pool.max_size,
                    desired_size=pool.initial_size,
                ),
                update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
                labels=node_labels(pool),
                taints=[
                    aws.eks.NodeGroupTaintArgs(
                        key=t.key, value=t.value or None, effect=arch.cloud_taint_effect(t.effect)
                    )
                    for t in sorted(pool.taints, key=arch.taint_order)
                ],
                tags={
                    **args.tags,
                    **(discovery_tags(args.name_prefix) if args.autoscaler_discovery else {}),
                    arch.POOL_LABEL: pool.name,
                    "multiarch.dev/arch": pool.arch,
                },
                opts=pulumi.ResourceOptions(
                    parent=self,
                    # Nodes cannot join before the role holds its policies; no data flows from them.
                    depends_on=attachments,
                    # Initial size only: the autoscaler owns desiredSize after creation.
                    ignore_changes=["scalingConfig.desiredSize"],
                ),
            )
        self.register_outputs({"nodeRoleArn": self.node_role_arn})
