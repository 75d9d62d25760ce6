"""Architecture knowledge: the catalog's arch of a type, the vocabularies. Table-driven, no Pulumi."""

from __future__ import annotations

import pytest

from components import arch
from components.arch import Cloud


@pytest.mark.parametrize(
    ("instance_type", "expected"),
    [
        # Graviton: g / gd / gn / gen attribute suffixes, and A1
        ("m6g.2xlarge", "arm64"),
        ("m7g.large", "arm64"),
        ("m8g.4xlarge", "arm64"),
        ("c6g.xlarge", "arm64"),
        ("c7g.2xlarge", "arm64"),
        ("c6gn.16xlarge", "arm64"),
        ("r6g.large", "arm64"),
        ("r7gd.xlarge", "arm64"),
        ("t4g.medium", "arm64"),
        ("x2gd.large", "arm64"),
        ("im4gn.large", "arm64"),
        ("is4gen.xlarge", "arm64"),
        ("a1.large", "arm64"),
        ("g5g.xlarge", "arm64"),
        # Intel / AMD
        ("m5.2xlarge", "amd64"),
        ("m5a.2xlarge", "amd64"),
        ("m6i.2xlarge", "amd64"),
        ("m6a.large", "amd64"),
        ("m7i.xlarge", "amd64"),
        ("m7i-flex.large", "amd64"),
        ("c5.xlarge", "amd64"),
        ("c6i.large", "amd64"),
        ("r5.large", "amd64"),
        ("t3.medium", "amd64"),
        ("t3a.large", "amd64"),
        ("g5.xlarge", "amd64"),
        ("g4dn.xlarge", "amd64"),
        ("x2idn.16xlarge", "amd64"),
        ("u7i-12tb.224xlarge", "amd64"),
        ("m1.small", "amd64"),  # i386 and x86_64: it runs amd64 nodes
    ],
)
def test_aws_families(instance_type: str, expected: str) -> None:
    assert arch.arch_of(Cloud.AWS, instance_type) == expected


@pytest.mark.parametrize(
    ("machine_type", "expected"),
    [
        ("t2a-standard-8", "arm64"),
        ("t2a-standard-48", "arm64"),
        ("c4a-standard-4", "arm64"),
        ("c4a-highmem-8", "arm64"),
        ("n1-standard-4", "amd64"),
        ("n2-standard-8", "amd64"),
        ("n2d-standard-8", "amd64"),
        ("e2-medium", "amd64"),
        ("e2-standard-4", "amd64"),
        ("c2-standard-8", "amd64"),
        ("c3-standard-8", "amd64"),
        ("t2d-standard-4", "amd64"),
    ],
)
def test_gcp_families(machine_type: str, expected: str) -> None:
    assert arch.arch_of(Cloud.GCP, machine_type) == expected


@pytest.mark.parametrize(
    ("cloud", "instance_type", "says"),
    [
        (Cloud.AWS, "zz9.large", "is not an EC2 instance type (no family zz9;"),
        (Cloud.AWS, "m6g.3xlarge", "is not an EC2 instance type (m6g comes in medium, large, xlarge, 2xlarge, 4xlarge"),
        (Cloud.AWS, "m6g.2xlarg", "is not an EC2 instance type (m6g comes in"),
        (Cloud.AWS, "m6gg.2xlarge", "no family m6gg; did you mean m6g.2xlarge"),
        (Cloud.AWS, "t2a-standard-8", "expected family.size, e.g. m6g.2xlarge"),
        (Cloud.AWS, "mac2.metal", "is a Mac instance (arm64_mac): it runs macOS"),
        (Cloud.GCP, "q9-standard-4", "is not a machine type of a series GKE pools may use"),
        (Cloud.GCP, "t2a-standard-64", "is not a size of t2a-standard: it comes in 1, 2, 4, 8, 16, 32, 48 vCPUs"),
        (Cloud.GCP, "t2a-highmem-8", "is not a t2a machine type (expected t2a-standard-N)"),
        (Cloud.GCP, "n2-custom-4-512", "is not a custom N2 machine type: it takes 0.5 to 8 GB per vCPU"),
    ],
)
def test_a_type_the_catalog_does_not_know_says_why_and_where_from(cloud: Cloud, instance_type: str, says: str) -> None:
    with pytest.raises(arch.UnknownInstanceTypeError) as exc:
        arch.arch_of(cloud, instance_type)
    message = str(exc.value)
    assert says in message
    assert (
        "components/catalog/aws_instance_types.csv (moto " if cloud is Cloud.AWS else "components/catalog/gcp.py"
    ) in message


