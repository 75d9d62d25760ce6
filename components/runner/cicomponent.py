"""The GitLab CI/CD component the stack publishes (`templates/build-multi-arch.yml`): per include,
one buildah build job per arch (`<name>-build-<arch>`), each pinned to its arch's nodes and
tolerating its pools' taints in its own `variables`, and a manifest job (`<name>-manifest`) that
publishes an index of exactly the `arches` input's images. Pure.

Include-safe: only its own jobs, prefixed by the `name` input (so a pipeline may include it once
per image), which inherit no `default:` and set their own `interruptible` and `retry`; no
workflow, global variables or stages of its own. Placement never lives in `rules:`, which a team
overrides to choose when jobs run: each arch has a job of its own. Every job is whole by itself
(the only `extends` is the `start-early` switch), since a team's `extends:` on a job replaces the
component's. The shell is `ciscripts`; the inputs `ciinputs`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from .. import arch
from ..computeclass import CLASS_LABEL
from ..scheduling import TaintLike
from . import ciinputs, ciscripts
from .config import CLASS_VARIABLE, ci_toleration

COMPONENT_PATH = "templates/build-multi-arch.yml"  # GitLab's catalog layout: templates/<name>.yml
TOLERATION_VARIABLE = "KUBERNETES_NODE_TOLERATIONS_{}"
NAME = "$[[ inputs.name ]]"


def build_job(a: str, name: str = ciinputs.DEFAULT_NAME) -> str:
    """The build job of arch `a` in an include named `name`."""
    return f"{name}-build-{a}"


def manifest_job(name: str = ciinputs.DEFAULT_NAME) -> str:
    return f"{name}-manifest"


MANIFEST_JOB = manifest_job()


def _input(key: str) -> str:
    return f"$[[ inputs.{key} ]]"


def _listed(key: str) -> str:
    """A list input as a job variable's text (`ciscripts.multiarch_list` reads it back)."""
    return f"<{_input(key)}>"


def _push_on() -> str:
    """Whether each pipeline source pushes, as one variable both the rules and the shell read."""
    sources = " ".join(f"{s}={_input('push-' + s)}" for s in ciinputs.PUSH_SOURCES)
    return f"push={_input('push')} {sources}"


def _common_variables(arches: Sequence[arch.Arch]) -> dict[str, str]:
    return {
        "STORAGE_DRIVER": "vfs",
        "BUILDAH_ISOLATION": "chroot",
        "MULTIARCH_NAME": NAME,
        "MULTIARCH_ARCHES": _listed("arches"),
        "MULTIARCH_ALLOWED_ARCHES": " ".join(arches),
        "MULTIARCH_IMAGE": _input("image"),
        "MULTIARCH_TAG": _input("image-tag"),
        "MULTIARCH_EXTRA_TAGS": _listed("extra-tags"),
        "MULTIARCH_DEFAULT_BRANCH_TAGS": _listed("default-branch-tags"),
        "MULTIARCH_PUSH_ON": _push_on(),
        "MULTIARCH_REGISTRY": _input("registry"),
        "MULTIARCH_REGISTRY_USER_VARIABLE": _input("registry-user-variable"),
        "MULTIARCH_REGISTRY_PASSWORD_VARIABLE": _input("registry-password-variable"),
        "MULTIARCH_REGISTRY_PASSWORD_COMMAND_VARIABLE": _input("registry-password-command-variable"),
    }


def _build_variables() -> dict[str, str]:
    return {
        "MULTIARCH_DOCKERFILE": _input("dockerfile"),
        "MULTIARCH_CONTEXT": _input("context"),
        "MULTIARCH_TARGET": _input("target"),
        "MULTIARCH_BUILD_ARGS": _listed("build-args"),
        "MULTIARCH_BUILD_SECRETS": _listed("build-secrets"),
        # In strings: a variable's value is text.
        "MULTIARCH_LABELS": f"labels-{_input('labels')}",
        "MULTIARCH_CACHE": f"cache-{_input('cache')}",
        "MULTIARCH_CACHE_REPOSITORY": _input("cache-repository"),
    }


def _selected(a: str) -> dict[str, str]:
    """This arch's job is left out when the arches input names others but not it. An empty list
    leaves every job in, and each fails its first step saying so."""
    return {
        "if": f"$MULTIARCH_ARCHES =~ /[a-z0-9]/ && $MULTIARCH_ARCHES !~ /[^a-z0-9]{a}[^a-z0-9]/",
        "when": "never",
    }


