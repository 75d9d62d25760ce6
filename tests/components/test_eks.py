"""EKS cluster and node groups under the recording mock engine."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components import settings
from components.clusters.eks import EksCluster, EksClusterArgs
from components.nodepools.eks import EksNodePools, EksNodePoolsArgs
from tests.conftest import SUBNETS
from tools import mockengine
from tools.mockengine import Recording

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"


def pools(*specs: dict[str, Any]) -> tuple[settings.NodePool, ...]:
    return tuple(settings.NodePool.model_validate(s) for s in specs)


X86 = {"name": "x86", "arch": "amd64", "instanceType": "m5a.2xlarge", "minSize": 1, "maxSize": 3}
ARM = {
    "name": "arm64",
    "arch": "arm64",
    "instanceType": "m6g.2xlarge",
    "minSize": 0,
    "maxSize": 5,
    "desiredSize": 1,
    "capacityType": "SPOT",
    "labels": {"team": "build"},
    "taints": [
        {"key": "multiarch.dev/arch", "value": "arm64", "effect": "NoSchedule"},
        {"key": "drain", "effect": "NoExecute"},
    ],
}


def build_pools(*specs: dict[str, Any]) -> EksNodePools:
    return EksNodePools(
        "pools",
        EksNodePoolsArgs(cluster_name="build", name_prefix="build", subnet_ids=SUBNETS, pools=pools(*specs)),
    )


@pulumi.runtime.test
def test_one_node_group_per_pool_with_arch_facts(recording: Recording) -> pulumi.Output[None]:
    component = build_pools(X86, ARM)

    def check(_: Any) -> None:
        groups = {r.name: r.plain_inputs for r in recording.by_type(NODE_GROUP)}
        assert set(groups) == {"pools-x86", "pools-arm64"}
        x86, arm = groups["pools-x86"], groups["pools-arm64"]
        assert (x86["amiType"], x86["instanceTypes"]) == ("AL2023_x86_64_STANDARD", ["m5a.2xlarge"])
        assert (arm["amiType"], arm["instanceTypes"]) == ("AL2023_ARM_64_STANDARD", ["m6g.2xlarge"])
        assert arm["nodeGroupName"] == "build-arm64"
        assert arm["capacityType"] == "SPOT"
        assert x86["capacityType"] == "ON_DEMAND"
        assert arm["scalingConfig"] == {"minSize": 0, "maxSize": 5, "desiredSize": 1}
        assert x86["scalingConfig"] == {"minSize": 1, "maxSize": 3, "desiredSize": 1}
        assert arm["labels"] == {"team": "build", "multiarch.dev/pool": "arm64"}
        assert arm["taints"] == [  # a set to EKS: in a canonical order (key, effect, value)
            {"key": "drain", "effect": "NO_EXECUTE"},
            {"key": "multiarch.dev/arch", "value": "arm64", "effect": "NO_SCHEDULE"},
        ]
        assert x86["updateConfig"] == {"maxUnavailable": 1}
        assert arm["subnetIds"] == SUBNETS

    return pulumi.Output.all(*(g.id for g in component.node_groups.values())).apply(check)


@pulumi.runtime.test
def test_desired_size_is_left_to_the_autoscaler(recording: Recording) -> pulumi.Output[None]:
    component = build_pools(ARM)

    def check(_: Any) -> None:
        group = recording.one(NODE_GROUP, "pools-arm64")
        assert group.ignore_changes == ["scalingConfig.desiredSize"]

    return component.node_groups["arm64"].id.apply(check)


@pulumi.runtime.test
def test_children_are_parented_and_wait_for_node_policies(recording: Recording) -> pulumi.Output[None]:
    component = build_pools(X86)

    def check(_: Any) -> None:
        parent = recording.one("multiarch:eks:NodePools", "pools")
        children = list(recording.children(parent.urn))
        assert {c.type for c in children} == {
            "aws:iam/role:Role",
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            NODE_GROUP,
        }
        policies = {
            c.plain_inputs["policyArn"] for c in recording.by_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        }
        assert policies == {
            "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
            "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
            "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
        }
        group = recording.one(NODE_GROUP)
        attachment_urns = {c.urn for c in recording.by_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")}
        assert attachment_urns <= set(group.dependencies)
        role = recording.one("aws:iam/role:Role")
        trust = json.loads(role.plain_inputs["assumeRolePolicy"])
        assert trust["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
        assert role.plain_inputs["name"] == "build-node"

    return pulumi.Output.all(component.urn, *(g.id for g in component.node_groups.values())).apply(check)


@pulumi.runtime.test
def test_pool_ami_type_override(recording: Recording) -> pulumi.Output[None]:
    component = build_pools({**ARM, "amiType": "BOTTLEROCKET_ARM_64"})
    return component.node_groups["arm64"].ami_type.apply(lambda t: _eq(t, "BOTTLEROCKET_ARM_64"))


def _eq(actual: Any, expected: Any) -> None:
    assert actual == expected


@pulumi.runtime.test
def test_created_cluster_and_secret_kubeconfig(recording: Recording) -> pulumi.Output[None]:
    cluster = EksCluster("build", EksClusterArgs(name="build", region="eu-west-3", version="1.33", subnet_ids=SUBNETS))

    def check(args: list[Any]) -> None:
        kubeconfig, is_secret = args
        assert is_secret
        cfg = json.loads(kubeconfig)
        exec_ = cfg["users"][0]["user"]["exec"]
        assert exec_["command"] == "aws"
        assert exec_["args"][:4] == ["eks", "get-token", "--cluster-name", "build"]
        assert "--region" in exec_["args"] and "eu-west-3" in exec_["args"]
        assert cfg["clusters"][0]["cluster"]["server"].startswith("https://")
        assert cfg["clusters"][0]["cluster"]["certificate-authority-data"]
        eks = recording.one("aws:eks/cluster:Cluster").plain_inputs
        assert eks["version"] == "1.33"
        assert eks["vpcConfig"]["subnetIds"] == SUBNETS
        assert eks["accessConfig"]["authenticationMode"] == "API"
        policy = recording.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment").plain_inputs["policyArn"]
        assert policy == "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"

    return pulumi.Output.all(cluster.kubeconfig, pulumi.Output.from_input(cluster.kubeconfig).is_secret()).apply(check)


@pulumi.runtime.test
def test_adopted_cluster_creates_nothing(recording: Recording) -> pulumi.Output[None]:
    cluster = EksCluster("existing", EksClusterArgs(name="existing", region="eu-west-3", version="1.33", create=False))

    def check(args: list[Any]) -> None:
        _, endpoint, subnets = args
        assert [r.type for r in recording.resources] == ["multiarch:eks:Cluster"]
        assert ("aws:eks/getCluster:getCluster", {"name": "existing"}) in [
            (t, {k: v for k, v in a.items() if k == "name"}) for t, a in recording.invokes
        ]
        assert endpoint.startswith("https://EXISTING")
        assert subnets == ["subnet-0adopted000000001", "subnet-0adopted000000002"]

    return pulumi.Output.all(cluster.urn, cluster.endpoint, cluster.subnet_ids).apply(check)


def test_whole_eks_program_uses_explicit_providers() -> None:
    from tests.conftest import EKS_CONFIG

    rec = mockengine.run_main(EKS_CONFIG, stack="unit")
    aws_provider = rec.one("pulumi:providers:aws")
    k8s_provider = rec.one("pulumi:providers:kubernetes")
    assert aws_provider.plain_inputs["region"] == "eu-west-3"
    for r in rec.resources:
        if r.custom and r.type.startswith("aws:"):
            assert r.provider.startswith(aws_provider.urn), r.name
    # The Kubernetes provider's kubeconfig is only ever a secret.
    assert isinstance(k8s_provider.inputs["kubeconfig"], mockengine.Secret)
    assert isinstance(rec.outputs["kubeconfig"], mockengine.Secret)


@pytest.mark.parametrize("missing", ["aws:region"])
def test_program_stops_before_registering_anything(missing: str) -> None:
    from tests.conftest import EKS_CONFIG

    cfg = {k: v for k, v in EKS_CONFIG.items() if k != missing}
    rec = mockengine.Recording("unit")
    with pytest.raises(settings.ConfigError):
        mockengine.run_main(cfg, stack="unit", recording=rec)
    assert rec.resources == []
