"""The consumer projects that build (`tests/consumers/`), run in the build lab: each pipeline's
component jobs on the nodes dev's runner routes them to, against the lab's registries (the
project's GitLab registry, and a Harbor-like one behind a login), then what a team would look
at: the pipeline's result, the images and tags in each registry, what was not pushed, the logs.
`run` is what `tests/program/test_buildlab.py` gives the lab (`lab_run(consumers=...)`)."""

from __future__ import annotations

import concurrent.futures
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import ROOT
from tools import buildlab, gitlabci
from tools.buildlab.machine import git
from tools.buildlab.registry import Registry, platforms

CONSUMERS = ROOT / "tests" / "consumers"
# A secret that must never reach a log (the build secret), and the registry login's password.
NPM_TOKEN = "npm_lab_Secret_0451"


class Scenario:
    """One consumer project in the lab: its files with the lab's addresses, dev's component (or
    another, `MULTIARCH_CONSUMER_COMPONENTS`), its own GitLab project path."""

    def __init__(self, ctx: buildlab.LabContext, scenario: str, project: str, **inputs: Any) -> None:
        self.ctx, self.project = ctx, project
        other = os.environ.get("MULTIARCH_CONSUMER_COMPONENTS")
        component = (Path(other) / "dev.yml").read_text() if other else ctx.stacks["dev"].component
        self.p = gitlabci.Project.copy(
            CONSUMERS / scenario,
            ctx.lab / "consumers" / project,
            {f"templates/{gitlabci.COMPONENT}.yml": component},
            {"@BASE@": ctx.base, "@HARBOR@": ctx.login_registry},
            remote=f"https://gitlab.example.com/group/{project}.git",
        )
        if inputs:
            path = self.p.root / ".gitlab-ci.yml"
            pipeline = yaml.safe_load(path.read_text())
            pipeline["include"][0].setdefault("inputs", {}).update(inputs)
            path.write_text(yaml.safe_dump(pipeline, sort_keys=False))
            self.p.commit("the lab's change")
        self.sha = git(self.p.root, "rev-parse", "HEAD")
        self.short = self.sha[:8]  # gitlab-ci-local's CI_COMMIT_SHORT_SHA
        registry = ctx.env.registry
        self.image = f"{registry}/group/{project}"
        self.variables = {
            "CI_REGISTRY": registry,
            "CI_REGISTRY_USER": "gitlab-ci-token",
            "CI_REGISTRY_PASSWORD": "lab-job-token",
            "CI_REGISTRY_IMAGE": self.image,
        }

    def run(self, kind: str = "default-branch", **options: Any) -> dict[str, Any]:
        variables, unset = gitlabci.pipeline_source(kind)
        variables = {**self.variables, **variables, **options.pop("variables", {})}
        jobs = buildlab.component_jobs(
            self.ctx.env, self.p, self.ctx.stacks["dev"].kubernetes, variables, self.ctx.log, self.project,
            unset=unset, **options,
        )  # fmt: skip
        return {"jobs": jobs, "passed": buildlab.passed(jobs) and bool(jobs), "sha": self.sha, "short": self.short}

    def registry(self) -> Registry:
        return self.ctx.env.client()

    def repositories(self, registry: Registry | None = None) -> dict[str, list[str]]:
        """This project's repositories in a registry (the GitLab one by default), with their tags."""
        registry = registry or self.registry()
        prefix = f"group/{self.project}"
        return {r: registry.tags(r) for r in registry.repositories() if r == prefix or r.startswith(prefix + "/")}


def _said(run: Mapping[str, Any]) -> dict[str, list[str]]:
    return {job: [x for x in r["output"] if x.startswith("multiarch:")] for job, r in run["jobs"].items()}


def plain(ctx: buildlab.LabContext) -> dict[str, Any]:
    """Defect 8: the index a deploy of $CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA pulls."""
    s = Scenario(ctx, "plain", "plain")
    run = s.run()
    return {**run, "deployed": platforms(s.registry(), f"{s.image}:{s.short}"), "repositories": s.repositories()}


