"""Stack configuration: the only reader of `pulumi.Config`.

`load()` reads the `multiarch:*` keys (and the provider keys the stack needs), checks them, and
returns frozen, typed `Settings`. Every problem is reported at once, each naming its config path,
the value and what was expected, and the program stops before any resource is registered.
`parse()` does the same from plain Python values, so the rules are unit-tested without Pulumi.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

import pulumi
from pydantic import SecretStr

from .. import arch, limits, names, scheduling, versions
from ..settings.autoscaling import (
    Autoscaling,
    AutoscalingLimits,
    Engine,
    Karpenter,
    Range,
    SystemPool,
    _check_autoscaling,
    karpenter_ami_alias,
)
from ..settings.base import (
    PLATFORMS,
    PROJECT,
    CapacityType,
    ConfigError,
    DnsLabel,
    Platform,
    _Context,
    _Model,
    _validate,
)
from ..settings.bounds import _check_limits
from ..settings.cluster import Cluster, Quotas, _check_platform, _check_version
from ..settings.pools import (
    NodeCapacity,
    NodePool,
    Taint,
    _check_pools,
    _pool_list,
    _warnings,
)
from ..settings.storage import (
    EFS_CREATION_OPTIONS,
    Efs,
    EfsStorageClass,
    Filestore,
    FilestoreStorageClass,
    Storage,
    _check_storage,
    _storage,
)
from ..settings.workloads import (
    BuildResources,
    GitLabRunner,
    Pipelines,
    PipelinesFlavor,
    Qemu,
    _check_build_resources,
    _check_namespaces,
    _check_pipelines,
    _check_runner_token,
    runner_token_problem,
)

__all__ = [
    "EFS_CREATION_OPTIONS",
    "PLATFORMS",
    "PROJECT",
    "Autoscaling",
    "AutoscalingLimits",
    "BuildResources",
    "CapacityType",
    "Cluster",
    "ConfigError",
    "DnsLabel",
    "Efs",
    "EfsStorageClass",
    "Engine",
    "Filestore",
    "FilestoreStorageClass",
    "GitLabRunner",
    "Karpenter",
    "NodeCapacity",
    "NodePool",
    "Pipelines",
    "PipelinesFlavor",
    "Platform",
    "Qemu",
    "Quotas",
    "Range",
    "Settings",
    "Storage",
    "SystemPool",
    "Taint",
    "from_config",
    "karpenter_ami_alias",
    "load",
    "parse",
    "runner_token_problem",
]


# Top-level keys of the `multiarch:` namespace this program reads (the public interface).
OBJECT_KEYS = ("cluster", "nodePools", "autoscaling", "storage", "pipelines", "qemu", "gitlabRunner")
STRING_KEYS = ("platform",)
SECRET_KEYS: tuple[str, ...] = ("gitlabRunnerToken",)


class Settings(_Model):
    """Everything the program needs, typed and checked. Built by `parse()`/`load()` only."""

    project: str = PROJECT
    stack: str
    platform: Platform
    cluster: Cluster
    node_pools: tuple[NodePool, ...]
    aws_region: str | None = None
    gcp_project: str | None = None
    gcp_region: str | None = None
    kubeconfig: SecretStr | None = None  # openshift: `kubernetes:kubeconfig`, a secret (else KUBECONFIG)
    autoscaling: Autoscaling = Autoscaling()
    storage: Storage = Storage()
    pipelines: Pipelines | None = None  # None: no pipeline engine
    qemu: Qemu | None = None  # None: no binfmt DaemonSet
    warnings: tuple[str, ...] = ()  # worth saying, not worth stopping for
    gitlab_runner: GitLabRunner | None = None  # None: no runner
    gitlab_runner_token: SecretStr | None = None  # `multiarch:gitlabRunnerToken`, a secret

    @property
    def cloud(self) -> arch.Cloud:
        return arch.Cloud.GCP if self.platform == "gke" else arch.Cloud.AWS

    @property
    def arches(self) -> tuple[arch.Arch, ...]:
        return tuple(a for a in arch.ARCHES if any(p.arch == a for p in self.node_pools))

    @property
    def system_pool(self) -> NodePool | None:
        """The pool the controllers run on, as a pool (tainted CriticalAddonsOnly: controllers only):
        Karpenter's system node group (eks), GKE's system node pool (on unless disabled); else None."""
        if self.autoscaling.uses_karpenter:
            system = self.autoscaling.karpenter_settings.system_pool
            cloud = arch.Cloud.AWS
        elif self.platform == "gke" and self.autoscaling.gke_system_pool.enabled:
            system = self.autoscaling.gke_system_pool
            cloud = arch.Cloud.GCP
        else:
            return None
        instance_type = system.type_on(self.platform)
        return NodePool(
            name=names.SYSTEM_POOL,
            arch=system.arch or arch.arch_of(cloud, instance_type),
            instance_type=instance_type,
            unlisted_instance_type=system.unlisted_instance_type,
            min_size=system.min_size,
            max_size=system.max_size,
            capacity_type=system.capacity_type,
            disk_size=system.disk_size,
            taints=(Taint.model_validate(scheduling.SYSTEM_TAINT),),
        )

    @property
    def build_taints(self) -> dict[arch.Arch, tuple[Taint, ...]]:
        """Each pool arch's taints, what its builds must tolerate: every pool of that arch's own and,
        on GKE, the arm64 taint GKE puts on arm64 nodes by itself. A build of an arch may land on any
        pool of it (the node selector picks the arch, not the pool)."""
        out: dict[arch.Arch, tuple[Taint, ...]] = {}
        for a in self.arches:
            taints = [t for p in self.node_pools if p.arch == a for t in p.taints]
            if a == "arm64" and self.platform == "gke":
                taints.append(Taint.model_validate(arch.GKE_ARM64_TAINT))
            out[a] = tuple(sorted(dict.fromkeys(taints), key=arch.taint_order))  # each once, in a canonical order
        return out

    @property
    def build_timeout_minutes(self) -> int:
        """The longest a build may run: the CI jobs' timeout, the PipelineRuns' (1h when neither is on)."""
        timeouts = [self.gitlab_runner.job_timeout] if self.gitlab_runner else []
        timeouts += [self.pipelines.run_timeout] if self.pipelines else []
        return max((-(-(limits.go_duration_ns(t) or 0) // 60_000_000_000) for t in timeouts), default=60)

    @property
    def karpenter_termination_grace_period(self) -> str:
        """How long do-not-disrupt may hold a node Karpenter wants gone: the configured value, else the
        longest build timeout plus a margin to upload and clean up (never unbounded)."""
        configured = self.autoscaling.karpenter_settings.termination_grace_period
        return configured or f"{self.build_timeout_minutes + versions.KARPENTER_DRAIN_MARGIN_MINUTES}m"

    @property
    def default_job_arch(self) -> arch.Arch:
        """Where a build job or task that names no arch runs (the manifest job, clone and push):
        amd64 when the stack has an amd64 pool."""
        return "amd64" if "amd64" in self.arches else self.arches[0]

    def pool(self, name: str) -> NodePool:
        return next(p for p in self.node_pools if p.name == name)


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
        f"{PROJECT}:{k}: is not a known key (check the spelling against the README's config table)"
        for k in unknown_keys
    ]
    platform = raw.get("platform")
    if platform is None:
        errors.append(f"{PROJECT}:platform: is required: one of {', '.join(PLATFORMS)}")
    elif platform not in PLATFORMS:
        errors.append(f"{PROJECT}:platform: {platform!r} is not a platform; expected one of {', '.join(PLATFORMS)}")
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

    storage = _storage(raw.get("storage"), errors)
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
        _check_version(ctx, cluster, errors, warnings)
    _check_pools(ctx, raw_pools, pools, errors)
    _check_storage(ctx, storage, errors)
    if autoscaling is not None:
        _check_autoscaling(ctx, autoscaling, pools, errors)
    enabled_runner = runner if runner is not None and runner.enabled else None
    enabled_pipelines = pipelines if pipelines is not None and pipelines.enabled else None
    if autoscaling is not None:
        _check_limits(ctx, pools, storage, autoscaling, errors)
    _check_namespaces(ctx, enabled_pipelines, enabled_runner, qemu is not None and qemu.enabled, errors)
    if enabled_runner is not None:
        _check_build_resources(enabled_runner.build_resources, errors)
    if autoscaling is not None and autoscaling.uses_karpenter:
        _check_grace_period(autoscaling, enabled_runner, enabled_pipelines, errors)
    if pipelines is not None and pipelines.enabled and platform is not None:
        pipelines = _check_pipelines(platform, cluster, pipelines, errors)
    warnings += _warnings(platform, pools, qemu)
    if errors or platform is None or cluster is None or autoscaling is None:
        raise ConfigError(errors)
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


def _present_keys() -> list[str]:
    """Every `multiarch:` key set on this stack (to catch misspelt top-level keys)."""
    keys = set(pulumi.runtime.config.CONFIG.get()) | set(pulumi.runtime.config.get_config_env())
    prefix = f"{PROJECT}:"
    return sorted(k[len(prefix) :] for k in keys if k.startswith(prefix))


def _is_secret(key: str) -> bool:
    # The engine names secret keys in PULUMI_CONFIG_SECRET_KEYS; the mock engine via set_all_config.
    return pulumi.runtime.config.is_config_secret(key) or key in pulumi.runtime.config.get_config_secret_keys_env()


def _from_reader(
    read: Callable[[str], Any],
    present: Sequence[str],
    is_secret: Callable[[str], bool],
    stack: str,
    catalog: bool = True,
) -> Settings:
    """The common path of `load()` and `from_config()`: `read("ns:key")` gives a key's value or None."""
    raw: dict[str, Any] = {}
    errors: list[str] = []
    for key in STRING_KEYS:
        raw[key] = read(f"{PROJECT}:{key}")
    for key in OBJECT_KEYS:
        value = read(f"{PROJECT}:{key}")
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                errors.append(f"{PROJECT}:{key}: is not a valid YAML/JSON object or list")
                value = None
        raw[key] = value
    known = set(STRING_KEYS) | set(OBJECT_KEYS) | set(SECRET_KEYS)
    unknown = [k for k in present if k not in known]
    token = read(f"{PROJECT}:gitlabRunnerToken")
    if token is not None and not is_secret(f"{PROJECT}:gitlabRunnerToken"):
        errors.append(
            f"{PROJECT}:gitlabRunnerToken: is stored in plaintext; set it with "
            f"`pulumi config set --secret {PROJECT}:gitlabRunnerToken glrt-...`"
        )
    try:
        settings = parse(
            raw,
            stack=stack,
            aws_region=read("aws:region"),
            gcp_project=read("gcp:project"),
            gcp_region=read("gcp:region"),
            # A secret: held as SecretStr here and wrapped as a Pulumi secret where it is used.
            kubeconfig=read("kubernetes:kubeconfig"),
            gitlab_runner_token=token,
            unknown_keys=unknown,
            catalog=catalog,
        )
    except ConfigError as exc:
        raise ConfigError(errors + exc.errors) from None
    if errors:
        raise ConfigError(errors)
    return settings


