"""What changed between two sides, resource by resource: inputs flattened to leaf paths, resources
matched by URN or alias, each classified (create, update, replace, delete, same) with the paths
that changed, why a change forces a replacement or cannot be applied at all (`tools.diff.decide`,
from `tools.replacerules`), the replacements that replacements cause, and what a component's changed
outputs say of the resources its transforms write into.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from tools import replacerules
from tools.diff import structure
from tools.diff.decide import decide, effective
from tools.diff.sides import NOT_COMPARABLE, Resource, Side
from tools.diff.structure import ABSENT  # a path one side does not have
from tools.recording import Secret, contains_secret

ACTIONS = ("replace", "delete", "create", "update", "same")


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Leaf paths of an input value: mappings descend with `.`, lists of named items with `[name]`."""
    if isinstance(value, dict):
        if not value:
            return {prefix: {}} if prefix else {}
        out: dict[str, Any] = {}
        for key in sorted(value):
            out.update(flatten(value[key], f"{prefix}.{key}" if prefix else key))
        return out
    if (
        isinstance(value, list)
        and value
        and all(isinstance(v, dict) and isinstance(v.get("name"), str) for v in value)
        and len({v["name"] for v in value}) == len(value)
    ):
        out = {}
        for item in value:
            out.update(flatten({k: v for k, v in item.items() if k != "name"}, f"{prefix}[{item['name']}]"))
        return out
    return {prefix: value}


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, Secret) and isinstance(new, Secret):
        if old.value is NOT_COMPARABLE or new.value is NOT_COMPARABLE:
            return True  # a plan.json does not hold secret values: nothing to compare
        return bool(old.value == new.value)
    return bool(old == new)


def show(value: Any, width: int | None = 70) -> str:
    """A value as a reviewer reads it, cut at `width` (None: whole); secrets never shown."""
    if value is ABSENT:
        return "(none)"
    if contains_secret(value):
        return "[secret]"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    text = text.replace("\n", "\\n")
    return text if width is None or len(text) <= width else text[: width - 1] + "…"


@dataclass
class Change:
    path: str
    old: Any
    new: Any
    forces_replacement: bool = False

    @property
    def secret(self) -> bool:
        return contains_secret(self.old) or contains_secret(self.new)

    def doc(self) -> dict[str, Any]:
        if self.secret:
            return {
                "path": self.path,
                "old": "[secret]",
                "new": "[secret]",
                "secret": True,
                "forcesReplacement": self.forces_replacement,
            }
        return {
            "path": self.path,
            "old": None if self.old is ABSENT else self.old,
            "new": None if self.new is ABSENT else self.new,
            "secret": False,
            "forcesReplacement": self.forces_replacement,
        }

    def text(self) -> str:
        if self.secret:
            return f"{self.path}: [secret] changed"
        parts = structure.describe(self.old, self.new)
        if parts is not None:
            # One element of a list of records: its name joins the path (`requirements[arch].values: + arm64`).
            return (
                f"{self.path}{parts[0]}"
                if len(parts) == 1 and parts[0].startswith("[")
                else f"{self.path}: " + "; ".join(parts)
            )
        # Whole: two long values cut at the same width would hide what changed.
        return f"{self.path}: {show(self.old, None)} → {show(self.new, None)}"


@dataclass
class Reason:
    path: str
    reason: str
    source: str
    cascade: str = ""  # the resource whose replacement causes this one
    where: str = ""  # the upstream file and line of the rule
    wayOut: list[str] = field(default_factory=list)  # noqa: N815 (a refusal: what to do instead; JSON's name)

    def text(self) -> str:
        return f"{self.path}: {self.reason} [{self.source}]"

    @classmethod
    def of(cls, path: str, rule: replacerules.Rule) -> Reason:
        return cls(path, rule.reason, rule.source, where=rule.where, wayOut=list(rule.way_out))


@dataclass
class Item:
    action: str
    base: Resource | None
    head: Resource | None
    changes: list[Change] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    ignored: list[Change] = field(default_factory=list)  # changes under ignoreChanges: not applied
    refused: list[Reason] = field(default_factory=list)  # changes the API server refuses: `pulumi up` fails there
    blocked: bool = False

    @property
    def resource(self) -> Resource:
        r = self.head or self.base
        assert r is not None
        return r

    @property
    def renamed_from(self) -> str | None:
        if self.base and self.head and self.base.urn != self.head.urn:
            return self.base.urn
        return None

    @property
    def counted(self) -> bool:
        """Counted in the summary: what the plan and the pack count (`recording.counted`)."""
        return self.resource.counted

    @property
    def shown_action(self) -> str:
        """The program's components are context (what they say of their resources), never changes."""
        if self.resource.custom or self.counted or self.action == "same":
            return self.action
        return "context"