def two_images(ctx: buildlab.LabContext) -> dict[str, Any]:
    """Defects 1, 5 and 13: two includes, both indexes complete; the worker, FROM scratch, built
    for amd64 first and then for arm64 (a shared cache would hand arm64 the amd64 layer); both
    manifest jobs on one node whose storage persists."""
    s = Scenario(ctx, "two-images", "two-images")
    run = s.run(by_arch=True, shared_node="two-images-manifests")
    indexes = {name: platforms(s.registry(), f"{s.image}/{name}:{s.short}") for name in ("api", "worker")}
    return {**run, "indexes": indexes, "repositories": s.repositories(), "said": _said(run)}


def other_registry(ctx: buildlab.LabContext) -> dict[str, Any]:
    """Defects 7 and 9: Harbor by variable names, a subdirectory Containerfile, build args, a
    build secret, a target, a tag scheme, latest on the default branch, labels."""
    s = Scenario(ctx, "other-registry", "other-registry")
    harbor = {
        "HARBOR_HOST": ctx.login_registry,
        "HARBOR_USER": ctx.login[0],
        "HARBOR_PASSWORD": ctx.login[1],
        "NPM_TOKEN": NPM_TOKEN,
    }
    run = s.run(variables=harbor)
    client = ctx.env.client(ctx.login_registry, ctx.login)
    image = f"{ctx.login_registry}/team/web"
    tags = {tag: platforms(client, f"{image}:{tag}") for tag in (f"main-{s.short}", "latest")}
    logs = "\n".join(line for r in run["jobs"].values() for line in r["output"])
    return {
        **run,
        "tags": tags,
        "harbor": {r: client.tags(r) for r in client.repositories()},
        "gitlab": s.repositories(),
        "leaked": [name for name in ("HARBOR_PASSWORD", "NPM_TOKEN") if harbor[name] in logs],
        "image": image,
    }


def sources_tag(ctx: buildlab.LabContext) -> dict[str, Any]:
    """Defect 4: a tag pipeline pushes the git tag too (and no latest: not the default branch)."""
    s = Scenario(ctx, "pipeline-sources", "sources-tag")
    return {**s.run("tag"), "repositories": s.repositories()}


def sources_mr(ctx: buildlab.LabContext) -> dict[str, Any]:
    """Defect 4: a merge request pipeline builds and checks both arches and pushes nothing, the
    layer cache included."""
    s = Scenario(ctx, "pipeline-sources", "sources-mr")
    run = s.run("merge-request")
    return {**run, "repositories": s.repositories(), "said": _said(run)}


def sources_off(ctx: buildlab.LabContext) -> dict[str, Any]:
    """Defect 4: push: false builds and checks, and pushes nothing, the layer cache included."""
    s = Scenario(ctx, "pipeline-sources", "sources-off", push=False, arches=["amd64"])  # one build is enough
    run = s.run()
    return {**run, "repositories": s.repositories(), "said": _said(run)}


def team_overrides(ctx: buildlab.LabContext) -> dict[str, Any]:
    """Defect 3: the team's tests fixed, its arm64 build fails and is allowed to: the manifest job
    fails, nothing is published, the pipeline is red."""
    s = Scenario(ctx, "team-overrides", "team")
    run = s.run()
    return {**run, "repositories": s.repositories(), "said": _said(run)}


def cache_refused(ctx: buildlab.LabContext) -> dict[str, Any]:
    """Defect 13: a layer cache the job may not write (a registry it has no login to) is a warning."""
    cache = f"{ctx.login_registry}/nowhere/cache"
    s = Scenario(ctx, "plain", "plain-cache", **{"cache-repository": cache, "arches": ["amd64"]})
    run = s.run()
    return {**run, "deployed": platforms(s.registry(), f"{s.image}:{s.short}"), "said": _said(run)}


SCENARIOS = {
    "plain": plain,
    "two-images": two_images,
    "other-registry": other_registry,
    "sources-tag": sources_tag,
    "sources-merge-request": sources_mr,
    "sources-push-false": sources_off,
    "team-overrides": team_overrides,
    "cache-refused": cache_refused,
}


def run(ctx: buildlab.LabContext) -> dict[str, Any]:
    """Every scenario at once (each its own projects and repositories): their jobs wait on the
    registries and gitlab-ci-local's start more than on the CPU."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(SCENARIOS)) as pool:
        futures = {name: pool.submit(f, ctx) for name, f in SCENARIOS.items()}
        return {name: future.result() for name, future in futures.items()}
