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
from tests.conftest import ROOT
from tools import gitlabci, plan, stackfile

BUILD, MANIFEST = runner.BUILD_JOB, runner.MANIFEST_JOB
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
        "stage", "tags", "arches", "image-name", "image-tag", "registry", "dockerfile", "context", "push", "cache",
        "cache-repository",
    }  # fmt: skip
    assert all(i.get("description") for i in inputs.values())
    assert inputs["tags"]["type"] == inputs["arches"]["type"] == "array"
    assert inputs["push"]["type"] == inputs["cache"]["type"] == "boolean"
    assert not set(jobs) & GLOBAL_KEYS
    assert all(name.lstrip(".").startswith(runner.JOB_PREFIX) for name in jobs)
    # Every input used is declared, every declared input is used.
    assert set(TOKEN.findall(yaml.safe_dump(jobs))) == set(inputs)


def test_one_builder_and_nothing_else(component: str) -> None:
    assert "kaniko" not in component.lower() and "manifest-tool" not in component
    _, jobs = yaml.safe_load_all(component)
    for name in (BUILD, MANIFEST):
        assert jobs[name]["image"] == {"name": versions.BUILDAH_IMAGE}  # pinned in components/versions.py
        assert jobs[name]["inherit"] == {"default": False}
    build = "\n".join(jobs[BUILD]["script"])
    assert 'buildah build --platform "linux/${ARCH}" --layers "$@"' in build
    assert "buildah manifest create" in "\n".join(jobs[MANIFEST]["script"])


# --- as a consumer includes it ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def defaults(tmp_path_factory: pytest.TempPathFactory, component: str) -> gitlabci.Project:
    """`include: component:` with the defaults, in a consumer pipeline with its own default."""
    return project(tmp_path_factory.mktemp("defaults"), component, consumer(gitlabci.include()))


def test_the_defaults_build_every_arch_then_the_list(defaults: gitlabci.Project) -> None:
    jobs = defaults.jobs()
    assert sorted(jobs) == [f"{BUILD}: [amd64]", f"{BUILD}: [arm64]", MANIFEST, "unit-tests"]
    assert {j["stage"] for n, j in jobs.items() if n != "unit-tests"} == {"build"}
    assert all(j["when"] == "on_success" for j in jobs.values())


def test_the_consumers_default_never_reaches_the_components_jobs(defaults: gitlabci.Project) -> None:
    expanded = defaults.preview()
    mine = expanded["unit-tests"]  # the consumer's own job gets its default
    assert mine["before_script"] == CONSUMER_DEFAULT["before_script"] and mine["cache"]
    for name in (BUILD, MANIFEST):
        job = expanded[name]
        assert "after_script" not in job and "cache" not in job, name
        assert job["before_script"] == [runner.LOGIN]
        assert job["image"] == {"name": versions.BUILDAH_IMAGE}
    build = expanded[BUILD]
    assert build["variables"]["MULTIARCH_IMAGE"] == "${CI_REGISTRY_IMAGE}/${CI_PROJECT_NAME}"
    assert build["variables"]["KUBERNETES_NODE_SELECTOR_ARCH"] == "kubernetes.io/arch=${ARCH}"
    # Every instance of the matrix, with its artifacts, and nothing else.
    assert [n["job"] if isinstance(n, dict) else n for n in expanded[MANIFEST]["needs"]] == [BUILD]


def test_local_include_with_inputs(tmp_path: Path, component: str) -> None:
    inputs = {
        "arches": ["arm64"], "stage": "images", "tags": ["arm", "ci"], "image-name": "api", "image-tag": "v1",
        "registry": "registry.example.com/team", "dockerfile": "docker/Containerfile", "context": "docker",
        "cache": False,
    }  # fmt: skip
    p = project(tmp_path, component, {"stages": ["images"], "include": [gitlabci.include(inputs=inputs, local=True)]})
    assert list(p.jobs()) == [f"{BUILD}: [arm64]", MANIFEST]
    build = p.preview()[BUILD]
    assert (build["stage"], build["tags"]) == ("images", ["arm", "ci"])
    assert build["parallel"] == {"matrix": [{"ARCH": ["arm64"]}]}
    variables = build["variables"]
    assert variables["MULTIARCH_IMAGE"] == "registry.example.com/team/api"
    assert (variables["MULTIARCH_TAG"], variables["MULTIARCH_DOCKERFILE"]) == ("v1", "docker/Containerfile")
    assert (variables["MULTIARCH_CONTEXT"], variables["MULTIARCH_CACHE"]) == ("docker", "cache-false")


def test_no_push_builds_only(tmp_path: Path, component: str) -> None:
    p = project(tmp_path, component, consumer(gitlabci.include(inputs={"push": False})))
    jobs = p.jobs()
    assert jobs[MANIFEST]["when"] == "never"  # not in the pipeline
    assert p.preview()[BUILD]["variables"]["MULTIARCH_PUSH"] == "push-false"


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"arches": "arm64"}, "`arches` input: provided value is not a array"),
        ({"push": "no"}, "`push` input: provided value is not a boolean"),
        ({"cache": "off"}, "`cache` input: provided value is not a boolean"),
    ],
)
def test_bad_inputs_are_refused_as_gitlab_refuses_them(
    tmp_path: Path, component: str, inputs: dict[str, Any], message: str
) -> None:
    p = project(tmp_path, component, consumer(gitlabci.include(inputs=inputs)))
    with pytest.raises(gitlabci.GitLabCIError, match=re.escape(message)):
        p.jobs()


