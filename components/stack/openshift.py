"""OpenShift on AWS: the cluster reached by its kubeconfig, MachineSets and their autoscalers, EFS
through the CSI driver operator."""

from __future__ import annotations

import dataclasses
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from .. import kube
from ..settings import Settings, as_input
from .common import Platform, Scope, common_tags


def _openshift(settings: Settings, scope: Scope, secrets: dict[str, Any]) -> Platform:
    from ..nodepools.openshift import OpenShiftNodePools, OpenShiftNodePoolsArgs

    c = settings.cluster
    assert settings.aws_region is not None and c.infrastructure_name is not None  # checked by settings
    kubeconfig = secrets.get("kubeconfig")
    if kubeconfig is None and settings.kubeconfig is not None:
        kubeconfig = pulumi.Output.secret(settings.kubeconfig.get_secret_value())
    provider = kube.provider("k8s", kubeconfig, scope.opts())
    pools = OpenShiftNodePools(
        f"{c.name}-pools",
        OpenShiftNodePoolsArgs(
            infrastructure_name=as_input(c.infrastructure_name),
            region=settings.aws_region,
            zones=c.zones,
            pools=settings.node_pools,
        ),
        opts=scope.opts(pulumi.ResourceOptions(providers={"kubernetes": provider})),
    )
    platform = Platform(
        provider,
        {"infrastructureName": as_input(c.infrastructure_name), "machineSets": pools.machine_set_names},
    )
    if settings.autoscaling.enabled:
        from ..autoscaler import OpenShiftAutoscaling, OpenShiftAutoscalingArgs

        OpenShiftAutoscaling(
            "autoscaling",
            OpenShiftAutoscalingArgs(
                autoscaling=settings.autoscaling,
                bounds=pools.bounds,
                machine_sets=pools.machine_sets,
                names=pools.names,
            ),
            opts=scope.opts(pulumi.ResourceOptions(providers={"kubernetes": provider})),
        )
    efs = settings.storage.efs
    if efs is not None and efs.enabled:
        platform.outputs["efsFileSystemId"] = _openshift_efs(settings, efs, provider, scope)
        platform.rwx_storage_class = efs.storage_class.name
    return platform


def _openshift_efs(settings: Settings, efs: Any, provider: k8s.Provider, scope: Scope) -> pulumi.Output[str]:
    """EFS for OpenShift: created in the cluster's VPC (found by the installer's names) or adopted."""
    from ..storage import EfsStorage, EfsStorageArgs

    c = settings.cluster
    infra: pulumi.Input[str] = as_input(c.infrastructure_name) or c.name
    args = EfsStorageArgs(efs=efs, platform="openshift", name_prefix=infra)
    providers: dict[str, pulumi.ProviderResource] = {"kubernetes": provider}
    if not efs.adopted:
        import pulumi_aws as aws

        aws_provider = aws.Provider(
            "aws",
            region=settings.aws_region,
            default_tags=aws.ProviderDefaultTagsArgs(tags=common_tags(settings)),
            opts=scope.opts(),
        )
        providers["aws"] = aws_provider
        lookup = pulumi.InvokeOutputOptions(provider=aws_provider)
        subnets = {
            zone: aws.ec2.get_subnet_output(
                filters=[aws.ec2.GetSubnetFilterArgs(name="tag:Name", values=[_suffixed(infra, f"-private-{zone}")])],
                opts=lookup,
            ).id
            for zone in c.zones
        }
        workers = aws.ec2.get_security_group_output(
            filters=[aws.ec2.GetSecurityGroupFilterArgs(name="tag:Name", values=[_suffixed(infra, "-worker-sg")])],
            opts=lookup,
        )
        args = dataclasses.replace(
            args, vpc_id=workers.vpc_id, subnets=subnets, nfs_source_security_group_id=workers.id
        )
    storage = EfsStorage(f"{c.name}-efs", args, opts=scope.opts(pulumi.ResourceOptions(providers=providers)))
    return storage.file_system_id


def _suffixed(infra: pulumi.Input[str], suffix: str) -> pulumi.Input[str]:
    """An installer-given name: the infrastructure name and a suffix (an Output when it is one)."""
    return infra + suffix if isinstance(infra, str) else pulumi.Output.concat(infra, suffix)
