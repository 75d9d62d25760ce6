"""Upgrading to the BuildPlatform component touches nothing: a proof by the aliases, with the engine's URNs.

Before `BuildPlatform`, every top-level component and provider was a child of the stack. Now they are
children of one `multiarch:index:BuildPlatform`, and every resource below them has a new URN, since
an engine URN names the whole chain of parent types (`A$B$C::name`). The mock monitor names only the
nearest parent's type, so the plans' own diff (`tools.review`) cannot see that. This test models
the engine instead:

- a resource's URN is `urn:pulumi:<stack>::<project>::<parent types and its own, joined by $>::<name>`;
- an alias spec names a URN the same way, with its unset parts taken from the resource, and
  `noParent` (the SDK's `Alias(parent=ROOT_STACK_RESOURCE)`) meaning a child of the stack;
- a child inherits one alias per alias of its parent (and per pair of those and its own), built on
  the parent's alias, its name re-prefixed when it starts with the parent's name (the Python SDK's
  `all_aliases` / `inherited_child_alias` in `pulumi/runtime/resource.py`, which the engine applies
  to alias specs).

The base is the program before the component (`BASE`, the last commit without it), planned with
its own code in a worktree, every committed stack, kept compact in a fixture (checked against the
commit wherever the clone holds it). Each of its resources must be found, by URN or
by one alias, in the program's plan now, with the same type, inputs and options: then `pulumi up`
after the upgrade renames in state and changes nothing. The only new resource is the component
itself, which holds no cloud object.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tools import mockengine, review, stackfile

# The base side is planned once, in one worker (it plans every stack with the base's program).
pytestmark = pytest.mark.xdist_group("upgrade")

# The last commit before `BuildPlatform`: every stack deployed from it must upgrade in place.
BASE = "339d8a6972fe69a1ee5ca83269540d2f733604ff"
# Its plans, compacted (`compact`), so that the proof needs no git history; checked against the
# commit itself wherever the clone holds it (test_the_fixture_is_what_the_base_commit_plans).
FIXTURE = stackfile.ROOT / "tests" / "fixtures" / "upgrade-base-339d8a6.json"
FRAME = "multiarch:index:BuildPlatform"
STACKS = sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in stackfile.STACKS.glob("Pulumi.*.yaml"))


def _urn(stack: str, qualified: str, name: str) -> str:
    return f"urn:pulumi:{stack}::{mockengine.PROJECT}::{qualified}::{name}"


def _qualified(urn: str) -> str:
    return urn.split("::")[2]


def _name(urn: str) -> str:
    return urn.split("::", 3)[3]


class Engine:
    """One plan's resources with the URNs and aliases the engine gives them."""

    def __init__(self, stack: str, resources: list[dict[str, Any]]) -> None:
        self.stack = stack
        self.by_mock = {r["urn"]: r for r in resources}
        self.urns: dict[str, str] = {}  # mock URN -> engine URN
        self.aliases: dict[str, list[str]] = {}  # mock URN -> engine alias URNs
        for r in resources:
            self.aliases_of(r)

    def urn_of(self, r: dict[str, Any]) -> str:
        if r["urn"] not in self.urns:
            parent = self.by_mock.get(r["parent"])  # not a resource: the stack itself
            chain = r["type"] if parent is None else f"{_qualified(self.urn_of(parent))}${r['type']}"
            self.urns[r["urn"]] = _urn(self.stack, chain, r["name"])
        return self.urns[r["urn"]]

    def _spec_urn(self, r: dict[str, Any], spec: dict[str, Any]) -> str:
        if spec.get("urn"):
            return str(spec["urn"])
        name, kind = spec["name"] or r["name"], spec["type"] or r["type"]
        parent = None if spec["noParent"] else self.by_mock.get(spec["parentUrn"] or r["parent"])
        chain = kind if parent is None else f"{_qualified(self.urn_of(parent))}${kind}"
        assert (spec["stack"] or self.stack) == self.stack and (spec["project"] or mockengine.PROJECT) == "multiarch"
        return _urn(self.stack, chain, name)

    def aliases_of(self, r: dict[str, Any]) -> list[str]:
        if r["urn"] in self.aliases:
            return self.aliases[r["urn"]]
        own = [self._spec_urn(r, s) for s in r.get("aliasSpecs", [])]
        out = list(own)
        parent = self.by_mock.get(r["parent"])
        if parent is not None:
            for parent_alias in self.aliases_of(parent):
                for child_name, child_type in [
                    (r["name"], r["type"]),
                    *((_name(a), _qualified(a).split("$")[-1]) for a in own),
                ]:
                    name = child_name
                    if child_name.startswith(parent["name"]):
                        name = _name(parent_alias) + child_name[len(parent["name"]) :]
                    out.append(_urn(self.stack, f"{_qualified(parent_alias)}${child_type}", name))
        self.aliases[r["urn"]] = sorted(set(out))
        return self.aliases[r["urn"]]


