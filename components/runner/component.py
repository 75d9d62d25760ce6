"""`GitLabRunnerRelease`: the runner's namespace, the token's Secret (a Pulumi secret end to end),
the chart as a Helm release, and on OpenShift the build jobs' account, SCC and its grant."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

from .. import arch, kube, scheduling, versions
from ..scheduling import TaintLike
from ..settings import GitLabRunner as RunnerSettings
from .config import JOBS_SERVICE_ACCOUNT, OPENSHIFT_MANAGER_VALUES, SECRET_NAME, helm_values, jobs_scc, jobs_scc_name


@dataclass(frozen=True)
class GitLabRunnerArgs:
    runner: RunnerSettings  # URL, concurrency, overwrite regex, namespace, job resources
    token: pulumi.Input[str]  # the runner authentication token (glrt-...), a secret
    platform: str = "eks"  # openshift: jobs get their own service account and SCC
    system_nodes: bool = False  # a system pool (Karpenter's, GKE's): the manager runs on its tainted nodes
    system_toleration: Mapping[str, str] = field(default_factory=lambda: dict(scheduling.SYSTEM_TOLERATION))
    default_arch: arch.Arch = "amd64"  # where jobs that name no arch run
    taints: Sequence[TaintLike] = field(default_factory=tuple)  # every build pool's, which jobs may tolerate
    classes: Mapping[arch.Arch, str] = field(default_factory=dict)  # gke compute-class: arch -> ComputeClass
    # The most a job may request or limit itself to (config.resource_overwrite_max); empty: no overwrite.
    overwrite_max: Mapping[str, str] = field(default_factory=dict)


class GitLabRunnerRelease(pulumi.ComponentResource):
    """Namespace, token Secret and gitlab-runner Helm release; pass the cluster's Kubernetes provider."""

    release: k8s.helm.v3.Release

    def __init__(self, name: str, args: GitLabRunnerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("multiarch:gitlab:Runner", name, None, opts)
        openshift = args.platform == "openshift"
        runner = args.runner
        level: kube.PodSecurityLevel = "privileged" if runner.privileged else "baseline"
        namespace = kube.namespace(f"{name}-ns", runner.namespace, level, parent=self)
        secret = k8s.core.v1.Secret(
            f"{name}-token",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=SECRET_NAME, namespace=namespace.metadata.name),
            type="Opaque",
            string_data={
                "runner-token": pulumi.Output.secret(args.token),
                # The chart still reads this key; the deprecated registration flow is not supported.
                "runner-registration-token": "",
            },
            # Secret in state too, and visible as such to the policy pack.
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["data", "stringData"]),
        )
        self.release = k8s.helm.v3.Release(
            name,
            name="gitlab-runner",
            chart=versions.GITLAB_RUNNER_CHART,
            version=versions.GITLAB_RUNNER_CHART_VERSION,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=versions.GITLAB_RUNNER_CHART_REPO),
            namespace=namespace.metadata.name,
            values=helm_values(
                runner,
                openshift=openshift,
                system_nodes=args.system_nodes,
                system_toleration=args.system_toleration,
                default_arch=args.default_arch,
                taints=args.taints,
                classes=args.classes,
                overwrite_max=args.overwrite_max,
            ),
            value_yaml_files=[pulumi.StringAsset(yaml.safe_dump(OPENSHIFT_MANAGER_VALUES))] if openshift else None,
            atomic=True,
            # The chart reads the Secret at start; it must exist first (no data flows to the values).
            opts=pulumi.ResourceOptions(parent=self, depends_on=[secret]),
        )
        outputs: dict[str, Any] = {"release": self.release.name}
        if openshift:
            outputs["jobs"] = self._openshift_jobs(name, runner.namespace, namespace.metadata.name)
        self.register_outputs(outputs)

    def _openshift_jobs(self, name: str, ns_name: str, namespace: pulumi.Output[str]) -> dict[str, str]:
        """The jobs' service account, their SCC, and its `use` granted to that account alone."""
        k8s.core.v1.ServiceAccount(
            f"{name}-jobs-sa",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=JOBS_SERVICE_ACCOUNT, namespace=namespace),
            automount_service_account_token=False,  # build jobs have no business with the Kubernetes API
            opts=pulumi.ResourceOptions(parent=self),
        )
        scc = jobs_scc_name(ns_name)
        kube.object_resource(f"{name}-jobs-scc", jobs_scc(scc), pulumi.ResourceOptions(parent=self))
        role = kube.scc_use_role(f"{name}-jobs-scc-use", namespace, scc, parent=self)
        kube.scc_binding(f"{name}-jobs-scc", namespace, JOBS_SERVICE_ACCOUNT, scc, parent=self, role=role)
        return {"serviceAccount": JOBS_SERVICE_ACCOUNT, "scc": scc}
