"""`BuildPipeline`: the builds' namespace and service account, the Tasks, the Pipeline and the
PipelineRun template's ConfigMap."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

from .. import arch, kube, scheduling, workspaces
from .runs import RUN_TEMPLATE, RUN_TEMPLATE_KEY
from .tasks import PIPELINE_NAME, SERVICE_ACCOUNT, build_task, cleanup_task, clone_task, pipeline, push_task


@dataclass(frozen=True)
class BuildPipelineArgs:
    namespace: str  # namespace of the pipeline, its tasks and its runs
    arches: Sequence[arch.Arch]  # architectures to build (both; the missing pool's arch is emulated)
    native: Sequence[arch.Arch] = arch.ARCHES  # the arches with a pool: built natively, and checked
    run_template: Mapping[str, Any] | None = None  # the PipelineRun to start builds from (pipeline_run)
    openshift: bool = False  # grant the pipelines SCC to the service account
    engine: pulumi.Resource | None = None  # the install the CRDs come from
    shared_workspace: tuple[str, str] | None = None  # gke: (StorageClass, size) of the runs' shared volume


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
            "workspace-cleanup": ("Task", cleanup_task()),
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
        if args.shared_workspace is not None:
            storage_class, size = args.shared_workspace
            # One volume for every run, each in its own directory (the template's subPath); made with
            # the stack, so no build waits for a Filestore instance.
            k8s.core.v1.PersistentVolumeClaim(
                f"{name}-workspaces",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=workspaces.SHARED_CLAIM, namespace=namespace),
                spec=k8s.core.v1.PersistentVolumeClaimSpecArgs(
                    access_modes=["ReadWriteMany"],
                    storage_class_name=storage_class,
                    resources=k8s.core.v1.VolumeResourceRequirementsArgs(requests={"storage": size}),
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
        if args.run_template is not None:
            k8s.core.v1.ConfigMap(
                f"{name}-run-template",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=RUN_TEMPLATE, namespace=namespace),
                data={RUN_TEMPLATE_KEY: yaml.safe_dump(dict(args.run_template), sort_keys=False)},
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({"namespace": namespace})
