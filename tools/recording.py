"""What a program run declared: each resource as the engine received it (`Registered`), the whole
run (`Recording`), secrets still marked (`Secret`), and the views of a value the tools need
(opened, redacted, marked for comparison). `counted` is the one definition of "a resource".

Pure data: the mock engine (`tools.mockengine`) fills a `Recording`; the plan, the diff, the pack's
runner, the schema check and the diagram read one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any


class Secret:
    """A secret input value as the engine received it."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "Secret([secret])"


def reveal(value: Any) -> Any:
    """The plain value (secrets opened): for tests that check what a secret holds."""
    if isinstance(value, Secret):
        return reveal(value.value)
    if isinstance(value, Mapping):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    return value


def marked(value: Any) -> Any:
    """The value as JSON, each secret as {"secret": <its value>}: for comparing two runs, secrecy included."""
    if isinstance(value, Secret):
        return {"secret": marked(value.value)}
    if isinstance(value, Mapping):
        return {str(k): marked(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [marked(v) for v in value]
    return value if value is None or isinstance(value, (str, int, float, bool)) else repr(value)


def snapshot(recording: Recording) -> dict[str, Any]:
    """Everything a run declared, as JSON (secrets marked): two runs that declare the same stack have
    equal snapshots, whichever process or path (stack file, package, provider) declared it."""

    def one(r: Registered) -> dict[str, Any]:
        return {
            "type": r.type, "name": r.name, "custom": r.custom, "parent": r.parent, "provider": r.provider,
            "dependencies": sorted(r.dependencies), "inputs": marked(r.inputs), "protect": r.protect,
            "retainOnDelete": r.retain_on_delete, "ignoreChanges": sorted(r.ignore_changes),
            "deleteBeforeReplace": r.delete_before_replace, "replaceOnChanges": sorted(r.replace_on_changes),
            "aliases": r.aliases,
            "additionalSecretOutputs": sorted(r.additional_secret_outputs), "outputs": marked(r.outputs),
        }  # fmt: skip

    return {"resources": {r.urn: one(r) for r in recording.resources}, "outputs": marked(recording.outputs)}


def redact(value: Any) -> Any:
    """The value with every secret shown as "[secret]" (for plan output and snapshots)."""
    if isinstance(value, Secret):
        return "[secret]"
    if isinstance(value, Mapping):
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def contains_secret(value: Any) -> bool:
    if isinstance(value, Secret):
        return True
    if isinstance(value, Mapping):
        return any(contains_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_secret(v) for v in value)
    return False


@dataclass
class Registered:
    """One resource the program declared."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    provider: str
    inputs: dict[str, Any]
    dependencies: list[str]
    protect: bool
    retain_on_delete: bool
    ignore_changes: list[str]
    delete_before_replace: bool
    aliases: list[str]
    additional_secret_outputs: list[str] = field(default_factory=list)
    replace_on_changes: list[str] = field(default_factory=list)  # the engine replaces on a change of these
    id: str = ""
    outputs: dict[str, Any] = field(default_factory=dict)  # components: their registered outputs
    transforms: int = 0  # resource transforms attached (they run on the children the engine renders)
    # The aliases as the SDK sent them (URNs, or specs: name, type, parentUrn, noParent, stack,
    # project), for a model of the engine's URNs (tests/program/test_upgrade_aliases.py).
    alias_specs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def plain_inputs(self) -> dict[str, Any]:
        return reveal(self.inputs)  # type: ignore[no-any-return]

    @property
    def counted(self) -> bool:
        return counted(self.type, self.custom)

    @property
    def is_kubernetes_object(self) -> bool:
        return (
            self.custom
            and self.type.startswith("kubernetes:")
            and not self.type.startswith("pulumi:providers:")
            and self.type != "kubernetes:helm.sh/v3:Release"
            and "apiVersion" in self.inputs
        )


# Components a provider renders itself (their contents are not in a plan): each counts as one resource.
OPAQUE_COMPONENTS = ("kubernetes:yaml/v2:", "kubernetes:helm.sh/v4:")


def counted(type_: str, custom: bool) -> bool:
    """One definition of "a resource" for the plan, the policy pack, the diff and its reports: what
    exists in the cloud or the cluster. The program's own components group resources and provider
    instances reach them: both are shown, neither is counted."""
    if type_.startswith("pulumi:providers:"):
        return False
    return custom or type_.startswith(OPAQUE_COMPONENTS)


@dataclass
class Recording:
    stack: str
    resources: list[Registered] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    invokes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def by_type(self, type_: str) -> list[Registered]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, name: str | None = None) -> Registered:
        found = [r for r in self.by_type(type_) if name is None or r.name == name]
        if len(found) != 1:
            raise LookupError(f"expected one {type_} {name or ''}, found {[r.name for r in found]}")
        return found[0]

    def by_urn(self, urn: str) -> Registered | None:
        return next((r for r in self.resources if r.urn == urn), None)

    def children(self, urn: str) -> Iterator[Registered]:
        return (r for r in self.resources if r.parent == urn)

    def kubernetes_objects(self) -> list[Registered]:
        return [r for r in self.resources if r.is_kubernetes_object]
