"""The cost estimate's prices beyond the listed regions (components/catalog/prices.py, regional.py):
every region the catalogs list gets a price or an estimate, shown as such; unknown stays unknown."""

from __future__ import annotations

import pytest

from components import regions
from components.catalog import aws, gcp, prices, regional

AWS_TYPES = ("m5a.2xlarge", "m6g.2xlarge", "t4g.medium", "m7i.2xlarge", "m8g.2xlarge")
GCP_TYPES = ("n2-standard-8", "e2-standard-2", "n4-standard-8")


@pytest.mark.parametrize("region", aws.catalog().regions)
def test_every_aws_region_of_the_catalog_gets_a_price_or_an_estimate(region: str) -> None:
    for instance_type in AWS_TYPES:
        quote = prices.quote(region, instance_type)
        assert quote.hourly is not None and quote.hourly > 0, (region, instance_type)
        listed = (region, instance_type) in prices.HOURLY or region == prices.US_EAST_1
        assert quote.estimated is not listed, (region, instance_type)
        assert (quote.how != "") is quote.estimated


@pytest.mark.parametrize("region", sorted(regions.GCP_REGIONS))
def test_every_google_cloud_region_gets_a_price_or_an_estimate(region: str) -> None:
    for machine_type in GCP_TYPES:  # N4 where it is not sold too: by N2's ratio (the settings say where)
        quote = prices.quote(region, machine_type)
        assert quote.hourly is not None and quote.hourly > 0, (region, machine_type)
        assert quote.estimated is ((region, machine_type) not in prices.HOURLY)
    if gcp.offered_in(gcp.SERIES["t2a"], region):
        assert prices.hourly(region, "t2a-standard-8") is not None


def test_an_estimate_is_the_base_price_times_the_regions_ratio_for_its_kind() -> None:
    # ap-south-1 prices Graviton at two thirds of us-east-1's, x86 at about the same: one factor would lie.
    arm = prices.quote("ap-south-1", "m6g.2xlarge")
    x86 = prices.quote("ap-south-1", "m5.2xlarge")
    ratio = regional.aws_ratio("ap-south-1", "arm64")
    assert ratio is not None and arm.hourly == round(prices.us_east_1()["m6g.2xlarge"] * ratio, 4)
    assert regional.aws_ratio("ap-south-1", "arm64") == pytest.approx(0.657, abs=0.001)
    assert regional.aws_ratio("ap-south-1", "amd64") == pytest.approx(1.026, abs=0.001)
    assert x86.estimated and arm.estimated and "Graviton ratio" in arm.how and "x86 ratio" in x86.how
    # Compute Engine: a size of a series and shape from a known size of it (prices are per vCPU and GB).
    assert prices.quote("europe-west4", "n2-standard-16").hourly == pytest.approx(2 * 0.428, abs=0.001)


def test_unknown_stays_unknown_never_zero() -> None:
    assert prices.hourly("me-west-1", "m5.xlarge") is None  # no source prices it
    assert prices.hourly("europe-west4", "c4a-standard-8") is None  # no base price for C4A anywhere
    assert prices.hourly("eu-west-3", "hpc7a.12xlarge") is None  # no us-east-1 price to scale
    assert prices.hourly(None, "m5.xlarge") is None


def test_the_reference_prices_agree_with_the_listed_ones() -> None:
    """The sources cross-checked: the reference rows of us-east-1 are Karpenter's table, and the
    listed eu-west-3 and europe-west4 prices are within 2% of the reference rows."""
    base = prices.us_east_1()
    for name, price in zip(regional.AWS_REFERENCE, regional.AWS["us-east-1"], strict=True):
        assert base[name] == price
    paris = regional.AWS["eu-west-3"]
    assert prices.HOURLY[("eu-west-3", "m5.2xlarge")] / 2 == pytest.approx(paris[0], rel=0.02)
    assert prices.HOURLY[("eu-west-3", "m6g.xlarge")] == pytest.approx(paris[2], rel=0.02)
    assert prices.HOURLY[("europe-west4", "n2-standard-8")] == pytest.approx(regional.GCP["europe-west4"][0], rel=0.01)
    assert prices.HOURLY[("us-central1", "n2-standard-8")] == pytest.approx(regional.GCP["us-central1"][0], rel=0.01)


def test_every_region_with_reference_prices_is_a_region() -> None:
    assert set(regional.AWS) <= regions.AWS_REGIONS
    assert set(regional.GCP) <= regions.GCP_REGIONS
    assert set(regional.GCP) == regions.GCP_REGIONS  # every Google Cloud region is priced
    missing = sorted(set(aws.catalog().regions) - set(regional.AWS))
    assert missing == []  # and every region of the EC2 catalog
