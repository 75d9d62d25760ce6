"""When `pulumi up` replaces a resource instead of updating it, read from `replacements.json`: for
every type the stacks declare, the Terraform providers' ForceNew attributes, ForceNew blocks and
CustomizeDiff rules that pulumi-aws and pulumi-gcp bridge, and pulumi-kubernetes' own list, each
with the upstream file and line it was read from; the package versions the table was read for and
the Terraform provider each bundles (`packages`).

Transcribed, not generated: no installed package ships these schemas. `tests/unit/test_replacement_data.py`
keeps the file canonical, every rule sourced, and fails when requirements.txt installs or requires a
package version other than the one the data was read for.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FILE = Path(__file__).resolve().parent / "replacements.json"
WHERE = "components/catalog/replacements.json"
KINDS = ("attribute", "block", "when")


@dataclass(frozen=True)
class Source:
    key: str
    package: str
    repository: str
    file: str
    read: str  # which copy was read (commit, index id), and when
    version: str
    label: str  # the key the review cites it by (TF-AWS, TF-GOOGLE, PULUMI-K8S, HELM)

    def at(self, line: int | None) -> str:
        return f"{self.repository} {self.file}" + (f":{line}" if line else "")


@dataclass(frozen=True)
class ForceNew:
    """One upstream rule: a change of `path` (kind `attribute`), a change of the number of elements
    of the block at `path` (kind `block`), or a change for which condition `when` holds (kind `when`)
    replaces the resource."""

    path: str
    kind: str
    source: Source
    line: int | None
    when: str = ""  # the condition's name (kind `when`): a predicate of tools.diff.decide
    value: Any = None  # the condition's parameter (changed-from: the value it changes from)
    paths: tuple[str, ...] = ()  # the condition's paths (source-switch: the exclusive alternatives)
    computed: bool = False  # a block Terraform keeps when the program leaves it out (its count never changes)
    unless_provider_flag: str = ""  # pulumi-kubernetes: the provider option that makes the field mutable
    reason: str = ""  # why, when it is not the type's reason
    note: str = ""

    @property
    def where(self) -> str:
        return f"{self.source.at(self.line)} ({self.source.package} {version(self.source.package)})"


@dataclass(frozen=True)
class TypeRules:
    type: str
    package: str
    reason: str  # why, in a reviewer's words
    regional: bool  # pulumi-aws 7: the resource has a region input, replaced when it changes
    rules: tuple[ForceNew, ...]


@functools.cache
def document() -> dict[str, Any]:
    return json.loads(FILE.read_text())  # type: ignore[no-any-return]


@functools.cache
def sources() -> dict[str, Source]:
    fields = ("package", "repository", "file", "read", "version", "label")
    return {k: Source(k, **{f: v[f] for f in fields}) for k, v in document()["sources"].items()}


def version(package: str) -> str:
    """The version of `package` (pulumi-aws, ...) the data was read for."""
    return str(document()["packages"][package]["version"])


def packages() -> dict[str, dict[str, Any]]:
    return dict(document()["packages"])


def _rule(raw: dict[str, Any]) -> ForceNew:
    return ForceNew(
        path=raw["path"],
        kind=raw["kind"],
        source=sources()[raw["source"]],
        line=raw.get("line"),
        when=raw.get("when", ""),
        value=raw.get("value"),
        paths=tuple(raw.get("paths", ())),
        computed=bool(raw.get("computed", False)),
        unless_provider_flag=raw.get("unlessProviderFlag", ""),
        reason=raw.get("reason", ""),
        note=raw.get("note", ""),
    )


@functools.cache
def types() -> dict[str, TypeRules]:
    out = {}
    for name, raw in document()["types"].items():
        out[name] = TypeRules(
            name,
            raw["package"],
            raw["reason"],
            bool(raw.get("regional", False)),
            tuple(_rule(r) for r in raw["rules"]),
        )
    return out


@functools.cache
def kubernetes_object() -> TypeRules:
    """What every Kubernetes object is replaced on: its name and namespace."""
    raw = document()["kubernetesObject"]
    return TypeRules("kubernetes:*", "pulumi-kubernetes", raw["reason"], False, tuple(_rule(r) for r in raw["rules"]))
