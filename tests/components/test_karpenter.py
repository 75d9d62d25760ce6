"""Karpenter on EKS (`autoscaling.engine: karpenter`), and build pods no autoscaler may evict."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from components import arch, karpenter, kube, names, scheduling, settings, versions
from tests.conftest import SUBNETS
from tools import mockengine, stackfile
from tools.mockengine import Recording

RELEASE = "kubernetes:helm.sh/v3:Release"
NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"
NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
CLUSTER = "build-multiarch"


def run_stack(path: Path) -> Recording:
    stack = stackfile.load(str(path))
    return mockengine.run_main(stack.config, stack=stack.name, secret_keys=stack.secret_keys)


@pytest.fixture(scope="module")
def rec() -> Recording:
    return run_stack(stackfile.ROOT / "stacks" / "Pulumi.karpenter-dev.yaml")


def parent_of(rec: Recording, r: mockengine.Registered) -> str:
    parent = rec.by_urn(r.parent)
    return parent.type if parent else ""


# --- what the engine declares, and what it no longer declares --------------------------------------


def test_karpenter_replaces_the_cluster_autoscaler_and_the_build_node_groups(rec: Recording) -> None:
    assert rec.one("multiarch:eks:Karpenter", "karpenter")
    assert not rec.by_type("multiarch:eks:ClusterAutoscaler")
    assert not [r for r in rec.by_type(RELEASE) if "autoscaler" in r.name]
    # One managed node group: the system pool, arm64, tainted, and nothing autoscales it.
    group = rec.one("aws:eks/nodeGroup:NodeGroup").plain_inputs
    assert group["nodeGroupName"] == f"{CLUSTER}-system"
    assert group["instanceTypes"] == ["t4g.medium"] and group["amiType"] == "AL2023_ARM_64_STANDARD"
    assert group["scalingConfig"] == {"minSize": 1, "maxSize": 2, "desiredSize": 1}
    assert group["taints"] == [{"key": "CriticalAddonsOnly", "value": "true", "effect": "NO_SCHEDULE"}]
    assert group["labels"][arch.POOL_LABEL] == "system"
    assert not any(k.startswith("k8s.io/cluster-autoscaler") for k in group.get("tags", {}))


def test_the_release_is_pinned_on_the_system_nodes_and_reads_the_queue(rec: Recording) -> None:
    crd = rec.one(RELEASE, "karpenter-crd").plain_inputs
    release = rec.one(RELEASE, "karpenter")
    inputs = release.plain_inputs
    for chart, r in ((versions.KARPENTER_CRD_CHART, crd), (versions.KARPENTER_CHART, inputs)):
        assert r["chart"] == f"oci://public.ecr.aws/karpenter/{chart}"
        assert (r["version"], r["namespace"]) == (versions.KARPENTER_VERSION, "kube-system")
    assert inputs["skipCrds"] is True  # the karpenter-crd chart owns (and upgrades) them
    values = inputs["values"]
    queue = rec.one("aws:sqs/queue:Queue").plain_inputs["name"]
    assert values["settings"] == {"clusterName": CLUSTER, "interruptionQueue": queue}
    assert values["nodeSelector"][arch.POOL_LABEL] == names.SYSTEM_POOL
    assert values["replicas"] == 1  # one system node: a second replica would stay Pending
    assert values["serviceAccount"]["name"] == karpenter.SERVICE_ACCOUNT
    # It starts with its credentials, its queue's rules and a node to run on.
    deps = set(release.dependencies)
    assert rec.one("aws:eks/podIdentityAssociation:PodIdentityAssociation", "karpenter-identity").urn in deps
    assert {r.urn for r in rec.by_type("aws:cloudwatch/eventTarget:EventTarget")} <= deps
    assert rec.one("aws:eks/nodeGroup:NodeGroup").urn in deps
    assert rec.one(RELEASE, "karpenter-crd").urn in deps


def test_interruption_queue_and_its_four_rules(rec: Recording) -> None:
    queue = rec.one("aws:sqs/queue:Queue").plain_inputs
    assert (
        queue["name"] == names.karpenter_queue(CLUSTER)
        and queue["messageRetentionSeconds"] == 300
        and queue["sqsManagedSseEnabled"]
    )
    patterns = {
        r.plain_inputs["name"]: json.loads(r.plain_inputs["eventPattern"])
        for r in rec.by_type("aws:cloudwatch/eventRule:EventRule")
    }
    assert sorted((p["source"][0], p["detail-type"][0]) for p in patterns.values()) == [
        ("aws.ec2", "EC2 Instance Rebalance Recommendation"),
        ("aws.ec2", "EC2 Instance State-change Notification"),
        ("aws.ec2", "EC2 Spot Instance Interruption Warning"),
        ("aws.health", "AWS Health Event"),
    ]
    assert all(name.startswith(f"{CLUSTER}-karpenter-") for name in patterns)
    targets = rec.by_type("aws:cloudwatch/eventTarget:EventTarget")
    arns = {t.plain_inputs["arn"] for t in targets}
    assert len(targets) == 4 and len(arns) == 1 and arns.pop().endswith(f":{queue['name']}")
    policy = json.loads(rec.one("aws:sqs/queuePolicy:QueuePolicy").plain_inputs["policy"])
    allow, deny = policy["Statement"]
    assert allow["Principal"] == {"Service": ["events.amazonaws.com", "sqs.amazonaws.com"]}
    assert allow["Action"] == "sqs:SendMessage" and allow["Resource"] == targets[0].plain_inputs["arn"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} and deny["Effect"] == "Deny"


def test_node_role_joins_through_an_ec2_linux_access_entry(rec: Recording) -> None:
    role = rec.one("aws:iam/role:Role", "karpenter-node").plain_inputs
    assert role["name"] == names.karpenter_node_role(CLUSTER)
    assert json.loads(role["assumeRolePolicy"])["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    entry = rec.one("aws:eks/accessEntry:AccessEntry").plain_inputs
    assert entry["type"] == "EC2_LINUX" and entry["clusterName"] == CLUSTER
    assert entry["principalArn"].endswith(f":role/{names.karpenter_node_role(CLUSTER)}")
    attached = {
        r.plain_inputs["policyArn"].rsplit("/", 1)[1]
        for r in rec.by_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if r.plain_inputs["role"] == names.karpenter_node_role(CLUSTER)
    }
    assert attached == set(karpenter.NODE_POLICIES)


def test_controller_uses_pod_identity(rec: Recording) -> None:
    role = rec.one("aws:iam/role:Role", "karpenter-controller").plain_inputs
    trust = json.loads(role["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert trust["Action"] == ["sts:AssumeRole", "sts:TagSession"]
    assoc = rec.one("aws:eks/podIdentityAssociation:PodIdentityAssociation", "karpenter-identity").plain_inputs
    assert (assoc["clusterName"], assoc["namespace"], assoc["serviceAccount"]) == (CLUSTER, "kube-system", "karpenter")
    assert assoc["roleArn"].endswith(f":role/{names.karpenter_controller_role(CLUSTER)}")
    policies = {r.plain_inputs["name"] for r in rec.by_type("aws:iam/policy:Policy")}
    assert policies == {names.karpenter_policy(CLUSTER, p) for p in names.KARPENTER_POLICIES}


# --- the controller's policies: least privilege, scoped to this cluster ----------------------------

READ_ONLY = ("Describe", "Get", "List")


def scope_problems(documents: dict[str, dict[str, Any]], cluster: str) -> list[str]:
    """Statements that could act on another cluster's resources: a mutating action with neither a
    condition naming `cluster` nor a resource that is only this cluster's (its role, queue, API)."""
    problems = []
    for part, doc in documents.items():
        for st in doc["Statement"]:
            actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
            if any("*" in a for a in actions):
                problems.append(f"{part}/{st['Sid']}: wildcard action")
            mutating = [a for a in actions if not a.split(":")[1].startswith(READ_ONLY)]
            if not mutating or st["Sid"] == "AllowScopedEC2InstanceAccessActions":
                continue  # upstream: images, subnets, security groups are shared inputs to RunInstances
            resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
            scoped_by_condition = cluster in json.dumps(st.get("Condition", {}))
            scoped_by_resource = all(
                r.endswith(
                    (
                        f":cluster/{cluster}",
                        f":role/{names.karpenter_node_role(cluster)}",
                        f":{names.karpenter_queue(cluster)}",
                    )
                )
                for r in resources
            )
            if not (scoped_by_condition or scoped_by_resource):
                problems.append(f"{part}/{st['Sid']}: {mutating} on {resources}")
    return problems


