"""GKE node pools, one per pool, each exactly one architecture.

Per pool, a `gcp.container.NodePool` with the pool's machine type on COS_CONTAINERD, autoscaling
between the pool's total min and max (BALANCED location policy), auto repair and upgrade, Spot
VMs for `capacityType: SPOT`, the boot disk type the series supports (pd-balanced, or
hyperdisk-balanced on C4A, N4, N4A, C4, ...: `components/catalog/gcp.py`),
the pool's labels plus `multiarch.dev/pool`, its taints in GKE's
NO_SCHEDULE vocabulary, and GKE_METADATA (Workload Identity). A T2A pool in a regional cluster
is pinned to the region's T2A zones. GKE taints arm64 nodes `kubernetes.io/arch=arm64:NoSchedule`
by itself: the stack never declares that taint (no permanent diff), and everything it runs on
arm64 tolerates it. The initial node count is per zone and only initial: the autoscaler owns it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from .. import arch, zones
from ..settings import NodePool


@dataclass(frozen=True)
class GkeNodePoolsArgs:
    cluster_name: pulumi.Input[str]  # the GKE cluster the pools join
    project: str  # GCP project id
    location: str  # the cluster's region or zone
    pools: Sequence[NodePool]  # one node pool per pool, keyed by pool name (none with engine compute-class)
    system: NodePool | None = None  # the system node pool (tainted CriticalAddonsOnly), when the stack has one


class GkeNodePools(pulumi.ComponentResource):
    """One GKE node pool per configured pool."""

    node_pools: dict[str, gcp.container.NodePool]

    def __init__(self, name: str, args: GkeNodePoolsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("multiarch:gke:NodePools", name, None, opts)
        self.node_pools = {}
        for pool in [*([args.system] if args.system is not None else []), *args.pools]:
            self.node_pools[pool.name] = gcp.container.NodePool(
                f"{name}-{pool.name}",
                name=pool.name,
                cluster=args.cluster_name,
                project=args.project,
                location=args.location,
                node_locations=zones.node_locations(pool, args.location),
                initial_node_count=zones.initial_per_zone(pool, args.location),
                autoscaling=gcp.container.NodePoolAutoscalingArgs(
                    total_min_node_count=pool.min_size,
                    total_max_node_count=pool.max_size,
                    location_policy="BALANCED",
                ),
                management=gcp.container.NodePoolManagementArgs(auto_repair=True, auto_upgrade=True),
                upgrade_settings=gcp.container.NodePoolUpgradeSettingsArgs(max_surge=1, max_unavailable=0),
                node_config=gcp.container.NodePoolNodeConfigArgs(
                    machine_type=pool.instance_type,
                    image_type="COS_CONTAINERD",
                    disk_size_gb=pool.disk_size,
                    disk_type=pool.gke_boot_disk(),
                    spot=pool.capacity_type == "SPOT",
                    labels={**pool.labels, arch.POOL_LABEL: pool.name},
                    taints=[
                        gcp.container.NodePoolNodeConfigTaintArgs(
                            key=t.key, value=t.value, effect=arch.cloud_taint_effect(t.effect)
                        )
                        for t in sorted(pool.taints, key=arch.taint_order)
                    ],
                    metadata={"disable-legacy-endpoints": "true"},
                    oauth_scopes=["https://www.googleapis.com/auth/cloud-platform"],
                    workload_metadata_config=gcp.container.NodePoolNodeConfigWorkloadMetadataConfigArgs(
                        mode="GKE_METADATA"
                    ),
                ),
                opts=pulumi.ResourceOptions(
                    parent=self,
                    # Per-zone initial size only: changing it would recreate the pool.
                    ignore_changes=["initialNodeCount"],
                ),
            )
        self.register_outputs({"nodePools": {n: p.name for n, p in self.node_pools.items()}})
