"""The cloud catalog (components/catalog/): generated files current, hand-kept tables consistent
with each other and with the pins, and the committed stacks inside them."""

from __future__ import annotations

import json

import kubernetes_validate
import pytest

from components import arch, regions, versions
from components.catalog import api, aws, gcp, lifecycle, prices
from tools import catalog as generator
from tools import stackfile

# --- generated files --------------------------------------------------------------------------


@pytest.mark.parametrize("path", list(generator.TARGETS), ids=lambda p: p.name)
def test_the_generated_file_is_what_the_installed_package_gives(path: object) -> None:
    existing = path.read_text()  # type: ignore[attr-defined]
    assert generator.TARGETS[path](existing, "2099-01-01") == existing, f"run `{generator.COMMAND}`"  # type: ignore[index]


def test_changed_data_gets_a_new_date_and_unchanged_data_keeps_its_own() -> None:
    existing = aws.FILE.read_text()
    lines = existing.splitlines(keepends=True)
    row = next(i for i, line in enumerate(lines) if line.startswith("m6g.2xlarge,"))
    lines[row] = lines[row].replace(",32768,", ",32769,")
    fresh = generator.render_instance_types("".join(lines), "2099-01-01")
    assert "as of 2099-01-01" in fresh.splitlines()[0]
    assert fresh.splitlines()[1:] == existing.splitlines()[1:]
    doc = json.loads(api.FILE.read_text())
    doc["services"]["eks"]["shapes"]["labelKey"]["max"] = 64
    assert '"asOf": "2099-01-01"' in generator.render_api(json.dumps(doc), "2099-01-01")


def test_the_sources_name_package_version_and_date() -> None:
    assert aws.catalog().as_of.startswith("moto 5.2.5, 20")
    assert api.version().startswith("botocore 1.44.8, 20")


# --- the EC2 catalog ---------------------------------------------------------------------------


def test_offerings_per_zone() -> None:
    m8g = aws.lookup("m8g.2xlarge")
    assert m8g is not None and m8g.arch == "arm64"
    assert m8g.offered_zones("eu-west-3") == frozenset({"eu-west-3a", "eu-west-3b", "eu-west-3c"})
    assert m8g.offered_zones("mx-central-1") is None  # no data for the region: unknown, not "not offered"
    assert aws.catalog().zones_of("eu-west-3") == frozenset({"eu-west-3a", "eu-west-3b", "eu-west-3c"})


def test_every_region_with_offerings_is_an_aws_region() -> None:
    assert set(aws.catalog().regions) <= regions.AWS_REGIONS


@pytest.mark.parametrize(("name", "pods"), [("t4g.medium", 17), ("m5a.2xlarge", 58), ("t4g.nano", 4)])
def test_eks_max_pods_is_the_eni_formula(name: str, pods: int) -> None:
    t = aws.lookup(name)
    assert t is not None and t.eks_max_pods == pods


def test_the_catalog_agrees_with_ec2s_own_enum() -> None:
    """Two independent sources: every type moto describes is one EC2's API model names."""
    enum = set(api.field("ec2", "InstanceType").enum)
    assert set(aws.catalog().types) <= enum


def test_eks_ami_types_the_stack_knows_are_ami_types_of_the_api() -> None:
    assert set(arch.EKS_AMI_TYPES) <= set(api.field("eks", "AMITypes").enum)


# --- partitions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "partition"),
    [
        ("eu-west-3", "aws"),
        ("cn-north-1", "aws-cn"),
        ("us-gov-west-1", "aws-us-gov"),
        ("us-gov-east-7", "aws-us-gov"),  # not listed: its name says the partition
        ("us-isob-east-1", "aws-iso-b"),
        ("eu-mars-1", "aws"),
        ("mars-1", None),
    ],
)
def test_partition_of_a_region(region: str, partition: str | None) -> None:
    assert api.partition_of(region) == partition


# --- GCP machine series ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("series", "disk"),
    [("t2a", "pd-balanced"), ("n2", "pd-balanced"), ("c4a", "hyperdisk-balanced"), ("n4", "hyperdisk-balanced"),
     ("n4a", "hyperdisk-balanced"), ("c4", "hyperdisk-balanced"), ("c3", "pd-balanced")],
)  # fmt: skip
def test_default_boot_disk_is_one_the_series_supports(series: str, disk: str) -> None:
    assert gcp.SERIES[series].boot_disks[0] == disk


def test_arm64_series_say_where_they_are_offered() -> None:
    for s in gcp.SERIES.values():
        assert (s.arch == "arm64") == (s.regions is not None), s.name
        assert set(s.regions or ()) <= regions.GCP_REGIONS, s.name


