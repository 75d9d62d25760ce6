"""The consumer projects (`tests/consumers/`), as gitlab-ci-local creates their pipelines: the jobs
each gets, what each job is given, and the jobs that fail before building, run. The builds
themselves run in the build lab (`tests/program/test_buildlab.py`).

Each test names the defect of issue 37 it would have caught on the component before it (the
numbers of the issue). `MULTIARCH_CONSUMER_COMPONENTS=<dir>` runs them against other components
(`<dir>/<stack>.yml`): how they were shown to fail on the old one.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from components import runner
from components.placement.workloads import cpu_m, memory_mib
from components.runner import ciscripts
from tests.components.cistacks import stack_component
from tests.conftest import ROOT
from tools import gitlabci, plan

CONSUMERS = ROOT / "tests" / "consumers"
OTHER = os.environ.get("MULTIARCH_CONSUMER_COMPONENTS")
LOGGED_IN = re.compile(r"\$ multiarch_login$", re.MULTILINE)  # the job reached its registry login


@functools.cache
def component(stack: str) -> str:
    if OTHER:
        return (Path(OTHER) / f"{stack}.yml").read_text()
    if stack == "dev":
        return (ROOT / runner.COMPONENT_PATH).read_text()
    return stack_component(stack)[0]


def consumer(
    scenario: str, where: Path, stack: str = "dev", inputs: dict[str, Any] | None = None, **jobs: Any
) -> gitlabci.Project:
    """The scenario's project with the stack's component; `inputs` changed in its (first) include,
    `jobs` set in its pipeline (None removes one)."""
    project = gitlabci.Project.copy(
        CONSUMERS / scenario, where / scenario, {f"templates/{gitlabci.COMPONENT}.yml": component(stack)}
    )
    if inputs or jobs:
        path = project.root / ".gitlab-ci.yml"
        pipeline = yaml.safe_load(path.read_text())
        pipeline["include"][0].setdefault("inputs", {}).update(inputs or {})
        for name, job in jobs.items():
            if job is None:
                pipeline.pop(name, None)
            else:
                pipeline[name] = job
        path.write_text(yaml.safe_dump(pipeline, sort_keys=False))
        project.commit("change the consumer")
    return project


@pytest.fixture(scope="module")
def where(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("consumers")


def variables(job: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in (job.get("variables") or {}).items()}


# --- plain: one image -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plain(where: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    p = consumer("plain", where)
    return p.preview(), p.jobs()


def test_plain_publishes_the_index_where_its_deploy_looks(plain: tuple[dict[str, Any], dict[str, Any]]) -> None:
    """Defect 8: the index lands at $CI_REGISTRY_IMAGE:<tag> itself, each arch a tag beside it."""
    preview, jobs = plain
    manifest = variables(preview["multiarch-manifest"])
    assert (manifest["MULTIARCH_IMAGE"], manifest["MULTIARCH_TAG"]) == ("$CI_REGISTRY_IMAGE", "$CI_COMMIT_SHORT_SHA")
    assert [n for n, j in jobs.items() if j["when"] != "never"] == [
        "multiarch-build-amd64", "multiarch-build-arm64", "multiarch-manifest", "unit-tests", "deploy",
    ]  # fmt: skip
    assert "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA" in preview["deploy"]["script"][0]
    assert [n["job"] for n in jobs["deploy"]["needs"]] == ["multiarch-manifest"]
    assert 'ref="${multiarch_image}:${MULTIARCH_TAG}-${ARCH}"' in "\n".join(preview["multiarch-build-arm64"]["script"])
    assert preview["variables"]["APP_ENV"] == "production"
    for name in ("multiarch-build-amd64", "multiarch-manifest"):
        assert "apk add --no-cache make" not in preview[name]["before_script"]  # the team's default stays out
        assert preview[name]["inherit"] == {"default": False}  # and its global variables reach every job


def test_every_job_is_interruptible_and_retried_on_runner_failures_only(
    plain: tuple[dict[str, Any], dict[str, Any]], where: Path
) -> None:
    """Defect 11: inherit: default: false no longer drops interruptible and retry."""
    preview, _ = plain
    for name in ("multiarch-manifest", "multiarch-build-amd64", "multiarch-build-arm64"):
        assert preview[name]["interruptible"] is True
        assert preview[name]["retry"] == {"max": 2, "when": ["runner_system_failure"]}
    changed = consumer("plain", where / "retry", inputs={"interruptible": False, "retry": 0}).preview()
    assert changed["multiarch-manifest"]["interruptible"] is False
    assert changed["multiarch-build-arm64"]["retry"] == {"max": 0, "when": ["runner_system_failure"]}


# --- two images -----------------------------------------------------------------------------------------


def test_two_includes_give_two_complete_sets_of_jobs(where: Path) -> None:
    """Defect 1: each include's jobs are its own (the name input), so neither image is lost."""
    p = consumer("two-images", where)
    preview, jobs = p.preview(), p.jobs()
    for name in ("api", "worker"):
        builds = [f"{name}-build-amd64", f"{name}-build-arm64"]
        assert all(jobs[b]["when"] == "on_success" and jobs[b]["stage"] == "images" for b in builds)
        assert [n["job"] for n in jobs[f"{name}-manifest"]["needs"]] == builds
        for job in [*builds, f"{name}-manifest"]:
            assert variables(preview[job])["MULTIARCH_IMAGE"] == f"$CI_REGISTRY_IMAGE/{name}"
            assert variables(preview[job])["MULTIARCH_NAME"] == name
        assert variables(preview[builds[0]])["MULTIARCH_DOCKERFILE"] == f"{name}/Dockerfile"
        assert preview[builds[1]]["artifacts"]["paths"] == [f"{ciscripts.ARCHES_DIR}/{name}/"]
    assert [n["job"] for n in jobs["deploy"]["needs"]] == ["api-manifest", "worker-manifest"]


