"""Autoscaling that actually happens: pools that scale from zero on every platform.

`EksClusterAutoscaler` creates the Kubernetes Cluster Autoscaler (official chart, minor matched to
the cluster's, pinned in `versions`) as a `helm.v3.Release` in `kube-system`, auto-discovering this
cluster's node groups by their tags, with its own IAM role (EKS Pod Identity) holding only what it
needs: Describe* reads, `eks:DescribeNodegroup` on this cluster's node groups (so an empty managed
group's labels, taints and arch are known and it can scale from zero), and SetDesiredCapacity /
TerminateInstanceInAutoScalingGroup only on this cluster's node group ASGs and only when they are
tagged as this cluster's. `OpenShiftAutoscaling` creates the `ClusterAutoscaler/default` and one
`MachineAutoscaler` per MachineSet. GKE autoscales node pools itself (see `GkeCluster`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from . import arch, iam, names, versions
from .settings import Autoscaling
from .settings.applied import OPENSHIFT_EXPANDERS

NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "cluster-autoscaler"
READ_ACTIONS = (
    "autoscaling:DescribeAutoScalingGroups",
    "autoscaling:DescribeAutoScalingInstances",
    "autoscaling:DescribeLaunchConfigurations",
    "autoscaling:DescribeScalingActivities",
    "autoscaling:DescribeTags",
    "ec2:DescribeImages",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeLaunchTemplateVersions",
    "ec2:GetInstanceTypesFromInstanceRequirements",
)
MUTATING_ACTIONS = ("autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup")


def discovery_tags(cluster_name: str) -> dict[str, str]:
    """Tags the autoscaler's auto-discovery looks for (EKS also puts them on the groups' ASGs)."""
    return {"k8s.io/cluster-autoscaler/enabled": "true", f"k8s.io/cluster-autoscaler/{cluster_name}": "owned"}


def iam_policy(cluster_name: str, region: str, account_id: str, node_group_names: Sequence[str]) -> dict[str, Any]:
    """Least privilege: reads anywhere (they cannot be scoped), writes only on this cluster's groups."""
    asg_arns = [
        f"arn:aws:autoscaling:{region}:{account_id}:autoScalingGroup:*:autoScalingGroupName/eks-{ng}-*"
        for ng in sorted(node_group_names)  # a set to IAM: the pools' order changes nothing
    ]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Describe", "Effect": "Allow", "Action": list(READ_ACTIONS), "Resource": "*"},
            {
                "Sid": "DescribeThisClustersNodegroups",
                "Effect": "Allow",
                "Action": ["eks:DescribeNodegroup"],
                "Resource": f"arn:aws:eks:{region}:{account_id}:nodegroup/{cluster_name}/*/*",
            },
            {
                "Sid": "ScaleThisClustersGroups",
                "Effect": "Allow",
                "Action": list(MUTATING_ACTIONS),
                "Resource": asg_arns,
                "Condition": {"StringEquals": {f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster_name}": "owned"}},
            },
        ],
    }


def helm_values(cluster_name: str, region: str, kubernetes_version: str, a: Autoscaling) -> dict[str, Any]:
    image_tag = a.cluster_autoscaler_tag(kubernetes_version)
    limits = a.limits
    return {
        "fullnameOverride": "cluster-autoscaler",
        "autoDiscovery": {"clusterName": cluster_name},
        "awsRegion": region,
        "cloudProvider": "aws",
        "image": {"repository": versions.CLUSTER_AUTOSCALER_IMAGE, "tag": image_tag},
        "rbac": {"serviceAccount": {"create": True, "name": SERVICE_ACCOUNT}},
        "extraArgs": {
            "balance-similar-node-groups": "true",
            "expander": a.expander,
            "scale-down-delay-after-add": a.scale_down_delay_after_add,
            "scale-down-unneeded-time": a.scale_down_unneeded_time,
            "max-nodes-total": str(limits.max_nodes_total),
            "cores-total": f"{limits.cores.min}:{limits.cores.max}",
            "memory-total": f"{limits.memory_gib.min}:{limits.memory_gib.max}",
            # Build pods use emptyDir scratch space: without this a node running one never scales down.
            "skip-nodes-with-local-storage": "false",
        },
        # The autoscaler image is multi-arch; it may run on either pool (and tolerates GKE-style arm64 taints).
        "tolerations": [{"key": arch.ARCH_LABEL, "operator": "Equal", "value": "arm64", "effect": "NoSchedule"}],
    }


@dataclass(frozen=True)
class EksClusterAutoscalerArgs:
    cluster_name: str  # the EKS cluster (discovery and IAM scoping)
    cluster: pulumi.Input[str]  # the same name as an Output of the cluster, for ordering
    region: str
    kubernetes_version: str  # picks the autoscaler's minor (versions.CLUSTER_AUTOSCALER, or the configured release)
    node_group_names: Sequence[str]  # the groups it may scale
    autoscaling: Autoscaling  # expander, scale-down timing, cluster-wide limits
    pod_identity_agent: pulumi.Resource | None = None  # the add-on that hands the role to the pod