def documents_of(rec: Recording) -> dict[str, dict[str, Any]]:
    return {
        r.name.removeprefix("karpenter-"): json.loads(r.plain_inputs["policy"])
        for r in rec.by_type("aws:iam/policy:Policy")
    }


def test_controller_policies_are_scoped_to_this_cluster(rec: Recording) -> None:
    documents = documents_of(rec)
    assert set(documents) == set(names.KARPENTER_POLICIES)
    assert scope_problems(documents, CLUSTER) == []
    # The account, region and partition are the caller's, never a wildcard account.
    lifecycle = {st["Sid"]: st for st in documents["node-lifecycle"]["Statement"]}
    assert lifecycle["AllowScopedDeletion"]["Resource"][0] == "arn:aws:ec2:eu-west-3:*:instance/*"
    assert lifecycle["AllowScopedDeletion"]["Condition"]["StringEquals"] == {
        f"aws:ResourceTag/kubernetes.io/cluster/{CLUSTER}": "owned"
    }
    eks_api = documents["eks-integration"]["Statement"][0]
    assert eks_api["Resource"] == f"arn:aws:eks:eu-west-3:{mockengine.ACCOUNT_ID}:cluster/{CLUSTER}"


@pytest.mark.parametrize(
    ("part", "sid", "mutate"),
    [
        ("node-lifecycle", "AllowScopedDeletion", lambda st: st.pop("Condition")),
        ("iam-integration", "AllowPassingInstanceRole", lambda st: st.update(Resource="*")),
        ("interruption", "AllowInterruptionQueueActions", lambda st: st.update(Action=["sqs:*"])),
        ("iam-integration", "AllowScopedInstanceProfileActions", lambda st: st.update(Condition={})),
    ],
)
def test_the_scope_check_catches_a_widened_statement(rec: Recording, part: str, sid: str, mutate: Any) -> None:
    documents = documents_of(rec)
    st = next(s for s in documents[part]["Statement"] if s["Sid"] == sid)
    mutate(st)
    assert [p for p in scope_problems(documents, CLUSTER) if p.startswith(f"{part}/{sid}")]


