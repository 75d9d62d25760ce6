"""OpenShift on AWS: one `MachineSet` per pool and zone, each exactly one architecture.

For each pool and each zone in `cluster.zones`, a `machine.openshift.io/v1beta1` MachineSet in
`openshift-machine-api` named `<infrastructureName>-<pool>-<zone>`, as openshift-install writes its
own worker MachineSets (seed 001): the cluster labels, the worker role, the pool's labels and
taints, the instance type, the pool's RHCOS AMI, an encrypted gp3 root volume, and the worker
security group, private subnet and instance profile found by their installer-given names. The
pool's initial size is split across its zones; after creation replicas belong to the autoscaler.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from .. import arch, names
from ..settings import NodePool, as_input

NAMESPACE = "openshift-machine-api"
CLUSTER_LABEL = "machine.openshift.io/cluster-api-cluster"
MACHINESET_LABEL = "machine.openshift.io/cluster-api-machineset"


def machineset_name(infrastructure_name: str, pool: NodePool, zone: str) -> str:
    return names.machine_set(infrastructure_name, pool.name, zone)


def split_replicas(total: int, zones: Sequence[str]) -> dict[str, int]:
    """`total` spread over `zones`, the first zones (in name order, so the list's own order changes
    nothing) taking the remainder (5 over 3 -> 2, 2, 1)."""
    base, extra = divmod(total, len(zones))
    return {zone: base + (1 if i < extra else 0) for i, zone in enumerate(sorted(zones))}


def scale_from_zero_annotations(pool: NodePool) -> dict[str, str]:
    """What the autoscaler must know of a node it has never seen: its CPU, memory and arch."""
    vcpu, memory_mib = pool.aws_capacity(pool.instance_type)
    gpus = 0 if pool.unlisted_instance_type else arch.machine(arch.Cloud.AWS, pool.instance_type).gpus
    return {
        "capacity.cluster-autoscaler.kubernetes.io/labels": f"{arch.ARCH_LABEL}={pool.arch}",
        "machine.openshift.io/vCPU": str(vcpu),
        "machine.openshift.io/memoryMb": str(memory_mib),
        "machine.openshift.io/GPU": str(gpus),
    }


def zone_bounds(pool: NodePool, zones: Sequence[str]) -> dict[str, tuple[int, int]]:
    """The pool's min and max split across its zones (each MachineAutoscaler gets its share)."""
    lows, highs = split_replicas(pool.min_size, zones), split_replicas(pool.max_size, zones)
    return {zone: (lows[zone], highs[zone]) for zone in zones}


def machineset(infrastructure_name: str, region: str, pool: NodePool, zone: str, replicas: int) -> dict[str, Any]:
    """The MachineSet for one pool in one zone, as a plain manifest."""
    name = machineset_name(infrastructure_name, pool, zone)
    infra = infrastructure_name
    return {
        "apiVersion": "machine.openshift.io/v1beta1",
        "kind": "MachineSet",
        "metadata": {
            "name": name,
            "namespace": NAMESPACE,
            "labels": {CLUSTER_LABEL: infra, arch.POOL_LABEL: pool.name},
            "annotations": scale_from_zero_annotations(pool),
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {CLUSTER_LABEL: infra, MACHINESET_LABEL: name}},
            "template": {
                "metadata": {
                    "labels": {
                        CLUSTER_LABEL: infra,
                        "machine.openshift.io/cluster-api-machine-role": "worker",
                        "machine.openshift.io/cluster-api-machine-type": "worker",
                        MACHINESET_LABEL: name,
                    }
                },
                "spec": {
                    "metadata": {
                        "labels": {"node-role.kubernetes.io/worker": "", **pool.labels, arch.POOL_LABEL: pool.name}
                    },
                    "taints": [
                        {"key": t.key, "effect": t.effect, **({"value": t.value} if t.value else {})}
                        for t in sorted(pool.taints, key=arch.taint_order)
                    ],
                    "providerSpec": {
                        "value": {
                            "apiVersion": "machine.openshift.io/v1beta1",
                            "kind": "AWSMachineProviderConfig",
                            "ami": {"id": pool.ami_id},
                            "instanceType": pool.instance_type,
                            "placement": {"availabilityZone": zone, "region": region},
                            "blockDevices": [
                                {
                                    "ebs": {
                                        "encrypted": True,
                                        "volumeSize": pool.disk_size,
                                        "volumeType": "gp3",
                                    }
                                }
                            ],
                            "credentialsSecret": {"name": "aws-cloud-credentials"},
                            "userDataSecret": {"name": "worker-user-data"},
                            "iamInstanceProfile": {"id": f"{infra}-worker-profile"},
                            "securityGroups": [{"filters": [{"name": "tag:Name", "values": [f"{infra}-worker-sg"]}]}],
                            "subnet": {"filters": [{"name": "tag:Name", "values": [f"{infra}-private-{zone}"]}]},
                            "tags": [{"name": f"kubernetes.io/cluster/{infra}", "value": "owned"}],
                            "deviceIndex": 0,
                            "metadataServiceOptions": {"authentication": "Required"},
                        }
                    },
                },
            },
        },
    }


