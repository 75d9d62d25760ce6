"""What the lab takes from each stack's plan (`stack_paths`: its Tekton objects and run template,
its CI/CD component and its runner's routing), and the Tekton path run for real on the lab's
nodes: the Pipeline's Tasks in DAG order, each step's script as generated, each task on the node
its run template pins. The GitLab path is `gitlab`.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from components import arch, names
from tools import plan
from tools.buildlab.machine import Env
from tools.buildlab.registry import verify
from tools.buildlab.routing import runner_config
from tools.buildlab.tekton import Workspace, dag, expand_args, substitute, task_nodes, task_params


@dataclass
class GitLabStack:
    """A stack's GitLab path: its component and its runner's routing."""

    stack: str
    component: str
    kubernetes: dict[str, Any]  # the runner's [runners.kubernetes]


@dataclass
class StackPaths:
    """What the lab takes from a stack's plan: its Tekton objects and run template (None: no
    pipelines), its GitLab side (None: no runner). `stack` is the stack's name, also when it was
    given as a stack file's path."""

    stack: str
    tasks: dict[str, dict[str, Any]]
    pipeline: dict[str, Any] | None
    run: dict[str, Any] | None
    gitlab: GitLabStack | None


def stack_paths(stack: str) -> StackPaths:
    """A stack's build paths, from its offline plan: `stack` a name or a stack file's path."""
    planned = plan.make(stack, policies=False)
    rec = planned.recording
    name = planned.stack.name
    tasks = {
        r.plain_inputs["metadata"]["name"]: r.plain_inputs["spec"] for r in rec.by_type("kubernetes:tekton.dev/v1:Task")
    }
    pipelines = [r.plain_inputs["spec"] for r in rec.by_type("kubernetes:tekton.dev/v1:Pipeline")]
    templates = [
        r.plain_inputs["data"][names.PIPELINE_RUN_TEMPLATE_KEY]
        for r in rec.by_type("kubernetes:core/v1:ConfigMap")
        if r.plain_inputs["metadata"]["name"] == names.PIPELINE_RUN_TEMPLATE
    ]
    gitlab = None
    component = rec.outputs.get("gitlabCiTemplate")
    if isinstance(component, str):
        release = next(
            r for r in rec.by_type("kubernetes:helm.sh/v3:Release") if r.plain_inputs["chart"] == "gitlab-runner"
        )
        gitlab = GitLabStack(name, component, runner_config(release.plain_inputs["values"]))
    pipeline = pipelines[0] if pipelines else None
    run = yaml.safe_load(templates[0]) if templates else None
    return StackPaths(name, tasks, pipeline, run, gitlab)


# --- the Tekton path ------------------------------------------------------------------------------


def run_task(
    env: Env,
    ptask: Mapping[str, Any],
    task: Mapping[str, Any],
    pipeline_params: Mapping[str, Any],
    shared: Mapping[str, Path],
    node_arch: str,
) -> float:
    given: dict[str, str | list[str]] = {}
    for p in ptask.get("params") or []:
        value = p["value"]
        given[p["name"]] = (
            [substitute(v, pipeline_params, {}) for v in value]
            if isinstance(value, list)
            else substitute(value, pipeline_params, {})
        )
    params = task_params(task, given)
    bound = {w["name"]: w["workspace"] for w in ptask.get("workspaces") or []}
    workspaces = {
        w["name"]: Workspace(str(shared[bound[w["name"]]]) if bound.get(w["name"]) in shared else None)
        for w in task.get("workspaces") or []
    }
    seconds = 0.0
    node = None
    for step in task["steps"]:
        name = f"tekton-{ptask['name']}-{step['name']}"
        script = env.lab / "steps" / f"{name}-{env._count}.sh"
        script.parent.mkdir(parents=True, exist_ok=True)
        script.write_text(substitute(step["script"], params, workspaces))
        script.chmod(0o755)
        args = expand_args(step.get("args") or [], params, workspaces)
        cwd = Path(substitute(step["workingDir"], params, workspaces)) if "workingDir" in step else None
        extra = {e["name"]: substitute(e["value"], params, workspaces) for e in step.get("env") or []}
        node = node or env.node(node_arch, ptask["name"])  # one pod: its steps share the node
        seconds += env.run(name, [str(script), *args], {**node, **extra}, cwd)
    return seconds


def run_pipeline(
    env: Env,
    objects: Mapping[str, Mapping[str, Any]],
    pipeline: Mapping[str, Any],
    pipeline_params: Mapping[str, Any],
    nodes: Mapping[str, str],
    log: list[str],
) -> tuple[dict[str, float], dict[str, list[str]]]:
    """Each task's seconds, and what each workspace holds once the run (its `finally` included) is done."""
    shared = {
        w["name"]: env.lab / "workspaces" / f"{env._count}-{w['name']}"
        for w in pipeline.get("workspaces") or []
        if not w.get("optional")
    }
    for path in shared.values():
        path.mkdir(parents=True)
    timings: dict[str, float] = {}
    for level in dag(pipeline):
        log.append(
            "tekton: "
            + ", ".join(f"{t['name']} on {nodes[t['name']]}" for t in level)
            + (" (at once)" if len(level) > 1 else "")
        )
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(level)) as pool:
            futures = {
                t["name"]: pool.submit(
                    run_task, env, t, objects[t["taskRef"]["name"]], pipeline_params, shared, nodes[t["name"]]
                )
                for t in level
            }
            for name, future in futures.items():
                timings[name] = future.result()
    return timings, {name: sorted(p.name for p in path.iterdir()) for name, path in shared.items()}


def tekton_path(env: Env, paths: Sequence[StackPaths], repo: Path, log: list[str]) -> dict[str, Any]:
    """Every stack's Pipeline run, each task on its pinned node, with the GitLab path's per-arch caches."""
    out: dict[str, Any] = {}
    for p in paths:
        assert p.pipeline is not None and p.run is not None, f"{p.stack} has no pipelines"  # command.py's choice
        image = f"{env.registry}/lab/tekton-{p.stack}:latest"
        params = {
            "git-url": f"file://{repo}",
            "git-revision": "main",
            "image": image,
            "context-dir": ".",
            "containerfile-path": "Containerfile",
            "cache-repository": f"{env.registry}/group/myapp/cache",  # the GitLab path's: cache-<arch>
        }
        nodes = task_nodes(p.run, [t["name"] for t in [*p.pipeline["tasks"], *p.pipeline.get("finally", [])]])
        timings, left = run_pipeline(env, p.tasks, p.pipeline, params, nodes, log)
        checks = verify(env.client(), image)
        native = {a: timings[f"build-{a}"] for a in arch.ARCHES}
        out[p.stack] = {"nodes": nodes, "timings": timings, "build": native, "checks": checks, "workspacesAfter": left}
    return out
