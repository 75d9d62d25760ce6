"""The replace-or-update decision for one resource, made the way the engine and its providers make it
(`tools/replacerules.py` holds the rules, `components/catalog/replacements.json` their data):

- a ForceNew attribute replaces on any change at or below it;
- a ForceNew block replaces only when its number of elements changes (added, removed): a change
  inside it replaces only through a ForceNew child (the bridge's semantics); an Optional+Computed
  block never changes its count by being left out;
- a conditional rule (a CustomizeDiff, a ModifyPlan) replaces when its condition holds (`PREDICATES`);
- pulumi-aws 7 copies the provider's region into each regional resource's `region` (`effective`);
- pulumi-kubernetes replaces ConfigMaps and Secrets on data unless its provider makes them mutable;
- the resource's `replaceOnChanges` replaces on the paths it names (the engine), and a field the API
  server refuses to change, which nothing replaces, is a refusal: `pulumi up` would fail there.
Only what the review shows as changed is decided on: paths under the resource's `ignoreChanges`
(the engine keeps their old values) and secrets a plan.json does not hold are no changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml

from tools import replacerules
from tools.recording import reveal
from tools.replacerules import Rule

ABSENT = object()


@dataclass
class Decision:
    replaces: list[tuple[str, Rule]] = field(default_factory=list)  # (the path shown, the rule)
    refusals: list[tuple[str, Rule]] = field(default_factory=list)
    forcing: set[str] = field(default_factory=set)  # the changed paths that force the replacement


def deep_flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Leaf paths, lists of mappings included: by their `name` where each has one, else by index."""
    if isinstance(value, dict):
        if not value:
            return {prefix: {}} if prefix else {}
        out: dict[str, Any] = {}
        for key in sorted(value):
            out.update(deep_flatten(value[key], f"{prefix}.{key}" if prefix else key))
        return out
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        names = [v.get("name") for v in value]
        named = all(isinstance(n, str) for n in names) and len(set(names)) == len(names)
        out = {}
        for i, item in enumerate(value):
            key = item["name"] if named else str(i)
            out.update(deep_flatten({k: v for k, v in item.items() if not named or k != "name"}, f"{prefix}[{key}]"))
        return out
    return {prefix: value}


def values_at(inputs: Any, path: str) -> list[Any]:
    """Every value at a schema path (list elements are transparent)."""
    found = [reveal(inputs)]
    for seg in path.split("."):
        nxt: list[Any] = []
        for v in found:
            for item in v if isinstance(v, list) else [v]:
                if isinstance(item, dict) and seg in item and item[seg] is not None:
                    nxt.append(item[seg])
        found = nxt
    return found


def count(inputs: Any, path: str) -> int:
    """How many elements the block at `path` has (a mapping is one)."""
    return sum(len(v) if isinstance(v, list) else 1 for v in values_at(inputs, path))


def _one(inputs: Any, path: str) -> Any:
    found = values_at(inputs, path)
    return found[0] if found else None


@dataclass(frozen=True)
class Sides:
    old: dict[str, Any]
    new: dict[str, Any]
    rule: Rule


def _node_role_replaced(s: Sides) -> bool:
    """terraform-provider-aws validateAutoModeComputeConfigCustomizeDiff."""
    old, new = _one(s.old, "computeConfig"), _one(s.new, "computeConfig")
    if not isinstance(old, dict) or not isinstance(new, dict):
        return False
    old_role, new_role = old.get("nodeRoleArn") or "", new.get("nodeRoleArn") or ""
    if not new_role and (not new.get("enabled") or not new.get("nodePools")):
        return False  # auto mode, or its node pools, switched off with the role unset
    return bool(old_role) and old_role != new_role


def _active_cluster(provider: dict[str, Any]) -> Any:
    """The kubeconfig's active cluster (server, certificate authority, ...), as DiffConfig compares it."""
    text = provider.get("kubeconfig")
    try:
        config = yaml.safe_load(text) if isinstance(text, str) else text
    except yaml.YAMLError:
        return ("unreadable", text)  # pulumi-kubernetes cannot tell either: it plans a replacement
    if not isinstance(config, dict):
        return ("unreadable", text)
    context_name = provider.get("context") or config.get("current-context")
    contexts = {c.get("name"): c.get("context") or {} for c in config.get("contexts") or []}
    cluster_name = provider.get("cluster") or contexts.get(context_name, {}).get("cluster")
    clusters = {c.get("name"): c.get("cluster") for c in config.get("clusters") or []}
    return clusters.get(cluster_name)


def _present(inputs: Any, path: str) -> bool:
    return bool(values_at(inputs, path))


def _source_kind(inputs: Any, paths: Iterable[str]) -> tuple[str, ...]:
    return tuple(p for p in paths if _present(inputs, p))


def _switched_off(s: Sides) -> bool:
    return _one(s.old, s.rule.path) is True and _one(s.new, s.rule.path) is not True


def _elements_removed(s: Sides) -> bool:
    return bool({str(v) for v in _one(s.old, s.rule.path) or []} - {str(v) for v in _one(s.new, s.rule.path) or []})


