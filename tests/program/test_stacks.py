"""Every committed stack file, run through the real program under the mock engine."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from components import arch, settings
from components.catalog import gcp
from tools import mockengine, stackfile

STACK_FILES = sorted((stackfile.ROOT / "stacks").glob("Pulumi.*.yaml"))


CLASS = "kubernetes:cloud.google.com/v1:ComputeClass"


def test_there_is_a_stack_per_platform() -> None:
    platforms = {stackfile.load(str(p)).config["multiarch:platform"] for p in STACK_FILES}
    assert platforms == set(settings.PLATFORMS)


@pytest.mark.parametrize("path", STACK_FILES, ids=lambda p: p.name)
def test_stack_file_plans(path: Path) -> None:
    stack = stackfile.load(str(path))
    rec = mockengine.run_main(stack.config, stack=stack.name, secret_keys=stack.secret_keys)
    s = settings.load()  # the same config the program just read

    assert rec.resources, "nothing declared"
    # Every pool became exactly one native pool resource of the right architecture.
    if s.platform == "eks" and s.autoscaling.uses_karpenter:
        # Karpenter: one NodePool per build pool, of its arch; one managed group, the system pool.
        node_pools = {
            r.plain_inputs["metadata"]["name"]: r.plain_inputs["spec"]
            for r in rec.by_type("kubernetes:karpenter.sh/v1:NodePool")
        }
        assert sorted(node_pools) == sorted(p.name for p in s.node_pools)
        for pool in s.node_pools:
            reqs = {q["key"]: q["values"] for q in node_pools[pool.name]["template"]["spec"]["requirements"]}
            assert reqs[arch.ARCH_LABEL] == [pool.arch]
        system = {r.plain_inputs["nodeGroupName"] for r in rec.by_type("aws:eks/nodeGroup:NodeGroup")}
        assert system == {f"{s.cluster.name}-system"}
        assert not rec.by_type("multiarch:eks:ClusterAutoscaler")
    elif s.platform == "eks":
        groups = {r.plain_inputs["nodeGroupName"]: r.plain_inputs for r in rec.by_type("aws:eks/nodeGroup:NodeGroup")}
        assert len(groups) == len(s.node_pools)
        for pool in s.node_pools:
            group = groups[f"{s.cluster.name}-{pool.name}"]
            assert arch.EKS_AMI_TYPES[group["amiType"]].arch == pool.arch
            assert arch.arch_of(arch.Cloud.AWS, group["instanceTypes"][0]) == pool.arch
            assert not arch.EKS_AMI_TYPES[group["amiType"]].end_of_life
    elif s.platform == "gke":
        node_pools = {r.plain_inputs["name"]: r.plain_inputs for r in rec.by_type("gcp:container/nodePool:NodePool")}
        system = node_pools.pop("system", None)
        assert (system is not None) == (s.system_pool is not None)  # the controllers' pool, when on
        if s.autoscaling.uses_compute_classes:
            # GKE creates the build pools from one ComputeClass per pool, of the pool's arch only.
            assert not node_pools
            classes = {r.plain_inputs["metadata"]["name"]: r.plain_inputs for r in rec.by_type(CLASS)}
            assert sorted(classes) == sorted(f"multiarch-{p.name}" for p in s.node_pools)
            for pool in s.node_pools:
                spec = classes[f"multiarch-{pool.name}"]["spec"]
                assert spec["whenUnsatisfiable"] == "DoNotScaleUp"
                assert {gcp.SERIES[p["machineFamily"]].arch for p in spec["priorities"]} == {pool.arch}
        else:
            assert len(node_pools) == len(s.node_pools)
            for pool in s.node_pools:
                machine = node_pools[pool.name]["nodeConfig"]["machineType"]
                assert arch.arch_of(arch.Cloud.GCP, machine) == pool.arch
                assert node_pools[pool.name]["autoscaling"]["totalMaxNodeCount"] == pool.max_size
    else:
        sets = rec.by_type("kubernetes:machine.openshift.io/v1beta1:MachineSet")
        assert len(sets) == len(s.node_pools) * len(s.cluster.zones)
        for ms in sets:
            value = ms.plain_inputs["spec"]["template"]["spec"]["providerSpec"]["value"]
            pool = s.pool(ms.plain_inputs["metadata"]["labels"][arch.POOL_LABEL])
            assert arch.arch_of(arch.Cloud.AWS, value["instanceType"]) == pool.arch
            assert value["ami"]["id"] == pool.ami_id
    # Both architectures, since that is the point of the project.
    assert set(s.arches) == {"amd64", "arm64"}
    # Every custom resource has an explicit provider; nothing relies on a default one.
    for r in rec.resources:
        if r.custom and not r.type.startswith("pulumi:providers:"):
            assert "::default_" not in r.provider and r.provider, f"{r.type} {r.name} uses a default provider"
    # Deterministic: a second run declares the same URNs.
    again = mockengine.run_main(  # a fresh run, not the session's memo of the first
        stack.config, stack=stack.name, secret_keys=stack.secret_keys, recording=mockengine.Recording(stack.name)
    )
    assert sorted(r.urn for r in again.resources) == sorted(r.urn for r in rec.resources)


def assert_stops_before_registering(path: Path, expected: list[str]) -> None:
    stack = stackfile.load(str(path))
    rec = mockengine.Recording(stack.name)
    with pytest.raises(settings.ConfigError) as exc:
        mockengine.run_main(stack.config, stack=stack.name, recording=rec)
    assert exc.value.errors == expected
    assert rec.resources == []


def test_m6g_declared_as_amd64_stops_with_one_line_and_registers_nothing() -> None:
    assert_stops_before_registering(
        Path(__file__).parent.parent / "fixtures" / "Pulumi.m6g-as-amd64.yaml",
        [
            "multiarch:nodePools[graviton].instanceType: m6g.2xlarge is an arm64 instance type, but the pool's arch "
            "is amd64 (choose an amd64 type or set arch: arm64; EC2 instance catalog, "
            "components/catalog/aws_instance_types.csv (moto 5.2.5, 2026-12-01))"
        ],
    )


def test_t2a_in_us_east1_stops_with_one_line(tmp_path: Path) -> None:
    doc = yaml.safe_load((stackfile.STACKS / "Pulumi.gke-dev.yaml").read_text())
    doc["config"]["multiarch:cluster"]["location"] = "us-east1"
    path = tmp_path / "Pulumi.gke-east.yaml"
    path.write_text(yaml.safe_dump(doc))
    assert_stops_before_registering(
        path,
        [
            "multiarch:nodePools[arm64].instanceType: t2a-standard-8 (Tau T2A) is not offered in us-east1; "
            "T2A is offered in us-central1 (a, b, f), europe-west4 (a, b, c), asia-southeast1 (b, c) (Compute Engine "
            "machine series table, components/catalog/gcp.py (hand-kept, as of 2026-12-01)); if it is offered there "
            "now, set unlistedInstanceType: true on the pool"
        ],
    )
