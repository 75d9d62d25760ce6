"""A changed value as a reviewer reads it: a structured value (a JSON IAM policy, a TOML runner
config, a YAML document, a list of records such as a NodePool's requirements) as the keys and list
elements that changed, a resource ARN added, a requirement's values; a script or text file as its
changed lines, each shown whole. Never cut at an identical prefix: what changed is shown in full.
"""

from __future__ import annotations

import difflib
import json
import tomllib
from typing import Any

import yaml

ABSENT = object()  # a path one side does not have (the diff's own marker)
KEYS = ("name", "key", "Sid", "id")  # what names an element of a list of records, in order


def _parse(value: Any) -> Any:
    """A structured value, or None: a mapping or list as it stands, or a string holding JSON, TOML
    or YAML that parses to a mapping or a list."""
    if isinstance(value, (dict, list)):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    # JSON by its first character; TOML and YAML only over several lines: a one-line sentence with
    # a colon is prose, not a mapping. A TOML file may start with `[` too (`[[runners]]`).
    parsers: list[Any] = [json.loads] if text[:1] in "{[" else []
    if "\n" in text:
        parsers += [tomllib.loads, yaml.safe_load]
    for parse in parsers:
        try:
            parsed = parse(text)
        except (ValueError, yaml.YAMLError):
            continue
        if isinstance(parsed, (dict, list)) and parsed:
            return parsed
    return None


def _show(value: Any) -> str:
    if value is ABSENT:
        return "(none)"
    if isinstance(value, str):
        return json.dumps(value) if value == "" or value != value.strip() else value
    return json.dumps(value, sort_keys=True, default=str)


def _key_of(*sides: list[Any]) -> str | None:
    """The field that names every element of each side's list of records, uniquely within it."""
    items = [i for side in sides for i in side]
    if not items or not all(isinstance(i, dict) for i in items):
        return None
    for key in KEYS:
        if all(key in i for i in items) and all(len({_label(i, key) for i in side}) == len(side) for side in sides):
            return key
    return None


def _label(item: dict[str, Any], key: str) -> str:
    value = item[key]
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _walk(old: Any, new: Any, path: str, out: list[str]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for k in sorted(set(old) | set(new), key=str):
            _walk(old.get(k, ABSENT), new.get(k, ABSENT), f"{path}.{k}" if path else str(k), out)
        return
    scalar_list = (
        isinstance(old, (list, str))
        and isinstance(new, (list, str))
        and (isinstance(old, list) or isinstance(new, list))
    )
    if scalar_list:
        a, b = (old if isinstance(old, list) else [old]), (new if isinstance(new, list) else [new])
        if all(not isinstance(x, (dict, list)) for x in [*a, *b]):
            added, removed = [x for x in b if x not in a], [x for x in a if x not in b]
            where = f"{path}: " if path else ""
            if added or removed:
                out.append(where + ", ".join([*(f"+ {_show(x)}" for x in added), *(f"- {_show(x)}" for x in removed)]))
            elif a != b:
                out.append(f"{where}reordered")
            return
    if isinstance(old, list) and isinstance(new, list):
        key = _key_of(old, new)
        if key is not None:
            before = {_label(i, key): i for i in old}
            after = {_label(i, key): i for i in new}
            for name in [*before, *(n for n in after if n not in before)]:
                _walk(before.get(name, ABSENT), after.get(name, ABSENT), f"{path}[{name}]", out)
            return
        for i in range(max(len(old), len(new))):
            _walk(old[i] if i < len(old) else ABSENT, new[i] if i < len(new) else ABSENT, f"{path}[{i}]", out)
        return
    if old != new:
        out.append(f"{path}: {_show(old)} → {_show(new)}" if path else f"{_show(old)} → {_show(new)}")


def _lines(old: str, new: str) -> list[str]:
    """The lines that changed, each whole, matched as a line diff matches them (a line inserted
    is one `+`, not every line after it changed); numbers are the new side's (`-`: the old's)."""
    a, b = old.splitlines(), new.splitlines()
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        paired = min(i2 - i1, j2 - j1)  # a replaced block: its lines in order, then what is left over
        out += [f"line {j1 + k + 1}: {a[i1 + k]} → {b[j1 + k]}" for k in range(paired)]
        out += [f"line {i + 1}: - {a[i]}" for i in range(i1 + paired, i2)]
        out += [f"line {j + 1}: + {b[j]}" for j in range(j1 + paired, j2)]
    return out


def describe(old: Any, new: Any) -> list[str] | None:
    """The change of a structured or multi-line value, part by part; None for a plain value (a
    number, a word, a list of words: `old → new` says it all)."""
    a, b = _parse(old), _parse(new)
    structured = [v for v in (a, b) if v is not None]
    plain_strings = isinstance(old, str) and isinstance(new, str)
    worth = structured and (
        plain_strings or any(isinstance(x, dict) for v in structured for x in (v if isinstance(v, list) else [v]))
    )
    if worth and (a is not None or old is ABSENT or old is None) and (b is not None or new is ABSENT or new is None):
        out: list[str] = []
        _walk(ABSENT if a is None else a, ABSENT if b is None else b, "", out)
        return out or ["the same content, reformatted"]
    if plain_strings and "\n" in old + new:
        return _lines(old, new)
    return None
