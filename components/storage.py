"""Shared RWX storage for parallel per-arch build tasks: EFS (EKS, OpenShift) and Filestore (GKE).

`EfsStorage` creates, unless it adopts `fileSystemId`: an encrypted EFS file system (protected
and retained on delete: it holds every build's workspace), its backup policy and lifecycle to IA,
a security group admitting NFS (TCP 2049) only from the cluster's (EKS) or workers' (OpenShift)
security group, and a mount target per subnet. Then the CSI driver: on EKS the
`aws-efs-csi-driver` add-on whose IAM role holds AmazonEFSCSIDriverPolicy (Pod Identity, or IRSA);
on OpenShift the AWS EFS CSI Driver Operator through OLM and its `ClusterCSIDriver`. Last, the
`efs-ap` StorageClass. `FilestoreStorage` creates the Filestore CSI StorageClass (the driver is
enabled on the cluster by `GkeCluster`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_kubernetes as k8s

from . import iam, names, scheduling, versions
from .settings import Efs, EfsStorageClass, FilestoreStorageClass, as_input

EFS_PROVISIONER = "efs.csi.aws.com"
FILESTORE_PROVISIONER = "filestore.csi.storage.gke.io"
EFS_CONTROLLER_SA = "efs-csi-controller-sa"
EFS_OPERATOR_NAMESPACE = "openshift-cluster-csi-drivers"
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"


def efs_parameters(sc: EfsStorageClass, file_system_id: str) -> dict[str, str]:
    """StorageClass parameters for dynamic provisioning through EFS access points."""
    params = {
        "provisioningMode": "efs-ap",
        "fileSystemId": file_system_id,
        "directoryPerms": sc.directory_perms,
        "basePath": sc.base_path,
    }
    optional = {"uid": sc.uid, "gid": sc.gid, "gidRangeStart": sc.gid_range_start, "gidRangeEnd": sc.gid_range_end}
    params.update({k: v for k, v in optional.items() if v is not None})
    return params


def _class_metadata(name: str, is_default: bool) -> k8s.meta.v1.ObjectMetaArgs:
    # Never the default class unless asked: other workloads keep their block storage.
    annotations = {DEFAULT_CLASS_ANNOTATION: "true"} if is_default else None
    return k8s.meta.v1.ObjectMetaArgs(name=name, annotations=annotations)


def _storage_class(
    name: str,
    metadata: k8s.meta.v1.ObjectMetaArgs,
    provisioner: str,
    parameters: pulumi.Input[Mapping[str, pulumi.Input[str]]],
    reclaim_policy: str,
    volume_binding_mode: str,
    opts: pulumi.ResourceOptions,
) -> k8s.storage.v1.StorageClass:
    return k8s.storage.v1.StorageClass(
        name,
        metadata=metadata,
        provisioner=provisioner,
        parameters=parameters,
        reclaim_policy=reclaim_policy,
        volume_binding_mode=volume_binding_mode,
        allow_volume_expansion=True,
        # The API server refuses to update a class's reclaimPolicy or volumeBindingMode, and pulumi-kubernetes
        # replaces only on provisioner and parameters: the engine replaces on these too. Its name is fixed:
        # replace by delete, then create.
        opts=pulumi.ResourceOptions.merge(
            opts,
            pulumi.ResourceOptions(
                delete_before_replace=True, replace_on_changes=["reclaimPolicy", "volumeBindingMode"]
            ),
        ),
    )


def _named(name: Callable[[str], str], prefix: pulumi.Input[str]) -> pulumi.Input[str]:
    """A physical name from the prefix: a string when it is one, else an Output of the name."""
    return name(prefix) if isinstance(prefix, str) else pulumi.Output.concat(prefix).apply(name)


@dataclass(frozen=True)
class EfsStorageArgs:
    efs: Efs  # file system (created or adopted), identity, StorageClass settings
    platform: Literal["eks", "openshift"]  # which CSI driver installation
    # physical names: <prefix>-efs security group, creation token, IAM role (openshift: the
    # infrastructure name, an Output when given as one)
    name_prefix: pulumi.Input[str]
    vpc_id: pulumi.Input[str] | None = None  # creating: VPC of the cluster (for the NFS security group)
    subnets: Mapping[str, pulumi.Input[str]] | None = None  # creating: stable key (subnet id or AZ) -> subnet
    nfs_source_security_group_id: pulumi.Input[str] | None = None  # creating: the only source admitted on 2049
    cluster_name: pulumi.Input[str] | None = None  # eks: the cluster the add-on is installed on
    oidc_issuer: pulumi.Input[str] | None = None  # eks with identity irsa: the cluster's OIDC issuer URL
    pod_identity_agent: pulumi.Resource | None = None  # eks with identity podIdentity: the agent add-on
    system_nodes: bool = False  # eks with engine karpenter: the CSI controller runs on the system nodes


class EfsStorage(pulumi.ComponentResource):
    """EFS file system, its CSI driver and the efs-ap StorageClass; pass the aws and kubernetes providers."""

    file_system_id: pulumi.Output[str]
    storage_class: k8s.storage.v1.StorageClass

    def __init__(self, name: str, args: EfsStorageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("multiarch:storage:Efs", name, None, opts)
        efs = args.efs
        if efs.adopted:
            # Adopted: the stack neither creates nor deletes it (nor its mount targets).
            self.file_system_id = pulumi.Output.from_input(as_input(efs.file_system_id))
        else:
            self.file_system_id = self._file_system(name, args)
        driver = self._eks_driver(name, args) if args.platform == "eks" else self._openshift_driver(name)
        sc = efs.storage_class
        self.storage_class = _storage_class(
            f"{name}-class",
            _class_metadata(sc.name, sc.is_default),
            EFS_PROVISIONER,
            self.file_system_id.apply(lambda fs: efs_parameters(sc, fs)),
            sc.reclaim_policy,
            sc.volume_binding_mode,
            # The driver must exist before volumes are provisioned; no data flows from it.
            pulumi.ResourceOptions(parent=self, depends_on=[driver]),
        )
        self.register_outputs({"fileSystemId": self.file_system_id, "storageClass": sc.name})

    def _file_system(self, name: str, args: EfsStorageArgs) -> pulumi.Output[str]:
        import pulumi_aws as aws

        efs = args.efs
        assert args.vpc_id is not None and args.subnets is not None and args.nfs_source_security_group_id is not None
        child = pulumi.ResourceOptions(parent=self)
        fs = aws.efs.FileSystem(
            f"{name}-fs",
            creation_token=_named(names.efs_creation_token, args.name_prefix),
            encrypted=True,
            kms_key_id=as_input(efs.kms_key_id),
            performance_mode=efs.performance_mode,
            throughput_mode=efs.throughput_mode,
            lifecycle_policies=(
                [aws.efs.FileSystemLifecyclePolicyArgs(transition_to_ia=efs.transition_to_ia)]
                if efs.transition_to_ia
                else None
            ),
            tags={"Name": _named(names.efs_creation_token, args.name_prefix)},
            # Every build cache and artifact lives here: no accidental delete, no silent replacement.
            opts=pulumi.ResourceOptions(parent=self, protect=True, retain_on_delete=True),
        )
        aws.efs.BackupPolicy(
            f"{name}-backup",
            file_system_id=fs.id,
            backup_policy=aws.efs.BackupPolicyBackupPolicyArgs(status="ENABLED" if efs.backup else "DISABLED"),
            opts=child,
        )
        sg = aws.ec2.SecurityGroup(
            f"{name}-nfs",
            name=_named(names.efs_security_group, args.name_prefix),
            description="NFS to the build workspaces file system, from the cluster's nodes only",
            vpc_id=args.vpc_id,
            tags={"Name": _named(lambda prefix: f"{prefix}-efs", args.name_prefix)},
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-nfs-from-nodes",
            security_group_id=sg.id,
            ip_protocol="tcp",
            from_port=2049,
            to_port=2049,
            referenced_security_group_id=args.nfs_source_security_group_id,
            description="NFS from the cluster's nodes",
            opts=child,
        )
        for key, subnet_id in args.subnets.items():
            aws.efs.MountTarget(
                f"{name}-mount-{key}",
                file_system_id=fs.id,
                subnet_id=subnet_id,
                security_groups=[sg.id],
                opts=child,
            )
        file_system_id: pulumi.Output[str] = fs.id
        return file_system_id

    def _eks_driver(self, name: str, args: EfsStorageArgs) -> pulumi.Resource:
        import pulumi_aws as aws

        assert args.cluster_name is not None
        child = pulumi.ResourceOptions(parent=self)
        if args.efs.identity == "podIdentity":
            trust: pulumi.Input[str] = iam.pod_identity_trust()
            depends: list[pulumi.Resource] = [args.pod_identity_agent] if args.pod_identity_agent else []
        else:
            assert args.oidc_issuer is not None
            oidc = aws.iam.OpenIdConnectProvider(
                f"{name}-oidc", url=args.oidc_issuer, client_id_lists=["sts.amazonaws.com"], opts=child
            )
            trust = pulumi.Output.all(oidc.arn, args.oidc_issuer).apply(
                lambda v: irsa_trust_policy(v[0], v[1], "kube-system", EFS_CONTROLLER_SA)
            )
            depends = []
        role = aws.iam.Role(
            f"{name}-csi",
            name=_named(names.efs_csi_role, args.name_prefix),
            assume_role_policy=trust,
            opts=child,
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-csi-policy",
            role=role.name,
            policy_arn=iam.managed("service-role/AmazonEFSCSIDriverPolicy"),
            opts=child,
        )
        pod_identity = args.efs.identity == "podIdentity"
        addon: pulumi.Resource = aws.eks.Addon(
            f"{name}-csi-driver",
            cluster_name=args.cluster_name,
            addon_name=versions.EFS_CSI_ADDON,
            addon_version=versions.EFS_CSI_ADDON_VERSION,
            pod_identity_associations=(
                [aws.eks.AddonPodIdentityAssociationArgs(role_arn=role.arn, service_account=EFS_CONTROLLER_SA)]
                if pod_identity
                else None
            ),
            service_account_role_arn=None if pod_identity else role.arn,
            # The controller belongs on the tainted system node group (engine karpenter).
            configuration_values=(
                json.dumps({"controller": {"tolerations": [scheduling.SYSTEM_TOLERATION]}})
                if args.system_nodes
                else None
            ),
            resolve_conflicts_on_update="OVERWRITE",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[attachment, *depends]),
        )
        return addon

    def _openshift_driver(self, name: str) -> pulumi.Resource:
        child = pulumi.ResourceOptions(parent=self)
        group = k8s.apiextensions.CustomResource(
            f"{name}-operator-group",
            api_version="operators.coreos.com/v1",
            kind="OperatorGroup",
            metadata={"name": versions.EFS_OPERATOR_PACKAGE, "namespace": EFS_OPERATOR_NAMESPACE},
            spec={},
            opts=child,
        )
        subscription = k8s.apiextensions.CustomResource(
            f"{name}-operator",
            api_version="operators.coreos.com/v1alpha1",
            kind="Subscription",
            metadata={"name": versions.EFS_OPERATOR_PACKAGE, "namespace": EFS_OPERATOR_NAMESPACE},
            spec={
                "channel": versions.EFS_OPERATOR_CHANNEL,
                "installPlanApproval": "Automatic",
                "name": versions.EFS_OPERATOR_PACKAGE,
                "source": versions.OLM_CATALOG_SOURCE,
                "sourceNamespace": "openshift-marketplace",
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[group]),
        )
        driver: pulumi.Resource = k8s.apiextensions.CustomResource(
            f"{name}-csi-driver",
            api_version="operator.openshift.io/v1",
            kind="ClusterCSIDriver",
            metadata={"name": EFS_PROVISIONER},
            spec={"managementState": "Managed"},
            # The CRD comes with the operator: create the driver only after subscribing.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[subscription]),
        )
        return driver


def irsa_trust_policy(provider_arn: str, issuer: str, namespace: str, service_account: str) -> str:
    """Trust policy for IRSA: only `namespace/service_account` of this cluster may assume the role."""
    host = issuer.removeprefix("https://")
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": provider_arn},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {
                            f"{host}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                            f"{host}:aud": "sts.amazonaws.com",
                        }
                    },
                }
            ],
        }
    )


@dataclass(frozen=True)
class FilestoreStorageArgs:
    storage_class: FilestoreStorageClass  # name, tier, network, reclaim policy
    workspace: bool = False  # with pipelines: a second class, bound at once, for the builds' shared volume


class FilestoreStorage(pulumi.ComponentResource):
    """The Filestore RWX StorageClass; pass the cluster's Kubernetes provider."""

    storage_class: k8s.storage.v1.StorageClass

    def __init__(self, name: str, args: FilestoreStorageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("multiarch:storage:Filestore", name, None, opts)
        sc = args.storage_class
        self.storage_class = _storage_class(
            f"{name}-class",
            _class_metadata(sc.name, sc.is_default),
            FILESTORE_PROVISIONER,
            {"tier": sc.tier, "network": as_input(sc.network)},
            sc.reclaim_policy,
            # Filestore instances are zonal/regional: create them where the first pod lands.
            "WaitForFirstConsumer",
            pulumi.ResourceOptions(parent=self),
        )
        outputs = {"storageClass": sc.name}
        if args.workspace:
            # The builds' shared volume is made with the stack, before the first build: bound at once,
            # not when a pod first mounts it (which would make that build wait for the instance).
            self.workspace_class = _storage_class(
                f"{name}-workspace-class",
                _class_metadata(workspace_class_name(sc.name), False),
                FILESTORE_PROVISIONER,
                {"tier": sc.tier, "network": as_input(sc.network)},
                "Delete",
                "Immediate",
                pulumi.ResourceOptions(parent=self),
            )
            outputs["workspaceStorageClass"] = workspace_class_name(sc.name)
        self.register_outputs(outputs)


def workspace_class_name(storage_class: str) -> str:
    return f"{storage_class}-workspace"
