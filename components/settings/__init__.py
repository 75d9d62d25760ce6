"""Stack configuration: the only reader of `pulumi.Config`.

`load()` reads the `multiarch:*` keys (and the provider keys the stack needs), checks them, and
returns frozen, typed `Settings`. Every problem is reported at once, each naming its config path,
the value and what was expected, and the program stops before any resource is registered.
`parse()` does the same from plain Python values, so the rules are unit-tested without Pulumi.
`read_stack()` gives the same keys, validated, as values, for the program's entry to turn into
the component's args.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from .autoscaling import Autoscaling, AutoscalingLimits, Engine, Karpenter, Range, SystemPool, karpenter_ami_alias
from .base import (
    PENDING_PLAIN,
    PLATFORMS,
    PROJECT,
    CapacityType,
    ConfigError,
    DnsLabel,
    Pending,
    Platform,
    as_input,
    known,
)
from .cluster import Cluster, Quotas
from .model import Settings
from .parse import parse
from .pools import NodeCapacity, NodePool, Taint
from .storage import EFS_CREATION_OPTIONS, Efs, EfsStorageClass, Filestore, FilestoreStorageClass, Storage
from .workloads import BuildResources, GitLabRunner, Pipelines, PipelinesFlavor, Qemu, Retention, runner_token_problem

__all__ = [
    "EFS_CREATION_OPTIONS",
    "PENDING_PLAIN",
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
    "Pending",
    "Pipelines",
    "PipelinesFlavor",
    "Platform",
    "Qemu",
    "Quotas",
    "Range",
    "Retention",
    "Settings",
    "StackValues",
    "Storage",
    "SystemPool",
    "Taint",
    "as_input",
    "bare_keys",
    "from_config",
    "karpenter_ami_alias",
    "known",
    "load",
    "parse",
    "read_stack",
    "runner_token_problem",
]


# Top-level keys of the `multiarch:` namespace this program reads (the public interface).
OBJECT_KEYS = ("cluster", "nodePools", "autoscaling", "storage", "pipelines", "qemu", "gitlabRunner")
STRING_KEYS = ("platform",)
SECRET_KEYS: tuple[str, ...] = ("gitlabRunnerToken",)


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
    errors: Sequence[str] = (),
) -> Settings:
    """The common path of `load()` and `from_config()`: `read("ns:key")` gives a key's value or None;
    `errors`, what the caller found already."""
    raw: dict[str, Any] = {}
    errors = list(errors)
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
    kubeconfig = read("kubernetes:kubeconfig")
    if kubeconfig is not None and not is_secret("kubernetes:kubeconfig") and _kubeconfig_contents(kubeconfig):
        errors.append(
            "kubernetes:kubeconfig: holds a kubeconfig's contents, its credentials included, in plaintext (in the "
            "stack file, in git); set it with `pulumi config set --secret kubernetes:kubeconfig < auth/kubeconfig`"
        )
    try:
        settings = parse(
            raw,
            stack=stack,
            aws_region=read("aws:region"),
            gcp_project=read("gcp:project"),
            gcp_region=read("gcp:region"),
            # A secret: held as SecretStr here and wrapped as a Pulumi secret where it is used.
            kubeconfig=kubeconfig,
            gitlab_runner_token=token,
            unknown_keys=unknown,
            catalog=catalog,
        )
    except ConfigError as exc:
        raise ConfigError(errors + exc.errors) from None
    if errors:
        raise ConfigError(errors)
    return settings


def _kubeconfig_contents(value: Any) -> bool:
    """A kubeconfig document rather than a path to one (the provider takes either: a path is no secret)."""
    text = value if isinstance(value, str) else json.dumps(value)
    return "\n" in text.strip() or any(key in text for key in ("clusters", "apiVersion", "users"))


def load() -> Settings:
    """Read the stack's configuration. Raises ConfigError (a pulumi.RunError) when invalid."""

    def read(key: str) -> Any:
        namespace, _, name = key.partition(":")
        return pulumi.Config(namespace).get(name)

    return _from_reader(read, _present_keys(), _is_secret, pulumi.get_stack())


def from_config(
    config: Mapping[str, Any], *, stack: str, secret_keys: Collection[str] = (), catalog: bool = True
) -> Settings:
    """Settings from a stack file's `config:` mapping, for tools that run without the engine."""
    prefix = f"{PROJECT}:"
    present = sorted(k[len(prefix) :] for k in config if k.startswith(prefix))

    def read(key: str) -> Any:
        # As the engine passes them: a string, objects and numbers as their JSON (pulumi.Config.get).
        value = config.get(key)
        return value if value is None or isinstance(value, str) else json.dumps(value)

    return _from_reader(read, present, lambda key: key in secret_keys, stack, catalog, bare_keys(config))


def bare_keys(config: Collection[str]) -> list[str]:
    """A line for each stack file key without its namespace. Pulumi parses every key as
    <namespace>:<name> (sdk/go/common/resource/config/key.go ParseKey) and refuses the file
    otherwise; said first, before the keys it hides are reported missing."""
    return [
        f"{key}: a stack file key needs its namespace: write {PROJECT}:{key} (Pulumi refuses a key that is not "
        "<namespace>:<name>)"
        for key in config
        if ":" not in key
    ]


@dataclass(frozen=True)
class StackValues:
    """A stack's configuration as its file spells it: the `multiarch:` keys (without the namespace,
    objects as objects), the provider keys it reads, and its secrets."""

    contract: dict[str, Any]
    aws_region: str | None
    gcp_project: str | None
    gcp_region: str | None
    kubeconfig: str | None
    gitlab_runner_token: str | None


def read_stack() -> StackValues:
    """The stack's configuration as values, after `load()` has validated it (so a stack file's
    errors are reported together, before anything is built from them)."""
    load()

    def read(key: str) -> Any:
        namespace, _, name = key.partition(":")
        return pulumi.Config(namespace).get(name)

    contract: dict[str, Any] = {key: read(f"{PROJECT}:{key}") for key in STRING_KEYS}
    for key in OBJECT_KEYS:
        value = read(f"{PROJECT}:{key}")
        contract[key] = json.loads(value) if isinstance(value, str) else value
    return StackValues(
        contract=contract,
        aws_region=read("aws:region"),
        gcp_project=read("gcp:project"),
        gcp_region=read("gcp:region"),
        kubeconfig=read("kubernetes:kubeconfig"),
        gitlab_runner_token=read(f"{PROJECT}:gitlabRunnerToken"),
    )
