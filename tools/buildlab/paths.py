"""The two build paths a stack's plan declares, run for real on the lab's nodes: the Tekton path
(the Pipeline's Tasks in DAG order, each step's script as generated, each task on the node its
run template pins) and the GitLab path (the CI/CD component included by a sample consumer, its
jobs run by gitlab-ci-local on the node the runner routes each to: cold, warm, every stack, and
a job the runner does not route).
"""

from __future__ import annotations

import concurrent.futures
import re
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from components import arch, buildscript, names, runner
from tools import gitlabci, plan
from tools.buildlab.lab import FOREIGN, HOST_ARCH, STEP_IMAGE_ENV, LabError
from tools.buildlab.machine import Env, git
from tools.buildlab.registry import verify
from tools.buildlab.report import cpu_seconds, job_seconds
from tools.buildlab.routing import job_node, runner_config
from tools.buildlab.tekton import Workspace, dag, expand_args, substitute, task_nodes, task_params


@dataclass
class GitLabStack:
    """A stack's GitLab path: its component and its runner's routing."""

    stack: str
    component: str
    kubernetes: dict[str, Any]  # the runner's [runners.kubernetes]
    expanded: tuple[dict[str, Any], list[str]] | None = None  # gitlab-ci-local's preview and its jobs


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
    """Every stack's Pipeline run, each task on its pinned node, with the GitLab path's layer cache."""
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
            "cache-repository": f"{env.registry}/group/myapp/myapp/cache",  # the GitLab path's
        }
        nodes = task_nodes(p.run, [t["name"] for t in [*p.pipeline["tasks"], *p.pipeline.get("finally", [])]])
        timings, left = run_pipeline(env, p.tasks, p.pipeline, params, nodes, log)
        checks = verify(env.client(), image)
        native = {a: timings[f"build-{a}"] for a in arch.ARCHES}
        out[p.stack] = {"nodes": nodes, "timings": timings, "build": native, "checks": checks, "workspacesAfter": left}
    return out


# --- the GitLab path -------------------------------------------------------------------------------


def gitlab_project(lab: Path, repo: Path, stacks: Sequence[GitLabStack]) -> gitlabci.Project:
    """The sample project as a consumer of every stack's component: a pipeline that includes one
    stack's component at a time (`--file`), beside its own `default:`, variables and stages."""
    files = {
        "Containerfile": (repo / "Containerfile").read_text(),
        "app.txt": (repo / "app.txt").read_text(),
        **{f"templates/{s.stack}.yml": s.component for s in stacks},
    }
    for s in stacks:
        files[f"ci/{s.stack}.gitlab-ci.yml"] = yaml.safe_dump(consumer_pipeline(s.stack), sort_keys=False)
    first = stacks[0].stack
    return gitlabci.Project(lab / "gitlab", consumer_pipeline(first), files)


TAG = "${CI_COMMIT_SHORT_SHA}-ARCH-OS"


def consumer_pipeline(component: str) -> dict[str, Any]:
    """A consumer's pipeline: its own default (which must not reach the component's jobs), stages,
    variables, and the component included by `component:`, as a catalog user writes it."""
    return {
        "stages": ["test", "build"],
        "default": {"before_script": ["echo 'the consumer default ran here' && exit 3"]},
        "variables": {"CONSUMER_GLOBAL": "yes"},
        # A tag with ARCH and OS in it: per-arch references are built, never substituted into.
        "include": [gitlabci.include(component, {"dockerfile": "Containerfile", "image-tag": TAG})],
    }


