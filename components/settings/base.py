"""What every part of the settings shares: the strict model base, the error type, and how a
pydantic error becomes one line naming its config key."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_args

import pulumi
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import core_schema

from .. import arch, limits

if TYPE_CHECKING:
    from .autoscaling import Autoscaling
    from .cluster import Cluster


PROJECT = "multiarch"
Platform = Literal["eks", "gke", "openshift"]
PLATFORMS: tuple[Platform, ...] = ("eks", "gke", "openshift")
CapacityType = Literal["ON_DEMAND", "SPOT"]

_DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"


def _dns_label(value: str) -> str:
    problem = limits.NAMES["namespace"].problem(value)
    if problem:
        raise ValueError(f"{value!r}: {problem.replace('Kubernetes namespace names', 'DNS labels (RFC 1123)')}")
    return value


DnsLabel = Annotated[str, AfterValidator(_dns_label)]  # namespaces, StorageClasses: DNS labels


class Pending:
    """A value given as a Pulumi Output (another resource's id, say): unknown until it resolves.

    Only a component's args hold one (a stack file's values are all known), and only where the
    model's annotation names `Pending`: the identifiers a consumer wires from its own resources.
    The checks that read the value run when it resolves (`platform/convert.py` parses the args
    again then, with the same one-line messages); the components consume `output`, the value
    after that check, so nothing that uses it is created before it passed.
    """

    __slots__ = ("checked", "given", "path")

    def __init__(self, path: str, given: pulumi.Output[Any]) -> None:
        self.path = path  # where the args hold it, as a stack file's key (cluster.subnetIds[0])
        self.given = given
        self.checked: pulumi.Output[Any] | None = None  # set once the args passed their checks

    @property
    def output(self) -> pulumi.Output[Any]:
        """The value once its check passed (what a component consumes)."""
        if self.checked is None:
            raise RuntimeError(f"{self.path}: the late check was never set up (settings_from_args does it)")
        return self.checked

    def __repr__(self) -> str:
        return "<an Output>"

    __str__ = __repr__

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.is_instance_schema(cls)


PENDING_PLAIN = (
    "is an Output (known only when it resolves); this key decides the stack's shape and is checked before "
    "anything is registered, so pass a plain value"
)


def as_input(value: Any) -> Any:
    """What a component passes on: a Pending's checked Output, anything else as it is."""
    return value.output if isinstance(value, Pending) else value


def known(value: str | Pending) -> str:
    """A value the tools read from a stack file, where none is an Output."""
    if isinstance(value, Pending):
        raise TypeError(f"{value.path}: an Output, known only under the engine")
    return value


def _accepts_pending(annotation: Any) -> bool:
    """A Pending is welcome where the annotation names it, or where a nested model checks its own."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    return annotation is Pending or any(_accepts_pending(a) for a in get_args(annotation))


def _holds_pending(value: Any) -> bool:
    """A Pending as the value, an item or a mapping's value (nested models check their own fields)."""
    if isinstance(value, Pending):
        return True
    if isinstance(value, (list, tuple)):
        return any(isinstance(v, Pending) for v in value)
    return isinstance(value, dict) and any(isinstance(v, Pending) for v in value.values())


class ConfigError(pulumi.RunError):
    """Invalid stack configuration. `errors` holds one line per problem.

    A `pulumi.RunError`, so `pulumi up` prints the message without a Python traceback.
    """

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors = list(errors)
        noun = "error" if len(self.errors) == 1 else "errors"
        super().__init__(
            f"invalid stack configuration ({len(self.errors)} {noun}):\n" + "\n".join(f"  {e}" for e in self.errors)
        )


def _strict_int(value: Any) -> Any:
    """A whole number: an int, or a string of digits (`pulumi config set` stores strings); never a
    boolean (YAML's `true` is not 1) nor a fraction."""
    if isinstance(value, bool):
        raise ValueError(f"{json.dumps(value)} is a boolean; expected a whole number")
    if isinstance(value, float):
        raise ValueError(f"{value!r} is not a whole number" + (f"; write {int(value)}" if value.is_integer() else ""))
    if isinstance(value, str):
        if not re.fullmatch(r"[0-9]+", value.strip()):
            raise ValueError(f"{value!r} is not a whole number")
        return int(value)
    return value


