"""The GitLab path, run for real: a consumer pipeline's CI/CD component jobs run by gitlab-ci-local's
shell executor, each on the node the stack's runner routes it to (`component_jobs`, for any
consumer project and kind of pipeline), and the stacks' own: the sample project cold, warm after
a source change, with each other stack's component, and a build job the runner does not route.
"""

from __future__ import annotations

import concurrent.futures
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from components import arch, buildscript, runner
from tools import gitlabci
from tools.buildlab.lab import FOREIGN, HOST_ARCH, STEP_IMAGE_ENV, LabError
from tools.buildlab.machine import Env, git
from tools.buildlab.paths import GitLabStack
from tools.buildlab.registry import verify
from tools.buildlab.report import cpu_seconds, job_seconds
from tools.buildlab.routing import job_node

Expanded = tuple[dict[str, Any], dict[str, dict[str, Any]]]  # gitlab-ci-local's preview and job list


def expand(project: gitlabci.Project, variables: Mapping[str, str], unset: Sequence[str] = ()) -> Expanded:
    """The pipeline as gitlab-ci-local creates it: its preview (each job's variables) and its jobs
    (each one's `when`, `needs`, `allow_failure`)."""
    return project.preview(variables, unset), project.jobs(variables, unset)


def _allowed_to_fail(job: Mapping[str, Any]) -> bool:
    allow = job.get("allow_failure")
    return bool(allow) if not isinstance(allow, dict) else True


def component_jobs(
    env: Env,
    project: gitlabci.Project,
    kubernetes: Mapping[str, Any],
    variables: Mapping[str, str],
    log: list[str],
    label: str,
    *,
    unset: Sequence[str] = (),
    expanded: Expanded | None = None,
    by_arch: bool = False,
    shared_node: str | None = None,
) -> dict[str, Any]:
    """Run the component's jobs of one pipeline (those the runner routes: they set
    `KUBERNETES_NODE_SELECTOR_ARCH`) as GitLab would: every build job the pipeline has at once
    (`by_arch`: each arch's builds after the arch before it's), then each job that needs them once
    every needed job present succeeded or failed as allowed. `shared_node`: the jobs that need
    others run on one node of that name, one after the other (persistent storage). Per job: exit
    code, seconds, node, output, allowed to fail."""
    preview, listed = expanded or expand(project, variables, unset)
    given = {name: {k: str(v) for k, v in (preview.get(name, {}).get("variables") or {}).items()} for name in listed}
    routed = {
        name: given[name]
        for name, job in listed.items()
        if job["when"] == "on_success" and "KUBERNETES_NODE_SELECTOR_ARCH" in given[name]
    }
    needs = {name: [n["job"] for n in listed[name].get("needs") or [] if n["job"] in listed] for name in routed}
    builds = [name for name in routed if not any(n in routed for n in needs[name])]
    later = [name for name in routed if name not in builds]
    unseen = [name for name, job in listed.items() if job["when"] == "on_success" and name not in preview]
    if unseen:
        raise LabError(f"gitlab: {label}: {', '.join(unseen)} listed but not in the pipeline's preview")
    log.append(f"gitlab: {label}: the pipeline's component jobs: {', '.join(routed)} (left out: "
               f"{', '.join(n for n, j in listed.items() if j['when'] == 'never') or 'none'})")  # fmt: skip

    def one(job: str, node_name: str | None = None) -> dict[str, Any]:
        node = job_node(routed[job], kubernetes)
        node_env = env.node(node, node_name or f"{label}-{job}", persist=node_name is not None)
        lab_env = {k: node_env[k] for k in ("PATH", "HOME", "CONTAINERS_STORAGE_CONF", "REGISTRY_AUTH_FILE")}
        start = time.monotonic()
        result = project.run(job, {**variables, **lab_env, **STEP_IMAGE_ENV}, unset=unset, validated=True)
        seconds = job_seconds(job, result.output) or round(time.monotonic() - start, 2)
        env.log_run(f"gitlab-{label}-{job}", result.exit_code, seconds, result.output)
        log.append(f"gitlab: {label}: {job} on an {node} node: exit {result.exit_code} in {seconds:.1f} s")
        return {
            "exitCode": result.exit_code,
            "seconds": seconds,
            "node": node,
            "output": result.lines(),
            "allowedToFail": _allowed_to_fail(listed[job]),
        }

    waves = [[b for b in builds if routed[b].get("ARCH") == a] for a in arch.ARCHES] if by_arch else [builds]
    waves += [[b for b in builds if b not in {x for w in waves for x in w}]]
    out: dict[str, Any] = {}
    for wave in (w for w in waves if w):
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(wave)) as pool:
            out.update(zip(wave, pool.map(one, wave), strict=True))
    for job in later:
        ran = [out[n] for n in needs[job] if n in out]
        if all(r["exitCode"] == 0 or r["allowedToFail"] for r in ran):
            out[job] = one(job, shared_node)
    return out