# --- another registry -----------------------------------------------------------------------------------


def test_another_registry_is_given_by_variable_names_and_no_secret_is_an_input(where: Path) -> None:
    """Defects 7 and 9: the registry's credentials, the build args and the build secret are named,
    never given; the Containerfile of one service, its target, a tag scheme, latest on main."""
    secrets = {"HARBOR_HOST": "harbor.example.com", "HARBOR_USER": "robot$team", "HARBOR_PASSWORD": "s3cr3t-0451",
               "NPM_TOKEN": "npm_s3cr3t-0452"}  # fmt: skip
    p = consumer("other-registry", where)
    preview = p.preview(secrets)
    build = variables(preview["multiarch-build-arm64"])
    assert build["MULTIARCH_IMAGE"] == "$HARBOR_HOST/team/web"
    assert build["MULTIARCH_TAG"] == "$CI_COMMIT_REF_SLUG-$CI_COMMIT_SHORT_SHA"
    assert (build["MULTIARCH_REGISTRY_USER_VARIABLE"], build["MULTIARCH_REGISTRY_PASSWORD_VARIABLE"]) == (
        "HARBOR_USER", "HARBOR_PASSWORD",
    )  # fmt: skip
    assert (build["MULTIARCH_BUILD_ARGS"], build["MULTIARCH_BUILD_SECRETS"]) == ('<["APP_VERSION"]>', '<["NPM_TOKEN"]>')
    assert (build["MULTIARCH_DOCKERFILE"], build["MULTIARCH_CONTEXT"]) == ("services/web/Containerfile", "services/web")
    assert (build["MULTIARCH_TARGET"], build["MULTIARCH_DEFAULT_BRANCH_TAGS"]) == ("runtime", '<["latest"]>')
    text = yaml.safe_dump(preview)
    assert all(secrets[k] not in text for k in ("HARBOR_PASSWORD", "NPM_TOKEN"))


def test_the_job_token_never_goes_to_another_registry(where: Path) -> None:
    """Defect 7: without its credentials' names, a job for another registry fails before building,
    saying which inputs name them (instead of logging in to $CI_REGISTRY with the job token)."""
    p = consumer("other-registry", where / "token", inputs={"registry-user-variable": "CI_REGISTRY_USER",
                 "registry-password-variable": "CI_REGISTRY_PASSWORD"})  # fmt: skip
    ran = p.run("multiarch-build-amd64", {"HARBOR_HOST": "harbor.example.com", "APP_VERSION": "1", "NPM_TOKEN": "x"})
    said = [line for line in ran.lines() if line.startswith("multiarch:")]
    assert ran.exit_code != 0 and said == [
        "multiarch: harbor.example.com is not this project's GitLab registry (local-registry.gitlab.example.com), "
        "where the job token logs in: name the CI/CD variables that hold its credentials (inputs "
        "registry-user-variable and registry-password-variable, or registry-password-command-variable)"
    ]
    assert "buildah login" not in ran.output


