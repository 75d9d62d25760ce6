"""The replacement rules against real plans, one case per rule: every rule the audit
(shared/reference/provider-replacements.md) found missing replaces, every false alarm it found is
an update, each condition both ways, the providers as they decide, and the in-cluster fields the API
server refuses. A case edits one resource of a committed stack's plan.json on either side (a program
change, as `tools.review` reviews one: against the base revision's plan.json) and reviews the two
with `tools.diff` (`as_json`, `changed` and `run_diff` from test_diff.py).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tests.program.test_diff import as_json, changed, run_diff
from tools import diff, plan

EKS = "aws:eks/cluster:Cluster"
GROUP = "aws:eks/nodeGroup:NodeGroup"
MOUNT = "aws:efs/mountTarget:MountTarget"
FS = "aws:efs/fileSystem:FileSystem"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
ADDON = "aws:eks/addon:Addon"
GKE = "gcp:container/cluster:Cluster"
POOL = "gcp:container/nodePool:NodePool"
NODEPOOL = "kubernetes:karpenter.sh/v1:NodePool"
SC = "kubernetes:storage.k8s.io/v1:StorageClass"
GONE = object()  # a path the side does not set

_PLANS: dict[str, dict[str, Any]] = {}


def plan_of(stack: str) -> dict[str, Any]:
    """The committed stack's plan.json (planned once per process)."""
    if stack not in _PLANS:
        _PLANS[stack] = json.loads(plan.dumps(plan.plan_document(plan.make(stack, policies=False))))
    return copy.deepcopy(_PLANS[stack])


