"""The GitLab CI/CD component the stack publishes (`templates/build-multi-arch.yml`): one buildah
build job per arch, each pinned to its arch's nodes and tolerating its pools' taints, and a
manifest job that checks every slot. Include-safe: only its own jobs, which inherit no `default:`.
Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from .. import arch, buildscript, versions
from ..computeclass import CLASS_LABEL
from ..scheduling import TaintLike
from .config import CLASS_VARIABLE, ci_toleration

# --- the CI/CD component -------------------------------------------------------------------------
# Include-safe: only its own `multiarch-` jobs, which inherit no `default:` (a consumer's
# before_script, after_script, cache or image would reach them otherwise); no workflow, global
# variables or stages of its own; typed inputs whose defaults come from the stack.
COMPONENT_PATH = "templates/build-multi-arch.yml"  # GitLab's catalog layout: templates/<name>.yml


JOB_PREFIX = "multiarch-"


BUILD_JOB = f"{JOB_PREFIX}build"


MANIFEST_JOB = f"{JOB_PREFIX}manifest"


ARCHES_DIR = "multiarch-arches"  # what the build jobs built, handed to the manifest job as artifacts


MANIFEST_LIST = "multiarch-list"


TOLERATION_VARIABLE = "KUBERNETES_NODE_TOLERATIONS_{}"


LOGIN = (
    'echo "${CI_REGISTRY_PASSWORD}" | buildah login --username "${CI_REGISTRY_USER}" --password-stdin "${CI_REGISTRY}"'
)


# Repository names are lowercase: project `group/MyApp` makes `.../MyApp` of the default image name.
LOWERCASE = "MULTIARCH_IMAGE=\"$(printf '%s' \"${MULTIARCH_IMAGE}\" | tr '[:upper:]' '[:lower:]')\""


BUILD_FIX = (
    "its KUBERNETES_NODE_SELECTOR_ARCH must reach the runner (tags of the multi-arch runner, whose "
    "node_selector_overwrite_allowed accepts kubernetes.io/arch)"
)


def component_inputs(arches: Sequence[arch.Arch], tags: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The component's typed, documented inputs; the stack gives the defaults of arches and tags."""
    return {
        "stage": {"default": "build", "description": "The stage of the component's jobs (one of yours)."},
        "tags": {
            "type": "array",
            "default": list(tags),
            "description": "Runner tags: the tags of the stack's multi-arch runner.",
        },
        "arches": {
            "type": "array",
            "default": list(arches),
            "description": "Architectures to build, one native job each (amd64, arm64): the stack's pools.",
        },
        "image-name": {
            "default": "${CI_PROJECT_NAME}",
            "description": "Image name under the registry (lowercased); each arch is pushed as <name>-<arch>.",
        },
        "image-tag": {"default": "${CI_COMMIT_SHORT_SHA}", "description": "Image tag."},
        "registry": {
            "default": "${CI_REGISTRY_IMAGE}",
            "description": "Target repository prefix (the project's GitLab registry, logged in with the job token).",
        },
        "dockerfile": {"default": "Dockerfile", "description": "Dockerfile or Containerfile path."},
        "context": {"default": ".", "description": "Build context directory."},
        "push": {
            "type": "boolean",
            "default": True,
            "description": "Push each arch's image and the manifest list (false: build only, no manifest job).",
        },
        "cache": {
            "type": "boolean",
            "default": True,
            "description": "Cache image layers in a registry repository (nodes are ephemeral); false: none.",
        },
        "cache-repository": {
            "default": "",
            "description": "The layer cache's repository; empty: <registry>/<image-name>/cache.",
        },
    }


def _image_variables() -> dict[str, str]:
    return {
        "STORAGE_DRIVER": "vfs",
        "BUILDAH_ISOLATION": "chroot",
        "MULTIARCH_IMAGE": "$[[ inputs.registry ]]/$[[ inputs.image-name ]]",
        "MULTIARCH_TAG": "$[[ inputs.image-tag ]]",
    }


def _toleration_variables(taints: Sequence[TaintLike]) -> dict[str, str]:
    return {TOLERATION_VARIABLE.format(i): ci_toleration(t) for i, t in enumerate(dict.fromkeys(taints))}


def build_script() -> list[str]:
    """The build job's script: one arch, natively, its image checked, then pushed when asked."""
    return [
        LOWERCASE,
        'ref="${MULTIARCH_IMAGE}-${ARCH}:${MULTIARCH_TAG}"',
        buildscript.native_check("build job", BUILD_FIX),
        'set --; if [ "${MULTIARCH_CACHE}" = "cache-true" ]; then '
        'cache="${MULTIARCH_CACHE_REPOSITORY:-${MULTIARCH_IMAGE}/cache}"; '
        'set -- --cache-from "${cache}" --cache-to "${cache}"; fi',
        'buildah build --platform "linux/${ARCH}" --layers "$@" --file "${MULTIARCH_DOCKERFILE}" '
        '--tag "${ref}" "${MULTIARCH_CONTEXT}"',
        buildscript.image_check(),
        'if [ "${MULTIARCH_PUSH}" = "push-true" ]; then buildah push "${ref}"; fi',
        f"mkdir -p {ARCHES_DIR} && touch {ARCHES_DIR}/${{ARCH}}",
    ]


