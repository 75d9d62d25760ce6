"""GKE cluster: created (default node pool removed, Workload Identity on) or adopted by name.

Creates, when `create` is true, a VPC-native `gcp.container.Cluster` on the REGULAR release
channel with its default node pool removed (the stack's pools replace it), Workload Identity, and
deletion protection. When `create` is false it only reads the existing cluster. Either way it
exposes the cluster's name, location, endpoint, CA and a kubeconfig (a secret) that authenticates
with `gke-gcloud-auth-plugin`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from .. import kube


@dataclass(frozen=True)
class GkeClusterArgs:
    name: str  # GKE cluster name (also the name of the adopted cluster)
    project: str  # GCP project id
    location: str  # region (regional cluster) or zone (zonal cluster)
    version: str  # minimum Kubernetes master version, e.g. "1.33"
    create: bool = True  # false: adopt the existing cluster `name`
    deletion_protection: bool = True  # default true: `pulumi destroy` cannot remove the cluster by accident
    filestore_csi_driver: bool = False  # default false: enable the Filestore CSI driver add-on (RWX volumes)
    autoscaling_profile: str = "OPTIMIZE_UTILIZATION"  # default: remove idle build nodes sooner than BALANCED
    # engine compute-class: node auto-provisioning within these totals (cores, memory GiB), so that
    # GKE creates the ComputeClasses' node pools; None (default): the stack's node pools only
    auto_provisioning: tuple[int, int] | None = None
    network: pulumi.Input[str] | None = None  # default None: the project's default network
    subnetwork: pulumi.Input[str] | None = None  # default None: GKE's choice in that network


class GkeCluster(pulumi.ComponentResource):
    """A GKE control plane, created or adopted."""

    cluster_name: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    ca_data: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]

    def __init__(self, name: str, args: GkeClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("multiarch:gke:Cluster", name, None, opts)
        if args.create:
            cluster = gcp.container.Cluster(
                name,
                name=args.name,
                project=args.project,
                location=args.location,
                min_master_version=args.version,
                release_channel=gcp.container.ClusterReleaseChannelArgs(channel="REGULAR"),
                # GKE needs a default pool to create a cluster; the stack's own pools replace it.
                remove_default_node_pool=True,
                initial_node_count=1,
                networking_mode="VPC_NATIVE",
                ip_allocation_policy=gcp.container.ClusterIpAllocationPolicyArgs(),
                workload_identity_config=gcp.container.ClusterWorkloadIdentityConfigArgs(
                    workload_pool=f"{args.project}.svc.id.goog"
                ),
                deletion_protection=args.deletion_protection,
                # Node pools scale themselves; the profile decides how eagerly idle nodes go away.
                cluster_autoscaling=gcp.container.ClusterClusterAutoscalingArgs(
                    autoscaling_profile=args.autoscaling_profile,
                    **(
                        {
                            "enabled": True,
                            "resource_limits": [
                                gcp.container.ClusterClusterAutoscalingResourceLimitArgs(
                                    resource_type="cpu", minimum=0, maximum=args.auto_provisioning[0]
                                ),
                                gcp.container.ClusterClusterAutoscalingResourceLimitArgs(
                                    resource_type="memory", minimum=0, maximum=args.auto_provisioning[1]
                                ),
                            ],
                        }
                        if args.auto_provisioning
                        else {}
                    ),
                ),
                addons_config=gcp.container.ClusterAddonsConfigArgs(
                    gcp_filestore_csi_driver_config=gcp.container.ClusterAddonsConfigGcpFilestoreCsiDriverConfigArgs(
                        enabled=args.filestore_csi_driver
                    )
                ),
                # Only when given: a stack that sets neither registers exactly what it always did.
                **{k: v for k, v in (("network", args.network), ("subnetwork", args.subnetwork)) if v is not None},
                opts=pulumi.ResourceOptions(parent=self, ignore_changes=["initialNodeCount", "nodeConfig"]),
            )
            self.cluster_name = cluster.name
            self.endpoint = cluster.endpoint
            self.ca_data = cluster.master_auth.apply(lambda a: a.cluster_ca_certificate or "")
        else:
            found = gcp.container.get_cluster_output(
                name=args.name,
                location=args.location,
                project=args.project,
                opts=pulumi.InvokeOutputOptions(parent=self),
            )
            self.cluster_name = found.name.apply(lambda n: n or args.name)
            self.endpoint = found.endpoint
            self.ca_data = found.master_auths.apply(lambda a: a[0].cluster_ca_certificate)
        self.kubeconfig = kube.gke_kubeconfig(self.cluster_name, self.endpoint, self.ca_data)
        self.register_outputs(
            {"clusterName": self.cluster_name, "endpoint": self.endpoint, "kubeconfig": self.kubeconfig}
        )
