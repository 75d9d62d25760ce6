"""The physical names the stack derives from configuration, in one place.

Components name their cloud and Kubernetes objects with these functions, and the settings check
the same derived names against the clouds' limits (`components/limits.py`) before anything is
declared: a 70-character cluster name is refused because of the IAM role name it makes, not
because of its own length.
"""

from __future__ import annotations


# EKS
def eks_cluster_role(cluster: str) -> str:
    return f"{cluster}-cluster"


def eks_node_role(cluster: str) -> str:
    return f"{cluster}-node"


def eks_node_group(cluster: str, pool: str) -> str:
    return f"{cluster}-{pool}"


def autoscaler_role(cluster: str) -> str:
    return f"{cluster}-cluster-autoscaler"


# Karpenter (engine karpenter): its controller's and nodes' roles, policies, queue and rules.
SYSTEM_POOL = "system"  # the managed node group Karpenter and the controllers run on
KARPENTER_DISCOVERY_TAG = "karpenter.sh/discovery"  # value: the cluster's name, on its subnets and security group
# The controller's policies, as the upstream CloudFormation splits them (zonal shift is not enabled).
KARPENTER_POLICIES = ("node-lifecycle", "iam-integration", "eks-integration", "interruption", "resource-discovery")
# The interruption queue's EventBridge rules: Spot interruption warning, rebalance recommendation,
# instance state change, scheduled change (AWS Health).
KARPENTER_EVENTS = ("spot", "rebalance", "state-change", "health")


def karpenter_controller_role(cluster: str) -> str:
    return f"{cluster}-karpenter"


def karpenter_node_role(cluster: str) -> str:
    return f"{cluster}-karpenter-node"


def karpenter_policy(cluster: str, part: str) -> str:
    return f"{cluster}-karpenter-{part}"


def karpenter_queue(cluster: str) -> str:
    return f"{cluster}-karpenter"


def karpenter_rule(cluster: str, event: str) -> str:
    return f"{cluster}-karpenter-{event}"


def efs_csi_role(cluster: str) -> str:
    return f"{cluster}-efs-csi"


def efs_security_group(cluster: str) -> str:
    return f"{cluster}-efs"


def efs_creation_token(cluster: str) -> str:
    return f"{cluster}-build-workspaces"


# OpenShift: one MachineSet (and its MachineAutoscaler) per pool and zone, named as the installer does.
def machine_set(infrastructure_name: str, pool: str, zone: str) -> str:
    return f"{infrastructure_name}-{pool}-{zone}"


# Pool names whose MachineSets or Machines would be the installer's, the machine API's or the docs'
# convention's own: `<infra>-worker-<zone>` and `<infra>-edge-<zone>` are openshift-install's compute
# MachineSets (openshift/installer pkg/asset/machines/aws/machinesets.go; install-config takes only
# worker and edge as compute pools, pkg/types/machinepools.go), `<infra>-master-N` and
# `<infra>-arbiter-N` its control-plane Machines (pkg/asset/machines/aws/machines.go), `<infra>-bootstrap`
# its bootstrap host, and `<infra>-infra-<zone>` the infrastructure MachineSets of Red Hat's docs.
OPENSHIFT_RESERVED_POOLS = {
    "worker": "openshift-install's compute MachineSets",
    "edge": "openshift-install's edge-zone MachineSets",
    "master": "the control plane's Machines",
    "arbiter": "the arbiter node's Machines",
    "bootstrap": "the installer's bootstrap host",
    "infra": "the infrastructure MachineSets of OpenShift's docs",
}


# GKE (engine compute-class): the ComputeClass of a build pool, which its builds select.
def compute_class(pool: str) -> str:
    return f"multiarch-{pool}"


# The PipelineRun template the stack keeps beside the Pipeline (a ConfigMap in the pipelines'
# namespace), where runs are started from; the policy pack reads its tolerations.
PIPELINE_RUN_TEMPLATE = "multiarch-pipelinerun"
PIPELINE_RUN_TEMPLATE_KEY = "pipelinerun.yaml"

# Namespaces the stack creates under fixed names (the configurable ones are in the settings).
QEMU_NAMESPACE = "qemu-binfmt"
TEKTON_NAMESPACE = "tekton-pipelines"  # the upstream release manifest's own
