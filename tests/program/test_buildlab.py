"""The build lab: the generated build path run for real (buildah, qemu, a registry), and its proof."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from components import binfmt, pipelines
from tools import buildlab

WS = {"source": buildlab.Workspace("/lab/source"), "dockerconfig": buildlab.Workspace(None)}
PARAMS: dict[str, str | list[str]] = {"arch": "arm64", "arches": ["amd64", "arm64"]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("src=$(workspaces.source.path)/src", "src=/lab/source/src"),
        ("tag=localhost/image:$(params.arch)", "tag=localhost/image:arm64"),
        ('[[ "$(workspaces.dockerconfig.bound)" == "true" ]]', '[[ "false" == "true" ]]'),
        ('[[ "$(workspaces.source.bound)" == "true" ]]', '[[ "true" == "true" ]]'),
        ('cfg="$(workspaces.dockerconfig.path)"', 'cfg=""'),
        ("echo $(uname -m) $(date +%s)", "echo $(uname -m) $(date +%s)"),
    ],
)
def test_substitutions(text: str, expected: str) -> None:
    assert buildlab.substitute(text, PARAMS, WS) == expected


@pytest.mark.parametrize(
    "text",
    ["$(params.nope)", "$(params.arches)", "$(params.arches[*])", "$(context.taskRun.name)", "$(results.digest.path)",
     "$(workspaces.cache.path)", "$(workspaces.source.volume)"],
)  # fmt: skip
def test_anything_else_is_an_error(text: str) -> None:
    with pytest.raises(buildlab.LabError, match="unsupported Tekton substitution"):
        buildlab.substitute(text, PARAMS, WS)


def test_args_expand_an_array_parameter() -> None:
    assert buildlab.expand_args(["$(params.arches[*])", "x-$(params.arch)"], PARAMS, WS) == [
        "amd64",
        "arm64",
        "x-arm64",
    ]


def test_the_dag_of_the_generated_pipeline() -> None:
    levels = buildlab.dag(pipelines.pipeline(("amd64", "arm64")))
    assert [[t["name"] for t in level] for level in levels] == [["clone"], ["build-amd64", "build-arm64"], ["push"]]
    with pytest.raises(buildlab.LabError, match="cycle"):
        buildlab.dag({"tasks": [{"name": "a", "runAfter": ["b"]}, {"name": "b", "runAfter": ["a"]}]})


def test_task_parameters_take_defaults_and_require_the_rest() -> None:
    task = pipelines.build_task()
    got = buildlab.task_params(task, {"platform": "linux/arm64", "arch": "arm64"})
    assert got == {
        "context-dir": ".",
        "containerfile-path": "Containerfile",
        "platform": "linux/arm64",
        "arch": "arm64",
    }
    with pytest.raises(buildlab.LabError, match="'arch' has no value and no default"):
        buildlab.task_params(task, {"platform": "linux/arm64"})


def test_the_lab_registers_what_the_daemonset_registers() -> None:
    handler = binfmt.HANDLERS["arm64"]
    assert handler.name == "qemu-aarch64" and handler.flags == "POCF"
    line = handler.line("/q")
    assert line.startswith(r":qemu-aarch64:M:0:\x7fELF\x02\x01\x01") and line.endswith(":/q:POCF")
    daemonset = binfmt.daemonset_spec(("amd64",), ("arm64",), ())
    assert daemonset["template"]["spec"]["initContainers"][0]["args"] == ["--install", "arm64"]


def _machine_state() -> dict[str, Any]:
    handler = buildlab.BINFMT / binfmt.HANDLERS[buildlab.FOREIGN].name
    return {
        "binfmt mounted": (buildlab.BINFMT / "register").exists(),
        "handler": handler.exists(),
        "certs.d": sorted(p.name for p in buildlab.CERTS_D.iterdir()) if buildlab.CERTS_D.exists() else None,
    }


@pytest.mark.xdist_group("buildlab")  # one worker: the machine's binfmt handlers and the lab's tools
@pytest.mark.skipif(
    bool(buildlab.missing_tools()) or os.geteuid() != 0,
    reason=f"needs root and the lab's tools (make buildlab-deps): missing {buildlab.missing_tools()}",
)
def test_a_real_two_arch_build_from_the_generated_pipeline(tmp_path: Path) -> None:
    before = _machine_state()
    said: list[str] = []
    summary = buildlab.lab_run("dev", tmp_path, said.append)
    # The pushed tag is an index of exactly the two platforms; each image is of its own arch.
    checks = summary["checks"]
    assert checks["platforms"] == ["linux/amd64", "linux/arm64"]
    assert checks["index"]["mediaType"] in (
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    )
    assert checks["images"] == {
        "amd64": {"unameAtBuild": "x86_64", "busyboxElf": "amd64"},
        "arm64": {"unameAtBuild": "aarch64", "busyboxElf": "arm64"},
    }
    # Every step of the pipeline ran, in DAG order, and succeeded.
    steps = [s["step"] for s in summary["steps"] if not s["step"].startswith("base-")]
    assert steps[0] == "clone-clone" and steps[-1] == "push-push"
    assert sorted(steps[1:3]) == ["build-amd64-build", "build-arm64-build"]
    assert all(s["exitCode"] == 0 for s in summary["steps"])
    assert summary["timings"]["ratio"] > 0 and f"emulated is {summary['timings']['ratio']}x slower" in said[-1]
    assert "steps run on this machine's buildah and git, not in the step images" in said
    assert json.loads((tmp_path / "summary.json").read_text())["checks"]["platforms"] == checks["platforms"]
    # The machine is left as found: qemu handler, binfmt mount, trusted certificates, the registry.
    assert _machine_state() == before
    pid = buildlab.REGISTRY_PIDS[-1]
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
