"""The review of a change as a whole (`Review`, made by `review()`): the resources' actions, what
is blocked, the risks, the Kubernetes upgrade path the cloud allows, the cost before and after,
the policy verdicts that appear or disappear, and from them the exit code; `Review.doc()` is the
JSON document, `Review.terraform_report()` GitLab's report.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tools.diff.compare import Item, classify
from tools.diff.risk import Blocked, blocked, risks
from tools.diff.roles import Roles
from tools.diff.sides import Side

EXIT_SAFE, EXIT_POLICY, EXIT_CONFIG, EXIT_BLOCKED = 0, 1, 2, 3
SCHEMA_VERSION = 1

# Kubernetes versions a cloud upgrades in place, one minor at a time and never down (EKS:
# UpdateClusterVersion; GKE: master upgrades). A plan cannot see this; the cloud refuses it halfway.
VERSIONED = {
    "aws:eks/cluster:Cluster": ("version", "EKS"),
    "aws:eks/nodeGroup:NodeGroup": ("version", "EKS"),
    "gcp:container/cluster:Cluster": ("minMasterVersion", "GKE"),
}
UPGRADE_POLICY = "kubernetes-upgrade-path"


def _minor(version: Any) -> tuple[int, int] | None:
    m = re.match(r"^v?(\d+)\.(\d+)", version) if isinstance(version, str) else None
    return (int(m[1]), int(m[2])) if m else None


def upgrade_path(items: Iterable[Item]) -> list[dict[str, str]]:
    """Version changes the cloud refuses, as mandatory verdicts of the change (not of either side)."""
    found = []
    for item in items:
        if item.base is None or item.head is None or item.resource.type not in VERSIONED:
            continue
        key, cloud = VERSIONED[item.resource.type]
        old, new = _minor(item.base.inputs.get(key)), _minor(item.head.inputs.get(key))
        if old is None or new is None or old == new:
            continue
        shown = f"{key} {item.base.inputs[key]} → {item.head.inputs[key]}"
        if new < old:
            why = f"{shown}: {cloud} cannot downgrade Kubernetes; the update would fail after the earlier steps applied"
        elif new[0] != old[0] or new[1] > old[1] + 1:
            steps = " → ".join(f"{old[0]}.{m}" for m in range(old[1], new[1] + 1))
            why = f"{shown}: {cloud} upgrades one minor version at a time; apply {steps} as separate changes"
        else:
            continue
        found.append({"level": "mandatory", "policy": UPGRADE_POLICY, "resource": item.resource.name, "message": why})
    return found


COST_KEYS = ("atMin", "initial", "atMax")


def cost_delta(base: Side, head: Side) -> dict[str, Any]:
    """Both sides' totals and the change; a side whose plan could not price every pool has totals
    that are only lower bounds (`complete: false`), and then the change is unknown (None), never a
    difference of lower bounds."""

    def totals(side: Side) -> dict[str, float]:
        t = side.cost.get("totalMonthlyUsd") or {}
        return {k: float(t.get(k) or 0.0) for k in COST_KEYS}

    b, h = totals(base), totals(head)
    complete = {"base": base.cost.get("complete", True), "head": head.cost.get("complete", True)}

    def column(side: Side, key: str) -> bool:
        return bool((side.cost.get("completeByColumn") or {}).get(key, side.cost.get("complete", True)))

    missing = [
        f"no price for {', '.join(side.cost.get('unpriced', []))} in {side.cost.get('region')} ({label})"
        for label, side in (("BASE", base), ("HEAD", head))
        if not side.cost.get("complete", True)
    ]
    return {
        "base": b,
        "head": h,
        "complete": complete,
        "completeByColumn": {
            label: {k: column(side, k) for k in COST_KEYS} for label, side in (("base", base), ("head", head))
        },
        "incomplete": "; ".join(missing),  # "" when both sides are priced
        "delta": {k: round(h[k] - b[k], 2) if column(base, k) and column(head, k) else None for k in COST_KEYS},
    }


def _verdict_key(v: dict[str, str]) -> tuple[str, str, str, str]:
    return (v.get("level", ""), v.get("policy", ""), v.get("resource", ""), v.get("message", ""))


def verdict_delta(base: Side, head: Side, change: Sequence[dict[str, str]] = ()) -> dict[str, Any]:
    """Verdicts that appear or disappear, with the change's own (`change`: the upgrade path)."""
    b = {_verdict_key(v): v for v in base.verdicts}
    h = {_verdict_key(v): v for v in [*head.verdicts, *change]}
    return {
        "appeared": [h[k] for k in sorted(set(h) - set(b))],
        "resolved": [b[k] for k in sorted(set(b) - set(h))],
        "headMandatory": sum(1 for v in h.values() if v.get("level") in ("mandatory", "remediate")),
    }


@dataclass
class Review:
    base: Side
    head: Side
    items: list[Item]
    blocked: list[Blocked]
    risks: list[str]
    cost: dict[str, Any]
    verdicts: dict[str, Any]

    @property
    def summary(self) -> dict[str, int]:
        counts = dict.fromkeys(("create", "update", "replace", "delete", "same"), 0)
        for i in self.items:
            if i.counted:
                counts[i.action] += 1
        return counts

    @property
    def exit_code(self) -> int:
        if self.blocked:
            return EXIT_BLOCKED
        return EXIT_POLICY if self.verdicts["headMandatory"] else EXIT_SAFE

    def terraform_report(self) -> dict[str, Any]:
        """GitLab's Terraform report (create, update, delete of what the plan counts), and whether the
        cost change is known (GitLab reads the three counts; the rest is for whoever reads the file)."""
        s = self.summary
        return {
            "create": s["create"] + s["replace"],
            "update": s["update"],
            "delete": s["delete"] + s["replace"],
            "costComplete": not self.cost.get("incomplete"),
            "costIncomplete": self.cost.get("incomplete", ""),
        }

    def doc(self) -> dict[str, Any]:
        return {
            "schemaVersion": SCHEMA_VERSION,
            "base": {"source": self.base.source, "stack": self.base.stack, "platform": self.base.platform},
            "head": {"source": self.head.source, "stack": self.head.stack, "platform": self.head.platform},
            "resources": [
                {
                    "urn": i.resource.urn,
                    "type": i.resource.type,
                    "name": i.resource.name,
                    "action": i.action,
                    "counted": i.counted,
                    "renamedFrom": i.renamed_from,
                    "changes": [c.doc() for c in i.changes],
                    "reasons": [r.__dict__ for r in i.reasons],
                    "notes": i.notes,
                    "ignored": [c.doc() for c in i.ignored],
                    "refused": [r.__dict__ for r in i.refused],
                    "blocked": i.blocked,
                }
                for i in self.items
            ],
            "summary": self.summary,
            "blocked": [b.doc() for b in self.blocked],
            "risks": self.risks,
            "cost": self.cost,
            "verdicts": self.verdicts,
            "exitCode": self.exit_code,
        }


def review(base: Side, head: Side) -> Review:
    items = classify(base, head)
    roles = Roles.of(base.cost)  # the base's: what the change takes away
    return Review(
        base,
        head,
        items,
        blocked(items, head.stack, roles, Roles.of(head.cost)),
        risks(items, roles, Roles.of(head.cost)),
        cost_delta(base, head),
        verdict_delta(base, head, upgrade_path(items)),
    )
