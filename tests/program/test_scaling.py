"""Plans, reviews and the suite that scale: linear in the pools, one process per side, one pack."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from bench import scaling
from bench.scaling import TEMPLATES, generated_stack
from components import settings
from tools import diagram, mockengine, policyrun, stackfile


@pytest.fixture(scope="module")
def stacks_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("generated")


def run(platform: str, pools: int, where: Path) -> mockengine.Recording:
    """The generated stack planned as a stack file is (its `secure:` token read as the CLI would)."""
    path = where / f"Pulumi.{platform}-{pools}.yaml"
    path.write_text(yaml.safe_dump(generated_stack(platform, pools), sort_keys=False))
    stack = stackfile.load(str(path))
    return mockengine.run_main(stack.config, stack=stack.name, secret_keys=stack.secret_keys)


def edges(rec: mockengine.Recording) -> int:
    return sum(len(r.dependencies) for r in rec.resources)


@pytest.mark.parametrize("platform", sorted(TEMPLATES))
def test_resources_and_dependencies_grow_linearly_with_the_pools(platform: str, stacks_dir: Path) -> None:
    recs = {n: run(platform, n, stacks_dir) for n in (2, 4, 6)}
    size = {n: len(r.resources) for n, r in recs.items()}
    deps = {n: edges(r) for n, r in recs.items()}
    # Equal steps of pools add equal numbers of resources and of dependency edges: no pair of pools
    # (or of their zones' MachineSets) is ever related. (bench.scaling measures up to 64 pools.)
    assert size[6] - size[4] == size[4] - size[2] > 0
    assert deps[6] - deps[4] == deps[4] - deps[2]


def test_each_machine_autoscaler_waits_for_its_own_machine_set_only(stacks_dir: Path) -> None:
    rec = run("openshift", 16, stacks_dir)
    sets = {r.urn: r for r in rec.by_type("kubernetes:machine.openshift.io/v1beta1:MachineSet")}
    scalers = rec.by_type("kubernetes:autoscaling.openshift.io/v1beta1:MachineAutoscaler")
    assert len(scalers) == len(sets) == 16 * 3
    for scaler in scalers:
        waits = [sets[d] for d in scaler.dependencies if d in sets]
        assert [w.plain_inputs["metadata"]["name"] for w in waits] == [
            scaler.plain_inputs["spec"]["scaleTargetRef"]["name"]
        ]


@pytest.mark.parametrize("pools", [3, max(bench_sizes := (1, 8, 32, 64))])
def test_a_generated_stack_is_a_valid_stack_of_its_platform(pools: int) -> None:
    """At every size the benchmark plans (64 managed node groups need a raised quota, stated)."""
    assert bench_sizes == tuple(scaling.DEFAULT_SIZES)
    for platform, template in TEMPLATES.items():
        doc = generated_stack(platform, pools)
        assert [p["name"] for p in doc["config"]["multiarch:nodePools"]][:3] == ["p0", "p1", "p2"]
        assert [p["arch"] for p in doc["config"]["multiarch:nodePools"]][:3] == ["amd64", "arm64", "amd64"]
        stack = stackfile.load(template)
        raw = {k.split(":", 1)[1]: v for k, v in doc["config"].items() if k.startswith("multiarch:")}
        parsed = settings.parse(
            raw,
            stack="t",
            aws_region=doc["config"].get("aws:region"),
            gcp_project=doc["config"].get("gcp:project"),
            gitlab_runner_token=stack.config.get("multiarch:gitlabRunnerToken"),
        )
        assert parsed.platform == stack.config["multiarch:platform"]


# --- the diagram: drawn in linear time, its PNG bounded ------------------------------------------


def fake_dot(tmp_path: Path) -> Path:
    """A `dot` on PATH that records what it was asked to render and writes a PNG signature."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    script = bindir / "dot"
    script.write_text('#!/bin/sh\necho "$@" >> "$(dirname "$0")/calls"\nprintf "\\211PNG" > "$3"\n')
    script.chmod(0o755)
    return bindir


