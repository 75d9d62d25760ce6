"""The CI/CD component's shell, run by the shells a runner uses (sh, and bash with the runner's
`set -eo pipefail`): how it reads list inputs, checks its inputs, classifies the pipeline, and
logs in, with a `buildah` that only records what it was given."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from components.runner import ciscripts

SHELLS = [["sh", "-c"], ["bash", "-eo", "pipefail", "-c"]]
SECRET = "s3cr3t-Password-0451"


def run(
    script: str, env: dict[str, str], shell: list[str], path: Path | None = None
) -> subprocess.CompletedProcess[str]:
    base = {"PATH": f"{path}{os.pathsep}{os.environ['PATH']}" if path else os.environ["PATH"], "HOME": "/tmp"}
    return subprocess.run(
        [*shell, f"{ciscripts.FUNCTIONS}\n{script}"],
        env={**base, **env},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("shell", SHELLS, ids=["sh", "bash"])
@pytest.mark.parametrize(
    ("rendered", "elements"),
    [
        ('<["amd64", "arm64"]>', ["amd64", "arm64"]),  # GitLab: Ruby's Array#to_s
        ('<["amd64","arm64"]>', ["amd64", "arm64"]),  # gitlab-ci-local: JSON
        ("<[]>", []),
        ('<["latest"]>', ["latest"]),
        ('<["a b"]>', ["a b"]),  # one element, kept whole: its check then refuses it
        ("<[1, 2]>", ["1", "2"]),
    ],
)
def test_a_list_input_is_read_back_element_by_element(rendered: str, elements: list[str], shell: list[str]) -> None:
    proc = run('multiarch_list "$L"', {"L": rendered}, shell)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == elements


GOOD = {
    "MULTIARCH_ARCHES": '<["amd64", "arm64"]>',
    "MULTIARCH_ALLOWED_ARCHES": "amd64 arm64",
    "MULTIARCH_IMAGE": "registry.example.com/Group/MyApp",
    "MULTIARCH_TAG": "0a1b2c3d",
    "MULTIARCH_EXTRA_TAGS": "<[]>",
    "MULTIARCH_DEFAULT_BRANCH_TAGS": '<["latest"]>',
    "MULTIARCH_PUSH_ON": "push=true merge-requests=false schedules=false tags=true default-branch=true branches=true",
    "MULTIARCH_REGISTRY_USER_VARIABLE": "CI_REGISTRY_USER",
    "MULTIARCH_REGISTRY_PASSWORD_VARIABLE": "CI_REGISTRY_PASSWORD",
    "MULTIARCH_REGISTRY_PASSWORD_COMMAND_VARIABLE": "",
    "CI_COMMIT_BRANCH": "main",
    "CI_DEFAULT_BRANCH": "main",
    "CI_PIPELINE_SOURCE": "push",
}
SHOW = 'echo "arches=${multiarch_arches}|image=${multiarch_image}|tags=${multiarch_tags}|from=${multiarch_from}|push=${multiarch_push}"'


@pytest.mark.parametrize("shell", SHELLS, ids=["sh", "bash"])
def test_good_inputs_pass_the_check(shell: list[str]) -> None:
    proc = run(f"{ciscripts.CHECK}\n{SHOW}", GOOD, shell)
    assert proc.returncode == 0, proc.stderr
    # The image lowercased; the default branch adds its own tags.
    assert proc.stdout.strip() == (
        "arches=amd64 arm64|image=registry.example.com/group/myapp|tags=0a1b2c3d latest|from=default-branch|push=yes"
    )


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"MULTIARCH_ARCHES": "<[]>"}, "the arches input is empty: expected some of: amd64 arm64 (the stack's build pools)"),
        ({"MULTIARCH_ARCHES": '<["amd64", "arm"]>'}, 'the arches input has "arm": expected some of: amd64 arm64'),
        ({"MULTIARCH_ARCHES": '<["riscv64"]>'}, 'the arches input has "riscv64"'),
        ({"MULTIARCH_ARCHES": '<["amd64","aarch64"]>'}, 'the arches input has "aarch64"'),
        ({"MULTIARCH_IMAGE": ""}, 'the image input is "" (expanded): expected a repository with its registry host'),
        ({"MULTIARCH_IMAGE": "team/api"}, 'the image input is "team/api" (expanded)'),  # no host: Docker Hub, implicit
        ({"MULTIARCH_IMAGE": "registry.example.com/team/api:v1"}, "no tag, such as registry.example.com/team/api"),
        ({"MULTIARCH_IMAGE": "registry.example.com/team/my..api"}, "expected a repository"),
        ({"MULTIARCH_TAG": "feature/login"}, 'the image-tag input is "feature/login" (expanded): not an image tag'),
        ({"MULTIARCH_TAG": "-x"}, 'the image-tag input is "-x"'),
        ({"MULTIARCH_TAG": "v" * 123}, "at most 122 characters: each arch adds -<arch>"),
        ({"MULTIARCH_EXTRA_TAGS": '<["stable", "a b"]>'}, 'an element of the extra-tags input is "a b": not an image tag'),
        ({"MULTIARCH_DEFAULT_BRANCH_TAGS": '<["lat:est"]>'}, 'an element of the default-branch-tags input is "lat:est"'),
        (
            {"CI_COMMIT_TAG": "release/2.0", "CI_COMMIT_BRANCH": ""},
            'the git tag is "release/2.0": not an image tag',
        ),
        ({"MULTIARCH_REGISTRY_USER_VARIABLE": "$HARBOR_USER"}, 'the registry-user-variable input is "$HARBOR_USER": '
         "expected the NAME of a CI/CD variable"),
        ({"MULTIARCH_REGISTRY_PASSWORD_COMMAND_VARIABLE": "aws ecr"}, "the registry-password-command-variable input is"),
    ],
)  # fmt: skip
def test_a_bad_input_fails_the_first_step_in_one_line_naming_it(changes: dict[str, str], said: str) -> None:
    proc = run(f"{ciscripts.CHECK}\n{SHOW}", {**GOOD, **changes}, SHELLS[1])
    assert proc.returncode == 1 and proc.stdout == ""
    (line,) = proc.stderr.splitlines()
    assert line.startswith("multiarch: ") and said in line, line


PUSH_ON = {
    "defaults": "push=true merge-requests=false schedules=false tags=true default-branch=true branches=true",
    "all": "push=true merge-requests=true schedules=true tags=true default-branch=true branches=true",
    "off": "push=false merge-requests=true schedules=true tags=true default-branch=true branches=true",
    "main only": "push=true merge-requests=false schedules=false tags=false default-branch=true branches=false",
}
PIPELINES = {
    "default branch": {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "main"},
    "branch": {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "feature/login"},
    "tag": {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_TAG": "v2.0.0"},
    "merge request": {"CI_PIPELINE_SOURCE": "merge_request_event"},
    "schedule": {"CI_PIPELINE_SOURCE": "schedule", "CI_COMMIT_BRANCH": "main"},
    "web on a branch": {"CI_PIPELINE_SOURCE": "web", "CI_COMMIT_BRANCH": "feature/login"},
}


@pytest.mark.parametrize(
    ("pipeline", "push_on", "expected"),
    [
        ("default branch", "defaults", "default-branch yes"),
        ("branch", "defaults", "branches yes"),
        ("tag", "defaults", "tags yes"),
        ("merge request", "defaults", "merge-requests no pushing is off in merge-requests pipelines (input push-merge-requests)"),
        ("schedule", "defaults", "schedules no pushing is off in schedules pipelines (input push-schedules)"),
        ("web on a branch", "defaults", "branches yes"),
        ("merge request", "all", "merge-requests yes"),
        ("schedule", "all", "schedules yes"),
        ("tag", "off", "tags no the push input is false"),
        ("default branch", "off", "default-branch no the push input is false"),
        ("branch", "main only", "branches no pushing is off in branches pipelines (input push-branches)"),
        ("tag", "main only", "tags no pushing is off in tags pipelines (input push-tags)"),
        ("default branch", "main only", "default-branch yes"),
    ],
)  # fmt: skip
def test_each_pipeline_pushes_as_its_inputs_say(pipeline: str, push_on: str, expected: str) -> None:
    env = {"CI_DEFAULT_BRANCH": "main", "MULTIARCH_PUSH_ON": PUSH_ON[push_on], **PIPELINES[pipeline]}
    proc = run(f'{ciscripts.SOURCE}\necho "$multiarch_from $multiarch_push $multiarch_why"', env, SHELLS[0])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == expected


def test_a_tag_pipeline_pushes_the_git_tag_too() -> None:
    env = {**GOOD, "CI_COMMIT_BRANCH": "", "CI_COMMIT_TAG": "v2.0.0", "MULTIARCH_EXTRA_TAGS": '<["stable", "v2.0.0"]>'}
    proc = run(f"{ciscripts.CHECK}\n{SHOW}", env, SHELLS[1])
    assert proc.returncode == 0, proc.stderr
    # Each tag once, and not latest: not the default branch.
    assert "|tags=0a1b2c3d v2.0.0 stable|from=tags|push=yes" in proc.stdout


@pytest.fixture
def buildah(tmp_path: Path) -> Path:
    """A `buildah` that records its arguments and its stdin."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "buildah"
    fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{tmp_path}/args"\ncat > "{tmp_path}/stdin"\n')
    fake.chmod(0o755)
    return bin_dir