# --- each stack's component: its pools, its runner, its taints -------------------------------------


def stack_component(stack: str) -> tuple[str, Any]:
    """The stack's component (a runner added where the stack file has none, as a team would)."""
    loaded = stackfile.load(stack)
    config = dict(loaded.config)
    config.setdefault("multiarch:gitlabRunner", {"enabled": True, "tags": ["multi-arch"]})
    config.setdefault("multiarch:gitlabRunnerToken", "glrt-offline-plan-placeholder-0000")
    secret = [*loaded.secret_keys, "multiarch:gitlabRunnerToken"]
    planned = plan.make(stackfile.StackFile(loaded.name, loaded.path, config, secret), policies=False)
    return planned.recording.outputs["gitlabCiTemplate"], planned.settings


PROBE = {
    # The component's own build job (matrix, rules, variables), printing what its pod would be given.
    "extends": BUILD,
    "before_script": [],
    "script": ['env | grep "^KUBERNETES_NODE_" | sort'],
    "artifacts": {"paths": ["probe/"]},
}


@pytest.mark.parametrize(
    ("stack", "tolerations"),
    [
        ("dev", {"amd64": [], "arm64": []}),
        ("gke-dev", {"amd64": [], "arm64": ["kubernetes.io/arch=arm64:NoSchedule"]}),  # GKE's own taint
        ("prod", {"amd64": [], "arm64": ["multiarch.dev/arch=arm64:NoSchedule"]}),  # the pool's taint
        ("openshift-dev", {"amd64": [], "arm64": []}),
    ],
)
def test_each_arch_job_lands_on_its_nodes_and_tolerates_exactly_its_pools(
    tmp_path: Path, stack: str, tolerations: dict[str, list[str]]
) -> None:
    text, s = stack_component(stack)
    spec, _ = yaml.safe_load_all(text)
    assert spec["spec"]["inputs"]["arches"]["default"] == list(s.arches) == ["amd64", "arm64"]
    assert spec["spec"]["inputs"]["tags"]["default"] == list(s.gitlab_runner.tags)
    p = project(tmp_path, text, consumer(gitlabci.include(), probe=PROBE))
    ran = p.run("probe")  # every instance of the matrix, in one pipeline
    assert ran.exit_code == 0, ran.output
    for a, expected in tolerations.items():
        job = gitlabci.JobRun(f"probe: [{a}]", ran.exit_code, ran.output)
        given = dict(line.split("=", 1) for line in job.lines())
        assert given.pop("KUBERNETES_NODE_SELECTOR_ARCH") == f"kubernetes.io/arch={a}"
        assert sorted(given.values()) == expected, given
        # And the stack's runner lets a job add exactly those (the same regex it writes in config.toml).
        allowed = runner.tolerations_allowed([t for taints in s.build_taints.values() for t in taints])
        assert all(allowed and re.search(allowed, v) for v in expected)


def test_the_manifest_job_runs_on_the_default_arch_and_tolerates_it() -> None:
    taint = {"key": "dedicated", "value": "builds", "effect": "NoSchedule"}
    from components import settings

    taints: dict[arch.Arch, list[settings.Taint]] = {"amd64": [settings.Taint.model_validate(taint)], "arm64": []}
    _, jobs = yaml.safe_load_all(runner.ci_component(("amd64", "arm64"), ("t",), taints, "amd64"))
    variables = jobs[MANIFEST]["variables"]
    assert variables["KUBERNETES_NODE_SELECTOR_ARCH"] == "kubernetes.io/arch=amd64"
    assert variables["KUBERNETES_NODE_TOLERATIONS_0"] == "dedicated=builds:NoSchedule"
    _, arm_only = yaml.safe_load_all(runner.ci_component(("arm64",), ("t",), {}, "arm64"))
    assert arm_only[MANIFEST]["variables"]["KUBERNETES_NODE_SELECTOR_ARCH"] == "kubernetes.io/arch=arm64"


def test_a_single_arch_stack_defaults_to_its_arch(tmp_path: Path) -> None:
    text = runner.ci_component(("arm64",), ("graviton",), {}, "arm64")
    jobs = project(tmp_path, text, consumer(gitlabci.include())).jobs()
    assert sorted(jobs) == [f"{BUILD}: [arm64]", MANIFEST, "unit-tests"]


def test_the_docs_show_both_includes() -> None:
    readme = (ROOT / "docs" / "gitlab.md").read_text()
    assert "include:\n  - component: $CI_SERVER_FQDN/" in readme
    assert f"  - local: {runner.COMPONENT_PATH}" in readme
