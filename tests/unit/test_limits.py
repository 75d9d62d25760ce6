"""The clouds' and Kubernetes' limits the settings check against (components/limits.py)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from components import limits, regions
from components.catalog import prices


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


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("multiarch.dev/role", None),
        ("node-role.kubernetes.io/infra", None),
        ("team", None),
        ("Team_1.x", None),
        ("build team", "its name allows letters, digits and -_., starting and ending with a letter or digit"),
        ("-team", "its name allows letters, digits and -_., starting and ending with a letter or digit"),
        ("Example.com/x", "its prefix is not a lowercase DNS subdomain (at most 253 characters)"),
        ("/x", "its prefix is not a lowercase DNS subdomain (at most 253 characters)"),
        ("a/b/c", "its prefix is not a lowercase DNS subdomain (at most 253 characters)"),
        ("example.com/" + "k" * 64, "its name (after the prefix) is 1 to 63 characters"),
        ("example.com/", "its name (after the prefix) is 1 to 63 characters"),
    ],
)
def test_label_keys(key: str, problem: str | None) -> None:
    assert limits.label_key_problem(key) == problem


@pytest.mark.parametrize(
    ("value", "ok"), [("", True), ("v" * 63, True), ("v" * 64, False), ("a b", False), ("a/b", False), ("a-", False)]
)
def test_label_values(value: str, ok: bool) -> None:
    assert (limits.label_value_problem(value) is None) is ok


@pytest.mark.parametrize(
    ("key", "may"),
    [
        ("multiarch.dev/pool", True),
        ("node.kubernetes.io/role", True),  # an allowed prefix
        ("kubernetes.io/arch", True),
        ("node-role.kubernetes.io/infra", False),
        ("kubernetes.io/team", False),
        ("example.k8s.io/x", False),
        ("notkubernetes.io/x", True),
    ],
)
def test_what_the_kubelet_may_label(key: str, may: bool) -> None:
    assert limits.kubelet_may_set(key) is may


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("kubernetes.io/arch=.*", None),
        ("kubernetes.io/arch=(amd64|arm64)", None),
        ("(?P<label>kubernetes.io/arch)=.*", None),
        (
            "kubernetes.io/arch=(?!amd64).*",
            "uses negative lookahead or lookbehind, which Go's regexp (RE2) does not support",
        ),
        ("(?=k)kubernetes.io/arch=.*", "uses lookahead or lookbehind, which Go's regexp (RE2) does not support"),
        ("(a)\\1", "uses a backreference, which Go's regexp (RE2) does not support"),
        ("a++", "uses a possessive repeat, which Go's regexp (RE2) does not support"),
        ("(?>a)", "uses an atomic group, which Go's regexp (RE2) does not support"),
        ("a\\Z", "uses \\Z, which Go's regexp spells \\z"),
    ],
)
def test_go_regexp(pattern: str, problem: str | None) -> None:
    assert limits.go_regexp_problem(pattern) == problem


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        ("10m", 600 * 10**9),
        ("1h30m", 5400 * 10**9),
        ("30m1h", 5400 * 10**9),  # any order, as Go reads it
        ("1.5h", 5400 * 10**9),
        (".5s", 5 * 10**8),
        ("0", 0),
        ("-1m", -60 * 10**9),
        ("1h1h", 7200 * 10**9),
        ("2562047h", 2562047 * 3600 * 10**9),
        ("2562047h47m16.854775807s", 2**63 - 1),  # the most an int64 of nanoseconds holds
    ],
)
def test_go_durations(text: str, ns: int) -> None:
    assert limits.parse_go_duration(text) == ns
    assert limits.go_duration_ns(text) == ns


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("2562048h", 'time: invalid duration "2562048h"'),
        ("2562047h47m16.854775808s", 'time: invalid duration "2562047h47m16.854775808s"'),
        ("10 m", 'time: unknown unit " m" in duration "10 m"'),
        ("", 'time: invalid duration ""'),
        ("10", 'time: missing unit in duration "10"'),
        ("1d", 'time: unknown unit "d" in duration "1d"'),
        ("h", 'time: invalid duration "h"'),
    ],
)
def test_what_go_refuses_with_gos_message(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=re.escape(error)):
        limits.parse_go_duration(text)
    assert limits.go_duration_ns(text) is None


@pytest.mark.parametrize(("name", "cpu", "memory"), [("t4g.medium", 1930, 3554), ("t4g.nano", 1930, 113)])
def test_eks_allocatable(name: str, cpu: int, memory: int) -> None:
    from components.catalog import aws

    t = aws.lookup(name)
    assert t is not None
    assert limits.eks_allocatable(t.vcpu, t.memory_mib, t.eks_max_pods) == (cpu, memory)


def test_ec2_ids() -> None:
    assert limits.ec2_id_problem("ami-0a1b2c3d", "ami") is None
    assert limits.ec2_id_problem("ami-0eab6a7956a66deda", "ami") is None
    assert limits.ec2_id_problem("ami-0eab6a7956a66ded", "ami") is not None  # 16 digits
    assert limits.ec2_id_problem("ami-0EAB6A7956A66DEDA", "ami") is not None


def test_the_plan_validates_a_minor_newer_than_the_schemas_against_the_newest() -> None:
    from tools import schemas

    assert schemas.schema_version("1.99") == "1.37"
    assert schemas.schema_version("1.33") == "1.33"
