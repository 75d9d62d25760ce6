"""The scheduler's rules, as data: may this pod land on a node of this shape, and if not, why.

Kubernetes' own filters, in its words: the node selector (every pair) and the required node
affinity (terms ORed, expressions within one ANDed; `NotIn` and `DoesNotExist` also hold where the
label is absent); taints and tolerations (an untolerated `NoSchedule` or `NoExecute` blocks,
`PreferNoSchedule` only scores); requests against what the node has left, and its pod count.
Preferences (preferred affinity, `PreferNoSchedule`) never block: they only choose among nodes
that fit, which the model does by trying a pod's preferred pool first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

Effect = Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]
BLOCKING: tuple[Effect, ...] = ("NoSchedule", "NoExecute")


@dataclass(frozen=True)
class Taint:
    key: str
    value: str
    effect: Effect

    def __str__(self) -> str:
        return f"{self.key}{'=' + self.value if self.value else ''}:{self.effect}"


def tolerated(taint: Taint, tolerations: Sequence[Mapping[str, str]]) -> bool:
    """A toleration matches a taint when its key is the taint's (or empty with `Exists`: every
    key), its effect is the taint's (or empty: every effect), and `Exists`, or `Equal` (the
    default operator) with the taint's value."""
    for t in tolerations:
        operator = t.get("operator", "Equal")
        key = t.get("key", "")
        if key and key != taint.key:
            continue
        if not key and operator != "Exists":
            continue
        if t.get("effect") and t["effect"] != taint.effect:
            continue
        if operator == "Exists" or t.get("value", "") == taint.value:
            return True
    return False


@dataclass(frozen=True)
class Expression:
    """One `matchExpressions` item of a required node affinity term."""

    key: str
    operator: Literal["In", "NotIn", "Exists", "DoesNotExist"]
    values: tuple[str, ...] = ()

    def holds(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        if self.operator == "In":
            return present and labels[self.key] in self.values
        if self.operator == "NotIn":
            return not present or labels[self.key] not in self.values
        return present if self.operator == "Exists" else not present


@dataclass(frozen=True)
class Pod:
    """What the scheduler knows of a pod: where it must go, what it tolerates, what it requests."""

    name: str
    role: Literal["controller", "autoscaler", "platform", "daemonset", "build"]
    cpu_m: int = 0
    memory_mib: int = 0
    replicas: int = 1
    node_selector: Mapping[str, str] = field(default_factory=dict)
    required: tuple[tuple[Expression, ...], ...] = ()  # terms, ORed; () none
    tolerations: tuple[Mapping[str, str], ...] = ()
    prefers_pool: str | None = None  # a preferred affinity for one pool (the system pool)
    one_per_node: bool = False  # a required anti-affinity on the hostname between its replicas
    source: str = ""  # where its requests come from
    detail: str = ""  # what its requests are made of (the build pod: build + helper)


@dataclass(frozen=True)
class Shape:
    """A node of a pool, of one instance type: its labels and taints, and what it leaves to pods
    once the node's reservations are made (before any pod, DaemonSets included)."""

    pool: str
    instance_type: str
    arch: str
    labels: Mapping[str, str]
    taints: tuple[Taint, ...]
    cpu_m: int
    memory_mib: int
    pods: int
    where: str = ""  # how allocatable was derived ("after the EKS AMI's reservation")
    vcpu: int = 0  # the machine's, as autoscalers count it toward their totals
    memory_total_mib: int = 0


def unfit_by_rules(pod: Pod, shape: Shape) -> str | None:
    """Why `pod` may never land on a node of `shape` whatever runs there (None: it may)."""
    for key, value in pod.node_selector.items():
        if shape.labels.get(key) != value:
            have = shape.labels.get(key)
            return (
                f"its node selector wants {key}={value}, the node has {key}={have}"
                if have
                else (f"its node selector wants {key}={value}, which the node does not carry")
            )
    if pod.required and not any(all(e.holds(shape.labels) for e in term) for term in pod.required):
        wanted = " or ".join(
            ", ".join(f"{e.key} {e.operator} {'/'.join(e.values)}".rstrip() for e in term) for term in pod.required
        )
        return f"its required node affinity ({wanted}) excludes the node"
    blocking = [t for t in shape.taints if t.effect in BLOCKING and not tolerated(t, pod.tolerations)]
    if blocking:
        return f"it does not tolerate the taint {blocking[0]}"
    return None


def unfit_by_size(pod: Pod, cpu_m: int, memory_mib: int, pods: int, shape: Shape) -> str | None:
    """Why `pod` does not fit what a node of `shape` has left (cpu, memory, pod count)."""
    if pods < 1:
        return f"the node runs at most {shape.pods} pods, and none is left"
    if pod.cpu_m > cpu_m:
        left = millicores(max(cpu_m, 0))
        return f"it requests {millicores(pod.cpu_m)} CPU, the node has {left} left{shape.where}"
    if pod.memory_mib > memory_mib:
        left = mebibytes(max(memory_mib, 0))
        return f"it requests {mebibytes(pod.memory_mib)} memory, the node has {left} left{shape.where}"
    return None


def millicores(m: int) -> str:
    return f"{m / 1000:g}" if m % 1000 == 0 else f"{m}m"


def mebibytes(mib: int) -> str:
    return f"{mib / 1024:g}Gi" if mib % 1024 == 0 else f"{mib}Mi"
