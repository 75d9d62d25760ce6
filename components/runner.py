"""GitLab runner whose jobs choose their architecture, and the CI template that uses it.

Creates, in its own namespace (Pod Security `baseline`: jobs are unprivileged), a Kubernetes
Secret holding the runner authentication token (`runner-token`, a Pulumi secret end to end) and
the official `gitlab-runner` chart as a `helm.v3.Release` that references that Secret
(`runners.secret`) and never sees the token in its values. Its `config.toml` (generated with a
TOML library) uses the Kubernetes executor, lets a job pick `kubernetes.io/arch` through
`KUBERNETES_NODE_SELECTOR_ARCH` (and nothing else), lets it tolerate GKE's arm64 taint, sets the
helper image's arch from the node, keeps jobs unprivileged, and sends jobs that ask for nothing
to amd64. The manager pod itself may run on either arch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import tomli_w
import yaml

from components import arch, kube, versions
from components.settings import GitLabRunner as RunnerSettings

SECRET_NAME = "gitlab-runner-token"
DEFAULT_JOB_ARCH: arch.Arch = "amd64"
ARM64_TOLERATION = {
    "key": arch.ARCH_LABEL,
    "operator": "Equal",
    "value": "arm64",
    "effect": "NoSchedule",
}


def config_toml(runner: RunnerSettings, default_arch: arch.Arch = DEFAULT_JOB_ARCH) -> str:
    """The runner's config.toml template (the chart merges it with the registered token)."""
    r = runner.build_resources
    return tomli_w.dumps(
        {
            "runners": [
                {
                    "executor": "kubernetes",
                    "kubernetes": {
                        "namespace": runner.namespace,
                        "privileged": runner.privileged,
                        "helper_image_autoset_arch_and_os": True,
                        "node_selector_overwrite_allowed": runner.node_selector_overwrite_allowed,
                        "node_tolerations_overwrite_allowed": f"{arch.ARCH_LABEL}=.*",
                        "node_selector": {arch.ARCH_LABEL: default_arch},
                        "cpu_request": r.cpu_request,
                        "memory_request": r.memory_request,
                        "cpu_limit": r.cpu_limit,
                        "memory_limit": r.memory_limit,
                        "helper_cpu_request": "100m",
                        "helper_memory_request": "128Mi",
                    },
                }
            ]
        }
    )


def helm_values(runner: RunnerSettings) -> dict[str, Any]:
    """Chart values: no token anywhere here, only the name of the Secret that holds it."""
    return {
        "gitlabUrl": runner.gitlab_url,
        "concurrent": runner.concurrent,
        "rbac": {"create": True},
        "runners": {"secret": SECRET_NAME, "config": config_toml(runner)},
        # The runner image is multi-arch: the manager may land on either pool (and tolerates GKE's taint).
        "tolerations": [ARM64_TOLERATION],
        "securityContext": {"allowPrivilegeEscalation": False, "runAsNonRoot": True},
    }


def ci_template(arches: Sequence[arch.Arch], tags: Sequence[str]) -> str:
    """The `.gitlab-ci.yml` include: a kaniko job per arch on its own nodes, then the manifest list."""
    doc: dict[str, Any] = {
        "default": {
            "tags": list(tags),
            "image": {"name": versions.KANIKO_IMAGE, "entrypoint": [""]},
        }
    }
    auth = (
        'echo "{\\"auths\\":{\\"${CI_REGISTRY}\\":{\\"auth\\":\\"$(printf \'%s:%s\' "${CI_REGISTRY_USER}" '
        '"${CI_REGISTRY_PASSWORD}" | base64 | tr -d \'\\n\')\\"}}}" > /kaniko/.docker/config.json'
    )
    for a in arches:
        variables: dict[str, str] = {"KUBERNETES_NODE_SELECTOR_ARCH": f"{arch.ARCH_LABEL}={a}", "ARCH": a}
        if a == "arm64":
            # GKE taints arm64 nodes; harmless where there is no such taint.
            variables["KUBERNETES_NODE_TOLERATIONS_ARCH"] = f"{arch.ARCH_LABEL}=arm64:NoSchedule"
        doc[f".build-{a}"] = {
            "needs": [],
            "variables": variables,
            "before_script": [auth],
            "script": [
                '/kaniko/executor --context "${DOCKERFILE_LOCATION}" '
                '--dockerfile "${DOCKERFILE_LOCATION}/Dockerfile" '
                '--destination "${CI_REGISTRY_IMAGE}/${IMAGE_NAME}-${ARCH}:${IMAGE_TAG}"'
            ],
        }
    platforms = ",".join(arch.ARCH_FACTS[a].oci_platform for a in arches)
    doc[".build-multi-arch"] = {
        "image": {"name": versions.MANIFEST_TOOL_IMAGE, "entrypoint": [""]},
        "variables": {"KUBERNETES_NODE_SELECTOR_ARCH": f"{arch.ARCH_LABEL}={DEFAULT_JOB_ARCH}"},
        "script": [
            'manifest-tool --username "${CI_REGISTRY_USER}" --password "${CI_REGISTRY_PASSWORD}" push from-args '
            f"--platforms {platforms} "
            '--template "${CI_REGISTRY_IMAGE}/${IMAGE_NAME}-ARCH:${IMAGE_TAG}" '
            '--target "${CI_REGISTRY_IMAGE}/${IMAGE_NAME}:${IMAGE_TAG}"'
        ],
    }
    header = (
        "# Generated by multiarch (components/runner.py): include it from .gitlab-ci.yml.\n"
        "# Each .build-<arch> job runs natively on that arch's nodes; .build-multi-arch pushes the manifest list.\n"
    )
    return header + yaml.safe_dump(doc, sort_keys=False, width=200)


@dataclass(frozen=True)
class GitLabRunnerArgs:
    runner: RunnerSettings  # URL, concurrency, overwrite regex, namespace, job resources
    token: pulumi.Input[str]  # the runner authentication token (glrt-...), a secret


class GitLabRunnerRelease(pulumi.ComponentResource):
    """Namespace, token Secret and gitlab-runner Helm release; pass the cluster's Kubernetes provider."""

    release: k8s.helm.v3.Release

    def __init__(self, name: str, args: GitLabRunnerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("multiarch:gitlab:Runner", name, None, opts)
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
            values=helm_values(runner),
            atomic=True,
            # The chart reads the Secret at start; it must exist first (no data flows to the values).
            opts=pulumi.ResourceOptions(parent=self, depends_on=[secret]),
        )
        self.register_outputs({"release": self.release.name})
