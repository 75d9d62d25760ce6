"""`build()`: the providers, the platform's cluster and pools, and the in-cluster capabilities."""

from __future__ import annotations

from typing import Any

import pulumi

from .. import arch
from ..settings import Settings
from .common import Scope, _pipelines, checks_passed
from .eks import _eks
from .gke import _gke
from .openshift import _openshift


def build(
    settings: Settings, parent: pulumi.Resource | None = None, secrets: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Declare the whole stack under `parent` (or the stack's root); returns the exports.
    `secrets`: the kubeconfig and runner token given as Outputs, which `settings` cannot hold."""
    from .. import identity

    identity.watch(parent)  # no two resources may create one object, from the first resource on
    scope = Scope(parent, checks_passed(settings))
    secrets = secrets or {}
    builders = {"eks": _eks, "gke": _gke, "openshift": _openshift}
    platform = builders[settings.platform](settings, scope, secrets)
    in_cluster = scope.opts(pulumi.ResourceOptions(providers={"kubernetes": platform.kubernetes}))
    token = secrets.get("gitlab_runner_token")
    if token is None and settings.gitlab_runner_token is not None:
        token = pulumi.Output.secret(settings.gitlab_runner_token.get_secret_value())
    if settings.gitlab_runner is not None and token is not None:
        from .. import runner

        taints = settings.build_taints  # GKE's own arm64 taint included
        runner.GitLabRunnerRelease(
            "gitlab-runner",
            runner.GitLabRunnerArgs(
                runner=settings.gitlab_runner,
                token=token,
                platform=settings.platform,
                system_nodes=platform.system_nodes,
                system_toleration=platform.system_toleration,
                default_arch=settings.default_job_arch,
                taints=[t for pool_taints in taints.values() for t in pool_taints],
                classes=platform.compute_classes,
                overwrite_max=runner.resource_overwrite_max(settings),
            ),
            opts=in_cluster,
        )
        platform.outputs["gitlabCiTemplate"] = runner.ci_component(
            settings.arches,
            sorted(settings.gitlab_runner.tags),
            taints,
            settings.default_job_arch,
            classes=platform.compute_classes,
            timeout=settings.gitlab_runner.job_timeout,
        )
    if settings.pipelines is not None:
        _pipelines(settings, settings.pipelines, platform, in_cluster)
    if settings.qemu is not None:
        from .. import binfmt

        node_arches = binfmt.emulating_node_arches(settings.arches, settings.qemu.platforms)
        if node_arches:
            binfmt.QemuBinfmt(
                "qemu-binfmt",
                binfmt.QemuBinfmtArgs(
                    platforms=sorted(settings.qemu.platforms),
                    node_arches=node_arches,
                    taints=sorted({t for p in settings.node_pools for t in p.taints}, key=arch.taint_order),
                    openshift=settings.platform == "openshift",
                ),
                opts=in_cluster,
            )
    for warning in settings.warnings:
        pulumi.log.warn(warning)
    if platform.rwx_storage_class:
        platform.outputs["rwxStorageClass"] = platform.rwx_storage_class
    return {
        "platform": settings.platform,
        "architectures": list(settings.arches),
        "archLabel": arch.ARCH_LABEL,
        "nodePools": {
            p.name: {"arch": p.arch, "instanceType": p.instance_type, "minSize": p.min_size, "maxSize": p.max_size}
            for p in settings.node_pools
        },
        **platform.outputs,
    }
