"""Read Pulumi stack files (`stacks/Pulumi.<stack>.yaml`) the way the CLI would, without it.

`secure:` values cannot be decrypted offline: they are replaced by a placeholder of the right
shape (derived from the ciphertext, so a rotated secret plans differently) and reported as secret
keys, so the program sees a secret where the CLI would give one.
"""

from __future__ import annotations

import hashlib
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
    pass


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
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
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
        doc = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise StackFileError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("config", {}), dict):
        raise StackFileError(f"{path}: expected a mapping with a `config:` section")
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