# --- bad inputs -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"name": "My App"}, "`name` input: `My App` does not match required regex"),
        ({"image-tag": "v1:2"}, "`image-tag` input: `v1:2` does not match required regex"),
        ({"image": "registry.example.com/team/app:v1"}, "`image` input: `registry.example.com/team/app:v1` does not match required regex"),
        ({"registry-password-variable": "$HARBOR_PASSWORD"}, "`registry-password-variable` input: `$HARBOR_PASSWORD` does not match"),
    ],
)  # fmt: skip
def test_a_bad_input_is_refused_when_the_pipeline_is_created(
    where: Path, inputs: dict[str, Any], message: str, request: pytest.FixtureRequest
) -> None:
    """Defects 10 and 7: names and references checked at creation (GitLab's regex on strings)."""
    p = consumer("bad-inputs", where / request.node.callspec.id, inputs=inputs)
    with pytest.raises(gitlabci.GitLabCIError, match=re.escape(message)):
        p.jobs()


@pytest.mark.parametrize(
    ("inputs", "kind", "said"),
    [
        ({"arches": []}, "default-branch",
         "multiarch: the arches input is empty: expected some of: amd64 arm64 (the stack's build pools)"),
        ({"arches": ["amd64", "arm"]}, "default-branch",
         'multiarch: the arches input has "arm": expected some of: amd64 arm64 (the stack\'s build pools)'),
        ({"arches": ["amd64", "aarch64"]}, "default-branch",
         'multiarch: the arches input has "aarch64": expected some of: amd64 arm64 (the stack\'s build pools)'),
        ({"arches": ["riscv64"]}, "default-branch",
         'multiarch: the arches input has "riscv64": expected some of: amd64 arm64 (the stack\'s build pools)'),
        ({"image-tag": "$CI_COMMIT_REF_NAME"}, "branch",
         'multiarch: the image-tag input is "feature/login" (expanded): not an image tag'),
        ({"extra-tags": ["stable", "release candidate"]}, "default-branch",
         'multiarch: an element of the extra-tags input is "release candidate": not an image tag'),
    ],
)  # fmt: skip
def test_what_only_expansion_shows_fails_the_first_step_before_any_build(
    where: Path, inputs: dict[str, Any], kind: str, said: str, request: pytest.FixtureRequest
) -> None:
    """Defect 10: an arch the stack has no pool for, or an empty arches list (GitLab has no
    `options` on an array input: the first step checks each element, and fails in one line before
    anything else), a tag that is not one once expanded."""
    p = consumer("bad-inputs", where / request.node.callspec.id, inputs=inputs)
    source, unset = gitlabci.pipeline_source(kind)
    jobs = p.jobs(source, unset)
    # The jobs that are in the pipeline (riscv64 alone leaves out both builds, not the manifest job).
    present = [j for j in ("app-build-amd64", "app-build-arm64", "app-manifest") if jobs[j]["when"] != "never"]
    assert present
    ran = p.run(present[0], source, unset=unset)
    assert ran.exit_code != 0
    (line,) = [x for x in ran.lines() if x.startswith("multiarch:")]
    assert line.startswith(said), line
    assert not LOGGED_IN.search(ran.output)  # nothing after the check ran


# --- pipeline sources -----------------------------------------------------------------------------------


# Beside the project's own include (the defaults), one include per other choice of pushes.
PUSH_CHOICES = {
    "all": {"push-merge-requests": True, "push-schedules": True},
    "main-only": {"push-branches": False, "push-tags": False},
    "off": {"push": False},
}
PUBLISHES = {  # pipeline -> the includes whose manifest job is in it
    "default-branch": ["multiarch", "all", "main-only"],
    "branch": ["multiarch", "all"],
    "tag": ["multiarch", "all"],
    "merge-request": ["all"],  # by default a merge request pipeline builds and checks, and pushes nothing
    "schedule": ["all"],
}


