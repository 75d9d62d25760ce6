"""The stack: composes the platform's components from validated settings.

`build(settings)` creates the explicit cloud and Kubernetes providers, the cluster, the node
pools and the in-cluster capabilities, and returns what `__main__` exports. Only the chosen
platform's cloud SDK is imported.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

from . import arch, kube, names
from .settings import Settings, karpenter_ami_alias


@dataclass
class Platform:
    """What every platform hands to the in-cluster layer, and what it exports."""

    kubernetes: k8s.Provider
    outputs: dict[str, Any] = field(default_factory=dict)
    rwx_storage_class: str | None = None  # the StorageClass build workspaces use, when storage is on
    system_nodes: bool = False  # a tainted system node pool (Karpenter's, GKE's): controllers tolerate it
    compute_classes: dict[arch.Arch, str] = field(default_factory=dict)  # gke, engine compute-class: arch -> class name


def common_tags(settings: Settings) -> dict[str, str]:
    return {"multiarch.dev/stack": settings.stack, "managed-by": "pulumi"}


@dataclass(frozen=True)
class Scope:
    """Where the stack's top-level resources go: under `parent` (the BuildPlatform component), each
    with an alias to the stack's root, where they were before the component existed (their
    children follow by Pulumi's alias inheritance). No parent: the stack's root, no alias."""

    parent: pulumi.Resource | None = None

    def opts(self, opts: pulumi.ResourceOptions | None = None) -> pulumi.ResourceOptions:
        if self.parent is None:
            return opts or pulumi.ResourceOptions()
        moved = pulumi.ResourceOptions(parent=self.parent, aliases=[pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)])
        return pulumi.ResourceOptions.merge(moved, opts)


def build(
    settings: Settings, parent: pulumi.Resource | None = None, secrets: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Declare the whole stack under `parent` (or the stack's root); returns the exports.
    `secrets`: the kubeconfig and runner token given as Outputs, which `settings` cannot hold."""
    from . import identity

    identity.watch()  # no two resources may create one object, from the first resource on
    scope = Scope(parent)
    secrets = secrets or {}
    builders = {"eks": _eks, "gke": _gke, "openshift": _openshift}
    platform = builders[settings.platform](settings, scope, secrets)
    in_cluster = scope.opts(pulumi.ResourceOptions(providers={"kubernetes": platform.kubernetes}))
    token = secrets.get("gitlab_runner_token")
    if token is None and settings.gitlab_runner_token is not None:
        token = pulumi.Output.secret(settings.gitlab_runner_token.get_secret_value())
    if settings.gitlab_runner is not None and token is not None:
        from . import runner

        taints = settings.build_taints  # GKE's own arm64 taint included
        runner.GitLabRunnerRelease(
            "gitlab-runner",
            runner.GitLabRunnerArgs(
                runner=settings.gitlab_runner,
                token=token,
                platform=settings.platform,
                system_nodes=platform.system_nodes,
                default_arch=settings.default_job_arch,
                taints=[t for pool_taints in taints.values() for t in pool_taints],
                classes=platform.compute_classes,
            ),
            opts=in_cluster,
        )
        platform.outputs["gitlabCiTemplate"] = runner.ci_component(
            settings.arches,
            sorted(settings.gitlab_runner.tags),
            taints,
            settings.default_job_arch,
            classes=platform.compute_classes,
            timeout=settings.gitlab_runner.job_timeout,
        )
    if settings.pipelines is not None:
        _pipelines(settings, settings.pipelines, platform, in_cluster)
    if settings.qemu is not None:
        from . import binfmt

        node_arches = binfmt.emulating_node_arches(settings.arches, settings.qemu.platforms)
        if node_arches:
            binfmt.QemuBinfmt(
                "qemu-binfmt",
                binfmt.QemuBinfmtArgs(
                    platforms=sorted(settings.qemu.platforms),
                    node_arches=node_arches,
                    taints=sorted({t for p in settings.node_pools for t in p.taints}, key=arch.taint_order),
                    openshift=settings.platform == "openshift",
                ),
                opts=in_cluster,
            )
    for warning in settings.warnings:
        pulumi.log.warn(warning)
    if platform.rwx_storage_class:
        platform.outputs["rwxStorageClass"] = platform.rwx_storage_class
    return {
        "platform": settings.platform,
        "architectures": list(settings.arches),
        "archLabel": arch.ARCH_LABEL,
        "nodePools": {
            p.name: {"arch": p.arch, "instanceType": p.instance_type, "minSize": p.min_size, "maxSize": p.max_size}
            for p in settings.node_pools
        },
        **platform.outputs,
    }


def _pipelines(settings: Settings, p: Any, platform: Platform, in_cluster: pulumi.ResourceOptions) -> None:
    from . import pipelines

    engine = pipelines.PipelineEngine(
        "pipelines", pipelines.PipelineEngineArgs(pipelines=p, system_nodes=platform.system_nodes), opts=in_cluster
    )
    run = pipelines.pipeline_run(
        settings.arches,
        platform.rwx_storage_class,
        p.namespace,
        settings.build_taints,
        settings.default_job_arch,
        classes=platform.compute_classes,
        timeout=p.run_timeout,
    )
    pipelines.BuildPipeline(
        "build-pipeline",
        pipelines.BuildPipelineArgs(
            namespace=p.namespace,
            # Every arch is built: natively where the stack has its pool, under qemu elsewhere.
            arches=arch.ARCHES,
            native=settings.arches,
            run_template=run,
            openshift=settings.platform == "openshift",
            engine=engine.ready,
        ),
        opts=in_cluster,
    )
    platform.outputs["examplePipelineRun"] = yaml.safe_dump(run, sort_keys=False)


