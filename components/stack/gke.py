"""GKE: the cluster (created or adopted), its node pools or ComputeClasses, Filestore."""

from __future__ import annotations

from typing import Any

import pulumi

from .. import scheduling
from ..settings import Settings, as_input
from .common import Platform, Scope, _managed_cluster, common_tags


def _gke(settings: Settings, scope: Scope, secrets: dict[str, Any]) -> Platform:
    import pulumi_gcp as gcp

    from ..clusters.gke import GkeCluster, GkeClusterArgs
    from ..nodepools.gke import GkeNodePools, GkeNodePoolsArgs

    c = settings.cluster
    filestore = settings.storage.filestore
    classes = settings.autoscaling.uses_compute_classes
    assert settings.gcp_project is not None and c.location is not None  # checked by settings
    gcp_provider = gcp.Provider(
        "gcp",
        project=settings.gcp_project,
        region=settings.gcp_region,
        default_labels={k.replace(".", "-").replace("/", "_"): v for k, v in common_tags(settings).items()},
        opts=scope.opts(),
    )
    cloud = scope.opts(pulumi.ResourceOptions(providers={"gcp": gcp_provider}))
    cluster = GkeCluster(
        c.name,
        GkeClusterArgs(
            name=c.name,
            project=settings.gcp_project,
            location=c.location,
            version=c.kubernetes_version,
            create=c.create,
            filestore_csi_driver=filestore is not None and filestore.enabled,
            autoscaling_profile=settings.autoscaling.profile,
            auto_provisioning=(
                (settings.autoscaling.limits.cores.max, settings.autoscaling.limits.memory_gib.max) if classes else None
            ),
            network=as_input(c.network),
            subnetwork=as_input(c.subnetwork),
        ),
        opts=cloud,
    )
    pools = GkeNodePools(
        f"{c.name}-pools",
        GkeNodePoolsArgs(
            cluster_name=cluster.cluster_name,
            project=settings.gcp_project,
            location=c.location,
            pools=() if classes else settings.node_pools,  # compute-class: GKE creates the build pools
            system=settings.system_pool,
        ),
        opts=cloud,
    )
    platform = _managed_cluster(cluster, scope, nodePoolNames={n: p.name for n, p in pools.node_pools.items()})
    platform.system_nodes = settings.system_pool is not None
    platform.system_toleration = scheduling.system_toleration("gke")
    if classes:
        from ..computeclass import ComputeClasses, ComputeClassesArgs

        computed = ComputeClasses(
            "compute-classes",
            ComputeClassesArgs(pools=settings.node_pools, location=c.location, version=c.kubernetes_version),
            opts=scope.opts(pulumi.ResourceOptions(providers={"kubernetes": platform.kubernetes}, depends_on=[pools])),
        )
        platform.compute_classes = computed.classes
    if filestore is not None and filestore.enabled:
        from ..storage import FilestoreStorage, FilestoreStorageArgs, workspace_class_name

        shared = settings.pipelines is not None
        FilestoreStorage(
            f"{c.name}-filestore",
            FilestoreStorageArgs(storage_class=filestore.storage_class, workspace=shared),
            opts=scope.opts(pulumi.ResourceOptions(providers={"kubernetes": platform.kubernetes}, depends_on=[pools])),
        )
        platform.rwx_storage_class = filestore.storage_class.name
        if shared:  # one Filestore instance for every build's workspace, not two per build
            platform.shared_workspace = (
                workspace_class_name(filestore.storage_class.name),
                filestore.workspace_capacity,
            )
    return platform
