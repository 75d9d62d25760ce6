"""What the pack's policies share: a policy's configured value, a Kubernetes object's
`namespace/name`, an instance type's arch by the program's own catalog, who may be privileged,
and the shape of the report callback.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from components import arch

Report = Callable[..., None]  # pulumi_policy's ReportViolation: report(message, urn=None)
DEFAULT_PRIVILEGED_ALLOWED = ["qemu-binfmt/qemu-binfmt"]


def configured(args: Any, key: str, default: Any) -> Any:
    value = (args.get_config() or {}).get(key)
    return default if value is None else value


def ns_name(props: Mapping[str, Any]) -> str:
    md = props.get("metadata") or {}
    ns = md.get("namespace")
    return f"{ns}/{md.get('name')}" if ns else str(md.get("name"))


def arch_or_none(cloud: arch.Cloud, instance_type: str) -> str | None:
    """The catalog's arch of a type; None for one it does not know: the stack's settings refuse those
    unless the stack file declares them newer than the catalog (`unlistedInstanceType`), and then
    the pack has nothing to judge them by."""
    try:
        return arch.arch_of(cloud, instance_type)
    except arch.UnknownInstanceTypeError:
        return None
