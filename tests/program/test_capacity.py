"""Capacity that does not stock out (issue 26): Karpenter's fallback lists, GKE's system pool and
ComputeClasses, the cost view, and the migration of gke-dev to the system-pool layout."""

from __future__ import annotations

import io
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from components import arch, computeclass, karpenter, runner, settings, zones
from components.catalog import aws, gcp, prices
from policy import policies
from tests.components.cistacks import stack_component
from tests.components.test_ci_component import consumer, project
from tests.conftest import ROOT
from tests.policy.test_policies import args, violations
from tests.program.test_config_corpus import _variant
from tools import diff, gitlabci, plan, stackfile

CLASS = "kubernetes:cloud.google.com/v1:ComputeClass"
NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"
BEFORE = ROOT / "tests" / "fixtures" / "Pulumi.gke-dev-before-system-pool.yaml"


def run_plan(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = plan.main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def variant(stack: str, edit: Any) -> stackfile.StackFile:
    base = stackfile.load(stack)
    config = json.loads(json.dumps(base.config))
    edit(config)
    return stackfile.StackFile(base.name, base.path, config, base.secret_keys)


@pytest.fixture(scope="module")
def classes() -> plan.Planned:
    return plan.make("gke-computeclass-dev")


def class_specs(planned: plan.Planned) -> dict[str, dict[str, Any]]:
    return {r.plain_inputs["metadata"]["name"]: r.plain_inputs for r in planned.recording.by_type(CLASS)}


# --- 1. Karpenter: fallback across generations and capacity types -----------------------------------


def test_each_arm64_node_pool_of_karpenter_dev_falls_back_across_three_types_and_both_capacities() -> None:
    planned = plan.make("karpenter-dev")
    pools = {r.plain_inputs["metadata"]["name"]: r.plain_inputs["spec"] for r in planned.recording.by_type(NODE_POOL)}
    arm64 = [p for p in planned.settings.node_pools if p.arch == "arm64"]
    assert arm64
    for pool in arm64:
        spec = pools[pool.name]
        reqs = {q["key"]: q["values"] for q in spec["template"]["spec"]["requirements"]}
        types = reqs[karpenter.INSTANCE_TYPE_LABEL]
        assert len(types) >= 3 and {aws.lookup(t).arch for t in types} == {"arm64"}  # type: ignore[union-attr]
        assert sorted(reqs[karpenter.CAPACITY_TYPE_LABEL]) == ["on-demand", "spot"]
        # limits: nodes = maxSize; cpu and memory of maxSize of the largest type, from the catalog
        largest = max((aws.lookup(t) for t in types), key=lambda t: (t.vcpu, t.memory_mib))  # type: ignore[union-attr]
        assert largest is not None
        assert spec["limits"] == {
            "nodes": str(pool.max_size),
            "cpu": str(pool.max_size * largest.vcpu),
            "memory": f"{pool.max_size * largest.memory_mib // 1024}Gi",
        }
    # The CRD check passes for every NodePool (the plan's schema check: no mandatory verdict).
    assert [v.message for v in planned.verdicts if v.mandatory] == []


def test_the_limits_follow_the_largest_type_of_a_mixed_list() -> None:
    pool = settings.NodePool(
        name="arm64", arch="arm64", instance_type="m8g.2xlarge", instance_types=("r8g.2xlarge",),
        instance_families=("m8g", "c8g"), min_size=0, max_size=4,
    )  # fmt: skip
    assert pool.all_instance_types == ("m8g.2xlarge", "r8g.2xlarge", "c8g.2xlarge")
    # r8g.2xlarge has 64 GiB, c8g.2xlarge 16: memory from the largest, never a guess per vCPU.
    assert karpenter.pool_limits(pool) == {"cpu": "32", "memory": "256Gi", "nodes": "4"}


@pytest.mark.parametrize(
    ("edits", "grace"),
    [
        ({}, "75m"),  # the runner's and the pipeline's 1h, plus 15 minutes
        ({"multiarch:gitlabRunner.jobTimeout": "3h"}, "195m"),
        ({"multiarch:pipelines.runTimeout": "2h30m", "multiarch:gitlabRunner.jobTimeout": "90m"}, "165m"),
        ({"multiarch:autoscaling.karpenter.terminationGracePeriod": "6h"}, "6h"),
    ],
)
def test_the_termination_grace_period_follows_the_longest_build_timeout(edits: dict[str, Any], grace: str) -> None:
    def edit(config: dict[str, Any]) -> None:
        for path, value in edits.items():
            key, _, rest = path.partition(".")
            *parents, last = rest.split(".")
            node = config.setdefault(key, {})
            for part in parents:
                node = node.setdefault(part, {})
            node[last] = value

    planned = plan.make(variant("karpenter-dev", edit), policies=False)
    for r in planned.recording.by_type(NODE_POOL):
        assert r.plain_inputs["spec"]["template"]["spec"]["terminationGracePeriod"] == grace
    # The timeouts are the builds' own: the CI jobs' `timeout` and the PipelineRun's timeouts.pipeline.
    s = planned.settings
    _, jobs = yaml.safe_load_all(planned.recording.outputs["gitlabCiTemplate"])
    assert jobs["$[[ inputs.name ]]-build-arm64"]["timeout"] == s.gitlab_runner.job_timeout
    run = yaml.safe_load(planned.recording.outputs["examplePipelineRun"])
    assert run["spec"]["timeouts"]["pipeline"] == s.pipelines.run_timeout


# --- the Spot-with-one-type advisory ----------------------------------------------------------------

SPOT_ONLY = [
    (
        "karpenter-dev",
        lambda c: c["multiarch:nodePools"][1].update(instanceFamilies=[], capacityTypes=["SPOT"]),
        "spot-capacity-fallback: NodePool arm64 launches Spot capacity of one instance type (m8g.2xlarge) and nothing "
        "else: when that type's Spot capacity runs short, its builds wait; allow more types (instanceFamilies) or "
        "on-demand as the fallback (capacityTypes: [SPOT, ON_DEMAND])",
    ),
    (
        "gke-computeclass-dev",
        lambda c: c["multiarch:nodePools"][1].update(instanceFamilies=["c4a"], capacityTypes=["SPOT"]),
        "spot-capacity-fallback: ComputeClass multiarch-arm64 launches Spot capacity of one instance type (c4a) and "
        "nothing else: when that type's Spot capacity runs short, its builds wait; allow more types "
        "(instanceFamilies) or on-demand as the fallback (capacityTypes: [SPOT, ON_DEMAND])",
    ),
    (
        "dev",
        lambda c: c["multiarch:nodePools"][1].update(capacityType="SPOT"),
        "spot-capacity-fallback: node group build-multiarch-arm64 launches Spot capacity of one instance type "
        "(m6g.2xlarge) and nothing else: when that type's Spot capacity runs short, its builds wait; a pool of the "
        "Cluster Autoscaler has one type: use engine karpenter (eks) or compute-class (gke) with instanceFamilies "
        "and capacityTypes: [SPOT, ON_DEMAND], or capacityType ON_DEMAND",
    ),
]


@pytest.mark.parametrize(("stack", "edit", "verdict"), SPOT_ONLY, ids=[s[0] for s in SPOT_ONLY])
def test_spot_with_a_single_type_gets_an_advisory_verdict_naming_the_risk(stack: str, edit: Any, verdict: str) -> None:
    planned = plan.make(variant(stack, edit))
    found = [f"{v.policy}: {v.message}" for v in planned.verdicts if v.policy == "spot-capacity-fallback"]
    assert found == [verdict]
    assert not [v for v in planned.verdicts if v.policy == "spot-capacity-fallback" and v.mandatory]
    # And the committed stack, with its fallbacks, has none.
    assert not [v for v in plan.make(stack).verdicts if v.policy == "spot-capacity-fallback"]


# --- 2. GKE: the system pool and ComputeClasses ----------------------------------------------------


def test_gke_dev_runs_the_controllers_on_a_tainted_system_pool_and_builds_idle_at_zero() -> None:
    planned = plan.make("gke-dev", policies=False)
    pools = {
        r.plain_inputs["name"]: r.plain_inputs for r in planned.recording.by_type("gcp:container/nodePool:NodePool")
    }
    system = pools.pop("system")
    # e2-standard-2: what runs there fits (an e2-medium keeps 940m: components/placement/ refuses it).
    assert system["nodeConfig"]["machineType"] == "e2-standard-2"
    # GKE's managed-components taint, which all of GKE's own kube-system pods tolerate.
    assert [(t["key"], t["value"], t["effect"]) for t in system["nodeConfig"]["taints"]] == [
        ("components.gke.io/gke-managed-components", "true", "NO_SCHEDULE")
    ]
    # One node in one zone of the regional cluster: not one per zone.
    assert system["nodeLocations"] == ["europe-west4-a"] and system["initialNodeCount"] == 1
    assert (system["autoscaling"]["totalMinNodeCount"], system["autoscaling"]["totalMaxNodeCount"]) == (1, 2)
    assert {name: p["autoscaling"]["totalMinNodeCount"] for name, p in pools.items()} == {"x86": 0, "arm64": 0}
    # Tekton's controllers are moved there (a transform of the release), as on Karpenter stacks.
    release = planned.recording.one("kubernetes:yaml/v2:ConfigFile", "pipelines-release")
    assert release.transforms == 2


@pytest.mark.parametrize(
    ("location", "min_size", "expected"),
    [("europe-west4", 1, ["europe-west4-a"]), ("europe-west4", 2, ["europe-west4-a", "europe-west4-b"]),
     ("us-east1", 1, ["us-east1-b"]), ("europe-west4-c", 1, None)],
)  # fmt: skip
def test_the_system_pool_runs_in_as_many_zones_as_its_minimum(location: str, min_size: int, expected: Any) -> None:
    pool = settings.NodePool(name="system", arch="amd64", instance_type="e2-medium", min_size=min_size, max_size=3)
    assert zones.node_locations(pool, location) == expected
    assert zones.initial_nodes(pool, location) == min_size


def test_the_arm64_class_launches_only_arm64_series_spot_first_with_each_series_boot_disk(
    classes: plan.Planned,
) -> None:
    spec = class_specs(classes)["multiarch-arm64"]["spec"]
    families = [p["machineFamily"] for p in spec["priorities"]]
    assert families == ["c4a", "n4a", "t2a", "c4a", "n4a", "t2a"]  # C4A, then N4A where offered, then T2A
    assert [p["spot"] for p in spec["priorities"]] == [True] * 3 + [False] * 3
    assert {gcp.SERIES[f].arch for f in families} == {"arm64"}
    disks = {p["machineFamily"]: p["storage"]["bootDiskType"] for p in spec["priorities"]}
    assert disks == {"c4a": "hyperdisk-balanced", "n4a": "hyperdisk-balanced", "t2a": "pd-balanced"}
    assert all(disks[f] in gcp.SERIES[f].boot_disks for f in disks)
    assert spec["nodePoolAutoCreation"] == {"enabled": True}
    assert spec["whenUnsatisfiable"] == "DoNotScaleUp"  # never the cluster's default E2 (x86) machines
    assert spec["nodePoolConfig"]["taintConfig"] == {"architectureTaintBehavior": "ARM"}
    x86 = class_specs(classes)["multiarch-x86"]["spec"]
    assert [p["machineFamily"] for p in x86["priorities"]] == ["n4", "n2", "n4", "n2"]  # the configured families
    assert [v.message for v in classes.verdicts if v.mandatory] == []


def test_the_default_arm64_series_follow_the_location_and_the_version() -> None:
    pool = settings.NodePool(name="arm64", arch="arm64", instance_type="c4a-standard-8", min_size=0, max_size=3)

    def names(location: str, version: str) -> list[str]:
        return [s.name for s in computeclass.series_order(pool, location, version)]

    assert names("europe-west4", "1.35") == ["c4a", "n4a", "t2a"]
    assert gcp.SERIES["n4a"].gke_from == "1.34" and names("europe-west4", "1.33") == ["c4a", "t2a"]
    assert "t2a" not in names("europe-west3", "1.35")  # T2A is not offered there


def test_the_users_series_order_is_kept_and_an_unpriced_series_is_named() -> None:
    def pool(families: list[str]) -> settings.NodePool:
        return settings.NodePool(
            name="x86",
            arch="amd64",
            instance_type="n2-standard-8",
            instance_families=tuple(families),
            min_size=0,
            max_size=3,
        )

    def names(p: settings.NodePool) -> list[str]:
        return [s.name for s in computeclass.series_order(p, "europe-west4", "1.35")]

    assert names(pool(["n4", "n2"])) == ["n4", "n2"]  # as written, though instanceType is an n2
    assert names(pool(["n4"])) == ["n2", "n4"]  # instanceType's series leads when the families leave it out
    planned = plan.make(
        _variant("gke-computeclass-dev", {"multiarch:nodePools[0].instanceFamilies": ["c4", "n2"],
                                          "multiarch:nodePools[0].instanceType": "n2-standard-8"}),
        policies=False,
    )  # fmt: skip
    assert planned.cost["unpriced"][0] == "x86 (c4-standard-8)"  # the type without a price, not instanceType


def test_the_compute_class_schema_and_the_policy_refuse_a_class_that_could_leave_its_arch(
    classes: plan.Planned,
) -> None:
    from tools import schemas

    (arm,) = [r for r in classes.recording.by_type(CLASS) if r.plain_inputs["metadata"]["name"] == "multiarch-arm64"]
    body = schemas.body(arm)
    assert schemas.check_custom(body) == []
    bad = json.loads(json.dumps(body))
    bad["spec"]["priorities"][0]["storage"]["bootDiskType"] = "hyperdisk-extreme"
    (message,) = schemas.check_custom(bad)
    assert message.startswith("ComputeClass does not match its CRD (tools/crds/computeclasses.yaml)")
    assert "'hyperdisk-extreme' is not one of" in message
    # An x86 series in the arm64 class, or a fallback to default machines: mandatory verdicts.
    bad = json.loads(json.dumps(arm.plain_inputs))
    bad["spec"]["priorities"].append({"machineFamily": "n2", "spot": False})
    bad["spec"]["whenUnsatisfiable"] = "ScaleUpAnyway"
    assert violations(policies.compute_class_one_arch, args(CLASS, bad)) == [
        "ComputeClass multiarch-arm64: priorities[6] is n2, amd64, but the class is arm64",
        "ComputeClass multiarch-arm64: whenUnsatisfiable 'ScaleUpAnyway' lets GKE fall back to the cluster's default "
        "machines (E2, amd64) when no priority can be had: set DoNotScaleUp",
    ]


def test_tekton_tasks_select_their_arch_class(classes: plan.Planned) -> None:
    run = yaml.safe_load(classes.recording.outputs["examplePipelineRun"])
    pods = {s["pipelineTaskName"]: s["podTemplate"]["nodeSelector"] for s in run["spec"]["taskRunSpecs"]}
    assert pods == {
        "clone": {arch.ARCH_LABEL: "amd64", computeclass.CLASS_LABEL: "multiarch-x86"},
        "build-amd64": {arch.ARCH_LABEL: "amd64", computeclass.CLASS_LABEL: "multiarch-x86"},
        "build-arm64": {arch.ARCH_LABEL: "arm64", computeclass.CLASS_LABEL: "multiarch-arm64"},
        "push": {arch.ARCH_LABEL: "amd64", computeclass.CLASS_LABEL: "multiarch-x86"},
        "cleanup": {arch.ARCH_LABEL: "amd64", computeclass.CLASS_LABEL: "multiarch-x86"},
    }


def test_ci_jobs_select_their_arch_class_and_the_runner_allows_exactly_those(tmp_path: Path) -> None:
    text, s = stack_component("gke-computeclass-dev")
    expanded = project(tmp_path, text, consumer(gitlabci.include())).preview()
    given = {
        a: {
            k: str(v) for k, v in expanded[runner.build_job(a)]["variables"].items() if k.startswith("KUBERNETES_NODE_")
        }
        for a in ("amd64", "arm64")
    }
    assert given["arm64"]["KUBERNETES_NODE_SELECTOR_CLASS"] == "cloud.google.com/compute-class=multiarch-arm64"
    assert given["amd64"]["KUBERNETES_NODE_SELECTOR_CLASS"] == "cloud.google.com/compute-class=multiarch-x86"
    # The runner's config.toml, as the stack deploys it: its overwrite regex accepts the arch label and
    # exactly the stack's classes (Go's regexp.MatchString, unanchored, as the runner calls it).
    planned = plan.make("gke-computeclass-dev", policies=False)
    (release,) = [r for r in planned.recording.by_type("kubernetes:helm.sh/v3:Release") if r.name == "gitlab-runner"]
    config = tomllib.loads(release.plain_inputs["values"]["runners"]["config"])
    allowed = config["runners"][0]["kubernetes"]["node_selector_overwrite_allowed"]
    assert allowed == runner.selectors_allowed(s.gitlab_runner, {"amd64": "multiarch-x86", "arm64": "multiarch-arm64"})
    for a in ("amd64", "arm64"):
        for value in given[a].values():
            if value.startswith(("kubernetes.io/arch=", "cloud.google.com/compute-class=")):
                assert re.search(allowed, value), value
    for refused in ("cloud.google.com/compute-class=other", "cloud.google.com/compute-class=multiarch-arm64x",
                    "cloud.google.com/gke-nodepool=default-pool"):  # fmt: skip
        assert not re.search(allowed, refused), refused


# --- 4. the cost view ---------------------------------------------------------------------------------


def test_karpenter_dev_idles_at_the_control_plane_and_one_small_node(tmp_path: Path) -> None:
    code, out, err = run_plan("karpenter-dev", "--out", str(tmp_path))
    assert code == 0, err
    cost = json.loads((tmp_path / "plan.json").read_text())["cost"]
    idle = cost["totalMonthlyUsd"]["atMin"]
    assert idle <= 101
    system = prices.monthly(prices.hourly("eu-west-3", "t4g.medium") or 0, 1)
    assert idle == pytest.approx(cost["controlPlaneMonthlyUsd"] + system, abs=0.01)
    assert f"engine karpenter: idle ${idle:,.0f} a month" in out
    view = cost["view"]
    assert view["engine"] == "karpenter" and view["idleMonthlyUsd"] == idle
    assert set(view["buildHour"]) == {"amd64", "arm64"}
    for a, b in view["buildHour"].items():
        assert b["hourlyUsd"] > 0 and f"one hour of one {a} build: ${b['hourlyUsd']:.2f}" in out


def test_a_gke_stack_with_the_system_pool_idles_at_the_control_plane_one_system_node_and_its_workspace(
    tmp_path: Path,
) -> None:
    for stack in ("gke-dev", "gke-computeclass-dev"):
        code, out, err = run_plan(stack, "--out", str(tmp_path / stack))
        assert code == 0, err
        cost = json.loads((tmp_path / stack / "plan.json").read_text())["cost"]
        idle = cost["totalMonthlyUsd"]["atMin"]
        system = prices.monthly(prices.hourly("europe-west4", "e2-standard-2") or 0, 1)
        assert cost["completeByColumn"]["atMin"], stack
        volume = prices.filestore_gib_month("europe-west4", "standard")[0] or 0
        # No build node kept: the control plane, the system node and the shared workspace volume (100Gi).
        assert idle == pytest.approx(cost["controlPlaneMonthlyUsd"] + system + round(volume * 100, 2), abs=0.01), stack
        assert f"idle ${idle:,.0f} a month" in out
    # At most is what the pools may reach; unpriced series say so instead of counting $0.
    assert "at most >= $" in out and "unknown (one c4a-standard-8 node of pool arm64" in out


def test_the_docs_show_gke_dev_before_and_after(tmp_path: Path) -> None:
    readme = (ROOT / "docs" / "capacity.md").read_text()
    for name, source in (("gke-dev (before)", str(BEFORE)), ("gke-dev", "gke-dev")):
        code, out, err = run_plan(source, "--out", str(tmp_path / name.replace(" ", "")))
        assert code == 0, err
        table = out.split("Estimated monthly cost", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
        assert "\n".join([f"{name}:", *table]) + "\n" in readme, name


# --- migration: gke-dev to the system-pool layout ------------------------------------------------------


def test_the_migration_of_gke_dev_creates_the_system_pool_updates_the_build_pool_and_replaces_nothing() -> None:
    out, err = io.StringIO(), io.StringIO()
    code = diff.main(
        [str(BEFORE), "stacks/Pulumi.gke-dev.yaml", "--stack", "gke-dev", "--format", "json"], out=out, err=err
    )
    assert code == diff.EXIT_SAFE, err.getvalue()
    doc = json.loads(out.getvalue())
    acted = {(r["action"], r["name"]) for r in doc["resources"] if r["counted"] and r["action"] != "same"}
    assert acted == {
        ("create", "build-multiarch-pools-system"),
        ("update", "build-multiarch-pools-x86"),
        ("update", "pipelines-release"),
        ("update", "pipelines-pruner"),  # its controllers move to the system nodes too
    }
    assert doc["summary"]["replace"] == 0 and doc["summary"]["delete"] == 0
    x86 = next(r for r in doc["resources"] if r["name"] == "build-multiarch-pools-x86")
    assert [c["path"] for c in x86["changes"]] == ["autoscaling.totalMinNodeCount"]
    assert doc["cost"]["delta"]["atMin"] < -250  # docs/capacity.md shows it (tests/docs checks the excerpt)


def test_reordering_a_class_s_families_reorders_its_priorities(tmp_path: Path) -> None:
    doc = yaml.safe_load((stackfile.STACKS / "Pulumi.gke-computeclass-dev.yaml").read_text())
    doc["config"]["multiarch:nodePools"][1]["instanceFamilies"] = ["t2a", "n4a", "c4a"]
    path = tmp_path / "Pulumi.gke-computeclass-dev.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    out = io.StringIO()
    code = diff.main(["gke-computeclass-dev", str(path), "--format", "json"], out=out, err=io.StringIO())
    assert code == diff.EXIT_SAFE
    acted = [
        (r["action"], r["name"])
        for r in json.loads(out.getvalue())["resources"]
        if r["counted"] and r["action"] != "same"
    ]
    assert acted == [("update", "compute-classes-arm64")]  # an order GKE tries them in: a change


def test_a_class_that_goes_says_what_its_builds_lose(tmp_path: Path) -> None:
    doc = yaml.safe_load((stackfile.STACKS / "Pulumi.gke-computeclass-dev.yaml").read_text())
    doc["config"]["multiarch:nodePools"] = [p for p in doc["config"]["multiarch:nodePools"] if p["arch"] == "amd64"]
    path = tmp_path / "Pulumi.gke-computeclass-dev.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    out = io.StringIO()
    diff.main(["gke-computeclass-dev", str(path)], out=out, err=io.StringIO())
    assert (
        "  - delete of ComputeClass multiarch-arm64: builds of pool arm64 select it (cloud.google.com/compute-class="
        "multiarch-arm64); they cannot be scheduled, and the nodes GKE created for it are removed once empty"
    ) in out.getvalue().splitlines()
