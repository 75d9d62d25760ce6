"""Every pod a stack causes, as the scheduler sees it: the platform's own (from `catalog/nodes.py`),
the controllers the stack installs, the DaemonSets on every node, and one build pod per path and
arch. What each requests is what its manifests, chart values or config.toml ask for. Pure."""

from __future__ import annotations

from decimal import Decimal

from .. import arch, limits, names, scheduling
from ..catalog import nodes
from ..settings import Settings, Taint
from .rules import Expression, Pod

ARM64_TOLERATION = scheduling.toleration(arch.GKE_ARM64_TAINT)
_MIB = Decimal(1024 * 1024)


def cpu_m(quantity: str) -> int:
    """A CPU quantity (`1`, `500m`) in millicores."""
    value = limits.quantity(quantity)
    return int((value or Decimal(0)) * 1000)


def memory_mib(quantity: str) -> int:
    """A memory quantity (`2Gi`, `512Mi`, `1G`) in MiB, rounded up."""
    value = limits.quantity(quantity) or Decimal(0)
    return int(-(-value // _MIB))


def _platform_pods(settings: Settings) -> list[Pod]:
    efs = settings.storage.efs is not None and settings.storage.efs.enabled
    filestore = settings.storage.filestore is not None and settings.storage.filestore.enabled
    wanted = {"always": True, "efs": efs and settings.platform == "eks", "filestore": filestore}
    out = []
    for p in nodes.PLATFORM_PODS[settings.platform]:
        if not wanted[p.when]:
            continue
        out.append(
            Pod(f"{p.namespace}/{p.name}", "daemonset" if p.daemonset else "platform", p.cpu_m, p.memory_mib,
                p.replicas, tolerations=p.tolerations, source=p.source)
        )  # fmt: skip
    return out


def _binfmt(settings: Settings) -> list[Pod]:
    if settings.qemu is None:
        return []
    node_arches = [a for a in settings.arches if any(p != a for p in settings.qemu.platforms)]
    taints = [t for p in settings.node_pools for t in p.taints]
    tolerations = scheduling.tolerations([*taints, Taint.model_validate(arch.GKE_ARM64_TAINT)])
    init, main = scheduling.BINFMT_INIT_REQUESTS, scheduling.BINFMT_REQUESTS
    return [
        Pod(
            "qemu-binfmt/qemu-binfmt", "daemonset",
            max(cpu_m(init["cpu"]), cpu_m(main["cpu"])), max(memory_mib(init["memory"]), memory_mib(main["memory"])),
            required=((Expression(arch.ARCH_LABEL, "In", tuple(node_arches)),),), tolerations=tuple(tolerations),
            source="components/binfmt.py",
        )
    ]  # fmt: skip


def controllers(settings: Settings) -> list[Pod]:
    """What the stack installs that must run at idle, the autoscaler first."""
    system = settings.system_pool is not None
    on_system = (scheduling.system_toleration(settings.platform),) if system else ()
    prefers = names.SYSTEM_POOL if system else None
    out: list[Pod] = []
    a = settings.autoscaling
    if a.uses_karpenter:
        k = a.karpenter_settings
        out.append(
            Pod(
                "kube-system/karpenter", "autoscaler",
                cpu_m(scheduling.KARPENTER_CONTROLLER_REQUESTS["cpu"]),
                memory_mib(scheduling.KARPENTER_CONTROLLER_REQUESTS["memory"]),
                replicas=min(2, k.system_pool.min_size),
                node_selector={"kubernetes.io/os": "linux", arch.POOL_LABEL: names.SYSTEM_POOL},
                tolerations=({"key": "CriticalAddonsOnly", "operator": "Exists"},), one_per_node=True,
                source="karpenter chart 1.14.1 values; components/karpenter/manifests.py",
            )
        )  # fmt: skip
    elif a.enabled and settings.platform == "eks":
        out.append(
            Pod("kube-system/cluster-autoscaler", "autoscaler", tolerations=(ARM64_TOLERATION,),
                source="cluster-autoscaler chart values (no requests); components/autoscaler.py")
        )  # fmt: skip
    if settings.platform == "openshift":
        return out  # the rest runs on the cluster's own workers (the installer's), which the stack does not declare
    if settings.gitlab_runner is not None:
        out.append(
            Pod(f"{settings.gitlab_runner.namespace}/gitlab-runner", "controller",
                tolerations=(ARM64_TOLERATION, *on_system), prefers_pool=prefers,
                source="gitlab-runner chart values (no requests); components/runner/config.py")
        )  # fmt: skip
    if settings.pipelines is not None and settings.pipelines.flavor != "openshift-pipelines":
        for p in nodes.TEKTON_PODS:
            out.append(
                Pod(f"{p.namespace}/{p.name}", "controller", p.cpu_m, p.memory_mib, p.replicas,
                    tolerations=on_system, prefers_pool=prefers, source=p.source)
            )  # fmt: skip
    efs = settings.storage.efs
    if settings.platform == "eks" and efs is not None and efs.enabled:
        out.append(
            Pod("kube-system/efs-csi-controller", "controller", replicas=2,
                tolerations=({"key": "CriticalAddonsOnly", "operator": "Exists"},
                             {"key": "efs.csi.aws.com/agent-not-ready", "operator": "Exists"}, *on_system),
                source="aws-efs-csi-driver chart values (no requests)")
        )  # fmt: skip
    return out


def idle_pods(settings: Settings) -> tuple[list[Pod], list[Pod]]:
    """(what runs on every node it tolerates, what must run somewhere at idle)."""
    platform = _platform_pods(settings)
    daemonsets = [p for p in platform if p.role == "daemonset"] + _binfmt(settings)
    deployments = [p for p in platform if p.role != "daemonset"]
    if settings.system_pool is not None:
        # The platform's own controllers belong there too (those that tolerate its taint go there).
        deployments = [
            Pod(p.name, p.role, p.cpu_m, p.memory_mib, p.replicas, tolerations=p.tolerations,
                prefers_pool=names.SYSTEM_POOL, source=p.source)
            for p in deployments
        ]  # fmt: skip
    return daemonsets, [*controllers(settings), *deployments]


def build_pods(settings: Settings) -> dict[str, list[Pod]]:
    """Per arch, the pods of one build: the GitLab job's (build, helper) and each Tekton task's."""
    classes = settings.autoscaling.uses_compute_classes
    out: dict[str, list[Pod]] = {}
    for a, taints in settings.build_taints.items():
        selector: dict[str, str] = {arch.ARCH_LABEL: a}
        tolerations = tuple(scheduling.tolerations(taints))
        if classes:
            pool = next(p for p in settings.node_pools if p.arch == a)
            selector[arch.COMPUTE_CLASS_LABEL] = names.compute_class(pool.name)
            tolerations += ({"key": arch.COMPUTE_CLASS_LABEL, "operator": "Exists", "effect": "NoSchedule"},)
        pods = []
        if settings.gitlab_runner is not None:
            r = settings.gitlab_runner.build_resources
            helper = scheduling.RUNNER_HELPER_REQUESTS
            pods.append(
                Pod(
                    f"{a} CI job", "build", cpu_m(r.cpu_request) + cpu_m(helper["cpu"]),
                    memory_mib(r.memory_request) + memory_mib(helper["memory"]),
                    node_selector=selector, tolerations=tolerations,
                    source="multiarch:gitlabRunner.buildResources",
                    detail=f"build {r.cpu_request} + helper {helper['cpu']} CPU, "
                    f"build {r.memory_request} + helper {helper['memory']} memory",
                )
            )  # fmt: skip
        if settings.pipelines is not None:
            pods.append(
                Pod(f"{a} Tekton build task", "build", node_selector=selector, tolerations=tolerations,
                    source="components/pipelines/tasks.py (its steps request nothing)")
            )  # fmt: skip
        out[a] = pods
    return out
