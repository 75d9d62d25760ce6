"""The GitLab runner's configuration: its config.toml (Kubernetes executor, the arch selector and
the tolerations jobs may set, the build container's security context), the chart's values, and
OpenShift's SCC for the build jobs. Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import tomli_w

from .. import arch, scheduling
from ..computeclass import CLASS_LABEL
from ..placement import pool_nodes, unfit_by_rules
from ..placement.shapes import UNKNOWN
from ..placement.workloads import cpu_m, idle_pods, memory_mib
from ..scheduling import TaintLike
from ..settings import GitLabRunner as RunnerSettings
from ..settings import Settings

# The manager may run on either arch; on GKE, arm64 nodes carry GKE's own taint.
ARM64_TOLERATION = scheduling.toleration(arch.GKE_ARM64_TAINT)
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


# What a job may raise with KUBERNETES_CPU_REQUEST, KUBERNETES_CPU_LIMIT, KUBERNETES_MEMORY_REQUEST
# and KUBERNETES_MEMORY_LIMIT: without a maximum the runner ignores the variable.
OVERWRITE_KEYS = {
    "cpu": ("cpu_request_overwrite_max_allowed", "cpu_limit_overwrite_max_allowed"),
    "memory": ("memory_request_overwrite_max_allowed", "memory_limit_overwrite_max_allowed"),
}


def resource_overwrite_max(settings: Settings) -> dict[str, str]:
    """The most a build job may request (and limit itself to): what a build node leaves one job's
    build container, after the node's DaemonSets and the job's helper container. Per arch, its
    pools' largest node (the most CPU, then memory); then the smallest across arches, since one
    runner serves every arch and the same variables reach every arch's job: a value the runner
    accepts schedules on every arch, and one above it fails the job instead of leaving it Pending.
    Empty (no overwrite) when no build pool's size is known."""
    daemonsets, _ = idle_pods(settings)
    helper = scheduling.RUNNER_HELPER_REQUESTS
    largest: dict[str, tuple[int, int]] = {}
    for pool in pool_nodes(settings):
        if pool.system:
            continue
        for shape in pool.shapes:
            if shape.cpu_m >= UNKNOWN:
                continue  # a type the catalog cannot size (unlistedInstanceType)
            on_node = [d for d in daemonsets if unfit_by_rules(d, shape) is None]
            left = (
                shape.cpu_m - sum(d.cpu_m for d in on_node) - cpu_m(helper["cpu"]),
                shape.memory_mib - sum(d.memory_mib for d in on_node) - memory_mib(helper["memory"]),
            )
            largest[pool.arch] = max(largest.get(pool.arch, left), left)
    if not largest:
        return {}
    cpu = min(c for c, _ in largest.values())
    memory = min(m for _, m in largest.values())
    return {
        **dict.fromkeys(OVERWRITE_KEYS["cpu"], f"{cpu}m"),
        **dict.fromkeys(OVERWRITE_KEYS["memory"], f"{memory}Mi"),
    }


def config_toml(
    runner: RunnerSettings,
    default_arch: arch.Arch = "amd64",
    openshift: bool = False,
    taints: Sequence[TaintLike] = (),
    classes: Mapping[arch.Arch, str] | None = None,
    overwrite_max: Mapping[str, str] | None = None,
) -> str:
    """The runner's config.toml template (the chart merges it with the registered token).
    `taints`: every build pool's, which jobs may tolerate; `default_arch`: where jobs that name no
    arch run; `classes`: GKE ComputeClasses by arch, which jobs select; `overwrite_max`: the most a
    job may request (`resource_overwrite_max`)."""
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
                        **dict(overwrite_max or {}),
                        "helper_cpu_request": scheduling.RUNNER_HELPER_REQUESTS["cpu"],
                        "helper_memory_request": scheduling.RUNNER_HELPER_REQUESTS["memory"],
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
    system_toleration: Mapping[str, str] = scheduling.SYSTEM_TOLERATION,
    default_arch: arch.Arch = "amd64",
    taints: Sequence[TaintLike] = (),
    classes: Mapping[arch.Arch, str] | None = None,
    overwrite_max: Mapping[str, str] | None = None,
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
                runner,
                default_arch=default_arch,
                openshift=openshift,
                taints=taints,
                classes=classes,
                overwrite_max=overwrite_max,
            ),
        },
        # The runner image is multi-arch: the manager may land on either pool (and tolerates GKE's taint).
        "tolerations": [ARM64_TOLERATION],
        "securityContext": {"allowPrivilegeEscalation": False, "runAsNonRoot": True},
    }
    if system_nodes:
        values["tolerations"].append(dict(system_toleration))
        values["affinity"] = scheduling.prefer_system_nodes()
    return values


# OpenShift: the chart pins the manager's UID 100 and fsGroup 65533, which restricted-v2 refuses;
# deleting both chart defaults (`null`) lets OpenShift assign the namespace's own. Nulls reach Helm
# only through a values file: the Python SDK drops `None` from `values` (pulumi-kubernetes >= 4.30
# passes a values file's nulls through to Helm).
OPENSHIFT_MANAGER_VALUES = {"podSecurityContext": {"runAsUser": None, "fsGroup": None}}
