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
(vfs, emptyDir for /var/lib/containers, only SETFCAP; `--platform linux/<arch>`, layers cached in
a registry) into an OCI archive on the workspace, then assemble the manifest list and push it.
Each build proves it ran on a node of its arch and built an image of it, and the push proves each
slot holds its arch (`components/buildscript.py`): a misrouted task fails, it never publishes a
wrong index. Which node a task runs on is chosen per PipelineRun through `taskRunSpecs`: the
template `pipeline_run` pins every task to its arch and tolerates that arch's pools' taints; the
stack keeps it in the cluster (ConfigMap `multiarch-pipelinerun`), where runs are started from.
The Pipeline and Tasks carry the anti-eviction annotations, which Tekton copies to every pod.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

from . import arch, buildscript, kube, names, scheduling, versions
from .computeclass import CLASS_LABEL
from .scheduling import TaintLike
from .settings import Pipelines

TEKTON_NAMESPACE = names.TEKTON_NAMESPACE
FEATURE_FLAGS = "feature-flags"
# Where the release manifest puts its controllers and webhooks.
TEKTON_CONTROLLER_NAMESPACES = (TEKTON_NAMESPACE, "tekton-pipelines-resolvers")
PIPELINE_NAME = "multiarch-build"
SERVICE_ACCOUNT = "buildbot"


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
                    "toleration": scheduling.SYSTEM_TOLERATION,
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
                "description": "registry repository of the layer cache (--cache-from/--cache-to); empty: none",
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
                    'if [[ -n "$(params.cache-repository)" ]]; then\n'
                    '  cache=(--cache-from "$(params.cache-repository)" --cache-to "$(params.cache-repository)")\n'
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


def build_task_name(a: arch.Arch) -> str:
    return f"build-{a}"


CLONE_TASK, PUSH_TASK = "clone", "push"


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
                "description": "registry repository of the builds' layer cache (<image>/cache); empty: none",
            },
        ],
        "workspaces": [
            {"name": "source"},
            {"name": "oci-images"},
            {"name": "dockerconfig", "optional": True},
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
    }


def node_arch_for(target: arch.Arch, pool_arches: Sequence[arch.Arch]) -> arch.Arch:
    """Where to build `target`: natively on its own pool, else emulated on the first pool there is."""
    return target if target in pool_arches else pool_arches[0]


def task_pods(
    pool_arches: Sequence[arch.Arch],
    taints: Mapping[arch.Arch, Sequence[TaintLike]],
    default_arch: arch.Arch,
    classes: Mapping[arch.Arch, str] | None = None,
) -> dict[str, dict[str, Any]]:
    """Each pipeline task's pod template: pinned to the arch it runs on (and, on GKE with
    ComputeClasses, to that arch's class), tolerating exactly the taints of that arch's pools (a
    build of an arch lands on any pool of it)."""
    classes = classes or {}

    def pod(node: arch.Arch) -> dict[str, Any]:
        out: dict[str, Any] = {"nodeSelector": {arch.ARCH_LABEL: node}}
        if node in classes:
            out["nodeSelector"][CLASS_LABEL] = classes[node]
        if taints.get(node):
            out["tolerations"] = scheduling.tolerations(taints[node])
        return out

    tasks = {CLONE_TASK: default_arch, **{build_task_name(t): node_arch_for(t, pool_arches) for t in arch.ARCHES}}
    tasks[PUSH_TASK] = default_arch
    return {name: pod(node) for name, node in tasks.items()}


def pipeline_run(
    pool_arches: Sequence[arch.Arch],
    storage_class: str | None,
    namespace: str,
    taints: Mapping[arch.Arch, Sequence[TaintLike]],
    default_arch: arch.Arch,
    classes: Mapping[arch.Arch, str] | None = None,
    timeout: str = "1h",
) -> dict[str, Any]:
    """The PipelineRun to start builds from: RWX workspaces on the stack's class, every task pinned to
    its arch (and ComputeClass) and tolerating that arch's pools, no autoscaler evicting it, and
    done within `timeout` (Karpenter's terminationGracePeriod follows it)."""

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

    return {
        "apiVersion": "tekton.dev/v1",
        "kind": "PipelineRun",
        "metadata": {
            "generateName": "multiarch-build-",
            "namespace": namespace,
            # Tekton copies these to its TaskRuns and their pods (so do the Pipeline's and Tasks' own).
            "annotations": dict(scheduling.BUILD_POD_ANNOTATIONS),
        },
        "spec": {
            "pipelineRef": {"name": PIPELINE_NAME},
            "timeouts": {"pipeline": timeout},
            "params": [
                {"name": "git-url", "value": "https://github.com/nmasse-itix/tekton-pipeline-multiarch.git"},
                {"name": "image", "value": "quay.io/<you>/htop-multiarch:latest"},
                {"name": "context-dir", "value": "examples/htop/src"},
                {"name": "containerfile-path", "value": "Containerfile"},
                {"name": "cache-repository", "value": "quay.io/<you>/htop-multiarch/cache"},
            ],
            "workspaces": [
                {"name": "source", **claim("1Gi")},
                {"name": "oci-images", **claim("10Gi")},
                {"name": "dockerconfig", "secret": {"secretName": "registry-credentials"}},
            ],
            "taskRunTemplate": {"serviceAccountName": SERVICE_ACCOUNT},
            "taskRunSpecs": [
                {"pipelineTaskName": name, "podTemplate": pod}
                for name, pod in task_pods(pool_arches, taints, default_arch, classes).items()
            ],
        },
    }


# The PipelineRun template in the cluster, beside the Pipeline: where runs are started from
# (`kubectl create -f`), so every run is pinned and tolerated as the stack's pools need.
RUN_TEMPLATE = names.PIPELINE_RUN_TEMPLATE
RUN_TEMPLATE_KEY = names.PIPELINE_RUN_TEMPLATE_KEY


@dataclass(frozen=True)
class BuildPipelineArgs:
    namespace: str  # namespace of the pipeline, its tasks and its runs
    arches: Sequence[arch.Arch]  # architectures to build (both; the missing pool's arch is emulated)
    native: Sequence[arch.Arch] = arch.ARCHES  # the arches with a pool: built natively, and checked
    run_template: Mapping[str, Any] | None = None  # the PipelineRun to start builds from (pipeline_run)
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
            PIPELINE_NAME: ("Pipeline", pipeline(args.arches, args.native)),
        }
        for obj_name, (kind, spec) in objects.items():
            k8s.apiextensions.CustomResource(
                f"{name}-{obj_name}",
                api_version="tekton.dev/v1",
                kind=kind,
                # Tekton copies a Pipeline's and a Task's annotations to every TaskRun and pod it
                # creates: runs started by triggers or tkn are protected too, not only the template's.
                metadata={
                    "name": obj_name,
                    "namespace": namespace,
                    "annotations": dict(scheduling.BUILD_POD_ANNOTATIONS),
                },
                spec=spec,
                # Tekton's CRDs come with the install; no data flows from it.
                opts=pulumi.ResourceOptions(parent=self, depends_on=crds),
            )
        if args.run_template is not None:
            k8s.core.v1.ConfigMap(
                f"{name}-run-template",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=RUN_TEMPLATE, namespace=namespace),
                data={RUN_TEMPLATE_KEY: yaml.safe_dump(dict(args.run_template), sort_keys=False)},
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({"namespace": namespace})
