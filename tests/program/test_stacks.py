"""Every committed stack file, run through the real program under the mock engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from components import arch, settings
from tools import mockengine, stackfile

STACK_FILES = sorted((stackfile.ROOT / "stacks").glob("Pulumi.*.yaml"))


def test_there_is_a_stack_per_platform_built_so_far() -> None:
    names = {p.name for p in STACK_FILES}
    assert {"Pulumi.dev.yaml", "Pulumi.prod.yaml"} <= names


@pytest.mark.parametrize("path", STACK_FILES, ids=lambda p: p.name)
def test_stack_file_plans(path: Path) -> None:
    stack = stackfile.load(str(path))
    rec = mockengine.run_main(stack.config, stack=stack.name, secret_keys=stack.secret_keys)
    s = settings.load()  # the same config the program just read

    assert rec.resources, "nothing declared"
    # Every pool became exactly one native pool resource of the right architecture.
    if s.platform == "eks":
        groups = {r.plain_inputs["nodeGroupName"]: r.plain_inputs for r in rec.by_type("aws:eks/nodeGroup:NodeGroup")}
        assert len(groups) == len(s.node_pools)
        for pool in s.node_pools:
            group = groups[f"{s.cluster.name}-{pool.name}"]
            assert arch.EKS_AMI_TYPES[group["amiType"]].arch == pool.arch
            assert arch.arch_of(arch.Cloud.AWS, group["instanceTypes"][0]) == pool.arch
            assert not arch.EKS_AMI_TYPES[group["amiType"]].end_of_life
    # Both architectures, since that is the point of the project.
    assert set(s.arches) == {"amd64", "arm64"}
    # Every custom resource has an explicit provider; nothing relies on a default one.
    for r in rec.resources:
        if r.custom and not r.type.startswith("pulumi:providers:"):
            assert "::default_" not in r.provider and r.provider, f"{r.type} {r.name} uses a default provider"
    # Deterministic: a second run declares the same URNs.
    again = mockengine.run_main(stack.config, stack=stack.name, secret_keys=stack.secret_keys)
    assert sorted(r.urn for r in again.resources) == sorted(r.urn for r in rec.resources)


def test_m6g_declared_as_amd64_stops_with_one_line_and_registers_nothing() -> None:
    stack = stackfile.load(str(Path(__file__).parent.parent / "fixtures" / "Pulumi.m6g-as-amd64.yaml"))
    rec = mockengine.Recording(stack.name)
    with pytest.raises(settings.ConfigError) as exc:
        mockengine.run_main(stack.config, stack=stack.name, recording=rec)
    assert exc.value.errors == [
        "multiarch:nodePools[graviton].instanceType: m6g.2xlarge is an arm64 instance type, but the pool's arch "
        "is amd64 (choose an amd64 type or set arch: arm64)"
    ]
    assert rec.resources == []
