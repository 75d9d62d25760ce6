"""Autoscaling on every platform: the EKS Cluster Autoscaler and its IAM, OpenShift's autoscalers, GKE's profile."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components import autoscaler, settings, versions
from tests.components.test_storage import GKE, OPENSHIFT
from tests.conftest import EKS_CONFIG, assert_config_error, config
from tools import mockengine
from tools.mockengine import Recording

RELEASE = "kubernetes:helm.sh/v3:Release"


@pytest.fixture(scope="module")
def eks() -> Recording:
    return mockengine.run_main(EKS_CONFIG, stack="autoscaling")


def test_cluster_autoscaler_release_matches_the_cluster_minor(eks: Recording) -> None:
    release = eks.one(RELEASE, "cluster-autoscaler").plain_inputs
    chart, image = versions.CLUSTER_AUTOSCALER["1.33"]
    assert (release["chart"], release["version"], release["namespace"]) == ("cluster-autoscaler", chart, "kube-system")
    assert release["repositoryOpts"] == {"repo": "https://kubernetes.github.io/autoscaler"}
    values = release["values"]
    assert values["image"]["tag"] == image and image.startswith("v1.33.")
    assert values["autoDiscovery"] == {"clusterName": "build-multiarch"}
    assert values["awsRegion"] == "eu-west-3"
    args = values["extraArgs"]
    assert args["balance-similar-node-groups"] == "true"
    assert args["expander"] == "least-waste"
    assert args["scale-down-delay-after-add"] == "10m"
    assert args["skip-nodes-with-local-storage"] == "false"
    assert values["rbac"]["serviceAccount"]["name"] == "cluster-autoscaler"


@pytest.mark.parametrize(
    ("version", "unlisted", "configured", "chart", "tag"),
    [
        ("1.34", False, None, "9.59.0", "v1.34.5"),
        ("1.35", False, None, "9.59.0", "v1.35.2"),
        ("1.37", True, "v1.37.0", versions.CLUSTER_AUTOSCALER_NEWEST_CHART, "v1.37.0"),  # the way out
    ],
)
def test_the_autoscaler_release_follows_the_minor(
    version: str, unlisted: bool, configured: str | None, chart: str, tag: str
) -> None:
    cluster = {**EKS_CONFIG["multiarch:cluster"], "version": version, "unlistedVersion": unlisted}
    autoscaling = {"clusterAutoscalerVersion": configured} if configured else {}
    rec = mockengine.run_main(config(EKS_CONFIG, cluster=cluster, autoscaling=autoscaling), stack=f"ca-{version}")
    release = rec.one(RELEASE, "cluster-autoscaler").plain_inputs
    assert (release["version"], release["values"]["image"]["tag"]) == (chart, tag)


def policy_of(rec: Recording) -> dict[str, Any]:
    return json.loads(rec.one("aws:iam/rolePolicy:RolePolicy").plain_inputs["policy"])


def assert_least_privilege(doc: dict[str, Any], cluster: str = "build-multiarch") -> None:
    for st in doc["Statement"]:
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        assert all("*" not in a for a in actions), st  # no wildcard actions anywhere
        mutating = [a for a in actions if not a.split(":")[1].startswith(("Describe", "Get"))]
        if mutating:
            assert st["Resource"] != "*" and all(arn.startswith("arn:aws:autoscaling:") for arn in st["Resource"])
            assert st["Condition"] == {
                "StringEquals": {f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster}": "owned"}
            }


def test_iam_is_least_privilege(eks: Recording) -> None:
    doc = policy_of(eks)
    assert_least_privilege(doc)
    statements = {st["Sid"]: st for st in doc["Statement"]}
    assert set(statements["ScaleThisClustersGroups"]["Action"]) == {
        "autoscaling:SetDesiredCapacity",
        "autoscaling:TerminateInstanceInAutoScalingGroup",
    }
    assert sorted(statements["ScaleThisClustersGroups"]["Resource"]) == [
        f"arn:aws:autoscaling:eu-west-3:{mockengine.ACCOUNT_ID}:autoScalingGroup:*:autoScalingGroupName/eks-build-multiarch-arm64-*",
        f"arn:aws:autoscaling:eu-west-3:{mockengine.ACCOUNT_ID}:autoScalingGroup:*:autoScalingGroupName/eks-build-multiarch-x86-*",
    ]
    assert statements["DescribeThisClustersNodegroups"] == {
        "Sid": "DescribeThisClustersNodegroups",
        "Effect": "Allow",
        "Action": ["eks:DescribeNodegroup"],
        "Resource": f"arn:aws:eks:eu-west-3:{mockengine.ACCOUNT_ID}:nodegroup/build-multiarch/*/*",
    }


@pytest.mark.parametrize(
    "mutate",
    [
        lambda st: st.update(Resource="*"),
        lambda st: st.pop("Condition"),
        lambda st: st.update(Action=["autoscaling:*"]),
    ],
)
def test_the_least_privilege_check_can_fail(mutate: Any) -> None:
    doc = autoscaler.iam_policy("c", "eu-west-3", "1", ["c-x86"])
    assert_least_privilege(doc, "c")
    mutate(doc["Statement"][2])
    with pytest.raises((AssertionError, KeyError)):
        assert_least_privilege(doc, "c")


def test_pod_identity_for_the_autoscaler(eks: Recording) -> None:
    assoc = eks.one("aws:eks/podIdentityAssociation:PodIdentityAssociation").plain_inputs
    assert (assoc["namespace"], assoc["serviceAccount"]) == ("kube-system", "cluster-autoscaler")
    role = eks.one("aws:iam/role:Role", "cluster-autoscaler-role").plain_inputs
    assert json.loads(role["assumeRolePolicy"])["Statement"][0]["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert assoc["roleArn"].endswith(":role/build-multiarch-cluster-autoscaler")
    agent = eks.one("aws:eks/addon:Addon", "build-multiarch-pod-identity-agent")
    assert agent.urn in eks.one("aws:eks/podIdentityAssociation:PodIdentityAssociation").dependencies


def test_node_groups_carry_the_discovery_tags(eks: Recording) -> None:
    for group in eks.by_type("aws:eks/nodeGroup:NodeGroup"):
        tags = group.plain_inputs["tags"]
        assert tags["k8s.io/cluster-autoscaler/enabled"] == "true"
        assert tags["k8s.io/cluster-autoscaler/build-multiarch"] == "owned"


def test_arm64_pool_at_zero_with_an_autoscaler_to_raise_it(eks: Recording) -> None:
    arm = eks.one("aws:eks/nodeGroup:NodeGroup", "build-multiarch-pools-arm64").plain_inputs
    assert arm["scalingConfig"]["minSize"] == 0
    assert eks.one(RELEASE, "cluster-autoscaler")


def test_no_autoscaler_when_disabled() -> None:
    pools = [{**p, "minSize": 1} for p in EKS_CONFIG["multiarch:nodePools"]]
    rec = mockengine.run_main(config(EKS_CONFIG, nodePools=pools, autoscaling={"enabled": False}), stack="noscale")
    assert not [r for r in rec.by_type(RELEASE) if r.name == "cluster-autoscaler"]
    assert not rec.by_type("aws:iam/rolePolicy:RolePolicy")


def test_openshift_autoscalers_and_scale_from_zero_annotations() -> None:
    cfg = config(
        OPENSHIFT,
        autoscaling={
            "limits": {"maxNodesTotal": 12, "cores": {"min": 8, "max": 96}, "memoryGib": {"min": 16, "max": 384}}
        },
    )
    cfg["multiarch:nodePools"] = [
        {**OPENSHIFT["multiarch:nodePools"][0], "minSize": 1, "maxSize": 4},
        {**OPENSHIFT["multiarch:nodePools"][1], "minSize": 0, "maxSize": 5},
    ]
    rec = mockengine.run_main(cfg, stack="ocp")
    ca = rec.one("kubernetes:autoscaling.openshift.io/v1:ClusterAutoscaler").plain_inputs
    assert ca["metadata"] == {"name": "default"}
    assert ca["spec"]["resourceLimits"] == {
        "maxNodesTotal": 12,
        "cores": {"min": 8, "max": 96},
        "memory": {"min": 16, "max": 384},
    }
    assert ca["spec"]["scaleDown"]["enabled"] is True
    assert ca["spec"]["expanders"] == ["LeastWaste"]  # the stack's default expander, in the CRD's spelling
    sets = {
        r.plain_inputs["metadata"]["name"]: r for r in rec.by_type("kubernetes:machine.openshift.io/v1beta1:MachineSet")
    }
    scalers = {
        r.plain_inputs["spec"]["scaleTargetRef"]["name"]: r
        for r in rec.by_type("kubernetes:autoscaling.openshift.io/v1beta1:MachineAutoscaler")
    }
    assert set(scalers) == set(sets)  # one MachineAutoscaler per MachineSet
    bounds = {
        n: (s.plain_inputs["spec"]["minReplicas"], s.plain_inputs["spec"]["maxReplicas"]) for n, s in scalers.items()
    }
    assert bounds == {
        "b-x1-x86-eu-west-3a": (1, 2),
        "b-x1-x86-eu-west-3b": (0, 2),
        "b-x1-arm64-eu-west-3a": (0, 3),
        "b-x1-arm64-eu-west-3b": (0, 2),
    }
    for name, scaler in scalers.items():
        assert scaler.plain_inputs["metadata"]["namespace"] == "openshift-machine-api"
        # Its own MachineSet, and no other: one edge per set keeps the plan linear in the pools.
        assert [d for d in scaler.dependencies if d in {s.urn for s in sets.values()}] == [sets[name].urn]
    arm = sets["b-x1-arm64-eu-west-3a"].plain_inputs["metadata"]["annotations"]
    assert arm == {
        "capacity.cluster-autoscaler.kubernetes.io/labels": "kubernetes.io/arch=arm64",
        "machine.openshift.io/vCPU": "8",
        "machine.openshift.io/memoryMb": "32768",
        "machine.openshift.io/GPU": "0",
    }
    x86 = sets["b-x1-x86-eu-west-3b"].plain_inputs["metadata"]["annotations"]
    assert x86["capacity.cluster-autoscaler.kubernetes.io/labels"] == "kubernetes.io/arch=amd64"


def test_gke_profile_and_scale_from_zero() -> None:
    rec = mockengine.run_main(GKE, stack="gke")
    cluster = rec.one("gcp:container/cluster:Cluster").plain_inputs
    assert cluster["clusterAutoscaling"] == {"autoscalingProfile": "OPTIMIZE_UTILIZATION"}
    arm = rec.one("gcp:container/nodePool:NodePool", "b-pools-arm64").plain_inputs
    assert arm["autoscaling"]["totalMinNodeCount"] == 0
    balanced = mockengine.run_main(config(GKE, autoscaling={"profile": "BALANCED"}), stack="gke")
    assert balanced.one("gcp:container/cluster:Cluster").plain_inputs["clusterAutoscaling"] == {
        "autoscalingProfile": "BALANCED"
    }


@pytest.mark.parametrize(
    ("base", "changes", "expected"),
    [
        (
            EKS_CONFIG,
            {"autoscaling": {"enabled": False}},
            "multiarch:nodePools[arm64].minSize: 0 with autoscaling disabled: nothing would ever add a node",
        ),
        (
            OPENSHIFT,
            {"autoscaling": {"enabled": False}, "nodePools": [{**OPENSHIFT["multiarch:nodePools"][1], "minSize": 0}]},
            "multiarch:nodePools[arm64].minSize: 0 with autoscaling disabled",
        ),
        (
            EKS_CONFIG,
            {"cluster": {**EKS_CONFIG["multiarch:cluster"], "version": "1.37", "unlistedVersion": True}},
            "multiarch:cluster.version: '1.37' has no Cluster Autoscaler pinned",
        ),
        (
            EKS_CONFIG,
            {
                "cluster": {**EKS_CONFIG["multiarch:cluster"], "version": "1.37", "unlistedVersion": True},
                "autoscaling": {"clusterAutoscalerVersion": "v1.36.1"},
            },
            "multiarch:autoscaling.clusterAutoscalerVersion: v1.36.1 is for Kubernetes 1.36, and the cluster runs 1.37",
        ),
        (
            EKS_CONFIG,
            {"autoscaling": {"limits": {"cores": {"min": 10, "max": 5}}}},
            "multiarch:autoscaling.limits.cores.min: 10 is greater than max 5",
        ),
        (EKS_CONFIG, {"autoscaling": {"expander": "cheapest"}}, "multiarch:autoscaling.expander: 'cheapest'"),
        (
            EKS_CONFIG,
            {"autoscaling": {"scaleDownUnneededTime": "ten minutes"}},
            "multiarch:autoscaling.scaleDownUnneededTime: 'ten minutes'",
        ),
        (
            OPENSHIFT,
            {"nodePools": [{**OPENSHIFT["multiarch:nodePools"][1], "maxSize": 1}]},
            "multiarch:nodePools[arm64].maxSize: 1 is less than the 2 zones",
        ),
        (
            OPENSHIFT,
            {
                "nodePools": [
                    {**OPENSHIFT["multiarch:nodePools"][0], "instanceType": "m9a.2xlarge", "unlistedInstanceType": True}
                ]
            },
            "multiarch:nodePools[x86].nodeCapacity: required with unlistedInstanceType here",
        ),
    ],
)
def test_bad_autoscaling_input(base: dict[str, Any], changes: dict[str, Any], expected: str) -> None:
    assert_config_error(base, changes, expected)


def test_min_zero_is_fine_with_autoscaling() -> None:
    raw = {k.split(":", 1)[1]: v for k, v in EKS_CONFIG.items() if k.startswith("multiarch:")}
    assert settings.parse(raw, stack="t", aws_region="eu-west-3").pool("arm64").min_size == 0
