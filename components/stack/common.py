"""What every platform hands to the in-cluster layer (`Platform`), where the top-level resources
go (`Scope`), and the layer every platform shares: the pipelines."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

from .. import arch, kube, scheduling, workspaces
from ..settings import Pending, Settings, as_input


@dataclass
class Platform:
    """What every platform hands to the in-cluster layer, and what it exports."""

    kubernetes: k8s.Provider
    outputs: dict[str, Any] = field(default_factory=dict)
    rwx_storage_class: str | None = None  # the StorageClass build workspaces use, when storage is on
    system_nodes: bool = False  # a tainted system node pool (Karpenter's, GKE's): controllers tolerate it
    system_toleration: dict[str, str] = field(default_factory=lambda: dict(scheduling.SYSTEM_TOLERATION))
    shared_workspace: tuple[str, str] | None = None  # gke: (StorageClass, size) of the builds' shared volume
    compute_classes: dict[arch.Arch, str] = field(default_factory=dict)  # gke, engine compute-class: arch -> class name


def common_tags(settings: Settings) -> dict[str, str]:
    return {"multiarch.dev/stack": settings.stack, "managed-by": "pulumi"}


@dataclass(frozen=True)
class Scope:
    """Where the stack's top-level resources go: under `parent` (the BuildPlatform component), each
    with an alias to the stack's root, where they were before the component existed (their
    children follow by Pulumi's alias inheritance). No parent: the stack's root, no alias.

    `gate`: with args given as Outputs, what resolves once they passed their checks; every
    top-level resource depends on it (and so every child, through its parent), so a value that
    fails its check when it resolves fails the update before anything is created, even one no
    resource consumes (an EKS cluster's `vpcId`)."""

    parent: pulumi.Resource | None = None
    gate: pulumi.Output[Any] | None = None

    def opts(self, opts: pulumi.ResourceOptions | None = None) -> pulumi.ResourceOptions:
        if self.gate is not None:
            opts = pulumi.ResourceOptions.merge(pulumi.ResourceOptions(depends_on=self.gate), opts)
        if self.parent is None:
            return opts or pulumi.ResourceOptions()
        moved = pulumi.ResourceOptions(parent=self.parent, aliases=[pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)])
        return pulumi.ResourceOptions.merge(moved, opts)


def checks_passed(settings: Settings) -> pulumi.Output[Any] | None:
    """The Scope's gate: no resources, resolved once every arg given as an Output passed its check."""
    if not settings.pending:
        return None
    return pulumi.Output.all(*(p.output for p in settings.pending)).apply(lambda _: [])


def keyed(values: Sequence[str | Pending], what: str) -> dict[str, pulumi.Input[str]]:
    """Resources named one per value (a mount target per subnet): by the value itself when known
    (stable whatever the list's order), by its position when an Output (a name cannot wait for it)."""
    return {v if isinstance(v, str) else f"{what}-{i}": as_input(v) for i, v in enumerate(values)}


def _pipelines(settings: Settings, p: Any, platform: Platform, in_cluster: pulumi.ResourceOptions) -> None:
    from .. import pipelines

    engine = pipelines.PipelineEngine(
        "pipelines",
        pipelines.PipelineEngineArgs(
            pipelines=p, system_nodes=platform.system_nodes, system_toleration=platform.system_toleration
        ),
        opts=in_cluster,
    )
    run = pipelines.pipeline_run(
        settings.arches,
        platform.rwx_storage_class,
        p.namespace,
        settings.build_taints,
        settings.default_job_arch,
        classes=platform.compute_classes,
        timeout=p.run_timeout,
        shared_claim=workspaces.SHARED_CLAIM if platform.shared_workspace else None,
    )
    pipelines.BuildPipeline(
        "build-pipeline",
        pipelines.BuildPipelineArgs(
            namespace=p.namespace,
            # Every arch is built: natively where the stack has its pool, under qemu elsewhere.
            arches=arch.ARCHES,
            native=settings.arches,
            run_template=run,
            openshift=settings.platform == "openshift",
            engine=engine.ready,
            shared_workspace=platform.shared_workspace,
        ),
        opts=in_cluster,
    )
    platform.outputs["examplePipelineRun"] = yaml.safe_dump(run, sort_keys=False)


def _managed_cluster(cluster: Any, scope: Scope, **exports: Any) -> Platform:
    """EKS/GKE: the Kubernetes provider from the cluster's own kubeconfig, and the cluster's exports."""
    return Platform(
        kube.provider("k8s", cluster.kubeconfig, scope.opts()),
        {
            "clusterName": cluster.cluster_name,
            "clusterEndpoint": cluster.endpoint,
            "kubeconfig": cluster.kubeconfig,
            **exports,
        },
    )