@pytest.mark.parametrize(
    ("location", "offered"),
    [("us-central1", True), ("us-central1-a", True), ("us-central1-c", False), ("asia-southeast1-a", False),
     ("asia-southeast1-c", True), ("us-east1", False), ("europe-west1", False)],
)  # fmt: skip
def test_t2a_locations(location: str, offered: bool) -> None:
    assert gcp.offered_in(gcp.SERIES["t2a"], location) is offered


# --- dated tables and the pins -----------------------------------------------------------------


def test_every_minor_eks_offers_has_an_autoscaler_and_an_ami_alias_that_covers_it() -> None:
    for minor in lifecycle.EKS.offered():
        assert minor in versions.CLUSTER_AUTOSCALER, minor
        assert versions.CLUSTER_AUTOSCALER[minor][1].startswith(f"v{minor}."), minor
        assert lifecycle.alias_covers(versions.KARPENTER_AMI_ALIASES[minor], minor) is True, minor


def test_the_default_version_is_offered_on_both_clouds_in_standard_support() -> None:
    for table in lifecycle.KUBERNETES.values():
        assert table.minors[versions.DEFAULT_KUBERNETES_VERSION].phase() == "standard"


def test_eks_phases_as_of_the_tables_date() -> None:
    assert lifecycle.EKS.minors["1.31"].phase() == "end of life"  # extended support ended 2026-11-26
    assert lifecycle.EKS.minors["1.33"].phase() == "extended"
    assert lifecycle.EKS.minors["1.34"].phase() == "standard"
    assert lifecycle.EKS.minors["1.34"].phase("2026-12-02") == "extended"
    for m in lifecycle.EKS.minors.values():
        assert m.released < (m.end_of_standard or "") < (m.end_of_extended or "")


def test_the_newest_kubernetes_is_the_newest_schema_kubernetes_validate_ships() -> None:
    newest = max(kubernetes_validate.utils.all_versions(), key=lambda v: tuple(map(int, v.split("."))))
    assert ".".join(newest.split(".")[:2]) == lifecycle.KUBERNETES_NEWEST
    assert all(
        lifecycle.minor_key(v) <= lifecycle.minor_key(lifecycle.KUBERNETES_NEWEST)
        for t in lifecycle.KUBERNETES.values()
        for v in t.minors
    )


@pytest.mark.parametrize("stack", ["dev", "prod", "karpenter-dev", "gke-dev"])
def test_each_committed_stack_runs_an_offered_minor_and_the_next_one_is_offered(stack: str) -> None:
    config = stackfile.load(stack).config
    table = lifecycle.KUBERNETES[config["multiarch:platform"]]
    minor = config["multiarch:cluster"]["version"]
    upgrade = f"1.{int(minor.split('.')[1]) + 1}"
    assert minor in table.offered() and upgrade in table.offered()


@pytest.mark.parametrize(
    ("tag", "problem"),
    [
        ((1, 9, 0), None),
        ((1, 9, 2), None),
        ((1, 9, 7), "the newest v1.9 patch in the table is v1.9.2"),
        ((0, 69, 0), "v0.69 was never released"),
        ((1, 18, 0), "is newer than the newest release in the table (v1.17.0)"),
    ],
)
def test_tekton_releases(tag: tuple[int, int, int], problem: str | None) -> None:
    assert lifecycle.tekton_problem(*tag) == problem


def test_tekton_default_and_floor_are_published() -> None:
    default = tuple(int(x) for x in versions.TEKTON_DEFAULT_VERSION[1:].split("."))
    assert lifecycle.tekton_problem(*default) is None
    assert min(lifecycle.TEKTON_NEWEST_PATCH) == versions.TEKTON_MIN_VERSION[:2]


def test_pipelines_channels_cover_openshift_versions_of_the_table() -> None:
    assert versions.OPENSHIFT_PIPELINES_DEFAULT_CHANNEL in lifecycle.PIPELINES_CHANNELS
    for openshift in lifecycle.OPENSHIFT_VERSIONS:
        assert lifecycle.channel_supports("latest", openshift)
    assert not lifecycle.channel_supports("pipelines-1.14", "4.18")


@pytest.mark.parametrize(
    ("alias", "minor", "covers"),
    [("al2023@v20250915", "1.34", True), ("al2023@v20250915", "1.35", False), ("al2023@latest", "1.35", None),
     ("al2023@v20991231", "1.35", None)],
)  # fmt: skip
def test_ami_alias_coverage(alias: str, minor: str, covers: bool | None) -> None:
    assert lifecycle.alias_covers(alias, minor) is covers


# --- prices ------------------------------------------------------------------------------------


def test_every_priced_type_is_in_the_catalog_and_offered_where_priced() -> None:
    for region, name in prices.HOURLY:
        if region in regions.AWS_REGIONS:
            t = aws.lookup(name)
            assert t is not None and t.offered_zones(region), (region, name)
        else:
            assert gcp.lookup(name) is not None, name