LOGIN_ENV = {**GOOD, "MULTIARCH_IMAGE": "registry.gitlab.example.com/group/app", "MULTIARCH_REGISTRY": ""}


@pytest.mark.parametrize(
    ("changes", "user", "registry"),
    [
        ({"CI_REGISTRY": "registry.gitlab.example.com", "CI_REGISTRY_USER": "gitlab-ci-token", "CI_REGISTRY_PASSWORD": SECRET},
         "gitlab-ci-token", "registry.gitlab.example.com"),  # the default: the project's registry, the job token
        ({"MULTIARCH_IMAGE": "harbor.example.com/team/app", "MULTIARCH_REGISTRY_USER_VARIABLE": "HARBOR_USER",
          "MULTIARCH_REGISTRY_PASSWORD_VARIABLE": "HARBOR_PASSWORD", "HARBOR_USER": "robot$team", "HARBOR_PASSWORD": SECRET},
         "robot$team", "harbor.example.com"),
        ({"MULTIARCH_IMAGE": "docker.io/team/app", "MULTIARCH_REGISTRY_USER_VARIABLE": "HUB_USER",
          "MULTIARCH_REGISTRY_PASSWORD_VARIABLE": "HUB_TOKEN", "HUB_USER": "team", "HUB_TOKEN": SECRET},
         "team", "docker.io"),
        ({"MULTIARCH_IMAGE": "123456789012.dkr.ecr.eu-west-3.amazonaws.com/app", "MULTIARCH_REGISTRY_USER_VARIABLE": "ECR_USER",
          "MULTIARCH_REGISTRY_PASSWORD_COMMAND_VARIABLE": "ECR_LOGIN", "ECR_USER": "AWS", "ECR_LOGIN": f"printf {SECRET}"},
         "AWS", "123456789012.dkr.ecr.eu-west-3.amazonaws.com"),  # the default password variable is not used then
        ({"MULTIARCH_IMAGE": "europe-west4-docker.pkg.dev/proj/repo/app", "MULTIARCH_REGISTRY": "Europe-West4-docker.pkg.dev",
          "MULTIARCH_REGISTRY_USER_VARIABLE": "GAR_USER", "MULTIARCH_REGISTRY_PASSWORD_VARIABLE": "GAR_KEY",
          "GAR_USER": "_json_key_base64", "GAR_KEY": SECRET},
         "_json_key_base64", "europe-west4-docker.pkg.dev"),
    ],
)  # fmt: skip
def test_the_login_reads_the_credentials_the_inputs_name(
    changes: dict[str, str], user: str, registry: str, buildah: Path, tmp_path: Path
) -> None:
    proc = run(f"{ciscripts.CHECK}\n{ciscripts.LOGIN}\nmultiarch_login", {**LOGIN_ENV, **changes}, SHELLS[1], buildah)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "args").read_text().splitlines() == ["login", "--username", user, "--password-stdin", registry]
    assert (tmp_path / "stdin").read_text() == SECRET  # on stdin, never an argument
    assert SECRET not in proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        # The job token goes to the project's registry only.
        ({"MULTIARCH_IMAGE": "harbor.example.com/team/app", "CI_REGISTRY": "registry.gitlab.example.com",
          "CI_REGISTRY_USER": "gitlab-ci-token", "CI_REGISTRY_PASSWORD": SECRET},
         "harbor.example.com is not this project's GitLab registry (registry.gitlab.example.com), where the job token "
         "logs in: name the CI/CD variables that hold its credentials"),
        ({"MULTIARCH_IMAGE": "harbor.example.com/team/app", "MULTIARCH_REGISTRY_USER_VARIABLE": "HARBOR_USER",
          "HARBOR_USER": "robot", "CI_REGISTRY_PASSWORD": SECRET, "CI_REGISTRY": "registry.gitlab.example.com"},
         "harbor.example.com is not this project's GitLab registry"),
        ({"MULTIARCH_IMAGE": "harbor.example.com/team/app", "MULTIARCH_REGISTRY_USER_VARIABLE": "HARBOR_USER",
          "MULTIARCH_REGISTRY_PASSWORD_VARIABLE": "HARBOR_PASSWORD", "HARBOR_PASSWORD": SECRET},
         "the variable HARBOR_USER (input registry-user-variable) is not set"),
        ({"MULTIARCH_IMAGE": "harbor.example.com/team/app", "MULTIARCH_REGISTRY_USER_VARIABLE": "HARBOR_USER",
          "MULTIARCH_REGISTRY_PASSWORD_VARIABLE": "HARBOR_PASSWORD", "HARBOR_USER": "robot"},
         "no password for harbor.example.com"),
        ({"MULTIARCH_IMAGE": "harbor.example.com/team/app", "MULTIARCH_REGISTRY_USER_VARIABLE": "HARBOR_USER",
          "MULTIARCH_REGISTRY_PASSWORD_VARIABLE": "", "HARBOR_USER": "robot", "CI_REGISTRY_PASSWORD": SECRET},
         "the registry-password-variable and registry-password-command-variable inputs are both empty"),
        ({"MULTIARCH_IMAGE": "x.example.com/app", "MULTIARCH_REGISTRY_USER_VARIABLE": "U", "U": "u",
          "MULTIARCH_REGISTRY_PASSWORD_COMMAND_VARIABLE": "LOGIN", "LOGIN": f"echo {SECRET} >&2; exit 3"},
         "the command in LOGIN (input registry-password-command-variable) failed"),
    ],
)  # fmt: skip
def test_a_login_that_cannot_work_fails_before_anything_is_built(
    changes: dict[str, str], said: str, buildah: Path, tmp_path: Path
) -> None:
    proc = run(f"{ciscripts.CHECK}\n{ciscripts.LOGIN}\nmultiarch_login", {**LOGIN_ENV, **changes}, SHELLS[1], buildah)
    assert proc.returncode == 1
    (line,) = [x for x in proc.stderr.splitlines() if x.startswith("multiarch:")]
    assert said in line, line
    assert not (tmp_path / "args").exists()  # buildah was never called
    assert SECRET not in line


