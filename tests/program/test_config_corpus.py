"""What the plan accepts, the cloud accepts: a corpus of bad stack variants, each refused (exit 2)
with the exact one-line message, and valid but unusual stacks that must still plan."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from tools import plan, stackfile

DELETE = object()


def apply(config: dict[str, Any], edits: dict[str, Any]) -> dict[str, Any]:
    """`config` with `edits` applied: a path is a stack key (`multiarch:cluster`), then `.field` and
    `[index]` steps; DELETE removes the key."""
    out = copy.deepcopy(config)
    for path, value in edits.items():
        head = re.match(r"[^.\[]+", path)
        assert head is not None, path
        keys: list[str | int] = [head[0]]
        for name, index in re.findall(r"\.([^.\[\]]+)|\[(\d+)\]", path[head.end() :]):
            keys.append(int(index) if index else name)
        node: Any = out
        for key in keys[:-1]:
            node = node[key]
        if value is DELETE:
            del node[keys[-1]]
        else:
            node[keys[-1]] = value
    return out


LONG = "a" * 70
API = "components/catalog/aws_api.json (botocore 1.44.8, 2026-11-30)"
EC2 = "EC2 instance catalog, components/catalog/aws_instance_types.csv (moto 5.2.5, 2026-12-01)"
GCE = "Compute Engine machine series table, components/catalog/gcp.py (hand-kept, as of 2026-12-01)"
BAD: list[tuple[str, str, dict[str, Any], str]] = [
    # --- the ten of the issue (dev, eks) ---
    ("dev", "70-character cluster name", {"multiarch:cluster.name": LONG},
     f"multiarch:cluster.name: '{LONG}' makes the IAM role name '{LONG}-cluster-autoscaler' (89 characters); "
     "IAM role names are at most 64 characters (shorten it to at most 45 characters) (IAM API roleNameType, "
     f"{API})"),
    ("dev", "CIDR prefix 33", {"multiarch:cluster.publicAccessCidrs": ["10.0.0.0/33"]},
     "multiarch:cluster.publicAccessCidrs[0]: '10.0.0.0/33' is not a CIDR block: the prefix length is 0 to 32"),
    ("dev", "a subnet twice", {"multiarch:cluster.subnetIds": ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60001"]},
     "multiarch:cluster.subnetIds: subnet-0a1b2c3d4e5f60001 is listed 2 times; list each subnet once"),
    ("dev", "maxSize 100000", {"multiarch:nodePools[1].maxSize": 100000},
     "multiarch:nodePools[arm64].maxSize: 100000 is above the 450 nodes an EKS managed node group may hold under "
     "the default quota (EKS service quota 'Nodes per managed node group', default 450, adjustable): split the pool, "
     "or once the quota is raised state it in multiarch:cluster.quotas.nodesPerNodeGroup"),
    ("dev", "cpuRequest lots", {"multiarch:gitlabRunner.buildResources": {"cpuRequest": "lots"}},
     "multiarch:gitlabRunner.buildResources.cpuRequest: 'lots' is not a Kubernetes quantity such as 500m or 2"),
    ("dev", "cpuRequest above cpuLimit", {"multiarch:gitlabRunner.buildResources": {"cpuRequest": "8", "cpuLimit": "4"}},
     "multiarch:gitlabRunner.buildResources.cpuRequest: '8' is above cpuLimit '4'; Kubernetes refuses a request "
     "above its limit"),
    ("dev", "pipelines in kube-system", {"multiarch:pipelines.namespace": "kube-system"},
     "multiarch:pipelines.namespace: 'kube-system' is a namespace the platform owns; the stack creates (and would "
     "delete) its namespace: choose another name"),
    ("dev", "pipelines and runner share a namespace", {"multiarch:pipelines.namespace": "gitlab-runner"},
     "multiarch:gitlabRunner.namespace: 'gitlab-runner' is also multiarch:pipelines.namespace; each creates its "
     "namespace, and one namespace has one owner: choose another name"),
    ("dev", "minSize: true", {"multiarch:nodePools[0].minSize": True},
     "multiarch:nodePools[x86].minSize: true is a boolean; expected a whole number"),
    ("dev", "aws:region eu-mars-1", {"aws:region": "eu-mars-1"},
     "aws:region: 'eu-mars-1' is not an AWS region; check the spelling, or set multiarch:cluster.unlistedRegion: "
     f"true for a region newer than the list (AWS partitions, {API})"),
    # --- more on eks ---
    ("dev", "CIDR with host bits", {"multiarch:cluster.publicAccessCidrs": ["203.0.113.7/24"]},
     "multiarch:cluster.publicAccessCidrs[0]: '203.0.113.7/24' has host bits set: the block is 203.0.113.0/24"),
    ("dev", "CIDR without prefix", {"multiarch:cluster.publicAccessCidrs": ["203.0.113.7"]},
     "multiarch:cluster.publicAccessCidrs[0]: '203.0.113.7' is not a CIDR block: it needs a prefix length, "
     "e.g. 203.0.113.0/24"),
    ("dev", "CIDR that is not an address", {"multiarch:cluster.publicAccessCidrs": ["office/24"]},
     "multiarch:cluster.publicAccessCidrs[0]: 'office/24' is not an IPv4 CIDR block such as 203.0.113.0/24"),
    ("dev", "memory in GB", {"multiarch:gitlabRunner.buildResources": {"memoryRequest": "2GB"}},
     "multiarch:gitlabRunner.buildResources.memoryRequest: '2GB' is not a Kubernetes quantity such as 512Mi or 4Gi"),
    ("dev", "memory request above limit", {"multiarch:gitlabRunner.buildResources": {"memoryRequest": "16Gi"}},
     "multiarch:gitlabRunner.buildResources.memoryRequest: '16Gi' is above memoryLimit '8Gi'; Kubernetes refuses "
     "a request above its limit"),
    ("dev", "runner in default", {"multiarch:gitlabRunner.namespace": "default"},
     "multiarch:gitlabRunner.namespace: 'default' is a namespace the platform owns; the stack creates (and would "
     "delete) its namespace: choose another name"),
    ("dev", "runner in Tekton's namespace", {"multiarch:gitlabRunner.namespace": "tekton-pipelines"},
     "multiarch:gitlabRunner.namespace: 'tekton-pipelines' is also multiarch:pipelines (the Tekton release); each "
     "creates its namespace, and one namespace has one owner: choose another name"),
    ("dev", "pipelines in qemu's namespace", {"multiarch:pipelines.namespace": "qemu-binfmt"},
     "multiarch:qemu (the binfmt DaemonSet): 'qemu-binfmt' is also multiarch:pipelines.namespace; each creates its "
     "namespace, and one namespace has one owner: choose another name"),
    ("dev", "a 64-character namespace", {"multiarch:pipelines.namespace": "b" * 64},
     f"multiarch:pipelines.namespace: '{'b' * 64}': DNS labels (RFC 1123) are at most 63 characters"),
    ("dev", "a long pool name for its node group", {"multiarch:cluster.name": "c" * 30, "multiarch:nodePools[1].name": "p" * 40},
     f"multiarch:cluster.name: '{'c' * 30}' makes the node group name '{'c' * 30}-{'p' * 40}' (71 characters); "
     "EKS node group names are at most 63 characters (shorten it to at most 22 characters) (EKS API reference, "
     "CreateNodegroup nodegroupName)"),
    ("dev", "maxSize 5.5", {"multiarch:nodePools[1].maxSize": 5.5},
     "multiarch:nodePools[arm64].maxSize: 5.5 is not a whole number"),
    ("dev", "maxSize 5.0", {"multiarch:nodePools[1].maxSize": 5.0},
     "multiarch:nodePools[arm64].maxSize: 5.0 is not a whole number; write 5"),
    ("dev", "desiredSize false", {"multiarch:nodePools[1].desiredSize": False},
     "multiarch:nodePools[arm64].desiredSize: false is a boolean; expected a whole number"),
    ("dev", "privileged yes", {"multiarch:gitlabRunner.privileged": "yes"},
     "multiarch:gitlabRunner.privileged: 'yes' is not a boolean; expected true or false (YAML 1.2, as Pulumi reads stack files: yes, no, on and off are strings)"),
    ("dev", "concurrent true", {"multiarch:gitlabRunner.concurrent": True},
     "multiarch:gitlabRunner.concurrent: true is a boolean; expected a whole number"),
    ("dev", "create 1", {"multiarch:cluster.create": 1},
     "multiarch:cluster.create: 1 is not a boolean; expected true or false"),
    ("dev", "efs backup no", {"multiarch:storage.efs.backup": "no"},
     "multiarch:storage.efs.backup: 'no' is not a boolean; expected true or false (YAML 1.2, as Pulumi reads stack files: yes, no, on and off are strings)"),
    ("dev", "diskSize true", {"multiarch:nodePools[0].diskSize": True},
     "multiarch:nodePools[x86].diskSize: true is a boolean; expected a whole number"),
    ("dev", "maxNodesTotal '50 nodes'", {"multiarch:autoscaling": {"limits": {"maxNodesTotal": "50 nodes"}}},
     "multiarch:autoscaling.limits.maxNodesTotal: '50 nodes' is not a whole number"),
    ("dev", "a 64-character StorageClass name", {"multiarch:storage.efs.storageClass.name": "s" * 64},
     f"multiarch:storage.efs.storageClass.name: '{'s' * 64}': DNS labels (RFC 1123) are at most 63 characters"),
    ("prod", "prod in a region that is not one", {"aws:region": "eu-west-33"},
     "aws:region: 'eu-west-33' is not an AWS region; check the spelling, or set multiarch:cluster.unlistedRegion: "
     f"true for a region newer than the list (AWS partitions, {API})"),
    # --- karpenter (eks) ---
    ("karpenter-dev", "a cluster name too long for the interruption rules", {"multiarch:cluster.name": "c" * 45},
     f"multiarch:cluster.name: '{'c' * 45}' makes the EventBridge rule name '{'c' * 45}-karpenter-state-change' "
     "(68 characters); EventBridge rule names are at most 64 characters (shorten it to at most 41 characters) "
     f"(EventBridge API RuleName, {API})"),
    ("karpenter-dev", "a build pool kept at one node", {"multiarch:nodePools[1].minSize": 1},
     "multiarch:nodePools[arm64].minSize: 1 with engine karpenter: Karpenter keeps no minimum, a build pool starts "
     "and idles at zero nodes; set minSize: 0 (the system pool runs the controllers)"),
    ("karpenter-dev", "an amd64 type in the arm64 NodePool", {"multiarch:nodePools[1].instanceTypes": ["m7i.2xlarge"]},
     "multiarch:nodePools[arm64].instanceTypes[0]: m7i.2xlarge is an amd64 instance type, but the pool's arch is "
     f"arm64 (choose an arm64 type or set arch: amd64; {EC2})"),
    ("karpenter-dev", "a Karpenter label on a pool", {"multiarch:nodePools[1].labels": {"karpenter.sh/nodepool": "b"}},
     "multiarch:nodePools[arm64].labels.karpenter.sh/nodepool: Karpenter sets its labels on its nodes itself "
     "(karpenter.sh/*, karpenter.k8s.aws/*, kubernetes.io/hostname), and a NodePool may not set them; use a label "
     "of your own domain (capacityType and instanceTypes choose what Karpenter launches)"),
    ("karpenter-dev", "the Cluster Autoscaler's expander with Karpenter", {"multiarch:autoscaling.expander": "priority"},
     "multiarch:autoscaling.expander: not used by engine karpenter (it consolidates after "
     "multiarch:autoscaling.karpenter.consolidateAfter; each NodePool's limits come from its pool's maxSize)"),
    ("karpenter-dev", "a system pool of zero nodes", {"multiarch:autoscaling.karpenter.systemPool.minSize": 0},
     "multiarch:autoscaling.karpenter.systemPool.minSize: 0: Input should be greater than or equal to 1"),
    ("gke-dev", "Karpenter on GKE", {"multiarch:autoscaling": {"engine": "karpenter"}},
     "multiarch:autoscaling.engine: karpenter is for platform eks (it launches EC2 instances for an EKS cluster); "
     "on gke the pools are scaled by GKE's cluster autoscaler: remove engine or set it to cluster-autoscaler"),
    ("openshift-dev", "Karpenter on OpenShift", {"multiarch:autoscaling": {"engine": "karpenter"}},
     "multiarch:autoscaling.engine: karpenter is for platform eks (it launches EC2 instances for an EKS cluster); "
     "on openshift the pools are scaled by OpenShift's ClusterAutoscaler: remove engine or set it to "
     "cluster-autoscaler"),
    # --- gke ---
    ("gke-dev", "uppercase GKE cluster name", {"multiarch:cluster.name": "Build-multiarch"},
     "multiarch:cluster.name: 'Build-multiarch' makes the GKE cluster name 'Build-multiarch'; GKE cluster names "
     "allow lowercase letters, digits and -, starting with a letter (GKE API reference)"),
    ("gke-dev", "41-character GKE cluster name", {"multiarch:cluster.name": "g" * 41},
     f"multiarch:cluster.name: '{'g' * 41}' makes the GKE cluster name '{'g' * 41}' (41 characters); GKE cluster "
     "names are at most 40 characters (shorten it to at most 40 characters) (GKE API reference)"),
    ("gke-dev", "GKE pool name starting with a digit", {"multiarch:nodePools[1].name": "2arm"},
     "multiarch:nodePools[2arm].name: '2arm' makes the GKE node pool name '2arm'; GKE node pool names allow "
     "lowercase letters, digits and -, starting with a letter (GKE API reference)"),
    ("gke-dev", "a location in no region", {"multiarch:cluster.location": "europe-mars4"},
     "multiarch:cluster.location: 'europe-mars4' is not in a Google Cloud region; check the spelling, or set "
     "multiarch:cluster.unlistedRegion: true for a region newer than the list (components/regions.py, as of 2026-11)"),
    ("gke-dev", "5000 nodes in a regional pool", {"multiarch:nodePools[1].maxSize": 5000},
     "multiarch:nodePools[arm64].maxSize: 5000 is above the 3000 nodes a GKE node pool can hold in europe-west4 "
     "(1000 per zone, GKE quotas and limits)"),
    ("gke-dev", "1500 nodes in a zonal cluster", {"multiarch:cluster.location": "europe-west4-a", "multiarch:nodePools[0].maxSize": 1500},
     "multiarch:nodePools[x86].maxSize: 1500 is above the 1000 nodes a GKE node pool can hold in europe-west4-a "
     "(1000 per zone, GKE quotas and limits)"),
    ("gke-dev", "GKE pipelines in a gke- namespace", {"multiarch:pipelines.namespace": "gke-builds"},
     "multiarch:pipelines.namespace: 'gke-builds' is a namespace the platform owns; the stack creates (and would "
     "delete) its namespace: choose another name"),
    ("gke-dev", "GKE minSize '1.0'", {"multiarch:nodePools[0].minSize": "1.0"},
     "multiarch:nodePools[x86].minSize: '1.0' is not a whole number"),
    # --- openshift ---
    ("openshift-dev", "a pool name too long for its MachineSets' label", {"multiarch:nodePools[0].name": "x" * 40},
     f"multiarch:nodePools[{'x' * 40}].name: '{'x' * 40}' makes the MachineSet (and its machines' label) name "
     f"'build-multiarch-tw9w9-{'x' * 40}-eu-west-3a' (73 characters); Kubernetes label values are at most 63 "
     "characters (shorten it to at most 30 characters) (Kubernetes object names and labels (RFC 1123, apimachinery "
     "validation))"),
    ("openshift-dev", "runner in an openshift- namespace", {"multiarch:gitlabRunner.namespace": "openshift-runner"},
     "multiarch:gitlabRunner.namespace: 'openshift-runner' is a namespace the platform owns; the stack creates "
     "(and would delete) its namespace: choose another name"),
    ("openshift-dev", "pipelines in openshift-pipelines", {"multiarch:pipelines.namespace": "openshift-pipelines"},
     "multiarch:pipelines.namespace: 'openshift-pipelines' is a namespace the platform owns; the stack creates "
     "(and would delete) its namespace: choose another name"),
    ("openshift-dev", "a region that is not one", {"aws:region": "eu-west-9", "multiarch:cluster.zones": ["eu-west-9a"]},
     "aws:region: 'eu-west-9' is not an AWS region; check the spelling, or set multiarch:cluster.unlistedRegion: "
     f"true for a region newer than the list (AWS partitions, {API})"),
    ("openshift-dev", "runner cpuLimit 4 cores", {"multiarch:gitlabRunner.buildResources": {"cpuLimit": "4 cores"}},
     "multiarch:gitlabRunner.buildResources.cpuLimit: '4 cores' is not a Kubernetes quantity such as 500m or 2"),
    ("openshift-dev", "OpenShift maxSize true", {"multiarch:nodePools[1].maxSize": True},
     "multiarch:nodePools[arm64].maxSize: true is a boolean; expected a whole number"),
]  # fmt: skip

# Round 2 (issue 24): know the cloud from data. Each line names the key, the value, what was expected
# and where the fact comes from (the catalog's file, the API model, the dated table, the platform's docs).
L64 = "x" * 64
NEW_BAD: list[tuple[str, str, dict[str, Any], str]] = [
    ('dev', 'a size m6g does not come in', {'multiarch:nodePools[1].instanceType': 'm6g.3xlarge'},
     "multiarch:nodePools[arm64].instanceType: 'm6g.3xlarge' is not an EC2 instance type (m6g comes in "
     f"medium, large, xlarge, 2xlarge, 4xlarge, 8xlarge, 12xlarge, 16xlarge, metal; {EC2}); a type newer "
     "than the catalog: set unlistedInstanceType: true on the pool"),
    ('dev', 'a typo in the size', {'multiarch:nodePools[1].instanceType': 'm6g.2xlarg'},
     "multiarch:nodePools[arm64].instanceType: 'm6g.2xlarg' is not an EC2 instance type (m6g comes in "
     f"medium, large, xlarge, 2xlarge, 4xlarge, 8xlarge, 12xlarge, 16xlarge, metal; {EC2}); a type newer "
     "than the catalog: set unlistedInstanceType: true on the pool"),
    ('dev', 'a family that does not exist', {'multiarch:nodePools[1].instanceType': 'm6gg.2xlarge'},
     "multiarch:nodePools[arm64].instanceType: 'm6gg.2xlarge' is not an EC2 instance type (no family "
     f"m6gg; did you mean m6g.2xlarge or m6gd.2xlarge?; {EC2}); a type newer than the catalog: set "
     "unlistedInstanceType: true on the pool"),
    ('dev', 'a Mac instance', {'multiarch:nodePools[0].instanceType': 'mac1.metal'},
     "multiarch:nodePools[x86].instanceType: 'mac1.metal' is a Mac instance (x86_64_mac): it runs macOS, "
     f"no Kubernetes node image ({EC2})"),
    ('dev', 'a type Paris does not offer', {'multiarch:nodePools[1].instanceType': 'c7gn.2xlarge'},
     f"multiarch:nodePools[arm64].instanceType: 'c7gn.2xlarge' is not offered in eu-west-3 ({EC2}); if it "
     "is offered there now, set unlistedInstanceType: true on the pool"),
    ('dev', 'diskSize above a gp3 volume', {'multiarch:nodePools[0].diskSize': 20000},
     "multiarch:nodePools[x86].diskSize: 20000 GiB is above the 16384 GiB of a gp3 volume (EBS User "
     "Guide, volume types)"),
    ('dev', 'a Windows AMI type', {'multiarch:nodePools[0].amiType': 'WINDOWS_CORE_2022_x86_64'},
     "multiarch:nodePools[x86].amiType: WINDOWS_CORE_2022_x86_64 is an EKS AMI type (EKS API AMITypes, "
     f"{API}), but not a Linux build node image the stack supports; expected one of "
     "AL2023_x86_64_STANDARD, AL2023_ARM_64_STANDARD, AL2023_x86_64_NVIDIA, AL2023_ARM_64_NVIDIA, "
     "AL2023_x86_64_NEURON, BOTTLEROCKET_x86_64, BOTTLEROCKET_ARM_64, BOTTLEROCKET_x86_64_NVIDIA, "
     "BOTTLEROCKET_ARM_64_NVIDIA, BOTTLEROCKET_x86_64_FIPS, BOTTLEROCKET_ARM_64_FIPS, "
     "BOTTLEROCKET_x86_64_NVIDIA_FIPS, BOTTLEROCKET_ARM_64_NVIDIA_FIPS, AL2_x86_64, AL2_x86_64_GPU, "
     "AL2_ARM_64"),
    ('dev', 'an AMI type that does not exist', {'multiarch:nodePools[1].amiType': 'AL2023_ARM_64_STANDRD'},
     "multiarch:nodePools[arm64].amiType: 'AL2023_ARM_64_STANDRD' is not an EKS AMI type; expected one of "
     "AL2_x86_64, AL2_x86_64_GPU, AL2_ARM_64, CUSTOM, BOTTLEROCKET_ARM_64, BOTTLEROCKET_x86_64, "
     "BOTTLEROCKET_ARM_64_FIPS, BOTTLEROCKET_x86_64_FIPS, BOTTLEROCKET_ARM_64_NVIDIA, "
     "BOTTLEROCKET_x86_64_NVIDIA, BOTTLEROCKET_ARM_64_NVIDIA_FIPS, BOTTLEROCKET_x86_64_NVIDIA_FIPS, "
     "WINDOWS_CORE_2019_x86_64, WINDOWS_FULL_2019_x86_64, WINDOWS_CORE_2022_x86_64, "
     "WINDOWS_FULL_2022_x86_64, WINDOWS_CORE_2025_x86_64, WINDOWS_FULL_2025_x86_64, "
     "AL2023_x86_64_STANDARD, AL2023_ARM_64_STANDARD, AL2023_x86_64_NEURON, AL2023_x86_64_NVIDIA, "
     f"AL2023_ARM_64_NVIDIA (EKS API AMITypes, {API})"),
    ('dev', 'diskType on eks', {'multiarch:nodePools[1].diskType': 'gp3'},
     "multiarch:nodePools[arm64].diskType: only for platform gke (EKS and OpenShift nodes boot from gp3 "
     "volumes)"),
    ('dev', 'a 64-character label value', {'multiarch:nodePools[0].labels': {'team': L64}},
     "multiarch:nodePools[x86].labels.team: "
     "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' is not a Kubernetes label value: "
     "a label value is at most 63 characters (Kubernetes label syntax)"),
    ('dev', 'an empty label value on EKS', {'multiarch:nodePools[0].labels': {'multiarch.dev/team': ''}},
     "multiarch:nodePools[x86].labels.multiarch.dev/team: '' may not be empty: EKS node group label "
     f"values are 1 to 63 characters (EKS API labelValue, {API})"),
    ('dev', 'a label key EKS finds too long', {'multiarch:nodePools[0].labels': {'builds.example.com/kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk': 'v'}},
     "multiarch:nodePools[x86].labels.builds.example.com/kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk: "
     f"the key is 64 characters; at most 63 for an EKS node group label (EKS API labelKey, {API})"),
    ('dev', 'a label key with a space', {'multiarch:nodePools[0].labels': {'build team': 'a'}},
     "multiarch:nodePools[x86].labels.build team: 'build team' is not a Kubernetes label key: its name "
     "allows letters, digits and -_., starting and ending with a letter or digit (Kubernetes label syntax)"),
    ('dev', 'a node-role label the kubelet may not set', {'multiarch:nodePools[0].labels': {'node-role.kubernetes.io/build': 'true'}},
     "multiarch:nodePools[x86].labels.node-role.kubernetes.io/build: the kubelet may not set labels of "
     "the kubernetes.io and k8s.io domains, and EKS nodes get their labels from the kubelet: they would "
     "never register; use a domain of your own, such as multiarch.dev/ (kubelet --node-labels and the "
     "NodeRestriction admission plugin)"),
    ('prod', 'two taints with one key and effect', {'multiarch:nodePools[1].taints': [{'key': 'multiarch.dev/arch', 'value': 'arm64', 'effect': 'NoSchedule'}, {'key': 'multiarch.dev/arch', 'value': 'graviton', 'effect': 'NoSchedule'}]},
     "multiarch:nodePools[arm64].taints[1]: multiarch.dev/arch:NoSchedule is already taints[0]; a node "
     "has one taint per key and effect (Kubernetes taints): merge them"),
    ('prod', 'a taint key with a space', {'multiarch:nodePools[1].taints': [{'key': 'multiarch.dev/build pool', 'effect': 'NoSchedule'}]},
     "multiarch:nodePools[arm64].taints[0].key: 'multiarch.dev/build pool' is not a Kubernetes taint key: "
     "its name allows letters, digits and -_., starting and ending with a letter or digit (Kubernetes "
     "label syntax)"),
    ('prod', 'a taint value with a space', {'multiarch:nodePools[1].taints': [{'key': 'multiarch.dev/arch', 'value': 'arm 64', 'effect': 'NoSchedule'}]},
     "multiarch:nodePools[arm64].taints[0].value: 'arm 64' is not a Kubernetes taint value: a label value "
     "allows letters, digits and -_., starting and ending with a letter or digit (Kubernetes label syntax)"),
    ('dev', 'a subnet id of 10 hex digits', {'multiarch:cluster.subnetIds': ['subnet-0a1b2c3d4e', 'subnet-0a1b2c3d4e5f60002']},
     "multiarch:cluster.subnetIds: 'subnet-0a1b2c3d4e' not subnet ids: expected subnet- and 8 or 17 "
     "lowercase hexadecimal digits (EC2 resource IDs)"),
    ('dev', 'a VPC id of 12 hex digits', {'multiarch:cluster.vpcId': 'vpc-0abc1234def5'},
     "multiarch:cluster.vpcId: 'vpc-0abc1234def5' is not a VPC id: expected vpc- and 8 or 17 lowercase "
     "hexadecimal digits (EC2 resource IDs)"),
    ('dev', 'a cluster name that makes an sg- group name', {'multiarch:cluster.name': 'sg-build'},
     "multiarch:cluster.name: 'sg-build' makes the security group name 'sg-build-efs'; security group "
     "names allow printable ASCII, not starting with sg- (EC2 API reference, CreateSecurityGroup "
     "GroupName)"),
    ('dev', 'a transitionToIa EFS does not have', {'multiarch:storage.efs.transitionToIa': 'AFTER_2_DAYS'},
     "multiarch:storage.efs.transitionToIa: 'AFTER_2_DAYS' is not an EFS lifecycle transition: expected "
     "one of AFTER_7_DAYS, AFTER_14_DAYS, AFTER_30_DAYS, AFTER_60_DAYS, AFTER_90_DAYS, AFTER_1_DAY, "
     f"AFTER_180_DAYS, AFTER_270_DAYS, AFTER_365_DAYS (EFS API TransitionToIARules, {API})"),
    ('dev', 'a uid above 2^32-1', {'multiarch:storage.efs.storageClass.uid': '4294967296'},
     "multiarch:storage.efs.storageClass.uid: '4294967296' is not a POSIX user or group id: is above "
     f"4294967295 (EFS API Uid, {API})"),
    ('dev', 'directoryPerms that are not octal', {'multiarch:storage.efs.storageClass.directoryPerms': '0800'},
     "multiarch:storage.efs.storageClass.directoryPerms: '0800' is not an octal permission string such as "
     f"\"700\" or \"0775\" (EFS API Permissions, {API})"),
    ('dev', 'a basePath too deep for access points', {'multiarch:storage.efs.storageClass.basePath': '/a/b/c/d'},
     "multiarch:storage.efs.storageClass.basePath: '/a/b/c/d' leaves no valid EFS access point path: "
     "<basePath>/<PV name> must be at most 100 characters in at most 4 components, none starting with . "
     f"and without $#<>;`|&?{{}}^* (so basePath at most 59 characters and 3 components; EFS API Path, {API})"),
    ('prod', 'a kmsKeyId that is no key', {'multiarch:storage.efs.kmsKeyId': 'my-key'},
     "multiarch:storage.efs.kmsKeyId: 'my-key' is not a KMS key: expected a key id (a UUID or mrk-...), "
     f"alias/NAME, or the key's or alias's ARN (EFS API KmsKeyId, {API})"),
    ('dev', 'a file system id that is no id', {'multiarch:storage.efs.fileSystemId': 'fs-123'},
     "multiarch:storage.efs.fileSystemId: 'fs-123' is not an EFS file system id: expected fs- and 8 to 40 "
     f"hexadecimal digits, or the file system's ARN (EFS API FileSystemId, {API})"),
    ('dev', 'maxIO with elastic throughput', {'multiarch:storage.efs.performanceMode': 'maxIO'},
     "multiarch:storage.efs.performanceMode: 'maxIO' with throughputMode 'elastic' (the default): EFS "
     "refuses Max I/O with Elastic throughput; set throughputMode: bursting, or keep performanceMode "
     "generalPurpose (EFS User Guide, performance modes)"),
    ('dev', 'an EFS StorageClass named gp2', {'multiarch:storage.efs.storageClass.name': 'gp2'},
     "multiarch:storage.efs.storageClass.name: 'gp2' is a StorageClass EKS creates and reconciles itself "
     "(gp2); the stack's would fight it: choose another name (the platform default StorageClasses)"),
    ('dev', 'every pool at minSize 0 under the Cluster Autoscaler', {'multiarch:nodePools[0].minSize': 0, 'multiarch:nodePools[0].desiredSize': 0},
     "multiarch:nodePools[x86].minSize: 0, and every pool's minSize is 0: the Cluster Autoscaler runs as "
     "a pod on the pools' nodes, so with none there is nothing to run it and no pool ever scales up; keep "
     "minSize >= 1 on one pool (or use engine karpenter, whose controller has a system node group) "
     "(Cluster Autoscaler FAQ: it is a Deployment on the cluster's own nodes)"),
    ('dev', 'a Go duration that overflows', {'multiarch:autoscaling': {'scaleDownUnneededTime': '9999999999h'}},
     "multiarch:autoscaling.scaleDownUnneededTime: '9999999999h' overflows Go's time.Duration, which the "
     "Cluster Autoscaler parses it into: at most 2562047h (Go time.Duration)"),
    ('prod', 'a raised quota still below maxSize', {'multiarch:nodePools[1].maxSize': 600, 'multiarch:cluster.quotas': {'nodesPerNodeGroup': 500}},
     "multiarch:nodePools[arm64].maxSize: 600 is above the 500 nodes an EKS managed node group may hold "
     "under the account's stated quota (EKS service quota 'Nodes per managed node group', default 450, "
     "adjustable): split the pool, or once the quota is raised state it in "
     "multiarch:cluster.quotas.nodesPerNodeGroup"),
    ('dev', 'a version past EKS extended support', {'multiarch:cluster.version': '1.31'},
     "multiarch:cluster.version: '1.31' reached the end of EKS extended support on 2026-11-26: EKS offers "
     "1.32, 1.33, 1.34, 1.35 (EKS User Guide, Kubernetes release calendar, as of 2026-11-30)"),
    ('prod', 'an end-of-life 1.25', {'multiarch:cluster.version': '1.25'},
     "multiarch:cluster.version: '1.25' is no longer offered by EKS: EKS offers 1.32, 1.33, 1.34, 1.35 "
     "(EKS User Guide, Kubernetes release calendar, as of 2026-11-30)"),
    ('dev', 'a version newer than the EKS table', {'multiarch:cluster.version': '1.36'},
     "multiarch:cluster.version: '1.36' is newer than the EKS table: EKS offers 1.32, 1.33, 1.34, 1.35 "
     "(EKS User Guide, Kubernetes release calendar, as of 2026-11-30); if EKS offers it now, set "
     "multiarch:cluster.unlistedVersion: true"),
    ('dev', 'a version that does not exist', {'multiarch:cluster.version': '1.99'},
     "multiarch:cluster.version: '1.99' is not a Kubernetes release: the newest is 1.37 (kubernetes.io "
     "releases, as of 2026-11-30); EKS offers 1.32, 1.33, 1.34, 1.35 (EKS User Guide, Kubernetes release "
     "calendar, as of 2026-11-30)"),
    ('dev', 'an autoscaler release of another minor', {'multiarch:cluster.version': '1.36', 'multiarch:cluster.unlistedVersion': True, 'multiarch:autoscaling': {'clusterAutoscalerVersion': 'v1.35.2'}},
     "multiarch:autoscaling.clusterAutoscalerVersion: v1.35.2 is for Kubernetes 1.35, and the cluster "
     "runs 1.36: the Cluster Autoscaler's minor must be the cluster's (kubernetes/autoscaler "
     "compatibility policy)"),
    ('dev', 'create: yes, a string in YAML 1.2', {'multiarch:cluster.create': 'yes'},
     "multiarch:cluster.create: 'yes' is not a boolean; expected true or false (YAML 1.2, as Pulumi reads "
     "stack files: yes, no, on and off are strings)"),
    ('dev', 'a region of aws-cn', {'aws:region': 'cn-north-1'},
     "aws:region: 'cn-north-1' is in partition aws-cn; the stack supports partition aws only (its managed "
     "policy ARNs, service principals and public chart registries are partition aws's): choose a region "
     f"of partition aws (AWS partitions, {API})"),
    ('prod', 'a GovCloud region declared unlisted', {'aws:region': 'us-gov-west-1', 'multiarch:cluster.unlistedRegion': True},
     "aws:region: 'us-gov-west-1' is in partition aws-us-gov; the stack supports partition aws only (its "
     "managed policy ARNs, service principals and public chart registries are partition aws's): choose a "
     f"region of partition aws (AWS partitions, {API})"),
    ('dev', 'a runner regex with lookahead', {'multiarch:gitlabRunner.nodeSelectorOverwriteAllowed': 'kubernetes.io/arch=(?!amd64).*'},
     "multiarch:gitlabRunner.nodeSelectorOverwriteAllowed: 'kubernetes.io/arch=(?!amd64).*' uses negative "
     "lookahead or lookbehind, which Go's regexp (RE2) does not support: the runner (written in Go) could "
     "not compile it and would refuse every job's node selector; expected an RE2 expression such as "
     "kubernetes.io/arch=(amd64|arm64) (Go regexp (RE2) syntax)"),
    ('dev', 'a runner regex with a backreference', {'multiarch:gitlabRunner.nodeSelectorOverwriteAllowed': '(kubernetes.io/arch)=\\1'},
     "multiarch:gitlabRunner.nodeSelectorOverwriteAllowed: '(kubernetes.io/arch)=\\\\1' uses a "
     "backreference, which Go's regexp (RE2) does not support: the runner (written in Go) could not "
     "compile it and would refuse every job's node selector; expected an RE2 expression such as "
     "kubernetes.io/arch=(amd64|arm64) (Go regexp (RE2) syntax)"),
    ('dev', 'a negative CPU request', {'multiarch:gitlabRunner.buildResources': {'cpuRequest': '-1'}},
     "multiarch:gitlabRunner.buildResources.cpuRequest: '-1' is negative; Kubernetes refuses a negative "
     "request: expected 0 or more (Kubernetes resource requests and limits)"),
    ('dev', 'a negative memory limit', {'multiarch:gitlabRunner.buildResources': {'memoryRequest': '1Gi', 'memoryLimit': '-8Gi'}},
     "multiarch:gitlabRunner.buildResources.memoryLimit: '-8Gi' is negative; Kubernetes refuses a "
     "negative limit: expected 0 or more (Kubernetes resource requests and limits)"),
    ('dev', 'a Tekton patch never published', {'multiarch:pipelines.version': 'v1.9.7'},
     "multiarch:pipelines.version: 'v1.9.7' is not a published Tekton release: the newest v1.9 patch in "
     "the table is v1.9.2 (tektoncd/pipeline GitHub releases and the tekton.dev release posts, read "
     "2026-11); a release newer than the table: set multiarch:pipelines.unlistedVersion: true"),
    ('prod', 'a Tekton minor never released', {'multiarch:pipelines.version': 'v0.69.0'},
     "multiarch:pipelines.version: 'v0.69.0' is not a published Tekton release: v0.69 was never released "
     "(tektoncd/pipeline GitHub releases and the tekton.dev release posts, read 2026-11); a release newer "
     "than the table: set multiarch:pipelines.unlistedVersion: true"),
    ('karpenter-dev', 'a system node too small for Karpenter', {'multiarch:autoscaling.karpenter.systemPool.instanceType': 't4g.nano'},
     "multiarch:autoscaling.karpenter.systemPool.instanceType: the kube-system/karpenter pod has no node at idle: "
     "pool system (t4g.nano: the node runs at most 4 pods, and none is left); pool x86 (its node selector wants "
     "multiarch.dev/pool=system, the node has multiarch.dev/pool=x86); pool arm64 (its node selector wants "
     "multiarch.dev/pool=system, the node has multiarch.dev/pool=arm64); it is the autoscaler, so nothing can start "
     "a node for it and no pool ever scales: choose a larger instanceType"),
    ('karpenter-dev', 'an AMI alias without AMIs for the version', {'multiarch:cluster.version': '1.35', 'multiarch:autoscaling.karpenter.amiAlias': 'al2023@v20250915'},
     "multiarch:autoscaling.karpenter.amiAlias: al2023@v20250915 has AMIs for Kubernetes 1.30 to 1.34, "
     "not for cluster.version 1.35: Karpenter would find no image and launch no node; choose a release "
     "that covers 1.35 (components/catalog/lifecycle.py, awslabs/amazon-eks-ami releases)"),
    ('karpenter-dev', 'an AMI alias that is no alias', {'multiarch:autoscaling.karpenter.amiAlias': 'al2023@20250915'},
     "multiarch:autoscaling.karpenter.amiAlias: 'al2023@20250915' is not an AL2023 alias: expected "
     "al2023@vYYYYMMDD (or al2023@latest) (Karpenter EC2NodeClass amiSelectorTerms alias)"),
    ('karpenter-dev', 'a newer version without an AMI alias', {'multiarch:cluster.version': '1.36', 'multiarch:cluster.unlistedVersion': True},
     "multiarch:cluster.version: '1.36' has no Karpenter AMI alias pinned (pinned: 1.32, 1.33, 1.34, "
     "1.35, components/versions.py); set multiarch:autoscaling.karpenter.amiAlias to an AL2023 release "
     "that has AMIs for 1.36, such as al2023@vYYYYMMDD (awslabs/amazon-eks-ami releases)"),
    ('karpenter-dev', 'consolidateAfter that overflows', {'multiarch:autoscaling.karpenter.consolidateAfter': '99999999999h'},
     "multiarch:autoscaling.karpenter.consolidateAfter: '99999999999h' overflows Go's time.Duration, "
     "which Karpenter parses it into: at most 2562047h (Go time.Duration)"),
    ('karpenter-dev', "a typo in a NodePool's instanceTypes", {'multiarch:nodePools[1].instanceTypes': ['m7g.2xlargee']},
     "multiarch:nodePools[arm64].instanceTypes[0]: 'm7g.2xlargee' is not an EC2 instance type (m7g comes "
     f"in medium, large, xlarge, 2xlarge, 4xlarge, 8xlarge, 12xlarge, 16xlarge, metal; {EC2}); a type "
     "newer than the catalog: set unlistedInstanceType: true on the pool"),
    ('karpenter-dev', 'a kubernetes.io label on a NodePool', {'multiarch:nodePools[0].labels': {'node-role.kubernetes.io/build': 'true'}},
     "multiarch:nodePools[x86].labels.node-role.kubernetes.io/build: the kubelet may not set labels of "
     "the kubernetes.io and k8s.io domains, and a Karpenter NodePool may not set them either (its CRD "
     "refuses them); use a domain of your own, such as multiarch.dev/ (kubelet --node-labels and the "
     "NodeRestriction admission plugin)"),
    ('karpenter-dev', 'an end-of-life version with Karpenter', {'multiarch:cluster.version': '1.25'},
     "multiarch:cluster.version: '1.25' is no longer offered by EKS: EKS offers 1.32, 1.33, 1.34, 1.35 "
     "(EKS User Guide, Kubernetes release calendar, as of 2026-11-30)"),
    ('gke-dev', 'a T2A size that does not exist', {'multiarch:nodePools[1].instanceType': 't2a-standard-64'},
     "multiarch:nodePools[arm64].instanceType: 't2a-standard-64' is not a size of t2a-standard: it comes "
     f"in 1, 2, 4, 8, 16, 32, 48 vCPUs ({GCE}); a type newer than the catalog: set unlistedInstanceType: "
     "true on the pool"),
    ('gke-dev', 'an n2 size that does not exist', {'multiarch:nodePools[0].instanceType': 'n2-standard-7'},
     "multiarch:nodePools[x86].instanceType: 'n2-standard-7' is not a size of n2-standard: it comes in 2, "
     f"4, 8, 16, 32, 48, 64, 80, 96, 128 vCPUs ({GCE}); a type newer than the catalog: set "
     "unlistedInstanceType: true on the pool"),
    ('gke-dev', 'a pd disk on C4A', {'multiarch:nodePools[1].instanceType': 'c4a-standard-8', 'multiarch:nodePools[1].diskType': 'pd-balanced'},
     "multiarch:nodePools[arm64].diskType: 'pd-balanced' is not a boot disk C4A machines support; "
     f"expected hyperdisk-balanced ({GCE})"),
    ('gke-dev', 'N4A before GKE offers it', {'multiarch:nodePools[1].instanceType': 'n4a-standard-8'},
     "multiarch:nodePools[arm64].instanceType: 'n4a-standard-8': GKE offers Axion N4A node pools from "
     f"1.34, and multiarch:cluster.version is 1.33 ({GCE})"),
    ('gke-dev', 'C4A where it is not offered', {'multiarch:cluster.location': 'southamerica-east1', 'multiarch:nodePools[1].instanceType': 'c4a-standard-8'},
     "multiarch:nodePools[arm64].instanceType: c4a-standard-8 (Axion C4A) is not offered in "
     "southamerica-east1; C4A is offered in us-central1, us-east1, us-east4, us-west1, europe-west1, "
     "europe-west2, europe-west3, europe-west4, europe-north1, asia-east1, asia-northeast1, asia-south1, "
     f"asia-southeast1 ({GCE}); if it is offered there now, set unlistedInstanceType: true on the pool"),
    ('gke-dev', 'a StorageClass GKE owns', {'multiarch:storage.filestore.storageClass.name': 'standard-rwo'},
     "multiarch:storage.filestore.storageClass.name: 'standard-rwo' is a StorageClass GKE creates and "
     "reconciles itself (standard, standard-rwo, premium-rwo, standard-rwx, premium-rwx, enterprise-rwx, "
     "enterprise-multishare-rwx, zonal-rwx); the stack's would fight it: choose another name (GKE storage "
     "classes)"),
    ('gke-dev', 'a minor the Regular channel no longer offers', {'multiarch:cluster.version': '1.32'},
     "multiarch:cluster.version: '1.32' is no longer offered by GKE: GKE offers 1.33, 1.34, 1.35, 1.36 "
     "(GKE release notes, current versions of the Regular channel, as of 2026-11-30)"),
    ('gke-dev', 'a GKE version that does not exist', {'multiarch:cluster.version': '1.99'},
     "multiarch:cluster.version: '1.99' is not a Kubernetes release: the newest is 1.37 (kubernetes.io "
     "releases, as of 2026-11-30); GKE offers 1.33, 1.34, 1.35, 1.36 (GKE release notes, current versions "
     "of the Regular channel, as of 2026-11-30)"),
    ('gke-dev', 'a kubernetes.io label on a GKE pool', {'multiarch:nodePools[0].labels': {'node-role.kubernetes.io/build': ''}},
     "multiarch:nodePools[x86].labels.node-role.kubernetes.io/build: the kubelet may not set labels of "
     "the kubernetes.io and k8s.io domains, and GKE nodes get their labels from the kubelet: they would "
     "never register; use a domain of your own, such as multiarch.dev/ (kubelet --node-labels and the "
     "NodeRestriction admission plugin)"),
    ('gke-dev', 'two GKE taints with one key and effect', {'multiarch:nodePools[0].taints': [{'key': 'dedicated', 'value': 'a', 'effect': 'NoSchedule'}, {'key': 'dedicated', 'value': 'b', 'effect': 'NoSchedule'}]},
     "multiarch:nodePools[x86].taints[1]: dedicated:NoSchedule is already taints[0]; a node has one taint "
     "per key and effect (Kubernetes taints): merge them"),
    ('openshift-dev', 'an infrastructure name in capitals', {'multiarch:cluster.infrastructureName': 'Build-multiarch-tw9w9'},
     "multiarch:cluster.infrastructureName: 'Build-multiarch-tw9w9' is not an OpenShift infrastructure "
     "name: expected at most 27 lowercase letters, digits and -, as openshift-install derives it (the "
     "cluster name cut to 21 characters, - and 5 random characters); copy it from `oc get infrastructure "
     "cluster -o jsonpath='{.status.infrastructureName}'`"),
    ('openshift-dev', "an infrastructure name longer than the installer's", {'multiarch:cluster.infrastructureName': 'build-multiarch-cluster-xyz-tw9w9'},
     "multiarch:cluster.infrastructureName: 'build-multiarch-cluster-xyz-tw9w9' is not an OpenShift "
     "infrastructure name: expected at most 27 lowercase letters, digits and -, as openshift-install "
     "derives it (the cluster name cut to 21 characters, - and 5 random characters); copy it from `oc get "
     "infrastructure cluster -o jsonpath='{.status.infrastructureName}'`"),
    ('openshift-dev', 'a zone in capitals', {'multiarch:cluster.zones': ['eu-west-3a', 'eu-west-3B']},
     "multiarch:cluster.zones[1]: 'eu-west-3B' is not an availability zone of aws:region eu-west-3: "
     "expected eu-west-3 and a lowercase letter, such as eu-west-3a (EC2 availability zone names)"),
    ('openshift-dev', 'a zone Paris does not have', {'multiarch:cluster.zones': ['eu-west-3a', 'eu-west-3d']},
     "multiarch:cluster.zones[1]: 'eu-west-3d' is not an availability zone of eu-west-3 (its zones: "
     f"eu-west-3a, eu-west-3b, eu-west-3c; {EC2})"),
    ('openshift-dev', 'an AMI id of 13 hex digits', {'multiarch:nodePools[0].amiId': 'ami-0a1b2c3d4e5f6'},
     "multiarch:nodePools[x86].amiId: 'ami-0a1b2c3d4e5f6' is not an AMI id: expected ami- and 8 or 17 "
     "lowercase hexadecimal digits (EC2 resource IDs)"),
    ('openshift-dev', 'a type not offered in every listed zone', {'multiarch:nodePools[0].instanceType': 'c5a.2xlarge'},
     "multiarch:nodePools[x86].instanceType: 'c5a.2xlarge' is not offered in eu-west-3b (in eu-west-3 "
     f"only in eu-west-3a, eu-west-3c; {EC2}): list only those zones, or choose another type"),
    ('openshift-dev', 'an OLM channel that does not exist', {'multiarch:pipelines.channel': 'stable'},
     "multiarch:pipelines.channel: 'stable' is not a channel of openshift-pipelines-operator-rh: expected "
     "latest, pipelines-1.14, pipelines-1.15, pipelines-1.16, pipelines-1.17, pipelines-1.18, "
     "pipelines-1.19, pipelines-1.20, pipelines-1.21 (Red Hat OpenShift Operator Life Cycles and "
     "OpenShift Pipelines release notes, read 2026-11); a channel newer than the table: set "
     "multiarch:pipelines.unlistedChannel: true"),
    ('openshift-dev', 'a channel for older OpenShift', {'multiarch:cluster.openshiftVersion': '4.18', 'multiarch:pipelines.channel': 'pipelines-1.14'},
     "multiarch:pipelines.channel: 'pipelines-1.14' supports OpenShift 4.12 to 4.15, and "
     "multiarch:cluster.openshiftVersion is 4.18: OLM would find no installable version; expected latest, "
     "pipelines-1.17, pipelines-1.18, pipelines-1.19, pipelines-1.20, pipelines-1.21 (Red Hat OpenShift "
     "Operator Life Cycles and OpenShift Pipelines release notes, read 2026-11)"),
    ('openshift-dev', 'an OpenShift version newer than the table', {'multiarch:cluster.openshiftVersion': '4.30'},
     "multiarch:cluster.openshiftVersion: '4.30' is not an OpenShift version of the table (4.14, 4.15, "
     "4.16, 4.17, 4.18, 4.19, 4.20, 4.21; Red Hat OpenShift Operator Life Cycles and OpenShift Pipelines "
     "release notes, read 2026-11); a newer one: set multiarch:cluster.unlistedVersion: true"),
    ('openshift-dev', 'an unlisted type without its size', {'multiarch:nodePools[0].instanceType': 'm9a.2xlarge', 'multiarch:nodePools[0].unlistedInstanceType': True},
     "multiarch:nodePools[x86].nodeCapacity: required with unlistedInstanceType here: the catalog has no "
     "vCPU and memory for m9a.2xlarge, and the scale-from-zero annotations need them; state {vcpu, "
     "memoryMiB}"),
    ('openshift-dev', 'a label value with a slash', {'multiarch:nodePools[0].labels': {'multiarch.dev/team': 'a/b'}},
     "multiarch:nodePools[x86].labels.multiarch.dev/team: 'a/b' is not a Kubernetes label value: a label "
     "value allows letters, digits and -_., starting and ending with a letter or digit (Kubernetes label "
     "syntax)"),
    ('openshift-dev', 'a MachineSet type that does not exist', {'multiarch:nodePools[1].instanceType': 'm6g.3xlarge'},
     "multiarch:nodePools[arm64].instanceType: 'm6g.3xlarge' is not an EC2 instance type (m6g comes in "
     f"medium, large, xlarge, 2xlarge, 4xlarge, 8xlarge, 12xlarge, 16xlarge, metal; {EC2}); a type newer "
     "than the catalog: set unlistedInstanceType: true on the pool"),
    ('openshift-dev', 'a MachineSet taint key with a space', {'multiarch:nodePools[1].taints': [{'key': 'multiarch.dev/build pool', 'effect': 'NoSchedule'}]},
     "multiarch:nodePools[arm64].taints[0].key: 'multiarch.dev/build pool' is not a Kubernetes taint key: "
     "its name allows letters, digits and -_., starting and ending with a letter or digit (Kubernetes "
     "label syntax)"),
    ('openshift-dev', 'a created file system with maxIO and elastic', {'multiarch:storage.efs.fileSystemId': '', 'multiarch:storage.efs.performanceMode': 'maxIO', 'multiarch:storage.efs.throughputMode': 'elastic'},
     "multiarch:storage.efs.performanceMode: 'maxIO' with throughputMode 'elastic': EFS refuses Max I/O "
     "with Elastic throughput; set throughputMode: bursting, or keep performanceMode generalPurpose (EFS "
     "User Guide, performance modes)"),
]  # fmt: skip

# Round 3 (issue 26): capacity that falls back, ComputeClasses on GKE only, GKE's system pool.
CAPACITY_BAD: list[tuple[str, str, dict[str, Any], str]] = [
    ('karpenter-dev', 'an amd64 family in an arm64 fallback list', {'multiarch:nodePools[1].instanceFamilies': ['m8g', 'm7i', 'm6g']},
     "multiarch:nodePools[arm64].instanceFamilies[1]: 'm7i' is an amd64 family, but the pool's arch is "
     f"arm64: Karpenter would launch amd64 nodes for arm64 builds ({EC2})"),
    ('karpenter-dev', 'a fallback family that does not exist', {'multiarch:nodePools[1].instanceFamilies': ['m8g', 'm9z']},
     f"multiarch:nodePools[arm64].instanceFamilies[1]: 'm9z' is not an EC2 instance family ({EC2})"),
    ('karpenter-dev', 'a fallback family Paris does not offer at that size', {'multiarch:nodePools[1].instanceFamilies': ['m8g', 'c7gn']},
     "multiarch:nodePools[arm64].instanceFamilies[1]: 'c7gn' at the size of instanceType: 'c7gn.2xlarge' "
     f"is not offered in eu-west-3 ({EC2}); if it is offered there now, set unlistedInstanceType: true on "
     "the pool"),
    ('karpenter-dev', 'a capacity type twice', {'multiarch:nodePools[1].capacityTypes': ['SPOT', 'SPOT']},
     "multiarch:nodePools[arm64].capacityTypes: ['SPOT', 'SPOT'] names a capacity type twice"),
    ('karpenter-dev', 'capacityType outside capacityTypes', {'multiarch:nodePools[1].capacityType': 'ON_DEMAND', 'multiarch:nodePools[1].capacityTypes': ['SPOT']},
     "multiarch:nodePools[arm64].capacityType: ON_DEMAND is not among capacityTypes ['SPOT']; remove "
     "capacityType (capacityTypes says it all)"),
    ('karpenter-dev', 'a grace period shorter than the job timeout', {'multiarch:autoscaling.karpenter.terminationGracePeriod': '30m'},
     "multiarch:autoscaling.karpenter.terminationGracePeriod: 30m is shorter than "
     "multiarch:gitlabRunner.jobTimeout 1h: Karpenter would take a node away under a build that says "
     "do-not-disrupt; set it to at least 1h (or remove it: the default is the longest timeout plus 15m)"),
    ('karpenter-dev', 'a grace period shorter than a raised pipeline timeout', {'multiarch:pipelines.runTimeout': '3h', 'multiarch:autoscaling.karpenter.terminationGracePeriod': '2h'},
     "multiarch:autoscaling.karpenter.terminationGracePeriod: 2h is shorter than "
     "multiarch:pipelines.runTimeout 3h: Karpenter would take a node away under a build that says "
     "do-not-disrupt; set it to at least 3h (or remove it: the default is the longest timeout plus 15m)"),
    ('dev', 'fallback families under the Cluster Autoscaler', {'multiarch:nodePools[1].instanceFamilies': ['m7g', 'm6g']},
     "multiarch:nodePools[arm64].instanceFamilies: only with multiarch:autoscaling.engine karpenter (eks) "
     "or compute-class (gke): a node pool the Cluster Autoscaler scales has one instance type and one "
     "capacity type"),
    ('dev', 'a ComputeClass on EKS', {'multiarch:autoscaling': {'engine': 'compute-class'}},
     "multiarch:autoscaling.engine: compute-class is for platform gke (GKE ComputeClasses); on eks the "
     "pools are scaled by the Cluster Autoscaler or Karpenter: remove engine or set it to "
     "cluster-autoscaler or karpenter"),
    ('openshift-dev', 'a ComputeClass on OpenShift', {'multiarch:autoscaling': {'engine': 'compute-class'}},
     "multiarch:autoscaling.engine: compute-class is for platform gke (GKE ComputeClasses); on openshift "
     "the pools are scaled by OpenShift's ClusterAutoscaler: remove engine or set it to cluster-autoscaler"),
    ('gke-computeclass-dev', 'an x86 series in the arm64 class', {'multiarch:nodePools[1].instanceFamilies': ['c4a', 'n4', 't2a']},
     "multiarch:nodePools[arm64].instanceFamilies[1]: 'n4' is an amd64 series, but the pool's arch is "
     f"arm64: its ComputeClass would launch amd64 nodes for arm64 builds ({GCE})"),
    ('gke-computeclass-dev', 'a series that does not exist', {'multiarch:nodePools[1].instanceFamilies': ['c4a', 'c9z']},
     "multiarch:nodePools[arm64].instanceFamilies[1]: 'c9z' is not a machine series GKE pools may use "
     f"(series: c2, c2d, c3, c3d, c4, c4a, c4d, e2, n1, n2, n2d, n4, n4a, n4d, t2a, t2d; {GCE})"),
    ('gke-computeclass-dev', 'a GKE version below the ComputeClass floor', {'multiarch:cluster.version': '1.33'},
     "multiarch:cluster.version: '1.33' is older than 1.34, the first GKE version with "
     "nodePoolConfig.taintConfig (a class's explicit architectureTaintBehavior), which engine "
     "compute-class uses (GKE ComputeClass and node pool auto-creation docs, hand-kept, read 2026-11)"),
    ('gke-computeclass-dev', 'a class pool kept at one node', {'multiarch:nodePools[0].minSize': 1},
     "multiarch:nodePools[x86].minSize: 1 with engine compute-class: GKE creates the class's nodes for "
     "the builds and removes them after; set minSize: 0 (the system node pool runs the controllers)"),
    ('gke-computeclass-dev', 'ComputeClasses without the system pool', {'multiarch:autoscaling.systemPool': {'enabled': False}},
     "multiarch:autoscaling.systemPool.enabled: false with engine compute-class: every build pool idles "
     "at zero nodes, so the controllers need the system node pool; enable it"),
    ('dev', 'a GKE system pool on EKS', {'multiarch:autoscaling': {'systemPool': {'instanceType': 't4g.medium'}}},
     "multiarch:autoscaling.systemPool: only for platform gke (on eks: autoscaling.karpenter.systemPool "
     "with engine karpenter)"),
    ('gke-dev', 'a Spot system pool', {'multiarch:autoscaling.systemPool.capacityType': 'SPOT'},
     "multiarch:autoscaling.systemPool.capacityType: SPOT: the controllers' pool is on-demand (Spot would "
     "evict them)"),
    ('gke-dev', 'an EC2 type for the GKE system pool', {'multiarch:autoscaling.systemPool.instanceType': 't4g.medium'},
     "multiarch:autoscaling.systemPool.instanceType: 't4g.medium' is not a machine type of a series GKE "
     "pools may use (series: c2, c2d, c3, c3d, c4, c4a, c4d, e2, n1, n2, n2d, n4, n4a, n4d, t2a, t2d) "
     f"({GCE}); a type newer than the catalog: set unlistedInstanceType: true on the system pool"),
    ('gke-dev', 'a build pool named system', {'multiarch:nodePools[0].name': 'system'},
     "multiarch:nodePools[system].name: 'system' is the system node pool's name; choose another name for "
     "this build pool, or set multiarch:autoscaling.systemPool.enabled: false"),
    ('gke-dev', 'a zone its region does not have', {'multiarch:cluster.location': 'europe-west4-d'},
     "multiarch:cluster.location: 'europe-west4-d' is not a zone of europe-west4 (its zones: "
     "europe-west4-a, europe-west4-b, europe-west4-c); check the spelling, or set "
     "multiarch:cluster.unlistedRegion: true for a zone newer than the list (components/regions.py, as of "
     "2026-11)"),
]  # fmt: skip


# --- round 4 (issue 38): timeouts, machine shapes, the installer's names, settings nothing applies, a newcomer's mistakes ---
KUBECONFIG = (
    "apiVersion: v1\nclusters:\n- cluster:\n    server: https://api.example:6443\n  name: c\nusers:\n- name: admin\n"
    "  user:\n    token: sha256~example\n"
)
ROUND4_BAD: list[tuple[str, str, dict[str, Any], str]] = [
    ('dev', "runTimeout beyond Go's range", {'multiarch:pipelines.runTimeout': '3000000h'},
     "multiarch:pipelines.runTimeout: '3000000h' overflows Go's time.Duration, which Tekton parses it "
     'into: at most 2562047h (Go time.Duration)'),
    ('dev', "jobTimeout beyond GitLab's month", {'multiarch:gitlabRunner.jobTimeout': '1000h'},
     "multiarch:gitlabRunner.jobTimeout: '1000h' is not below GitLab's one-month ceiling on a job's "
     'timeout (1.month, 2629746 s; GitLab Project::MAX_BUILD_TIMEOUT, '
     'lib/gitlab/ci/config/entry/timeout.rb): every pipeline that includes the CI/CD component would fail '
     'validation; expected at most 730h29m5s'),
    ('dev', 'jobTimeout of 0s', {'multiarch:gitlabRunner.jobTimeout': '0s'},
     "multiarch:gitlabRunner.jobTimeout: '0s' leaves a job no time to run: expected e.g. 1h"),
    ('karpenter-dev', 'runTimeout 0s: no timeout', {'multiarch:pipelines.runTimeout': '0s'},
     "multiarch:pipelines.runTimeout: '0s' means no timeout to Tekton: a run that hangs would hold its "
     "build node and its workspace for ever, and the nodes' grace period and the runs' retention are "
     'sized by the longest run; set the longest a run may take, e.g. 24h'),
    ('dev', 'a negative runTimeout', {'multiarch:pipelines.runTimeout': '-1h'},
     "multiarch:pipelines.runTimeout: '-1h' is negative: expected a duration of 0 or more, e.g. 90s, 10m "
     'or 1h30m'),
    ('dev', 'runTimeout in days', {'multiarch:pipelines.runTimeout': '1d'},
     'multiarch:pipelines.runTimeout: \'1d\' is not a Go duration (time: unknown unit "d" in duration '
     '"1d"), which Tekton parses it into: expected e.g. 90s, 10m or 1h30m, in units ns, us, ms, s, m and h'),
    ('gke-dev', 'C4A local SSD below its smallest size', {'multiarch:nodePools[1].instanceType': 'c4a-standard-2-lssd'},
     "multiarch:nodePools[arm64].instanceType: 'c4a-standard-2-lssd' is not a size of "
     'c4a-standard-N-lssd: it comes in 4, 8, 16, 32, 48, 64, 72 vCPUs (Compute Engine machine series '
     'table, components/catalog/gcp.py (hand-kept, as of 2026-12-01)); a type newer than the catalog: set '
     'unlistedInstanceType: true on the pool'),
    ('gke-dev', 'C4 local SSD below its smallest size', {'multiarch:nodePools[0].instanceType': 'c4-standard-2-lssd'},
     "multiarch:nodePools[x86].instanceType: 'c4-standard-2-lssd' is not a size of c4-standard-N-lssd: it "
     'comes in 4, 8, 16, 24, 32, 48, 96, 144, 192, 288 vCPUs (Compute Engine machine series table, '
     'components/catalog/gcp.py (hand-kept, as of 2026-12-01)); a type newer than the catalog: set '
     'unlistedInstanceType: true on the pool'),
    ('gke-dev', 'C3 highmem has no local SSD shape', {'multiarch:nodePools[0].instanceType': 'c3-highmem-8-lssd'},
     "multiarch:nodePools[x86].instanceType: 'c3-highmem-8-lssd' is not a machine type: c3-highmem has no "
     '-lssd variant (Compute Engine machine series table, components/catalog/gcp.py (hand-kept, as of '
     '2026-12-01)); a type newer than the catalog: set unlistedInstanceType: true on the pool'),
    ('gke-dev', 'an odd N2 custom vCPU count', {'multiarch:nodePools[0].instanceType': 'n2-custom-3-12288'},
     "multiarch:nodePools[x86].instanceType: 'n2-custom-3-12288' is not a custom N2 machine type: its "
     'vCPU count is an even count from 2 to 32, then multiples of 4 to 128, not 3 (Compute Engine machine '
     'series table, components/catalog/gcp.py (hand-kept, as of 2026-12-01)); a type newer than the '
     'catalog: set unlistedInstanceType: true on the pool'),
    ('gke-dev', 'N2 custom above 32 vCPUs off its step of 4', {'multiarch:nodePools[0].instanceType': 'n2-custom-34-34816'},
     "multiarch:nodePools[x86].instanceType: 'n2-custom-34-34816' is not a custom N2 machine type: its "
     'vCPU count is an even count from 2 to 32, then multiples of 4 to 128, not 34 (Compute Engine '
     'machine series table, components/catalog/gcp.py (hand-kept, as of 2026-12-01)); a type newer than '
     'the catalog: set unlistedInstanceType: true on the pool'),
    ('gke-dev', 'N1 custom under the n1- prefix', {'multiarch:nodePools[0].instanceType': 'n1-custom-2-4096'},
     "multiarch:nodePools[x86].instanceType: 'n1-custom-2-4096' is not a machine type: N1's custom types "
     'are named custom-<vCPUs>-<MiB> (Compute Engine machine series table, components/catalog/gcp.py '
     '(hand-kept, as of 2026-12-01)); a type newer than the catalog: set unlistedInstanceType: true on '
     'the pool'),
    ('karpenter-dev', 'an AMI alias of month 13', {'multiarch:autoscaling.karpenter.amiAlias': 'al2023@v20251399'},
     "multiarch:autoscaling.karpenter.amiAlias: 'al2023@v20251399' is not an AL2023 release: v20251399 is "
     'not a date (releases are named vYYYYMMDD, the day they were published, awslabs/amazon-eks-ami '
     'releases); the EC2NodeClass would find no image and never become Ready'),
    ('karpenter-dev', 'an AMI alias of a day to come', {'multiarch:autoscaling.karpenter.amiAlias': 'al2023@v20991201'},
     "multiarch:autoscaling.karpenter.amiAlias: 'al2023@v20991201' is not an AL2023 release: v20991201 is "
     'a day yet to come (releases are named vYYYYMMDD, the day they were published, '
     'awslabs/amazon-eks-ami releases); the EC2NodeClass would find no image and never become Ready'),
    ('openshift-dev', 'an OpenShift pool named worker', {'multiarch:nodePools[0].name': 'worker'},
     "multiarch:nodePools[worker].name: 'worker' makes the MachineSets "
     "build-multiarch-tw9w9-worker-<zone>, the names of openshift-install's compute MachineSets: the "
     'stack would take them over, and a destroy would delete them; choose another name (reserved on '
     'openshift: worker, edge, master, arbiter, bootstrap, infra; openshift/installer '
     'pkg/asset/machines/aws)'),
    ('openshift-dev', 'an OpenShift pool named infra', {'multiarch:nodePools[0].name': 'infra'},
     "multiarch:nodePools[infra].name: 'infra' makes the MachineSets build-multiarch-tw9w9-infra-<zone>, "
     "the names of the infrastructure MachineSets of OpenShift's docs: the stack would take them over, "
     'and a destroy would delete them; choose another name (reserved on openshift: worker, edge, master, '
     'arbiter, bootstrap, infra; openshift/installer pkg/asset/machines/aws)'),
    ('openshift-dev', 'an OpenShift pool named master', {'multiarch:nodePools[1].name': 'master'},
     "multiarch:nodePools[master].name: 'master' makes the MachineSets "
     "build-multiarch-tw9w9-master-<zone>, the names of the control plane's Machines: the stack would "
     'take them over, and a destroy would delete them; choose another name (reserved on openshift: '
     'worker, edge, master, arbiter, bootstrap, infra; openshift/installer pkg/asset/machines/aws)'),
    ('dev', 'publicAccessCidrs on an adopted cluster', {'multiarch:cluster.create': False, 'multiarch:cluster.publicAccessCidrs': ['203.0.113.0/24']},
     'multiarch:cluster.publicAccessCidrs: not applied to an adopted cluster (cluster.create: false): the '
     'stack only reads build-multiarch; set it on the cluster yourself (aws eks update-cluster-config '
     '--name build-multiarch --resources-vpc-config publicAccessCidrs=203.0.113.0/24) and remove the key '
     '(EKS API: VpcConfigRequest is an input of CreateCluster and UpdateClusterConfig only)'),
    ('dev', 'endpointPublicAccess on an adopted cluster', {'multiarch:cluster.create': False, 'multiarch:cluster.endpointPublicAccess': False},
     'multiarch:cluster.endpointPublicAccess: not applied to an adopted cluster (cluster.create: false): '
     'the stack only reads build-multiarch; set it on the cluster yourself (aws eks update-cluster-config '
     '--name build-multiarch --resources-vpc-config endpointPublicAccess=false) and remove the key (EKS '
     'API: VpcConfigRequest is an input of CreateCluster and UpdateClusterConfig only)'),
    ('dev', 'publicAccessCidrs without a public endpoint', {'multiarch:cluster.endpointPublicAccess': False, 'multiarch:cluster.publicAccessCidrs': ['203.0.113.0/24']},
     'multiarch:cluster.publicAccessCidrs: not applied with endpointPublicAccess: false (there is no '
     'public endpoint to restrict); remove it'),
    ('gke-dev', 'publicAccessCidrs on gke', {'multiarch:cluster.publicAccessCidrs': ['203.0.113.0/24']},
     'multiarch:cluster.publicAccessCidrs: not used on platform gke (an EKS endpoint setting)'),
    ('gke-computeclass-dev', 'NAP limits on an adopted GKE cluster', {'multiarch:cluster.create': False},
     'multiarch:autoscaling.limits: not applied to an adopted cluster (cluster.create: false): node '
     "auto-provisioning's limits are the cluster's own setting, and the stack only reads "
     'build-multiarch-cc; set them on the cluster (gcloud container clusters update build-multiarch-cc '
     '--location europe-west4 --enable-autoprovisioning --max-cpu 256 --max-memory 1024) and remove the '
     'key (GKE API: Cluster.autoscaling, changed by clusters.update desiredClusterAutoscaling)'),
    ('gke-dev', 'the autoscaling profile on an adopted GKE cluster', {'multiarch:cluster.create': False, 'multiarch:autoscaling': {'profile': 'BALANCED'}},
     'multiarch:autoscaling.profile: not applied to an adopted cluster (cluster.create: false): the '
     "autoscaling profile is the cluster's own setting, and the stack only reads build-multiarch; set it "
     'on the cluster (gcloud container clusters update build-multiarch --location europe-west4 '
     '--autoscaling-profile balanced) and remove the key (GKE API: Cluster.autoscaling, changed by '
     'clusters.update desiredClusterAutoscaling)'),
    ('gke-dev', 'limits on gke without compute-class', {'multiarch:autoscaling': {'limits': {'maxNodesTotal': 20}}},
     'multiarch:autoscaling.limits: not used on platform gke with engine cluster-autoscaler: GKE scales '
     'each node pool within its minSize..maxSize, and these limits cap node auto-provisioning, which only '
     "engine compute-class turns on; remove it (the pools' maxSize bound them)"),
    ('gke-computeclass-dev', 'maxNodesTotal under node auto-provisioning', {'multiarch:autoscaling.limits.maxNodesTotal': 20},
     'multiarch:autoscaling.limits.maxNodesTotal: not used on platform gke: node auto-provisioning caps '
     'cores and memory, not nodes (Cluster.autoscaling.resourceLimits: cpu, memory); remove it'),
    ('gke-dev', 'an expander on gke', {'multiarch:autoscaling': {'expander': 'random'}},
     'multiarch:autoscaling.expander: not used on platform gke: GKE runs its own autoscaler, which takes '
     'no expander and no scale-down timings (multiarch:autoscaling.profile chooses how soon idle nodes '
     'go: OPTIMIZE_UTILIZATION or BALANCED); remove it'),
    ('gke-dev', 'scale-down timing on gke', {'multiarch:autoscaling': {'scaleDownUnneededTime': '20m'}},
     'multiarch:autoscaling.scaleDownUnneededTime: not used on platform gke: GKE runs its own autoscaler, '
     'which takes no expander and no scale-down timings (multiarch:autoscaling.profile chooses how soon '
     'idle nodes go: OPTIMIZE_UTILIZATION or BALANCED); remove it'),
    ('dev', 'the autoscaling profile on eks', {'multiarch:autoscaling': {'profile': 'BALANCED'}},
     "multiarch:autoscaling.profile: only for platform gke (GKE's autoscaling profile); on eks, "
     'multiarch:autoscaling.scaleDownUnneededTime says how soon idle nodes go'),
    ('dev', 'the priority expander without its ConfigMap', {'multiarch:autoscaling': {'expander': 'priority'}},
     'multiarch:autoscaling.expander: priority ranks the node groups by a ConfigMap '
     '(cluster-autoscaler-priority-expander) the stack does not write, and without it the autoscaler '
     'falls back to random; use least-waste (the default) or random (kubernetes/autoscaler '
     'expander/priority)'),
    ('dev', 'the price expander on AWS', {'multiarch:autoscaling': {'expander': 'price'}},
     'multiarch:autoscaling.expander: price needs a cloud provider that prices node groups, which the '
     "Cluster Autoscaler's AWS provider does not (kubernetes/autoscaler FAQ, 'What are Expanders?': GCE "
     'and GKE); use least-waste (the default)'),
    ('openshift-dev', 'an expander OpenShift does not offer', {'multiarch:autoscaling': {'expander': 'most-pods'}},
     "multiarch:autoscaling.expander: most-pods is not an expander OpenShift's ClusterAutoscaler offers "
     '(spec.expanders: LeastWaste, Priority, Random); use least-waste or random'),
    ('karpenter-dev', 'an amiType under Karpenter', {'multiarch:nodePools[1].amiType': 'BOTTLEROCKET_ARM_64'},
     'multiarch:nodePools[arm64].amiType: not used with engine karpenter: its NodePools boot the AL2023 '
     'AMI of multiarch:autoscaling.karpenter.amiAlias (one EC2NodeClass for every pool); remove it'),
    ('karpenter-dev', 'a day as a consolidateAfter', {'multiarch:autoscaling.karpenter.consolidateAfter': '1d'},
     "multiarch:autoscaling.karpenter.consolidateAfter: '1d' is not a duration the NodePool's "
     'spec.disruption.consolidateAfter takes: whole hours, minutes and seconds such as 90s, 10m or 1h30m, '
     'or Never (pattern ^(([0-9]+(s|m|h))+|Never)$, Karpenter v1.14.1 NodePool CRD)'),
    ('karpenter-dev', 'Never as a grace period', {'multiarch:autoscaling.karpenter.terminationGracePeriod': 'Never'},
     "multiarch:autoscaling.karpenter.terminationGracePeriod: 'Never' is not a duration the NodePool's "
     'spec.template.spec.terminationGracePeriod takes: whole hours, minutes and seconds such as 90s, 10m '
     'or 1h30m (Never is not accepted here) (pattern ^([0-9]+(s|m|h))+$, Karpenter v1.14.1 NodePool CRD)'),
    ('karpenter-dev', 'a fraction in consolidateAfter', {'multiarch:autoscaling.karpenter.consolidateAfter': '1.5h'},
     "multiarch:autoscaling.karpenter.consolidateAfter: '1.5h' is not a duration the NodePool's "
     'spec.disruption.consolidateAfter takes: whole hours, minutes and seconds such as 90s, 10m or 1h30m, '
     'or Never (pattern ^(([0-9]+(s|m|h))+|Never)$, Karpenter v1.14.1 NodePool CRD)'),
    ('dev', "a day as the Cluster Autoscaler's delay", {'multiarch:autoscaling': {'scaleDownDelayAfterAdd': '1d'}},
     'multiarch:autoscaling.scaleDownDelayAfterAdd: \'1d\' is not a Go duration (time: unknown unit "d" in '
     'duration "1d"), which the Cluster Autoscaler parses it into: expected e.g. 90s, 10m or 1h30m, in '
     'units ns, us, ms, s, m and h'),
    ('gke-dev', 'an unlisted system pool type without its size', {'multiarch:autoscaling.systemPool.instanceType': 'e2-standard-99', 'multiarch:autoscaling.systemPool.unlistedInstanceType': True, 'multiarch:autoscaling.systemPool.arch': 'amd64'},
     'multiarch:autoscaling.systemPool.nodeCapacity: required with unlistedInstanceType: the catalog has '
     'no vCPU and memory for e2-standard-99, and the placement model needs them to put the controllers on '
     'it; state {vcpu, memoryMiB}'),
    ('karpenter-dev', 'an unlisted Karpenter system type without its size', {'multiarch:autoscaling.karpenter.systemPool.instanceType': 't9g.medium', 'multiarch:autoscaling.karpenter.systemPool.unlistedInstanceType': True, 'multiarch:autoscaling.karpenter.systemPool.arch': 'arm64'},
     'multiarch:autoscaling.karpenter.systemPool.nodeCapacity: required with unlistedInstanceType: the '
     'catalog has no vCPU and memory for t9g.medium, and the placement model needs them to put the '
     'controllers on it; state {vcpu, memoryMiB}'),
    ('karpenter-dev', 'platform in capitals', {'multiarch:platform': 'EKS'},
     "multiarch:platform: 'EKS' is not a platform; expected one of eks, gke, openshift (in lower case: "
     "'eks')"),
    ('dev', 'pipelines without ReadWriteMany storage', {'multiarch:storage': DELETE},
     "multiarch:pipelines: its runs' workspaces need ReadWriteMany storage, and the stack declares none: "
     'every run would wait for a volume that never binds; enable multiarch:storage.efs, or set '
     'multiarch:pipelines.enabled: false'),
    ('gke-dev', 'pipelines on gke without Filestore', {'multiarch:storage': DELETE},
     "multiarch:pipelines: its runs' workspaces need ReadWriteMany storage, and the stack declares none: "
     'every run would wait for a volume that never binds; enable multiarch:storage.filestore, or set '
     'multiarch:pipelines.enabled: false'),
    ('openshift-dev', 'a plaintext kubeconfig', {'kubernetes:kubeconfig': KUBECONFIG},
     "kubernetes:kubeconfig: holds a kubeconfig's contents, its credentials included, in plaintext (in "
     'the stack file, in git); set it with `pulumi config set --secret kubernetes:kubeconfig < '
     'auth/kubeconfig`'),
    ('dev', 'version 1.30 unquoted', {'multiarch:cluster.version': 1.3},
     'multiarch:cluster.version: 1.3 is a number: YAML reads 1.30 as the number 1.3; quote it in the '
     'stack file ("1.30")'),
]  # fmt: skip


GOOD: list[tuple[str, str, dict[str, Any]]] = [
    ("dev", "numbers and booleans as the CLI stores them (strings)",
     {"multiarch:nodePools[1].maxSize": "8", "multiarch:gitlabRunner.privileged": "false", "multiarch:gitlabRunner.concurrent": "4"}),
    ("dev", "the longest cluster name that fits every derived name", {"multiarch:cluster.name": "c" * 45}),
    ("dev", "a region newer than the list, declared so", {"aws:region": "eu-mars-1", "multiarch:cluster.unlistedRegion": True}),
    ("dev", "a region opened in 2025", {"aws:region": "ap-southeast-7"}),
    ("dev", "requests equal to limits, in other units", {"multiarch:gitlabRunner.buildResources": {"cpuRequest": "4000m", "cpuLimit": "4", "memoryRequest": "8192Mi", "memoryLimit": "8Gi"}}),
    ("dev", "450 nodes, the most a node group holds", {"multiarch:nodePools[1].maxSize": 450}),
    ("karpenter-dev", "the longest cluster name Karpenter's names allow", {"multiarch:cluster.name": "c" * 41}),
    ("karpenter-dev", "Spot build pools on two system nodes", {"multiarch:nodePools[1].capacityType": "SPOT", "multiarch:autoscaling.karpenter.systemPool.minSize": 2}),
    ("gke-dev", "a zonal cluster", {"multiarch:cluster.location": "europe-west4-b"}),
    ("openshift-dev", "runner and pipelines in namespaces of their own", {"multiarch:gitlabRunner.namespace": "ci", "multiarch:pipelines.namespace": "ci-builds"}),
    # --- round 2: valid edges of the data-driven rules ---
    ("dev", "a 63-character label value", {"multiarch:nodePools[0].labels": {"multiarch.dev/team": "v" * 63}}),
    ("prod", "a taint with no value", {"multiarch:nodePools[1].taints": [{"key": "multiarch.dev/arm64-only", "effect": "NoSchedule"}]}),
    ("dev", "maxIO with bursting throughput", {"multiarch:storage.efs.performanceMode": "maxIO", "multiarch:storage.efs.throughputMode": "bursting"}),
    ("openshift-dev", "the OpenShift infra role label", {"multiarch:nodePools[0].labels": {"node-role.kubernetes.io/infra": ""}}),
    ("dev", "a one-minor upgrade of dev", {"multiarch:cluster.version": "1.35"}),
    ("prod", "a one-minor upgrade of prod", {"multiarch:cluster.version": "1.35"}),
    ("karpenter-dev", "a one-minor upgrade of karpenter-dev", {"multiarch:cluster.version": "1.35"}),
    ("gke-dev", "a one-minor upgrade of gke-dev", {"multiarch:cluster.version": "1.34"}),
    ("openshift-dev", "OpenShift 4.19 on its Pipelines channel", {"multiarch:cluster.openshiftVersion": "4.19", "multiarch:pipelines.channel": "pipelines-1.19"}),
    ("karpenter-dev", "a c5n pool: limits from its real memory", {"multiarch:nodePools[0].instanceType": "c5n.2xlarge"}),
    ("dev", "a type newer than the catalog, declared so", {"multiarch:nodePools[0].instanceType": "m9x.2xlarge", "multiarch:nodePools[0].unlistedInstanceType": True}),
    ("dev", "a minor newer than the EKS table, declared so", {"multiarch:cluster.version": "1.36", "multiarch:cluster.unlistedVersion": True}),
    ("karpenter-dev", "a newer minor with its AMI alias", {"multiarch:cluster.version": "1.36", "multiarch:cluster.unlistedVersion": True, "multiarch:autoscaling.karpenter.amiAlias": "al2023@v20260903"}),
    ("dev", "a Tekton release newer than the table, declared so", {"multiarch:pipelines.version": "v1.18.0", "multiarch:pipelines.unlistedVersion": True}),
    ("openshift-dev", "a channel newer than the table, declared so", {"multiarch:pipelines.channel": "pipelines-1.22", "multiarch:pipelines.unlistedChannel": True}),
    ("prod", "a raised node group quota, stated", {"multiarch:nodePools[1].maxSize": 600, "multiarch:cluster.quotas": {"nodesPerNodeGroup": 1000}}),
    ("gke-dev", "C4A on Hyperdisk (derived)", {"multiarch:nodePools[1].instanceType": "c4a-standard-8"}),
    ("gke-dev", "N4A on 1.34", {"multiarch:cluster.version": "1.34", "multiarch:nodePools[1].instanceType": "n4a-standard-8"}),
    ("dev", "a 64-character EKS label key within prefix and name limits", {"multiarch:nodePools[0].labels": {"example.com/" + "k" * 51: "v"}}),
    # --- round 3: fallbacks, classes and the system pool ---
    ("gke-computeclass-dev", "an arm64 class with the default series", {"multiarch:nodePools[1].instanceFamilies": DELETE}),
    ("gke-computeclass-dev", "a one-minor upgrade of gke-computeclass-dev", {"multiarch:cluster.version": "1.36"}),
    ("gke-computeclass-dev", "a zonal ComputeClass cluster", {"multiarch:cluster.location": "europe-west4-b"}),
    ("gke-dev", "the layout before the system pool", {"multiarch:autoscaling.systemPool": {"enabled": False}, "multiarch:nodePools[0].minSize": 1}),
    ("gke-dev", "a system pool over two zones", {"multiarch:autoscaling.systemPool.minSize": 2}),
    ("karpenter-dev", "a grace period longer than every timeout", {"multiarch:autoscaling.karpenter.terminationGracePeriod": "4h"}),
    ("karpenter-dev", "on-demand only with three generations", {"multiarch:nodePools[1].capacityTypes": ["ON_DEMAND"]}),
    # --- round 4: what each consumer of a value accepts ---
    ("karpenter-dev", "a compound consolidateAfter", {"multiarch:autoscaling.karpenter.consolidateAfter": "1h30m"}),
    ("karpenter-dev", "consolidateAfter Never", {"multiarch:autoscaling.karpenter.consolidateAfter": "Never"}),
    ("karpenter-dev", "a compound grace period", {"multiarch:autoscaling.karpenter.terminationGracePeriod": "1h30m"}),
    ("dev", "the Cluster Autoscaler's delays compound and fractional", {"multiarch:autoscaling": {"scaleDownDelayAfterAdd": "1h30m", "scaleDownUnneededTime": "1.5h"}}),
    ("dev", "a compound runTimeout and jobTimeout", {"multiarch:pipelines.runTimeout": "1h30m", "multiarch:gitlabRunner.jobTimeout": "2h30m"}),
    ("dev", "the longest job timeout GitLab takes", {"multiarch:gitlabRunner.jobTimeout": "730h29m5s"}),
    ("gke-dev", "an unlisted system pool type with its arch and size", {"multiarch:autoscaling.systemPool.instanceType": "e2-standard-99", "multiarch:autoscaling.systemPool.unlistedInstanceType": True, "multiarch:autoscaling.systemPool.arch": "amd64", "multiarch:autoscaling.systemPool.nodeCapacity": {"vcpu": 4, "memoryMiB": 16384}}),
    ("karpenter-dev", "an unlisted Karpenter system type with its size", {"multiarch:autoscaling.karpenter.systemPool.instanceType": "t9g.large", "multiarch:autoscaling.karpenter.systemPool.unlistedInstanceType": True, "multiarch:autoscaling.karpenter.systemPool.arch": "arm64", "multiarch:autoscaling.karpenter.systemPool.nodeCapacity": {"vcpu": 2, "memoryMiB": 8192}}),
    ("gke-dev", "C4A's smallest local SSD shape", {"multiarch:nodePools[1].instanceType": "c4a-standard-4-lssd"}),
    ("gke-dev", "N2 custom on its step of 4 above 32", {"multiarch:nodePools[0].instanceType": "n2-custom-36-36864"}),
    ("gke-dev", "N1 custom, named as Google names it", {"multiarch:nodePools[0].instanceType": "custom-8-30720"}),
    ("openshift-dev", "a kubeconfig path in plaintext", {"kubernetes:kubeconfig": "~/.kube/config"}),
    ("openshift-dev", "the random expander on OpenShift", {"multiarch:autoscaling": {"expander": "random"}}),
    ("gke-computeclass-dev", "an adopted ComputeClass cluster, its limits left to it", {"multiarch:cluster.create": False, "multiarch:autoscaling.limits": DELETE}),
    ("dev", "a region priced by estimate", {"aws:region": "us-west-2"}),
]  # fmt: skip


# Several mistakes at once: every independent one reported, the root cause first, nothing derived from it.
MULTI_BAD: list[tuple[str, str, dict[str, Any], list[str]]] = [
    ("dev", "a wrong region and an arch mistake", {"aws:region": "eu-mars-1", "multiarch:nodePools[0].instanceType": "m6g.2xlarge"},
     ["aws:region: 'eu-mars-1' is not an AWS region; check the spelling, or set multiarch:cluster.unlistedRegion: "
      f"true for a region newer than the list (AWS partitions, {API})",
      "multiarch:nodePools[x86].instanceType: m6g.2xlarge is an arm64 instance type, but the pool's arch is amd64 "
      f"(choose an amd64 type or set arch: arm64; {EC2})"]),
    ("gke-computeclass-dev", "a location typo, and nothing derived from it", {"multiarch:cluster.location": "europe-wst4"},
     ["multiarch:cluster.location: 'europe-wst4' is not in a Google Cloud region; check the spelling, or set "
      "multiarch:cluster.unlistedRegion: true for a region newer than the list (components/regions.py, as of 2026-11)"]),
    ("karpenter-dev", "a key without its namespace", {"multiarch:platform": DELETE, "platform": "eks"},
     ["platform: a stack file key needs its namespace: write multiarch:platform (Pulumi refuses a key that is not "
      "<namespace>:<name>)",
      "multiarch:platform: is required: one of eks, gke, openshift"]),
    ("dev", "a runTimeout beyond Go's range, not its retention", {"multiarch:pipelines.runTimeout": "3000000h", "multiarch:gitlabRunner.jobTimeout": "1000h"},
     ["multiarch:pipelines.runTimeout: '3000000h' overflows Go's time.Duration, which Tekton parses it into: at "
      "most 2562047h (Go time.Duration)",
      "multiarch:gitlabRunner.jobTimeout: '1000h' is not below GitLab's one-month ceiling on a job's timeout "
      "(1.month, 2629746 s; GitLab Project::MAX_BUILD_TIMEOUT, lib/gitlab/ci/config/entry/timeout.rb): every "
      "pipeline that includes the CI/CD component would fail validation; expected at most 730h29m5s"]),
]  # fmt: skip


def assert_refused(stack: str, edits: dict[str, Any], expected: list[str]) -> None:
    """The variant is refused (exit 2) with exactly these lines, in this order."""
    with pytest.raises(plan.PlanError) as exc:
        plan.make(_variant(stack, edits), policies=False)
    assert exc.value.exit_code == plan.EXIT_CONFIG
    assert exc.value.lines == [f"Pulumi.{stack}.yaml: invalid stack configuration", *(f"error: {e}" for e in expected)]


def _variant(stack: str, edits: dict[str, Any]) -> stackfile.StackFile:
    base = stackfile.load(stack)
    return stackfile.StackFile(base.name, base.path, apply(base.config, edits), base.secret_keys)


def test_the_corpus_is_big_and_covers_every_platform() -> None:
    for corpus in (BAD, NEW_BAD, ROUND4_BAD):
        assert len(corpus) >= 40
        assert {stack for stack, *_ in corpus} >= {"dev", "karpenter-dev", "gke-dev", "openshift-dev"}
    every = BAD + NEW_BAD + CAPACITY_BAD + ROUND4_BAD
    assert len({label for _, label, *_ in every}) == len(every)


@pytest.mark.parametrize(
    ("stack", "label", "edits", "expected"),
    BAD + NEW_BAD + CAPACITY_BAD + ROUND4_BAD,
    ids=[b[1] for b in BAD + NEW_BAD + CAPACITY_BAD + ROUND4_BAD],
)
def test_a_bad_variant_is_refused_with_one_exact_line(
    stack: str, label: str, edits: dict[str, Any], expected: str
) -> None:
    assert_refused(stack, edits, [expected])


@pytest.mark.parametrize(("stack", "label", "edits", "expected"), MULTI_BAD, ids=[m[1] for m in MULTI_BAD])
def test_several_mistakes_are_each_reported_root_causes_first(
    stack: str, label: str, edits: dict[str, Any], expected: list[str]
) -> None:
    assert_refused(stack, edits, expected)


@pytest.mark.parametrize(("stack", "label", "edits"), GOOD, ids=[g[1] for g in GOOD])
def test_a_valid_unusual_variant_still_plans(stack: str, label: str, edits: dict[str, Any]) -> None:
    planned = plan.make(_variant(stack, edits))
    assert [v.message for v in planned.verdicts if v.mandatory] == []


def test_apply_edits_by_path() -> None:
    config = {"a:b": {"c": [{"d": 1}, {"d": 2}]}, "a:l": [{"x": 1}]}
    assert apply(config, {"a:b.c[1].d": 3, "a:l[0].x": 5}) == {"a:b": {"c": [{"d": 1}, {"d": 3}]}, "a:l": [{"x": 5}]}
    assert apply(config, {"a:b.c": DELETE}) == {"a:b": {}, "a:l": [{"x": 1}]}
