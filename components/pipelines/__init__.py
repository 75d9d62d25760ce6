"""The pipeline engine with the affinity assistant off, and the multi-arch build pipeline.

`PipelineEngine` installs either upstream Tekton (its pinned release manifest into
`tekton-pipelines`, with a transform that sets the `feature-flags` keys the stack owns in the
release's own ConfigMap: `coschedule: disabled`, plus `disable-affinity-assistant: "true"` for
releases before v1.0; one resource owns that ConfigMap) or
OpenShift Pipelines (the operator from OLM, then the operator-owned `TektonConfig/config` patched
with `spec.pipeline.coschedule: disabled`; its feature-flags ConfigMap is never touched, the
operator would revert it). The affinity assistant forbids two RWX workspaces in one TaskRun and
pins parallel tasks to one node: off, per-arch tasks run at once on their own pools.

`BuildPipeline` creates a namespace for builds, the `buildbot` service account and `tekton.dev/v1`
Tasks and a Pipeline: clone once onto the shared RWX workspace, build each arch with buildah
(vfs, emptyDir for /var/lib/containers, only SETFCAP; `--platform linux/<arch>`, layers cached in
a registry) into an OCI archive on the workspace, then assemble the manifest list and push it.
Each build proves it ran on a node of its arch and built an image of it, and the push proves each
slot holds its arch (`components/buildscript.py`): a misrouted task fails, it never publishes a
wrong index. Which node a task runs on is chosen per PipelineRun through `taskRunSpecs`: the
template `pipeline_run` pins every task to its arch and tolerates that arch's pools' taints; the
stack keeps it in the cluster (ConfigMap `multiarch-pipelinerun`), where runs are started from.
The Pipeline and Tasks carry the anti-eviction annotations, which Tekton copies to every pod.

`engine.py` holds the engine, `tasks.py` the Tasks and the Pipeline, `runs.py` the PipelineRun
template and what each task's pod asks of a node (all three pure but the engine's component),
`component.py` the build pipeline's component.
"""

from .component import (
    BuildPipeline,
    BuildPipelineArgs,
)
from .engine import (
    FEATURE_FLAGS,
    PRUNER_CONFIG,
    PRUNER_WEBHOOK,
    TEKTON_CONTROLLER_NAMESPACES,
    TEKTON_NAMESPACE,
    PipelineEngine,
    PipelineEngineArgs,
    feature_flags,
    feature_flags_transform,
    openshift_pruner,
    pruner_config,
    pruner_transform,
    release_url,
)
from .runs import (
    RUN_TEMPLATE,
    RUN_TEMPLATE_KEY,
    node_arch_for,
    pipeline_run,
    task_pods,
)
from .tasks import (
    CLEANUP_TASK,
    CLONE_TASK,
    NATIVE_FIX,
    PIPELINE_NAME,
    PUSH_TASK,
    REGISTRY_AUTH,
    SERVICE_ACCOUNT,
    build_task,
    build_task_name,
    cleanup_task,
    clone_task,
    pipeline,
    push_task,
)

__all__ = [
    "CLEANUP_TASK",
    "CLONE_TASK",
    "FEATURE_FLAGS",
    "NATIVE_FIX",
    "PIPELINE_NAME",
    "PRUNER_CONFIG",
    "PRUNER_WEBHOOK",
    "PUSH_TASK",
    "REGISTRY_AUTH",
    "RUN_TEMPLATE",
    "RUN_TEMPLATE_KEY",
    "SERVICE_ACCOUNT",
    "TEKTON_CONTROLLER_NAMESPACES",
    "TEKTON_NAMESPACE",
    "BuildPipeline",
    "BuildPipelineArgs",
    "PipelineEngine",
    "PipelineEngineArgs",
    "build_task",
    "build_task_name",
    "cleanup_task",
    "clone_task",
    "feature_flags",
    "feature_flags_transform",
    "node_arch_for",
    "openshift_pruner",
    "pipeline",
    "pipeline_run",
    "pruner_config",
    "pruner_transform",
    "push_task",
    "release_url",
    "task_pods",
]
