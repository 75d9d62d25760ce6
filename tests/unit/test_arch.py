"""The architecture catalog: table-driven, no Pulumi."""

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
        ("g4ad.xlarge", "amd64"),
        ("x2idn.16xlarge", "amd64"),
        ("u7i-12tb.224xlarge", "amd64"),
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
    ("cloud", "instance_type", "table"),
    [
        (Cloud.AWS, "zz9.large", "AWS_FAMILIES"),
        (Cloud.AWS, "m99g.large", "AWS_FAMILIES"),
        (Cloud.GCP, "q9-standard-4", "GCP_FAMILIES"),
    ],
)
def test_unknown_family_says_how_to_proceed(cloud: Cloud, instance_type: str, table: str) -> None:
    with pytest.raises(arch.UnknownInstanceFamilyError) as exc:
        arch.arch_of(cloud, instance_type)
    message = str(exc.value)
    assert instance_type in message
    assert f"add it to {table} in components/arch.py" in message


def test_gcp_machine_type_is_not_an_aws_instance_type() -> None:
    with pytest.raises(arch.UnknownInstanceFamilyError, match="not an EC2 instance type"):
        arch.arch_of(Cloud.AWS, "t2a-standard-8")


def test_families_are_disjoint() -> None:
    for table in (arch.AWS_FAMILIES, arch.GCP_FAMILIES):
        assert not table["arm64"] & table["amd64"]


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


@pytest.mark.parametrize(
    ("location", "offered"),
    [
        ("us-central1", True),
        ("us-central1-a", True),
        ("us-central1-c", False),
        ("europe-west4", True),
        ("europe-west4-b", True),
        ("asia-southeast1-a", False),
        ("asia-southeast1-c", True),
        ("us-east1", False),
        ("europe-west1", False),
    ],
)
def test_t2a_locations(location: str, offered: bool) -> None:
    assert arch.t2a_offered_in(location) is offered


def test_t2a_locations_text_lists_every_zone() -> None:
    text = arch.t2a_locations()
    assert text == "us-central1 (a, b, f), europe-west4 (a, b, c), asia-southeast1 (b, c)"
