"""Architecture knowledge, in one place and free of Pulumi.

Everything the stack knows about CPU architectures lives here: the architecture, vCPU and memory
of an instance or machine type (asked of the data in `components/catalog/`), how each platform
spells an architecture (Kubernetes `amd64`, EKS `AL2023_x86_64_STANDARD`, EC2/OpenShift
`x86_64`/`aarch64`), which EKS AMI types exist, and the node labels/taints/tolerations the stack
uses. Components and settings ask this module; nothing else hard-codes an architecture.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal

from .catalog import aws, gcp

Arch = Literal["amd64", "arm64"]
ARCHES: tuple[Arch, ...] = ("amd64", "arm64")


class Cloud(str, Enum):
    AWS = "aws"
    GCP = "gcp"


class UnknownInstanceTypeError(ValueError):
    """An instance or machine type the catalog does not know; the message says why, then the source.
    `unlistable`: it may be newer than the catalog (not, say, a Mac instance, which is no node)."""

    def __init__(self, message: str, unlistable: bool = True) -> None:
        super().__init__(message)
        self.unlistable = unlistable


@dataclass(frozen=True)
class ArchFacts:
    """How each platform spells one architecture."""

    kubernetes: Arch  # node label kubernetes.io/arch, image platform
    ec2: str  # EC2 DescribeInstanceTypes ProcessorInfo.SupportedArchitectures
    openshift: str  # coreos-bootimages stream key, uname -m
    eks_ami_type: str  # default EKS managed node group AMI type (AL2023: AL2 is end of life)
    oci_platform: str  # docker/buildah --platform, manifest-tool --platforms


ARCH_FACTS: dict[Arch, ArchFacts] = {
    "amd64": ArchFacts("amd64", "x86_64", "x86_64", "AL2023_x86_64_STANDARD", "linux/amd64"),
    "arm64": ArchFacts("arm64", "arm64", "aarch64", "AL2023_ARM_64_STANDARD", "linux/arm64"),
}


@dataclass(frozen=True)
class AmiTypeFacts:
    arch: Arch
    end_of_life: bool = False  # AL2: no AMIs for Kubernetes 1.33+
    binfmt_misc: bool = True  # Bottlerocket ships without binfmt_misc (no qemu emulation)


# EKS managed node group AMI types for Linux build nodes, keyed by name: a subset of the EKS API's
# AMITypes enum (`components/catalog/aws_api.json`; a test keeps it a subset). Windows and CUSTOM
# are refused.
EKS_AMI_TYPES: dict[str, AmiTypeFacts] = {
    "AL2023_x86_64_STANDARD": AmiTypeFacts("amd64"),
    "AL2023_ARM_64_STANDARD": AmiTypeFacts("arm64"),
    "AL2023_x86_64_NVIDIA": AmiTypeFacts("amd64"),
    "AL2023_ARM_64_NVIDIA": AmiTypeFacts("arm64"),
    "AL2023_x86_64_NEURON": AmiTypeFacts("amd64"),
    "BOTTLEROCKET_x86_64": AmiTypeFacts("amd64", binfmt_misc=False),
    "BOTTLEROCKET_ARM_64": AmiTypeFacts("arm64", binfmt_misc=False),
    "BOTTLEROCKET_x86_64_NVIDIA": AmiTypeFacts("amd64", binfmt_misc=False),
    "BOTTLEROCKET_ARM_64_NVIDIA": AmiTypeFacts("arm64", binfmt_misc=False),
    "BOTTLEROCKET_x86_64_FIPS": AmiTypeFacts("amd64", binfmt_misc=False),
    "BOTTLEROCKET_ARM_64_FIPS": AmiTypeFacts("arm64", binfmt_misc=False),
    "BOTTLEROCKET_x86_64_NVIDIA_FIPS": AmiTypeFacts("amd64", binfmt_misc=False),
    "BOTTLEROCKET_ARM_64_NVIDIA_FIPS": AmiTypeFacts("arm64", binfmt_misc=False),
    "AL2_x86_64": AmiTypeFacts("amd64", end_of_life=True),
    "AL2_x86_64_GPU": AmiTypeFacts("amd64", end_of_life=True),
    "AL2_ARM_64": AmiTypeFacts("arm64", end_of_life=True),
}


@dataclass(frozen=True)
class Machine:
    """What the stack needs of an instance or machine type, from the catalog (`components/catalog/`)."""

    name: str
    arch: Arch
    vcpu: int
    memory_mib: int
    gpus: int = 0


def machine(cloud: Cloud, instance_type: str) -> Machine:
    """The catalog's facts of an AWS instance type or GCP machine type.

    Raises UnknownInstanceTypeError, whose message says why and what would be, for a type the
    catalog does not know (a typo, a size the family does not come in, a series GKE pools cannot use).
    """
    if cloud is Cloud.AWS:
        t = aws.lookup(instance_type)
        if t is None:
            raise UnknownInstanceTypeError(aws.unknown_type_problem(instance_type))
        if t.arch is None:
            raise UnknownInstanceTypeError(
                f"is a Mac instance ({' '.join(t.architectures)}): it runs macOS, no Kubernetes node image "
                f"({aws.source_note()})",
                unlistable=False,
            )
        return Machine(t.name, t.arch, t.vcpu, t.memory_mib, t.gpus)
    m = gcp.lookup(instance_type)
    if m is None:
        raise UnknownInstanceTypeError(gcp.problem(instance_type))
    return Machine(m.name, m.arch, m.vcpu, m.memory_mib)


def arch_of(cloud: Cloud, instance_type: str) -> Arch:
    """The architecture of an AWS instance type or GCP machine type (see `machine`)."""
    return machine(cloud, instance_type).arch


def aws_family_arch(family: str) -> Arch | None:
    """The architecture of every type of an EC2 family (m6g -> arm64); None for an unknown family."""
    arches = {t.arch for t in aws.catalog().types.values() if t.family == family}
    return arches.pop() if len(arches) == 1 else None


# Labels and taints, in Kubernetes' vocabulary.
ARCH_LABEL = "kubernetes.io/arch"  # not beta.kubernetes.io/arch, deprecated since 1.14
POOL_LABEL = "multiarch.dev/pool"
# What a pod names its GKE ComputeClass by (nodeSelector); GKE labels and taints the class's nodes with it.
COMPUTE_CLASS_LABEL = "cloud.google.com/compute-class"
TaintEffect = Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]
TAINT_EFFECTS: tuple[TaintEffect, ...] = ("NoSchedule", "PreferNoSchedule", "NoExecute")
# EKS and GKE APIs both spell taint effects this way.
CLOUD_TAINT_EFFECTS: dict[TaintEffect, str] = {
    "NoSchedule": "NO_SCHEDULE",
    "PreferNoSchedule": "PREFER_NO_SCHEDULE",
    "NoExecute": "NO_EXECUTE",
}
# GKE puts this taint on every arm64 node by itself; workloads meant for arm64 tolerate it.
GKE_ARM64_TAINT = {"key": ARCH_LABEL, "value": "arm64", "effect": "NoSchedule"}


def taint_order(taint: Any) -> tuple[str, str, str]:
    """Taints are a set to every platform: emitted in this order, their order in the stack file
    changes nothing."""
    return (str(taint.key), str(taint.effect), str(taint.value))


def cloud_taint_effect(effect: TaintEffect) -> str:
    """Kubernetes' `NoSchedule` as the EKS and GKE APIs spell it (`NO_SCHEDULE`)."""
    return CLOUD_TAINT_EFFECTS[effect]


def default_eks_ami_type(arch: Arch) -> str:
    return ARCH_FACTS[arch].eks_ami_type


def arch_from_ec2(ec2_arch: str) -> Arch | None:
    """EC2's `x86_64`/`arm64` (DescribeInstanceTypes) in Kubernetes' vocabulary."""
    for arch, facts in ARCH_FACTS.items():
        if facts.ec2 == ec2_arch:
            return arch
    return None
