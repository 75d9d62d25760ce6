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
BAD: list[tuple[str, str, dict[str, Any], str]] = [
    # --- the ten of the issue (dev, eks) ---
    ("dev", "70-character cluster name", {"multiarch:cluster.name": LONG},
     f"multiarch:cluster.name: '{LONG}' makes the IAM role name '{LONG}-cluster-autoscaler' (89 characters); "
     "IAM role names are at most 64 characters (shorten it to at most 45 characters)"),
    ("dev", "CIDR prefix 33", {"multiarch:cluster.publicAccessCidrs": ["10.0.0.0/33"]},
     "multiarch:cluster.publicAccessCidrs[0]: '10.0.0.0/33' is not a CIDR block: the prefix length is 0 to 32"),
    ("dev", "a subnet twice", {"multiarch:cluster.subnetIds": ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60001"]},
     "multiarch:cluster.subnetIds: subnet-0a1b2c3d4e5f60001 is listed 2 times; list each subnet once"),
    ("dev", "maxSize 100000", {"multiarch:nodePools[1].maxSize": 100000},
     "multiarch:nodePools[arm64].maxSize: 100000 is above the 450 nodes an EKS managed node group can hold "
     "(EKS service quota 'Nodes per managed node group'); split the pool"),
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
     "true for a region newer than the list (components/regions.py, as of 2026-11)"),
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
     "EKS node group names are at most 63 characters (shorten it to at most 22 characters)"),
    ("dev", "maxSize 5.5", {"multiarch:nodePools[1].maxSize": 5.5},
     "multiarch:nodePools[arm64].maxSize: 5.5 is not a whole number"),
    ("dev", "maxSize 5.0", {"multiarch:nodePools[1].maxSize": 5.0},
     "multiarch:nodePools[arm64].maxSize: 5.0 is not a whole number; write 5"),
    ("dev", "desiredSize false", {"multiarch:nodePools[1].desiredSize": False},
     "multiarch:nodePools[arm64].desiredSize: false is a boolean; expected a whole number"),
    ("dev", "privileged yes", {"multiarch:gitlabRunner.privileged": "yes"},
     "multiarch:gitlabRunner.privileged: 'yes' is not a boolean; expected true or false"),
    ("dev", "concurrent true", {"multiarch:gitlabRunner.concurrent": True},
     "multiarch:gitlabRunner.concurrent: true is a boolean; expected a whole number"),
    ("dev", "create 1", {"multiarch:cluster.create": 1},
     "multiarch:cluster.create: 1 is not a boolean; expected true or false"),
    ("dev", "efs backup no", {"multiarch:storage.efs.backup": "no"},
     "multiarch:storage.efs.backup: 'no' is not a boolean; expected true or false"),
    ("dev", "diskSize true", {"multiarch:nodePools[0].diskSize": True},
     "multiarch:nodePools[x86].diskSize: true is a boolean; expected a whole number"),
    ("dev", "maxNodesTotal '50 nodes'", {"multiarch:autoscaling": {"limits": {"maxNodesTotal": "50 nodes"}}},
     "multiarch:autoscaling.limits.maxNodesTotal: '50 nodes' is not a whole number"),
    ("dev", "a 64-character StorageClass name", {"multiarch:storage.efs.storageClass.name": "s" * 64},
     f"multiarch:storage.efs.storageClass.name: '{'s' * 64}': DNS labels (RFC 1123) are at most 63 characters"),
    ("prod", "prod in a region that is not one", {"aws:region": "eu-west-33"},
     "aws:region: 'eu-west-33' is not an AWS region; check the spelling, or set multiarch:cluster.unlistedRegion: "
     "true for a region newer than the list (components/regions.py, as of 2026-11)"),
    # --- karpenter (eks) ---
    ("karpenter-dev", "a cluster name too long for the interruption rules", {"multiarch:cluster.name": "c" * 45},
     f"multiarch:cluster.name: '{'c' * 45}' makes the EventBridge rule name '{'c' * 45}-karpenter-state-change' "
     "(68 characters); EventBridge rule names are at most 64 characters (shorten it to at most 41 characters)"),
    ("karpenter-dev", "a build pool kept at one node", {"multiarch:nodePools[1].minSize": 1},
     "multiarch:nodePools[arm64].minSize: 1 with engine karpenter: Karpenter keeps no minimum, a build pool starts "
     "and idles at zero nodes; set minSize: 0 (the system pool runs the controllers)"),
    ("karpenter-dev", "an amd64 type in the arm64 NodePool", {"multiarch:nodePools[1].instanceTypes": ["m7i.2xlarge"]},
     "multiarch:nodePools[arm64].instanceTypes[0]: m7i.2xlarge is an amd64 instance type, but the pool's arch is "
     "arm64"),
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
     "allow lowercase letters, digits and -, starting with a letter"),
    ("gke-dev", "41-character GKE cluster name", {"multiarch:cluster.name": "g" * 41},
     f"multiarch:cluster.name: '{'g' * 41}' makes the GKE cluster name '{'g' * 41}' (41 characters); GKE cluster "
     "names are at most 40 characters (shorten it to at most 40 characters)"),
    ("gke-dev", "GKE pool name starting with a digit", {"multiarch:nodePools[1].name": "2arm"},
     "multiarch:nodePools[2arm].name: '2arm' makes the GKE node pool name '2arm'; GKE node pool names allow "
     "lowercase letters, digits and -, starting with a letter"),
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
     "characters (shorten it to at most 30 characters)"),
    ("openshift-dev", "runner in an openshift- namespace", {"multiarch:gitlabRunner.namespace": "openshift-runner"},
     "multiarch:gitlabRunner.namespace: 'openshift-runner' is a namespace the platform owns; the stack creates "
     "(and would delete) its namespace: choose another name"),
    ("openshift-dev", "pipelines in openshift-pipelines", {"multiarch:pipelines.namespace": "openshift-pipelines"},
     "multiarch:pipelines.namespace: 'openshift-pipelines' is a namespace the platform owns; the stack creates "
     "(and would delete) its namespace: choose another name"),
    ("openshift-dev", "a region that is not one", {"aws:region": "eu-west-9", "multiarch:cluster.zones": ["eu-west-9a"]},
     "aws:region: 'eu-west-9' is not an AWS region; check the spelling, or set multiarch:cluster.unlistedRegion: "
     "true for a region newer than the list (components/regions.py, as of 2026-11)"),
    ("openshift-dev", "runner cpuLimit 4 cores", {"multiarch:gitlabRunner.buildResources": {"cpuLimit": "4 cores"}},
     "multiarch:gitlabRunner.buildResources.cpuLimit: '4 cores' is not a Kubernetes quantity such as 500m or 2"),
    ("openshift-dev", "OpenShift maxSize true", {"multiarch:nodePools[1].maxSize": True},
     "multiarch:nodePools[arm64].maxSize: true is a boolean; expected a whole number"),
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
]  # fmt: skip


