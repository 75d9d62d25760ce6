"""Build lab: run the stacks' generated build paths for real on this machine, and prove the results.

One lab run (`lab_run`, documented in `tools/buildlab/__init__.py`): the stacks planned and the
build paths each has chosen (`choose`), the machine set up, those paths run and proven, the
machine left as found, the summary written; and the command line of `python -m tools.buildlab`.
A caller may run more on the same machine while it is set up (`consumers`: the tests' consumer
projects), with a second registry, one behind a login.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import platform
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools import plan, stackfile
from tools.buildlab.gitlab import gitlab_path
from tools.buildlab.lab import FOREIGN, HOST_ARCH, LabError
from tools.buildlab.machine import Env, base_images, binfmt_ready, missing_tools, qemu_registered, sample_project
from tools.buildlab.paths import GitLabStack, StackPaths, stack_paths, tekton_path
from tools.buildlab.registry import registry
from tools.buildlab.report import report

DEFAULT_STACKS = ("dev", "openshift-dev")


def choose(stacks: Sequence[str]) -> list[StackPaths]:
    """Each stack (a name or a stack file's path, as `tools.plan` takes them) planned, with the build
    paths it has: Tekton (`multiarch:pipelines`), GitLab (`multiarch:gitlabRunner`) or both. A stack
    with neither, or two stacks of one name, is an error (exit 2) before the machine is touched."""
    paths = [stack_paths(s) for s in stacks]
    names = [p.stack for p in paths]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise LabError(f"two stacks named {', '.join(twice)}: the lab names its runs by stack", exit_code=2)
    neither = [p.stack for p in paths if p.pipeline is None and p.gitlab is None]
    if neither:
        raise LabError(
            f"{', '.join(neither)}: no build path to run (neither multiarch:pipelines nor multiarch:gitlabRunner)",
            exit_code=2,
        )
    return paths


def path_names(p: StackPaths) -> list[str]:
    return [name for name, on in (("tekton", p.pipeline is not None), ("gitlab", p.gitlab is not None)) if on]


@dataclass
class LabContext:
    """The set-up machine, for what a caller runs on it: the nodes and the lab registry (`env`), the
    two-arch base image, each stack's GitLab side, and a second registry behind a login."""

    env: Env
    lab: Path
    base: str
    stacks: dict[str, GitLabStack]
    login_registry: str
    login: tuple[str, str]
    log: list[str]


def lab_run(
    stacks: Sequence[str],
    out: Path,
    say: Callable[[str], None],
    consumers: Callable[[LabContext], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    paths = choose(stacks)
    missing = missing_tools()
    if missing:
        raise LabError(f"missing: {', '.join(missing)}; run `make buildlab-deps` (Debian, as root)", exit_code=2)
    log = [
        f"plan: {p.stack}: "
        + "; ".join(
            ([f"Pipeline tasks {[t['name'] for t in p.pipeline['tasks']]}"] if p.pipeline is not None else [])
            + (["the GitLab CI/CD component"] if p.gitlab is not None else [])
        )
        for p in paths
    ]
    log.append("steps and jobs run on this machine's buildah and git, not in the step and job images")
    summary: dict[str, Any] = {"stacks": [p.stack for p in paths], "machine": " ".join(platform.uname())}
    summary["paths"] = {p.stack: path_names(p) for p in paths}
    summary["host"] = HOST_ARCH
    summary["date"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    readiness: dict[str, Any] = {}

    def probe(moment: str) -> None:
        ready, said = binfmt_ready([FOREIGN])
        readiness[moment] = {"ready": ready, "said": said}
        log.append(f"binfmt readiness ({moment}): {'Ready' if ready else 'not Ready'}: {said}")

    with tempfile.TemporaryDirectory(prefix="multiarch-buildlab-") as tmp:
        lab = Path(tmp)
        login = ("lab-robot", secrets.token_urlsafe(18))
        with contextlib.ExitStack() as stack:
            stack.enter_context(qemu_registered(FOREIGN, log, probe))
            env = Env(lab, stack.enter_context(registry(lab, log)))
            base = base_images(env)
            repo = sample_project(lab, base)
            # GitLab first: its cold jobs, each alone, give native against emulated; then the Tekton path.
            gitlab = [p.gitlab for p in paths if p.gitlab is not None]
            summary["gitlab"] = gitlab_path(env, lab, repo, gitlab, log) if gitlab else {}
            tekton = [p for p in paths if p.pipeline is not None]
            summary["tekton"] = tekton_path(env, tekton, repo, log) if tekton else {}
            if consumers is not None:
                other = stack.enter_context(registry(lab, log, login))
                context = LabContext(env, lab, base, {g.stack: g for g in gitlab}, other, login, log)
                summary["consumers"] = consumers(context)
            summary["steps"] = env.runs
        summary["binfmtReadiness"] = readiness
        summary["log"] = log
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    for line in log:
        say(line)
    for line in report(summary):
        say(line)
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.buildlab", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "stacks", nargs="*", default=list(DEFAULT_STACKS), metavar="STACK", help="a stack name or a stack file's path"
    )
    parser.add_argument("--out", type=Path, default=stackfile.ROOT / "build" / "buildlab")
    args = parser.parse_args(argv)
    try:
        lab_run(args.stacks, args.out, print)
    except LabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except subprocess.CalledProcessError as exc:
        print(f"error: {' '.join(map(str, exc.cmd))} failed (exit {exc.returncode})", file=sys.stderr)
        return 1
    except plan.PlanError as exc:
        print("\n".join(exc.lines), file=sys.stderr)
        return exc.exit_code
    return 0