class EksClusterAutoscaler(pulumi.ComponentResource):
    """IAM role (Pod Identity) and the cluster-autoscaler release; pass the aws and kubernetes providers."""

    policy: pulumi.Output[str]

    def __init__(self, name: str, args: EksClusterAutoscalerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        import pulumi_aws as aws

        super().__init__("multiarch:eks:ClusterAutoscaler", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{name}-role",
            name=names.autoscaler_role(args.cluster_name),
            assume_role_policy=iam.pod_identity_trust(),
            opts=child,
        )
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        self.policy = identity.account_id.apply(
            lambda account: json.dumps(
                iam_policy(args.cluster_name, args.region, account, args.node_group_names), indent=2
            )
        )
        policy = aws.iam.RolePolicy(f"{name}-policy", role=role.name, policy=self.policy, opts=child)
        association = iam.pod_identity_association(
            f"{name}-identity",
            cluster=args.cluster,
            namespace=NAMESPACE,
            service_account=SERVICE_ACCOUNT,
            role_arn=role.arn,
            agent=args.pod_identity_agent,
            parent=self,
        )
        chart_version = versions.CLUSTER_AUTOSCALER.get(
            args.kubernetes_version, (versions.CLUSTER_AUTOSCALER_NEWEST_CHART, "")
        )[0]
        k8s.helm.v3.Release(
            name,
            name="cluster-autoscaler",
            chart=versions.CLUSTER_AUTOSCALER_CHART,
            version=chart_version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=versions.CLUSTER_AUTOSCALER_CHART_REPO),
            namespace=NAMESPACE,
            values=helm_values(args.cluster_name, args.region, args.kubernetes_version, args.autoscaling),
            # Credentials first: the pod reads them at start.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy, association]),
        )
        self.register_outputs({"policy": self.policy})


def cluster_autoscaler(a: Autoscaling) -> dict[str, Any]:
    """OpenShift's ClusterAutoscaler/default spec."""
    limits = a.limits
    return {
        "podPriorityThreshold": -10,
        "balanceSimilarNodeGroups": True,
        # The expander the stack file names (least-waste by default), in the CRD's spelling.
        "expanders": [OPENSHIFT_EXPANDERS[a.expander]],
        "resourceLimits": {
            "maxNodesTotal": limits.max_nodes_total,
            "cores": {"min": limits.cores.min, "max": limits.cores.max},
            "memory": {"min": limits.memory_gib.min, "max": limits.memory_gib.max},
        },
        "scaleDown": {
            "enabled": True,
            "delayAfterAdd": a.scale_down_delay_after_add,
            "unneededTime": a.scale_down_unneeded_time,
        },
    }


@dataclass(frozen=True)
class OpenShiftAutoscalingArgs:
    autoscaling: Autoscaling  # cluster-wide limits and scale-down timing
    bounds: Mapping[str, tuple[int, int]]  # MachineSet key -> (minReplicas, maxReplicas)
    # MachineSet key -> its resource: each MachineAutoscaler waits for its own MachineSet only (one
    # edge per set, not one per pair: a plan stays linear in the pools).
    machine_sets: Mapping[str, pulumi.Resource] = field(default_factory=dict)
    # MachineSet key -> its name, where they differ (an infrastructure name given as an Output);
    # default: the key is the name
    names: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)


class OpenShiftAutoscaling(pulumi.ComponentResource):
    """ClusterAutoscaler/default and one MachineAutoscaler per MachineSet; pass the Kubernetes provider."""

    def __init__(self, name: str, args: OpenShiftAutoscalingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("multiarch:openshift:Autoscaling", name, None, opts)
        k8s.apiextensions.CustomResource(
            f"{name}-cluster",
            api_version="autoscaling.openshift.io/v1",
            kind="ClusterAutoscaler",
            metadata={"name": "default"},
            spec=cluster_autoscaler(args.autoscaling),
            opts=pulumi.ResourceOptions(parent=self),
        )
        for key, (low, high) in args.bounds.items():
            ms_name = args.names.get(key, key)
            k8s.apiextensions.CustomResource(
                f"{name}-{key}",
                api_version="autoscaling.openshift.io/v1beta1",
                kind="MachineAutoscaler",
                metadata={"name": ms_name, "namespace": "openshift-machine-api"},
                spec={
                    "minReplicas": low,
                    "maxReplicas": high,
                    "scaleTargetRef": {
                        "apiVersion": "machine.openshift.io/v1beta1",
                        "kind": "MachineSet",
                        "name": ms_name,
                    },
                },
                opts=pulumi.ResourceOptions(
                    parent=self, depends_on=[args.machine_sets[key]] if key in args.machine_sets else []
                ),
            )
        self.register_outputs({})