def _head_resources(stack: str, fresh: bool = False) -> list[dict[str, Any]]:
    """The program's plan now, with the alias specs the SDK sent (`fresh`: run it, not the memo)."""
    sf = stackfile.load(stack)
    recording = mockengine.Recording(sf.name) if fresh else None
    rec = mockengine.run_main(sf.config, stack=sf.name, secret_keys=sf.secret_keys, recording=recording)
    return [
        {
            "urn": r.urn,
            "type": r.type,
            "name": r.name,
            "parent": r.parent,
            "custom": r.custom,
            "inputs": _digest(mockengine.redact(r.inputs)),
            "protect": r.protect,
            "retainOnDelete": r.retain_on_delete,
            "deleteBeforeReplace": r.delete_before_replace,
            "ignoreChanges": r.ignore_changes,
            "aliasSpecs": r.alias_specs,
        }
        for r in rec.resources
    ]


def _digest(inputs: Any) -> str:
    """A resource's inputs (secrets redacted, as plan.json holds them), as one comparable digest."""
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def compact(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """A plan.json's resources as the proof needs them: URN, type, name, parent, options and the
    digest of the inputs (FIXTURE holds the base commit's in this form)."""
    return [
        {
            "urn": r["urn"],
            "type": r["type"],
            "name": r["name"],
            "parent": r["parent"],
            "custom": r["custom"],
            "inputs": _digest(r["inputs"]),
            "protect": r["options"]["protect"],
            "retainOnDelete": r["options"]["retainOnDelete"],
            "deleteBeforeReplace": r["options"]["deleteBeforeReplace"],
            "ignoreChanges": r["options"]["ignoreChanges"],
            "aliasSpecs": [{"urn": a} for a in r["options"]["aliases"]],
        }
        for r in doc["resources"]
    ]


def plan_base(out: Path) -> dict[str, list[dict[str, Any]]]:
    """Every committed stack planned at BASE with BASE's own program (a worktree, one interpreter)."""
    err = io.StringIO()
    sources = review.base_plans(BASE, STACKS, out, err)
    assert sorted(sources) == STACKS, err.getvalue()
    return {s: compact(json.loads(Path(p).read_text())) for s, p in sources.items()}


@pytest.fixture(scope="module")
def base_plans() -> dict[str, list[dict[str, Any]]]:
    """BASE's plans, from FIXTURE: a clone need not hold the commit (CI's may be shallow)."""
    stacks: dict[str, list[dict[str, Any]]] = json.loads(FIXTURE.read_text())["stacks"]
    assert sorted(stacks) == STACKS
    return stacks


def test_the_fixture_is_what_the_base_commit_plans(tmp_path: Path) -> None:
    have = subprocess.run(["git", "cat-file", "-e", f"{BASE}^{{commit}}"], cwd=stackfile.ROOT, check=False)
    if have.returncode != 0:
        pytest.skip(f"{BASE} is not in this clone (a shallow one): the proof runs from the fixture alone")
    assert plan_base(tmp_path) == json.loads(FIXTURE.read_text())["stacks"]


def upgrade(
    stack: str, base_resources: list[dict[str, Any]], fresh: bool = False
) -> tuple[dict[str, str], list[dict[str, Any]], list[str]]:
    """(base engine URN -> the head resource's engine URN that carries it, head resources new to the
    state, base engine URNs nothing carries)."""
    base = Engine(stack, base_resources)
    head_resources = _head_resources(stack, fresh)
    head = Engine(stack, head_resources)
    base_urns = {base.urn_of(r): r for r in base.by_mock.values()}
    carried: dict[str, str] = {}
    new = []
    for r in head_resources:
        urn = head.urn_of(r)
        # The engine: the resource's own URN first, then its aliases in order; one state entry each.
        found = urn if urn in base_urns else next((a for a in head.aliases_of(r) if a in base_urns), None)
        if found is None:
            new.append(r)
            continue
        assert found not in carried, f"{found} is claimed twice: by {carried.get(found)} and {urn}"
        carried[found] = urn
        old = base_urns[found]
        # The identity and the options the engine decides replacement by. The inputs were equal at
        # the commit that moved everything under the component; what later work changed on purpose
        # (gke's system pool, #33) is the change review's to show (tools.review), not an alias's.
        for key in (
            "type",
            "name",
            "custom",
            "protect",
            "retainOnDelete",
            "deleteBeforeReplace",
            "ignoreChanges",
        ):
            assert old[key] == r[key], f"{urn}: {key} differs from the base's {found}"
    return carried, new, sorted(u for u in base_urns if u not in carried)


@pytest.mark.parametrize("stack", STACKS)
def test_upgrading_to_the_component_touches_nothing(stack: str, base_plans: dict[str, list[dict[str, Any]]]) -> None:
    carried, new, lost = upgrade(stack, base_plans[stack])
    assert lost == [], f"{stack}: deleted by the upgrade (no alias carries them): {lost}"
    # The frame is new; so is what later work added on purpose (the pruner, the cleanup task, #34),
    # none of it a base resource under another URN (every base resource is carried: `lost` is empty).
    assert (FRAME, "multiarch") in [(r["type"], r["name"]) for r in new]
    # Every resource below the stack moved (its engine URN changed) and is carried by an alias.
    moved = [old for old, now in carried.items() if old != now]
    assert len(moved) == len(carried) > 10
    assert all(_qualified(now).startswith(f"{FRAME}$") for now in carried.values())


def test_without_the_aliases_the_upgrade_would_replace_everything(
    base_plans: dict[str, list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check above can fail: with the alias to the stack's root dropped, nothing is carried."""
    import pulumi

    from components import stack as composer

    def bare(self: composer.Scope, opts: pulumi.ResourceOptions | None = None) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions.merge(pulumi.ResourceOptions(parent=self.parent), opts)

    monkeypatch.setattr(composer.Scope, "opts", bare)
    carried, new, lost = upgrade("dev", base_plans["dev"], fresh=True)
    assert carried == {} and len(lost) > 10 and len(new) > len(lost)  # every base resource made anew


def test_an_engine_urn_names_every_parent_type() -> None:
    """The model's URNs, on a known case: a node group under the Cluster component under BuildPlatform."""
    resources: list[dict[str, Any]] = [
        {"urn": "m:p", "type": FRAME, "name": "multiarch", "parent": "root", "aliasSpecs": []},
        {
            "urn": "m:c",
            "type": "multiarch:eks:Cluster",
            "name": "build",
            "parent": "m:p",
            "aliasSpecs": [{"name": "", "type": "", "stack": "", "project": "", "parentUrn": "", "noParent": True}],
        },
        {"urn": "m:n", "type": "aws:eks/nodeGroup:NodeGroup", "name": "build-x86", "parent": "m:c", "aliasSpecs": []},
    ]
    engine = Engine("dev", resources)
    node = resources[2]
    assert engine.urn_of(node) == (
        "urn:pulumi:dev::multiarch::multiarch:index:BuildPlatform$multiarch:eks:Cluster$aws:eks/nodeGroup:NodeGroup::build-x86"
    )
    assert engine.aliases_of(node) == [
        "urn:pulumi:dev::multiarch::multiarch:eks:Cluster$aws:eks/nodeGroup:NodeGroup::build-x86"
    ]
