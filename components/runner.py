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
                        # No autoscaler may evict a running job (Karpenter, Cluster Autoscaler).
                        "pod_annotations": dict(kube.BUILD_POD_ANNOTATIONS),
                    },
                }
            ]
        }
    )


def helm_values(runner: RunnerSettings, openshift: bool = False, system_nodes: bool = False) -> dict[str, Any]:
    """Chart values: no token anywhere here, only the name of the Secret that holds it.

    `system_nodes`: the cluster has a tainted system node group (engine karpenter), where the
    manager belongs: it tolerates that taint and prefers those nodes.
    """
    values: dict[str, Any] = {
        "gitlabUrl": runner.gitlab_url,
        "concurrent": runner.concurrent,
        "rbac": {"create": True},
        "runners": {"secret": SECRET_NAME, "config": config_toml(runner, openshift=openshift)},
        # The runner image is multi-arch: the manager may land on either pool (and tolerates GKE's taint).
        "tolerations": [ARM64_TOLERATION],
        "securityContext": {"allowPrivilegeEscalation": False, "runAsNonRoot": True},
    }
    if system_nodes:
        values["tolerations"].append(kube.SYSTEM_TOLERATION)
        values["affinity"] = kube.prefer_system_nodes()
    return values


# OpenShift: the chart pins the manager's UID 100 and fsGroup 65533, which restricted-v2 refuses;
# deleting both chart defaults (`null`) lets OpenShift assign the namespace's own. Nulls reach Helm
# only through a values file: the Python SDK drops `None` from `values` (pulumi-kubernetes >= 4.30
# passes a values file's nulls through to Helm).
OPENSHIFT_MANAGER_VALUES = {"podSecurityContext": {"runAsUser": None, "fsGroup": None}}


# The CI/CD component: include-safe (only its own `multiarch-` jobs; no default, workflow, global
# variables or stages), driven by typed inputs whose defaults come from the stack.
COMPONENT_PATH = "templates/build-multi-arch.yml"  # GitLab's catalog layout: templates/<name>.yml
JOB_PREFIX = "multiarch-"
BUILD_JOB = f"{JOB_PREFIX}build"
MANIFEST_JOB = f"{JOB_PREFIX}manifest"
PER_ARCH_IMAGE = "${MULTIARCH_IMAGE}-${ARCH}:${MULTIARCH_TAG}"
ARCHES_DIR = "multiarch-arches"  # what the build jobs built, handed to the manifest job as artifacts
KANIKO_AUTH = (
    'echo "{\\"auths\\":{\\"${CI_REGISTRY}\\":{\\"auth\\":\\"$(printf \'%s:%s\' "${CI_REGISTRY_USER}" '
    '"${CI_REGISTRY_PASSWORD}" | base64 | tr -d \'\\n\')\\"}}}" > /kaniko/.docker/config.json'
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
            "description": "Image name under the registry; each arch is pushed as <name>-<arch>.",
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
    }


def _build_steps(builder: Builder) -> tuple[dict[str, str], list[str], list[str]]:
    """A builder's job variables, login and build (and push, when asked) commands for one arch."""
    if builder == "buildah":
        # vfs storage and chroot isolation: no privileges, only root and SETFCAP (the jobs' SCC).
        return (
            {"STORAGE_DRIVER": "vfs", "BUILDAH_ISOLATION": "chroot"},
            [
                'echo "${CI_REGISTRY_PASSWORD}" | '
                'buildah login --username "${CI_REGISTRY_USER}" --password-stdin "${CI_REGISTRY}"'
            ],
            [
                f'buildah build --file "${{MULTIARCH_DOCKERFILE}}" --tag "{PER_ARCH_IMAGE}" "${{MULTIARCH_CONTEXT}}"',
                f'if [ "${{MULTIARCH_PUSH}}" = "push-true" ]; then buildah push "{PER_ARCH_IMAGE}"; fi',
            ],
        )
    return (
        {},
        [KANIKO_AUTH],
        [
            'if [ "${MULTIARCH_PUSH}" = "push-true" ]; then '
            f'OUTPUT="--destination {PER_ARCH_IMAGE}"; else OUTPUT="--no-push"; fi',
            '/kaniko/executor --context "${MULTIARCH_CONTEXT}" --dockerfile "${MULTIARCH_DOCKERFILE}" ${OUTPUT}',
        ],
    )