def load() -> Settings:
    """Read the stack's configuration. Raises ConfigError (a pulumi.RunError) when invalid."""

    def read(key: str) -> Any:
        namespace, _, name = key.partition(":")
        return pulumi.Config(namespace).get(name)

    return _from_reader(read, _present_keys(), _is_secret, pulumi.get_stack())


def stack_args() -> Any:
    """The stack's configuration as `BuildPlatform`'s args, after `load()` has validated it (so a
    stack file's errors, the configuration's own included, are reported together, as always)."""
    from ..platform import args_from_stack

    load()

    def read(key: str) -> Any:
        namespace, _, name = key.partition(":")
        return pulumi.Config(namespace).get(name)

    raw: dict[str, Any] = {key: read(f"{PROJECT}:{key}") for key in STRING_KEYS}
    for key in OBJECT_KEYS:
        value = read(f"{PROJECT}:{key}")
        raw[key] = json.loads(value) if isinstance(value, str) else value
    return args_from_stack(
        raw,
        aws_region=read("aws:region"),
        gcp_project=read("gcp:project"),
        gcp_region=read("gcp:region"),
        kubeconfig=read("kubernetes:kubeconfig"),
        token=read(f"{PROJECT}:gitlabRunnerToken"),
    )


def from_config(
    config: Mapping[str, Any], *, stack: str, secret_keys: Collection[str] = (), catalog: bool = True
) -> Settings:
    """Settings from a stack file's `config:` mapping, for tools that run without the engine."""
    prefix = f"{PROJECT}:"
    present = sorted(k[len(prefix) :] for k in config if k.startswith(prefix))
    return _from_reader(config.get, present, lambda key: key in secret_keys, stack, catalog)
