"""What runs in the cluster: the pipeline engine, qemu, and the GitLab runner."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlparse

from pydantic import (
    Field,
    field_validator,
)
from pydantic.alias_generators import to_camel

from .. import arch, limits, names, versions
from ..catalog import lifecycle
from .base import PROJECT, DnsLabel, Platform, _Context, _Model, _no_numbers
from .durations import JobTimeout, RunTimeout

if TYPE_CHECKING:
    from .cluster import Cluster
    from .pools import NodePool

PipelinesFlavor = Literal["tekton", "openshift-pipelines"]


class Retention(_Model):
    """How long finished PipelineRuns (and their workspaces, their TaskRuns and pods) are kept: the
    Tekton Pruner on eks/gke, the TektonConfig pruner on openshift. Per namespace and per status,
    as the pruner counts them; a finished run older than `ttl` goes whatever the counts."""

    successful_runs: int = Field(default=20, ge=0)  # the newest successful runs kept (historyLimit per status)
    failed_runs: int = Field(default=20, ge=0)  # the newest failed runs kept: what someone debugs
    ttl: str | None = Field(default="168h", pattern=r"^([0-9]+(h|m|s))+$")  # after the run finishes; None: counts only


class Pipelines(_Model):
    """The pipeline engine and the multi-arch build pipeline."""

    enabled: bool = True
    flavor: PipelinesFlavor | None = None  # default: tekton on eks/gke, openshift-pipelines on openshift
    version: str = versions.TEKTON_DEFAULT_VERSION  # upstream Tekton release tag
    unlisted_version: bool = False  # a Tekton release newer than components/catalog/lifecycle.py
    channel: str = versions.OPENSHIFT_PIPELINES_DEFAULT_CHANNEL  # OLM channel of openshift-pipelines
    unlisted_channel: bool = False  # a channel newer than components/catalog/lifecycle.py
    affinity_assistant: Literal["disabled", "enabled"] = "disabled"  # disabled: RWX workspaces in parallel tasks
    namespace: DnsLabel = "builds"  # where the build pipeline lives
    run_timeout: RunTimeout = "1h"  # a PipelineRun's timeouts.pipeline
    retention: Retention = Retention()  # how many finished runs are kept, and for how long

    _version_not_number = field_validator("version", mode="before")(_no_numbers)

    @field_validator("version")
    @classmethod
    def _release_tag(cls, v: str) -> str:
        m = re.fullmatch(r"v(\d+)\.(\d+)\.(\d+)", v)
        if not m:
            raise ValueError(f'{v!r} is not a Tekton release tag such as "{versions.TEKTON_DEFAULT_VERSION}"')
        if tuple(int(x) for x in m.groups()) < versions.TEKTON_MIN_VERSION:
            low = "v" + ".".join(map(str, versions.TEKTON_MIN_VERSION))
            raise ValueError(f"{v!r} is older than {low}, the first release that can disable co-scheduling")
        return v

    @property
    def version_tuple(self) -> tuple[int, int, int]:
        major, minor, patch = (int(x) for x in self.version[1:].split("."))
        return major, minor, patch


class Qemu(_Model):
    """qemu binfmt registration, for architectures built under emulation."""

    enabled: bool = True
    platforms: tuple[str, ...] = ("arm64",)

    @field_validator("platforms")
    @classmethod
    def _known(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [p for p in v if p not in arch.ARCHES]
        if bad:
            raise ValueError(f"{', '.join(map(repr, bad))}: expected architectures among {', '.join(arch.ARCHES)}")
        if not v:
            raise ValueError("at least one platform to register")
        return v


class BuildResources(_Model):
    """Requests and limits of each CI job's build container."""

    cpu_request: str = "1"
    memory_request: str = "2Gi"
    cpu_limit: str = "4"
    memory_limit: str = "8Gi"


