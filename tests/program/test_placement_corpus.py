"""The platform as it runs, in space: the placement model's refusals, each with its exact line, and
unusual placements that still plan (tests/program/test_config_corpus.py's machinery).

Each bad variant would plan and deploy, then never run a build: an autoscaler with no node, a build
that fits no node of its arch, a system pool that cannot hold what runs there, autoscaler or node
auto-provisioning totals with no room for one build node of each arch. The committed stacks all
plan (tests/program/test_stacks.py); the review's cases are tests/program/test_review_risks.py's.
"""

from __future__ import annotations

from typing import Any

import pytest

from components.catalog import prices
from tests.program.test_config_corpus import _variant, assert_refused
from tools import plan


def _taint(key: str, value: str, effect: str) -> list[dict[str, str]]:
    return [{"key": key, "value": value, "effect": effect}]


PLACEMENT_BAD: list[tuple[str, str, dict[str, Any], str]] = [
    ('dev', 'every pool tainted', {'multiarch:nodePools[0].taints': [{'key': 'dedicated', 'value': 'build', 'effect': 'NoSchedule'}], 'multiarch:nodePools[1].taints': [{'key': 'dedicated', 'value': 'build', 'effect': 'NoSchedule'}]},
     'multiarch:nodePools[x86].taints: the kube-system/cluster-autoscaler pod has no node at idle: pool x86 (m5a.2xlarge: it does not tolerate the taint dedicated=build:NoSchedule); pool arm64 (it does not tolerate the taint dedicated=build:NoSchedule); it is the autoscaler, so nothing can start a node for it and no pool ever scales: keep a pool it tolerates at minSize >= 1'),
    ('dev', 'the only pool with nodes at idle tainted', {'multiarch:nodePools[0].taints': [{'key': 'dedicated', 'value': 'build', 'effect': 'NoSchedule'}]},
     'multiarch:nodePools[x86].taints: the kube-system/cluster-autoscaler pod has no node at idle: pool x86 (m5a.2xlarge: it does not tolerate the taint dedicated=build:NoSchedule); pool arm64 (no node at idle: minSize 0); it is the autoscaler, so nothing can start a node for it and no pool ever scales: keep a pool it tolerates at minSize >= 1'),
    ('dev', '16 CPU on 8-vCPU pools', {'multiarch:gitlabRunner.buildResources': {'cpuRequest': '16', 'cpuLimit': '16'}},
     "multiarch:gitlabRunner.buildResources.cpuRequest: 16 leaves a build no node: the amd64 CI job pod (build 16 + helper 100m CPU, build 2Gi + helper 128Mi memory) fits no node of arch amd64: pool x86 m5a.2xlarge: it requests 16100m CPU, the node has 7750m left after the EKS AMI's reservation and what runs there; the arm64 CI job pod (build 16 + helper 100m CPU, build 2Gi + helper 128Mi memory) fits no node of arch arm64: pool arm64 m6g.2xlarge: it requests 16100m CPU, the node has 7760m left after the EKS AMI's reservation and what runs there; lower it, or give the pools a larger instance type"),
    ('dev', '8 CPU on an 8-vCPU node', {'multiarch:gitlabRunner.buildResources': {'cpuRequest': '8', 'cpuLimit': '8'}},
     "multiarch:gitlabRunner.buildResources.cpuRequest: 8 leaves a build no node: the amd64 CI job pod (build 8 + helper 100m CPU, build 2Gi + helper 128Mi memory) fits no node of arch amd64: pool x86 m5a.2xlarge: it requests 8100m CPU, the node has 7750m left after the EKS AMI's reservation and what runs there; the arm64 CI job pod (build 8 + helper 100m CPU, build 2Gi + helper 128Mi memory) fits no node of arch arm64: pool arm64 m6g.2xlarge: it requests 8100m CPU, the node has 7760m left after the EKS AMI's reservation and what runs there; lower it, or give the pools a larger instance type"),
    ('dev', '32Gi on 32 GiB nodes', {'multiarch:gitlabRunner.buildResources': {'memoryRequest': '32Gi', 'memoryLimit': '32Gi'}},
     "multiarch:gitlabRunner.buildResources.memoryRequest: 32Gi leaves a build no node: the amd64 CI job pod (build 1 + helper 100m CPU, build 32Gi + helper 128Mi memory) fits no node of arch amd64: pool x86 m5a.2xlarge: it requests 32896Mi memory, the node has 29285Mi left after the EKS AMI's reservation and what runs there; the arm64 CI job pod (build 1 + helper 100m CPU, build 32Gi + helper 128Mi memory) fits no node of arch arm64: pool arm64 m6g.2xlarge: it requests 32896Mi memory, the node has 29258Mi left after the EKS AMI's reservation and what runs there; lower it, or give the pools a larger instance type"),
    ('dev', '12 CPU that fits amd64 only', {'multiarch:nodePools[0].instanceType': 'm5a.4xlarge', 'multiarch:gitlabRunner.buildResources': {'cpuRequest': '12', 'cpuLimit': '12'}},
     "multiarch:gitlabRunner.buildResources.cpuRequest: 12 leaves a build no node: the arm64 CI job pod (build 12 + helper 100m CPU, build 2Gi + helper 128Mi memory) fits no node of arch arm64: pool arm64 m6g.2xlarge: it requests 12100m CPU, the node has 7760m left after the EKS AMI's reservation and what runs there; lower it, or give the pools a larger instance type"),
    ('karpenter-dev', '16 CPU on every type a NodePool may launch', {'multiarch:gitlabRunner.buildResources': {'cpuRequest': '16', 'cpuLimit': '16'}},
     "multiarch:gitlabRunner.buildResources.cpuRequest: 16 leaves a build no node: the amd64 CI job pod (build 16 + helper 100m CPU, build 2Gi + helper 128Mi memory) fits no node of arch amd64: pool x86 m7i.2xlarge: it requests 16100m CPU, the node has 7750m left after the EKS AMI's reservation and what runs there; pool x86 m6a.2xlarge: it requests 16100m CPU, the node has 7750m left after the EKS AMI's reservation and what runs there; pool x86 m5a.2xlarge: it requests 16100m CPU, the node has 7750m left after the EKS AMI's reservation and what runs there; the arm64 CI job pod (build 16 + helper 100m CPU, build 2Gi + helper 128Mi memory) fits no node of arch arm64: pool arm64 m8g.2xlarge: it requests 16100m CPU, the node has 7760m left after the EKS AMI's reservation and what runs there; pool arm64 m7g.2xlarge: it requests 16100m CPU, the node has 7760m left after the EKS AMI's reservation and what runs there; pool arm64 m6g.2xlarge: it requests 16100m CPU, the node has 7760m left after the EKS AMI's reservation and what runs there; lower it, or give the pools a larger instance type"),
    ('gke-computeclass-dev', 'NAP cores below the system node and one build node', {'multiarch:autoscaling.limits.cores.max': 8},
     "multiarch:autoscaling.limits.cores.max: 8 leaves no room for one build node of each arch: the 1 node at idle has 2 vCPU, and one n4-standard-8 (amd64, 8 vCPU, 32 GiB) and one c4a-standard-8 (arm64, 8 vCPU, 32 GiB) make 18; raise it to at least 18 (GKE's node auto-provisioning limits, which count every node, the system pool's too)"),
    ('gke-computeclass-dev', 'NAP memory below the system node and one build node', {'multiarch:autoscaling.limits.memoryGib.max': 40},
     "multiarch:autoscaling.limits.memoryGib.max: 40 leaves no room for one build node of each arch: the 1 node at idle has 8 GiB, and one n4-standard-8 (amd64, 8 vCPU, 32 GiB) and one c4a-standard-8 (arm64, 8 vCPU, 32 GiB) make 72; raise it to at least 72 (GKE's node auto-provisioning limits, which count every node, the system pool's too)"),
    ('gke-dev', 'an e2-medium system pool', {'multiarch:autoscaling.systemPool.instanceType': 'e2-medium'},
     "multiarch:autoscaling.systemPool.instanceType: e2-medium at minSize 1 cannot hold what runs on the system pool: a node leaves 940m CPU and 2818Mi to pods after GKE's reservation for shared-core E2; its DaemonSets and kube-system/event-exporter-gke, kube-system/kube-dns x2, kube-system/metrics-server, tekton-pipelines/tekton-events-controller, tekton-pipelines/tekton-pipelines-controller leave 5m CPU and 2113Mi on its 1 node, and kube-system/konnectivity-agent x3, kube-system/konnectivity-agent-autoscaler, kube-system/kube-dns-autoscaler, kube-system/l7-default-backend, tekton-pipelines-resolvers/tekton-pipelines-remote-resolvers, tekton-pipelines/tekton-pipelines-webhook need 270m CPU and 330Mi more: they would spill onto a build pool and keep its node running; choose a larger instanceType or raise minSize"),
    ('dev', 'maxNodesTotal of one node', {'multiarch:autoscaling': {'limits': {'maxNodesTotal': 1}}},
     "multiarch:autoscaling.limits.maxNodesTotal: 1 leaves no room for one build node of each arch: the 1 node at idle, and one m5a.2xlarge (amd64, 8 vCPU, 32 GiB) and one m6g.2xlarge (arm64, 8 vCPU, 32 GiB) make 3; raise it to at least 3 (the Cluster Autoscaler's --max-nodes-total, --cores-total and --memory-total)"),
    ('dev', 'cores.max below one build node of each arch', {'multiarch:autoscaling': {'limits': {'cores': {'max': 12}}}},
     "multiarch:autoscaling.limits.cores.max: 12 leaves no room for one build node of each arch: the 1 node at idle has 8 vCPU, and one m5a.2xlarge (amd64, 8 vCPU, 32 GiB) and one m6g.2xlarge (arm64, 8 vCPU, 32 GiB) make 24; raise it to at least 24 (the Cluster Autoscaler's --max-nodes-total, --cores-total and --memory-total)"),
    ('prod', 'memoryGib.max below one build node of each arch', {'multiarch:autoscaling': {'limits': {'memoryGib': {'max': 100}}}},
     "multiarch:autoscaling.limits.memoryGib.max: 100 leaves no room for one build node of each arch: the 3 nodes at idle have 96 GiB, and one m6i.2xlarge (amd64, 8 vCPU, 32 GiB) and one m7g.2xlarge (arm64, 8 vCPU, 32 GiB) make 160; raise it to at least 160 (the Cluster Autoscaler's --max-nodes-total, --cores-total and --memory-total)"),
    ('openshift-dev', 'maxNodesTotal that forgets the control plane', {'multiarch:autoscaling': {'limits': {'maxNodesTotal': 3}}},
     "multiarch:autoscaling.limits.maxNodesTotal: 3 leaves no room for one build node of each arch: the 4 nodes at idle, and one m5a.2xlarge (amd64, 8 vCPU, 32 GiB) and one m6g.2xlarge (arm64, 8 vCPU, 32 GiB) make 6; raise it to at least 6 (OpenShift's ClusterAutoscaler resourceLimits, which count the 3 control plane nodes)"),
    ('dev', 'a build just too big', {'multiarch:gitlabRunner.buildResources': {'cpuRequest': '7661m', 'cpuLimit': '8'}},
     "multiarch:gitlabRunner.buildResources.cpuRequest: 7661m leaves a build no node: the amd64 CI job pod (build 7661m + helper 100m CPU, build 2Gi + helper 128Mi memory) fits no node of arch amd64: pool x86 m5a.2xlarge: it requests 7761m CPU, the node has 7750m left after the EKS AMI's reservation and what runs there; the arm64 CI job pod (build 7661m + helper 100m CPU, build 2Gi + helper 128Mi memory) fits no node of arch arm64: pool arm64 m6g.2xlarge: it requests 7761m CPU, the node has 7760m left after the EKS AMI's reservation and what runs there; lower it, or give the pools a larger instance type"),
]  # fmt: skip