def gitlab_pipeline(
    env: Env,
    project: gitlabci.Project,
    s: GitLabStack,
    variables: Mapping[str, str],
    log: list[str],
    route: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Run a stack's component jobs with gitlab-ci-local: every build job on the node the runner
    routes it to (`route`: another runner config), then the manifest job. Per job: exit code,
    seconds, node."""
    kubernetes = route if route is not None else s.kubernetes
    if s.expanded is None:  # the same for every pipeline of this stack's component: asked once
        s.expanded = (project.preview(), [j for j, d in project.jobs().items() if d["when"] != "never"])
    preview, jobs = s.expanded
    build_vars = {k: str(v) for k, v in (preview[runner.BUILD_JOB].get("variables") or {}).items()}
    manifest_vars = {k: str(v) for k, v in (preview[runner.MANIFEST_JOB].get("variables") or {}).items()}

    def one(job: str) -> dict[str, Any]:
        m = re.fullmatch(rf"{runner.BUILD_JOB}: \[(.+)\]", job)
        job_vars = {k: v.replace("${ARCH}", m[1]) for k, v in build_vars.items()} if m else manifest_vars
        node = job_node(job_vars, kubernetes)
        node_env = env.node(node, f"{s.stack}-{job}")
        lab_env = {k: node_env[k] for k in ("PATH", "HOME", "CONTAINERS_STORAGE_CONF", "REGISTRY_AUTH_FILE")}
        start = time.monotonic()
        result = project.run(job, {**variables, **lab_env, **STEP_IMAGE_ENV})
        seconds = job_seconds(job, result.output) or round(time.monotonic() - start, 2)
        env.log_run(f"gitlab-{s.stack}-{job}", result.exit_code, seconds, result.output)
        log.append(f"gitlab: {s.stack}: {job} on an {node} node: exit {result.exit_code} in {seconds:.1f} s")
        return {"exitCode": result.exit_code, "seconds": seconds, "node": node, "output": result.lines()}

    # The build jobs at once, as GitLab runs one stage's jobs; then the manifest job, which needs them.
    builds = [j for j in jobs if j != runner.MANIFEST_JOB]
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(builds) or 1) as pool:
        out: dict[str, Any] = dict(zip(builds, pool.map(one, builds), strict=True))
    if runner.MANIFEST_JOB in jobs and all(r["exitCode"] == 0 for r in out.values()):
        out[runner.MANIFEST_JOB] = one(runner.MANIFEST_JOB)
    return out


def gitlab_path(env: Env, lab: Path, repo: Path, stacks: Sequence[GitLabStack], log: list[str]) -> dict[str, Any]:
    """The first stack's component cold, then warm after a source change, then each other stack's;
    then a build job the runner does not route, which must fail and push nothing."""
    project = gitlab_project(lab, repo, stacks)
    variables = {
        "CI_REGISTRY": env.registry,
        "CI_REGISTRY_USER": "lab",
        "CI_REGISTRY_PASSWORD": "lab",
        "CI_REGISTRY_IMAGE": f"{env.registry}/group/myapp",
    }
    out: dict[str, Any] = {"runs": {}}

    def pipeline(label: str, s: GitLabStack, route: Mapping[str, Any] | None = None) -> dict[str, Any]:
        (project.root / ".gitlab-ci.yml").write_text((project.root / "ci" / f"{s.stack}.gitlab-ci.yml").read_text())
        git(project.root, "commit", "-qam", f"{label}: {s.stack}", "--allow-empty")
        tag = TAG.replace("${CI_COMMIT_SHORT_SHA}", git(project.root, "rev-parse", "--short=8", "HEAD"))
        jobs = gitlab_pipeline(env, project, s, variables, log, route)
        image = f"{env.registry}/group/myapp/myapp:{tag}"
        return {"stack": s.stack, "tag": tag, "image": image, "jobs": jobs}

    first = stacks[0]
    cold = pipeline("cold", first)
    out["runs"]["cold"] = cold
    _require_success(cold)
    cold["checks"] = verify(env.client(), cold["image"])
    (project.root / "app.txt").write_text("v2: one source file changed\n")
    warm = pipeline("warm", first)
    out["runs"]["warm"] = warm
    _require_success(warm)
    warm["checks"] = verify(env.client(), warm["image"])
    out["coldWarm"] = {
        a: {
            "cold": cold["jobs"][f"{runner.BUILD_JOB}: [{a}]"]["seconds"],
            "warm": warm["jobs"][f"{runner.BUILD_JOB}: [{a}]"]["seconds"],
            "cpu": cpu_seconds(cold["jobs"][f"{runner.BUILD_JOB}: [{a}]"]["output"]),
        }
        for a in arch.ARCHES
    }
    for t in out["coldWarm"].values():
        t["ratio"] = round(t["warm"] / t["cold"], 2)
    for s in stacks[1:]:
        other = pipeline("other stack", s)
        out["runs"][s.stack] = other
        _require_success(other)
        other["checks"] = verify(env.client(), other["image"])
    # A runner that does not route jobs (no node_selector_overwrite_allowed): the foreign arch's job
    # lands on this machine's arch.
    unrouted = {k: v for k, v in first.kubernetes.items() if k != "node_selector_overwrite_allowed"}
    wrong = pipeline("unrouted", first, route=unrouted)
    job = f"{runner.BUILD_JOB}: [{FOREIGN}]"
    ran = wrong["jobs"].get(job) or {}
    pushed = [
        ref
        for ref in (f"myapp-{FOREIGN}:{wrong['tag']}", f"myapp:{wrong['tag']}")
        if env.client().exists(f"{env.registry}/group/myapp/{ref}")
    ]
    out["wrongArch"] = {"job": job, **ran, "pushed": pushed, "tag": wrong["tag"]}
    if ran.get("exitCode") in (None, 0) or pushed:
        raise LabError(f"the {FOREIGN} job on an {HOST_ARCH} node did not fail, or pushed {pushed}: {ran}")
    out["wrongSlot"] = wrong_slot(env, f"{env.registry}/group/myapp/myapp-{HOST_ARCH}:{wrong['tag']}")
    return out


def wrong_slot(env: Env, image: str) -> dict[str, Any]:
    """The manifest step's own check, run with buildah: a `HOST_ARCH` image offered for the
    `FOREIGN` slot (what a build that ran elsewhere, unchecked, would have pushed) is refused."""
    script = "\n".join(
        [
            f"buildah manifest create {runner.MANIFEST_LIST}",
            f'buildah manifest add {runner.MANIFEST_LIST} "docker://$ref"',
            buildscript.slot_check(runner.MANIFEST_LIST),
        ]
    )
    e = env.node(HOST_ARCH, "wrong-slot", {"slot": FOREIGN, "ref": image})
    proc = subprocess.run(["sh", "-c", script], env=e, capture_output=True, text=True, check=False)
    said = [line for line in proc.stderr.splitlines() if line.startswith("multiarch:")]
    env.log_run("wrong-slot", proc.returncode, 0.0, proc.stdout + proc.stderr)
    if proc.returncode == 0 or not said:
        raise LabError(f"a {HOST_ARCH} image in the {FOREIGN} slot was not refused: {proc.stderr[-500:]}")
    return {"slot": FOREIGN, "image": image, "exitCode": proc.returncode, "said": said[0]}


def _require_success(run: Mapping[str, Any]) -> None:
    failed = [(job, r) for job, r in run["jobs"].items() if r["exitCode"] != 0]
    if failed:
        job, r = failed[0]
        raise LabError(f"gitlab: {run['stack']}: {job} failed (exit {r['exitCode']}): {' | '.join(r['output'][-5:])}")