def test_subnets_and_cluster_security_group_are_tagged_for_discovery(rec: Recording) -> None:
    tags = {r.name: r.plain_inputs for r in rec.by_type("aws:ec2/tag:Tag")}
    assert all((t["key"], t["value"]) == ("karpenter.sh/discovery", CLUSTER) for t in tags.values())
    tagged = {t["resourceId"] for t in tags.values()}
    assert set(SUBNETS) < tagged and len(tagged) == len(SUBNETS) + 1  # and the cluster security group


# --- NodePools and the EC2NodeClass -----------------------------------------------------------------


def test_one_node_pool_per_build_pool_with_its_arch_types_capacity_and_limits(rec: Recording) -> None:
    pools = {r.plain_inputs["metadata"]["name"]: r.plain_inputs["spec"] for r in rec.by_type(NODE_POOL)}
    assert set(pools) == {"x86", "arm64"}
    arm = pools["arm64"]
    reqs = {q["key"]: (q["operator"], q["values"]) for q in arm["template"]["spec"]["requirements"]}
    assert reqs == {
        "kubernetes.io/arch": ("In", ["arm64"]),
        "kubernetes.io/os": ("In", ["linux"]),
        # instanceType m8g.2xlarge and its families m8g, m7g, m6g at that size: a Spot shortage of one is no stall
        "node.kubernetes.io/instance-type": ("In", ["m6g.2xlarge", "m7g.2xlarge", "m8g.2xlarge"]),
        "karpenter.sh/capacity-type": ("In", ["on-demand", "spot"]),
    }
    # At most maxSize nodes, whatever the types; cpu and memory of maxSize of the largest (catalog figures).
    assert arm["limits"] == {"cpu": "40", "memory": "160Gi", "nodes": "5"}  # maxSize 5 x (8 vCPU, 32 GiB)
    assert pools["x86"]["limits"] == {"cpu": "24", "memory": "96Gi", "nodes": "3"}
    assert arm["disruption"] == {"consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": "5m"}
    assert arm["template"]["metadata"]["labels"] == {arch.POOL_LABEL: "arm64"}
    assert arm["template"]["spec"]["nodeClassRef"] == {
        "group": "karpenter.k8s.aws",
        "kind": "EC2NodeClass",
        "name": karpenter.NODE_CLASS,
    }
    # do-not-disrupt holds an expired or drifted node at most the longest build (1h) plus 15 minutes.
    assert arm["template"]["spec"]["terminationGracePeriod"] == "75m"


