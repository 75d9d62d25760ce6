"""The CEL rules of the vendored CRDs (`x-kubernetes-validations`), evaluated on a custom resource
as the API server would at create, with cel-python (`celpy`).

Each rule is evaluated with `self` bound to the value at its place in the schema (the object, a
field, each item of a list, each value of a map), where that value is set. Not every rule can be
evaluated here, and those are counted, not guessed:
- transition rules (they read `oldSelf`: only an update has one);
- rules cel-python cannot compile or run: Kubernetes' optional types (`?.`, `orValue`), and the
  functions of Kubernetes' CEL libraries it lacks. Those libraries' string functions the vendored
  CRDs use (`split`, `find`, `lowerAscii`, `upperAscii`, `join`, `trim`, `indexOf`, `replace`) are
  supplied below, as their Kubernetes documentation defines them.
A rule that cannot be evaluated on a value (a field it reads is unset, say) says nothing about it.

What a check found is cached by content (`tools/contentcache.py`: the object, the vendored CRDs,
this module and cel-python's version): importing cel-python and building its grammar cost 0.35 s
on every plan, the stacks' objects rarely change, and a cached plan never imports it.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from tools import contentcache

if TYPE_CHECKING:
    import celpy

CRDS = Path(__file__).resolve().parent / "crds"
CACHE_FORMAT = "1"  # bump when what check() caches changes shape


@cache
def functions() -> dict[str, Callable[..., Any]]:
    """Kubernetes' CEL string functions the vendored CRDs use, as its documentation defines them."""
    from celpy import celtypes

    def split(s: Any, sep: Any, limit: Any = None) -> Any:
        parts = str(s).split(str(sep)) if limit is None else str(s).split(str(sep), max(int(limit) - 1, 0))
        return celtypes.ListType([celtypes.StringType(p) for p in parts])

    def find(s: Any, regex: Any) -> Any:
        m = re.search(str(regex), str(s))
        return celtypes.StringType(m[0] if m else "")

    return {
        "split": split,
        "find": find,
        "lowerAscii": lambda s: celtypes.StringType(str(s).lower()),
        "upperAscii": lambda s: celtypes.StringType(str(s).upper()),
        "join": lambda items, sep="": celtypes.StringType(str(sep).join(str(i) for i in items)),
        "trim": lambda s: celtypes.StringType(str(s).strip()),
        "indexOf": lambda s, sub: celtypes.IntType(str(s).find(str(sub))),
        "replace": lambda s, old, new: celtypes.StringType(str(s).replace(str(old), str(new))),
    }


@dataclass
class Tally:
    """How many rules a check evaluated, and how many it could not (and why)."""

    evaluated: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, why: str) -> None:
        self.skipped[why] = self.skipped.get(why, 0) + 1


@cache
def _environment() -> celpy.Environment:
    import celpy

    return celpy.Environment()


@cache
def compiled(rule: str) -> Any:
    """The rule's program, or a string saying why it cannot be evaluated here."""
    if "oldSelf" in rule:
        return "transition rule (oldSelf)"
    env = _environment()
    try:
        return env.program(env.compile(rule), functions=functions())
    except Exception:
        return "not compilable by cel-python"


def _rules(schema: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for v in schema.get("x-kubernetes-validations") or ():
        yield v["rule"], v.get("message") or f"failed rule: {v['rule']}"


def evaluate(schema: dict[str, Any], value: Any, tally: Tally, path: str = "") -> list[str]:
    """The messages of the rules `value` breaks under `schema` (a CRD's openAPIV3Schema)."""
    from celpy import CELEvalError, json_to_cel  # type: ignore[attr-defined]

    out: list[str] = []
    if value is None:
        return out
    for rule, message in _rules(schema):
        program = compiled(rule)
        if isinstance(program, str):
            tally.skip(program)
            continue
        try:
            result = program.evaluate({"self": json_to_cel(value)})
        except Exception:
            tally.skip("not evaluable on this value")
            continue
        if isinstance(result, CELEvalError):
            tally.skip("not evaluable on this value")
            continue
        tally.evaluated += 1
        if result is not True and bool(result) is False:
            out.append(f"{path or '(top level)'}: {message}")
    if isinstance(value, dict):
        for key, sub in (schema.get("properties") or {}).items():
            if key in value and (path or key != "metadata"):  # the object's metadata is the server's
                out += evaluate(sub, value[key], tally, f"{path}.{key}".lstrip("."))
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for key, sub in value.items():
                out += evaluate(extra, sub, tally, f"{path}.{key}".lstrip("."))
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            out += evaluate(schema["items"], item, tally, f"{path}[{i}]")
    return out


@cache
def schemas() -> dict[tuple[str, str], tuple[dict[str, Any], str]]:
    """(apiVersion, kind) -> (openAPIV3Schema, file) of every vendored CRD version with CEL rules."""
    found: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}
    for path in sorted(CRDS.glob("*.yaml")):
        text = path.read_text()
        if "x-kubernetes-validations" not in text:
            continue
        for crd in yaml.load_all(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            spec = crd["spec"]
            for version in spec["versions"]:
                key = (f"{spec['group']}/{version['name']}", spec["names"]["kind"])
                found[key] = (version["schema"]["openAPIV3Schema"], path.name)
    return found


@cache
def _digest() -> bytes:
    """What every cached check depends on besides its object: the CRDs, this module, cel-python."""
    digest = hashlib.sha256(CACHE_FORMAT.encode())
    digest.update(Path(__file__).read_bytes())
    digest.update(importlib.metadata.version("cel-python").encode())
    for path in sorted(CRDS.glob("*.yaml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.digest()


def _evaluated(obj: dict[str, Any]) -> dict[str, Any]:
    vendored = schemas().get((str(obj.get("apiVersion")), str(obj.get("kind"))))
    if vendored is None:
        return {"messages": [], "evaluated": 0, "skipped": {}}
    schema, source = vendored
    tally = Tally()
    messages = [
        f"{obj['kind']} breaks a CEL rule of its CRD (tools/crds/{source}): {m}" for m in evaluate(schema, obj, tally)
    ]
    return {"messages": messages, "evaluated": tally.evaluated, "skipped": tally.skipped}


@cache
def _ruled_kinds() -> frozenset[str]:
    """ "apiVersion kind" of every vendored CRD version with CEL rules (cached like the checks)."""
    name = f"cel-kinds-{_digest().hex()[:24]}.json"
    kinds = contentcache.read(name)
    if kinds is None:
        kinds = sorted(f"{v} {k}" for v, k in schemas())
        contentcache.write(name, kinds)
    return frozenset(kinds)


def check(obj: dict[str, Any], tally: Tally | None = None) -> list[str]:
    """What the CRD's CEL rules refuse in a custom resource, one message per rule broken (cached by
    content); `tally` counts the rules evaluated and skipped."""
    if f"{obj.get('apiVersion')} {obj.get('kind')}" not in _ruled_kinds():
        return []
    digest = hashlib.sha256(_digest())
    digest.update(json.dumps(obj, sort_keys=True, default=str).encode())
    name = f"cel-{digest.hexdigest()[:24]}.json"
    found = contentcache.read(name)
    if found is None:
        found = _evaluated(obj)
        contentcache.write(name, found)
    if tally is not None:
        tally.evaluated += found["evaluated"]
        for why, n in found["skipped"].items():
            tally.skipped[why] = tally.skipped.get(why, 0) + n
    return list(found["messages"])