def _option_changes(base: Resource, head: Resource) -> list[Change]:
    pairs = (("protect", base.protect, head.protect), ("retainOnDelete", base.retain_on_delete, head.retain_on_delete))
    return [Change(f"options.{name}", old, new) for name, old, new in pairs if old != new]


def _option_notes(base: Resource, head: Resource) -> list[str]:
    """Options the engine records without an update step: they decide how a later change is applied."""
    pairs = (
        ("replaceOnChanges", sorted(base.replace_on_changes), sorted(head.replace_on_changes)),
        ("deleteBeforeReplace", base.delete_before_replace, head.delete_before_replace),
    )
    return [f"options.{name}: {show(old)} → {show(new)} (no update: it decides how a later change of it is applied)"
            for name, old, new in pairs if old != new]  # fmt: skip


def compare(
    base: Resource,
    head: Resource,
    base_provider: dict[str, Any] | None = None,
    head_provider: dict[str, Any] | None = None,
) -> Item:
    """One resource of both sides; the providers' inputs (the resource's provider instance on each
    side) give pulumi-aws 7's region and pulumi-kubernetes' mutability flags."""
    old_inputs, new_inputs = (
        effective(base.type, base.inputs, base_provider),
        effective(head.type, head.inputs, head_provider),
    )
    old, new = flatten(old_inputs), flatten(new_inputs)
    if not head.custom and base.outputs is not None and head.outputs is not None:
        # A component: what it registered as its outputs is what it declares (when both sides say).
        old.update(flatten(base.outputs, "outputs"))
        new.update(flatten(head.outputs, "outputs"))
    changes, ignored = [], []
    for path in sorted(set(old) | set(new)):
        o, n = old.get(path, ABSENT), new.get(path, ABSENT)
        if _same(o, n):
            continue
        if any(replacerules.covers(pattern, path) for pattern in head.ignore_changes):
            ignored.append(Change(path, o, n))
        else:
            changes.append(Change(path, o, n))
    item = Item("same", base, head, changes + _option_changes(base, head), ignored=ignored)
    item.notes += _option_notes(base, head)
    decision = decide(
        head.type, old_inputs, new_inputs, [c.path for c in changes], head.replace_on_changes, head_provider
    )
    for c in changes:
        c.forces_replacement = c.path in decision.forcing
    item.reasons = [Reason.of(path, rule) for path, rule in decision.replaces]
    item.refused = [Reason.of(path, rule) for path, rule in decision.refusals]
    refused = {r.path for r in item.refused}
    for c in changes:
        if c.forces_replacement or c.path in refused:
            continue  # a replacement's or a refusal's own words say what happens
        if (n := replacerules.note(head.type, c.path)) is not None and n.note not in item.notes:
            item.notes.append(n.note)
    if item.reasons:
        item.action = "replace"
    elif item.changes:
        item.action = "update"
    return item


def _providers(side: Side) -> dict[str, dict[str, Any]]:
    """Each resource's provider inputs, by the resource's URN (`provider` is `<provider URN>::<id>`)."""
    inputs = {r.urn: r.inputs for r in side.resources.values() if r.type.startswith("pulumi:providers:")}
    return {urn: inputs.get(r.provider.rsplit("::", 1)[0], {}) for urn, r in side.resources.items()}


def classify(base: Side, head: Side) -> list[Item]:
    """Every resource of both sides, matched by URN or alias, with its action."""
    matched: dict[str, str] = {urn: urn for urn in head.resources if urn in base.resources}
    for urn, r in head.resources.items():
        if urn not in matched:
            alias = next((a for a in r.aliases if a in base.resources and a not in head.resources), None)
            if alias is not None:
                matched[urn] = alias
    base_providers, head_providers = _providers(base), _providers(head)
    items = [
        compare(base.resources[matched[urn]], r, base_providers[matched[urn]], head_providers[urn])
        if urn in matched
        else Item("create", None, r)
        for urn, r in head.resources.items()
    ]
    kept = set(matched.values())
    items += [Item("delete", r, None) for urn, r in base.resources.items() if urn not in kept]
    _cascade(items)
    _component_context(items)
    order = {a: i for i, a in enumerate(ACTIONS)}
    return sorted(items, key=lambda i: (order[i.action], i.resource.type, i.resource.name))