def test_arm64_scales_from_zero_with_no_hints(rec: Recording) -> None:
    """Karpenter reads the pending pod's arch and the NodePool's requirements: no node group at
    minSize, no capacity tags, nothing written by hand."""
    pools = stackfile.load("karpenter-dev").config["multiarch:nodePools"]
    assert [p["minSize"] for p in pools if p["arch"] == "arm64"] == [0]
    groups = rec.by_type("aws:eks/nodeGroup:NodeGroup")
    assert all(g.plain_inputs["nodeGroupName"].endswith("-system") for g in groups)
    arm = next(r for r in rec.by_type(NODE_POOL) if r.plain_inputs["metadata"]["name"] == "arm64")
    assert "replicas" not in arm.plain_inputs["spec"]  # a dynamic NodePool, not a static one
    assert parent_of(rec, arm) == "multiarch:eks:Karpenter"


def test_node_pool_spec_from_settings_carries_labels_and_taints() -> None:
    pool = settings.NodePool(
        name="arm64",
        arch="arm64",
        instance_type="m6g.4xlarge",
        instance_types=("c7g.2xlarge",),
        min_size=0,
        max_size=3,
        capacity_type="SPOT",
        labels={"team": "build"},
        taints=(
            settings.Taint(key="dedicated", value="build", effect="NoSchedule"),
            settings.Taint(key="gpu", effect="NoExecute"),
        ),
    )
    spec = karpenter.node_pool(pool, "10m")
    assert spec["limits"] == {"cpu": "48", "memory": "192Gi", "nodes": "3"}  # the larger type: m6g.4xlarge (16, 64 GiB)
    assert spec["template"]["metadata"]["labels"] == {"team": "build", arch.POOL_LABEL: "arm64"}
    assert spec["template"]["spec"]["taints"] == [
        {"key": "dedicated", "value": "build", "effect": "NoSchedule"},
        {"key": "gpu", "effect": "NoExecute"},
    ]
    reqs = {q["key"]: q["values"] for q in spec["template"]["spec"]["requirements"]}
    assert reqs["karpenter.sh/capacity-type"] == ["spot"]
    assert spec["disruption"]["consolidateAfter"] == "10m"


def test_limits_come_from_the_real_memory_of_the_type() -> None:
    """c5n has 2.625 GiB per vCPU (21 GiB for 8): a limit from an assumed 2 GiB per vCPU (16 GiB) would
    stop Karpenter before the first node."""
    pool = settings.NodePool(name="x86", arch="amd64", instance_type="c5n.2xlarge", min_size=0, max_size=3)
    assert karpenter.pool_limits(pool) == {"cpu": "24", "memory": "63Gi", "nodes": "3"}


