"""Shared RWX storage on each platform: every resource, the safety options, and bad input."""

from __future__ import annotations

import json
from typing import Any

import kubernetes_validate
import pytest

from components import settings, versions
from tests.conftest import EKS_CONFIG, SUBNETS, config
from tools import mockengine
from tools.mockengine import Recording

FS = "aws:efs/fileSystem:FileSystem"
SC = "kubernetes:storage.k8s.io/v1:StorageClass"
EFS: dict[str, Any] = {
    "efs": {
        "enabled": True,
        "storageClass": {"name": "efs-csi", "directoryPerms": "700", "uid": "0", "gid": "0", "basePath": "/pv"},
    }
}
OPENSHIFT: dict[str, Any] = {
    "aws:region": "eu-west-3",
    "multiarch:platform": "openshift",
    "multiarch:cluster": {"name": "b", "infrastructureName": "b-x1", "zones": ["eu-west-3a", "eu-west-3b"]},
    "multiarch:nodePools": [
        {"name": "x86", "arch": "amd64", "instanceType": "m5a.2xlarge", "amiId": "ami-0a1b2c3d4e5f60718"},
        {"name": "arm64", "arch": "arm64", "instanceType": "m6g.2xlarge", "amiId": "ami-0eab6a7956a66deda"},
    ],
}
GKE: dict[str, Any] = {
    "gcp:project": "p",
    "multiarch:platform": "gke",
    "multiarch:cluster": {"name": "b", "location": "europe-west4"},
    "multiarch:nodePools": [
        {"name": "x86", "arch": "amd64", "instanceType": "n2-standard-8"},
        {"name": "arm64", "arch": "arm64", "instanceType": "t2a-standard-8", "minSize": 0},
    ],
}


def run(base: dict[str, Any], storage: dict[str, Any], stack: str = "storage") -> Recording:
    return mockengine.run_main(config(base, storage=storage), stack=stack)


@pytest.fixture(scope="module")
def eks() -> Recording:
    return run(EKS_CONFIG, EFS)


def test_eks_file_system_is_encrypted_protected_and_retained(eks: Recording) -> None:
    fs = eks.one(FS)
    i = fs.plain_inputs
    assert i["encrypted"] is True
    assert i["lifecyclePolicies"] == [{"transitionToIa": "AFTER_30_DAYS"}]
    assert i["creationToken"] == "build-multiarch-build-workspaces"
    assert fs.protect and fs.retain_on_delete
    backup = eks.one("aws:efs/backupPolicy:BackupPolicy").plain_inputs
    assert backup["backupPolicy"] == {"status": "ENABLED"}


def test_eks_mount_target_per_subnet_behind_an_nfs_only_group(eks: Recording) -> None:
    sg = eks.one("aws:ec2/securityGroup:SecurityGroup")
    targets = eks.by_type("aws:efs/mountTarget:MountTarget")
    assert sorted(t.plain_inputs["subnetId"] for t in targets) == sorted(SUBNETS)
    for t in targets:
        assert t.plain_inputs["securityGroups"] == [sg.id]
        assert t.plain_inputs["fileSystemId"] == eks.one(FS).id
    rules = eks.by_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert len(rules) == 1
    rule = rules[0].plain_inputs
    assert (rule["ipProtocol"], rule["fromPort"], rule["toPort"]) == ("tcp", 2049, 2049)
    assert rule["securityGroupId"] == sg.id
    # Only the cluster's security group, never a CIDR.
    assert rule["referencedSecurityGroupId"] == "sg-0c1a2b3c4d5e6f701"
    assert "cidrIpv4" not in rule and "cidrIpv6" not in rule
    assert sg.plain_inputs["vpcId"] == "vpc-0abc1234def567890"


