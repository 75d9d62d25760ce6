"""GKE node pools and OpenShift MachineSets under the recording mock engine, and the same pool
contract producing the right native resource on every platform."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components import settings
from components.clusters.gke import GkeCluster, GkeClusterArgs
from components.nodepools import openshift
from components.nodepools.gke import GkeNodePools, GkeNodePoolsArgs
from components.nodepools.openshift import OpenShiftNodePools, OpenShiftNodePoolsArgs
from components.zones import initial_per_zone, node_locations
from tests.conftest import EKS_CONFIG, config
from tools import mockengine
from tools.mockengine import Recording

NODE_POOL = "gcp:container/nodePool:NodePool"
MACHINE_SET = "kubernetes:machine.openshift.io/v1beta1:MachineSet"


def pool(**spec: Any) -> settings.NodePool:
    return settings.NodePool.model_validate(spec)


T2A = pool(name="arm64", arch="arm64", instanceType="t2a-standard-8", minSize=0, maxSize=20, desiredSize=3)
N2 = pool(
    name="x86",
    arch="amd64",
    instanceType="n2-standard-8",
    minSize=1,
    maxSize=6,
    capacityType="SPOT",
    labels={"team": "build"},
    taints=[{"key": "dedicated", "value": "build", "effect": "PreferNoSchedule"}],
)


@pulumi.runtime.test
def test_gke_pools(recording: Recording) -> pulumi.Output[None]:
    component = GkeNodePools(
        "pools", GkeNodePoolsArgs(cluster_name="build", project="p", location="us-central1", pools=(T2A, N2))
    )

    def check(_: Any) -> None:
        pools = {r.name: r for r in recording.by_type(NODE_POOL)}
        arm, x86 = pools["pools-arm64"].plain_inputs, pools["pools-x86"].plain_inputs
        assert arm["nodeConfig"]["machineType"] == "t2a-standard-8"
        assert arm["nodeConfig"]["imageType"] == "COS_CONTAINERD"
        assert arm["nodeConfig"]["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}
        assert arm["autoscaling"] == {"totalMinNodeCount": 0, "totalMaxNodeCount": 20, "locationPolicy": "BALANCED"}
        assert arm["management"] == {"autoRepair": True, "autoUpgrade": True}
        # T2A only in us-central1-a/b/f: the pool is pinned there, and its initial 3 nodes are 1 per zone.
        assert arm["nodeLocations"] == ["us-central1-a", "us-central1-b", "us-central1-f"]
        assert arm["initialNodeCount"] == 1
        assert arm["nodeConfig"]["spot"] is False
        # GKE's own arm64 taint is never declared (it would fight GKE): no taints on the T2A pool.
        assert arm["nodeConfig"].get("taints", []) == []
        assert x86["nodeConfig"]["spot"] is True
        assert x86["nodeConfig"]["labels"] == {"team": "build", "multiarch.dev/pool": "x86"}
        assert x86["nodeConfig"]["taints"] == [{"key": "dedicated", "value": "build", "effect": "PREFER_NO_SCHEDULE"}]
        assert "nodeLocations" not in x86
        for p in pools.values():
            assert p.ignore_changes == ["initialNodeCount"]
            assert p.parent == recording.one("multiarch:gke:NodePools").urn

    return pulumi.Output.all(component.urn, *(p.id for p in component.node_pools.values())).apply(check)


@pytest.mark.parametrize(
    ("location", "initial", "zones", "per_zone"),
    [("europe-west4", 3, 3, 1), ("europe-west4", 4, 3, 2), ("europe-west4-b", 3, 0, 3), ("asia-southeast1", 3, 2, 2)],
)
def test_t2a_initial_size_per_zone(location: str, initial: int, zones: int, per_zone: int) -> None:
    p = T2A.model_copy(update={"desired_size": initial})
    assert len(node_locations(p, location) or []) == zones
    assert initial_per_zone(p, location) == per_zone


@pulumi.runtime.test
def test_gke_cluster_removes_default_pool_and_uses_gcloud_auth(recording: Recording) -> pulumi.Output[None]:
    cluster = GkeCluster("build", GkeClusterArgs(name="build", project="p", location="europe-west4", version="1.33"))

    def check(args: list[Any]) -> None:
        _, kubeconfig = args
        c = recording.one("gcp:container/cluster:Cluster").plain_inputs
        assert c["removeDefaultNodePool"] is True
        assert c["workloadIdentityConfig"] == {"workloadPool": "p.svc.id.goog"}
        assert c["deletionProtection"] is True
        assert c["minMasterVersion"] == "1.33"
        user = json.loads(kubeconfig)["users"][0]["user"]["exec"]
        assert user["command"] == "gke-gcloud-auth-plugin"
        assert json.loads(kubeconfig)["clusters"][0]["cluster"]["server"] == "https://34.90.0.10"

    return pulumi.Output.all(cluster.urn, cluster.kubeconfig).apply(check)


OS_X86 = pool(
    name="x86",
    arch="amd64",
    instanceType="m5a.2xlarge",
    minSize=1,
    maxSize=3,
    desiredSize=2,
    amiId="ami-0a1b2c3d4e5f60718",
)
OS_ARM = pool(
    name="arm64",
    arch="arm64",
    instanceType="m6g.2xlarge",
    minSize=0,
    maxSize=3,
    amiId="ami-0eab6a7956a66deda",
    labels={"team": "build"},
    taints=[{"key": "multiarch.dev/arch", "value": "arm64", "effect": "NoSchedule"}],
)


@pulumi.runtime.test
def test_openshift_machinesets_per_pool_per_zone(recording: Recording) -> pulumi.Output[None]:
    component = OpenShiftNodePools(
        "pools",
        OpenShiftNodePoolsArgs(
            infrastructure_name="build-multiarch-tw9w9",
            region="eu-west-3",
            zones=("eu-west-3a", "eu-west-3b", "eu-west-3c"),
            pools=(OS_X86, OS_ARM),
        ),
    )

    def check(_: Any) -> None:
        sets = {r.plain_inputs["metadata"]["name"]: r.plain_inputs for r in recording.by_type(MACHINE_SET)}
        assert sorted(sets) == sorted(
            f"build-multiarch-tw9w9-{p}-eu-west-3{z}" for p in ("x86", "arm64") for z in "abc"
        )
        arm = sets["build-multiarch-tw9w9-arm64-eu-west-3b"]
        assert arm["apiVersion"] == "machine.openshift.io/v1beta1" and arm["kind"] == "MachineSet"
        assert arm["metadata"]["namespace"] == "openshift-machine-api"
        assert arm["metadata"]["labels"]["machine.openshift.io/cluster-api-cluster"] == "build-multiarch-tw9w9"
        template = arm["spec"]["template"]
        assert template["metadata"]["labels"]["machine.openshift.io/cluster-api-machineset"] == (
            "build-multiarch-tw9w9-arm64-eu-west-3b"
        )
        assert arm["spec"]["selector"]["matchLabels"] == {
            "machine.openshift.io/cluster-api-cluster": "build-multiarch-tw9w9",
            "machine.openshift.io/cluster-api-machineset": "build-multiarch-tw9w9-arm64-eu-west-3b",
        }
        assert template["spec"]["metadata"]["labels"] == {
            "node-role.kubernetes.io/worker": "",
            "team": "build",
            "multiarch.dev/pool": "arm64",
        }
        assert template["spec"]["taints"] == [{"key": "multiarch.dev/arch", "value": "arm64", "effect": "NoSchedule"}]
        value = template["spec"]["providerSpec"]["value"]
        assert value["instanceType"] == "m6g.2xlarge"
        assert value["ami"] == {"id": "ami-0eab6a7956a66deda"}
        assert value["placement"] == {"availabilityZone": "eu-west-3b", "region": "eu-west-3"}
        assert value["blockDevices"][0]["ebs"]["encrypted"] is True
        assert value["blockDevices"][0]["ebs"]["volumeType"] == "gp3"
        assert value["securityGroups"] == [
            {"filters": [{"name": "tag:Name", "values": ["build-multiarch-tw9w9-worker-sg"]}]}
        ]
        assert value["subnet"] == {
            "filters": [{"name": "tag:Name", "values": ["build-multiarch-tw9w9-private-eu-west-3b"]}]
        }
        assert value["iamInstanceProfile"] == {"id": "build-multiarch-tw9w9-worker-profile"}
        # x86's initial 2 nodes split over three zones: 1, 1, 0; arm64 starts at 0 everywhere.
        assert [sets[f"build-multiarch-tw9w9-x86-eu-west-3{z}"]["spec"]["replicas"] for z in "abc"] == [1, 1, 0]
        assert {sets[f"build-multiarch-tw9w9-arm64-eu-west-3{z}"]["spec"]["replicas"] for z in "abc"} == {0}
        assert sets["build-multiarch-tw9w9-x86-eu-west-3a"]["spec"]["template"]["spec"]["providerSpec"]["value"][
            "ami"
        ] == {"id": "ami-0a1b2c3d4e5f60718"}
        for r in recording.by_type(MACHINE_SET):
            assert r.ignore_changes == ["spec.replicas"]

    return pulumi.Output.all(component.urn, *(m.id for m in component.machine_sets.values())).apply(check)


@pytest.mark.parametrize(
    ("total", "zones", "expected"), [(5, 3, [2, 2, 1]), (0, 2, [0, 0]), (1, 3, [1, 0, 0]), (4, 1, [4])]
)
def test_split_replicas(total: int, zones: int, expected: list[int]) -> None:
    names = [f"z{i}" for i in range(zones)]
    assert list(openshift.split_replicas(total, names).values()) == expected


# The same two pools, declared once, on each platform.
SAME_POOLS: list[dict[str, Any]] = [
    {"name": "x86", "arch": "amd64", "minSize": 1, "maxSize": 3},
    {"name": "arm64", "arch": "arm64", "minSize": 0, "maxSize": 5},
]
PLATFORMS: dict[str, tuple[dict[str, Any], dict[str, dict[str, str]]]] = {
    "eks": (EKS_CONFIG, {"x86": {"instanceType": "m5a.2xlarge"}, "arm64": {"instanceType": "m6g.2xlarge"}}),
    "gke": (
        {
            "gcp:project": "p",
            "multiarch:platform": "gke",
            "multiarch:cluster": {"name": "build-multiarch", "location": "europe-west4"},
        },
        {"x86": {"instanceType": "n2-standard-8"}, "arm64": {"instanceType": "t2a-standard-8"}},
    ),
    "openshift": (
        {
            "aws:region": "eu-west-3",
            "multiarch:platform": "openshift",
            "multiarch:cluster": {"name": "b", "infrastructureName": "b-x1", "zones": ["eu-west-3a"]},
        },
        {
            "x86": {"instanceType": "m5a.2xlarge", "amiId": "ami-0a1b2c3d4e5f60718"},
            "arm64": {"instanceType": "m6g.2xlarge", "amiId": "ami-0eab6a7956a66deda"},
        },
    ),
}


def native_pools(rec: Recording) -> dict[str, tuple[str, str]]:
    """Pool name -> (native type, instance type) from whatever the platform declared."""
    out: dict[str, tuple[str, str]] = {}
    for r in rec.resources:
        i = r.plain_inputs
        if r.type == "aws:eks/nodeGroup:NodeGroup":
            out[i["labels"]["multiarch.dev/pool"]] = (r.type, i["instanceTypes"][0])
        elif r.type == NODE_POOL:
            out[i["nodeConfig"]["labels"]["multiarch.dev/pool"]] = (r.type, i["nodeConfig"]["machineType"])
        elif r.type == MACHINE_SET:
            value = i["spec"]["template"]["spec"]["providerSpec"]["value"]
            out[i["metadata"]["labels"]["multiarch.dev/pool"]] = (r.type, value["instanceType"])
    return out


@pytest.mark.parametrize(
    ("platform", "native"),
    [("eks", "aws:eks/nodeGroup:NodeGroup"), ("gke", NODE_POOL), ("openshift", MACHINE_SET)],
)
def test_same_pool_contract_on_every_platform(platform: str, native: str) -> None:
    base, per_platform = PLATFORMS[platform]
    pools = [{**p, **per_platform[p["name"]]} for p in SAME_POOLS]
    rec = mockengine.run_main(config(base, nodePools=pools), stack=f"same-{platform}")
    got = {name: pool for name, pool in native_pools(rec).items() if name != "system"}  # GKE's system pool
    assert got == {p["name"]: (native, p["instanceType"]) for p in pools}


@pytest.mark.parametrize(
    ("machine", "configured", "disk"),
    [
        ("t2a-standard-8", None, "pd-balanced"),
        ("n2-standard-8", "pd-ssd", "pd-ssd"),
        ("c4a-standard-8", None, "hyperdisk-balanced"),  # C4A takes no pd-*: derived from the series
        ("n4-standard-8", None, "hyperdisk-balanced"),
    ],
)
def test_the_boot_disk_is_the_series_own_unless_configured(machine: str, configured: str | None, disk: str) -> None:
    p = pool(name="p", arch=arch_of_gcp(machine), instanceType=machine, diskType=configured)
    assert p.gke_boot_disk() == disk


def arch_of_gcp(machine: str) -> str:
    from components import arch

    return arch.arch_of(arch.Cloud.GCP, machine)


def test_c4a_pool_boots_from_hyperdisk_in_every_zone() -> None:
    from tools import stackfile

    gke = stackfile.load("gke-dev").config
    pools = [gke["multiarch:nodePools"][0], {**gke["multiarch:nodePools"][1], "instanceType": "c4a-standard-8"}]
    rec = mockengine.run_main(config(gke, nodePools=pools), stack="c4a", secret_keys=[])
    arm = rec.one(NODE_POOL, "build-multiarch-pools-arm64").plain_inputs
    assert arm["nodeConfig"]["diskType"] == "hyperdisk-balanced"
    assert "nodeLocations" not in arm  # C4A: every zone of the region


@pytest.mark.parametrize(
    ("instance_type", "vcpu", "memory", "gpus"),
    [("m6g.2xlarge", "8", "32768", "0"), ("c5n.2xlarge", "8", "21504", "0"), ("g5g.xlarge", "4", "8192", "1")],
)
def test_scale_from_zero_sizes_come_from_the_catalog(instance_type: str, vcpu: str, memory: str, gpus: str) -> None:
    p = OS_ARM.model_copy(update={"instance_type": instance_type})
    annotations = openshift.scale_from_zero_annotations(p)
    assert (
        annotations["machine.openshift.io/vCPU"],
        annotations["machine.openshift.io/memoryMb"],
        annotations["machine.openshift.io/GPU"],
    ) == (vcpu, memory, gpus)


def test_an_unlisted_type_scales_from_zero_with_its_stated_size() -> None:
    p = pool(
        name="x86", arch="amd64", instanceType="m9a.2xlarge", unlistedInstanceType=True,
        nodeCapacity={"vcpu": 8, "memoryMiB": 32768},
    )  # fmt: skip
    annotations = openshift.scale_from_zero_annotations(p)
    assert annotations["machine.openshift.io/vCPU"] == "8" and annotations["machine.openshift.io/memoryMb"] == "32768"