@pytest.mark.parametrize(
    ("version", "configured", "alias"),
    [("1.33", None, "al2023@v20250915"), ("1.35", None, "al2023@v20260209"), ("1.35", "al2023@v20260903", "al2023@v20260903")],
)  # fmt: skip
def test_the_ami_alias_is_the_pin_for_the_minor_unless_configured(
    version: str, configured: str | None, alias: str
) -> None:
    k = settings.Karpenter.model_validate({"amiAlias": configured} if configured else {})
    assert settings.karpenter_ami_alias(k, version) == alias


def test_one_node_class_by_discovery_tags_with_the_node_role(rec: Recording) -> None:
    nodeclass = rec.one(NODE_CLASS)
    spec = nodeclass.plain_inputs["spec"]
    assert nodeclass.plain_inputs["metadata"]["name"] == karpenter.NODE_CLASS
    # The pin for the fixture's minor (1.33): a dated release, so a new AMI is a reviewed change.
    assert spec["amiSelectorTerms"] == [{"alias": versions.KARPENTER_AMI_ALIASES["1.33"]}]
    assert versions.KARPENTER_AMI_ALIASES["1.33"].startswith("al2023@v")
    assert spec["subnetSelectorTerms"] == [{"tags": {"karpenter.sh/discovery": CLUSTER}}]
    assert spec["securityGroupSelectorTerms"] == [{"tags": {"karpenter.sh/discovery": CLUSTER}}]
    assert spec["role"] == names.karpenter_node_role(CLUSTER)
    (volume,) = spec["blockDeviceMappings"]
    assert volume["rootVolume"] and volume["ebs"]["encrypted"]
    assert volume["ebs"]["volumeSize"] == f"{versions.DEFAULT_NODE_DISK_GIB}Gi"
    assert spec["metadataOptions"]["httpTokens"] == "required"
    # It exists before any NodePool refers to it, and its role can join the cluster first. On the
    # way out (a destroy, or back to the Cluster Autoscaler) the order reverses: NodePools (whose
    # nodes Karpenter drains and terminates), then the class, then the controller that finalizes both.
    deps = set(nodeclass.dependencies)
    assert rec.one("aws:eks/accessEntry:AccessEntry").urn in deps
    assert rec.one(RELEASE, "karpenter").urn in deps
    for pool in rec.by_type(NODE_POOL):
        assert {nodeclass.urn, rec.one(RELEASE, "karpenter").urn} <= set(pool.dependencies)


# --- the controllers on the tainted system nodes ---------------------------------------------------


