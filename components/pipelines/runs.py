"""The PipelineRun template: every task pinned to its arch and tolerating exactly that arch's
pools' taints, and what each task's pod asks of a node. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .. import arch, names, scheduling, workspaces
from ..computeclass import CLASS_LABEL
from ..scheduling import TaintLike
from .tasks import CLEANUP_TASK, CLONE_TASK, PIPELINE_NAME, PUSH_TASK, SERVICE_ACCOUNT, build_task_name


def node_arch_for(target: arch.Arch, pool_arches: Sequence[arch.Arch]) -> arch.Arch:
    """Where to build `target`: natively on its own pool, else emulated on the first pool there is."""
    return target if target in pool_arches else pool_arches[0]


def task_pods(
    pool_arches: Sequence[arch.Arch],
    taints: Mapping[arch.Arch, Sequence[TaintLike]],
    default_arch: arch.Arch,
    classes: Mapping[arch.Arch, str] | None = None,
) -> dict[str, dict[str, Any]]:
    """Each pipeline task's pod template: pinned to the arch it runs on (and, on GKE with
    ComputeClasses, to that arch's class), tolerating exactly the taints of that arch's pools (a
    build of an arch lands on any pool of it)."""
    classes = classes or {}

    def pod(node: arch.Arch) -> dict[str, Any]:
        out: dict[str, Any] = {"nodeSelector": {arch.ARCH_LABEL: node}}
        if node in classes:
            out["nodeSelector"][CLASS_LABEL] = classes[node]
        if taints.get(node):
            out["tolerations"] = scheduling.tolerations(taints[node])
        return out

    tasks = {CLONE_TASK: default_arch, **{build_task_name(t): node_arch_for(t, pool_arches) for t in arch.ARCHES}}
    tasks[PUSH_TASK] = default_arch
    tasks[CLEANUP_TASK] = default_arch
    return {name: pod(node) for name, node in tasks.items()}


def pipeline_run(
    pool_arches: Sequence[arch.Arch],
    storage_class: str | None,
    namespace: str,
    taints: Mapping[arch.Arch, Sequence[TaintLike]],
    default_arch: arch.Arch,
    classes: Mapping[arch.Arch, str] | None = None,
    timeout: str = "1h",
    shared_claim: str | None = None,
) -> dict[str, Any]:
    """The PipelineRun to start builds from: RWX workspaces on the stack's class, every task pinned to
    its arch (and ComputeClass) and tolerating that arch's pools, no autoscaler evicting it, and
    done within `timeout` (Karpenter's terminationGracePeriod follows it)."""

    def claim(name: str, size: str) -> dict[str, Any]:
        if shared_claim is not None:  # gke: the run's own directory on the shared volume
            return {
                "persistentVolumeClaim": {"claimName": shared_claim},
                "subPath": f"{workspaces.RUN_DIRECTORY}/{name}",
            }
        return {
            "volumeClaimTemplate": {
                "spec": {
                    "storageClassName": storage_class or "<a ReadWriteMany StorageClass>",
                    "accessModes": ["ReadWriteMany"],
                    "resources": {"requests": {"storage": size}},
                }
            }
        }

    bound = [{"name": name, **claim(name, size)} for name, size in workspaces.WORKSPACES.items()]
    if shared_claim is not None:  # the cleanup task removes the run's directory from the volume's root
        bound.append({"name": workspaces.ROOT_WORKSPACE, "persistentVolumeClaim": {"claimName": shared_claim}})

    return {
        "apiVersion": "tekton.dev/v1",
        "kind": "PipelineRun",
        "metadata": {
            "generateName": "multiarch-build-",
            "namespace": namespace,
            # Tekton copies these to its TaskRuns and their pods (so do the Pipeline's and Tasks' own).
            "annotations": dict(scheduling.BUILD_POD_ANNOTATIONS),
        },
        "spec": {
            "pipelineRef": {"name": PIPELINE_NAME},
            "timeouts": {"pipeline": timeout},
            "params": [
                {"name": "git-url", "value": "https://github.com/nmasse-itix/tekton-pipeline-multiarch.git"},
                {"name": "image", "value": "quay.io/<you>/htop-multiarch:latest"},
                {"name": "context-dir", "value": "examples/htop/src"},
                {"name": "containerfile-path", "value": "Containerfile"},
                {"name": "cache-repository", "value": "quay.io/<you>/htop-multiarch/cache"},
            ],
            "workspaces": [*bound, {"name": "dockerconfig", "secret": {"secretName": "registry-credentials"}}],
            "taskRunTemplate": {"serviceAccountName": SERVICE_ACCOUNT},
            "taskRunSpecs": [
                {"pipelineTaskName": name, "podTemplate": pod}
                for name, pod in task_pods(pool_arches, taints, default_arch, classes).items()
            ],
        },
    }


# The PipelineRun template in the cluster, beside the Pipeline: where runs are started from
# (`kubectl create -f`), so every run is pinned and tolerated as the stack's pools need.
RUN_TEMPLATE = names.PIPELINE_RUN_TEMPLATE


RUN_TEMPLATE_KEY = names.PIPELINE_RUN_TEMPLATE_KEY
