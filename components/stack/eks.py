"""EKS: the cluster (created or adopted), its pools (managed node groups or Karpenter), the Cluster
Autoscaler, EFS."""

from __future__ import annotations

from typing import Any

import pulumi

from .. import names
from ..settings import Settings, as_input, karpenter_ami_alias
from .common import Platform, Scope, _managed_cluster, common_tags, keyed


def _eks(settings: Settings, scope: Scope, secrets: dict[str, Any]) -> Platform:
    import pulumi_aws as aws

    from ..clusters.eks import EksCluster, EksClusterArgs
    from ..nodepools.eks import EksNodePools, EksNodePoolsArgs

    assert settings.aws_region is not None  # checked by settings
    aws_provider = aws.Provider(
        "aws",
        region=settings.aws_region,
        default_tags=aws.ProviderDefaultTagsArgs(tags=common_tags(settings)),
        opts=scope.opts(),
    )
    cloud = scope.opts(pulumi.ResourceOptions(providers={"aws": aws_provider}))
    c = settings.cluster
    cluster = EksCluster(
        c.name,
        EksClusterArgs(
            name=c.name,
            region=settings.aws_region,
            version=c.kubernetes_version,
            create=c.create,
            subnet_ids=[as_input(s) for s in c.subnet_ids],
            endpoint_public_access=c.endpoint_public_access,
            public_access_cidrs=[as_input(cidr) for cidr in c.public_access_cidrs],
        ),
        opts=cloud,
    )
    system = settings.system_pool  # engine karpenter: the only managed node group
    pools = EksNodePools(
        f"{c.name}-pools",
        EksNodePoolsArgs(
            cluster_name=cluster.cluster_name,
            name_prefix=c.name,
            subnet_ids=cluster.subnet_ids,
            pools=[system] if system is not None else settings.node_pools,
            version=cluster.version,
            autoscaler_discovery=system is None,
        ),
        opts=cloud,
    )
    platform = _managed_cluster(
        cluster,
        scope,
        kubernetesVersion=cluster.version,
        nodeGroupNames={n: g.node_group_name for n, g in pools.node_groups.items()},
    )
    platform.system_nodes = system is not None
    if system is not None:
        from ..karpenter import Karpenter, KarpenterArgs

        karpenter = Karpenter(
            "karpenter",
            KarpenterArgs(
                cluster_name=c.name,
                cluster=cluster.cluster_name,
                region=settings.aws_region,
                subnets=keyed(c.subnet_ids, "subnet"),
                security_group_id=cluster.security_group_id,
                pools=settings.node_pools,
                settings=settings.autoscaling.karpenter_settings,
                ami_alias=karpenter_ami_alias(settings.autoscaling.karpenter_settings, c.kubernetes_version),
                termination_grace_period=settings.karpenter_termination_grace_period,
                tags=common_tags(settings),
                pod_identity_agent=cluster.pod_identity_agent,
                system_nodes=pools,
            ),
            opts=scope.opts(pulumi.ResourceOptions(providers={"aws": aws_provider, "kubernetes": platform.kubernetes})),
        )
        platform.outputs["karpenterPolicies"] = karpenter.policies
        platform.outputs["karpenterInterruptionQueue"] = karpenter.queue_name
    elif settings.autoscaling.enabled:
        from ..autoscaler import EksClusterAutoscaler, EksClusterAutoscalerArgs

        autoscaler = EksClusterAutoscaler(
            "cluster-autoscaler",
            EksClusterAutoscalerArgs(
                cluster_name=c.name,
                cluster=cluster.cluster_name,
                region=settings.aws_region,
                kubernetes_version=c.kubernetes_version,
                node_group_names=[names.eks_node_group(c.name, p.name) for p in settings.node_pools],
                autoscaling=settings.autoscaling,
                pod_identity_agent=cluster.pod_identity_agent,
            ),
            opts=scope.opts(
                pulumi.ResourceOptions(
                    providers={"aws": aws_provider, "kubernetes": platform.kubernetes}, depends_on=[pools]
                )
            ),
        )
        platform.outputs["clusterAutoscalerPolicy"] = autoscaler.policy
    efs = settings.storage.efs
    if efs is not None and efs.enabled:
        from ..storage import EfsStorage, EfsStorageArgs

        storage = EfsStorage(
            f"{c.name}-efs",
            EfsStorageArgs(
                efs=efs,
                platform="eks",
                name_prefix=c.name,
                vpc_id=cluster.vpc_id,
                subnets=keyed(c.subnet_ids, "subnet"),
                # Managed node groups without a launch template run in the cluster security group.
                nfs_source_security_group_id=cluster.security_group_id,
                cluster_name=cluster.cluster_name,
                oidc_issuer=cluster.oidc_issuer,
                pod_identity_agent=cluster.pod_identity_agent,
                system_nodes=platform.system_nodes,
            ),
            opts=scope.opts(
                pulumi.ResourceOptions(
                    providers={"aws": aws_provider, "kubernetes": platform.kubernetes}, depends_on=[pools]
                )
            ),
        )
        platform.outputs["efsFileSystemId"] = storage.file_system_id
        platform.rwx_storage_class = efs.storage_class.name
    return platform