def _named_in(infrastructure_name: str, pool: NodePool, zone: str) -> str:
    return machineset_name(infrastructure_name, pool, zone)


def machineset_body(
    infrastructure_name: pulumi.Input[str], region: str, pool: NodePool, zone: str, replicas: int
) -> tuple[pulumi.Input[dict[str, Any]], pulumi.Input[dict[str, Any]]]:
    """(metadata, spec) of `machineset`: plain when the infrastructure name and the pool's AMI are
    known, else Outputs of them (the infrastructure name or the AMI given as an Output)."""
    ami = as_input(pool.ami_id)
    if isinstance(infrastructure_name, str) and not isinstance(ami, pulumi.Output):
        body = machineset(infrastructure_name, region, pool, zone, replicas)
        return body["metadata"], body["spec"]
    built = pulumi.Output.all(infrastructure_name, ami).apply(
        lambda v: machineset(v[0], region, pool.model_copy(update={"ami_id": v[1]}), zone, replicas)
    )
    return built.apply(lambda b: b["metadata"]), built.apply(lambda b: b["spec"])


@dataclass(frozen=True)
class OpenShiftNodePoolsArgs:
    # the cluster's status.infrastructureName (e.g. build-multiarch-tw9w9), an Output when given as one
    infrastructure_name: pulumi.Input[str]
    region: str  # AWS region of the cluster
    zones: Sequence[str]  # one MachineSet per pool per zone
    pools: Sequence[NodePool]  # each needs its RHCOS `amiId`


class OpenShiftNodePools(pulumi.ComponentResource):
    """MachineSets for every pool in every zone; pass the cluster's Kubernetes provider."""

    # Each by its key: the MachineSet's name, or `<pool>-<zone>` when the infrastructure name is an
    # Output (the autoscaler names its MachineAutoscalers by it, before the name is known).
    machine_sets: dict[str, k8s.apiextensions.CustomResource]
    bounds: dict[str, tuple[int, int]]  # key -> (min, max) replicas, for the autoscaler
    names: dict[str, pulumi.Input[str]]  # key -> the MachineSet's name

    def __init__(self, name: str, args: OpenShiftNodePoolsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("multiarch:openshift:NodePools", name, None, opts)
        self.machine_sets = {}
        self.bounds = {}
        self.names = {}
        infra = args.infrastructure_name
        for pool in args.pools:
            bounds = zone_bounds(pool, args.zones)
            for zone, replicas in split_replicas(pool.initial_size, args.zones).items():
                metadata, spec = machineset_body(infra, args.region, pool, zone, replicas)
                if isinstance(infra, str):
                    key = machineset_name(infra, pool, zone)
                    self.names[key] = key
                else:
                    key = f"{pool.name}-{zone}"
                    self.names[key] = pulumi.Output.concat(infra).apply(
                        functools.partial(_named_in, pool=pool, zone=zone)
                    )
                self.bounds[key] = bounds[zone]
                self.machine_sets[key] = k8s.apiextensions.CustomResource(
                    f"{name}-{pool.name}-{zone}",
                    api_version="machine.openshift.io/v1beta1",
                    kind="MachineSet",
                    metadata=metadata,
                    spec=spec,
                    opts=pulumi.ResourceOptions(
                        parent=self,
                        # Initial replicas only: after creation the autoscaler (or an operator) owns them.
                        ignore_changes=["spec.replicas"],
                    ),
                )
        self.register_outputs({"machineSets": self.machine_set_names})

    @property
    def machine_set_names(self) -> pulumi.Input[list[str]]:
        """Every MachineSet's name, in order (an Output when the infrastructure name is one)."""
        given = list(self.names.values())
        if all(isinstance(n, str) for n in given):
            return sorted(str(n) for n in given)
        return pulumi.Output.all(*given).apply(lambda ns: sorted(str(n) for n in ns))
