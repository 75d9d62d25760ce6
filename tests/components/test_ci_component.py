"""The CI/CD component, expanded and run by a real GitLab CI implementation (gitlab-ci-local) as
consumers include it: `include: component:` and `include: local:` with inputs, beside a consumer's
own `default:`, `variables:` and `stages:`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from components import arch, runner, versions
from components.runner import ciscripts
from tests.components.cistacks import stack_component
from tests.conftest import ROOT
from tools import gitlabci, plan

BUILD, MANIFEST = runner.build_job("amd64"), runner.MANIFEST_JOB
BUILDS = [runner.build_job(a) for a in ("amd64", "arm64")]
# What an include must never set for the including pipeline.
GLOBAL_KEYS = {"default", "workflow", "variables", "stages", "include", "image", "services", "cache", "before_script",
               "after_script", "spec"}  # fmt: skip
TOKEN = re.compile(r"\$\[\[\s*inputs\.([A-Za-z0-9_-]+)\s*\]\]")
# A consumer's own pipeline: its default must reach its jobs, and never the component's.
CONSUMER_DEFAULT = {
    "image": "alpine:3.20",
    "before_script": ["apt-get update && apt-get install -y curl"],
    "after_script": ["echo consumer-after"],
    "cache": {"key": "consumer", "paths": [".cache/"]},
}


@pytest.fixture(scope="module")
def component() -> str:
    return (ROOT / runner.COMPONENT_PATH).read_text()


def project(tmp_path: Path, text: str, pipeline: dict[str, Any]) -> gitlabci.Project:
    return gitlabci.Project(tmp_path / "consumer", pipeline, {f"templates/{gitlabci.COMPONENT}.yml": text})


def consumer(*includes: dict[str, Any], **jobs: Any) -> dict[str, Any]:
    return {
        "stages": ["test", "build", "deploy"],
        "default": CONSUMER_DEFAULT,
        "variables": {"CONSUMER_GLOBAL": "yes"},
        "include": list(includes),
        "unit-tests": {"stage": "test", "script": ["make test"]},
        **jobs,
    }


# --- the component as text ------------------------------------------------------------------------


def test_the_committed_component_is_what_the_dev_stack_generates(component: str) -> None:
    assert component == runner.ci_component(("amd64", "arm64"), ("multi-arch",))
    assert plan.make("dev", policies=False).recording.outputs["gitlabCiTemplate"] == component


def test_it_is_two_documents_a_spec_and_its_own_jobs(component: str) -> None:
    spec, jobs = yaml.safe_load_all(component)
    assert list(spec) == ["spec"] and list(spec["spec"]) == ["inputs"]
    inputs = spec["spec"]["inputs"]
    assert set(inputs) == {
        "name", "stage", "tags", "arches", "image", "image-tag", "extra-tags", "default-branch-tags", "push",
        "push-branches", "push-default-branch", "push-tags", "push-merge-requests", "push-schedules", "registry",
        "registry-user-variable", "registry-password-variable", "registry-password-command-variable", "dockerfile",
        "context", "target", "build-args", "build-secrets", "labels", "cache", "cache-repository", "start-early",
        "rules", "interruptible", "retry", "builder-image",
    }  # fmt: skip
    assert all(i.get("description") for i in inputs.values())
    types = {name: i.get("type", "string") for name, i in inputs.items()}
    assert {n for n, t in types.items() if t == "array"} == {
        "tags", "arches", "extra-tags", "default-branch-tags", "build-args", "build-secrets", "rules",
    }  # fmt: skip
    assert {n for n, t in types.items() if t == "boolean"} == {
        "push", "push-branches", "push-default-branch", "push-tags", "push-merge-requests", "push-schedules",
        "labels", "cache", "start-early", "interruptible",
    }  # fmt: skip
    assert types["retry"] == "number" and inputs["retry"]["options"] == [0, 1, 2]
    # GitLab refuses options and regex on an array input (the whole include): the first step checks.
    assert not any({"options", "regex"} & set(spec) for spec in inputs.values() if spec.get("type") == "array")
    assert not set(jobs) & GLOBAL_KEYS
    assert all(name.lstrip(".").startswith("$[[ inputs.name ]]-") for name in jobs)
    # Every input used is declared, every declared input is used.
    assert set(TOKEN.findall(yaml.safe_dump(jobs))) == set(inputs)


def test_each_regex_accepts_its_default_and_refuses_what_no_expansion_repairs(component: str) -> None:
    spec, _ = yaml.safe_load_all(component)
    inputs = spec["spec"]["inputs"]
    refused = {
        "name": ["My App", "-api", "api/worker"],
        "image": ["registry.example.com/team/api:v1", "registry.example.com/team/api@sha256:00", "team api"],
        "image-tag": ["v1:2", "feature/login", "-x", ""],
        "registry": ["harbor.example.com/team", "https://harbor.example.com"],
        "registry-user-variable": ["$HARBOR_USER", "harbor-user"],
        "cache-repository": ["registry.example.com/cache:latest"],
        "target": ["runtime stage"],
    }
    for name, values in refused.items():
        regex = re.compile(inputs[name]["regex"])
        assert regex.search(str(inputs[name]["default"])), name
        for value in values:
            assert not regex.search(value), (name, value)
    assert re.search(inputs["image"]["regex"], "${HARBOR_HOST}/team/api")
    assert re.search(inputs["image-tag"]["regex"], "${CI_COMMIT_REF_SLUG}-${CI_PIPELINE_IID}")


def test_one_builder_and_nothing_else(component: str) -> None:
    assert "kaniko" not in component.lower() and "manifest-tool" not in component
    spec, jobs = yaml.safe_load_all(component)
    assert spec["spec"]["inputs"]["builder-image"]["default"] == versions.BUILDAH_IMAGE  # pinned in versions.py
    for name in ("$[[ inputs.name ]]-build-amd64", "$[[ inputs.name ]]-manifest"):
        assert jobs[name]["image"] == {"name": "$[[ inputs.builder-image ]]"}
        assert jobs[name]["inherit"] == {"default": False}
    build = "\n".join(jobs["$[[ inputs.name ]]-build-arm64"]["script"])
    assert 'set -- --platform "linux/${ARCH}" --layers' in build and 'buildah build "$@"' in build
    assert "buildah manifest create" in "\n".join(jobs["$[[ inputs.name ]]-manifest"]["script"])


# --- as a consumer includes it ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def defaults(tmp_path_factory: pytest.TempPathFactory, component: str) -> gitlabci.Project:
    """`include: component:` with the defaults, in a consumer pipeline with its own default."""
    return project(tmp_path_factory.mktemp("defaults"), component, consumer(gitlabci.include()))


def test_the_defaults_build_every_arch_then_the_list(defaults: gitlabci.Project) -> None:
    jobs = defaults.jobs()
    assert sorted(jobs) == [*BUILDS, MANIFEST, "unit-tests"]
    # .post: a stage every pipeline has, after all of the team's.
    assert {j["stage"] for n, j in jobs.items() if n != "unit-tests"} == {".post"}
    assert all(j["when"] == "on_success" for j in jobs.values())
    # The builds wait for the earlier stages (no needs); the manifest needs exactly the builds.
    assert all(not jobs[b].get("needs") for b in BUILDS)
    assert [n["job"] for n in jobs[MANIFEST]["needs"]] == BUILDS


def test_the_consumers_default_never_reaches_the_components_jobs(defaults: gitlabci.Project) -> None:
    expanded = defaults.preview()
    mine = expanded["unit-tests"]  # the consumer's own job gets its default
    assert mine["before_script"] == CONSUMER_DEFAULT["before_script"] and mine["cache"]
    for name in (*BUILDS, MANIFEST):
        job = expanded[name]
        assert "after_script" not in job and "cache" not in job, name
        assert job["before_script"][0] == ciscripts.FUNCTIONS
        assert job["image"] == {"name": versions.BUILDAH_IMAGE}
    build = expanded[runner.build_job("arm64")]
    assert build["variables"]["MULTIARCH_IMAGE"] == "$CI_REGISTRY_IMAGE"
    assert build["variables"]["KUBERNETES_NODE_SELECTOR_ARCH"] == "kubernetes.io/arch=arm64"
    assert build["variables"]["ARCH"] == "arm64"


def test_local_include_with_inputs(tmp_path: Path, component: str) -> None:
    inputs = {
        "arches": ["arm64"], "stage": "images", "tags": ["arm", "ci"], "name": "api", "image-tag": "v1",
        "image": "registry.example.com/team/api", "dockerfile": "docker/Containerfile", "context": "docker",
        "cache": False,
    }  # fmt: skip
    p = project(tmp_path, component, {"stages": ["images"], "include": [gitlabci.include(inputs=inputs, local=True)]})
    listed = p.jobs()
    assert {n: j["when"] for n, j in listed.items()} == {
        "api-build-amd64": "never", "api-build-arm64": "on_success", "api-manifest": "on_success",
    }  # fmt: skip
    build = p.preview()["api-build-arm64"]
    assert (build["stage"], build["tags"]) == ("images", ["arm", "ci"])
    variables = build["variables"]
    assert variables["MULTIARCH_IMAGE"] == "registry.example.com/team/api"
    assert (variables["MULTIARCH_TAG"], variables["MULTIARCH_DOCKERFILE"]) == ("v1", "docker/Containerfile")
    assert (variables["MULTIARCH_CONTEXT"], variables["MULTIARCH_CACHE"]) == ("docker", "cache-false")


def test_no_push_builds_only(tmp_path: Path, component: str) -> None:
    p = project(tmp_path, component, consumer(gitlabci.include(inputs={"push": False})))
    jobs = p.jobs()
    assert jobs[MANIFEST]["when"] == "never"  # not in the pipeline
    assert all(jobs[b]["when"] == "on_success" for b in BUILDS)
    assert p.preview()[BUILD]["variables"]["MULTIARCH_PUSH_ON"].startswith("push=false ")


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"arches": "arm64"}, "`arches` input: provided value is not a array"),
        ({"push": "no"}, "`push` input: provided value is not a boolean"),
        ({"cache": "off"}, "`cache` input: provided value is not a boolean"),
        ({"retry": 3}, "`retry` input: `3` cannot be used because it is not in the list of allowed options"),
    ],
)
def test_bad_inputs_are_refused_as_gitlab_refuses_them(
    tmp_path: Path, component: str, inputs: dict[str, Any], message: str
) -> None:
    p = project(tmp_path, component, consumer(gitlabci.include(inputs=inputs)))
    with pytest.raises(gitlabci.GitLabCIError, match=re.escape(message)):
        p.jobs()


# --- each stack's component: its pools, its runner, its taints -------------------------------------


@pytest.mark.parametrize(
    ("stack", "placement"),
    [
        ("dev", {"amd64": [], "arm64": []}),
        ("gke-dev", {"amd64": [], "arm64": ["kubernetes.io/arch=arm64:NoSchedule"]}),  # GKE's own taint
        ("prod", {"amd64": [], "arm64": ["multiarch.dev/arch=arm64:NoSchedule"]}),  # the pool's taint
        ("openshift-dev", {"amd64": [], "arm64": []}),
        ("gke-computeclass-dev", {
            "amd64": ["cloud.google.com/compute-class=multiarch-x86"],
            "arm64": ["cloud.google.com/compute-class=multiarch-arm64", "kubernetes.io/arch=arm64:NoSchedule"],
        }),
    ],
)  # fmt: skip
def test_each_arch_job_lands_on_its_nodes_and_tolerates_exactly_its_pools(
    tmp_path: Path, stack: str, placement: dict[str, list[str]]
) -> None:
    text, s = stack_component(stack)
    spec, _ = yaml.safe_load_all(text)
    assert spec["spec"]["inputs"]["arches"]["default"] == list(s.arches) == ["amd64", "arm64"]
    assert spec["spec"]["inputs"]["tags"]["default"] == list(s.gitlab_runner.tags)
    expanded = project(tmp_path, text, consumer(gitlabci.include())).preview()
    for a, expected in placement.items():
        # As the runner receives them: job variables, whatever the job's rules.
        given = {
            k: v for k, v in expanded[runner.build_job(a)]["variables"].items() if k.startswith("KUBERNETES_NODE_")
        }
        assert given.pop("KUBERNETES_NODE_SELECTOR_ARCH") == f"kubernetes.io/arch={a}"
        assert sorted(given.values()) == expected, given
        # And the stack's runner lets a job add exactly those (the same regex it writes in config.toml).
        allowed = runner.tolerations_allowed([t for taints in s.build_taints.values() for t in taints])
        tolerations = [v for k, v in given.items() if k.startswith("KUBERNETES_NODE_TOLERATIONS_")]
        assert all(allowed and re.search(allowed, v) for v in tolerations)


def test_the_manifest_job_runs_on_the_default_arch_and_tolerates_it() -> None:
    taint = {"key": "dedicated", "value": "builds", "effect": "NoSchedule"}
    from components import settings

    taints: dict[arch.Arch, list[settings.Taint]] = {"amd64": [settings.Taint.model_validate(taint)], "arm64": []}
    _, jobs = yaml.safe_load_all(runner.ci_component(("amd64", "arm64"), ("t",), taints, "amd64"))
    manifest = "$[[ inputs.name ]]-manifest"
    variables = jobs[manifest]["variables"]
    assert variables["KUBERNETES_NODE_SELECTOR_ARCH"] == "kubernetes.io/arch=amd64"
    assert variables["KUBERNETES_NODE_TOLERATIONS_0"] == "dedicated=builds:NoSchedule"
    _, arm_only = yaml.safe_load_all(runner.ci_component(("arm64",), ("t",), {}, "arm64"))
    assert arm_only[manifest]["variables"]["KUBERNETES_NODE_SELECTOR_ARCH"] == "kubernetes.io/arch=arm64"


def test_a_single_arch_stack_defaults_to_its_arch(tmp_path: Path) -> None:
    text = runner.ci_component(("arm64",), ("graviton",), {}, "arm64")
    jobs = project(tmp_path, text, consumer(gitlabci.include())).jobs()
    assert sorted(jobs) == [runner.build_job("arm64"), MANIFEST, "unit-tests"]


def test_the_docs_show_both_includes() -> None:
    readme = (ROOT / "docs" / "gitlab.md").read_text()
    assert "include:\n  - component: $CI_SERVER_FQDN/" in readme
    assert f"  - local: {runner.COMPONENT_PATH}" in readme
