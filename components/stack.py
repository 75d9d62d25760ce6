"""The stack: composes the platform's components from validated settings.

`build(settings)` creates the explicit cloud and Kubernetes providers, the cluster, the node
pools (and, as they land, the in-cluster capabilities), and returns what `__main__` exports.
Only the chosen platform's cloud SDK is imported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi

from components import arch
from components.settings import Settings


@dataclass
class StackOutputs:
    """What the program exports: plain values and Outputs, keyed by export name."""

    values: dict[str, Any] = field(default_factory=dict)


def common_tags(settings: Settings) -> dict[str, str]:
    return {"multiarch.dev/stack": settings.stack, "managed-by": "pulumi"}


def build(settings: Settings) -> StackOutputs:
    if settings.platform == "eks":
        return _build_eks(settings)
    raise NotImplementedError(f"platform {settings.platform} is not built yet")


def _pool_summary(settings: Settings) -> dict[str, dict[str, Any]]:
    return {
        p.name: {"arch": p.arch, "instanceType": p.instance_type, "minSize": p.min_size, "maxSize": p.max_size}
        for p in settings.node_pools
    }


def _build_eks(settings: Settings) -> StackOutputs:
    import pulumi_aws as aws

    from components import kube
    from components.clusters.eks import EksCluster, EksClusterArgs
    from components.nodepools.eks import EksNodePools, EksNodePoolsArgs

    assert settings.aws_region is not None  # checked by settings
    tags = common_tags(settings)
    aws_provider = aws.Provider(
        "aws",
        region=settings.aws_region,
        default_tags=aws.ProviderDefaultTagsArgs(tags=tags),
    )
    cloud = pulumi.ResourceOptions(providers={"aws": aws_provider})
    c = settings.cluster
    cluster = EksCluster(
        c.name,
        EksClusterArgs(
            name=c.name,
            region=settings.aws_region,
            version=c.kubernetes_version,
            create=c.create,
            subnet_ids=c.subnet_ids,
            endpoint_public_access=c.endpoint_public_access,
            public_access_cidrs=c.public_access_cidrs,
        ),
        opts=cloud,
    )
    pools = EksNodePools(
        f"{c.name}-pools",
        EksNodePoolsArgs(
            cluster_name=cluster.cluster_name,
            name_prefix=c.name,
            subnet_ids=cluster.subnet_ids,
            pools=settings.node_pools,
            version=cluster.version,
        ),
        opts=cloud,
    )
    k8s_provider = kube.provider("k8s", cluster.kubeconfig, opts=pulumi.ResourceOptions(depends_on=[pools]))
    del k8s_provider  # handed to the in-cluster components as they are added
    return StackOutputs(
        {
            "platform": settings.platform,
            "clusterName": cluster.cluster_name,
            "clusterEndpoint": cluster.endpoint,
            "kubernetesVersion": cluster.version,
            "kubeconfig": cluster.kubeconfig,
            "architectures": list(settings.arches),
            "nodePools": _pool_summary(settings),
            "nodeGroupNames": {n: g.node_group_name for n, g in pools.node_groups.items()},
            "archLabel": arch.ARCH_LABEL,
        }
    )
