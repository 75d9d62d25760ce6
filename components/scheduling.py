"""How the stack's pods are placed, as data: taints and the tolerations of exactly them, the system
nodes' taint and the preference for them, the annotations that keep a build on its node, and what
the platform's own pods on a system node request. Pure: the components write these into their
objects, and the settings check the system node's size against them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from . import arch, names

# Build pods: no autoscaler may evict them mid-build, whichever scales the pools (Karpenter's
# consolidation, drift and expiry; the Cluster Autoscaler's scale-down, on EKS, GKE and OpenShift).
BUILD_POD_ANNOTATIONS = {
    "karpenter.sh/do-not-disrupt": "true",
    "cluster-autoscaler.kubernetes.io/safe-to-evict": "false",
}


class TaintLike(Protocol):
    """A node taint: the settings' `Taint`, read-only."""

    @property
    def key(self) -> str: ...
    @property
    def value(self) -> str: ...
    @property
    def effect(self) -> str: ...


def toleration(taint: TaintLike | Mapping[str, str]) -> dict[str, str]:
    """The toleration of exactly this taint (key, value and effect; `Exists` for a taint without a value)."""
    key, value, effect = (
        (taint["key"], taint.get("value", ""), taint["effect"])
        if isinstance(taint, Mapping)
        else (taint.key, taint.value, taint.effect)
    )
    if not value:
        return {"key": key, "operator": "Exists", "effect": effect}
    return {"key": key, "operator": "Equal", "value": value, "effect": effect}


def tolerations(taints: Sequence[TaintLike]) -> list[dict[str, str]]:
    """One toleration per distinct taint, in order."""
    seen: dict[tuple[str, str, str], dict[str, str]] = {}
    for t in taints:
        seen.setdefault((t.key, t.value, t.effect), toleration(t))
    return list(seen.values())


# The system pool's taint: only controllers run there, never builds, and the stack's own
# controllers tolerate it. EKS (Karpenter's system node group): CriticalAddonsOnly, which the EKS
# add-ons and Karpenter's chart tolerate. GKE: GKE's own taint for its managed components, which
# every GKE-managed kube-system pod tolerates (event-exporter-gke and l7-default-backend tolerate
# it and not CriticalAddonsOnly: under that taint they would need a build node, and keep it).
SYSTEM_TAINTS: dict[str, dict[str, str]] = {
    "eks": {"key": "CriticalAddonsOnly", "value": "true", "effect": "NoSchedule"},
    "gke": {"key": "components.gke.io/gke-managed-components", "value": "true", "effect": "NoSchedule"},
}
SYSTEM_TAINT = SYSTEM_TAINTS["eks"]
SYSTEM_TOLERATION = {"key": "CriticalAddonsOnly", "operator": "Exists"}


def system_taint(platform: str) -> dict[str, str]:
    return SYSTEM_TAINTS.get(platform, SYSTEM_TAINT)


def system_toleration(platform: str) -> dict[str, str]:
    return {"key": system_taint(platform)["key"], "operator": "Exists"}


# What the Karpenter controller requests (one replica per system node).
KARPENTER_CONTROLLER_REQUESTS = {"cpu": "250m", "memory": "512Mi"}
# The GitLab runner's helper container in every job pod (config.toml helper_*_request).
RUNNER_HELPER_REQUESTS = {"cpu": "100m", "memory": "128Mi"}
# The qemu binfmt DaemonSet: the registering init container, then the container that stays.
BINFMT_INIT_REQUESTS = {"cpu": "10m", "memory": "32Mi"}
BINFMT_REQUESTS = {"cpu": "1m", "memory": "4Mi"}


PREFERRED = "preferredDuringSchedulingIgnoredDuringExecution"
# A controller that lands on a build node keeps that node, and its cost, alive (engine karpenter).
SYSTEM_NODE_PREFERENCE = {
    "weight": 100,
    "preference": {"matchExpressions": [{"key": arch.POOL_LABEL, "operator": "In", "values": [names.SYSTEM_POOL]}]},
}


def prefer_system_nodes() -> dict[str, Any]:
    """Node affinity preferring the system node group."""
    return {"nodeAffinity": {PREFERRED: [SYSTEM_NODE_PREFERENCE]}}