PLACEMENT_GOOD: list[tuple[str, str, dict[str, Any]]] = [
    ('dev', 'PreferNoSchedule on the idle pool', {'multiarch:nodePools[0].taints': [{'key': 'dedicated', 'value': 'build', 'effect': 'PreferNoSchedule'}]}),
    ('dev', 'a build that just fits', {'multiarch:gitlabRunner.buildResources': {'cpuRequest': '7650m', 'cpuLimit': '8'}}),
    ('gke-dev', 'the system pool off, the controllers on the x86 pool', {'multiarch:autoscaling.systemPool': {'enabled': False}, 'multiarch:nodePools[0].minSize': 1}),
    ('gke-dev', 'the system pool off, every build pool at zero', {'multiarch:autoscaling.systemPool': {'enabled': False}}),
]  # fmt: skip


@pytest.mark.parametrize(("stack", "label", "edits", "expected"), PLACEMENT_BAD, ids=[b[1] for b in PLACEMENT_BAD])
def test_a_pod_with_no_node_is_refused_with_one_exact_line(
    stack: str, label: str, edits: dict[str, Any], expected: str
) -> None:
    assert_refused(stack, edits, [expected])


@pytest.mark.parametrize(("stack", "label", "edits"), PLACEMENT_GOOD, ids=[g[1] for g in PLACEMENT_GOOD])
def test_an_unusual_placement_still_plans(stack: str, label: str, edits: dict[str, Any]) -> None:
    planned = plan.make(_variant(stack, edits), policies=False)
    assert planned.placement is not None and planned.placement.problems == ()


def test_controllers_that_spill_keep_a_build_node_and_the_idle_cost_says_so() -> None:
    """GKE without a system pool and every build pool at zero: GKE's autoscaler starts an x86 node for
    the controllers, which then keep it; the idle cost counts it."""
    planned = plan.make(_variant("gke-dev", {"multiarch:autoscaling.systemPool": {"enabled": False}}), policies=False)
    assert planned.placement is not None
    x86 = next(r for r in planned.placement.rows if r.pool == "x86")
    assert x86.nodes == 1 and x86.kept_for
    idle = planned.cost["totalMonthlyUsd"]["atMin"]
    node = next(p for p in planned.cost["pools"] if p["pool"] == "x86")
    volume = (prices.filestore_gib_month("europe-west4", "standard")[0] or 0) * 100  # the shared workspace
    assert node["minSize"] == 1
    assert idle == pytest.approx(planned.cost["controlPlaneMonthlyUsd"] + node["monthlyUsdAtMin"] + volume, abs=0.01)
    assert "x86: a node kept running for kube-system/kube-dns: nothing else holds them" in planned.report