def test_eks_csi_addon_with_pod_identity(eks: Recording) -> None:
    addons = {r.plain_inputs["addonName"]: r for r in eks.by_type("aws:eks/addon:Addon")}
    csi = addons["aws-efs-csi-driver"]
    assert csi.plain_inputs["addonVersion"] == versions.EFS_CSI_ADDON_VERSION
    role = eks.one("aws:iam/role:Role", "build-multiarch-efs-csi")
    assert csi.plain_inputs["podIdentityAssociations"] == [
        {
            "roleArn": f"arn:aws:iam::{mockengine.ACCOUNT_ID}:role/build-multiarch-efs-csi",
            "serviceAccount": "efs-csi-controller-sa",
        }
    ]
    assert addons["eks-pod-identity-agent"].urn in csi.dependencies
    trust = json.loads(role.plain_inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert set(trust["Action"]) == {"sts:AssumeRole", "sts:TagSession"}
    policies = [r.plain_inputs["policyArn"] for r in eks.by_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")]
    assert "arn:aws:iam::aws:policy/service-role/AmazonEFSCSIDriverPolicy" in policies


def test_eks_storage_class(eks: Recording) -> None:
    sc = eks.one(SC)
    i = sc.plain_inputs
    assert i["provisioner"] == "efs.csi.aws.com"
    assert i["parameters"] == {
        "provisioningMode": "efs-ap",
        "fileSystemId": eks.one(FS).id,
        "directoryPerms": "700",
        "basePath": "/pv",
        "uid": "0",
        "gid": "0",
    }
    assert i["reclaimPolicy"] == "Delete"
    assert i["volumeBindingMode"] == "Immediate"
    assert "annotations" not in i["metadata"]  # never the default class unless asked
    assert sc.delete_before_replace
    assert eks.one("aws:eks/addon:Addon", "build-multiarch-efs-csi-driver").urn in sc.dependencies
    kubernetes_validate.validate(i, versions.DEFAULT_KUBERNETES_VERSION, strict=True)


def test_default_class_and_gid_range_when_asked() -> None:
    storage = {
        "efs": {
            "storageClass": {
                "isDefault": True,
                "gidRangeStart": "1000",
                "gidRangeEnd": "2000",
                "reclaimPolicy": "Retain",
            }
        }
    }
    i = run(EKS_CONFIG, storage).one(SC).plain_inputs
    assert i["metadata"]["annotations"] == {"storageclass.kubernetes.io/is-default-class": "true"}
    assert (i["parameters"]["gidRangeStart"], i["parameters"]["gidRangeEnd"]) == ("1000", "2000")
    assert i["reclaimPolicy"] == "Retain"
    kubernetes_validate.validate(i, versions.DEFAULT_KUBERNETES_VERSION, strict=True)


def test_irsa_alternative() -> None:
    rec = run(EKS_CONFIG, {"efs": {"identity": "irsa"}})
    csi = rec.one("aws:eks/addon:Addon", "build-multiarch-efs-csi-driver").plain_inputs
    assert "podIdentityAssociations" not in csi
    assert csi["serviceAccountRoleArn"].endswith(":role/build-multiarch-efs-csi")
    oidc = rec.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider").plain_inputs
    assert oidc["clientIdLists"] == ["sts.amazonaws.com"]
    trust = json.loads(rec.one("aws:iam/role:Role", "build-multiarch-efs-csi").plain_inputs["assumeRolePolicy"])
    condition = trust["Statement"][0]["Condition"]["StringEquals"]
    assert (
        condition["oidc.eks.eu-west-3.amazonaws.com/id/EXAMPLE:sub"]
        == "system:serviceaccount:kube-system:efs-csi-controller-sa"
    )
    assert trust["Statement"][0]["Action"] == "sts:AssumeRoleWithWebIdentity"


def test_adopted_file_system_is_never_created() -> None:
    rec = run(EKS_CONFIG, {"efs": {"fileSystemId": "fs-0ba31e44186d037e9"}})
    for typ in (
        FS,
        "aws:efs/mountTarget:MountTarget",
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:efs/backupPolicy:BackupPolicy",
    ):
        assert rec.by_type(typ) == [], typ
    assert rec.one(SC).plain_inputs["parameters"]["fileSystemId"] == "fs-0ba31e44186d037e9"
    assert rec.outputs["efsFileSystemId"] == "fs-0ba31e44186d037e9"


def test_pool_and_class_changes_do_not_touch_the_file_system(eks: Recording) -> None:
    changed = config(
        EKS_CONFIG,
        nodePools=[{"name": "arm64", "arch": "arm64", "instanceType": "m7g.4xlarge", "minSize": 1, "maxSize": 9}],
        storage={
            "efs": {"storageClass": {"name": "efs-other", "directoryPerms": "0775", "uid": "1000", "gid": "1000"}}
        },
    )
    rec = mockengine.run_main(changed, stack="storage")
    before, after = eks.one(FS), rec.one(FS)
    assert after.urn == before.urn
    assert after.plain_inputs == before.plain_inputs
    assert after.protect and after.retain_on_delete


def test_openshift_operator_driver_and_class_on_adopted_id() -> None:
    rec = run(OPENSHIFT, {"efs": {"fileSystemId": "fs-0ba31e44186d037e9"}})
    sub = rec.one("kubernetes:operators.coreos.com/v1alpha1:Subscription").plain_inputs
    assert sub["metadata"] == {"name": "aws-efs-csi-driver-operator", "namespace": "openshift-cluster-csi-drivers"}
    assert (sub["spec"]["channel"], sub["spec"]["source"], sub["spec"]["name"]) == (
        "stable",
        "redhat-operators",
        "aws-efs-csi-driver-operator",
    )
    group = rec.one("kubernetes:operators.coreos.com/v1:OperatorGroup")
    assert group.plain_inputs["metadata"]["namespace"] == "openshift-cluster-csi-drivers"
    driver = rec.one("kubernetes:operator.openshift.io/v1:ClusterCSIDriver")
    assert driver.plain_inputs["metadata"]["name"] == "efs.csi.aws.com"
    assert driver.plain_inputs["spec"] == {"managementState": "Managed"}
    assert rec.one("kubernetes:operators.coreos.com/v1alpha1:Subscription").urn in driver.dependencies
    sc = rec.one(SC)
    assert sc.plain_inputs["parameters"]["fileSystemId"] == "fs-0ba31e44186d037e9"
    assert driver.urn in sc.dependencies
    assert not rec.by_type(FS) and not rec.by_type("pulumi:providers:aws")


def test_openshift_created_file_system_in_the_cluster_vpc() -> None:
    rec = run(OPENSHIFT, {"efs": {}})
    assert rec.one(FS).protect
    targets = {t.name: t.plain_inputs for t in rec.by_type("aws:efs/mountTarget:MountTarget")}
    assert set(targets) == {"b-efs-mount-eu-west-3a", "b-efs-mount-eu-west-3b"}
    lookups = [a for t, a in rec.invokes if t == "aws:ec2/getSubnet:getSubnet"]
    assert sorted(a["filters"][0]["values"][0] for a in lookups) == [
        "b-x1-private-eu-west-3a",
        "b-x1-private-eu-west-3b",
    ]
    rule = rec.one("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").plain_inputs
    assert rule["referencedSecurityGroupId"] == "sg-0workers000000001"
    assert rec.one("aws:ec2/securityGroup:SecurityGroup").plain_inputs["vpcId"] == "vpc-0openshift00000001"


def test_gke_filestore_driver_and_class() -> None:
    rec = run(GKE, {"filestore": {"storageClass": {"tier": "premium", "network": "build-vpc"}}})
    cluster = rec.one("gcp:container/cluster:Cluster").plain_inputs
    assert cluster["addonsConfig"]["gcpFilestoreCsiDriverConfig"] == {"enabled": True}
    i = rec.one(SC).plain_inputs
    assert i["provisioner"] == "filestore.csi.storage.gke.io"
    assert i["parameters"] == {"tier": "premium", "network": "build-vpc"}
    assert i["volumeBindingMode"] == "WaitForFirstConsumer"
    assert i["metadata"]["name"] == "filestore-rwx"
    kubernetes_validate.validate(i, versions.DEFAULT_KUBERNETES_VERSION, strict=True)


SUBNET_RAW = {"name": "b", "subnetIds": SUBNETS}


@pytest.mark.parametrize(
    ("platform", "storage", "expected"),
    [
        (
            "eks",
            {"efs": {"storageClass": {"directoryPerms": "rwx"}}},
            "multiarch:storage.efs.storageClass.directoryPerms: 'rwx' is not an octal permission string",
        ),
        (
            "eks",
            {"efs": {"storageClass": {"directoryPerms": 700}}},
            "multiarch:storage.efs.storageClass.directoryPerms: 700 is a number; quote it",
        ),
        (
            "eks",
            {"efs": {"storageClass": {"uid": 0}}},
            "multiarch:storage.efs.storageClass.uid: 0 is a number; quote it",
        ),
        ("eks", {"efs": {"storageClass": {"gid": "wheel"}}}, "multiarch:storage.efs.storageClass.gid: 'wheel'"),
        (
            "eks",
            {"efs": {"storageClass": {"gidRangeStart": "1000"}}},
            "multiarch:storage.efs.storageClass: gidRangeStart and gidRangeEnd go together",
        ),
        ("eks", {"efs": {"storageClass": {"gidRangeEnd": "2000"}}}, "gidRangeStart and gidRangeEnd go together"),
        (
            "eks",
            {"efs": {"storageClass": {"gidRangeStart": "3000", "gidRangeEnd": "2000"}}},
            "gidRangeStart: 3000 is greater than gidRangeEnd 2000",
        ),
        (
            "eks",
            {"efs": {"fileSystemId": "fs-0ba31e44186d037e9", "throughputMode": "bursting", "backup": False}},
            "multiarch:storage.efs.fileSystemId: fs-0ba31e44186d037e9 adopts an existing file system, so throughputMode, backup cannot apply",
        ),
        ("eks", {"efs": {"fileSystemId": "efs-123"}}, "multiarch:storage.efs.fileSystemId: 'efs-123'"),
        (
            "eks",
            {"filestore": {}},
            "multiarch:storage.filestore: Filestore is for platform gke; on eks use storage.efs",
        ),
        (
            "gke",
            {"efs": {}},
            "multiarch:storage.efs: EFS is for platforms eks and openshift; on gke use storage.filestore",
        ),
        ("eks", {"nfs": {}}, "multiarch:storage.nfs: is not a known key"),
    ],
)
def test_bad_storage_input(platform: str, storage: dict[str, Any], expected: str) -> None:
    raw: dict[str, Any] = {
        "platform": platform,
        "cluster": SUBNET_RAW if platform == "eks" else {"name": "b", "location": "europe-west4"},
        "nodePools": [
            {"name": "x86", "arch": "amd64", "instanceType": "m5a.2xlarge" if platform == "eks" else "n2-standard-8"}
        ],
        "storage": storage,
    }
    with pytest.raises(settings.ConfigError) as exc:
        settings.parse(raw, stack="t", aws_region="eu-west-3", gcp_project="p")
    assert any(expected in e for e in exc.value.errors), exc.value.errors


def test_creating_efs_on_an_adopted_eks_cluster_needs_subnets() -> None:
    raw = {
        "platform": "eks",
        "cluster": {"name": "existing", "create": False},
        "nodePools": [{"name": "x86", "arch": "amd64", "instanceType": "m5a.2xlarge"}],
        "storage": {"efs": {}},
    }
    with pytest.raises(settings.ConfigError) as exc:
        settings.parse(raw, stack="t", aws_region="eu-west-3")
    assert exc.value.errors[0].startswith("multiarch:storage.efs: creating a file system needs cluster.subnetIds")
