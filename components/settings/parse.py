"""`parse()`: settings from plain values, every rule checked, every problem reported at once, each
naming its config path, the value and what was expected."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import SecretStr

from .. import limits, versions
from .applied import _check_applied
from .autoscaling import Autoscaling
from .autoscaling.checks import _check_autoscaling
from .base import PENDING_PLAIN, PLATFORMS, PROJECT, ConfigError, Pending, _Context, _validate
from .bounds import _check_limits
from .cluster import Cluster, _check_platform, _check_region, _check_version
from .model import Settings
from .pools import NodePool, _check_pools, _pool_list
from .storage import _check_storage, _storage
from .workloads import (
    GitLabRunner,
    Pipelines,
    Qemu,
    _check_build_resources,
    _check_namespaces,
    _check_pipelines,
    _check_runner_token,
    _warnings,
    retention_warnings,
)


def parse(
    raw: Mapping[str, Any],
    *,
    stack: str,
    aws_region: str | None = None,
    gcp_project: str | None = None,
    gcp_region: str | None = None,
    kubeconfig: str | None = None,
    gitlab_runner_token: str | None = None,
    gitlab_runner_token_pending: bool = False,
    unknown_keys: Sequence[str] = (),
    catalog: bool = True,
) -> Settings:
    """Settings from the `multiarch:*` values (without the namespace). Raises ConfigError.

    `catalog=False` skips the instance-family checks (for preflight, which asks EC2 instead).
    """
    errors: list[str] = [
        f"{PROJECT}:{k}: is not a known key (check the spelling against docs/configuration.md)" for k in unknown_keys
    ]
    platform = raw.get("platform")
    if platform is None:
        errors.append(f"{PROJECT}:platform: is required: one of {', '.join(PLATFORMS)}")
    elif isinstance(platform, Pending):
        errors.append(f"{PROJECT}:platform: {PENDING_PLAIN}")
        platform = None
    elif platform not in PLATFORMS:
        case = f" (in lower case: {platform.lower()!r})" if str(platform).lower() in PLATFORMS else ""
        errors.append(
            f"{PROJECT}:platform: {platform!r} is not a platform; expected one of {', '.join(PLATFORMS)}{case}"
        )
        platform = None

    cluster = None
    if raw.get("cluster") is None:
        errors.append(f"{PROJECT}:cluster: is required (at least `name`)")
    else:
        cluster = _validate(f"{PROJECT}:cluster", Cluster, raw["cluster"], errors)
    raw_pools = raw.get("nodePools")
    pools: list[NodePool] = []
    if raw_pools is None:
        errors.append(f"{PROJECT}:nodePools: is required: a list with one pool per architecture")
    else:
        pools = _pool_list(raw_pools, errors)

    raw_storage = raw.get("storage")
    storage = _storage(raw_storage, errors)
    storage_complete = not isinstance(raw_storage, dict) or all(
        raw_storage.get(k) is None or getattr(storage, k) is not None for k in ("efs", "filestore")
    )
    autoscaling: Autoscaling | None = Autoscaling()
    if raw.get("autoscaling") is not None:
        # None when invalid: the checks that depend on the engine are skipped, not run on a default.
        autoscaling = _validate(f"{PROJECT}:autoscaling", Autoscaling, raw["autoscaling"], errors)

    pipelines = None
    if raw.get("pipelines") is not None:
        pipelines = _validate(f"{PROJECT}:pipelines", Pipelines, raw["pipelines"], errors)
    qemu = None
    if raw.get("qemu") is not None:
        qemu = _validate(f"{PROJECT}:qemu", Qemu, raw["qemu"], errors)

    runner = None
    if raw.get("gitlabRunner") is not None:
        runner = _validate(f"{PROJECT}:gitlabRunner", GitLabRunner, raw["gitlabRunner"], errors)
        if runner is not None and runner.enabled:
            _check_runner_token(gitlab_runner_token, errors, gitlab_runner_token_pending)

    ctx = _Context(platform, cluster, aws_region, catalog, autoscaling)
    ctx.pools_complete = isinstance(raw_pools, list) and len(pools) == len(raw_pools)
    warnings: list[str] = []
    _check_platform(ctx, gcp_project, errors)
    if cluster is not None:
        # Root causes first: a region that is not one explains the offers it makes fail.
        before = len(errors)
        _check_region(ctx, cluster, errors)
        ctx.location_known = len(errors) == before
    if cluster is not None:
        _check_version(ctx, cluster, errors, warnings)
    _check_pools(ctx, raw_pools, pools, errors)
    _check_storage(ctx, storage, errors)
    if autoscaling is not None:
        _check_autoscaling(ctx, autoscaling, pools, errors)
    enabled_runner = runner if runner is not None and runner.enabled else None
    enabled_pipelines = pipelines if pipelines is not None and pipelines.enabled else None
    if autoscaling is not None:
        _check_limits(ctx, pools, storage, autoscaling, errors)
        _check_applied(ctx, autoscaling, pools, storage, enabled_pipelines, errors, storage_complete)
    _check_namespaces(ctx, enabled_pipelines, enabled_runner, qemu is not None and qemu.enabled, errors)
    if enabled_runner is not None:
        _check_build_resources(enabled_runner.build_resources, errors)
    if autoscaling is not None and autoscaling.uses_karpenter:
        _check_grace_period(autoscaling, enabled_runner, enabled_pipelines, errors)
    if pipelines is not None and pipelines.enabled and platform is not None:
        pipelines = _check_pipelines(platform, cluster, pipelines, errors)
    warnings += _warnings(platform, pools, qemu)
    warnings += retention_warnings(pipelines if pipelines is not None and pipelines.enabled else None, errors)
    if errors or platform is None or cluster is None or autoscaling is None:
        raise ConfigError(errors)
    if storage.filestore is not None and cluster is not None:
        storage = storage.model_copy(update={"filestore": storage.filestore.resolved(cluster.kubernetes_version)})
    return Settings(
        stack=stack,
        platform=platform,
        cluster=cluster,
        node_pools=tuple(pools),
        aws_region=aws_region,
        gcp_project=gcp_project,
        gcp_region=gcp_region,
        kubeconfig=SecretStr(kubeconfig) if kubeconfig else None,
        autoscaling=autoscaling,
        storage=storage,
        pipelines=pipelines if pipelines is not None and pipelines.enabled else None,
        qemu=qemu if qemu is not None and qemu.enabled else None,
        warnings=tuple(warnings),
        gitlab_runner=runner if runner is not None and runner.enabled else None,
        gitlab_runner_token=SecretStr(gitlab_runner_token) if gitlab_runner_token else None,
    )


def _check_grace_period(
    a: Autoscaling, runner: GitLabRunner | None, pipelines: Pipelines | None, errors: list[str]
) -> None:
    """A configured terminationGracePeriod at least the longest build's timeout: shorter, Karpenter
    would take an expired or drifted node away under a build that says do-not-disrupt."""
    configured = a.karpenter_settings.termination_grace_period
    if configured is None:
        return
    timeouts = [(f"{PROJECT}:gitlabRunner.jobTimeout", runner.job_timeout)] if runner else []
    timeouts += [(f"{PROJECT}:pipelines.runTimeout", pipelines.run_timeout)] if pipelines else []
    if not timeouts:
        return
    key, timeout = max(timeouts, key=lambda kv: limits.go_duration_ns(kv[1]) or 0)  # the first of the longest
    if (limits.go_duration_ns(timeout) or 0) > (limits.go_duration_ns(configured) or 0):
        errors.append(
            f"{PROJECT}:autoscaling.karpenter.terminationGracePeriod: {configured} is shorter than {key} "
            f"{timeout}: Karpenter would take a node away under a build that says do-not-disrupt; set it to at "
            f"least {timeout} (or remove it: the default is the longest timeout plus "
            f"{versions.KARPENTER_DRAIN_MARGIN_MINUTES}m)"
        )
