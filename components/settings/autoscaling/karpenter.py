"""engine karpenter (eks): the system node group, the AMI alias, and what a build pool may set."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic.alias_generators import to_camel

from ... import names, versions
from ...catalog import lifecycle
from ..base import PROJECT, _Context, version_known
from ..instance_types import instance_type_problem
from ..pools import NodePool
from . import (
    CLUSTER_AUTOSCALER_KEYS,
    KARPENTER,
    KARPENTER_RESERVED_LABEL_DOMAINS,
    KARPENTER_RESERVED_LABELS,
    Autoscaling,
    Karpenter,
    SystemPool,
    karpenter_reserved_label,
)


def _check_karpenter(ctx: _Context, a: Autoscaling, pools: Sequence[NodePool], errors: list[str]) -> None:
    at = f"{PROJECT}:autoscaling"
    if a.engine != KARPENTER:
        errors.append(f"{at}.karpenter: only with {at}.engine karpenter (the engine is {a.engine})")
        return
    if ctx.platform is not None and ctx.platform != "eks":
        other = "GKE's cluster autoscaler" if ctx.platform == "gke" else "OpenShift's ClusterAutoscaler"
        errors.append(
            f"{at}.engine: karpenter is for platform eks (it launches EC2 instances for an EKS cluster); "
            f"on {ctx.platform} the pools are scaled by {other}: remove engine or set it to cluster-autoscaler"
        )
        return
    if not a.enabled:
        errors.append(f"{at}.enabled: false with engine karpenter: Karpenter is the autoscaler; enable it")
    for key in CLUSTER_AUTOSCALER_KEYS:
        if key in a.model_fields_set:
            errors.append(
                f"{at}.{to_camel(key)}: not used by engine karpenter (it consolidates after "
                f"{at}.karpenter.consolidateAfter; each NodePool's limits come from its pool's maxSize)"
            )
    k = a.karpenter_settings
    system = k.system_pool
    sys_at = f"{at}.karpenter.systemPool"
    if "enabled" in system.model_fields_set and not system.enabled:
        errors.append(f"{sys_at}.enabled: false with engine karpenter: its controller runs there; keep it")
    if system.min_size > system.max_size:
        errors.append(f"{sys_at}.minSize: {system.min_size} is greater than maxSize {system.max_size}")
    errors += system.unlisted_problems(sys_at, "eks")
    if ctx.catalog and not system.unlisted_instance_type and ctx.cloud is not None:
        _check_system_node(ctx, system, errors)
    if ctx.cluster is not None and version_known(ctx):
        _check_ami_alias(ctx.cluster.kubernetes_version, k, errors)
    if ctx.cluster is not None and not ctx.cluster.subnet_ids:
        errors.append(
            f"{PROJECT}:cluster.subnetIds: required with engine karpenter: the stack tags these subnets "
            f"karpenter.sh/discovery so Karpenter launches nodes into them; list the cluster's private subnets"
        )
    for pool in pools:
        pool_at = f"{PROJECT}:nodePools[{pool.name}]"
        if pool.name == names.SYSTEM_POOL:
            errors.append(
                f"{pool_at}.name: {pool.name!r} is the system node group's name with engine karpenter; "
                "choose another name for this build pool"
            )
        if pool.min_size != 0:
            errors.append(
                f"{pool_at}.minSize: {pool.min_size} with engine karpenter: Karpenter keeps no minimum, a "
                "build pool starts and idles at zero nodes; set minSize: 0 (the system pool runs the controllers)"
            )
        if pool.desired_size is not None:
            errors.append(f"{pool_at}.desiredSize: not used with engine karpenter (nodes come and go with the jobs)")
        for key in pool.labels:
            if karpenter_reserved_label(key):
                errors.append(
                    f"{pool_at}.labels.{key}: Karpenter sets its labels on its nodes itself "
                    f"({', '.join(d + '/*' for d in KARPENTER_RESERVED_LABEL_DOMAINS)}, "
                    f"{', '.join(KARPENTER_RESERVED_LABELS)}), and a NodePool may not set them; use a label of "
                    "your own domain (capacityType and instanceTypes choose what Karpenter launches)"
                )


def _check_ami_alias(version: str, k: Karpenter, errors: list[str]) -> None:
    at = f"{PROJECT}:autoscaling.karpenter.amiAlias"
    if k.ami_alias is None:
        if version not in versions.KARPENTER_AMI_ALIASES:
            errors.append(
                f"{PROJECT}:cluster.version: {version!r} has no Karpenter AMI alias pinned (pinned: "
                f"{', '.join(versions.KARPENTER_AMI_ALIASES)}, components/versions.py); set {at} to an AL2023 "
                f"release that has AMIs for {version}, such as al2023@vYYYYMMDD (awslabs/amazon-eks-ami releases)"
            )
        return
    if lifecycle.AMI_ALIAS.fullmatch(k.ami_alias) is None:
        errors.append(
            f"{at}: {k.ami_alias!r} is not an AL2023 alias: expected al2023@vYYYYMMDD (or al2023@latest) "
            "(Karpenter EC2NodeClass amiSelectorTerms alias)"
        )
    elif (dated := lifecycle.alias_date_problem(k.ami_alias)) is not None:
        errors.append(
            f"{at}: {k.ami_alias!r} is not an AL2023 release: {dated} (releases are named vYYYYMMDD, the day "
            "they were published, awslabs/amazon-eks-ami releases); the EC2NodeClass would find no image and never "
            "become Ready"
        )
    elif lifecycle.alias_covers(k.ami_alias, version) is False:
        release = k.ami_alias.split("@", 1)[1]
        low, high = lifecycle.AL2023_RELEASES[release]
        errors.append(
            f"{at}: {k.ami_alias} has AMIs for Kubernetes {low} to {high}, not for cluster.version {version}: "
            f"Karpenter would find no image and launch no node; choose a release that covers {version} "
            "(components/catalog/lifecycle.py, awslabs/amazon-eks-ami releases)"
        )


def _check_system_node(ctx: _Context, system: SystemPool, errors: list[str]) -> None:
    """The system node's type exists (whether it holds what runs there is the placement model's:
    `components/placement/`)."""
    key = f"{PROJECT}:autoscaling.karpenter.systemPool.instanceType"
    problem = instance_type_problem(ctx, system.type_on("eks"), None)
    if problem:
        errors.append(f"{key}: {problem.replace('on the pool', 'on the system pool')}")