def _put(inputs: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for seg in parents:
        inputs = inputs.setdefault(seg, {})
    if value is GONE:
        inputs.pop(last, None)
    else:
        inputs[last] = value


def review(
    tmp_path: Path,
    stack: str,
    type_: str,
    base: dict[str, Any],
    head: dict[str, Any],
    options: dict[str, Any] | None = None,
) -> tuple[int, dict[str, Any], dict[str, Any]]:
    """(exit code, the edited resource's review, the whole review): the first resource of `type_`,
    with `base`'s paths set in the base plan, `head`'s in the head plan (`options` on both)."""
    sides = []
    for name, edits in (("base", base), ("head", head)):
        doc = plan_of(stack)
        resource = min((r for r in doc["resources"] if r["type"] == type_), key=lambda r: r["name"])
        for path, value in edits.items():
            _put(resource["inputs"], path, value)
        resource["options"].update(options or {})
        written = tmp_path / f"{name}.json"
        written.write_text(json.dumps(doc))
        sides.append(str(written))
    code, out = as_json(*sides)
    return code, next(r for r in out["resources"] if r["urn"] == resource["urn"]), out


ENCRYPTION = {"provider": {"keyArn": "arn:aws:kms:eu-west-3:123456789012:key/k"}, "resources": ["secrets"]}
AUTO = {"enabled": True, "nodePools": ["general-purpose"]}
ROLE = "arn:aws:iam::123456789012:role/auto-{}"

# (stack, type, base's paths, head's paths, the path that replaces). The audit's "missing" rows.
MISSING = {
    "eks bootstrapClusterCreatorAdminPermissions": ("dev", EKS, {"accessConfig.bootstrapClusterCreatorAdminPermissions": False}, {}, "accessConfig.bootstrapClusterCreatorAdminPermissions"),
    "eks bootstrapSelfManagedAddons": ("dev", EKS, {"bootstrapSelfManagedAddons": True}, {"bootstrapSelfManagedAddons": False}, "bootstrapSelfManagedAddons"),
    "eks ipFamily": ("dev", EKS, {"kubernetesNetworkConfig.ipFamily": "ipv4"}, {"kubernetesNetworkConfig.ipFamily": "ipv6"}, "kubernetesNetworkConfig.ipFamily"),
    "eks serviceIpv4Cidr": ("dev", EKS, {"kubernetesNetworkConfig.serviceIpv4Cidr": "10.100.0.0/16"}, {"kubernetesNetworkConfig.serviceIpv4Cidr": "172.20.0.0/16"}, "kubernetesNetworkConfig.serviceIpv4Cidr"),
    "eks outpost instance type": ("dev", EKS, {"outpostConfig.controlPlaneInstanceType": "m5.large"}, {"outpostConfig.controlPlaneInstanceType": "m5.xlarge"}, "outpostConfig.controlPlaneInstanceType"),
    "eks outpost placement group": ("dev", EKS, {"outpostConfig.controlPlanePlacement.groupName": "a"}, {"outpostConfig.controlPlanePlacement.groupName": "b"}, "outpostConfig.controlPlanePlacement.groupName"),
    "eks region": ("dev", EKS, {"region": "eu-west-3"}, {"region": "eu-west-1"}, "region"),
    "eks auto mode node role changed": ("dev", EKS, {"computeConfig": {**AUTO, "nodeRoleArn": ROLE.format("a")}}, {"computeConfig": {**AUTO, "nodeRoleArn": ROLE.format("b")}}, "computeConfig.nodeRoleArn"),
    "eks encryption removed": ("dev", EKS, {"encryptionConfig": ENCRYPTION}, {}, "encryptionConfig"),
    "eks egress mode back to AWS_MANAGED": ("dev", EKS, {"vpcConfig.controlPlaneEgressMode": "CUSTOMER_ROUTED"}, {"vpcConfig.controlPlaneEgressMode": "AWS_MANAGED"}, "vpcConfig.controlPlaneEgressMode"),
    "node group launch template id": ("dev", GROUP, {"launchTemplate": {"id": "lt-0a", "version": "1"}}, {"launchTemplate": {"id": "lt-0b", "version": "1"}}, "launchTemplate.id"),
    "node group launch template name": ("dev", GROUP, {"launchTemplate": {"name": "a", "version": "1"}}, {"launchTemplate": {"name": "b", "version": "1"}}, "launchTemplate.name"),
    "node group region": ("dev", GROUP, {"region": "eu-west-3"}, {"region": "eu-west-1"}, "region"),
    "mount target ipAddressType": ("dev", MOUNT, {"ipAddressType": "IPV4_ONLY"}, {"ipAddressType": "DUAL_STACK"}, "ipAddressType"),
    "mount target ipv6Address": ("dev", MOUNT, {"ipv6Address": "2a05:d012::1"}, {"ipv6Address": "2a05:d012::2"}, "ipv6Address"),
    "mount target region": ("dev", MOUNT, {"region": "eu-west-3"}, {"region": "eu-west-1"}, "region"),
    "file system region": ("dev", FS, {"region": "eu-west-3"}, {"region": "eu-west-1"}, "region"),
    "ingress rule source type": ("dev", INGRESS, {"cidrIpv4": "10.0.0.0/16", "referencedSecurityGroupId": GONE}, {}, "cidrIpv4"),
    "addon namespace": ("dev", ADDON, {"namespaceConfig.namespace": "kube-system"}, {"namespaceConfig.namespace": "efs"}, "namespaceConfig.namespace"),
    "gke description": ("gke-dev", GKE, {"description": "a"}, {"description": "b"}, "description"),
    "gke enableKubernetesAlpha": ("gke-dev", GKE, {}, {"enableKubernetesAlpha": True}, "enableKubernetesAlpha"),
    "gke enableTpu": ("gke-dev", GKE, {}, {"enableTpu": True}, "enableTpu"),
    "gke enableAutopilot": ("gke-dev", GKE, {}, {"enableAutopilot": True}, "enableAutopilot"),
    "gke confidentialNodes added": ("gke-dev", GKE, {}, {"confidentialNodes": {"enabled": True}}, "confidentialNodes"),
    "gke confidentialInstanceType": ("gke-dev", GKE, {"confidentialNodes": {"enabled": True, "confidentialInstanceType": "SEV"}}, {"confidentialNodes": {"enabled": True, "confidentialInstanceType": "SEV_SNP"}}, "confidentialNodes.confidentialInstanceType"),
    "gke issueClientCertificate": ("gke-dev", GKE, {"masterAuth.clientCertificateConfig.issueClientCertificate": False}, {"masterAuth.clientCertificateConfig.issueClientCertificate": True}, "masterAuth.clientCertificateConfig.issueClientCertificate"),
    "gke nodePools": ("gke-dev", GKE, {}, {"nodePools": [{"name": "default-pool", "initialNodeCount": 1}]}, "nodePools"),
    "gke masterIpv4CidrBlock": ("gke-dev", GKE, {"privateClusterConfig.masterIpv4CidrBlock": "172.16.0.0/28"}, {"privateClusterConfig.masterIpv4CidrBlock": "172.16.0.16/28"}, "privateClusterConfig.masterIpv4CidrBlock"),
    "gke privateEndpointSubnetwork": ("gke-dev", GKE, {"privateClusterConfig.privateEndpointSubnetwork": "a"}, {"privateClusterConfig.privateEndpointSubnetwork": "b"}, "privateClusterConfig.privateEndpointSubnetwork"),
    "gke defaultMaxPodsPerNode": ("gke-dev", GKE, {"defaultMaxPodsPerNode": 110}, {"defaultMaxPodsPerNode": 64}, "defaultMaxPodsPerNode"),
    "gke datapathProvider": ("gke-dev", GKE, {"datapathProvider": "LEGACY_DATAPATH"}, {"datapathProvider": "ADVANCED_DATAPATH"}, "datapathProvider"),
    "gke dataplaneOptimizationMode": ("gke-dev", GKE, {}, {"dataplaneOptimizationMode": "THROUGHPUT"}, "dataplaneOptimizationMode"),
    **{
        f"gke userManagedKeysConfig.{ca}": ("gke-dev", GKE, {f"userManagedKeysConfig.{ca}": "a"}, {f"userManagedKeysConfig.{ca}": "b"}, f"userManagedKeysConfig.{ca}")
        for ca in ("clusterCa", "etcdApiCa", "etcdPeerCa", "aggregationCa")
    },
    "gke autoProvisioningDefaults bootDiskKmsKey": ("gke-dev", GKE, {"clusterAutoscaling.autoProvisioningDefaults.bootDiskKmsKey": "k1"}, {"clusterAutoscaling.autoProvisioningDefaults.bootDiskKmsKey": "k2"}, "clusterAutoscaling.autoProvisioningDefaults.bootDiskKmsKey"),
    "gke tpuConfig enabled": ("gke-dev", GKE, {"tpuConfig.enabled": False}, {"tpuConfig.enabled": True}, "tpuConfig.enabled"),
    "gke tpuConfig useServiceNetworking": ("gke-dev", GKE, {"tpuConfig.useServiceNetworking": False}, {"tpuConfig.useServiceNetworking": True}, "tpuConfig.useServiceNetworking"),
    "gke l4 ilb subsetting switched off": ("gke-dev", GKE, {"enableL4IlbSubsetting": True}, {"enableL4IlbSubsetting": False}, "enableL4IlbSubsetting"),
    "gke fqdn network policy switched off": ("gke-dev", GKE, {"enableFqdnNetworkPolicy": True}, {"enableFqdnNetworkPolicy": False}, "enableFqdnNetworkPolicy"),
    "gke beta api disabled": ("gke-dev", GKE, {"enableK8sBetaApis.enabledApis": ["a.k8s.io/v1beta1/x", "b.k8s.io/v1beta1/y"]}, {"enableK8sBetaApis.enabledApis": ["a.k8s.io/v1beta1/x"]}, "enableK8sBetaApis.enabledApis"),
    "gke additive dns domain on autopilot": ("gke-dev", GKE, {"enableAutopilot": True, "dnsConfig.additiveVpcScopeDnsDomain": "a.example"}, {"enableAutopilot": True, "dnsConfig.additiveVpcScopeDnsDomain": "b.example"}, "dnsConfig.additiveVpcScopeDnsDomain"),
    "pool maxPodsPerNode": ("gke-dev", POOL, {"maxPodsPerNode": 110}, {"maxPodsPerNode": 64}, "maxPodsPerNode"),
    "pool queuedProvisioning added": ("gke-dev", POOL, {}, {"queuedProvisioning": {"enabled": True}}, "queuedProvisioning"),
    "pool queuedProvisioning enabled": ("gke-dev", POOL, {"queuedProvisioning.enabled": False}, {"queuedProvisioning.enabled": True}, "queuedProvisioning.enabled"),
    "pool ephemeralStorageLocalSsdConfig": ("gke-dev", POOL, {"nodeConfig.ephemeralStorageLocalSsdConfig.localSsdCount": 1}, {"nodeConfig.ephemeralStorageLocalSsdConfig.localSsdCount": 2}, "nodeConfig.ephemeralStorageLocalSsdConfig.localSsdCount"),
    "pool localNvmeSsdBlockConfig": ("gke-dev", POOL, {"nodeConfig.localNvmeSsdBlockConfig.localSsdCount": 1}, {"nodeConfig.localNvmeSsdBlockConfig.localSsdCount": 2}, "nodeConfig.localNvmeSsdBlockConfig.localSsdCount"),
    "pool secondaryBootDisks": ("gke-dev", POOL, {"nodeConfig.secondaryBootDisks": [{"diskImage": "a", "mode": "CONTAINER_IMAGE_CACHE"}]}, {"nodeConfig.secondaryBootDisks": [{"diskImage": "b", "mode": "CONTAINER_IMAGE_CACHE"}]}, "nodeConfig.secondaryBootDisks"),
    "pool reservationAffinity": ("gke-dev", POOL, {"nodeConfig.reservationAffinity.consumeReservationType": "ANY_RESERVATION"}, {"nodeConfig.reservationAffinity.consumeReservationType": "NO_RESERVATION"}, "nodeConfig.reservationAffinity.consumeReservationType"),
    "pool sandboxConfig added": ("gke-dev", POOL, {}, {"nodeConfig.sandboxConfig": {"sandboxType": "gvisor"}}, "nodeConfig.sandboxConfig"),
    "pool bootDiskKmsKey": ("gke-dev", POOL, {"nodeConfig.bootDiskKmsKey": "k1"}, {"nodeConfig.bootDiskKmsKey": "k2"}, "nodeConfig.bootDiskKmsKey"),
    "pool nodeGroup": ("gke-dev", POOL, {"nodeConfig.nodeGroup": "a"}, {"nodeConfig.nodeGroup": "b"}, "nodeConfig.nodeGroup"),
    "pool advancedMachineFeatures added": ("gke-dev", POOL, {}, {"nodeConfig.advancedMachineFeatures": {"threadsPerCore": 1}}, "nodeConfig.advancedMachineFeatures"),
    "pool threadsPerCore": ("gke-dev", POOL, {"nodeConfig.advancedMachineFeatures.threadsPerCore": 1}, {"nodeConfig.advancedMachineFeatures.threadsPerCore": 2}, "nodeConfig.advancedMachineFeatures.threadsPerCore"),
    "pool enableNestedVirtualization": ("gke-dev", POOL, {"nodeConfig.advancedMachineFeatures.enableNestedVirtualization": False}, {"nodeConfig.advancedMachineFeatures.enableNestedVirtualization": True}, "nodeConfig.advancedMachineFeatures.enableNestedVirtualization"),
    "pool soleTenantConfig": ("gke-dev", POOL, {"nodeConfig.soleTenantConfig.nodeAffinities": [{"key": "k", "operator": "IN", "values": ["a"]}]}, {"nodeConfig.soleTenantConfig.nodeAffinities": [{"key": "k", "operator": "IN", "values": ["b"]}]}, "nodeConfig.soleTenantConfig.nodeAffinities"),
    "pool hostMaintenancePolicy": ("gke-dev", POOL, {"nodeConfig.hostMaintenancePolicy.maintenanceInterval": "AS_NEEDED"}, {"nodeConfig.hostMaintenancePolicy.maintenanceInterval": "PERIODIC"}, "nodeConfig.hostMaintenancePolicy.maintenanceInterval"),
    "pool opportunisticMaintenanceStrategy": ("gke-dev", POOL, {"nodeConfig.hostMaintenancePolicy.opportunisticMaintenanceStrategy.nodeIdleTimeWindow": "1h"}, {"nodeConfig.hostMaintenancePolicy.opportunisticMaintenanceStrategy.nodeIdleTimeWindow": "2h"}, "nodeConfig.hostMaintenancePolicy.opportunisticMaintenanceStrategy"),
    "pool ephemeralStorageConfig": ("gke-dev", POOL, {"nodeConfig.ephemeralStorageConfig.localSsdCount": 1}, {"nodeConfig.ephemeralStorageConfig.localSsdCount": 2}, "nodeConfig.ephemeralStorageConfig"),
    "pool confidentialInstanceType": ("gke-dev", POOL, {"nodeConfig.confidentialNodes.confidentialInstanceType": "SEV"}, {"nodeConfig.confidentialNodes.confidentialInstanceType": "TDX"}, "nodeConfig.confidentialNodes.confidentialInstanceType"),
    "pool enableConfidentialStorage": ("gke-dev", POOL, {}, {"nodeConfig.enableConfidentialStorage": True}, "nodeConfig.enableConfidentialStorage"),
    "pool localSsdEncryptionMode": ("gke-dev", POOL, {}, {"nodeConfig.localSsdEncryptionMode": "EPHEMERAL_KEY_ENCRYPTION"}, "nodeConfig.localSsdEncryptionMode"),
    "pool maxRunDuration": ("gke-dev", POOL, {"nodeConfig.maxRunDuration": "3600s"}, {"nodeConfig.maxRunDuration": "7200s"}, "nodeConfig.maxRunDuration"),
    "pool flexStart": ("gke-dev", POOL, {}, {"nodeConfig.flexStart": True}, "nodeConfig.flexStart"),
    "pool bestEffortProvisioning switched off": ("gke-dev", POOL, {"bestEffortProvisioning.enabled": True}, {"bestEffortProvisioning.enabled": False}, "bestEffortProvisioning.enabled"),
    "pool networkConfig podRange": ("gke-dev", POOL, {"networkConfig.podRange": "pods-a"}, {"networkConfig.podRange": "pods-b"}, "networkConfig.podRange"),
    "pool podCidrOverprovisionConfig removed": ("gke-dev", POOL, {"networkConfig.podCidrOverprovisionConfig.disabled": True}, {}, "networkConfig.podCidrOverprovisionConfig"),
    "pool placementPolicy removed": ("gke-dev", POOL, {"placementPolicy": {"type": "COMPACT"}}, {}, "placementPolicy"),
    "pool placementPolicy policyName": ("gke-dev", POOL, {"placementPolicy": {"type": "COMPACT", "policyName": "a"}}, {"placementPolicy": {"type": "COMPACT", "policyName": "b"}}, "placementPolicy.policyName"),
}  # fmt: skip


@pytest.mark.parametrize(("stack", "type_", "base", "head", "forced"), MISSING.values(), ids=list(MISSING))
def test_each_rule_the_audit_found_missing_replaces(
    stack: str, type_: str, base: dict[str, Any], head: dict[str, Any], forced: str, tmp_path: Path
) -> None:
    _, resource, _ = review(tmp_path, stack, type_, base, head)
    assert resource["action"] == "replace", resource["changes"]
    reason = next(r for r in resource["reasons"] if r["path"] == forced or r["path"].startswith(forced + "."))
    assert reason["source"] in ("TF-AWS", "TF-GOOGLE") and reason["where"], reason
    assert any(c["forcesReplacement"] for c in resource["changes"])


# (stack, type, base's paths, head's paths, options): the audit's false alarms, and each condition's other way.
IN_PLACE = {
    "gke enablePrivateNodes": ("gke-dev", GKE, {"privateClusterConfig.enablePrivateNodes": False}, {"privateClusterConfig.enablePrivateNodes": True}, None),
    "gke ipAllocationPolicy stackType": ("gke-dev", GKE, {"ipAllocationPolicy.stackType": "IPV4"}, {"ipAllocationPolicy.stackType": "IPV4_IPV6"}, None),
    "gke ipAllocationPolicy additionalPodRangesConfig": ("gke-dev", GKE, {}, {"ipAllocationPolicy.additionalPodRangesConfig.podRangeNames": ["extra"]}, None),
    "gke ipAllocationPolicy left out (computed)": ("gke-dev", GKE, {}, {"ipAllocationPolicy": GONE}, None),
    "gke cluster nodeConfig machineType": ("gke-dev", GKE, {"nodeConfig.machineType": "e2-standard-2"}, {"nodeConfig.machineType": "e2-standard-4"}, {"ignoreChanges": ["initialNodeCount"]}),
    "gke l4 ilb subsetting switched on": ("gke-dev", GKE, {"enableL4IlbSubsetting": False}, {"enableL4IlbSubsetting": True}, None),
    "gke fqdn network policy switched on": ("gke-dev", GKE, {}, {"enableFqdnNetworkPolicy": True}, None),
    "gke beta api enabled": ("gke-dev", GKE, {"enableK8sBetaApis.enabledApis": ["a.k8s.io/v1beta1/x"]}, {"enableK8sBetaApis.enabledApis": ["a.k8s.io/v1beta1/x", "b.k8s.io/v1beta1/y"]}, None),
    "gke additive dns domain, standard cluster": ("gke-dev", GKE, {"dnsConfig.additiveVpcScopeDnsDomain": "a.example"}, {"dnsConfig.additiveVpcScopeDnsDomain": "b.example"}, None),
    "pool networkConfig enablePrivateNodes": ("gke-dev", POOL, {"networkConfig.enablePrivateNodes": False}, {"networkConfig.enablePrivateNodes": True}, None),
    "pool networkPerformanceConfig": ("gke-dev", POOL, {"networkConfig.networkPerformanceConfig.totalEgressBandwidthTier": "DEFAULT"}, {"networkConfig.networkPerformanceConfig.totalEgressBandwidthTier": "TIER_1"}, None),
    "pool podCidrOverprovisionConfig disabled": ("gke-dev", POOL, {"networkConfig.podCidrOverprovisionConfig.disabled": False}, {"networkConfig.podCidrOverprovisionConfig.disabled": True}, None),
    "pool placementPolicy type": ("gke-dev", POOL, {"placementPolicy": {"type": "COMPACT"}}, {"placementPolicy": {"type": "COMPACT", "tpuTopology": "2x2"}}, None),
    "pool sandboxType": ("gke-dev", POOL, {"nodeConfig.sandboxConfig.sandboxType": "gvisor"}, {"nodeConfig.sandboxConfig.sandboxType": "GVISOR"}, None),
    "pool machineType (a surge upgrade)": ("gke-dev", POOL, {}, {"nodeConfig.machineType": "t2a-standard-16"}, None),
    "pool bestEffortProvisioning switched on": ("gke-dev", POOL, {"bestEffortProvisioning.enabled": False}, {"bestEffortProvisioning.enabled": True}, None),
    "eks encryption added": ("dev", EKS, {}, {"encryptionConfig": ENCRYPTION}, None),
    "eks auto mode node role added": ("dev", EKS, {"computeConfig": AUTO}, {"computeConfig": {**AUTO, "nodeRoleArn": ROLE.format("a")}}, None),
    "eks auto mode switched off, role unset": ("dev", EKS, {"computeConfig": {**AUTO, "nodeRoleArn": ROLE.format("a")}}, {"computeConfig": {"enabled": False, "nodePools": []}}, None),
    "eks egress mode to CUSTOMER_ROUTED": ("dev", EKS, {"vpcConfig.controlPlaneEgressMode": "AWS_MANAGED"}, {"vpcConfig.controlPlaneEgressMode": "CUSTOMER_ROUTED"}, None),
    "node group launch template version": ("dev", GROUP, {"launchTemplate": {"id": "lt-0a", "version": "1"}}, {"launchTemplate": {"id": "lt-0a", "version": "2"}}, None),
    "ingress rule, same kind of source": ("dev", INGRESS, {"referencedSecurityGroupId": "sg-0c1a2b3c4d5e6f7ff"}, {}, None),
    "region the same as the provider's": ("dev", GROUP, {}, {"region": "eu-west-3"}, None),
}  # fmt: skip


@pytest.mark.parametrize(("stack", "type_", "base", "head", "options"), IN_PLACE.values(), ids=list(IN_PLACE))
def test_each_false_alarm_and_each_conditions_other_way_is_an_update(
    stack: str, type_: str, base: dict[str, Any], head: dict[str, Any], options: dict[str, Any] | None, tmp_path: Path
) -> None:
    _, resource, _ = review(tmp_path, stack, type_, base, head, options)
    expected = "same" if stack == "dev" and type_ == GROUP and head == {"region": "eu-west-3"} else "update"
    assert resource["action"] == expected, resource["reasons"]
    assert resource["reasons"] == [] and resource["refused"] == []


# --- the worst case: an EKS cluster replaced by an access setting ------------------------------------------


def test_changing_bootstrap_cluster_creator_admin_permissions_is_a_blocked_cluster_replacement(tmp_path: Path) -> None:
    code, cluster, doc = review(
        tmp_path, "dev", EKS, {"accessConfig.bootstrapClusterCreatorAdminPermissions": False}, {}
    )
    assert code == diff.EXIT_BLOCKED
    assert cluster["action"] == "replace" and cluster["blocked"]
    (entry,) = [b for b in doc["blocked"] if b["type"] == EKS]
    assert entry["why"].startswith(
        f"replace of {EKS} build-multiarch, a Kubernetes cluster (because "
        "accessConfig.bootstrapClusterCreatorAdminPermissions: an EKS cluster cannot change this in place [TF-AWS])"
    )
    # The blast radius: every object on it, its capacity, what only the cluster holds.
    assert (
        "objects on it are created anew on the new cluster: ConfigFile pipelines-pruner, pipelines-release;"
        in entry["why"]
    )
    assert (
        "its capacity is replaced with it: NodeGroup build-multiarch-pools-arm64, build-multiarch-pools-x86"
        in entry["why"]
    )
    assert "what only the cluster holds is lost: running builds" in entry["why"]
    assert entry["procedure"][1] == "pulumi stack init dev-next   # the changed configuration, as a stack of its own"
    where = cluster["reasons"][0]["where"]
    assert where.startswith("hashicorp/terraform-provider-aws internal/service/eks/cluster.go:89 (pulumi-aws 7.51.1)")


# --- providers as they decide ------------------------------------------------------------------------------


def test_a_gcp_project_change_updates_the_provider_and_replaces_only_what_names_the_project(tmp_path: Path) -> None:
    """pulumi-gcp replaces no provider: the cluster and pools name their project themselves, so only
    they would be replaced, by their own `project` rule (here they keep theirs)."""
    code, provider, doc = review(tmp_path, "gke-dev", "pulumi:providers:gcp", {"project": "old-project"}, {})
    assert provider["action"] == "update" and provider["reasons"] == []
    assert {r["action"] for r in doc["resources"] if r["type"] in (GKE, POOL)} == {"same"}
    assert code == diff.EXIT_SAFE


@pytest.fixture(scope="module")
def dev_sides(tmp_path_factory: pytest.TempPathFactory) -> tuple[diff.Side, diff.Side]:
    where = tmp_path_factory.mktemp("sides")
    return diff.load_side("dev", where), diff.load_side("dev", where)


def _kubeconfig(side: diff.Side, edit: Any) -> None:
    provider = next(r for r in side.resources.values() if r.type == "pulumi:providers:kubernetes")
    config = json.loads(provider.inputs["kubeconfig"].value)
    edit(config)
    provider.inputs = {**provider.inputs, "kubeconfig": type(provider.inputs["kubeconfig"])(json.dumps(config))}


def test_the_kubernetes_provider_is_replaced_only_when_its_cluster_changes(
    dev_sides: tuple[diff.Side, diff.Side],
) -> None:
    base, head = (copy.deepcopy(s) for s in dev_sides)

    def token(config: dict[str, Any]) -> None:
        config["users"][0]["user"]["exec"]["args"].append("--role-arn=arn:aws:iam::123456789012:role/ci")

    _kubeconfig(head, token)
    (item,) = [i for i in diff.review(base, head).items if i.action != "same"]
    assert (item.resource.type, item.action, item.reasons) == ("pulumi:providers:kubernetes", "update", [])

    def server(config: dict[str, Any]) -> None:
        config["clusters"][0]["cluster"]["server"] = "https://OTHER.gr7.eu-west-3.eks.amazonaws.com"

    _kubeconfig(head, server)
    result = diff.review(base, head)
    provider = next(i for i in result.items if i.resource.type == "pulumi:providers:kubernetes")
    assert provider.action == "replace" and provider.reasons[0].path == "kubeconfig"
    assert "names another cluster" in provider.reasons[0].reason
    assert result.exit_code == diff.EXIT_BLOCKED  # an adopted cluster's new kubeconfig: a cluster replacement


# --- in-cluster fields the API server refuses: each kind's choice ------------------------------------------


def test_a_storage_class_reclaim_policy_change_is_replaced_by_the_engine(tmp_path: Path) -> None:
    """The choice for StorageClasses: the class marks reclaimPolicy and volumeBindingMode
    replaceOnChanges (deleteBeforeReplace: its name is fixed), so `pulumi up` replaces it, and the
    review says so."""
    head = changed(
        tmp_path, "dev", lambda c: c["multiarch:storage"]["efs"]["storageClass"].update(reclaimPolicy="Retain")
    )
    code, doc = as_json("dev", head)
    assert code == diff.EXIT_SAFE
    (sc,) = [r for r in doc["resources"] if r["type"] == SC]
    assert sc["action"] == "replace" and sc["refused"] == []
    assert sc["reasons"][0]["source"] == "ENGINE" and sc["reasons"][0]["path"] == "reclaimPolicy"
    assert "ValidateStorageClassUpdate" in sc["reasons"][0]["where"]
    planned = plan.make(head, policies=False).recording.one(SC)
    assert planned.delete_before_replace and planned.replace_on_changes == ["reclaimPolicy", "volumeBindingMode"]


def test_without_the_mark_the_storage_class_change_is_refused(tmp_path: Path) -> None:
    options: dict[str, Any] = {"replaceOnChanges": []}
    code, sc, doc = review(tmp_path, "dev", SC, {"volumeBindingMode": "WaitForFirstConsumer"}, {}, options)
    assert code == diff.EXIT_BLOCKED and sc["action"] == "update" and sc["blocked"]
    (entry,) = doc["blocked"]
    assert entry["why"].startswith(f"update of {SC} build-multiarch-efs-class, which the API server refuses")
    assert "volumeBindingMode: the API server refuses to update it [K8S-API]" in entry["why"]
    assert entry["procedure"][1].startswith("mark it replaceOnChanges, with deleteBeforeReplace")


@pytest.mark.parametrize(
    ("base", "field"),
    [
        ({"spec.template.spec.nodeClassRef.kind": "LegacyNodeClass"}, "spec.template.spec.nodeClassRef.kind"),
        ({"spec.template.spec.nodeClassRef.group": "karpenter.example.com"}, "spec.template.spec.nodeClassRef.group"),
        ({"spec.replicas": 2}, "spec.replicas"),
    ],
    ids=["nodeClassRef.kind", "nodeClassRef.group", "replicas removed"],
)
def test_a_node_pool_change_the_api_server_refuses_is_blocked_with_the_way_out(
    base: dict[str, Any], field: str, tmp_path: Path
) -> None:
    """The choice for NodePools: refused (exit 3), not replaced: deleting a NodePool under its name
    deletes all its nodes at once, outside its disruption budget; a new name is the deliberate way."""
    code, pool, doc = review(tmp_path, "karpenter-dev", NODEPOOL, base, {})
    assert code == diff.EXIT_BLOCKED
    assert pool["action"] == "update" and pool["blocked"] and pool["refused"][0]["path"] == field
    (entry,) = doc["blocked"]
    assert (
        f"which the API server refuses: `pulumi up` would apply the steps before it, then fail here ({field}:"
        in entry["why"]
    )
    assert "tools/crds/nodepools.yaml:" in entry["why"]
    assert entry["procedure"][:2] == [
        "The way out:",
        "give it another name in the stack (a new key): Pulumi creates the new one before it deletes the old one",
    ]
    _, out, _ = run_diff(*(str(tmp_path / f"{s}.json") for s in ("base", "head")))
    assert f"refused by the API server: {field}:" in out