@pytest.mark.parametrize(
    ("cloud", "name", "vcpu", "memory_mib", "gpus"),
    [
        (Cloud.AWS, "m6g.2xlarge", 8, 32768, 0),
        (Cloud.AWS, "c5n.2xlarge", 8, 21504, 0),  # 2.625 GiB per vCPU, not 2: the Karpenter limit case
        (Cloud.AWS, "t4g.medium", 2, 4096, 0),
        (Cloud.AWS, "g5g.xlarge", 4, 8192, 1),
        (Cloud.GCP, "n2-standard-8", 8, 32768, 0),
        (Cloud.GCP, "e2-medium", 2, 4096, 0),
        (Cloud.GCP, "n1-standard-4", 4, 15360, 0),
        (Cloud.GCP, "c4-highmem-8", 8, 63488, 0),
        (Cloud.GCP, "e2-custom-4-8192", 4, 8192, 0),
    ],
)
def test_sizes_come_from_the_catalog(cloud: Cloud, name: str, vcpu: int, memory_mib: int, gpus: int) -> None:
    m = arch.machine(cloud, name)
    assert (m.vcpu, m.memory_mib, m.gpus) == (vcpu, memory_mib, gpus)


def test_a_family_has_one_arch() -> None:
    assert arch.aws_family_arch("m6g") == "arm64"
    assert arch.aws_family_arch("c6i") == "amd64"
    assert arch.aws_family_arch("zz9") is None


@pytest.mark.parametrize(
    ("a", "kubernetes", "ec2", "openshift", "ami_type", "platform"),
    [
        ("amd64", "amd64", "x86_64", "x86_64", "AL2023_x86_64_STANDARD", "linux/amd64"),
        ("arm64", "arm64", "arm64", "aarch64", "AL2023_ARM_64_STANDARD", "linux/arm64"),
    ],
)
def test_vocabularies(a: arch.Arch, kubernetes: str, ec2: str, openshift: str, ami_type: str, platform: str) -> None:
    facts = arch.ARCH_FACTS[a]
    assert (facts.kubernetes, facts.ec2, facts.openshift, facts.eks_ami_type, facts.oci_platform) == (
        kubernetes,
        ec2,
        openshift,
        ami_type,
        platform,
    )
    assert arch.arch_from_ec2(ec2) == a
    assert arch.EKS_AMI_TYPES[ami_type].arch == a
    assert not arch.EKS_AMI_TYPES[ami_type].end_of_life


@pytest.mark.parametrize(
    ("ami_type", "a", "eol", "binfmt"),
    [
        ("AL2_x86_64", "amd64", True, True),
        ("AL2_ARM_64", "arm64", True, True),
        ("BOTTLEROCKET_ARM_64", "arm64", False, False),
        ("AL2023_ARM_64_NVIDIA", "arm64", False, True),
    ],
)
def test_ami_types(ami_type: str, a: str, eol: bool, binfmt: bool) -> None:
    facts = arch.EKS_AMI_TYPES[ami_type]
    assert (facts.arch, facts.end_of_life, facts.binfmt_misc) == (a, eol, binfmt)


@pytest.mark.parametrize(
    ("effect", "eks"),
    [("NoSchedule", "NO_SCHEDULE"), ("PreferNoSchedule", "PREFER_NO_SCHEDULE"), ("NoExecute", "NO_EXECUTE")],
)
def test_eks_taint_vocabulary(effect: arch.TaintEffect, eks: str) -> None:
    assert arch.cloud_taint_effect(effect) == eks
