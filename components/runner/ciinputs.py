"""The CI/CD component's inputs (`spec: inputs:`): names, types, defaults, and what GitLab checks
when a pipeline is created (`options`, `regex`). Pure.

GitLab checks a `regex` against the raw input, before variables are expanded (so a default of
`$CI_REGISTRY_IMAGE` is what it sees): the patterns here accept `$`, `{` and `}`, and refuse what no
expansion can repair (a `:` tag inside `image`, a space, a `/` in a tag). The component's first
script step checks the expanded values again (`ciscripts.CHECK`), before anything is built.
GitLab accepts `options` and `regex` on string and number inputs only (its `BaseInput`: "Options
can only be used with string and number inputs"), and refuses the whole include otherwise: the
lists (`arches`, `extra-tags`, `build-args`...) are checked element by element by that first step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import arch, versions

DEFAULT_NAME = "multiarch"

# The pipeline sources that may push, in the order a pipeline is classified (the first that applies):
# a merge request pipeline, a scheduled one, a tag's, the default branch's, any other branch's.
PUSH_SOURCES = ("merge-requests", "schedules", "tags", "default-branch", "branches")
PUSH_DEFAULTS = {"branches": True, "default-branch": True, "tags": True, "merge-requests": False, "schedules": False}

# What GitLab accepts before expansion (RE2 and JavaScript alike: no lookaround).
NAME_RE = r"^[a-z0-9][a-z0-9_-]{0,62}$"  # a job-name prefix
_PART = r"[A-Za-z0-9_.${}-]+"
IMAGE_RE = rf"^{_PART}(:[0-9]+)?(/{_PART})*$"  # host[:port]/path, no :tag or @digest
CACHE_RE = rf"^({_PART}(:[0-9]+)?(/{_PART})*)?$"
HOST_RE = rf"^({_PART}(:[0-9]+)?)?$"
TAG_RE = r"^[A-Za-z0-9_${}][A-Za-z0-9_.${}-]{0,127}$"
VARIABLE_RE = r"^([A-Za-z_][A-Za-z0-9_]*)?$"  # the NAME of a CI/CD variable, or nothing
TARGET_RE = r"^([A-Za-z0-9_][A-Za-z0-9_.-]*)?$"


def _string(default: str, description: str, regex: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"default": default, "description": description}
    if regex:
        spec["regex"] = regex
    return spec


def _boolean(default: bool, description: str) -> dict[str, Any]:
    return {"type": "boolean", "default": default, "description": description}


def _array(default: list[Any], description: str) -> dict[str, Any]:
    return {"type": "array", "default": default, "description": description}


def component_inputs(arches: Sequence[arch.Arch], tags: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Every input, typed and documented; the stack gives the defaults of `arches` (its build pools'
    architectures, which the first step also checks each element against) and `tags`."""
    push = {
        f"push-{source}": _boolean(PUSH_DEFAULTS[source], f"Push in {label} (with push: true).")
        for source, label in (
            ("branches", "branch pipelines other than the default branch's"),
            ("default-branch", "the default branch's pipelines"),
            ("tags", "tag pipelines (the git tag is pushed too)"),
            ("merge-requests", "merge request pipelines (false: they build and check, and push nothing)"),
            ("schedules", "scheduled pipelines"),
        )
    }
    return {
        "name": _string(
            DEFAULT_NAME,
            "Prefix of every job of this include (<name>-build-<arch>, <name>-manifest): one per image.",
            NAME_RE,
        ),
        "stage": _string(".post", "The stage of the jobs: one of yours (.post: after all of them, in every pipeline)."),
        "tags": _array(list(tags), "Runner tags: the tags of the stack's multi-arch runner."),
        "arches": _array(
            list(arches),
            f"Architectures to build (some of: {', '.join(arches)}), one native job each; every one is in the index.",
        ),
        "image": _string(
            "$CI_REGISTRY_IMAGE",
            "Repository of the image (host/path); each arch is pushed as <image>:<tag>-<arch>.",
            IMAGE_RE,
        ),
        "image-tag": _string(
            "$CI_COMMIT_SHORT_SHA", "The tag of the index, and of each arch's image (<tag>-<arch>).", TAG_RE
        ),
        "extra-tags": _array([], "More tags of the index, in every pipeline that pushes (variables allowed)."),
        "default-branch-tags": _array([], "More tags of the index in the default branch's pipelines (e.g. latest)."),
        "push": _boolean(True, "Push anything at all (false: build and check only; no index, no layer cache pushed)."),
        **push,
        "registry": _string("", "The registry host to log in to; empty: the image's host.", HOST_RE),
        "registry-user-variable": _string(
            "CI_REGISTRY_USER", "NAME of the CI/CD variable holding the registry user (empty: no login).", VARIABLE_RE
        ),
        "registry-password-variable": _string(
            "CI_REGISTRY_PASSWORD", "NAME of the CI/CD variable holding the registry password or token.", VARIABLE_RE
        ),
        "registry-password-command-variable": _string(
            "", "NAME of a CI/CD variable holding a command that prints the password (ECR); used instead.", VARIABLE_RE
        ),
        "dockerfile": _string("Dockerfile", "Dockerfile or Containerfile, relative to the project's root."),
        "context": _string(".", "Build context directory, relative to the project's root."),
        "target": _string("", "The Dockerfile stage to build (--target); empty: the last.", TARGET_RE),
        "build-args": _array([], "NAMES of CI/CD variables passed as build args (--build-arg NAME, value unprinted)."),
        "build-secrets": _array([], "NAMES of CI/CD variables given as build secrets (--mount=type=secret,id=NAME)."),
        "labels": _boolean(True, "Label each image with the commit, version and project (org.opencontainers.image.*)."),
        "cache": _boolean(True, "Cache image layers in a registry repository per arch (nodes are ephemeral)."),
        "cache-repository": _string(
            "",
            "The layer cache's repository, -<arch> appended; empty: <image>/cache (<image>-cache on Docker Hub).",
            CACHE_RE,
        ),
        "start-early": _boolean(
            False, "Start the builds with the pipeline (needs: []) instead of after your earlier stages."
        ),
        "rules": _array([{"when": "on_success"}], "Rules of every job, after the component's own (when they run)."),
        "interruptible": _boolean(True, "A newer pipeline may cancel these jobs (auto-cancel)."),
        "retry": {
            "type": "number",
            "default": 2,
            "options": [0, 1, 2],
            "description": "Retries after a runner system failure (and only then).",
        },
        "builder-image": _string(versions.BUILDAH_IMAGE, "The jobs' image: buildah with sh, sed, grep and tr."),
    }