def _strict_bool(value: Any) -> Any:
    """true or false (or the strings "true"/"false" the CLI stores); never 1, 0, yes or on."""
    if isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    if not isinstance(value, bool):
        why = (
            " (YAML 1.2, as Pulumi reads stack files: yes, no, on and off are strings)"
            if isinstance(value, str)
            else ""
        )
        raise ValueError(f"{value!r} is not a boolean; expected true or false{why}")
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True)

    @field_validator("*", mode="before")
    @classmethod
    def _strict_scalars(cls, value: Any, info: ValidationInfo) -> Any:
        """Every int and bool field of every model, now and later: no silent coercion."""
        if value is None or info.field_name is None:
            return value
        annotation = cls.model_fields[info.field_name].annotation
        if _holds_pending(value) and not _accepts_pending(annotation):
            raise ValueError(PENDING_PLAIN)
        kinds = set(get_args(annotation)) or {annotation}
        if bool in kinds:
            return _strict_bool(value)
        if int in kinds:
            return _strict_int(value)
        return value


def _no_numbers(value: Any) -> Any:
    """Refuse numbers where a version string is expected: YAML reads 1.30 as the float 1.3, so the
    advice restores the minor's two digits (no Kubernetes or OpenShift minor we take is 1.3 or 4.2)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        text = repr(value)
        whole, dot, fraction = text.partition(".")
        if isinstance(value, float) and dot and len(fraction) == 1:
            written = f"{whole}.{fraction}0"
            why = f"YAML reads {written} as the number {text}"
            raise ValueError(f'{text} is a number: {why}; quote it in the stack file ("{written}")')
        raise ValueError(f'{text} is a number; quote it in the stack file ("{text}")')
    return value


# ---------------------------------------------------------------------------------------------
# Parsing


def _path(prefix: str, loc: Sequence[int | str], raw: Any) -> str:
    """`multiarch:cluster.subnetIds[0]` from a pydantic location under `prefix`."""
    out = prefix
    node = raw
    for part in loc:
        if isinstance(part, int):
            item = node[part] if isinstance(node, list) and part < len(node) else None
            label = item.get("name") if isinstance(item, dict) else None
            out += f"[{label}]" if isinstance(label, str) and label else f"[{part}]"
            node = item
        else:
            out += f".{part}"
            node = node.get(part) if isinstance(node, dict) else None
    return out


def _describe(err: Mapping[str, Any]) -> str:
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "missing":
        return "is required"
    if err["type"] == "extra_forbidden":
        return "is not a known key (check the spelling against docs/configuration.md)"
    return f"{err['input']!r}: {msg}" if err["type"] != "value_error" else msg


def _validate(prefix: str, model: type[_Model], raw: Any, errors: list[str]) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors():
            loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
            errors.append(f"{_path(prefix, loc, raw)}: {_describe(err)}")
        return None


class _Context:
    """What the cross-field rules look at; any part may be missing after a structural error."""

    def __init__(
        self,
        platform: Platform | None,
        cluster: Cluster | None,
        aws_region: str | None,
        catalog: bool = True,
        autoscaling: Autoscaling | None = None,
    ) -> None:
        self.platform = platform
        self.cluster = cluster
        self.aws_region = aws_region
        self.catalog = catalog
        self.autoscaling = autoscaling  # None when invalid
        self.pools_complete = True  # every configured pool validated (rules about all pools need them all)
        self.location_known = True  # the region (gke: the location) is one the tables know, or declared newer

    @property
    def cloud(self) -> arch.Cloud | None:
        if self.platform is None:
            return None
        return arch.Cloud.GCP if self.platform == "gke" else arch.Cloud.AWS


def version_known(ctx: _Context) -> bool:
    """The cluster's Kubernetes minor is one the platform's table offers, or is declared newer than it
    (`unlistedVersion`) and exists: the checks that look a pin up by minor apply only then (else the
    version's own error says it all)."""
    from ..catalog import lifecycle

    table = lifecycle.KUBERNETES.get(ctx.platform or "")
    if ctx.cluster is None or table is None:
        return False
    v = ctx.cluster.kubernetes_version
    if lifecycle.minor_key(v) > lifecycle.minor_key(lifecycle.KUBERNETES_NEWEST):
        return False
    if v in table.minors:
        return table.minors[v].phase() != "end of life"
    return ctx.cluster.unlisted_version and lifecycle.minor_key(v) > lifecycle.minor_key(table.newest)


def _minor(version: str) -> int:
    return int(version.split(".")[1])
