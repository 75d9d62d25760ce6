"""The CI template as an include-safe GitLab CI/CD component: inputs, prefixed jobs, per-arch jobs."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from components import runner, versions
from tests.conftest import ROOT
from tools import cicomponent, plan, stackfile

BUILD, MANIFEST = runner.BUILD_JOB, runner.MANIFEST_JOB
# What an include must never set for the including pipeline.
GLOBAL_KEYS = {"default", "workflow", "variables", "stages", "include", "image", "services", "cache", "before_script",
               "after_script", "spec"}  # fmt: skip


@pytest.fixture(scope="module")
def component() -> str:
    return (ROOT / runner.COMPONENT_PATH).read_text()


def test_the_committed_component_is_what_the_dev_stack_generates(component: str) -> None:
    assert component == runner.ci_component(("amd64", "arm64"), ("multi-arch",))
    assert plan.make("dev", policies=False).recording.outputs["gitlabCiTemplate"] == component


def test_it_is_two_documents_a_spec_and_the_jobs(component: str) -> None:
    docs = list(yaml.safe_load_all(component))
    assert len(docs) == 2
    assert list(docs[0]) == ["spec"] and list(docs[0]["spec"]) == ["inputs"]
    inputs = docs[0]["spec"]["inputs"]
    assert {"stage", "tags", "arches", "image-name", "image-tag", "registry", "dockerfile", "context", "push"} == set(
        inputs
    )
    assert all(i.get("description") for i in inputs.values())
    assert inputs["tags"]["type"] == inputs["arches"]["type"] == "array"
    assert inputs["push"] == {"type": "boolean", "default": True, "description": inputs["push"]["description"]}


def test_the_top_level_keys_are_only_its_own_jobs(component: str) -> None:
    _, jobs = cicomponent.parse(component)
    assert not set(jobs) & GLOBAL_KEYS
    for name in jobs:
        assert name.lstrip(".").startswith(runner.JOB_PREFIX), name
        assert isinstance(jobs[name], dict)


def test_every_input_used_is_declared_and_every_declared_input_is_used(component: str) -> None:
    spec, jobs = cicomponent.parse(component)
    assert cicomponent.tokens(jobs) == set(spec)


def _render(component: str, **inputs: Any) -> dict[str, dict[str, Any]]:
    return cicomponent.render(component, {k.replace("_", "-"): v for k, v in inputs.items()})


def test_defaults_two_arches_then_the_manifest_list(component: str) -> None:
    jobs = _render(component)
    assert list(jobs) == [f"{BUILD}: [amd64]", f"{BUILD}: [arm64]", MANIFEST]
    for a in ("amd64", "arm64"):
        job = jobs[f"{BUILD}: [{a}]"]
        assert job["tags"] == ["multi-arch"] and job["stage"] == "build" and job["needs"] == []
        assert (job["variables"]["ARCH"], job["variables"]["KUBERNETES_NODE_SELECTOR_ARCH"]) == (
            a,
            "kubernetes.io/arch=${ARCH}",
        )
        assert job["variables"]["MULTIARCH_IMAGE"] == "${CI_REGISTRY_IMAGE}/${CI_PROJECT_NAME}"
        assert job["variables"]["MULTIARCH_PUSH"] == "push-true"
        assert job["image"]["name"] == versions.KANIKO_IMAGE
    manifest = jobs[MANIFEST]
    assert manifest["needs"] == [BUILD]  # every instance of the matrix, and nothing else
    assert "rules" not in manifest
    assert manifest["image"]["name"] == versions.MANIFEST_TOOL_IMAGE
    assert 'push from-args --platforms "${PLATFORMS}"' in manifest["script"][1]


def test_one_arch_and_other_inputs(component: str) -> None:
    jobs = _render(
        component, arches=["arm64"], stage="images", tags=["arm", "ci"], image_name="api", image_tag="v1",
        registry="registry.example.com/team", dockerfile="docker/Containerfile", context="docker",
    )  # fmt: skip
    assert list(jobs) == [f"{BUILD}: [arm64]", MANIFEST]
    build = jobs[f"{BUILD}: [arm64]"]
    assert (build["stage"], build["tags"]) == ("images", ["arm", "ci"])
    assert build["variables"]["MULTIARCH_IMAGE"] == "registry.example.com/team/api"
    assert (build["variables"]["MULTIARCH_TAG"], build["variables"]["MULTIARCH_DOCKERFILE"]) == (
        "v1",
        "docker/Containerfile",
    )
    assert build["variables"]["MULTIARCH_CONTEXT"] == "docker"


def test_no_push_builds_only(component: str) -> None:
    jobs = _render(component, push=False)
    assert list(jobs) == [f"{BUILD}: [amd64]", f"{BUILD}: [arm64]"]
    assert all(j["variables"]["MULTIARCH_PUSH"] == "push-false" for j in jobs.values())
    assert '"${MULTIARCH_PUSH}" = "push-true"' in jobs[f"{BUILD}: [amd64]"]["script"][0]


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"archs": ["arm64"]}, "unknown input(s): archs"),
        ({"arches": "arm64"}, "input arches: 'arm64' is not of type array"),
        ({"push": "no"}, "input push: 'no' is not of type boolean"),
    ],
)
def test_bad_inputs_are_refused(component: str, inputs: dict[str, Any], message: str) -> None:
    with pytest.raises(cicomponent.ComponentError, match=message.replace("(", r"\(").replace(")", r"\)")):
        cicomponent.render(component, inputs)


@pytest.mark.parametrize(
    ("stack", "arches", "tags", "builder", "toleration"),
    [
        ("dev", ["amd64", "arm64"], ["multi-arch"], "kaniko", False),
        ("gke-dev", ["amd64", "arm64"], ["multi-arch"], "kaniko", True),
        ("openshift-dev", ["amd64", "arm64"], ["multi-arch"], "buildah", False),
    ],
)
def test_each_stack_generates_it_from_its_pools_and_runner(
    stack: str, arches: list[str], tags: list[str], builder: str, toleration: bool
) -> None:
    loaded = stackfile.load(stack)
    config = dict(loaded.config)
    config.setdefault("multiarch:gitlabRunner", {"enabled": True, "tags": tags})
    config.setdefault("multiarch:gitlabRunnerToken", "glrt-offline-plan-placeholder-0000")
    secret = [*loaded.secret_keys, "multiarch:gitlabRunnerToken"]
    planned = plan.make(stackfile.StackFile(loaded.name, loaded.path, config, secret), policies=False)
    text = planned.recording.outputs["gitlabCiTemplate"]
    spec, _ = cicomponent.parse(text)
    assert spec["arches"]["default"] == list(planned.settings.arches) == arches
    assert spec["tags"]["default"] == list(planned.settings.gitlab_runner.tags) == tags
    job = cicomponent.render(text)[f"{BUILD}: [arm64]"]
    assert ("KUBERNETES_NODE_TOLERATIONS_ARCH" in job["variables"]) is toleration
    assert (job["image"]["name"] == versions.BUILDAH_IMAGE) is (builder == "buildah")


def test_a_single_arch_stack_defaults_to_its_arch() -> None:
    text = runner.ci_component(("arm64",), ("graviton",))
    assert list(cicomponent.render(text)) == [f"{BUILD}: [arm64]", MANIFEST]


def test_the_readme_shows_both_includes() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "include:\n  - component: $CI_SERVER_FQDN/" in readme
    assert f"  - local: {runner.COMPONENT_PATH}" in readme
