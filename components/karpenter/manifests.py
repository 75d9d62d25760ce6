"""Karpenter's Kubernetes side, as data: the chart's values, the EC2NodeClass and one NodePool per
build pool (arch, instance types and families, capacity types, labels, taints, limits from the
catalog, disruption). Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import arch, names, scheduling
from ..settings import NodePool

NAMESPACE = "kube-system"


SERVICE_ACCOUNT = "karpenter"


NODE_CLASS = "build"  # the one EC2NodeClass every build NodePool uses


DISCOVERY_TAG = names.KARPENTER_DISCOVERY_TAG


CAPACITY_TYPE_LABEL = "karpenter.sh/capacity-type"


INSTANCE_TYPE_LABEL = "node.kubernetes.io/instance-type"


CAPACITY_TYPES = {"ON_DEMAND": "on-demand", "SPOT": "spot"}


def pool_limits(pool: NodePool) -> dict[str, str]:
    """At most maxSize nodes (`nodes`), and the cpu and memory of maxSize nodes of the pool's largest
    instance type (the catalog's real figures): whichever types Karpenter picks from the fallback
    list, the pool never outgrows maxSize nodes."""
    sizes = [pool.aws_capacity(t) for t in pool.all_instance_types]
    vcpu = max(s[0] for s in sizes)
    mib = max(s[1] for s in sizes)
    memory = pool.max_size * mib
    return {
        "cpu": str(pool.max_size * vcpu),
        "memory": f"{memory // 1024}Gi" if memory % 1024 == 0 else f"{memory}Mi",
        "nodes": str(pool.max_size),
    }


def node_pool(pool: NodePool, consolidate_after: str, termination_grace_period: str = "75m") -> dict[str, Any]:
    """The NodePool spec for one build pool (karpenter.sh/v1): every instance type of its fallback
    list and every capacity type it allows (Karpenter prefers Spot when both are allowed, and picks
    among the types by price and availability), bounded by `pool_limits`."""
    template: dict[str, Any] = {
        "metadata": {"labels": {**pool.labels, arch.POOL_LABEL: pool.name}},
        "spec": {
            "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": NODE_CLASS},
            "requirements": [
                {"key": arch.ARCH_LABEL, "operator": "In", "values": [pool.arch]},
                {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
                {"key": INSTANCE_TYPE_LABEL, "operator": "In", "values": sorted(pool.all_instance_types)},
                {
                    "key": CAPACITY_TYPE_LABEL,
                    "operator": "In",
                    "values": sorted(CAPACITY_TYPES[c] for c in pool.all_capacity_types),
                },
            ],
            # Upstream's default, said explicitly: nodes are renewed monthly. A node whose build pods
            # say do-not-disrupt is drained when they end, or at the latest terminationGracePeriod
            # after Karpenter wants it gone: the longest build timeout plus a margin, so an expired
            # or drifted node cannot be held forever (Settings.karpenter_termination_grace_period).
            "expireAfter": "720h",
            "terminationGracePeriod": termination_grace_period,
        },
    }
    if pool.taints:
        template["spec"]["taints"] = [
            {"key": t.key, **({"value": t.value} if t.value else {}), "effect": t.effect}
            for t in sorted(pool.taints, key=arch.taint_order)
        ]
    return {
        "template": template,
        "disruption": {"consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": consolidate_after},
        "limits": pool_limits(pool),
    }


def node_class(
    cluster: str, node_role: str, disk_size_gib: int, tags: Mapping[str, str], ami_alias: str
) -> dict[str, Any]:
    """The one EC2NodeClass (karpenter.k8s.aws/v1) the build NodePools share."""
    return {
        "role": node_role,
        "amiSelectorTerms": [{"alias": ami_alias}],
        "subnetSelectorTerms": [{"tags": {DISCOVERY_TAG: cluster}}],
        "securityGroupSelectorTerms": [{"tags": {DISCOVERY_TAG: cluster}}],
        "blockDeviceMappings": [
            {
                "deviceName": "/dev/xvda",
                "rootVolume": True,
                "ebs": {
                    "volumeSize": f"{disk_size_gib}Gi",
                    "volumeType": "gp3",
                    "encrypted": True,
                    "deleteOnTermination": True,
                },
            }
        ],
        # IMDSv2 only, not reachable from pods (hop limit 1): pods get AWS credentials from Pod Identity.
        "metadataOptions": {"httpEndpoint": "enabled", "httpTokens": "required", "httpPutResponseHopLimit": 1},
        "tags": dict(tags),  # the provider's default tags do not reach what Karpenter launches
    }


def helm_values(cluster: str, queue: str, system_nodes: int) -> dict[str, Any]:
    """The karpenter chart's values: this cluster, its queue, on the system node group."""
    return {
        "settings": {"clusterName": cluster, "interruptionQueue": queue},
        "serviceAccount": {"create": True, "name": SERVICE_ACCOUNT},
        # The chart spreads replicas one per node: no more replicas than system nodes.
        "replicas": min(2, system_nodes),
        # On the system node group (the chart already tolerates CriticalAddonsOnly and keeps off
        # Karpenter's own nodes).
        "nodeSelector": {"kubernetes.io/os": "linux", arch.POOL_LABEL: names.SYSTEM_POOL},
        "controller": {
            "resources": {"requests": dict(scheduling.KARPENTER_CONTROLLER_REQUESTS), "limits": {"memory": "1Gi"}},
        },
    }