def manifest_script() -> list[str]:
    """The manifest job's script: every built arch's image, with its own platform, each checked
    against its slot, then the list pushed."""
    return [
        LOWERCASE,
        f"buildah manifest create {MANIFEST_LIST}",
        f"for built in {ARCHES_DIR}/*; do\n"
        '  slot="$(basename "${built}")"\n'
        '  ref="${MULTIARCH_IMAGE}-${slot}:${MULTIARCH_TAG}"\n'
        f'  buildah manifest add {MANIFEST_LIST} "docker://${{ref}}"\n'
        + "\n".join(f"  {line}" for line in buildscript.slot_check(MANIFEST_LIST).splitlines())
        + "\ndone",
        f'buildah manifest push --all {MANIFEST_LIST} "docker://${{MULTIARCH_IMAGE}}:${{MULTIARCH_TAG}}"',
    ]


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
    """The CI/CD component: `spec: inputs:`, then a buildah build job per arch (a matrix over the
    `arches` input, each pinned to its nodes, selecting its GKE ComputeClass (`classes`) and
    tolerating its pools' `taints`) and the manifest job, which needs exactly those and runs on
    `default_arch`. Every job ends within `timeout` (Karpenter's terminationGracePeriod follows it)."""
    taints = taints or {}
    classes = classes or {}

    def node_variables(a: arch.Arch) -> dict[str, str]:
        out = _toleration_variables(taints.get(a, ()))
        if a in classes:
            out[CLASS_VARIABLE] = f"{CLASS_LABEL}={classes[a]}"
        return out

    build: dict[str, Any] = {
        "stage": "$[[ inputs.stage ]]",
        "tags": "$[[ inputs.tags ]]",
        "image": {"name": versions.BUILDAH_IMAGE},
        "inherit": {"default": False},
        "needs": [],
        "timeout": timeout,
        "parallel": {"matrix": [{"ARCH": "$[[ inputs.arches ]]"}]},
        "variables": {
            "KUBERNETES_NODE_SELECTOR_ARCH": f"{arch.ARCH_LABEL}=${{ARCH}}",
            **_image_variables(),
            "MULTIARCH_DOCKERFILE": "$[[ inputs.dockerfile ]]",
            "MULTIARCH_CONTEXT": "$[[ inputs.context ]]",
            "MULTIARCH_PUSH": "push-$[[ inputs.push ]]",  # in a string: a variable's value is text
            "MULTIARCH_CACHE": "cache-$[[ inputs.cache ]]",
            "MULTIARCH_CACHE_REPOSITORY": "$[[ inputs.cache-repository ]]",
        },
    }
    placed = [a for a in arch.ARCHES if node_variables(a)]
    if placed:
        # Each arch's job tolerates its own pools' taints and selects its own class, and no other
        # arch's (rules see the matrix).
        build["rules"] = [{"if": f'$ARCH == "{a}"', "variables": node_variables(a)} for a in placed] + [
            {"when": "on_success"}
        ]
    build.update(
        {
            "before_script": [LOGIN],
            "script": build_script(),
            "artifacts": {"paths": [f"{ARCHES_DIR}/"], "expire_in": "1 day"},
        }
    )
    jobs: dict[str, Any] = {
        BUILD_JOB: build,
        # push: false leaves no manifest job (a hidden job of that name is never run).
        f".{MANIFEST_JOB}-false": {"rules": [{"when": "never"}]},
        f".{MANIFEST_JOB}-true": {},
        MANIFEST_JOB: {
            "extends": f".{MANIFEST_JOB}-$[[ inputs.push ]]",
            "stage": "$[[ inputs.stage ]]",
            "tags": "$[[ inputs.tags ]]",
            "image": {"name": versions.BUILDAH_IMAGE},
            "inherit": {"default": False},
            "needs": [BUILD_JOB],
            "timeout": timeout,
            "variables": {
                "KUBERNETES_NODE_SELECTOR_ARCH": f"{arch.ARCH_LABEL}={default_arch}",
                **node_variables(default_arch),
                **_image_variables(),
            },
            "before_script": [LOGIN],
            "script": manifest_script(),
        },
    }
    header = (
        "# Generated by multiarch (pulumi_multiarch/runner.py): a GitLab CI/CD component (buildah).\n"
        f"# include: component: <host>/<project>/build-multi-arch@<version>, or include: local: {COMPONENT_PATH}\n"
    )
    return header + yaml.dump_all(
        [{"spec": {"inputs": component_inputs(arches, tags)}}, jobs], Dumper=_Dumper, sort_keys=False, width=200
    )
