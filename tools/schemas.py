"""Kubernetes objects checked against the upstream schema of the cluster's version.

Built-in kinds go through `kubernetes-validate` (strict: unknown fields are errors). Custom
resources (Tekton, OLM, MachineSet, TektonConfig, ClusterCSIDriver, autoscalers) have no upstream
schema: their envelope (apiVersion, kind, metadata.name) is checked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import kubernetes_validate

from tools.mockengine import Registered, redact

SCHEMA_POLICY = "kubernetes-schema"


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