def _push_rules() -> list[dict[str, str]]:
    """The manifest job is left out of a pipeline that does not push (the shell decides the same)."""

    def off(source: str) -> str:
        return f"$MULTIARCH_PUSH_ON !~ /(^| ){source}=true( |$)/"

    mr, schedule = '$CI_PIPELINE_SOURCE == "merge_request_event"', '$CI_PIPELINE_SOURCE == "schedule"'
    neither = '$CI_PIPELINE_SOURCE != "merge_request_event" && $CI_PIPELINE_SOURCE != "schedule"'
    conditions = [
        "$MULTIARCH_PUSH_ON =~ /(^| )push=false( |$)/",
        f"{mr} && {off('merge-requests')}",
        f"{schedule} && {off('schedules')}",
        f"{neither} && $CI_COMMIT_TAG && {off('tags')}",
        f"{neither} && $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && {off('default-branch')}",
        f"{neither} && $CI_COMMIT_BRANCH && $CI_COMMIT_BRANCH != $CI_DEFAULT_BRANCH && {off('branches')}",
    ]
    return [{"if": c, "when": "never"} for c in conditions]


def _common_job(timeout: str) -> dict[str, Any]:
    return {
        "stage": _input("stage"),
        "tags": _input("tags"),
        "image": {"name": _input("builder-image")},
        "inherit": {"default": False},
        "interruptible": _input("interruptible"),
        "retry": {"max": _input("retry"), "when": ["runner_system_failure"]},
        "timeout": timeout,
    }


class _Dumper(yaml.SafeDumper):
    """Scripts of several lines as literal blocks, as a person writes them."""


_Dumper.add_representer(
    str,
    lambda dumper, text: dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|" if "\n" in text else None),
)


def ci_component(
    arches: Sequence[arch.Arch],
    tags: Sequence[str],
    taints: Mapping[arch.Arch, Sequence[TaintLike]] | None = None,
    default_arch: arch.Arch = "amd64",
    classes: Mapping[arch.Arch, str] | None = None,
    timeout: str = "1h",
) -> str:
    """The CI/CD component: `spec: inputs:`, then a buildah build job per arch of the stack (each
    pinned to its nodes, selecting its GKE ComputeClass (`classes`) and tolerating its pools'
    `taints`) and the manifest job, on `default_arch`. Every job ends within `timeout`
    (Karpenter's terminationGracePeriod follows it)."""
    taints = taints or {}
    classes = classes or {}

    def placement(a: arch.Arch) -> dict[str, str]:
        out = {"KUBERNETES_NODE_SELECTOR_ARCH": f"{arch.ARCH_LABEL}={a}"}
        out |= {TOLERATION_VARIABLE.format(i): ci_toleration(t) for i, t in enumerate(dict.fromkeys(taints.get(a, ())))}
        if a in classes:
            out[CLASS_VARIABLE] = f"{CLASS_LABEL}={classes[a]}"
        return out

    before = [ciscripts.FUNCTIONS, ciscripts.CHECK, ciscripts.LOGIN]
    jobs: dict[str, Any] = {
        # start-early: true gives the builds `needs: []` (they start with the pipeline).
        f".{NAME}-start-early-true": {"needs": []},
        f".{NAME}-start-early-false": {},
    }
    for a in arches:
        jobs[build_job(a, NAME)] = {
            "extends": f".{NAME}-start-early-{_input('start-early')}",
            **_common_job(timeout),
            "variables": {"ARCH": a, **placement(a), **_common_variables(arches), **_build_variables()},
            "rules": [_selected(a), _input("rules")],  # GitLab flattens the nested list of rules
            "before_script": [*before, ciscripts.CHECK_BUILD, "multiarch_login"],
            "script": ciscripts.build_script(),
            "artifacts": {"paths": [f"{ciscripts.ARCHES_DIR}/{NAME}/"], "expire_in": "1 day"},
        }
    jobs[manifest_job(NAME)] = {
        **_common_job(timeout),
        # Every arch's build, each optional (an arch the input leaves out has no job): the script
        # then requires exactly the arches input's.
        "needs": [{"job": build_job(a, NAME), "optional": True} for a in arches],
        "variables": {**placement(default_arch), **_common_variables(arches)},
        "rules": [*_push_rules(), _input("rules")],
        "before_script": before,
        "script": ciscripts.manifest_script(),
    }
    header = (
        "# Generated by pulumi-multiarch (runner/cicomponent.py): a GitLab CI/CD component (buildah).\n"
        f"# include: component: <host>/<project>/build-multi-arch@<version>, or include: local: {COMPONENT_PATH}\n"
    )
    return header + yaml.dump_all(
        [{"spec": {"inputs": ciinputs.component_inputs(arches, tags)}}, jobs],
        Dumper=_Dumper,
        sort_keys=False,
        width=200,
    )