@pytest.fixture(scope="module")
def sources(where: Path) -> gitlabci.Project:
    p = consumer("pipeline-sources", where)
    path = p.root / ".gitlab-ci.yml"
    pipeline = yaml.safe_load(path.read_text())
    for name, inputs in PUSH_CHOICES.items():
        pipeline["include"].append({**pipeline["include"][0], "inputs": {"name": name, "stage": "build", **inputs}})
    path.write_text(yaml.safe_dump(pipeline, sort_keys=False))
    p.commit("one include per choice of pushes")
    return p


@pytest.mark.parametrize("kind", PUBLISHES)
def test_which_pipelines_publish(sources: gitlabci.Project, kind: str) -> None:
    """Defect 4: merge request and scheduled pipelines do not push by default, push: false pushes
    nothing; every build job still runs and checks (and its script pushes nothing either, nor the
    layer cache: tests/program/test_buildlab.py)."""
    source, unset = gitlabci.pipeline_source(kind)
    jobs = sources.jobs(source, unset)
    for name in ("multiarch", *PUSH_CHOICES):
        assert jobs[f"{name}-build-amd64"]["when"] == jobs[f"{name}-build-arm64"]["when"] == "on_success"
    assert [n for n in ("multiarch", *PUSH_CHOICES) if jobs[f"{n}-manifest"]["when"] != "never"] == PUBLISHES[kind]


# --- a team's own conventions ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def team(where: Path) -> gitlabci.Project:
    return consumer("team-overrides", where)


def test_a_team_without_a_build_stage_gets_its_jobs_in_post(team: gitlabci.Project) -> None:
    """Defect 13: the default stage is .post, which every pipeline has (after all of its own)."""
    jobs = team.jobs()
    assert {jobs[j]["stage"] for j in ("multiarch-build-amd64", "multiarch-build-arm64", "multiarch-manifest")} == {
        ".post"
    }


@pytest.mark.parametrize("scenario", ["plain", "team-overrides"])
def test_a_failing_test_stage_publishes_nothing(where: Path, scenario: str) -> None:
    """Defect 2: the builds wait for the stages before theirs: with the tests failing, no build
    starts, nothing is pushed, and the pipeline fails (plain: its unit tests made to fail;
    team-overrides: its own fail)."""
    failing: Any = {"stage": "test", "script": ["echo '1 test failed'", "exit 1"]}
    p = consumer(scenario, where / f"failing-{scenario}", **({"unit-tests": failing} if scenario == "plain" else {}))
    ran = p.pipeline()
    assert ran.started() == ["unit-tests"], ran.output[-2000:]
    assert ran.results() == {"unit-tests": "FAIL"}
    preview = p.preview()
    assert all("needs" not in preview[b] for b in ("multiarch-build-amd64", "multiarch-build-arm64"))


def test_start_early_trades_the_wait_for_speed(where: Path) -> None:
    """Defect 2: start-early: true gives the builds needs: [] (they start with the pipeline)."""
    preview = consumer("plain", where / "early", inputs={"start-early": True}).preview()
    assert preview["multiarch-build-amd64"]["needs"] == [] and preview["multiarch-build-arm64"]["needs"] == []


@pytest.mark.parametrize(
    ("stack", "arm64"),
    [
        ("gke-computeclass-dev", {"KUBERNETES_NODE_SELECTOR_ARCH": "kubernetes.io/arch=arm64",
                                  "KUBERNETES_NODE_SELECTOR_CLASS": "cloud.google.com/compute-class=multiarch-arm64",
                                  "KUBERNETES_NODE_TOLERATIONS_0": "kubernetes.io/arch=arm64:NoSchedule"}),
        ("prod", {"KUBERNETES_NODE_SELECTOR_ARCH": "kubernetes.io/arch=arm64",
                  "KUBERNETES_NODE_TOLERATIONS_0": "multiarch.dev/arch=arm64:NoSchedule"}),
    ],
)  # fmt: skip
def test_a_teams_rules_and_extends_keep_each_jobs_placement(
    where: Path, stack: str, arm64: dict[str, str], request: pytest.FixtureRequest
) -> None:
    """Defect 6: the team's rules: (and extends:) replace the component's, and each arch's job keeps
    its node selector, ComputeClass and tolerations, which live in its own variables."""
    p = consumer("team-overrides", where / request.node.callspec.id, stack=stack)
    preview, jobs = p.preview(), p.jobs()
    job = preview["multiarch-build-arm64"]
    assert job["rules"] == [{"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"}]  # the team's
    placed = {k: v for k, v in variables(job).items() if k.startswith("KUBERNETES_NODE_")}
    assert placed == arm64
    assert jobs["multiarch-build-arm64"]["when"] == "on_success"  # on the default branch, as the team's rule says