@pytest.mark.parametrize(("pools", "whole"), [(2, True), (40, False)])
def test_the_png_shows_every_resource_up_to_a_size_then_the_components(
    pools: int, whole: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bindir = fake_dot(tmp_path)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    rec = run("openshift", pools, tmp_path)
    assert (len(rec.resources) <= diagram.PNG_MAX_RESOURCES) is whole
    drawn = diagram.write(rec, tmp_path)
    rendered = (bindir / "calls").read_text().split()[-1]
    assert Path(rendered).name == ("diagram.dot" if whole else "diagram-components.dot")
    assert (tmp_path / "diagram.png").read_bytes() == b"\x89PNG"
    # The sources of the whole stack are written either way.
    assert {p.name for p in drawn.files} >= {"diagram.mmd", "diagram.dot", "diagram-components.dot"}
    if whole:
        assert drawn.note == "the PNG shows every resource"
    else:
        assert drawn.note.startswith(
            f"the PNG shows the components only: {len(rec.resources)} resources is more than "
            f"{diagram.PNG_MAX_RESOURCES}"
        )
        overview = (tmp_path / "diagram-components.dot").read_text()
        assert f"NodePools build-multiarch-pools\\n{pools * 3} resources" in overview


def test_the_component_overview_counts_what_each_component_holds(stacks_dir: Path) -> None:
    rec = run("openshift", 4, stacks_dir)
    graph = diagram.Graph(rec)
    for top, count in graph.component_counts.items():
        component = graph.known[top]
        expected = 0
        stack = [component]
        while stack:  # every custom resource below it, the slow way
            node = stack.pop()
            kids = [r for r in rec.resources if r.parent == node.urn]
            expected += sum(1 for k in kids if k.custom)
            stack += kids
        assert count == expected + (1 if component.custom else 0), component.name


# --- one pack per process (one interpreter per side of a review: tests/program/test_review.py) -----


def test_one_pack_serves_every_plan_of_a_process_and_stops_by_its_pid() -> None:
    pack = policyrun.Pack()
    try:
        dev = stackfile.load("dev")
        rec = mockengine.run_main(dev.config, stack="dev", secret_keys=dev.secret_keys)
        first = pack.run(rec.resources)
        pid = pack.pid
        assert pid is not None
        privileged = {
            **dev.config,
            "multiarch:gitlabRunner": {**dev.config["multiarch:gitlabRunner"], "privileged": True},
        }
        other = pack.run(mockengine.run_main(privileged, stack="dev", secret_keys=dev.secret_keys).resources)
        assert pack.pid == pid  # the same process judged both
        assert first == [] and [v.policy for v in other] == ["gitlab-runner-jobs-unprivileged"]
        assert pack.run(rec.resources) == first  # judged again: the answer kept, the same
        assert len(pack._answers) == 2
    finally:
        pack.close()
    assert pack.pid is None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


# --- the suite's memo of program runs ------------------------------------------------------------


def test_an_identical_program_run_is_served_from_the_memo_and_leaves_the_runtime_as_a_run_would() -> None:
    assert mockengine.MEMO is not None  # the test session turns it on (tests/conftest.py)
    stack = stackfile.load("gke-dev")
    first = mockengine.run_main(stack.config, stack="memo", secret_keys=stack.secret_keys)
    hits = len(mockengine.MEMO)
    again = mockengine.run_main(stack.config, stack="memo", secret_keys=stack.secret_keys)
    assert len(mockengine.MEMO) == hits  # nothing new was run
    assert again is not first and [r.urn for r in again.resources] == [r.urn for r in first.resources]
    again.resources.clear()  # a copy: what one test does to it, the next does not see
    assert mockengine.run_main(stack.config, stack="memo", secret_keys=stack.secret_keys).resources
    assert settings.load().platform == "gke"  # the run's config is installed, as after a real run
    changed = {**stack.config, "multiarch:qemu": {"enabled": False}}
    other = mockengine.run_main(changed, stack="memo", secret_keys=stack.secret_keys)
    assert len(mockengine.MEMO) == hits + 1
    assert not other.by_type("multiarch:qemu:Binfmt") and first.by_type("multiarch:qemu:Binfmt")


def test_the_sdk_import_floor_loads_what_the_program_loads() -> None:
    """bench.plan's floor imports the provider modules a stack's program loaded: GKE's, not EKS'."""
    from bench import plan as bench_plan

    modules = bench_plan.loaded_modules("gke-dev")
    assert "pulumi_gcp.container" in modules and not any(m.startswith("pulumi_aws") for m in modules)
    assert "import importlib" in bench_plan.SDK_FLOOR.format(modules=modules)
