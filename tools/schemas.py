"""Kubernetes objects checked against the upstream schema of the cluster's version.

Built-in kinds go through `kubernetes-validate` (strict: unknown fields are errors). Custom
resources (Tekton, OLM, MachineSet, TektonConfig, ClusterCSIDriver, autoscalers, SCC) are
validated against the `openAPIV3Schema` of their CRD, vendored in `tools/crds/` (SOURCES.md
records each one's source and version), with unknown fields as errors: the API server would
prune them silently; then against the CRD's CEL rules where cel-python can evaluate them
(`tools/cel.py`). A kind without a vendored CRD has its envelope (apiVersion, kind,
metadata.name) checked.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import referencing
import yaml

from tools import cel, contentcache
from tools.recording import Registered, redact

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


def json_schema(s: dict[str, Any], partial: bool = False) -> dict[str, Any]:
    """A CRD's structural schema as JSON Schema, as the API server applies it: unknown fields are
    errors (where the server would prune them), `nullable` admits null, int-or-string is either,
    `metadata` is left to the server's own checks, other `x-kubernetes-*` and formats are dropped.
    `partial`: no field is required (a server-side-apply patch sets some fields of an object)."""
    if s.get("x-kubernetes-preserve-unknown-fields"):
        return {}
    out: dict[str, Any] = {}
    if s.get("x-kubernetes-int-or-string"):
        out["type"] = ["integer", "string"]
    elif "type" in s:
        out["type"] = [s["type"], "null"] if s.get("nullable") else s["type"]
    for key in (
        "enum",
        *(() if partial else ("required",)),
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
        "pattern",
        "minItems",
        "maxItems",
    ):
        if key in s:
            out[key] = s[key]
    if "enum" in out and s.get("nullable"):
        out["enum"] = [*out["enum"], None]
    if "properties" in s:
        out["properties"] = {
            k: ({"type": "object"} if k == "metadata" else json_schema(v, partial)) for k, v in s["properties"].items()
        }
        out["additionalProperties"] = False
    elif isinstance(s.get("additionalProperties"), dict):
        out["additionalProperties"] = json_schema(s["additionalProperties"], partial)
    if isinstance(s.get("items"), dict):
        out["items"] = json_schema(s["items"], partial)
    return out


# Converted schemas, cached as JSON under build/cache and keyed by the CRDs' bytes and this module's
# conversion: 1.4 MB of YAML parsed and converted on every plan cost 0.2 s; the JSON, 5 ms.
CACHE_FORMAT = "1"  # bump when json_schema changes what it writes


def _vendored() -> list[tuple[str, bytes]]:
    return [(path.name, path.read_bytes()) for path in sorted(CRDS.glob("*.yaml"))]


def _convert(files: list[tuple[str, bytes]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, text in files:
        for crd in yaml.load_all(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            spec = crd["spec"]
            for version in spec["versions"]:
                schema = version["schema"]["openAPIV3Schema"]
                key = f"{spec['group']}/{version['name']} {spec['names']['kind']}"
                out[key] = {"file": name, "whole": json_schema(schema), "patch": json_schema(schema, True)}
    return out


@cache
def _converted() -> dict[str, Any]:
    files = _vendored()
    digest = hashlib.sha256(CACHE_FORMAT.encode())
    for name, text in files:
        digest.update(name.encode() + b"\0" + text)
    name = f"crd-schemas-{digest.hexdigest()[:16]}.json"
    converted = contentcache.read(name)
    if converted is None:
        converted = _convert(files)
        contentcache.write(name, converted)
    return converted


@cache
def crd_schemas(partial: bool = False) -> dict[tuple[str, str], tuple[dict[str, Any], str]]:
    """(apiVersion, kind) -> (JSON schema, vendored file) for every CRD in `tools/crds/`."""
    found: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}
    for key, entry in _converted().items():
        api_version, kind = key.split(" ")
        found[(api_version, kind)] = (entry["patch" if partial else "whole"], entry["file"])
    return found


_VALIDATORS: dict[tuple[str, str, bool], tuple[dict[str, Any], jsonschema.Draft7Validator]] = {}


def _custom_validator(api_version: str, kind: str, patch: bool) -> tuple[jsonschema.Draft7Validator, str] | None:
    """The vendored CRD's validator of a kind, built once per schema (a 64-pool OpenShift plan
    checks 384 MachineSets and MachineAutoscalers against two schemas); a schema read again (the
    CRDs changed) gets a new one."""
    vendored = crd_schemas(patch).get((api_version, kind))
    if vendored is None:
        return None
    schema, source = vendored
    known = _VALIDATORS.get((api_version, kind, patch))
    if known is None or known[0] is not schema:
        known = _VALIDATORS[(api_version, kind, patch)] = (schema, jsonschema.Draft7Validator(schema))
    return known[1], source


def check_custom(obj: dict[str, Any], patch: bool = False) -> list[str]:
    """What the CRD refuses in a custom resource (or a `patch` of one), one message per problem;
    [] when valid or when no CRD is vendored for its kind."""
    found = _custom_validator(str(obj.get("apiVersion")), str(obj.get("kind")), patch)
    if found is None:
        return []
    validator, source = found
    errors = sorted(validator.iter_errors(obj), key=lambda e: list(e.absolute_path))
    out = [
        f"{obj['kind']} does not match its CRD (tools/crds/{source}): "
        f"{'.'.join(str(p) for p in e.absolute_path) or '(top level)'}: {e.message}"
        for e in errors
    ]
    # The CRD's CEL rules on what matches its schema (a patch is part of an object: they judge the whole).
    return out or ([] if patch else cel.check(obj))


def schema_version(kubernetes_version: str) -> str:
    """The newest schema set kubernetes-validate ships at or below the cluster's minor (its oldest
    below that): a minor newer than the package still validates, against the closest it has."""

    def key(v: str) -> tuple[int, ...]:
        return tuple(int(x) for x in v.split(".")[:2])

    shipped = sorted({".".join(v.split(".")[:2]) for v in kubernetes_validate.utils.all_versions()}, key=key)
    at_or_below = [v for v in shipped if key(v) <= key(kubernetes_version)]
    return at_or_below[-1] if at_or_below else shipped[0]


class _NoSchemaError(Exception):
    """kubernetes-validate has no schema for this kind at this version."""


@cache
def _builtin_validator(version: str, api_version: str, kind: str) -> jsonschema.protocols.Validator:
    """kubernetes-validate's strict schema of a built-in kind (`version`: a minor it ships), as its
    own `validate` builds it, compiled once: it reads the kind's schema and the 1.5 MB definitions
    file again for every object (0.1 s of a plan)."""
    shipped = next(v for v in kubernetes_validate.utils.all_versions() if v.startswith(f"{version}."))
    directory = kubernetes_validate.__path__[0] + f"/kubernetes-json-schema/v{shipped}-local-strict"
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)  # rbac.authorization.k8s.io/v1 -> rbac-v1
    try:
        schema = json.loads(Path(f"{directory}/{kind.lower()}-{group_version}.json").read_text())
    except FileNotFoundError:
        raise _NoSchemaError(f"kubernetes-validate has no schema for {kind} {api_version} at {version}") from None
    definitions = _definitions(directory)
    registry = definitions @ (referencing.Resource.from_contents(schema) @ referencing.Registry())
    return jsonschema.Draft202012Validator(schema, registry=registry)


@cache
def _definitions(directory: str) -> referencing.Resource[Any]:
    return referencing.Resource.from_contents(json.loads(Path(f"{directory}/_definitions.json").read_text()))


def check(objects: Iterable[Registered], kubernetes_version: str) -> list[SchemaFailure]:
    failures: list[SchemaFailure] = []
    kubernetes_version = schema_version(kubernetes_version)
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
            # A patch sets some fields of an object that exists: unknown fields count, missing ones not.
            failures += [SchemaFailure(where, m) for m in check_custom(obj, patch=r.type.endswith("Patch"))]
            continue
        try:
            validator = _builtin_validator(kubernetes_version, str(obj["apiVersion"]), str(obj["kind"]))
        except (_NoSchemaError, ValueError) as exc:
            failures.append(SchemaFailure(where, f"no schema for {obj['apiVersion']} {obj['kind']}: {exc}"))
            continue
        error = next(iter(validator.iter_errors(obj)), None)  # the first, as kubernetes-validate reports
        if error is not None:
            failures.append(
                SchemaFailure(where, f"{obj['kind']} does not match Kubernetes {kubernetes_version}: {error.message}")
            )
    return failures