def ci_component(
    arches: Sequence[arch.Arch], tags: Sequence[str], builder: Builder = "kaniko", arm64_taint: bool = False
) -> str:
    """The CI/CD component: `spec: inputs:`, then a build job per arch (a matrix over the `arches`
    input, each pinned to its nodes) and the manifest-list job, which needs exactly those."""
    image = (
        {"name": versions.BUILDAH_IMAGE}
        if builder == "buildah"
        else {"name": versions.KANIKO_IMAGE, "entrypoint": [""]}
    )
    builder_variables, login, build = _build_steps(builder)
    variables = {
        "KUBERNETES_NODE_SELECTOR_ARCH": f"{arch.ARCH_LABEL}=${{ARCH}}",
        # The platform (GKE) taints arm64 nodes: the job tolerates its own arch's taint.
        **({"KUBERNETES_NODE_TOLERATIONS_ARCH": f"{arch.ARCH_LABEL}=${{ARCH}}:NoSchedule"} if arm64_taint else {}),
        "MULTIARCH_IMAGE": "$[[ inputs.registry ]]/$[[ inputs.image-name ]]",
        "MULTIARCH_TAG": "$[[ inputs.image-tag ]]",
        "MULTIARCH_DOCKERFILE": "$[[ inputs.dockerfile ]]",
        "MULTIARCH_CONTEXT": "$[[ inputs.context ]]",
        "MULTIARCH_PUSH": "push-$[[ inputs.push ]]",  # in a string: a variable's value is text
        **builder_variables,
    }
    jobs: dict[str, Any] = {
        BUILD_JOB: {
            "stage": "$[[ inputs.stage ]]",
            "tags": "$[[ inputs.tags ]]",
            "image": image,
            "needs": [],
            "parallel": {"matrix": [{"ARCH": "$[[ inputs.arches ]]"}]},
            "variables": variables,
            "before_script": login,
            # Each build leaves its arch for the manifest job (an input list is not text to parse).
            "script": [*build, f"mkdir -p {ARCHES_DIR} && touch {ARCHES_DIR}/${{ARCH}}"],
            "artifacts": {"paths": [f"{ARCHES_DIR}/"], "expire_in": "1 day"},
        },
        # push: false leaves no manifest job (a hidden job of that name is never run).
        f".{MANIFEST_JOB}-false": {"rules": [{"when": "never"}]},
        f".{MANIFEST_JOB}-true": {},
        MANIFEST_JOB: {
            "extends": f".{MANIFEST_JOB}-$[[ inputs.push ]]",
            "stage": "$[[ inputs.stage ]]",
            "tags": "$[[ inputs.tags ]]",
            "image": {"name": versions.MANIFEST_TOOL_IMAGE, "entrypoint": [""]},
            "needs": [BUILD_JOB],
            "variables": {
                "KUBERNETES_NODE_SELECTOR_ARCH": f"{arch.ARCH_LABEL}={DEFAULT_JOB_ARCH}",
                "MULTIARCH_IMAGE": "$[[ inputs.registry ]]/$[[ inputs.image-name ]]",
                "MULTIARCH_TAG": "$[[ inputs.image-tag ]]",
            },
            "script": [
                f"PLATFORMS=$(ls {ARCHES_DIR} | sed 's|^|linux/|' | paste -sd, -)",
                'manifest-tool --username "${CI_REGISTRY_USER}" --password "${CI_REGISTRY_PASSWORD}" push from-args '
                '--platforms "${PLATFORMS}" --template "${MULTIARCH_IMAGE}-ARCH:${MULTIARCH_TAG}" '
                '--target "${MULTIARCH_IMAGE}:${MULTIARCH_TAG}"',
            ],
        },
    }
    header = (
        f"# Generated by multiarch (components/runner.py), builder {builder}: a GitLab CI/CD component.\n"
        f"# include: component: <host>/<project>/build-multi-arch@<version>, or include: local: {COMPONENT_PATH}\n"
    )
    return header + yaml.safe_dump_all(
        [{"spec": {"inputs": component_inputs(arches, tags)}}, jobs], sort_keys=False, width=200
    )


@dataclass(frozen=True)
class GitLabRunnerArgs:
    runner: RunnerSettings  # URL, concurrency, overwrite regex, namespace, job resources
    token: pulumi.Input[str]  # the runner authentication token (glrt-...), a secret
    platform: str = "eks"  # openshift: jobs get their own service account and SCC
    system_nodes: bool = False  # engine karpenter: the manager runs on the tainted system node group


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
            values=helm_values(runner, openshift=openshift, system_nodes=args.system_nodes),
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