def test_a_teams_resource_group_interruptible_and_requests_reach_the_jobs(team: gitlabci.Project) -> None:
    """Defects 11 and 12: the team's resource_group and interruptible on the manifest, its larger
    requests on the builds (through its own extends:), and the stack's runner accepts them."""
    preview = team.preview()
    manifest = preview["multiarch-manifest"]
    assert (manifest["resource_group"], manifest["interruptible"]) == ("image-publish", False)
    build = preview["multiarch-build-arm64"]
    assert build["interruptible"] is True and build["retry"] == {"max": 2, "when": ["runner_system_failure"]}
    assert build["allow_failure"] is True and "npm ci" not in build["before_script"]
    asked = {k: v for k, v in variables(build).items() if k.startswith(("KUBERNETES_CPU", "KUBERNETES_MEMORY"))}
    assert asked == {"KUBERNETES_CPU_REQUEST": "6", "KUBERNETES_CPU_LIMIT": "7", "KUBERNETES_MEMORY_REQUEST": "12Gi",
                     "KUBERNETES_MEMORY_LIMIT": "24Gi"}  # fmt: skip
    release = plan.make("dev", policies=False).recording.one("kubernetes:helm.sh/v3:Release", "gitlab-runner")
    from tools.buildlab import runner_config

    kube = runner_config(release.plain_inputs["values"])
    for variable, key, measure in [
        ("KUBERNETES_CPU_REQUEST", "cpu_request_overwrite_max_allowed", cpu_m),
        ("KUBERNETES_CPU_LIMIT", "cpu_limit_overwrite_max_allowed", cpu_m),
        ("KUBERNETES_MEMORY_REQUEST", "memory_request_overwrite_max_allowed", memory_mib),
        ("KUBERNETES_MEMORY_LIMIT", "memory_limit_overwrite_max_allowed", memory_mib),
    ]:
        assert measure(asked[variable]) <= measure(kube[key]), (variable, kube[key])


def test_the_manifest_job_refuses_an_index_without_every_arch(team: gitlabci.Project, where: Path) -> None:
    """Defect 3: with no image from this pipeline's arm64 (nor amd64) build, the manifest job fails
    before logging in, naming the missing slot; the builds are optional needs, so a rule that drops
    one still leaves the manifest job to say so."""
    never: Any = {"rules": [{"when": "never"}]}
    dropped = consumer("team-overrides", where / "dropped", **{"multiarch-build-arm64": never})
    jobs = dropped.jobs()
    assert jobs["multiarch-build-arm64"]["when"] == "never" and jobs["multiarch-manifest"]["when"] == "on_success"
    ran = dropped.run("multiarch-manifest")
    assert ran.exit_code != 0
    (line,) = [x for x in ran.lines() if x.startswith("multiarch:")]
    assert line == (
        "multiarch: no amd64 image: multiarch-build-amd64 pushed none in this pipeline (it failed, was allowed to "
        "fail, or a rule left it out), and the arches input needs every one of: amd64 arm64; nothing is published"
    )
    assert not LOGGED_IN.search(ran.output)


def test_a_long_preview_comes_back_whole_when_several_run_at_once(where: Path) -> None:
    """gitlab-ci-local exits with process.exit(): into a pipe, a preview over 64 KiB came back cut
    (two-images lost its worker's jobs, half the time with four at once); tools.gitlabci reads files."""
    import concurrent.futures

    projects = [consumer("two-images", where / f"at-once-{i}") for i in range(4)]
    with concurrent.futures.ThreadPoolExecutor(len(projects)) as pool:
        previews = list(pool.map(lambda p: p.preview(), projects))
    for preview in previews:
        assert {"api-manifest", "worker-manifest", "unit-tests", "deploy"} <= set(preview)
    assert len(yaml.safe_dump(previews[0])) > 65536