def test_no_login_when_the_user_variable_input_is_empty(buildah: Path, tmp_path: Path) -> None:
    env: dict[str, Any] = {**LOGIN_ENV, "MULTIARCH_REGISTRY_USER_VARIABLE": ""}
    proc = run(f"{ciscripts.CHECK}\n{ciscripts.LOGIN}\nmultiarch_login", env, SHELLS[0], buildah)
    assert proc.returncode == 0 and "no registry login" in proc.stdout
    assert not (tmp_path / "args").exists()


@pytest.mark.parametrize(
    ("image", "repository", "cache"),
    [
        ("registry.gitlab.example.com/group/app", "", "registry.gitlab.example.com/group/app/cache-arm64"),
        ("docker.io/team/app", "", "docker.io/team/app-cache-arm64"),  # Docker Hub: two path segments at most
        ("docker.io/team/app", "docker.io/team/Build-Cache", "docker.io/team/build-cache-arm64"),
        ("harbor.example.com/team/app", "harbor.example.com/team/cache", "harbor.example.com/team/cache-arm64"),
    ],
)
def test_each_arch_has_a_layer_cache_of_its_own(image: str, repository: str, cache: str) -> None:
    env = {"multiarch_image": image, "MULTIARCH_CACHE_REPOSITORY": repository, "MULTIARCH_CACHE": "cache-true"}
    script = f'multiarch_image="{image}"; ARCH=arm64\n{ciscripts.CACHE}\necho "$multiarch_cache"'
    proc = run(script, env, SHELLS[0])
    assert proc.stdout.strip() == cache
    off = run(f'multiarch_image="{image}"; ARCH=arm64\n{ciscripts.CACHE}\necho "[$multiarch_cache]"',
              {**env, "MULTIARCH_CACHE": "cache-false"}, SHELLS[0])  # fmt: skip
    assert off.stdout.strip() == "[]"


def test_the_shells_are_there() -> None:
    assert shutil.which("sh") and shutil.which("bash")
