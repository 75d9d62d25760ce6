"""What a node keeps for itself, and what each platform runs on it: the facts the placement model
(`components/placement/`) turns into "where can this pod run". Hand-kept, dated, each figure with
its source; read 2026-12-01.

- Allocatable: capacity minus kube-reserved, system-reserved and the hard eviction threshold, the
  way each platform's node image computes them (EKS AL2023 nodeadm, GKE, OpenShift's machine
  config), and the pods a node may run.
- The platform's own pods: the DaemonSets on every node (CNI, kube-proxy, the CSI node agents,
  the logging and metadata agents) and the Deployments the platform runs (CoreDNS, kube-dns and
  GKE's other kube-system components), with the requests, replicas and tolerations upstream gives
  them. Where upstream publishes no figure, the one used is marked an estimate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

AS_OF = "2026-12-01"
NODEADM = "awslabs/amazon-eks-ami nodeadm internal/kubelet/config.go (kube-reserved, evictionHard)"
KARPENTER_MEMORY = (
    "aws/karpenter-provider-aws pkg/providers/instancetype/types.go memory(), vmMemoryOverheadPercent 0.075"
)
MNG_MAX_PODS = "EKS User Guide, choosing-instance-type: managed node groups cap maxPods at 110 (< 30 vCPU) / 250"
GKE_RESERVED = (
    "GKE node sizing (plan-node-sizes); GoogleCloudPlatform/cluster-autoscaler pkg/cloudprovider/gke/reserved.go"
)
OPENSHIFT_RESERVED = (
    "openshift/machine-config-operator kubelet.yaml (systemReserved 500m/1Gi, maxPods 250), auto node sizing"
)

# --- allocatable --------------------------------------------------------------------------------

EVICTION_HARD_MIB = 100  # memory.available, on all three (nodeadm, GKE's kubelet, kubelet's default on OpenShift)
# The kubelet's capacity is the kernel's MemTotal, below the EC2 figure: Karpenter's model of it
# (its chart's vmMemoryOverheadPercent), and Graviton's extra 64 MiB of CMA memory.
EC2_VM_OVERHEAD = 0.075
GRAVITON_CMA_MIB = 64


def _tiered_cpu_reserved(vcpu: int) -> int:
    """Millicores reserved: 6% of the first core, 1% of the second, 0.5% of the next two, 0.25%
    above four (nodeadm and GKE alike), each range truncated to whole millicores."""
    ranges = ((0, 1000, 600), (1000, 2000, 100), (2000, 4000, 50), (4000, 10**9, 25))
    total = vcpu * 1000
    return sum(max(0, min(total, end) - start) * pct // 10000 for start, end, pct in ranges)


def ec2_memory_capacity(memory_mib: int, arm64: bool) -> int:
    """What the kubelet reports as an EC2 node's memory capacity (MiB)."""
    nominal = memory_mib - (GRAVITON_CMA_MIB if arm64 else 0)
    return nominal - math.ceil(nominal * EC2_VM_OVERHEAD)


def eks_eni_max_pods(enis: int, ipv4_per_eni: int) -> int:
    """The VPC CNI's pod limit, the EKS AMI's: ENIs of the default card x (IPv4 per ENI - 1) + 2."""
    return enis * (ipv4_per_eni - 1) + 2


def eks_max_pods(eni_pods: int, vcpu: int, managed_node_group: bool) -> int:
    """Pods a node may run: a managed node group caps them at 110 below 30 vCPU, 250 above; a
    Karpenter node keeps the ENI limit."""
    if managed_node_group:
        return min(eni_pods, 110 if vcpu < 30 else 250)
    return eni_pods


def eks_allocatable(vcpu: int, memory_mib: int, eni_pods: int, arm64: bool) -> tuple[int, int]:
    """(CPU millicores, memory MiB) an EKS AL2023 node leaves to pods: nodeadm reserves
    11 x maxPods + 255 MiB (its own, uncapped maxPods) and the tiered CPU, and evicts below 100 MiB."""
    memory = ec2_memory_capacity(memory_mib, arm64) - (11 * eni_pods + 255) - EVICTION_HARD_MIB
    return vcpu * 1000 - _tiered_cpu_reserved(vcpu), memory


GKE_MAX_PODS = 110  # GKE Standard's default per node
GKE_SHARED_CORE_RESERVED_M = 1060  # e2-micro, e2-small, e2-medium: "GKE still reserves a total of 1060 millicores"


def _gke_memory_reserved(memory_mib: int) -> int:
    """GKE's kube-reserved memory: 255 MiB up to 1 GB, else 25% of the first 4 GB, 20% of the next
    4, 10% of the next 8, 6% of the next 112, 2% above; GKE's GB is 1000 MiB (reserved.go)."""
    if memory_mib <= 1000:
        return 255
    tiers = ((0, 4000, 0.25), (4000, 8000, 0.20), (8000, 16000, 0.10), (16000, 128000, 0.06), (128000, 10**9, 0.02))
    return int(sum(max(0, min(memory_mib, end) - start) * pct for start, end, pct in tiers))