class GitLabRunner(_Model):
    """The GitLab runner (Kubernetes executor). Absent from the stack file: no runner."""

    enabled: bool = True
    gitlab_url: str = "https://gitlab.com/"
    tags: tuple[str, ...] = ("multi-arch",)  # set on the runner in GitLab; used by the CI template
    node_selector_overwrite_allowed: str = f"{arch.ARCH_LABEL}=.*"  # jobs may only choose the arch label
    privileged: bool = False
    concurrent: int = Field(default=10, ge=1, le=500)
    namespace: DnsLabel = "gitlab-runner"
    build_resources: BuildResources = BuildResources()
    # The build jobs' `timeout:`: at most the runner's maximum timeout set in GitLab (Settings >
    # CI/CD > Runners), which bounds it anyway.
    job_timeout: JobTimeout = "1h"  # below one month

    @field_validator("gitlab_url")
    @classmethod
    def _url(cls, v: str) -> str:
        parsed = urlparse(v)
        if parsed.scheme != "https" or not parsed.netloc or parsed.query or parsed.fragment:
            raise ValueError(f"{v!r} is not an https:// URL of a GitLab instance (e.g. https://gitlab.example.com/)")
        return v

    @field_validator("node_selector_overwrite_allowed")
    @classmethod
    def _regex(cls, v: str) -> str:
        try:
            re.compile(v)
        except re.error as exc:
            raise ValueError(f"{v!r} is not a regular expression: {exc}") from None
        problem = limits.go_regexp_problem(v)
        if problem:
            raise ValueError(
                f"{v!r} {problem}: the runner (written in Go) could not compile it and would refuse every job's node "
                f"selector; expected an RE2 expression such as {arch.ARCH_LABEL}=(amd64|arm64) "
                f"({limits.GO_REGEXP_SOURCE})"
            )
        return v


def _check_namespaces(
    ctx: _Context, pipelines: Pipelines | None, runner: GitLabRunner | None, qemu: bool, errors: list[str]
) -> None:
    """Namespaces the stack creates: none the platform owns, and each created once."""
    created: list[tuple[str, str]] = []
    if pipelines is not None:
        created.append((f"{PROJECT}:pipelines.namespace", pipelines.namespace))
        if ctx.platform in ("eks", "gke"):
            created.append((f"{PROJECT}:pipelines (the Tekton release)", names.TEKTON_NAMESPACE))
    if runner is not None:
        created.append((f"{PROJECT}:gitlabRunner.namespace", runner.namespace))
    if qemu:
        created.append((f"{PROJECT}:qemu (the binfmt DaemonSet)", names.QEMU_NAMESPACE))
    first: dict[str, str] = {}
    for key, namespace in created:
        if limits.owned_namespace(namespace) and key.endswith(".namespace"):
            errors.append(
                f"{key}: {namespace!r} is a namespace the platform owns; the stack creates (and would delete) "
                "its namespace: choose another name"
            )
        elif namespace in first:
            errors.append(
                f"{key}: {namespace!r} is also {first[namespace]}; each creates its namespace, and one namespace "
                "has one owner: choose another name"
            )
        first.setdefault(namespace, key)


def _check_build_resources(r: BuildResources, errors: list[str]) -> None:
    at = f"{PROJECT}:gitlabRunner.buildResources"
    values = {}
    for name in ("cpu_request", "cpu_limit", "memory_request", "memory_limit"):
        raw = getattr(r, name)
        value = limits.quantity(raw)
        if value is None:
            example = "500m or 2" if name.startswith("cpu") else "512Mi or 4Gi"
            errors.append(f"{at}.{to_camel(name)}: {raw!r} is not a Kubernetes quantity such as {example}")
        elif value < 0:
            errors.append(
                f"{at}.{to_camel(name)}: {raw!r} is negative; Kubernetes refuses a negative {name.split('_')[1]}: "
                "expected 0 or more (Kubernetes resource requests and limits)"
            )
            value = None
        values[name] = value
    for kind in ("cpu", "memory"):
        request, limit = values[f"{kind}_request"], values[f"{kind}_limit"]
        if request is not None and limit is not None and request > limit:
            errors.append(
                f"{at}.{kind}Request: {getattr(r, f'{kind}_request')!r} is above {kind}Limit "
                f"{getattr(r, f'{kind}_limit')!r}; Kubernetes refuses a request above its limit"
            )


