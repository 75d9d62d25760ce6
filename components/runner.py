"""GitLab runner whose jobs choose their architecture, and the CI/CD component that uses it.

Creates, in its own namespace (Pod Security `baseline`: jobs are unprivileged), a Kubernetes
Secret holding the runner authentication token (`runner-token`, a Pulumi secret end to end) and
the official `gitlab-runner` chart as a `helm.v3.Release` that references that Secret
(`runners.secret`) and never sees the token in its values. Its `config.toml` (generated with a
TOML library) uses the Kubernetes executor, lets a job pick `kubernetes.io/arch` through
`KUBERNETES_NODE_SELECTOR_ARCH` (and nothing else), lets it tolerate exactly the taints of the
stack's build pools (`KUBERNETES_NODE_TOLERATIONS_*`: the allowed regex is derived from them, GKE's
own arm64 taint included), sets the helper image's arch from the node, and sends jobs that ask
for nothing to the stack's default arch. Build jobs get exactly what buildah (vfs storage, chroot
isolation) needs: root in the build container and the `SETFCAP` capability, no privilege
escalation, nothing privileged. The manager pod itself may run on either arch.

On OpenShift the manager runs under `restricted-v2`, unchanged (the chart's fixed UID and fsGroup
are dropped, so OpenShift assigns the namespace's). Build jobs run as their own service account,
`gitlab-runner-jobs`, named in the config.toml, under a dedicated SCC with only what buildah
needs: any UID including root, and `SETFCAP`; nothing privileged, no host namespaces, ports or
paths. The SCC is granted by a Role in the runner's namespace (`use` on that one SCC) bound to
that service account alone, the way seed 001 grants `pipelines-scc` to its pipeline's `buildbot`
account, but with a namespaced Role.

`ci_component` is the GitLab CI/CD component the stack publishes (`templates/build-multi-arch.yml`):
one buildah build job per arch, each pinned to its arch's nodes, tolerating its pools' taints,
proving it ran natively and built its arch, and a buildah manifest job that checks every slot.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import tomli_w
import yaml

from . import arch, buildscript, kube, scheduling, versions
from .computeclass import CLASS_LABEL
from .scheduling import TaintLike
from .settings import GitLabRunner as RunnerSettings

SECRET_NAME = "gitlab-runner-token"
JOBS_SERVICE_ACCOUNT = "gitlab-runner-jobs"  # OpenShift: the build jobs' own account, the SCC's only grantee
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


ARM64_TOLERATION = scheduling.toleration(arch.GKE_ARM64_TAINT)
# The build container of every job: what buildah with vfs storage and chroot isolation needs.
BUILD_CONTAINER_SECURITY_CONTEXT = {
    "run_as_user": 0,
    "allow_privilege_escalation": False,
    "capabilities": {"add": BUILDAH_CAPABILITIES},
}


def ci_toleration(taint: TaintLike) -> str:
    """A taint as a job tolerates it (`KUBERNETES_NODE_TOLERATIONS_*`: kubectl taint's syntax)."""
    return f"{taint.key}={taint.value}:{taint.effect}" if taint.value else f"{taint.key}:{taint.effect}"


def tolerations_allowed(taints: Sequence[TaintLike]) -> str | None:
    """`node_tolerations_overwrite_allowed`: exactly the build pools' taints (anchored, RE2); None,
    and no overwrite at all, when no pool is tainted."""
    values = sorted({ci_toleration(t) for t in taints})
    return f"^(?:{'|'.join(re.escape(v) for v in values)})$" if values else None


CLASS_VARIABLE = "KUBERNETES_NODE_SELECTOR_CLASS"


def selectors_allowed(runner: RunnerSettings, classes: Mapping[arch.Arch, str]) -> str:
    """`node_selector_overwrite_allowed`: the configured regex (the arch label), and with GKE
    ComputeClasses exactly the stack's classes (anchored, RE2) as well."""
    if not classes:
        return runner.node_selector_overwrite_allowed
    named = "|".join(re.escape(c) for c in sorted(set(classes.values())))
    return f"(?:{runner.node_selector_overwrite_allowed})|^{re.escape(CLASS_LABEL)}=(?:{named})$"


def config_toml(
    runner: RunnerSettings,
    default_arch: arch.Arch = "amd64",
    openshift: bool = False,
    taints: Sequence[TaintLike] = (),
    classes: Mapping[arch.Arch, str] | None = None,
) -> str:
    """The runner's config.toml template (the chart merges it with the registered token).
    `taints`: every build pool's, which jobs may tolerate; `default_arch`: where jobs that name no
    arch run; `classes`: GKE ComputeClasses by arch, which jobs select."""
    r = runner.build_resources
    classes = classes or {}
    kubernetes: dict[str, Any] = {"service_account": JOBS_SERVICE_ACCOUNT} if openshift else {}
    allowed = tolerations_allowed(taints)
    selector: dict[str, str] = {arch.ARCH_LABEL: default_arch}
    if default_arch in classes:
        selector[CLASS_LABEL] = classes[default_arch]
    return tomli_w.dumps(
        {
            "runners": [
                {
                    "executor": "kubernetes",
                    "kubernetes": {
                        **kubernetes,
                        "namespace": runner.namespace,
                        "privileged": runner.privileged,
                        "build_container_security_context": BUILD_CONTAINER_SECURITY_CONTEXT,
                        "helper_image_autoset_arch_and_os": True,
                        "node_selector_overwrite_allowed": selectors_allowed(runner, classes),
                        **({"node_tolerations_overwrite_allowed": allowed} if allowed else {}),
                        "node_selector": selector,
                        "cpu_request": r.cpu_request,
                        "memory_request": r.memory_request,
                        "cpu_limit": r.cpu_limit,
                        "memory_limit": r.memory_limit,
                        "helper_cpu_request": "100m",
                        "helper_memory_request": "128Mi",
                        # No autoscaler may evict a running job (Karpenter, Cluster Autoscaler).
                        "pod_annotations": dict(scheduling.BUILD_POD_ANNOTATIONS),
                    },
                }
            ]
        }
    )


def helm_values(
    runner: RunnerSettings,
    openshift: bool = False,
    system_nodes: bool = False,
    default_arch: arch.Arch = "amd64",
    taints: Sequence[TaintLike] = (),
    classes: Mapping[arch.Arch, str] | None = None,
) -> dict[str, Any]:
    """Chart values: no token anywhere here, only the name of the Secret that holds it.

    `system_nodes`: the cluster has a tainted system node group (engine karpenter), where the
    manager belongs: it tolerates that taint and prefers those nodes.
    """
    values: dict[str, Any] = {
        "gitlabUrl": runner.gitlab_url,
        "concurrent": runner.concurrent,
        "rbac": {"create": True},
        "runners": {
            "secret": SECRET_NAME,
            "config": config_toml(
                runner, default_arch=default_arch, openshift=openshift, taints=taints, classes=classes
            ),
        },
        # The runner image is multi-arch: the manager may land on either pool (and tolerates GKE's taint).
        "tolerations": [ARM64_TOLERATION],
        "securityContext": {"allowPrivilegeEscalation": False, "runAsNonRoot": True},
    }
    if system_nodes:
        values["tolerations"].append(scheduling.SYSTEM_TOLERATION)
        values["affinity"] = scheduling.prefer_system_nodes()
    return values


# OpenShift: the chart pins the manager's UID 100 and fsGroup 65533, which restricted-v2 refuses;
# deleting both chart defaults (`null`) lets OpenShift assign the namespace's own. Nulls reach Helm
# only through a values file: the Python SDK drops `None` from `values` (pulumi-kubernetes >= 4.30
# passes a values file's nulls through to Helm).
OPENSHIFT_MANAGER_VALUES = {"podSecurityContext": {"runAsUser": None, "fsGroup": None}}


# --- the CI/CD component -------------------------------------------------------------------------
# Include-safe: only its own `multiarch-` jobs, which inherit no `default:` (a consumer's
# before_script, after_script, cache or image would reach them otherwise); no workflow, global
# variables or stages of its own; typed inputs whose defaults come from the stack.
COMPONENT_PATH = "templates/build-multi-arch.yml"  # GitLab's catalog layout: templates/<name>.yml
JOB_PREFIX = "multiarch-"
BUILD_JOB = f"{JOB_PREFIX}build"
MANIFEST_JOB = f"{JOB_PREFIX}manifest"
ARCHES_DIR = "multiarch-arches"  # what the build jobs built, handed to the manifest job as artifacts
MANIFEST_LIST = "multiarch-list"
TOLERATION_VARIABLE = "KUBERNETES_NODE_TOLERATIONS_{}"
LOGIN = (
    'echo "${CI_REGISTRY_PASSWORD}" | buildah login --username "${CI_REGISTRY_USER}" --password-stdin "${CI_REGISTRY}"'
)
# Repository names are lowercase: project `group/MyApp` makes `.../MyApp` of the default image name.
LOWERCASE = "MULTIARCH_IMAGE=\"$(printf '%s' \"${MULTIARCH_IMAGE}\" | tr '[:upper:]' '[:lower:]')\""
BUILD_FIX = (
    "its KUBERNETES_NODE_SELECTOR_ARCH must reach the runner (tags of the multi-arch runner, whose "
    "node_selector_overwrite_allowed accepts kubernetes.io/arch)"
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
            "description": "Image name under the registry (lowercased); each arch is pushed as <name>-<arch>.",
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
        "cache": {
            "type": "boolean",
            "default": True,
            "description": "Cache image layers in a registry repository (nodes are ephemeral); false: none.",
        },
        "cache-repository": {
            "default": "",
            "description": "The layer cache's repository; empty: <registry>/<image-name>/cache.",
        },
    }


def _image_variables() -> dict[str, str]:
    return {
        "STORAGE_DRIVER": "vfs",
        "BUILDAH_ISOLATION": "chroot",
        "MULTIARCH_IMAGE": "$[[ inputs.registry ]]/$[[ inputs.image-name ]]",
        "MULTIARCH_TAG": "$[[ inputs.image-tag ]]",
    }


def _toleration_variables(taints: Sequence[TaintLike]) -> dict[str, str]:
    return {TOLERATION_VARIABLE.format(i): ci_toleration(t) for i, t in enumerate(dict.fromkeys(taints))}


def build_script() -> list[str]:
    """The build job's script: one arch, natively, its image checked, then pushed when asked."""
    return [
        LOWERCASE,
        'ref="${MULTIARCH_IMAGE}-${ARCH}:${MULTIARCH_TAG}"',
        buildscript.native_check("build job", BUILD_FIX),
        'set --; if [ "${MULTIARCH_CACHE}" = "cache-true" ]; then '
        'cache="${MULTIARCH_CACHE_REPOSITORY:-${MULTIARCH_IMAGE}/cache}"; '
        'set -- --cache-from "${cache}" --cache-to "${cache}"; fi',
        'buildah build --platform "linux/${ARCH}" --layers "$@" --file "${MULTIARCH_DOCKERFILE}" '
        '--tag "${ref}" "${MULTIARCH_CONTEXT}"',
        buildscript.image_check(),
        'if [ "${MULTIARCH_PUSH}" = "push-true" ]; then buildah push "${ref}"; fi',
        f"mkdir -p {ARCHES_DIR} && touch {ARCHES_DIR}/${{ARCH}}",
    ]


def manifest_script() -> list[str]:
    """The manifest job's script: every built arch's image, with its own platform, each checked
    against its slot, then the list pushed."""
    return [
        LOWERCASE,
        f"buildah manifest create {MANIFEST_LIST}",
        f"for built in {ARCHES_DIR}/*; do\n"
        '  slot="$(basename "${built}")"\n'
        '  ref="${MULTIARCH_IMAGE}-${slot}:${MULTIARCH_TAG}"\n'
        f'  buildah manifest add {MANIFEST_LIST} "docker://${{ref}}"\n'
        + "\n".join(f"  {line}" for line in buildscript.slot_check(MANIFEST_LIST).splitlines())
        + "\ndone",
        f'buildah manifest push --all {MANIFEST_LIST} "docker://${{MULTIARCH_IMAGE}}:${{MULTIARCH_TAG}}"',
    ]


class _Dumper(yaml.SafeDumper):
    """Scripts of several lines as literal blocks, as a person writes them."""


_Dumper.add_representer(
    str,
    lambda dumper, text: dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|" if "\n" in text else None),
)


def ci_component(
    arches: Sequence[arch.Arch],
    tags: Sequence[str],
    taints: Mapping[arch.Arch, Sequence[TaintLike]] | None = None,
    default_arch: arch.Arch = "amd64",
    classes: Mapping[arch.Arch, str] | None = None,
    timeout: str = "1h",
) -> str:
    """The CI/CD component: `spec: inputs:`, then a buildah build job per arch (a matrix over the
    `arches` input, each pinned to its nodes, selecting its GKE ComputeClass (`classes`) and
    tolerating its pools' `taints`) and the manifest job, which needs exactly those and runs on
    `default_arch`. Every job ends within `timeout` (Karpenter's terminationGracePeriod follows it)."""
    taints = taints or {}
    classes = classes or {}

    def node_variables(a: arch.Arch) -> dict[str, str]:
        out = _toleration_variables(taints.get(a, ()))
        if a in classes:
            out[CLASS_VARIABLE] = f"{CLASS_LABEL}={classes[a]}"
        return out

    build: dict[str, Any] = {
        "stage": "$[[ inputs.stage ]]",
        "tags": "$[[ inputs.tags ]]",
        "image": {"name": versions.BUILDAH_IMAGE},
        "inherit": {"default": False},
        "needs": [],
        "timeout": timeout,
        "parallel": {"matrix": [{"ARCH": "$[[ inputs.arches ]]"}]},
        "variables": {
            "KUBERNETES_NODE_SELECTOR_ARCH": f"{arch.ARCH_LABEL}=${{ARCH}}",
            **_image_variables(),
            "MULTIARCH_DOCKERFILE": "$[[ inputs.dockerfile ]]",
            "MULTIARCH_CONTEXT": "$[[ inputs.context ]]",
            "MULTIARCH_PUSH": "push-$[[ inputs.push ]]",  # in a string: a variable's value is text
            "MULTIARCH_CACHE": "cache-$[[ inputs.cache ]]",
            "MULTIARCH_CACHE_REPOSITORY": "$[[ inputs.cache-repository ]]",
        },
    }
    placed = [a for a in arch.ARCHES if node_variables(a)]
    if placed:
        # Each arch's job tolerates its own pools' taints and selects its own class, and no other
        # arch's (rules see the matrix).
        build["rules"] = [{"if": f'$ARCH == "{a}"', "variables": node_variables(a)} for a in placed] + [
            {"when": "on_success"}
        ]
    build.update(
        {
            "before_script": [LOGIN],
            "script": build_script(),
            "artifacts": {"paths": [f"{ARCHES_DIR}/"], "expire_in": "1 day"},
        }
    )
    jobs: dict[str, Any] = {
        BUILD_JOB: build,
        # push: false leaves no manifest job (a hidden job of that name is never run).
        f".{MANIFEST_JOB}-false": {"rules": [{"when": "never"}]},
        f".{MANIFEST_JOB}-true": {},
        MANIFEST_JOB: {
            "extends": f".{MANIFEST_JOB}-$[[ inputs.push ]]",
            "stage": "$[[ inputs.stage ]]",
            "tags": "$[[ inputs.tags ]]",
            "image": {"name": versions.BUILDAH_IMAGE},
            "inherit": {"default": False},
            "needs": [BUILD_JOB],
            "timeout": timeout,
            "variables": {
                "KUBERNETES_NODE_SELECTOR_ARCH": f"{arch.ARCH_LABEL}={default_arch}",
                **node_variables(default_arch),
                **_image_variables(),
            },
            "before_script": [LOGIN],
            "script": manifest_script(),
        },
    }
    header = (
        "# Generated by multiarch (pulumi_multiarch/runner.py): a GitLab CI/CD component (buildah).\n"
        f"# include: component: <host>/<project>/build-multi-arch@<version>, or include: local: {COMPONENT_PATH}\n"
    )
    return header + yaml.dump_all(
        [{"spec": {"inputs": component_inputs(arches, tags)}}, jobs], Dumper=_Dumper, sort_keys=False, width=200
    )


@dataclass(frozen=True)
class GitLabRunnerArgs:
    runner: RunnerSettings  # URL, concurrency, overwrite regex, namespace, job resources
    token: pulumi.Input[str]  # the runner authentication token (glrt-...), a secret
    platform: str = "eks"  # openshift: jobs get their own service account and SCC
    system_nodes: bool = False  # engine karpenter: the manager runs on the tainted system node group
    default_arch: arch.Arch = "amd64"  # where jobs that name no arch run
    taints: Sequence[TaintLike] = field(default_factory=tuple)  # every build pool's, which jobs may tolerate
    classes: Mapping[arch.Arch, str] = field(default_factory=dict)  # gke compute-class: arch -> ComputeClass


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
                default_arch=args.default_arch,
                taints=args.taints,
                classes=args.classes,
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
