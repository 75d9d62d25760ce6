"""The multi-arch build as Tekton objects: clone once onto the shared RWX workspace, build each arch
with buildah into an OCI archive there, then assemble and push the index; finally, empty the
workspaces. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import arch, buildscript, versions, workspaces

CLONE_TASK, PUSH_TASK, CLEANUP_TASK = "clone", "push", "cleanup"
PIPELINE_NAME = "multiarch-build"


SERVICE_ACCOUNT = "buildbot"


def _workspace(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, **extra}


# Registry credentials from the optional `dockerconfig` workspace (config.json or a
# kubernetes.io/dockerconfigjson Secret's .dockerconfigjson), for buildah's pushes: the images, the
# manifest list and the layer cache.
REGISTRY_AUTH = (
    'if [[ "$(workspaces.dockerconfig.bound)" == "true" ]]; then\n'
    '  cfg="$(workspaces.dockerconfig.path)"\n'
    '  if [[ -f "$cfg/.dockerconfigjson" ]]; then mkdir -p ~/.docker && '
    'cp "$cfg/.dockerconfigjson" ~/.docker/config.json; cfg=~/.docker; fi\n'
    '  export DOCKER_CONFIG="$cfg"\n'
    "fi\n"
)


NATIVE_FIX = (
    "the PipelineRun must pin this task to $ARCH nodes (taskRunSpecs podTemplate nodeSelector "
    "kubernetes.io/arch=$ARCH and the tolerations of that pool's taints)"
)


def clone_task() -> dict[str, Any]:
    return {
        "params": [
            {"name": "url", "type": "string"},
            {"name": "revision", "type": "string", "default": "main"},
        ],
        "workspaces": [_workspace("source")],
        "steps": [
            {
                "name": "clone",
                "image": versions.GIT_IMAGE,
                "workingDir": "$(workspaces.source.path)",
                "script": (
                    "#!/bin/sh\nset -eu\n"
                    'rm -rf ./src && git clone --depth 1 --branch "$(params.revision)" "$(params.url)" ./src\n'
                ),
            }
        ],
    }


def build_task() -> dict[str, Any]:
    """buildah in a container (vfs storage on an emptyDir, only SETFCAP): builds `linux/<arch>` with
    its layers cached in a registry, proves it ran natively (unless `native` is false: the stack has
    no pool of that arch and qemu builds it) and that the image is of that arch, then writes it to
    the workspace."""
    return {
        "params": [
            {"name": "context-dir", "type": "string", "default": "."},
            {"name": "containerfile-path", "type": "string", "default": "Containerfile"},
            {"name": "arch", "type": "string", "description": "the target: amd64 or arm64 (linux/<arch>)"},
            {
                "name": "native",
                "type": "string",
                "default": "true",
                "description": "true: fail unless the step runs on a node of arch; false: built under qemu by design",
            },
            {
                "name": "cache-repository",
                "type": "string",
                "default": "",
                "description": "registry repository of the layer cache, -<arch> appended (--cache-from/--cache-to); "
                "empty: none",
            },
        ],
        "workspaces": [
            _workspace("source"),
            _workspace("oci-images"),
            _workspace("dockerconfig", optional=True, description="config.json or .dockerconfigjson"),
        ],
        "volumes": [{"name": "container-storage", "emptyDir": {}}],
        "steps": [
            {
                "name": "build",
                "image": versions.BUILDAH_IMAGE,
                "env": [{"name": "STORAGE_DRIVER", "value": "vfs"}],
                "script": (
                    "#!/bin/bash\nset -Eeuo pipefail\n"
                    'ARCH="$(params.arch)"\n'
                    'if [[ "$(params.native)" == "true" ]]; then\n'
                    + buildscript.native_check("build task", NATIVE_FIX)
                    + "\nfi\n"
                    + REGISTRY_AUTH
                    + "cache=()\n"
                    # One cache repository per arch: buildah's cache key has no platform.
                    'if [[ -n "$(params.cache-repository)" ]]; then\n'
                    '  cache_repository="$(params.cache-repository)-$ARCH"\n'
                    '  cache=(--cache-from "$cache_repository" --cache-to "$cache_repository")\n'
                    "fi\n"
                    "src=$(workspaces.source.path)/src\n"
                    "ref=localhost/image:$ARCH\n"
                    'buildah build --platform "linux/$ARCH" --layers "${cache[@]}" -t "$ref" '
                    '-f "$src/$(params.containerfile-path)" "$src/$(params.context-dir)"\n'
                    + buildscript.image_check()
                    + '\nbuildah push "$ref" "oci-archive:$(workspaces.oci-images.path)/$ARCH.tar"\n'
                ),
                "securityContext": {"capabilities": {"add": ["SETFCAP"]}},
                "volumeMounts": [{"name": "container-storage", "mountPath": "/var/lib/containers"}],
            }
        ],
    }


def push_task() -> dict[str, Any]:
    """The manifest list of every arch's image, each with the platform its own config records, each
    checked against its slot before anything is pushed."""
    return {
        "params": [
            {"name": "image", "type": "string"},
            {"name": "arches", "type": "array"},
        ],
        "workspaces": [
            _workspace("oci-images"),
            _workspace("dockerconfig", optional=True, description="config.json or .dockerconfigjson"),
        ],
        "volumes": [{"name": "container-storage", "emptyDir": {}}],
        "steps": [
            {
                "name": "push",
                "image": versions.BUILDAH_IMAGE,
                "env": [{"name": "STORAGE_DRIVER", "value": "vfs"}],
                "args": ["$(params.arches[*])"],
                "script": (
                    "#!/bin/bash\nset -Eeuo pipefail\n"
                    + REGISTRY_AUTH
                    + "buildah manifest create localhost/multi-arch\n"
                    "for slot; do\n"
                    '  ref="oci-archive:$(workspaces.oci-images.path)/$slot.tar"\n'
                    '  buildah manifest add localhost/multi-arch "$ref"\n'
                    + _indent(buildscript.slot_check("localhost/multi-arch"))
                    + "\ndone\n"
                    'buildah manifest push --all localhost/multi-arch "docker://$(params.image)"\n'
                ),
                "securityContext": {"capabilities": {"add": ["SETFCAP"]}},
                "volumeMounts": [{"name": "container-storage", "mountPath": "/var/lib/containers"}],
            }
        ],
    }


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())


def cleanup_task() -> dict[str, Any]:
    """The run's workspaces emptied when it ends, whatever its outcome (a `finally` task): on EFS
    an access point's directory outlives its claim, and on GKE's shared volume the run's directory
    is removed, so nothing is left behind build after build."""
    return {
        "params": [{"name": "run", "type": "string", "description": "the PipelineRun's name"}],
        "workspaces": [
            _workspace("source"),
            _workspace("oci-images"),
            _workspace(
                workspaces.ROOT_WORKSPACE,
                optional=True,
                description="the shared volume's root (gke): the run's directory",
            ),
        ],
        "steps": [
            {
                "name": "cleanup",
                "image": versions.GIT_IMAGE,
                "script": (
                    "#!/bin/sh\nset -eu\n"
                    'find "$(workspaces.source.path)" "$(workspaces.oci-images.path)" -mindepth 1 -delete\n'
                    f'if [ "$(workspaces.{workspaces.ROOT_WORKSPACE}.bound)" = "true" ]; then\n'
                    f'  rm -rf "$(workspaces.{workspaces.ROOT_WORKSPACE}.path)/$(params.run)"\n'
                    "fi\n"
                ),
            }
        ],
    }


def build_task_name(a: arch.Arch) -> str:
    return f"build-{a}"


def pipeline(arches: Sequence[arch.Arch], native: Sequence[arch.Arch] = arch.ARCHES) -> dict[str, Any]:
    """Clone once, build every arch in parallel (`native`: the arches with a pool, built natively;
    the others under qemu), push the manifest list."""
    builds = [
        {
            "name": build_task_name(a),
            "runAfter": [CLONE_TASK],
            "taskRef": {"name": "buildah-build"},
            "params": [
                {"name": "context-dir", "value": "$(params.context-dir)"},
                {"name": "containerfile-path", "value": "$(params.containerfile-path)"},
                {"name": "arch", "value": a},
                {"name": "native", "value": "true" if a in native else "false"},
                {"name": "cache-repository", "value": "$(params.cache-repository)"},
            ],
            "workspaces": [
                {"name": "source", "workspace": "source"},
                {"name": "oci-images", "workspace": "oci-images"},
                {"name": "dockerconfig", "workspace": "dockerconfig"},
            ],
        }
        for a in arches
    ]
    return {
        "params": [
            {"name": "git-url", "type": "string"},
            {"name": "git-revision", "type": "string", "default": "main"},
            {"name": "image", "type": "string", "description": "where to push the manifest list"},
            {"name": "context-dir", "type": "string", "default": "."},
            {"name": "containerfile-path", "type": "string", "default": "Containerfile"},
            {
                "name": "cache-repository",
                "type": "string",
                "default": "",
                "description": "registry repository of the builds' layer cache, -<arch> appended per build "
                "(<image>/cache); empty: none",
            },
        ],
        "workspaces": [
            {"name": "source"},
            {"name": "oci-images"},
            {"name": "dockerconfig", "optional": True},
            {"name": workspaces.ROOT_WORKSPACE, "optional": True},
        ],
        "tasks": [
            {
                "name": CLONE_TASK,
                "taskRef": {"name": "git-clone"},
                "params": [
                    {"name": "url", "value": "$(params.git-url)"},
                    {"name": "revision", "value": "$(params.git-revision)"},
                ],
                "workspaces": [{"name": "source", "workspace": "source"}],
            },
            *builds,
            {
                "name": PUSH_TASK,
                "runAfter": [b["name"] for b in builds],
                "taskRef": {"name": "buildah-push"},
                "params": [
                    {"name": "image", "value": "$(params.image)"},
                    {"name": "arches", "value": list(arches)},
                ],
                "workspaces": [
                    {"name": "oci-images", "workspace": "oci-images"},
                    {"name": "dockerconfig", "workspace": "dockerconfig"},
                ],
            },
        ],
        "finally": [
            {
                "name": CLEANUP_TASK,
                "taskRef": {"name": "workspace-cleanup"},
                "params": [{"name": "run", "value": "$(context.pipelineRun.name)"}],
                "workspaces": [
                    {"name": "source", "workspace": "source"},
                    {"name": "oci-images", "workspace": "oci-images"},
                    {"name": workspaces.ROOT_WORKSPACE, "workspace": workspaces.ROOT_WORKSPACE},
                ],
            }
        ],
    }
