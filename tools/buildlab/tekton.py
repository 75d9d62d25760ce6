"""The generated Tekton objects read as Tekton reads them, pure: variable substitution (the subset
the generated Tasks use, anything else an error), a step's args, a Task's parameters, the
Pipeline's DAG, and the node each task runs on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from components import arch
from tools.buildlab.lab import HOST_ARCH, LabError

REF = re.compile(r"\$\(([a-z]+)\.([^)]*)\)")
SUPPORTED = (
    "$(params.NAME) of a string parameter, $(params.NAME[*]) as a whole element of a step's args, "
    "$(workspaces.NAME.path) (empty for an unbound optional workspace), $(workspaces.NAME.bound) and "
    "$(context.pipelineRun.name)"
)
RUN_NAME = "multiarch-build-lab"  # the lab's PipelineRun name, for $(context.pipelineRun.name)
TEKTON_CONTEXTS = ("params", "workspaces", "context", "results", "steps", "tasks")


@dataclass(frozen=True)
class Workspace:
    path: str | None  # None: not bound


def substitute(text: str, params: Mapping[str, str | list[str]], workspaces: Mapping[str, Workspace]) -> str:
    """Tekton's variable substitution, the subset the generated Tasks use (SUPPORTED): any other
    Tekton reference is an error; `$(...)` that is not Tekton's (a shell command substitution
    such as `$(uname -m)`) is left as it is."""

    def one(m: re.Match[str]) -> str:
        context, rest = m[1], m[2]
        if context not in TEKTON_CONTEXTS:
            return m[0]
        if context == "params" and rest in params and isinstance(params[rest], str):
            return str(params[rest])
        if context == "context" and rest == "pipelineRun.name":
            return RUN_NAME
        if context == "workspaces":
            name, _, what = rest.rpartition(".")
            if name in workspaces and what == "bound":
                return "true" if workspaces[name].path is not None else "false"
            if name in workspaces and what == "path":
                return workspaces[name].path or ""  # an optional workspace left unbound: empty, as Tekton does
        raise LabError(f"unsupported Tekton substitution {m[0]!r}; the lab does {SUPPORTED}")

    return REF.sub(one, text)


def expand_args(
    args: Sequence[str], params: Mapping[str, str | list[str]], workspaces: Mapping[str, Workspace]
) -> list[str]:
    """A step's `args`: `$(params.NAME[*])` as a whole element expands to the array's items."""
    out: list[str] = []
    for arg in args:
        whole = re.fullmatch(r"\$\(params\.([^)\[]+)\[\*\]\)", arg)
        if whole and isinstance(params.get(whole[1]), list):
            out += list(params[whole[1]])
        else:
            out.append(substitute(arg, params, workspaces))
    return out


def task_params(task: Mapping[str, Any], given: Mapping[str, str | list[str]]) -> dict[str, str | list[str]]:
    out: dict[str, str | list[str]] = {}
    for p in task.get("params") or []:
        if p["name"] in given:
            out[p["name"]] = given[p["name"]]
        elif "default" in p:
            out[p["name"]] = p["default"]
        else:
            raise LabError(f"parameter {p['name']!r} has no value and no default")
    return out


def dag(pipeline: Mapping[str, Any]) -> list[list[dict[str, Any]]]:
    """The Pipeline's tasks in levels: each level runs at once, after the previous one; its
    `finally` tasks last, all at once (Tekton runs them whatever the outcome)."""
    tasks = {t["name"]: t for t in pipeline["tasks"]}
    done: set[str] = set()
    levels = []
    while len(done) < len(tasks):
        ready = [t for n, t in tasks.items() if n not in done and set(t.get("runAfter") or []) <= done]
        if not ready:
            raise LabError(f"the Pipeline's runAfter has a cycle among {sorted(set(tasks) - done)}")
        levels.append(ready)
        done |= {t["name"] for t in ready}
    if pipeline.get("finally"):
        levels.append(list(pipeline["finally"]))
    return levels


def task_nodes(run: Mapping[str, Any], tasks: Sequence[str]) -> dict[str, str]:
    """Each pipeline task's node arch, from the PipelineRun's taskRunSpecs (unpinned: any node,
    here this machine's arch)."""
    pinned = {
        s["pipelineTaskName"]: ((s.get("podTemplate") or {}).get("nodeSelector") or {}).get(arch.ARCH_LABEL)
        for s in (run.get("spec") or {}).get("taskRunSpecs") or []
    }
    return {t: pinned.get(t) or HOST_ARCH for t in tasks}