def _check_pipelines(platform: Platform, cluster: Cluster | None, p: Pipelines, errors: list[str]) -> Pipelines:
    """Resolve the default flavor for the platform, refuse the flavor that cannot work there, and
    hold the release or channel to the dated tables (`components/catalog/lifecycle.py`)."""
    at = f"{PROJECT}:pipelines"
    default: PipelinesFlavor = "openshift-pipelines" if platform == "openshift" else "tekton"
    if p.flavor is None:
        p = p.model_copy(update={"flavor": default})
    if p.flavor == "openshift-pipelines" and platform != "openshift":
        errors.append(f"{at}.flavor: openshift-pipelines needs OpenShift's OLM catalog; on {platform} use tekton")
    if p.flavor == "tekton" and platform == "openshift":
        errors.append(f"{at}.flavor: tekton on openshift would fight the platform's operator; use openshift-pipelines")
    unused = ("version", "unlisted_version") if p.flavor == "openshift-pipelines" else ("channel", "unlisted_channel")
    for key in unused:
        if key in p.model_fields_set:
            errors.append(f"{at}.{to_camel(key)}: not used by flavor {p.flavor}")
    if p.flavor == "tekton" and not p.unlisted_version:
        problem = lifecycle.tekton_problem(*p.version_tuple)
        if problem:
            errors.append(
                f"{at}.version: {p.version!r} is not a published Tekton release: {problem} "
                f"({lifecycle.TEKTON_SOURCE}); "
                f"a release newer than the table: set {at}.unlistedVersion: true"
            )
    if p.flavor == "openshift-pipelines":
        _check_channel(cluster, p, errors)
    _check_retention(p, errors)
    return p


def job_pruner_channel(p: Pipelines) -> bool:
    """OpenShift Pipelines before 1.21: TektonConfig's job-based pruner (keep N, on a schedule), with
    no per-status counts and no time to live; the event-based one is GA from 1.21 (`latest` follows)."""
    if p.flavor != "openshift-pipelines" or p.channel == "latest" or not p.channel.startswith("pipelines-"):
        return False
    major, _, minor = p.channel.removeprefix("pipelines-").partition(".")
    return major.isdigit() and minor.isdigit() and (int(major), int(minor)) < (1, 21)


def retention_warnings(p: Pipelines | None, errors: list[str]) -> list[str]:
    """A TTL the job-based pruner cannot apply: refused when set, said when it is the default."""
    if p is None or not job_pruner_channel(p) or p.retention.ttl is None:
        return []
    keep = p.retention.successful_runs + p.retention.failed_runs
    line = (
        f"{PROJECT}:pipelines.retention.ttl: {p.retention.ttl} is not applied on channel {p.channel}: OpenShift "
        f"Pipelines before 1.21 prunes with a job that keeps the newest {keep} "
        "finished runs (successfulRuns + failedRuns), hourly; use channel pipelines-1.21 or latest (the event-based "
        "pruner), or set ttl: null"
    )
    if "ttl" in p.retention.model_fields_set:
        errors.append(line)
        return []
    return [line]


# The Tekton Pruner's ttlSecondsAfterFinished is an int32 of seconds (tektoncd/pruner pkg/config).
TTL_MAX_SECONDS = 2**31 - 1


