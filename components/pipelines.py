"""The pipeline engine with the affinity assistant off, and the multi-arch build pipeline.

`PipelineEngine` installs either upstream Tekton (its pinned release manifest into
`tekton-pipelines`, with a transform that sets the `feature-flags` keys the stack owns in the
release's own ConfigMap: `coschedule: disabled`, plus `disable-affinity-assistant: "true"` for
releases before v1.0; one resource owns that ConfigMap) or
OpenShift Pipelines (the operator from OLM, then the operator-owned `TektonConfig/config` patched
with `spec.pipeline.coschedule: disabled`; its feature-flags ConfigMap is never touched, the
operator would revert it). The affinity assistant forbids two RWX workspaces in one TaskRun and
pins parallel tasks to one node: off, per-arch tasks run at once on their own pools.

`BuildPipeline` creates a namespace for builds, the `buildbot` service account and `tekton.dev/v1`
Tasks and a Pipeline: clone once onto the shared RWX workspace, build each arch with buildah
(vfs, emptyDir for /var/lib/containers, only SETFCAP) into an OCI archive on the workspace, then
assemble the manifest list and push it. Which node a build runs on is chosen per PipelineRun
through `taskRunSpecs` and `kubernetes.io/arch` (see `example_pipeline_run`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components import arch, kube, names, versions
from components.settings import Pipelines

TEKTON_NAMESPACE = names.TEKTON_NAMESPACE
FEATURE_FLAGS = "feature-flags"
# Where the release manifest puts its controllers and webhooks.
TEKTON_CONTROLLER_NAMESPACES = (TEKTON_NAMESPACE, "tekton-pipelines-resolvers")
PIPELINE_NAME = "multiarch-build"
SERVICE_ACCOUNT = "buildbot"
OCI_DIR = "/srv/oci-images"


def release_url(version: str) -> str:
    return versions.TEKTON_RELEASE_URL.format(version=version)


def feature_flags(p: Pipelines) -> dict[str, str]:
    """The feature-flags keys the stack owns, as the given Tekton release understands them."""
    disabled = p.affinity_assistant == "disabled"
    flags = {"coschedule": "disabled" if disabled else "workspaces"}
    if p.version_tuple < (1, 0, 0):
        # Removed in v1.0; v0.50-v0.68 read both.
        flags["disable-affinity-assistant"] = "true" if disabled else "false"
    return flags


def feature_flags_transform(flags: dict[str, str]) -> pulumi.ResourceTransform:
    """A transform that sets `flags` in the release manifest's own `tekton-pipelines/feature-flags`."""

    def transform(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
        if args.type_ != "kubernetes:core/v1:ConfigMap":
            return None
        props: dict[str, Any] = dict(args.props)  # a rendered manifest object: plain values
        metadata = props.get("metadata") or {}
        if metadata.get("name") != FEATURE_FLAGS or metadata.get("namespace") != TEKTON_NAMESPACE:
            return None
        props["data"] = {**(props.get("data") or {}), **flags}
        return pulumi.ResourceTransformResult(props=props, opts=args.opts)

    return transform


@dataclass(frozen=True)
class PipelineEngineArgs:
    pipelines: Pipelines  # flavor (resolved), version or channel, affinity assistant
    system_nodes: bool = False  # engine karpenter: Tekton's controllers run on the tainted system nodes


class PipelineEngine(pulumi.ComponentResource):
    """Tekton or OpenShift Pipelines, co-scheduling off; pass the cluster's Kubernetes provider."""

    ready: pulumi.Resource  # what Tasks and Pipelines must wait for (their CRDs)

    def __init__(self, name: str, args: PipelineEngineArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("multiarch:pipelines:Engine", name, None, opts)
        p = args.pipelines
        if p.flavor == "openshift-pipelines":
            self.ready = self._openshift(name, p)
            self.register_outputs({})
        else:
            self.ready = self._tekton(name, p, args.system_nodes)
            # What the transforms write into the release: visible to the plan and its diff.
            outputs: dict[str, Any] = {"featureFlags": feature_flags(p)}
            if args.system_nodes:
                outputs["controllersOnSystemNodes"] = {
                    "namespaces": list(TEKTON_CONTROLLER_NAMESPACES),
                    "toleration": kube.SYSTEM_TOLERATION,
                    "preferredPool": names.SYSTEM_POOL,
                }
            self.register_outputs(outputs)

    def _tekton(self, name: str, p: Pipelines, system_nodes: bool) -> pulumi.Resource:
        # The release manifest creates `feature-flags`; a transform sets our keys in it, so the
        # ConfigMap has one owner. A second resource patching it would be a second field manager:
        # on the next release bump the two conflict, or the release's defaults silently win and
        # turn the affinity assistant back on.
        release: pulumi.Resource = k8s.yaml.v2.ConfigFile(
            f"{name}-release",
            file=release_url(p.version),
            opts=pulumi.ResourceOptions(
                parent=self,
                transforms=[
                    feature_flags_transform(feature_flags(p)),
                    *([kube.system_nodes_transform(TEKTON_CONTROLLER_NAMESPACES)] if system_nodes else []),
                ],
            ),
        )
        return release

    def _openshift(self, name: str, p: Pipelines) -> pulumi.Resource:
        subscription = k8s.apiextensions.CustomResource(
            f"{name}-operator",
            api_version="operators.coreos.com/v1alpha1",
            kind="Subscription",
            metadata={"name": versions.OPENSHIFT_PIPELINES_PACKAGE, "namespace": "openshift-operators"},
            spec={
                "channel": p.channel,
                "name": versions.OPENSHIFT_PIPELINES_PACKAGE,
                "source": versions.OLM_CATALOG_SOURCE,
                "sourceNamespace": "openshift-marketplace",
                "installPlanApproval": "Automatic",
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        # The operator creates TektonConfig/config itself: patch only the field the stack owns.
        config: pulumi.Resource = k8s.apiextensions.CustomResourcePatch(
            f"{name}-tekton-config",
            api_version="operator.tekton.dev/v1alpha1",
            kind="TektonConfig",
            metadata={"name": "config", "annotations": {"pulumi.com/patchForce": "true"}},
            spec={"pipeline": {"coschedule": "disabled" if p.affinity_assistant == "disabled" else "workspaces"}},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[subscription]),
        )
        return config


def _workspace(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, **extra}


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
    """buildah in a container: vfs storage on an emptyDir, only SETFCAP; the image goes to the workspace."""
    return {
        "params": [
            {"name": "context-dir", "type": "string", "default": "."},
            {"name": "containerfile-path", "type": "string", "default": "Containerfile"},
            {"name": "platform", "type": "string", "description": "linux/amd64 or linux/arm64"},
            {"name": "arch", "type": "string", "description": "file name of the OCI archive"},
        ],
        "workspaces": [_workspace("source"), _workspace("oci-images", mountPath=OCI_DIR)],
        "volumes": [{"name": "container-storage", "emptyDir": {}}],
        "steps": [
            {
                "name": "build",
                "image": versions.BUILDAH_IMAGE,
                "env": [{"name": "STORAGE_DRIVER", "value": "vfs"}],
                "script": (
                    "#!/bin/bash\nset -Eeuo pipefail\n"
                    "src=$(workspaces.source.path)/src\n"
                    'buildah build --platform "$(params.platform)" -t localhost/image:$(params.arch) '
                    '-f "$src/$(params.containerfile-path)" "$src/$(params.context-dir)"\n'
                    "buildah push localhost/image:$(params.arch) "
                    'oci-archive:"$(workspaces.oci-images.path)/$(params.arch).tar"\n'
                ),
                "securityContext": {"capabilities": {"add": ["SETFCAP"]}},
                "volumeMounts": [{"name": "container-storage", "mountPath": "/var/lib/containers"}],
            }
        ],
    }


def push_task() -> dict[str, Any]:
    return {
        "params": [
            {"name": "image", "type": "string"},
            {"name": "arches", "type": "array"},
        ],
        "workspaces": [
            _workspace("oci-images", mountPath=OCI_DIR),
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
                    'if [[ "$(workspaces.dockerconfig.bound)" == "true" ]]; then\n'
                    '  cfg="$(workspaces.dockerconfig.path)"\n'
                    '  if [[ -f "$cfg/.dockerconfigjson" ]]; then mkdir -p ~/.docker && '
                    'cp "$cfg/.dockerconfigjson" ~/.docker/config.json; cfg=~/.docker; fi\n'
                    '  export DOCKER_CONFIG="$cfg"\n'
                    "fi\n"
                    "buildah manifest create localhost/multi-arch\n"
                    "for arch; do buildah manifest add localhost/multi-arch "
                    '"oci-archive:$(workspaces.oci-images.path)/$arch.tar"; done\n'
                    'buildah manifest push --all localhost/multi-arch "docker://$(params.image)"\n'
                ),
                "securityContext": {"capabilities": {"add": ["SETFCAP"]}},
                "volumeMounts": [{"name": "container-storage", "mountPath": "/var/lib/containers"}],
            }
        ],
    }


def build_task_name(a: arch.Arch) -> str:
    return f"build-{a}"


def pipeline(arches: Sequence[arch.Arch]) -> dict[str, Any]:
    """Clone once, build every arch in parallel, push the manifest list."""
    builds = [
        {
            "name": build_task_name(a),
            "runAfter": ["clone"],
            "taskRef": {"name": "buildah-build"},
            "params": [
                {"name": "context-dir", "value": "$(params.context-dir)"},
                {"name": "containerfile-path", "value": "$(params.containerfile-path)"},
                {"name": "platform", "value": arch.ARCH_FACTS[a].oci_platform},
                {"name": "arch", "value": a},
            ],
            "workspaces": [
                {"name": "source", "workspace": "source"},
                {"name": "oci-images", "workspace": "oci-images"},
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
        ],
        "workspaces": [
            {"name": "source"},
            {"name": "oci-images"},
            {"name": "dockerconfig", "optional": True},
        ],
        "tasks": [
            {
                "name": "clone",
                "taskRef": {"name": "git-clone"},
                "params": [
                    {"name": "url", "value": "$(params.git-url)"},
                    {"name": "revision", "value": "$(params.git-revision)"},
                ],
                "workspaces": [{"name": "source", "workspace": "source"}],
            },
            *builds,
            {
                "name": "push",
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
    }


def node_arch_for(target: arch.Arch, pool_arches: Sequence[arch.Arch]) -> arch.Arch:
    """Where to build `target`: natively on its own pool, else emulated on the first pool there is."""
    return target if target in pool_arches else pool_arches[0]


def example_pipeline_run(
    pool_arches: Sequence[arch.Arch], storage_class: str | None, namespace: str, gke: bool = False
) -> str:
    """A PipelineRun for the README: RWX workspaces on the stack's class, each build pinned by arch."""
    specs = []
    for target in arch.ARCHES:
        node = node_arch_for(target, pool_arches)
        pod: dict[str, Any] = {"nodeSelector": {arch.ARCH_LABEL: node}}
        if node == "arm64" and gke:
            pod["tolerations"] = [
                {"key": arch.ARCH_LABEL, "operator": "Equal", "value": "arm64", "effect": "NoSchedule"}
            ]
        specs.append({"pipelineTaskName": build_task_name(target), "podTemplate": pod})

    def claim(size: str) -> dict[str, Any]:
        return {
            "volumeClaimTemplate": {
                "spec": {
                    "storageClassName": storage_class or "<a ReadWriteMany StorageClass>",
                    "accessModes": ["ReadWriteMany"],
                    "resources": {"requests": {"storage": size}},
                }
            }
        }

    run = {
        "apiVersion": "tekton.dev/v1",
        "kind": "PipelineRun",
        "metadata": {
            "generateName": "multiarch-build-",
            "namespace": namespace,
            # Tekton copies these to its TaskRuns and their pods: no autoscaler evicts a build.
            "annotations": dict(kube.BUILD_POD_ANNOTATIONS),
        },
        "spec": {
            "pipelineRef": {"name": PIPELINE_NAME},
            "params": [
                {"name": "git-url", "value": "https://github.com/nmasse-itix/tekton-pipeline-multiarch.git"},
                {"name": "image", "value": "quay.io/<you>/htop-multiarch:latest"},
                {"name": "context-dir", "value": "examples/htop/src"},
                {"name": "containerfile-path", "value": "Containerfile"},
            ],
            "workspaces": [
                {"name": "source", **claim("1Gi")},
                {"name": "oci-images", **claim("10Gi")},
                {"name": "dockerconfig", "secret": {"secretName": "registry-credentials"}},
            ],
            "taskRunTemplate": {"serviceAccountName": SERVICE_ACCOUNT},
            "taskRunSpecs": specs,
        },
    }
    return yaml.safe_dump(run, sort_keys=False)


@dataclass(frozen=True)
class BuildPipelineArgs:
    namespace: str  # namespace of the pipeline, its tasks and its runs
    arches: Sequence[arch.Arch]  # architectures to build (both; the missing pool's arch is emulated)
    openshift: bool = False  # grant the pipelines SCC to the service account
    engine: pulumi.Resource | None = None  # the install the CRDs come from


class BuildPipeline(pulumi.ComponentResource):
    """Namespace, service account, Tasks and the multi-arch Pipeline; pass the Kubernetes provider."""

    def __init__(self, name: str, args: BuildPipelineArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("multiarch:pipelines:BuildPipeline", name, None, opts)
        # Unprivileged builds: buildah needs root in its container and SETFCAP, which baseline allows.
        ns = kube.namespace(f"{name}-ns", args.namespace, "baseline", parent=self)
        namespace = ns.metadata.name
        k8s.core.v1.ServiceAccount(
            f"{name}-sa",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=SERVICE_ACCOUNT, namespace=namespace),
            opts=pulumi.ResourceOptions(parent=self),
        )
        if args.openshift:
            kube.scc_binding(f"{name}-scc", namespace, SERVICE_ACCOUNT, "pipelines-scc", parent=self)
        crds = [args.engine] if args.engine is not None else []
        objects = {
            "git-clone": ("Task", clone_task()),
            "buildah-build": ("Task", build_task()),
            "buildah-push": ("Task", push_task()),
            PIPELINE_NAME: ("Pipeline", pipeline(args.arches)),
        }
        for obj_name, (kind, spec) in objects.items():
            k8s.apiextensions.CustomResource(
                f"{name}-{obj_name}",
                api_version="tekton.dev/v1",
                kind=kind,
                metadata={"name": obj_name, "namespace": namespace},
                spec=spec,
                # Tekton's CRDs come with the install; no data flows from it.
                opts=pulumi.ResourceOptions(parent=self, depends_on=crds),
            )
        self.register_outputs({"namespace": namespace})