def _gke_kernel_mib(memory_mib: int) -> int:
    """The kernel's share of a COS node's memory, as GKE's autoscaler estimates it (capacity is
    below the machine type's memory by this much)."""
    out = memory_mib / 64 + 16 + (64 if memory_mib > 3 * 1024 else 0) + (8 if memory_mib <= 8 * 1024 else 0)
    return int(out + min(memory_mib * 0.00175, 248))


def gke_allocatable(vcpu: int, memory_mib: int, shared_core: bool) -> tuple[int, int]:
    """(CPU millicores, memory MiB) a GKE Standard node leaves to pods."""
    # A shared-core E2 counts as 2 vCPU (its burst), of which 1060m are reserved: 940m for pods.
    cpu = 2000 - GKE_SHARED_CORE_RESERVED_M if shared_core else vcpu * 1000 - _tiered_cpu_reserved(vcpu)
    memory = memory_mib - _gke_kernel_mib(memory_mib) - _gke_memory_reserved(memory_mib) - EVICTION_HARD_MIB
    return cpu, memory


OPENSHIFT_MAX_PODS = 250


def openshift_allocatable(vcpu: int, memory_mib: int, arm64: bool) -> tuple[int, int]:
    """(CPU millicores, memory MiB) an OpenShift worker on EC2 leaves to pods. The larger of the
    static system-reserved (500m, 1Gi: clusters installed before 4.21) and auto node sizing
    (clusters installed at 4.21 or later: max(0.5, 0.06 + 0.012 (cpus - 1)) cores; memory tiered as
    GKE's and rounded to whole GiB)."""
    capacity = ec2_memory_capacity(memory_mib, arm64)
    auto_cpu = max(500, int(60 + 12 * (vcpu - 1)))
    gib = capacity // 1024
    tiers = ((0, 4, 0.25), (4, 8, 0.20), (8, 16, 0.10), (16, 128, 0.06), (128, 10**6, 0.02))
    auto_memory = round(sum(max(0, min(gib, end) - start) * pct for start, end, pct in tiers)) * 1024
    return vcpu * 1000 - max(500, auto_cpu), capacity - max(1024, auto_memory) - EVICTION_HARD_MIB


# --- the platform's own pods ---------------------------------------------------------------------

Condition = Literal["always", "efs", "filestore"]
EVERYTHING = ({"operator": "Exists"},)  # how node agents tolerate every taint


@dataclass(frozen=True)
class PlatformPod:
    """A pod the platform runs by itself: a DaemonSet's, on every node it tolerates, or a
    Deployment's replicas."""

    name: str
    namespace: str
    cpu_m: int
    memory_mib: int
    source: str
    daemonset: bool = False
    replicas: int = 1
    tolerations: tuple[dict[str, str], ...] = ()
    when: Condition = "always"
    estimated: bool = False  # upstream publishes no figure: the best-sourced estimate


_VPC_CNI = "aws/amazon-vpc-cni-k8s config/master/aws-k8s-cni.yaml (v1.14+: aws-node 25m + nodeagent 25m)"
_EKS_DUMP = "EKS add-on manifests (kube-proxy v1.28+ DaemonSet, eks-pod-identity-agent chart values)"
_EFS_CHART = "kubernetes-sigs/aws-efs-csi-driver charts/aws-efs-csi-driver/values.yaml (no requests)"
_COREDNS = "eksctl-io/eksctl pkg/addons/default/assets/coredns-1.35.json (the EKS add-on's CoreDNS)"
_GKE_DS = "a GKE Standard cluster's kube-system DaemonSets (kubectl dump, 2025); memory split estimated"
_GKE_DEPLOY = "a GKE Standard cluster's kube-system Deployments (kubectl dump, 2023); upstream kube-dns.yaml.in"

EKS_PODS: tuple[PlatformPod, ...] = (
    PlatformPod("aws-node", "kube-system", 50, 0, _VPC_CNI, daemonset=True, tolerations=EVERYTHING),
    PlatformPod("kube-proxy", "kube-system", 100, 0, _EKS_DUMP, daemonset=True, tolerations=EVERYTHING),
    PlatformPod("eks-pod-identity-agent", "kube-system", 0, 0, _EKS_DUMP, daemonset=True, tolerations=EVERYTHING),
    PlatformPod("efs-csi-node", "kube-system", 0, 0, _EFS_CHART, daemonset=True, tolerations=EVERYTHING, when="efs"),
    PlatformPod(
        "coredns", "kube-system", 100, 70, _COREDNS, replicas=2,
        tolerations=({"key": "CriticalAddonsOnly", "operator": "Exists"},
                     {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}),
    ),
)  # fmt: skip