def _changed_from(s: Sides) -> bool:
    return bool(_one(s.old, s.rule.path) == s.rule.value and _one(s.new, s.rule.path) != s.rule.value)


def _changed_on_autopilot(s: Sides) -> bool:
    return _one(s.old, s.rule.path) != _one(s.new, s.rule.path) and _one(s.new, "enableAutopilot") is True


# The conditions the data's `when` rules name (a test checks that each has one).
PREDICATES: dict[str, Callable[[Sides], bool]] = {
    "removed": lambda s: _present(s.old, s.rule.path) and not _present(s.new, s.rule.path),
    "added-or-removed": lambda s: _present(s.old, s.rule.path) != _present(s.new, s.rule.path),
    "changed-in-place": lambda s: (
        _present(s.old, s.rule.path)
        and _present(s.new, s.rule.path)
        and _one(s.old, s.rule.path) != _one(s.new, s.rule.path)
    ),
    "disabled": _switched_off,
    "unset-after-set": _switched_off,
    "elements-removed": _elements_removed,
    "changed-from": _changed_from,
    "source-switch": lambda s: _source_kind(s.old, s.rule.paths) != _source_kind(s.new, s.rule.paths),
    "node-role-replaced": _node_role_replaced,
    "changed-on-autopilot": _changed_on_autopilot,
    "active-cluster": lambda s: _active_cluster(reveal(s.old)) != _active_cluster(reveal(s.new)),
}


def effective(type_: str, inputs: dict[str, Any], provider: dict[str, Any] | None) -> dict[str, Any]:
    """A resource's inputs as its provider checks them: pulumi-aws 7 sets a regional resource's
    `region` to the provider's own when the program leaves it out."""
    if type_ in replacerules.REGIONAL and "region" not in inputs and provider and provider.get("region"):
        return {**inputs, "region": reveal(provider["region"])}
    return inputs


def _changed(old: dict[str, Any], new: dict[str, Any], shown: list[str]) -> set[str]:
    """The leaf paths that differ, within what the review shows as changed (a secret a plan.json
    does not hold is no change; a path under ignoreChanges is none either)."""
    a, b = deep_flatten(reveal(old)), deep_flatten(reveal(new))
    differ = {p for p in set(a) | set(b) if a.get(p, ABSENT) != b.get(p, ABSENT)}
    return {p for p in differ if any(_within(p, s) or _within(s, p) for s in shown)}


def _touched(rule: Rule, changed: set[str]) -> list[str]:
    return sorted(p for p in changed if any(replacerules.covers(r, p) for r in (rule.path, *rule.paths)))


def _applies(rule: Rule, old: dict[str, Any], new: dict[str, Any], provider: dict[str, Any] | None) -> bool:
    if rule.kind == "attribute":
        flag = rule.unless_provider_flag
        mutable = flag and str((provider or {}).get(flag, "")).lower() == "true" and new.get("immutable") is not True
        return not mutable
    if rule.kind == "block":
        return not rule.computed and count(old, rule.path) != count(new, rule.path)
    return PREDICATES[rule.when](Sides(old, new, rule))


def decide(
    type_: str,
    old: dict[str, Any],
    new: dict[str, Any],
    shown: Iterable[str],
    replace_on_changes: Iterable[str] = (),
    provider: dict[str, Any] | None = None,
) -> Decision:
    """Why `new` replaces `old` (or cannot be applied): `shown` are the paths the review lists as
    changes, `provider` the head's provider inputs (pulumi-kubernetes' mutability flags)."""
    decision = Decision()
    shown = list(shown)
    changed = _changed(old, new, shown)
    if not changed:
        return decision
    engine = [p for p in replace_on_changes if p]
    for rule in replacerules.rules_of(type_):
        touched = _touched(rule, changed)
        if not touched or not _applies(rule, old, new, provider):
            continue
        paths = touched if rule.kind == "attribute" else [rule.path]
        at = [s for s in shown if any(_within(s, p) or _within(p, s) for p in paths)] or paths
        if rule.effect == "refused":
            if any(replacerules.covers(e, p) for e in engine for p in at):
                decision.replaces.append((at[0], _engine(rule)))
                decision.forcing.update(at)
            else:
                decision.refusals.append((at[0], rule))
            continue
        decision.replaces.append((at[0] if rule.kind == "attribute" else rule.path, rule))
        decision.forcing.update(at)
    for s in shown:
        if s not in decision.forcing and any(replacerules.covers(e, s) for e in engine):
            decision.replaces.append(
                (s, Rule(s, "the resource's replaceOnChanges makes the engine replace it on this change", "ENGINE"))
            )
            decision.forcing.add(s)
    return decision


def _within(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith((prefix + ".", prefix + "["))


def _engine(rule: Rule) -> Rule:
    return Rule(
        rule.path,
        f"{rule.reason} ({rule.source}); the resource's replaceOnChanges makes the engine replace it instead",
        "ENGINE",
        where=rule.where,
    )
