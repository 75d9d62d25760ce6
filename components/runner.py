"""GitLab runner whose jobs choose their architecture, and the CI template that uses it.

Creates, in its own namespace (Pod Security `baseline`: jobs are unprivileged), a Kubernetes
Secret holding the runner authentication token (`runner-token`, a Pulumi secret end to end) and
the official `gitlab-runner` chart as a `helm.v3.Release` that references that Secret
(`runners.secret`) and never sees the token in its values. Its `config.toml` (generated with a
TOML library) uses the Kubernetes executor, lets a job pick `kubernetes.io/arch` through
`KUBERNETES_NODE_SELECTOR_ARCH` (and nothing else), lets it tolerate GKE's arm64 taint, sets the
helper image's arch from the node, keeps jobs unprivileged, and sends jobs that ask for nothing
to amd64. The manager pod itself may run on either arch.

On OpenShift the manager runs under `restricted-v2`, unchanged (the chart's fixed UID and fsGroup
are dropped, so OpenShift assigns the namespace's). Build jobs run as their own service account,
`gitlab-runner-jobs`, named in the config.toml, under a dedicated SCC with only what buildah (vfs
storage, chroot isolation) needs: any UID including root, and the `SETFCAP` capability; nothing
privileged, no host namespaces, ports or paths. The SCC is granted by a Role in the runner's
namespace (`use` on that one SCC) bound to that service account alone, the way seed 001 grants
`pipelines-scc` to its pipeline's `buildbot` account, but with a namespaced Role. The CI template
builds with buildah there (kaniko elsewhere): `BUILDERS` says which, per platform.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pulumi_kubernetes as k8s
import tomli_w
import yaml

from components import arch, kube, versions
from components.settings import GitLabRunner as RunnerSettings

SECRET_NAME = "gitlab-runner-token"
DEFAULT_JOB_ARCH: arch.Arch = "amd64"
JOBS_SERVICE_ACCOUNT = "gitlab-runner-jobs"  # OpenShift: the build jobs' own account, the SCC's only grantee

Builder = Literal["kaniko", "buildah"]
# Kaniko needs no capability beyond the container defaults; on OpenShift, where every capability
# is dropped unless an SCC allows it, buildah is the builder Red Hat supports (as in seed 001).
BUILDERS: dict[str, Builder] = {"eks": "kaniko", "gke": "kaniko", "openshift": "buildah"}
BUILDAH_CAPABILITIES = ["SETFCAP"]  # buildah with vfs storage and chroot isolation, as root


def jobs_scc_name(namespace: str) -> str:
    """The build jobs' SCC: cluster-scoped, so named after the runner's namespace."""
    return f"{namespace}-buildah"


def jobs_scc(name: str) -> dict[str, Any]:
    """The SCC build jobs run under on OpenShift: `anyuid` plus SETFCAP, as OpenShift Pipelines'
    `pipelines-scc`, without privilege escalation. Every field the CRD requires is set."""
    return {
        "apiVersion": "security.openshift.io/v1",
        "kind": "SecurityContextConstraints",
        "metadata": {
            "name": name,
            "annotations": {
                "kubernetes.io/description": "multiarch: GitLab build jobs (buildah, vfs, chroot): any UID, SETFCAP"
            },
        },
        "allowPrivilegedContainer": False,
        "allowPrivilegeEscalation": False,
        "allowHostDirVolumePlugin": False,
        "allowHostIPC": False,
        "allowHostNetwork": False,
        "allowHostPID": False,
        "allowHostPorts": False,
        "allowedCapabilities": BUILDAH_CAPABILITIES,
        "defaultAddCapabilities": [],
        "requiredDropCapabilities": ["KILL", "MKNOD"],
        "runAsUser": {"type": "RunAsAny"},
        "seLinuxContext": {"type": "MustRunAs"},
        "fsGroup": {"type": "MustRunAs"},
        "supplementalGroups": {"type": "RunAsAny"},
        "readOnlyRootFilesystem": False,
        "priority": 0,  # no precedence: a pod that fits restricted-v2 still gets restricted-v2
        "users": [],  # granted through RBAC only (a Role bound to the jobs' service account)
        "groups": [],
        "volumes": ["configMap", "downwardAPI", "emptyDir", "persistentVolumeClaim", "projected", "secret"],
    }


ARM64_TOLERATION = {
    "key": arch.ARCH_LABEL,
    "operator": "Equal",
    "value": "arm64",
    "effect": "NoSchedule",
}


def config_toml(runner: RunnerSettings, default_arch: arch.Arch = DEFAULT_JOB_ARCH, openshift: bool = False) -> str:
    """The runner's config.toml template (the chart merges it with the registered token)."""
    r = runner.build_resources
    kubernetes: dict[str, Any] = {}
    if openshift:
        kubernetes = {
            "service_account": JOBS_SERVICE_ACCOUNT,
            "build_container_security_context": {
                "run_as_user": 0,
                "allow_privilege_escalation": False,
                "capabilities": {"add": BUILDAH_CAPABILITIES},
            },
        }
    return tomli_w.dumps(
        {
            "runners": [
                {
                    "executor": "kubernetes",
                    "kubernetes": {
                        **kubernetes,
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


def helm_values(runner: RunnerSettings, openshift: bool = False) -> dict[str, Any]:
    """Chart values: no token anywhere here, only the name of the Secret that holds it."""
    values: dict[str, Any] = {
        "gitlabUrl": runner.gitlab_url,
        "concurrent": runner.concurrent,
        "rbac": {"create": True},
        "runners": {"secret": SECRET_NAME, "config": config_toml(runner, openshift=openshift)},
        # The runner image is multi-arch: the manager may land on either pool (and tolerates GKE's taint).
        "tolerations": [ARM64_TOLERATION],
        "securityContext": {"allowPrivilegeEscalation": False, "runAsNonRoot": True},
    }
    return values


# OpenShift: the chart pins the manager's UID 100 and fsGroup 65533, which restricted-v2 refuses;
# deleting both chart defaults (`null`) lets OpenShift assign the namespace's own. Nulls reach Helm
# only through a values file: the Python SDK drops `None` from `values` (pulumi-kubernetes >= 4.30
# passes a values file's nulls through to Helm).
OPENSHIFT_MANAGER_VALUES = {"podSecurityContext": {"runAsUser": None, "fsGroup": None}}


KANIKO_AUTH = (
    'echo "{\\"auths\\":{\\"${CI_REGISTRY}\\":{\\"auth\\":\\"$(printf \'%s:%s\' "${CI_REGISTRY_USER}" '
    '"${CI_REGISTRY_PASSWORD}" | base64 | tr -d \'\\n\')\\"}}}" > /kaniko/.docker/config.json'
)
PER_ARCH_IMAGE = "${CI_REGISTRY_IMAGE}/${IMAGE_NAME}-${ARCH}:${IMAGE_TAG}"


def _build_steps(builder: Builder) -> tuple[dict[str, str], list[str], list[str]]:
    """A builder's job variables, login and build-and-push commands (one arch, its own nodes)."""
    if builder == "buildah":
        # vfs storage and chroot isolation: no privileges, only root and SETFCAP (the jobs' SCC).
        return (
            {"STORAGE_DRIVER": "vfs", "BUILDAH_ISOLATION": "chroot"},
            [
                'echo "${CI_REGISTRY_PASSWORD}" | '
                'buildah login --username "${CI_REGISTRY_USER}" --password-stdin "${CI_REGISTRY}"'
            ],
            [
                'buildah build --file "${DOCKERFILE_LOCATION}/Dockerfile" '
                f'--tag "{PER_ARCH_IMAGE}" "${{DOCKERFILE_LOCATION}}"',
                f'buildah push "{PER_ARCH_IMAGE}"',
            ],
        )
    return (
        {},
        [KANIKO_AUTH],
        [
            '/kaniko/executor --context "${DOCKERFILE_LOCATION}" '
            '--dockerfile "${DOCKERFILE_LOCATION}/Dockerfile" '
            f'--destination "{PER_ARCH_IMAGE}"'
        ],
    )


def ci_template(arches: Sequence[arch.Arch], tags: Sequence[str], builder: Builder = "kaniko") -> str:
    """The `.gitlab-ci.yml` include: a build job per arch on its own nodes, then the manifest list."""
    image = (
        {"name": versions.BUILDAH_IMAGE}
        if builder == "buildah"
        else {"name": versions.KANIKO_IMAGE, "entrypoint": [""]}
    )
    doc: dict[str, Any] = {"default": {"tags": list(tags), "image": image}}
    builder_variables, login, build = _build_steps(builder)
    for a in arches:
        variables: dict[str, str] = {"KUBERNETES_NODE_SELECTOR_ARCH": f"{arch.ARCH_LABEL}={a}", "ARCH": a}
        if a == "arm64":
            # GKE taints arm64 nodes; harmless where there is no such taint.
            variables["KUBERNETES_NODE_TOLERATIONS_ARCH"] = f"{arch.ARCH_LABEL}=arm64:NoSchedule"
        doc[f".build-{a}"] = {
            "needs": [],
            "variables": {**variables, **builder_variables},
            "before_script": list(login),  # copies: the YAML has no anchors
            "script": list(build),
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
        f"# Generated by multiarch (components/runner.py): include it from .gitlab-ci.yml. Builder: {builder}.\n"
        "# Each .build-<arch> job runs natively on that arch's nodes; .build-multi-arch pushes the manifest list.\n"
    )
    return header + yaml.safe_dump(doc, sort_keys=False, width=200)


@dataclass(frozen=True)
class GitLabRunnerArgs:
    runner: RunnerSettings  # URL, concurrency, overwrite regex, namespace, job resources
    token: pulumi.Input[str]  # the runner authentication token (glrt-...), a secret
    platform: str = "eks"  # openshift: jobs get their own service account and SCC


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
            values=helm_values(runner, openshift=openshift),
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
