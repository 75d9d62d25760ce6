"""EKS cluster: created (IAM role + control plane) or adopted by name.

Creates, when `create` is true: an IAM role trusted by eks.amazonaws.com holding
AmazonEKSClusterPolicy, and an `aws.eks.Cluster` in the given subnets with API access entries
(the node groups' access is then managed by EKS itself) and control-plane audit logs. When
`create` is false it only reads the existing cluster. Either way it exposes the cluster's name,
endpoint, CA, security group, subnets and a kubeconfig (a secret) that authenticates with
`aws eks get-token`. A created cluster also gets the EKS Pod Identity agent add-on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from .. import iam, kube, names, versions


@dataclass(frozen=True)
class EksClusterArgs:
    name: str  # EKS cluster name (also the name of the adopted cluster)
    region: str  # used in the kubeconfig's `aws eks get-token`
    version: str  # Kubernetes minor version, e.g. "1.33"
    create: bool = True  # false: adopt the existing cluster `name`
    subnet_ids: Sequence[pulumi.Input[str]] = ()  # private subnets in >= 2 AZs (create only)
    endpoint_public_access: bool = True  # default true: reachable by `pulumi up` from outside the VPC
    public_access_cidrs: Sequence[pulumi.Input[str]] = ("0.0.0.0/0",)  # default: anywhere (auth still required)
    tags: dict[str, str] = field(default_factory=dict)  # default: none beyond the provider's


class EksCluster(pulumi.ComponentResource):
    """An EKS control plane, created or adopted."""

    cluster_name: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    ca_data: pulumi.Output[str]
    version: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    subnet_ids: pulumi.Output[Sequence[str]]
    vpc_id: pulumi.Output[str]
    oidc_issuer: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    pod_identity_agent: pulumi.Resource | None  # the EKS Pod Identity agent add-on (created clusters)

    def __init__(self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("multiarch:eks:Cluster", name, None, opts)
        self.pod_identity_agent = None
        if args.create:
            self._create(name, args)
        else:
            self._adopt(args)  # an adopted cluster brings its own add-ons (Pod Identity agent included)
        self.kubeconfig = kube.eks_kubeconfig(self.cluster_name, self.endpoint, self.ca_data, args.region)
        self.register_outputs(
            {
                "clusterName": self.cluster_name,
                "endpoint": self.endpoint,
                "version": self.version,
                "securityGroupId": self.security_group_id,
                "kubeconfig": self.kubeconfig,
            }
        )

    def _create(self, name: str, args: EksClusterArgs) -> None:
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{name}-cluster",
            name=names.eks_cluster_role(args.name),
            assume_role_policy=iam.assume_role_policy("eks.amazonaws.com", ("sts:AssumeRole", "sts:TagSession")),
            tags=args.tags,
            opts=child,
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-cluster-policy",
            role=role.name,
            policy_arn=iam.managed("AmazonEKSClusterPolicy"),
            opts=child,
        )
        cluster = aws.eks.Cluster(
            name,
            name=args.name,
            version=args.version,
            role_arn=role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=_sorted(args.subnet_ids),  # sets to EKS: their order in the stack file changes nothing
                endpoint_private_access=True,
                endpoint_public_access=args.endpoint_public_access,
                public_access_cidrs=_sorted(args.public_access_cidrs) if args.endpoint_public_access else None,
            ),
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API",
                bootstrap_cluster_creator_admin_permissions=True,
            ),
            enabled_cluster_log_types=["api", "audit", "authenticator"],
            tags=args.tags,
            # The policy must be attached before EKS assumes the role; no data flows from it.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[attachment]),
        )
        self.cluster_name = cluster.name
        self.endpoint = cluster.endpoint
        self.ca_data = cluster.certificate_authority.apply(lambda ca: ca.data or "")
        self.version = cluster.version
        self.security_group_id = cluster.vpc_config.apply(lambda v: v.cluster_security_group_id or "")
        self.subnet_ids = cluster.vpc_config.apply(lambda v: list(v.subnet_ids or []))
        self.vpc_id = cluster.vpc_config.apply(lambda v: v.vpc_id or "")
        self.oidc_issuer = cluster.identities.apply(_oidc_issuer)
        # Hands IAM roles to pods (EFS CSI driver, Cluster Autoscaler) without IRSA's OIDC plumbing.
        self.pod_identity_agent = aws.eks.Addon(
            f"{name}-pod-identity-agent",
            cluster_name=cluster.name,
            addon_name=versions.POD_IDENTITY_ADDON,
            addon_version=versions.POD_IDENTITY_ADDON_VERSION,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _adopt(self, args: EksClusterArgs) -> None:
        found = aws.eks.get_cluster_output(name=args.name, opts=pulumi.InvokeOutputOptions(parent=self))
        self.cluster_name = found.name
        self.endpoint = found.endpoint
        self.ca_data = found.certificate_authorities.apply(lambda cas: cas[0].data)
        self.version = found.version
        self.security_group_id = found.vpc_config.apply(lambda v: v.cluster_security_group_id)
        self.subnet_ids = found.vpc_config.apply(lambda v: list(v.subnet_ids))
        self.vpc_id = found.vpc_config.apply(lambda v: v.vpc_id)
        self.oidc_issuer = found.identities.apply(_oidc_issuer)


def _sorted(values: Sequence[pulumi.Input[str]]) -> pulumi.Input[list[str]]:
    """In order (the same set, the same inputs); an Output when one of them is one."""
    known = [v for v in values if isinstance(v, str)]
    if len(known) == len(values):
        return sorted(known)
    return pulumi.Output.all(*values).apply(lambda vs: sorted(str(v) for v in vs))


def _oidc_issuer(identities: Sequence[Any] | None) -> str:
    if identities and identities[0].oidcs:
        return str(identities[0].oidcs[0].issuer or "")
    return ""