def _managed_cluster(cluster: Any, scope: Scope, **exports: Any) -> Platform:
    """EKS/GKE: the Kubernetes provider from the cluster's own kubeconfig, and the cluster's exports."""
    return Platform(
        kube.provider("k8s", cluster.kubeconfig, scope.opts()),
        {
            "clusterName": cluster.cluster_name,
            "clusterEndpoint": cluster.endpoint,
            "kubeconfig": cluster.kubeconfig,
            **exports,
        },
    )


def _eks(settings: Settings, scope: Scope, secrets: dict[str, Any]) -> Platform:
    import pulumi_aws as aws

    from .clusters.eks import EksCluster, EksClusterArgs
    from .nodepools.eks import EksNodePools, EksNodePoolsArgs

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
            subnet_ids=c.subnet_ids,
            endpoint_public_access=c.endpoint_public_access,
            public_access_cidrs=c.public_access_cidrs,
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
        from .karpenter import Karpenter, KarpenterArgs

        karpenter = Karpenter(
            "karpenter",
            KarpenterArgs(
                cluster_name=c.name,
                cluster=cluster.cluster_name,
                region=settings.aws_region,
                subnet_ids=c.subnet_ids,
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
        from .autoscaler import EksClusterAutoscaler, EksClusterAutoscalerArgs

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
        from .storage import EfsStorage, EfsStorageArgs

        storage = EfsStorage(
            f"{c.name}-efs",
            EfsStorageArgs(
                efs=efs,
                platform="eks",
                name_prefix=c.name,
                vpc_id=cluster.vpc_id,
                subnets={subnet: subnet for subnet in c.subnet_ids},
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


def _gke(settings: Settings, scope: Scope, secrets: dict[str, Any]) -> Platform:
    import pulumi_gcp as gcp

    from .clusters.gke import GkeCluster, GkeClusterArgs
    from .nodepools.gke import GkeNodePools, GkeNodePoolsArgs

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
    if classes:
        from .computeclass import ComputeClasses, ComputeClassesArgs

        computed = ComputeClasses(
            "compute-classes",
            ComputeClassesArgs(pools=settings.node_pools, location=c.location, version=c.kubernetes_version),
            opts=scope.opts(pulumi.ResourceOptions(providers={"kubernetes": platform.kubernetes}, depends_on=[pools])),
        )
        platform.compute_classes = computed.classes
    if filestore is not None and filestore.enabled:
        from .storage import FilestoreStorage, FilestoreStorageArgs

        FilestoreStorage(
            f"{c.name}-filestore",
            FilestoreStorageArgs(storage_class=filestore.storage_class),
            opts=scope.opts(pulumi.ResourceOptions(providers={"kubernetes": platform.kubernetes}, depends_on=[pools])),
        )
        platform.rwx_storage_class = filestore.storage_class.name
    return platform


def _openshift(settings: Settings, scope: Scope, secrets: dict[str, Any]) -> Platform:
    from .nodepools.openshift import OpenShiftNodePools, OpenShiftNodePoolsArgs

    c = settings.cluster
    assert settings.aws_region is not None and c.infrastructure_name is not None  # checked by settings
    kubeconfig = secrets.get("kubeconfig")
    if kubeconfig is None and settings.kubeconfig is not None:
        kubeconfig = pulumi.Output.secret(settings.kubeconfig.get_secret_value())
    provider = kube.provider("k8s", kubeconfig, scope.opts())
    pools = OpenShiftNodePools(
        f"{c.name}-pools",
        OpenShiftNodePoolsArgs(
            infrastructure_name=c.infrastructure_name,
            region=settings.aws_region,
            zones=c.zones,
            pools=settings.node_pools,
        ),
        opts=scope.opts(pulumi.ResourceOptions(providers={"kubernetes": provider})),
    )
    platform = Platform(
        provider,
        {"infrastructureName": c.infrastructure_name, "machineSets": sorted(pools.machine_sets)},
    )
    if settings.autoscaling.enabled:
        from .autoscaler import OpenShiftAutoscaling, OpenShiftAutoscalingArgs

        OpenShiftAutoscaling(
            "autoscaling",
            OpenShiftAutoscalingArgs(
                autoscaling=settings.autoscaling,
                bounds=pools.bounds,
                machine_sets=pools.machine_sets,
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
    from .storage import EfsStorage, EfsStorageArgs

    c = settings.cluster
    infra = c.infrastructure_name or c.name
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
                filters=[aws.ec2.GetSubnetFilterArgs(name="tag:Name", values=[f"{infra}-private-{zone}"])], opts=lookup
            ).id
            for zone in c.zones
        }
        workers = aws.ec2.get_security_group_output(
            filters=[aws.ec2.GetSecurityGroupFilterArgs(name="tag:Name", values=[f"{infra}-worker-sg"])], opts=lookup
        )
        args = dataclasses.replace(
            args, vpc_id=workers.vpc_id, subnets=subnets, nfs_source_security_group_id=workers.id
        )
    storage = EfsStorage(f"{c.name}-efs", args, opts=scope.opts(pulumi.ResourceOptions(providers=providers)))
    return storage.file_system_id
