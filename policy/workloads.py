"""Policies on what workloads run and hold: only the qemu binfmt DaemonSet privileged, images
pinned, no credential in plaintext (Kubernetes Secrets as Pulumi secrets, none in Helm values).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from policy.common import DEFAULT_PRIVILEGED_ALLOWED, Report, configured, ns_name

WORKLOAD_KINDS = ("DaemonSet", "Deployment", "StatefulSet", "ReplicaSet", "Job", "CronJob", "Pod", "Task")


def _kind(args: ResourceValidationArgs) -> str | None:
    if not args.resource_type.startswith("kubernetes:"):
        return None
    kind = args.props.get("kind")
    return kind if kind in WORKLOAD_KINDS else None


def containers(props: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every container of a workload (pod template, CronJob template, Pod) or Tekton Task step."""
    spec = props.get("spec") or {}
    if props.get("kind") == "Task":
        yield from spec.get("steps") or []
        yield from spec.get("sidecars") or []
        return
    if props.get("kind") == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    pod = spec if props.get("kind") == "Pod" else ((spec.get("template") or {}).get("spec")) or {}
    for key in ("initContainers", "containers", "ephemeralContainers"):
        yield from pod.get(key) or []


def _privileged(c: Mapping[str, Any]) -> bool:
    sc = c.get("securityContext") or {}
    added = set(((sc.get("capabilities") or {}).get("add")) or [])
    return bool(sc.get("privileged")) or bool(added & {"SYS_ADMIN", "ALL"})


def privileged_only_binfmt(args: ResourceValidationArgs, report: Report) -> None:
    if _kind(args) is None:
        return
    allowed = configured(args, "allowed", DEFAULT_PRIVILEGED_ALLOWED)
    ident = ns_name(args.props)
    if ident in allowed:
        return
    for c in containers(args.props):
        if _privileged(c):
            report(
                f"{args.props.get('kind')} {ident} runs container {c.get('name')!r} privileged; only "
                f"{', '.join(allowed)} (the qemu binfmt DaemonSet) may"
            )


def _pinned(image: str) -> bool:
    if "@sha256:" in image:
        return True
    name = image.rsplit("/", 1)[-1]
    return ":" in name and not name.endswith(":latest")


def images_pinned(args: ResourceValidationArgs, report: Report) -> None:
    if _kind(args) is None:
        return
    for c in containers(args.props):
        image = str(c.get("image", ""))
        if image and not _pinned(image):
            report(f"{args.props.get('kind')} {ns_name(args.props)}: image {image} is not pinned to a tag or digest")


CREDENTIAL_PATTERNS = (
    re.compile(r"glrt-[A-Za-z0-9_\-]{8,}"),  # GitLab runner authentication token
    re.compile(r"GR1348941[A-Za-z0-9_\-]{8,}"),  # GitLab runner registration token
    re.compile(r"glpat-[A-Za-z0-9_\-]{8,}"),  # GitLab personal access token
    re.compile(r"AKIA[0-9A-Z]{16}"),  # AWS access key id
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
)
CREDENTIAL_KEYS = re.compile(r"(?i)^(runner(registration)?token|password|token|apikey|secretkey|accesskey)$")


def _credential_paths(value: Any, path: str = "values") -> Iterator[str]:
    if isinstance(value, Mapping):
        for k, v in value.items():
            child = f"{path}.{k}"
            if CREDENTIAL_KEYS.match(str(k)) and isinstance(v, str) and v:
                yield child
            else:
                yield from _credential_paths(v, child)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _credential_paths(v, f"{path}[{i}]")
    elif isinstance(value, str) and any(p.search(value) for p in CREDENTIAL_PATTERNS):
        yield path


def no_plaintext_secrets(args: ResourceValidationArgs, report: Report) -> None:
    p = args.props
    if args.resource_type == "kubernetes:core/v1:Secret":
        held = [k for k in ("data", "stringData") if p.get(k)]
        missing = [k for k in held if k not in (args.opts.additional_secret_outputs or [])]
        if missing:
            report(
                f"Secret {ns_name(p)}: {', '.join(missing)} must be Pulumi secrets "
                "(additionalSecretOutputs), or the value is stored in plaintext in state"
            )
    elif args.resource_type == "kubernetes:helm.sh/v3:Release":
        for path in _credential_paths(p.get("values") or {}):
            report(
                f"Helm release {args.name}: {path} holds a credential in plaintext Helm values; "
                "put it in a Kubernetes Secret and reference the Secret"
            )
