"""The clouds' and Kubernetes' limits the settings check against (components/limits.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from components import limits, regions
from tools import prices


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1", Decimal(1)),
        ("500m", Decimal("0.5")),
        ("2Gi", Decimal(2 * 2**30)),
        ("512Mi", Decimal(512 * 2**20)),
        ("1.5", Decimal("1.5")),
        ("2G", Decimal(2 * 10**9)),
        ("1e3", Decimal(1000)),
        ("4000m", Decimal(4)),
        ("lots", None),
        ("2GB", None),
        ("4 cores", None),
        ("", None),
        ("1Gb", None),
    ],
)
def test_quantities(text: str, value: Decimal | None) -> None:
    assert limits.quantity(text) == value


@pytest.mark.parametrize(
    ("cidr", "problem"),
    [
        ("0.0.0.0/0", None),
        ("203.0.113.0/24", None),
        ("10.0.0.0/33", "is not a CIDR block: the prefix length is 0 to 32"),
        ("10.0.0.1/8", "has host bits set: the block is 10.0.0.0/8"),
        ("10.0.0.0", "is not a CIDR block: it needs a prefix length, e.g. 203.0.113.0/24"),
        ("300.0.0.0/8", "is not an IPv4 CIDR block such as 203.0.113.0/24"),
        ("2001:db8::/32", "is not an IPv4 CIDR block such as 203.0.113.0/24"),
    ],
)
def test_cidrs(cidr: str, problem: str | None) -> None:
    assert limits.cidr_problem(cidr) == problem


@pytest.mark.parametrize(
    ("kind", "name", "problem"),
    [
        ("iam-role", "a" * 64, None),
        ("iam-role", "a" * 65, "IAM role names are at most 64 characters"),
        ("iam-role", "build/role", "IAM role names allow letters, digits and +=,.@_-"),
        ("eks-node-group", "-x86", "EKS node group names allow letters, digits, - and _, starting alphanumeric"),
        ("gke-node-pool", "arm64", None),
        ("gke-node-pool", "Arm64", "GKE node pool names allow lowercase letters, digits and -, starting with a letter"),
        ("namespace", "builds", None),
        ("namespace", "builds.ci", "Kubernetes namespace names allow lowercase letters, digits and -"),
        ("object", "efs.csi.aws.com", None),
        ("label-value", "x" * 63, None),
        ("label-value", "x" * 64, "Kubernetes label values are at most 63 characters"),
    ],
)
def test_names(kind: str, name: str, problem: str | None) -> None:
    assert limits.NAMES[kind].problem(name) == problem


def test_owned_namespaces() -> None:
    assert all(
        limits.owned_namespace(n) for n in ("default", "kube-system", "openshift", "openshift-monitoring", "gmp-system")
    )
    assert not any(limits.owned_namespace(n) for n in ("builds", "gitlab-runner", "kubeflow", "openshiftish"))


def test_every_priced_region_is_a_known_region() -> None:
    priced = {region for region, _ in prices.HOURLY}
    assert priced and priced <= regions.AWS_REGIONS | regions.GCP_REGIONS
    assert regions.gcp_region_of("europe-west4-a") == "europe-west4"
    assert regions.gcp_region_of("europe-west4") == "europe-west4"
