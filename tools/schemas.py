"""Kubernetes objects checked against the upstream schema of the cluster's version.

Built-in kinds go through `kubernetes-validate` (strict: unknown fields are errors). Custom
resources whose CRD is vendored in `tools/crds/` (each file records its source and version) are
validated against its `openAPIV3Schema`, with unknown fields as errors: the API server would
prune them silently. The others (Tekton, OLM, MachineSet, TektonConfig, ClusterCSIDriver,
autoscalers) have their envelope (apiVersion, kind, metadata.name) checked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

from tools.mockengine import Registered, redact

SCHEMA_POLICY = "kubernetes-schema"
CRDS = Path(__file__).resolve().parent / "crds"


@dataclass(frozen=True)
class SchemaFailure:
    resource: str
    message: str


def is_builtin(api_version: str) -> bool:
    """Upstream Kubernetes groups: core (`v1`), dot-less (`apps/v1`) or *.k8s.io."""
    group = api_version.rpartition("/")[0]
    return "." not in group or group.endswith(".k8s.io")


def body(r: Registered) -> dict[str, Any]:
    """The object as the plan writes it (secrets redacted) and as the schema checks it."""
    out: dict[str, Any] = {k: v for k, v in redact(r.inputs).items() if not k.startswith("__")}
    for key in ("data", "stringData"):
        if out.get(key) == "[secret]":
            out[key] = {"redacted": "x"}  # the value is hidden; its shape is a string map
    return out


def json_schema(s: dict[str, Any]) -> dict[str, Any]:
    """A CRD's structural schema as JSON Schema, as the API server applies it: unknown fields are
    errors (where the server would prune them), `nullable` admits null, int-or-string is either,
    `metadata` is left to the server's own checks, other `x-kubernetes-*` and formats are dropped."""
    if s.get("x-kubernetes-preserve-unknown-fields"):
        return {}
    out: dict[str, Any] = {}
    if s.get("x-kubernetes-int-or-string"):
        out["type"] = ["integer", "string"]
    elif "type" in s:
        out["type"] = [s["type"], "null"] if s.get("nullable") else s["type"]
    for key in ("enum", "required", "minimum", "maximum", "minLength", "maxLength", "pattern", "minItems", "maxItems"):
        if key in s:
            out[key] = s[key]
    if "enum" in out and s.get("nullable"):
        out["enum"] = [*out["enum"], None]
    if "properties" in s:
        out["properties"] = {
            k: ({"type": "object"} if k == "metadata" else json_schema(v)) for k, v in s["properties"].items()
        }
        out["additionalProperties"] = False
    elif isinstance(s.get("additionalProperties"), dict):
        out["additionalProperties"] = json_schema(s["additionalProperties"])
    if isinstance(s.get("items"), dict):
        out["items"] = json_schema(s["items"])
    return out


@cache
def crd_schemas() -> dict[tuple[str, str], tuple[dict[str, Any], str]]:
    """(apiVersion, kind) -> (JSON schema, vendored file) for every CRD in `tools/crds/`."""
    found: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}
    for path in sorted(CRDS.glob("*.yaml")):
        crd = yaml.safe_load(path.read_text())
        spec = crd["spec"]
        for version in spec["versions"]:
            key = (f"{spec['group']}/{version['name']}", spec["names"]["kind"])
            found[key] = (json_schema(version["schema"]["openAPIV3Schema"]), path.name)
    return found


def check_custom(obj: dict[str, Any]) -> list[str]:
    """What the CRD refuses in a custom resource, one message per problem; [] when valid or no CRD."""
    vendored = crd_schemas().get((str(obj.get("apiVersion")), str(obj.get("kind"))))
    if vendored is None:
        return []
    schema, source = vendored
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(obj), key=lambda e: list(e.absolute_path))
    return [
        f"{obj['kind']} does not match its CRD (tools/crds/{source}): "
        f"{'.'.join(str(p) for p in e.absolute_path) or '(top level)'}: {e.message}"
        for e in errors
    ]


def check(objects: Iterable[Registered], kubernetes_version: str) -> list[SchemaFailure]:
    failures: list[SchemaFailure] = []
    for r in objects:
        obj = body(r)
        where = f"{r.type} {r.name}"
        missing = [k for k in ("apiVersion", "kind") if not obj.get(k)]
        if not (obj.get("metadata") or {}).get("name"):
            missing.append("metadata.name")
        if missing:
            failures.append(SchemaFailure(where, f"missing {', '.join(missing)}"))
            continue
        if not is_builtin(str(obj["apiVersion"])):
            if not r.type.endswith("Patch"):  # a patch sets some fields of an object that exists
                failures += [SchemaFailure(where, m) for m in check_custom(obj)]
            continue
        try:
            kubernetes_validate.validate(obj, kubernetes_version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            failures.append(
                SchemaFailure(where, f"{obj['kind']} does not match Kubernetes {kubernetes_version}: {exc.message}")
            )
        except (kubernetes_validate.SchemaNotFoundError, kubernetes_validate.InvalidSchemaError) as exc:
            failures.append(SchemaFailure(where, f"no schema for {obj['apiVersion']} {obj['kind']}: {exc}"))
    return failures
