"""Read Pulumi stack files (`stacks/Pulumi.<stack>.yaml`) the way the CLI would, without it.

`secure:` values cannot be decrypted offline: they are replaced by a placeholder of the right
shape (derived from the ciphertext, so a rotated secret plans differently) and reported as secret
keys, so the program sees a secret where the CLI would give one.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
STACKS = ROOT / "stacks"

# Offline stand-ins for secure values, by key; shaped like the real thing so validation passes.
PLACEHOLDERS = {
    "multiarch:gitlabRunnerToken": "glrt-offline-plan-placeholder-0000",
}
DEFAULT_PLACEHOLDER = "offline-plan-placeholder"


def placeholder(key: str, ciphertext: str) -> str:
    """The offline stand-in for a secure value: shaped for its key, and different when the
    ciphertext is (a rotated secret), so a diff can say that a secret changed without reading it.
    The ciphertext is public (it is in the stack file); its digest reveals nothing more."""
    digest = hashlib.sha256(ciphertext.encode()).hexdigest()[:12]
    return f"{PLACEHOLDERS.get(key, DEFAULT_PLACEHOLDER)}-{digest}"


class StackFileError(Exception):
    """The stack file cannot be found."""


class UnreadableStackFileError(StackFileError):
    """The stack file is not a valid stack file (YAML syntax, a tab, a duplicate key, its shape):
    an invalid configuration, with the line and column."""


class _StrictLoader(yaml.SafeLoader):
    """YAML as the Pulumi CLI reads a stack file (Go's yaml.v3: YAML 1.2's core schema), stricter on one
    point: a key given twice is an error, not "last wins".

    PyYAML implements YAML 1.1, where `yes`, `no`, `on`, `off`, `y` and `n` are booleans, `017` is
    octal, `1_000` and `1:30` are numbers and `2026-11-30` is a date. In YAML 1.2 (and so for `pulumi
    up`) all of those are strings, except `017`, which is seventeen: so they are strings here too, and a
    boolean key given `yes` is refused with the usual one line.
    """

    yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012 (PyYAML's own class attribute): YAML 1.2, below

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                first = seen[key].start_mark
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"duplicate key {key!r} (first at line {first.line + 1}); a key may appear once",
                    key_node.start_mark,
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


# The YAML 1.2 core schema's tags (yaml.org/spec/1.2.2, 10.3.2 "Tag Resolution"), and the merge key
# yaml.v3 also honours.
_CORE_SCHEMA = (
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        list("-+.0123456789"),
    ),
    ("tag:yaml.org,2002:merge", r"^(?:<<)$", ["<"]),
)
for _tag, _pattern, _first in _CORE_SCHEMA:
    _StrictLoader.add_implicit_resolver(_tag, re.compile(_pattern), _first)


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    """A YAML 1.2 integer: decimal (017 is seventeen), 0o octal or 0x hexadecimal."""
    text = str(loader.construct_scalar(node))
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)


_StrictLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def _yaml_error(path: Path, exc: yaml.YAMLError) -> UnreadableStackFileError:
    mark = getattr(exc, "problem_mark", None)
    where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)
    problem = getattr(exc, "problem", None) or str(exc)
    if "'\\t'" in problem or "\t" in problem:
        problem += " (a tab: YAML indents with spaces only)"
    return UnreadableStackFileError(f"{where}: not a valid stack file: {problem}")


@dataclass(frozen=True)
class StackFile:
    name: str
    path: Path
    config: dict[str, Any]
    secret_keys: list[str]


def resolve(stack: str) -> Path:
    """A stack name (`dev`) or a path to a stack file."""
    candidate = Path(stack)
    if candidate.suffix in (".yaml", ".yml") and candidate.exists():
        return candidate
    named = STACKS / f"Pulumi.{stack}.yaml"
    if named.exists():
        return named
    known = sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in STACKS.glob("Pulumi.*.yaml"))
    raise StackFileError(
        f"no stack {stack!r}: expected {named.relative_to(ROOT)} or a stack file path (stacks: {', '.join(known)})"
    )


def _project_config() -> dict[str, Any]:
    project = yaml.load((ROOT / "Pulumi.yaml").read_text(), Loader=_StrictLoader)
    out: dict[str, Any] = {}
    for key, spec in (project.get("config") or {}).items():
        if isinstance(spec, dict) and "value" in spec:
            out[key] = spec["value"]
        elif isinstance(spec, dict) and "default" in spec:
            out[f"{project['name']}:{key}" if ":" not in key else key] = spec["default"]
    return out


def load(stack: str) -> StackFile:
    path = resolve(stack)
    try:
        doc = yaml.load(path.read_text(), Loader=_StrictLoader) or {}  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise _yaml_error(path, exc) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("config", {}), dict):
        raise UnreadableStackFileError(f"{path}: not a valid stack file: expected a mapping with a `config:` section")
    config = _project_config()
    secret_keys: list[str] = []
    for key, value in (doc.get("config") or {}).items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            config[key] = placeholder(key, str(value["secure"]))
            secret_keys.append(key)
        else:
            config[key] = value
    name = path.name.removeprefix("Pulumi.").removesuffix(".yaml").removesuffix(".yml")
    return StackFile(name=name, path=path, config=config, secret_keys=secret_keys)