# GKE's own pods tolerate GKE's managed-components taint (all of them), CriticalAddonsOnly (most
# of them, not event-exporter-gke and l7-default-backend), and only kube-dns GKE's arm64 taint.
GKE_MANAGED_TAINT = {"key": "components.gke.io/gke-managed-components", "value": "true", "effect": "NoSchedule"}
_MANAGED = {"key": "components.gke.io/gke-managed-components", "operator": "Exists"}
_CRITICAL = {"key": "CriticalAddonsOnly", "operator": "Exists"}
_GKE_ARM64 = {"key": "kubernetes.io/arch", "operator": "Equal", "value": "arm64", "effect": "NoSchedule"}
GKE_PODS: tuple[PlatformPod, ...] = (
    PlatformPod("fluentbit-gke", "kube-system", 105, 150, _GKE_DS, daemonset=True, tolerations=EVERYTHING),
    PlatformPod("gke-metrics-agent", "kube-system", 19, 60, _GKE_DS, daemonset=True, tolerations=EVERYTHING),
    PlatformPod("gke-metadata-server", "kube-system", 100, 100, _GKE_DS, daemonset=True, tolerations=EVERYTHING),
    PlatformPod("pdcsi-node", "kube-system", 10, 20, _GKE_DS, daemonset=True, tolerations=EVERYTHING),
    PlatformPod("netd", "kube-system", 8, 30, _GKE_DS, daemonset=True, tolerations=EVERYTHING),
    PlatformPod("kube-proxy", "kube-system", 100, 0, _GKE_DS, daemonset=True, tolerations=EVERYTHING),
    PlatformPod(
        "filestore-node", "kube-system", 25, 20, _GKE_DS, daemonset=True, tolerations=EVERYTHING, when="filestore"
    ),
    PlatformPod(
        "kube-dns", "kube-system", 260, 110, _GKE_DEPLOY, replicas=2, tolerations=(_CRITICAL, _MANAGED, _GKE_ARM64)
    ),
    PlatformPod("kube-dns-autoscaler", "kube-system", 20, 10, _GKE_DEPLOY, tolerations=(_CRITICAL, _MANAGED)),
    PlatformPod(
        "konnectivity-agent", "kube-system", 10, 30, _GKE_DEPLOY, replicas=3, tolerations=(_CRITICAL, _MANAGED)
    ),
    PlatformPod("konnectivity-agent-autoscaler", "kube-system", 10, 10, _GKE_DEPLOY, tolerations=(_CRITICAL, _MANAGED)),
    PlatformPod("metrics-server", "kube-system", 48, 105, _GKE_DEPLOY, tolerations=(_CRITICAL, _MANAGED)),
    PlatformPod("event-exporter-gke", "kube-system", 0, 0, _GKE_DEPLOY, tolerations=(_MANAGED,)),
    PlatformPod("l7-default-backend", "kube-system", 10, 20, _GKE_DEPLOY, tolerations=(_MANAGED,)),
)  # fmt: skip

# OpenShift's node agents (ovnkube-node, multus, machine-config-daemon, node-exporter, dns-default,
# tuned, the CSI node drivers...) tolerate every taint; only ovnkube-node's requests were read (80m,
# about 1.9 Gi), the others are small by OpenShift's convention: their sum is an estimate.
OPENSHIFT_PODS: tuple[PlatformPod, ...] = (
    PlatformPod(
        "node agents (ovnkube-node, multus, machine-config-daemon, ...)", "openshift-*", 200, 2560,
        "openshift/cluster-network-operator ovnkube-node.yaml; the rest estimated", daemonset=True,
        tolerations=EVERYTHING, estimated=True,
    ),
)  # fmt: skip

PLATFORM_PODS: dict[str, tuple[PlatformPod, ...]] = {"eks": EKS_PODS, "gke": GKE_PODS, "openshift": OPENSHIFT_PODS}


@dataclass(frozen=True)
class UpstreamPod:
    """A pod of a release the stack installs, with the requests its manifests give it."""

    name: str
    namespace: str
    cpu_m: int
    memory_mib: int
    source: str
    replicas: int = 1
    extra: dict[str, str] = field(default_factory=dict)


_TEKTON = "tektoncd/pipeline config/ (controller and events: no requests; webhook and resolvers: 100m/100Mi)"
TEKTON_PODS: tuple[UpstreamPod, ...] = (
    UpstreamPod("tekton-pipelines-controller", "tekton-pipelines", 0, 0, _TEKTON),
    UpstreamPod("tekton-pipelines-webhook", "tekton-pipelines", 100, 100, _TEKTON),
    UpstreamPod("tekton-events-controller", "tekton-pipelines", 0, 0, _TEKTON),
    UpstreamPod("tekton-pipelines-remote-resolvers", "tekton-pipelines-resolvers", 100, 100, _TEKTON),
)