def _component_context(items: list[Item]) -> None:
    """A component's output changes describe what its transforms write into the resources they are
    attached to (a provider renders them, the plan cannot see inside): each such resource is
    updated, with the change as its context. The component itself is never a changed resource."""
    by_parent: dict[str, list[Item]] = {}
    for i in items:
        if i.head is not None:
            by_parent.setdefault(i.head.parent, []).append(i)
    for component in items:
        r = component.head
        if r is None or r.custom or component.action != "update":
            continue
        outputs = [c for c in component.changes if c.path.startswith("outputs.")]
        for child in by_parent.get(r.urn, []):
            if child.head is None or not child.head.transforms or child.action not in ("same", "update"):
                continue
            for key in dict.fromkeys(c.path.split(".")[1].split("[")[0] for c in outputs):
                appears, goes = replacerules.OUTPUT_CONTEXT.get(
                    key, (f"what its transforms write changes ({key})",) * 2
                )
                gone = all(c.new is ABSENT for c in outputs if c.path.startswith(f"outputs.{key}"))
                text = f"{goes if gone else appears} ({r.type} {r.name}, outputs.{key})"
                if text not in child.notes:
                    child.notes.append(text)
            if outputs:
                child.action = "update"


def _from_replaced(item: Item, cause: Item, flat: dict[str, Any], label: str) -> bool:
    """A dependent whose ForceNew input takes a value of the replaced resource (a node group's
    clusterName): the engine does not know it until the new one exists, so the provider replaces the
    dependent too."""
    assert item.head is not None and cause.base is not None
    if cause.resource.urn not in item.head.dependencies:
        return False
    given = {v for v in flatten(cause.base.inputs).values() if isinstance(v, str) and len(v) > 3}
    for path, value in flat.items():
        rule = replacerules.replacing(item.head.type, path)
        if rule is not None and isinstance(value, str) and value in given:
            why = f"it comes from {label}, which is replaced: unknown until the new one exists; {rule.reason}"
            item.reasons.append(Reason(path, why, rule.source, label, rule.where))
            item.action = "replace"
            return True
    return False


def _cascade(items: list[Item]) -> None:
    """Replacements that replacements cause: a new provider, an input that comes from a replaced
    resource, or a new id where an input held the old."""
    done: set[str] = set()
    flat = {id(i): flatten(i.base.inputs) for i in items if i.base is not None}  # once, not once per cause
    while True:
        replaced = [i for i in items if i.action == "replace" and i.resource.urn not in done]
        if not replaced:
            return
        for cause in replaced:
            done.add(cause.resource.urn)
            old_id = cause.base.id if cause.base else ""
            label = f"{cause.resource.type} {cause.resource.name}"
            cluster = replacerules.resource_class(cause.resource.type) == replacerules.CLUSTER
            for item in items:
                if item.action not in ("same", "update") or item.base is None or item.head is None:
                    continue
                if (
                    cluster
                    and item.head.type.startswith("pulumi:providers:")
                    and cause.resource.urn in (item.head.dependencies)
                ):
                    item.reasons.append(
                        Reason(
                            "kubeconfig",
                            "the cluster behind it is replaced: a new endpoint and certificate, so the provider is "
                            "replaced and every object it manages is created anew on the new cluster",
                            "PULUMI-K8S",
                            label,
                        )
                    )
                    item.action = "replace"
                    continue
                if cause.resource.type.startswith("pulumi:providers:") and item.head.provider.startswith(
                    cause.resource.urn + "::"
                ):
                    item.reasons.append(
                        Reason("provider", f"its provider {cause.resource.name} is replaced", "PROVIDER", label)
                    )
                    item.action = "replace"
                    continue
                if _from_replaced(item, cause, flat[id(item)], label):
                    continue
                if not old_id or old_id.endswith("-id"):  # the mock engine's generic ids carry no meaning
                    continue
                for path, value in flat[id(item)].items():
                    if not (isinstance(value, str) and old_id in value):
                        continue
                    rule = replacerules.replacing(item.head.type, path)
                    if rule is not None:
                        item.reasons.append(
                            Reason(
                                path, f"{label} is replaced: its new id changes this; {rule.reason}", rule.source, label
                            )
                        )
                        item.action = "replace"
                    else:
                        item.notes.append(f"{path} takes the new id of {label}")
                        item.action = "update" if item.action == "same" else item.action
