"""GKE ComputeClasses (engine compute-class): one per build pool, the machine series it falls back
across, Spot first.

Per pool, a `cloud.google.com/v1` ComputeClass named `multiarch-<pool>` whose priorities are its
series (`instanceFamilies` in their order, led by the pool's `instanceType` series when they do not
name it; for arm64 by default C4A, N4A where GKE offers it, then T2A where it is offered), each at
the pool's size (`minCores`) with the boot disk the series supports, Spot entries first when the
pool allows Spot, on-demand after. GKE creates the node pools (`nodePoolAutoCreation`), and
`whenUnsatisfiable: DoNotScaleUp` keeps a class from falling back to the cluster's default E2 (x86)
machines: an arm64 class launches arm64 or nothing. The arm64 taint stays
(`architectureTaintBehavior: ARM`), so only what tolerates it lands there. Build pods select their
class with `cloud.google.com/compute-class` (the Tekton run template, the CI jobs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from . import arch, names
from .catalog import gcp, lifecycle
from .settings import NodePool

CLASS_LABEL = arch.COMPUTE_CLASS_LABEL  # what a pod's nodeSelector names its class by
ARCH_ANNOTATION = "multiarch.dev/arch"  # the class's arch, for the policy pack
# arm64 series in preference order when a pool names none: Axion first, then Tau T2A.
ARM64_DEFAULT = ("c4a", "n4a", "t2a")


def series_order(pool: NodePool, location: str, version: str) -> list[gcp.Series]:
    """The pool's series, most preferred first: its instanceFamilies in their order (instanceType's
    series first when they do not name it), and for an arm64 pool that names none the Axion and Tau
    series GKE offers there at this version."""
    first = gcp.lookup(pool.instance_type)
    families = list(pool.instance_families) or (list(ARM64_DEFAULT) if pool.arch == "arm64" else [])
    # The user's order where instanceFamilies names instanceType's series; else that series leads.
    names_ = [] if first is None or first.series.name in families else [first.series.name]
    names_ += families
    out = []
    for name in dict.fromkeys(names_):
        s = gcp.SERIES[name]
        too_new = s.gke_from and lifecycle.minor_key(version) < lifecycle.minor_key(s.gke_from)
        if s.arch == pool.arch and gcp.offered_in(s, location) and not too_new:
            out.append(s)
    return out


def priorities(pool: NodePool, location: str, version: str) -> list[dict[str, Any]]:
    machine = gcp.lookup(pool.instance_type)
    cores = machine.vcpu if machine else 1
    spot_first = [c == "SPOT" for c in sorted(pool.all_capacity_types, key=lambda c: c != "SPOT")]
    return [
        {
            "machineFamily": s.name,
            "minCores": cores,
            "spot": spot,
            "storage": {"bootDiskType": s.boot_disks[0], "bootDiskSize": pool.disk_size},
        }
        for spot in spot_first
        for s in series_order(pool, location, version)
    ]


def compute_class(pool: NodePool, location: str, version: str) -> dict[str, Any]:
    """The ComputeClass manifest of one build pool."""
    taints = [
        {"key": t.key, **({"value": t.value} if t.value else {}), "effect": t.effect}
        for t in sorted(pool.taints, key=arch.taint_order)
    ]
    return {
        "apiVersion": "cloud.google.com/v1",
        "kind": "ComputeClass",
        "metadata": {
            "name": names.compute_class(pool.name),
            "labels": {arch.POOL_LABEL: pool.name},
            "annotations": {ARCH_ANNOTATION: pool.arch},
        },
        "spec": {
            "description": f"multiarch build pool {pool.name}: {pool.arch} builds only",
            "priorities": priorities(pool, location, version),
            "nodePoolAutoCreation": {"enabled": True},
            "nodePoolConfig": {
                "imageType": "cos_containerd",
                "nodeLabels": {**pool.labels, arch.POOL_LABEL: pool.name},
                **({"taints": taints} if taints else {}),
                # Keep GKE's kubernetes.io/arch=arm64:NoSchedule on arm64 nodes: only what tolerates it lands.
                "taintConfig": {"architectureTaintBehavior": "ARM"},
            },
            # Never the cluster's default machines (E2, x86): an arm64 class launches arm64 or nothing.
            "whenUnsatisfiable": "DoNotScaleUp",
            # Builds are not moved to a better priority mid-run (they say safe-to-evict: false anyway).
            "activeMigration": {"optimizeRulePriority": False},
        },
    }


@dataclass(frozen=True)
class ComputeClassesArgs:
    pools: Sequence[NodePool]  # one class per build pool
    location: str  # the cluster's region or zone: which series are offered
    version: str  # the cluster's minor: which series GKE offers


class ComputeClasses(pulumi.ComponentResource):
    """One GKE ComputeClass per build pool; pass the cluster's Kubernetes provider."""

    classes: dict[arch.Arch, str]  # arch -> the class its builds select (the first pool of the arch)

    def __init__(self, name: str, args: ComputeClassesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("multiarch:gke:ComputeClasses", name, None, opts)
        self.classes = {}
        for pool in args.pools:
            manifest = compute_class(pool, args.location, args.version)
            k8s.apiextensions.CustomResource(
                f"{name}-{pool.name}",
                api_version=manifest["apiVersion"],
                kind=manifest["kind"],
                metadata=manifest["metadata"],
                spec=manifest["spec"],
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.classes.setdefault(pool.arch, manifest["metadata"]["name"])
        self.register_outputs({"classes": self.classes})