def passed(jobs: Mapping[str, Mapping[str, Any]]) -> bool:
    """The pipeline's result: every job succeeded or failed as allowed."""
    return all(r["exitCode"] == 0 or r["allowedToFail"] for r in jobs.values())


# --- the stacks' own GitLab path ------------------------------------------------------------------


def gitlab_project(lab: Path, repo: Path, stacks: Sequence[GitLabStack]) -> gitlabci.Project:
    """The sample project as a consumer of every stack's component: a pipeline that includes one
    stack's component at a time, beside its own `default:`, variables and stages."""
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
        "include": [gitlabci.include(component, {"dockerfile": "Containerfile", "image-tag": TAG, "stage": "build"})],
    }


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
    build: dict[str, str] = {a: runner.build_job(a) for a in arch.ARCHES}

    expanded: dict[str, Expanded] = {}  # per stack: the same pipeline file, the same jobs (asked once)

    def pipeline(label: str, s: GitLabStack, route: Mapping[str, Any] | None = None) -> dict[str, Any]:
        (project.root / ".gitlab-ci.yml").write_text((project.root / "ci" / f"{s.stack}.gitlab-ci.yml").read_text())
        git(project.root, "commit", "-qam", f"{label}: {s.stack}", "--allow-empty")
        tag = TAG.replace("${CI_COMMIT_SHORT_SHA}", git(project.root, "rev-parse", "--short=8", "HEAD"))
        if s.stack not in expanded:
            expanded[s.stack] = expand(project, variables)
        kubernetes = route if route is not None else s.kubernetes
        jobs = component_jobs(env, project, kubernetes, variables, log, s.stack, expanded=expanded[s.stack])
        image = f"{env.registry}/group/myapp:{tag}"
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
            "cold": cold["jobs"][build[a]]["seconds"],
            "warm": warm["jobs"][build[a]]["seconds"],
            "cpu": cpu_seconds(cold["jobs"][build[a]]["output"]),
        }
        for a in arch.ARCHES
    }
    for t in out["coldWarm"].values():
        t["ratio"] = round(t["warm"] / t["cold"], 2)
    out["caches"] = {r: env.client().tags(r) for r in env.client().repositories() if "/cache-" in r}
    for s in stacks[1:]:
        other = pipeline("other stack", s)
        out["runs"][s.stack] = other
        _require_success(other)
        other["checks"] = verify(env.client(), other["image"])
    # A runner that does not route jobs (no node_selector_overwrite_allowed): the foreign arch's job
    # lands on this machine's arch.
    unrouted = {k: v for k, v in first.kubernetes.items() if k != "node_selector_overwrite_allowed"}
    wrong = pipeline("unrouted", first, route=unrouted)
    job = build[FOREIGN]
    ran = wrong["jobs"].get(job) or {}
    pushed = [
        ref
        for ref in (f"myapp:{wrong['tag']}-{FOREIGN}", f"myapp:{wrong['tag']}")
        if env.client().exists(f"{env.registry}/group/{ref}")
    ]
    out["wrongArch"] = {"job": job, **ran, "pushed": pushed, "tag": wrong["tag"]}
    if ran.get("exitCode") in (None, 0) or pushed:
        raise LabError(f"the {FOREIGN} job on an {HOST_ARCH} node did not fail, or pushed {pushed}: {ran}")
    out["wrongSlot"] = wrong_slot(env, f"{env.registry}/group/myapp:{wrong['tag']}-{HOST_ARCH}")
    return out


def wrong_slot(env: Env, image: str) -> dict[str, Any]:
    """The manifest step's own check, run with buildah: a `HOST_ARCH` image offered for the
    `FOREIGN` slot (what a build that ran elsewhere, unchecked, would have pushed) is refused."""
    script = "\n".join(
        [
            "buildah manifest create lab-list",
            'buildah manifest add lab-list "docker://$ref"',
            buildscript.slot_check("lab-list"),
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
    if failed or not run["jobs"]:
        job, r = failed[0] if failed else ("(no job)", {"exitCode": None, "output": []})
        raise LabError(f"gitlab: {run['stack']}: {job} failed (exit {r['exitCode']}): {' | '.join(r['output'][-5:])}")