def test_controllers_tolerate_the_system_taint(rec: Recording) -> None:
    runner_values = rec.one(RELEASE, "gitlab-runner").plain_inputs["values"]
    assert scheduling.SYSTEM_TOLERATION in runner_values["tolerations"]
    preferred = runner_values["affinity"]["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    assert preferred[0]["preference"]["matchExpressions"][0]["values"] == [names.SYSTEM_POOL]
    efs = rec.one("aws:eks/addon:Addon", f"{CLUSTER}-efs-csi-driver").plain_inputs
    assert json.loads(efs["configurationValues"]) == {"controller": {"tolerations": [scheduling.SYSTEM_TOLERATION]}}
    # Tekton's release gets a second transform: the system toleration on its controllers.
    assert rec.one("kubernetes:yaml/v2:ConfigFile", "pipelines-release").transforms == 2


def test_without_karpenter_the_controllers_are_left_as_they_were() -> None:
    rec = run_stack(stackfile.ROOT / "stacks" / "Pulumi.dev.yaml")
    assert scheduling.SYSTEM_TOLERATION not in rec.one(RELEASE, "gitlab-runner").plain_inputs["values"]["tolerations"]
    assert "configurationValues" not in rec.one("aws:eks/addon:Addon", f"{CLUSTER}-efs-csi-driver").plain_inputs
    assert rec.one("kubernetes:yaml/v2:ConfigFile", "pipelines-release").transforms == 1


def transformed(props: dict[str, Any], type_: str = "kubernetes:apps/v1:Deployment") -> dict[str, Any] | None:
    args = pulumi.ResourceTransformArgs(custom=True, type_=type_, name="x", props=props, opts=pulumi.ResourceOptions())
    result = kube.system_nodes_transform(["tekton-pipelines"])(args)
    assert result is None or isinstance(result, pulumi.ResourceTransformResult)  # synchronous
    return None if result is None else dict(result.props)


def test_the_system_nodes_transform_adds_to_a_deployment_and_keeps_its_own_scheduling() -> None:
    own_term = {"weight": 1, "preference": {"matchExpressions": [{"key": "x", "operator": "Exists"}]}}
    deployment: dict[str, Any] = {
        "metadata": {"name": "tekton-pipelines-controller", "namespace": "tekton-pipelines"},
        "spec": {
            "template": {
                "spec": {
                    "tolerations": [{"key": "a", "operator": "Exists"}],
                    "affinity": {
                        "nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [own_term]},
                        "podAntiAffinity": {"x": 1},
                    },
                }
            }
        },
    }
    out = transformed(deployment)
    assert out is not None
    pod = out["spec"]["template"]["spec"]
    assert pod["tolerations"] == [{"key": "a", "operator": "Exists"}, scheduling.SYSTEM_TOLERATION]
    preferred = pod["affinity"]["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    assert preferred[0] == own_term and preferred[1]["weight"] == 100
    assert pod["affinity"]["podAntiAffinity"] == {"x": 1}
    assert deployment["spec"]["template"]["spec"]["tolerations"] == [{"key": "a", "operator": "Exists"}]  # a copy
    # Other namespaces and other kinds are left alone.
    assert transformed({**deployment, "metadata": {"name": "x", "namespace": "default"}}) is None
    assert transformed(deployment, type_="kubernetes:apps/v1:DaemonSet") is None


# --- build pods: never disrupted mid-build, on every platform ---------------------------------------


# One stack per platform and autoscaler; the runner added where the stack file has none.
DISRUPTION_STACKS = ("dev", "karpenter-dev", "gke-dev", "openshift-dev")
RUNNER = {"enabled": True, "gitlabUrl": "https://gitlab.example.com/", "tags": ["multi-arch"]}


@pytest.mark.parametrize("name", DISRUPTION_STACKS)
def test_build_pods_carry_both_do_not_disrupt_annotations(name: str) -> None:
    stack = stackfile.load(name)
    cfg = dict(stack.config)
    secrets = list(stack.secret_keys)
    if "multiarch:gitlabRunner" not in cfg:
        cfg.update({"multiarch:gitlabRunner": RUNNER, "multiarch:gitlabRunnerToken": "glrt-placeholder"})
        secrets.append("multiarch:gitlabRunnerToken")
    assert cfg["multiarch:pipelines"]["enabled"]
    rec = mockengine.run_main(cfg, stack=stack.name, secret_keys=secrets)
    expected = {"karpenter.sh/do-not-disrupt": "true", "cluster-autoscaler.kubernetes.io/safe-to-evict": "false"}
    # GitLab job pods: the runner's config.toml.
    toml = rec.one(RELEASE, "gitlab-runner").plain_inputs["values"]["runners"]["config"]
    assert tomllib.loads(toml)["runners"][0]["kubernetes"]["pod_annotations"] == expected
    # Tekton: the PipelineRun's annotations reach its TaskRuns' pods.
    run = yaml.safe_load(rec.outputs["examplePipelineRun"])
    assert run["metadata"]["annotations"] == expected


def test_every_platform_and_engine_is_in_the_do_not_disrupt_test() -> None:
    configs = [stackfile.load(name).config for name in DISRUPTION_STACKS]
    assert {c["multiarch:platform"] for c in configs} == set(settings.PLATFORMS)
    engines = {c.get("multiarch:autoscaling", {}).get("engine", "cluster-autoscaler") for c in configs}
    assert engines == {"cluster-autoscaler", "karpenter"}
