"""Render a GitLab CI/CD component the way GitLab includes it, to check what it adds to a pipeline.

    python -m tools.cicomponent COMPONENT [--input name=value ...]

The supported subset of GitLab's behaviour, enough for `templates/build-multi-arch.yml` (anything
else is an error, not a guess):
- `spec: inputs:` with `type` string (default), boolean, number or array, `default`, `options`,
  `description`; an input without a default is required; an unknown input is an error; values
  are checked against their type;
- `$[[ inputs.NAME ]]`: a scalar that is exactly one token takes the input's typed value (an array
  stays an array); a token inside a longer string is replaced by the value as text;
- `parallel: matrix:` with one variable: one job per value, named `job: [value]`, with the variable
  set;
- `extends:` one hidden job (merged under the job's own keys); `rules: [{when: never}]` removes
  the job; hidden jobs (`.name`) are not jobs.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from tools import cli

TOKEN = re.compile(r"\$\[\[\s*inputs\.([A-Za-z0-9_-]+)\s*\]\]")
TYPES: dict[str, tuple[type, ...]] = {"string": (str,), "boolean": (bool,), "number": (int, float), "array": (list,)}


class ComponentError(Exception):
    pass


def parse(text: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The component's two documents: the `spec` header and the jobs."""
    docs = list(yaml.safe_load_all(text))
    if len(docs) != 2 or not isinstance(docs[0], dict) or set(docs[0]) != {"spec"}:
        raise ComponentError("a component is two YAML documents: `spec:` with its inputs, then the jobs")
    return docs[0]["spec"].get("inputs") or {}, docs[1] or {}


def tokens(value: Any) -> set[str]:
    """Every input a value refers to."""
    if isinstance(value, str):
        return set(TOKEN.findall(value))
    if isinstance(value, Mapping):
        return set().union(*(tokens(k) | tokens(v) for k, v in value.items())) if value else set()
    if isinstance(value, list):
        return set().union(*(tokens(v) for v in value)) if value else set()
    return set()


def resolve_inputs(spec: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(given) - set(spec))
    if unknown:
        raise ComponentError(f"unknown input(s): {', '.join(unknown)} (declared: {', '.join(spec)})")
    values: dict[str, Any] = {}
    for name, declared in spec.items():
        decl = declared or {}
        kind = decl.get("type", "string")
        if kind not in TYPES:
            raise ComponentError(f"input {name}: unsupported type {kind!r}")
        if name in given:
            value = given[name]
        elif "default" in decl:
            value = decl["default"]
        else:
            raise ComponentError(f"input {name}: required (no default)")
        if not isinstance(value, TYPES[kind]) or (kind == "number" and isinstance(value, bool)):
            raise ComponentError(f"input {name}: {value!r} is not of type {kind}")
        if "options" in decl and value not in decl["options"]:
            raise ComponentError(f"input {name}: {value!r} is not one of {decl['options']}")
        values[name] = value
    return values


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


def interpolate(value: Any, inputs: Mapping[str, Any]) -> Any:
    if isinstance(value, str):
        whole = TOKEN.fullmatch(value.strip())
        if whole:
            return inputs[whole[1]]
        return TOKEN.sub(lambda m: _text(inputs[m[1]]), value)
    if isinstance(value, Mapping):
        return {interpolate(k, inputs): interpolate(v, inputs) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, inputs) for v in value]
    return value


def _expand(name: str, job: dict[str, Any]) -> dict[str, dict[str, Any]]:
    parallel = job.pop("parallel", None)
    if parallel is None:
        return {name: job}
    matrix = parallel.get("matrix") if isinstance(parallel, dict) else None
    if not matrix or len(matrix) != 1 or len(matrix[0]) != 1:
        raise ComponentError(f"job {name}: only `parallel: matrix:` with one variable is supported")
    ((variable, values),) = matrix[0].items()
    out = {}
    for value in values if isinstance(values, list) else [values]:
        out[f"{name}: [{value}]"] = {**job, "variables": {**(job.get("variables") or {}), variable: value}}
    return out


def render(text: str, given: Mapping[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """The jobs the component adds to the including pipeline, with `given` inputs."""
    spec, jobs = parse(text)
    doc = interpolate(jobs, resolve_inputs(spec, given or {}))
    out: dict[str, dict[str, Any]] = {}
    for name, declared in doc.items():
        if name.startswith("."):
            continue
        job = dict(declared)
        base = job.pop("extends", None)
        if base is not None:
            if not isinstance(base, str) or base not in doc:
                raise ComponentError(f"job {name}: extends {base!r}, which the component does not define")
            job = {**doc[base], **job}
        if {"when": "never"} in (job.get("rules") or []):
            continue
        out.update(_expand(name, job))
    return out


def _parse_input(text: str) -> tuple[str, Any]:
    name, _, raw = text.partition("=")
    return name, yaml.safe_load(raw)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.cicomponent", description=__doc__.split("\n\n")[0])
    parser.add_argument("component", type=Path)
    parser.add_argument("--input", action="append", default=[], help="name=value (YAML: [a, b], true, 3)")
    args = parser.parse_args(argv)
    try:
        jobs = render(args.component.read_text(), dict(_parse_input(i) for i in args.input))
    except ComponentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(yaml.safe_dump(jobs, sort_keys=False, width=200), end="")
    return 0


if __name__ == "__main__":
    cli.run(main)