def _check_retention(p: Pipelines, errors: list[str]) -> None:
    """A retention the pruner can honour: no count of 0 (it deletes each run as it finishes, its
    logs and results with it), no TTL shorter than a run may last, none beyond the pruner's int32."""
    at = f"{PROJECT}:pipelines.retention"
    r = p.retention
    for key, value in (("successfulRuns", r.successful_runs), ("failedRuns", r.failed_runs)):
        if value == 0:
            errors.append(
                f"{at}.{key}: 0 deletes each run as it finishes, its logs, results and workspaces with it, before "
                "anyone reads them (Tekton Pruner history limit 0: every finished run of that status); keep at least 1"
            )
    if r.ttl is None:
        return
    ttl_ns, run_ns = limits.go_duration_ns(r.ttl) or 0, limits.go_duration_ns(p.run_timeout) or 0
    if ttl_ns // 10**9 > TTL_MAX_SECONDS:
        errors.append(
            f"{at}.ttl: {r.ttl!r} is beyond the pruner's ttlSecondsAfterFinished, an int32 of seconds: at most "
            f"{TTL_MAX_SECONDS // 3600}h (tektoncd/pruner); remove ttl to keep runs by count only"
        )
    elif ttl_ns == 0:
        errors.append(
            f"{at}.ttl: {r.ttl!r} deletes each run as it finishes (Tekton Pruner ttlSecondsAfterFinished 0); set at "
            "least pipelines.runTimeout, or remove ttl to keep runs by count only"
        )
    elif run_ns and ttl_ns < run_ns:
        errors.append(
            f"{at}.ttl: {r.ttl} is shorter than pipelines.runTimeout {p.run_timeout}: a run's history would be "
            f"gone sooner than a run may last, so a long run's failure is deleted before whoever waited for it "
            f"reads it; set ttl to at least {p.run_timeout} (or remove it: runs are then kept by count only)"
        )


def _check_channel(cluster: Cluster | None, p: Pipelines, errors: list[str]) -> None:
    at = f"{PROJECT}:pipelines.channel"
    source = lifecycle.OPENSHIFT_SOURCE
    if p.channel not in lifecycle.PIPELINES_CHANNELS:
        if not p.unlisted_channel:
            errors.append(
                f"{at}: {p.channel!r} is not a channel of {versions.OPENSHIFT_PIPELINES_PACKAGE}: expected "
                f"{', '.join(lifecycle.PIPELINES_CHANNELS)} ({source}); a channel newer than the table: set "
                f"{PROJECT}:pipelines.unlistedChannel: true"
            )
        return
    openshift = cluster.openshift_version if cluster is not None else None
    if openshift and openshift in lifecycle.OPENSHIFT_VERSIONS and not lifecycle.channel_supports(p.channel, openshift):
        low, high = lifecycle.PIPELINES_CHANNELS[p.channel]
        fits = [c for c in lifecycle.PIPELINES_CHANNELS if lifecycle.channel_supports(c, openshift)]
        errors.append(
            f"{at}: {p.channel!r} supports OpenShift {low} to {high}, and {PROJECT}:cluster.openshiftVersion is "
            f"{openshift}: OLM would find no installable version; expected {', '.join(fits)} ({source})"
        )


_TOKEN_KEY = f"{PROJECT}:gitlabRunnerToken"
_TOKEN_HOW = (
    f"create the runner in GitLab (CI/CD settings > Runners) and run `pulumi config set --secret {_TOKEN_KEY} glrt-...`"
)


def _check_runner_token(token: str | None, errors: list[str], pending: bool = False) -> None:
    """`pending`: the token is an Output (a consumer's secret), checked by `runner_token_problem`
    when its value is known."""
    if not token and not pending:
        errors.append(f"{_TOKEN_KEY}: required while gitlabRunner is enabled: {_TOKEN_HOW}")
    elif token and (problem := runner_token_problem(token)):
        errors.append(problem)


def runner_token_problem(token: str) -> str | None:
    if token.startswith("glrt-"):
        return None
    # Never echo the value: it is a credential.
    kind = "a registration token (deprecated, not supported)" if token.startswith("GR1348941") else "not one"
    return f"{_TOKEN_KEY}: expected a runner authentication token (glrt-...), the value is {kind}: {_TOKEN_HOW}"


def _warnings(platform: str | None, pools: Sequence[NodePool], qemu: Qemu | None) -> list[str]:
    out: list[str] = []
    if qemu is not None and qemu.enabled and platform == "eks":
        for pool in pools:
            facts = arch.EKS_AMI_TYPES.get(pool.ami_type or "")
            if facts is not None and not facts.binfmt_misc:
                out.append(
                    f"{PROJECT}:nodePools[{pool.name}].amiType: {pool.ami_type} has no binfmt_misc: qemu emulation "
                    "cannot be registered on these nodes; emulated builds will not run there"
                )
    return out