def _variant(stack: str, edits: dict[str, Any]) -> stackfile.StackFile:
    base = stackfile.load(stack)
    return stackfile.StackFile(base.name, base.path, apply(base.config, edits), base.secret_keys)


def test_the_corpus_is_big_and_covers_every_platform() -> None:
    assert len(BAD) >= 40
    assert {stack for stack, *_ in BAD} >= {"dev", "gke-dev", "openshift-dev"}
    assert len({label for _, label, *_ in BAD}) == len(BAD)


@pytest.mark.parametrize(("stack", "label", "edits", "expected"), BAD, ids=[b[1] for b in BAD])
def test_a_bad_variant_is_refused_with_one_exact_line(
    stack: str, label: str, edits: dict[str, Any], expected: str
) -> None:
    with pytest.raises(plan.PlanError) as exc:
        plan.make(_variant(stack, edits), policies=False)
    assert exc.value.exit_code == plan.EXIT_CONFIG
    assert exc.value.lines == [f"Pulumi.{stack}.yaml: invalid stack configuration", f"error: {expected}"]


@pytest.mark.parametrize(("stack", "label", "edits"), GOOD, ids=[g[1] for g in GOOD])
def test_a_valid_unusual_variant_still_plans(stack: str, label: str, edits: dict[str, Any]) -> None:
    planned = plan.make(_variant(stack, edits))
    assert [v.message for v in planned.verdicts if v.mandatory] == []


def test_apply_edits_by_path() -> None:
    config = {"a:b": {"c": [{"d": 1}, {"d": 2}]}, "a:l": [{"x": 1}]}
    assert apply(config, {"a:b.c[1].d": 3, "a:l[0].x": 5}) == {"a:b": {"c": [{"d": 1}, {"d": 3}]}, "a:l": [{"x": 5}]}
    assert apply(config, {"a:b.c": DELETE}) == {"a:b": {}, "a:l": [{"x": 1}]}
