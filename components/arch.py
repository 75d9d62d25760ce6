"""Architecture knowledge, in one place and free of Pulumi.

Everything the stack knows about CPU architectures lives here: which instance families are
arm64 or amd64 on AWS and GCP, how each platform spells an architecture (Kubernetes `amd64`,
EKS `AL2023_x86_64_STANDARD`, EC2/OpenShift `x86_64`/`aarch64`), which EKS AMI types exist,
where GCP's Tau T2A machines are offered, and the node labels/taints/tolerations the stack
uses. Components and settings ask this module; nothing else hard-codes an architecture.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Literal

Arch = Literal["amd64", "arm64"]
ARCHES: tuple[Arch, ...] = ("amd64", "arm64")


class Cloud(str, Enum):
    AWS = "aws"
    GCP = "gcp"


class UnknownInstanceFamilyError(ValueError):
    """An instance or machine type whose family is not in the catalog."""


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


# EKS managed node group AMI types (EKS API `amiType`), keyed by name.
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
    "AL2_x86_64": AmiTypeFacts("amd64", end_of_life=True),
    "AL2_x86_64_GPU": AmiTypeFacts("amd64", end_of_life=True),
    "AL2_ARM_64": AmiTypeFacts("arm64", end_of_life=True),
}

# AWS instance families by architecture. Graviton families carry a `g` in their attribute
# suffix (m6g, m7gd, c6gn, x2gd, im4gn, is4gen) and A1 is first-generation Graviton; everything
# else listed is Intel or AMD. Explicit sets rather than a regex: a new family is a catalog
# change reviewed once, not a silent guess.
AWS_FAMILIES: dict[Arch, frozenset[str]] = {
    "arm64": frozenset(
        """
        a1 t4g
        m6g m6gd m7g m7gd m8g m8gd
        c6g c6gd c6gn c7g c7gd c7gn c8g c8gd c8gn
        r6g r6gd r7g r7gd r8g r8gd
        x2gd x8g im4gn is4gen i4g i8g
        g5g hpc7g
        """.split()
    ),
    "amd64": frozenset(
        """
        t2 t3 t3a
        m4 m5 m5a m5ad m5d m5dn m5n m5zn m6a m6i m6id m6idn m6in m7a m7i m7i-flex m8a m8i m8i-flex
        c4 c5 c5a c5ad c5d c5n c6a c6i c6id c6in c7a c7i c7i-flex c8a c8i c8i-flex
        r4 r5 r5a r5ad r5b r5d r5dn r5n r6a r6i r6id r6idn r6in r7a r7i r7iz r8a r8i r8i-flex
        x1 x1e x2idn x2iedn x2iezn z1d u7i u7in
        i3 i3en i4i i7i i7ie d2 d3 d3en h1
        g4dn g4ad g5 g6 g6e gr6 p3 p3dn p4d p4de p5 p5e p5en inf1 inf2 trn1 trn1n trn2 dl1
        hpc6a hpc6id hpc7a
        """.split()
    ),
}

# GCP machine families (the part of the machine type before the first dash).
GCP_FAMILIES: dict[Arch, frozenset[str]] = {
    "arm64": frozenset({"t2a", "c4a", "n4a", "a4x"}),
    "amd64": frozenset(
        """
        e2 f1 g1 n1 n2 n2d n4 n4d c2 c2d c3 c3d c4 c4d t2d m1 m2 m3 m4 h3 h4d z3 a2 a3 a4 g2 g4
        """.split()
    ),
}

_CATALOG_HINT = (
    "check the spelling, or if it is a new family add it to {table} in components/arch.py "
    "(its architecture is in the provider's instance-type documentation)"
)


def _aws_family(instance_type: str) -> str:
    # "m6g.2xlarge" -> "m6g"; "m7i-flex.large" -> "m7i-flex"; "u7i-12tb.224xlarge" -> "u7i"
    family = instance_type.split(".", 1)[0]
    return re.sub(r"-\d+tb$", "", family)


def _gcp_family(machine_type: str) -> str:
    # "t2a-standard-8" -> "t2a"; "e2-medium" -> "e2"
    return machine_type.split("-", 1)[0]


def family_of(cloud: Cloud, instance_type: str) -> str:
    return _aws_family(instance_type) if cloud is Cloud.AWS else _gcp_family(instance_type)


def arch_of(cloud: Cloud, instance_type: str) -> Arch:
    """The architecture of an AWS instance type or GCP machine type.

    Raises UnknownInstanceFamilyError, whose message says how to proceed, for a family the catalog
    does not know.
    """
    table, table_name = (AWS_FAMILIES, "AWS_FAMILIES") if cloud is Cloud.AWS else (GCP_FAMILIES, "GCP_FAMILIES")
    if cloud is Cloud.AWS and "." not in instance_type:
        raise UnknownInstanceFamilyError(
            f"{instance_type!r} is not an EC2 instance type (expected family.size, e.g. m6g.2xlarge)"
        )
    family = family_of(cloud, instance_type)
    for arch, families in table.items():
        if family in families:
            return arch
    raise UnknownInstanceFamilyError(
        f"instance family {family!r} of {instance_type!r} is not in the {cloud.value} catalog: "
        + _CATALOG_HINT.format(table=table_name)
    )


# Where GCP offers Tau T2A (arm64) machines. C4A and later Axion families are offered more
# widely and change often, so only T2A is checked here.
T2A_ZONES: dict[str, frozenset[str]] = {
    "us-central1": frozenset({"us-central1-a", "us-central1-b", "us-central1-f"}),
    "europe-west4": frozenset({"europe-west4-a", "europe-west4-b", "europe-west4-c"}),
    "asia-southeast1": frozenset({"asia-southeast1-b", "asia-southeast1-c"}),
}


def t2a_offered_in(location: str) -> bool:
    """True when `location` (a region or a zone) offers T2A machines."""
    if location in T2A_ZONES:
        return True
    return any(location in zones for zones in T2A_ZONES.values())


def t2a_locations() -> str:
    return ", ".join(
        f"{region} ({', '.join(sorted(z.rsplit('-', 1)[1] for z in zones))})" for region, zones in T2A_ZONES.items()
    )


# Labels and taints, in Kubernetes' vocabulary.
ARCH_LABEL = "kubernetes.io/arch"  # not beta.kubernetes.io/arch, deprecated since 1.14
POOL_LABEL = "multiarch.dev/pool"
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


# vCPU and memory of AWS general purpose (m), compute (c) and memory (r) instance types, from the
# size name: what OpenShift's autoscaler needs to scale a MachineSet up from zero.
_SIZE_VCPU = {"medium": 1, "large": 2, "xlarge": 4}
_GIB_PER_VCPU = {"m": 4, "c": 2, "r": 8}


def aws_capacity(instance_type: str) -> tuple[int, int] | None:
    """(vCPU, memory MiB) of an m/c/r instance type such as m6g.2xlarge -> (8, 32768); else None."""
    family, _, size = instance_type.partition(".")
    kind = family[:1]
    if kind not in _GIB_PER_VCPU or not re.fullmatch(r"[mcr][0-9][a-z-]*", family) or size == "metal":
        return None
    if size in _SIZE_VCPU:
        vcpu = _SIZE_VCPU[size]
    else:
        m = re.fullmatch(r"([0-9]+)xlarge", size)
        if not m:
            return None
        vcpu = 4 * int(m.group(1))
    return vcpu, vcpu * _GIB_PER_VCPU[kind] * 1024
