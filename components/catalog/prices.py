"""On-demand list prices for the offline plan's cost estimate, dated.

Linux on-demand USD per hour:
- AWS us-east-1: every instance type, from Karpenter's own static price table (vendored unchanged
  as `aws_prices_us_east_1.json`; upstream ships that region only);
- AWS eu-west-3 and Google Cloud europe-west4 and us-central1: the types listed below (HOURLY), as
  published, checked on PRICES_AS_OF;
- every other type and region: *estimated* (shown with "~"), from the base region's price (AWS
  us-east-1, Google Cloud us-central1) times the region's ratio for the type's kind, taken from
  reference prices per region (`regional.py`, SkyPilot's catalogs of the list prices); a Compute
  Engine type also from a listed size of its series and shape. A region without reference prices,
  or a type without a base price (C4A, N4A, C4 on Google Cloud), is "unknown".

An estimate for reviewers, not a bill: no traffic, discounts or Spot. Unknown is never $0, and a
total that leaves one out says it is incomplete. Every listed region and type is one the catalog
knows (a test keeps it so).
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

from . import aws, gcp, regional

PRICES_AS_OF = "2026-11-01"
HOURS_PER_MONTH = 730

# (region, instance/machine type) -> USD per hour
HOURLY: dict[tuple[str, str], float] = {
    # AWS eu-west-3 (Paris)
    ("eu-west-3", "m5a.xlarge"): 0.201,
    ("eu-west-3", "m5a.2xlarge"): 0.402,
    ("eu-west-3", "m5a.4xlarge"): 0.803,
    ("eu-west-3", "m5.2xlarge"): 0.448,
    ("eu-west-3", "m6i.2xlarge"): 0.448,
    ("eu-west-3", "m6a.2xlarge"): 0.403,
    ("eu-west-3", "c6i.2xlarge"): 0.404,
    ("eu-west-3", "m6g.xlarge"): 0.180,
    ("eu-west-3", "m6g.2xlarge"): 0.359,
    ("eu-west-3", "m6g.4xlarge"): 0.718,
    ("eu-west-3", "m7g.2xlarge"): 0.381,
    ("eu-west-3", "c6g.2xlarge"): 0.317,
    ("eu-west-3", "c7g.2xlarge"): 0.337,
    ("eu-west-3", "t4g.medium"): 0.0378,  # the Karpenter system node group's default
    # GCP europe-west4 (Netherlands)
    ("europe-west4", "n2-standard-4"): 0.214,
    ("europe-west4", "n2-standard-8"): 0.428,
    ("europe-west4", "e2-standard-8"): 0.295,
    ("europe-west4", "t2a-standard-4"): 0.16178,  # SkyPilot's catalog (regional.py); 0.169 before, an estimate
    ("europe-west4", "t2a-standard-8"): 0.32355,
    # GCP us-central1 (Iowa)
    ("us-central1", "n2-standard-8"): 0.389,
    ("us-central1", "t2a-standard-8"): 0.308,
    # GKE's system node pool: e2-standard-2 (the default), e2-medium (too small: components/placement/).
    # E2 prices are linear in vCPU and GB: e2-standard-2 is a quarter of e2-standard-8, e2-medium half of it.
    ("europe-west4", "e2-standard-2"): 0.07375,
    ("us-central1", "e2-standard-2"): 0.067006,
    ("europe-west4", "e2-medium"): 0.036875,
    ("us-central1", "e2-medium"): 0.033503,
}

US_EAST_1, US_CENTRAL_1 = regional.AWS_BASE, regional.GCP_BASE
_KARPENTER = Path(__file__).resolve().parent / "aws_prices_us_east_1.json"


@functools.cache
def us_east_1() -> dict[str, float]:
    return json.loads(_KARPENTER.read_text())["regions"][US_EAST_1]  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Quote:
    """A type's price in a region: as listed, or estimated (`how` says from what)."""

    hourly: float | None
    estimated: bool = False
    how: str = ""


_SHAPED = re.compile(r"([a-z0-9]+-[a-z]+)-(\d+)")


def quote(region: str | None, instance_type: str) -> Quote:
    """The on-demand price per hour of a type in a region: listed (HOURLY, or Karpenter's us-east-1
    table), else estimated from the base region by the region's ratio (`regional.py`), a Compute
    Engine type also from a listed size of its series and shape (their prices are linear in vCPU
    and memory). Unknown (None) when there is neither."""
    if region is None:
        return Quote(None)
    if (region, instance_type) in HOURLY:
        return Quote(HOURLY[(region, instance_type)])
    if region == US_EAST_1:
        return Quote(us_east_1().get(instance_type))
    if region in regional.AWS:
        base, machine = us_east_1().get(instance_type), aws.lookup(instance_type)
        ratio = regional.aws_ratio(region, machine.arch) if machine is not None and machine.arch else None
        if base is None or ratio is None:
            return Quote(None)
        kind = "Graviton" if machine is not None and machine.arch == "arm64" else "x86"
        return Quote(round(base * ratio, 4), True, f"the us-east-1 price x {ratio} ({region}'s {kind} ratio)")
    machine_type = gcp.lookup(instance_type)
    if machine_type is None:
        return Quote(None)
    scaled = _gcp_scaled(region, instance_type)
    if scaled is not None:
        return Quote(scaled, True, f"from a known size of {instance_type.rsplit('-', 1)[0]} in {region}")
    base = HOURLY.get((US_CENTRAL_1, instance_type)) or _gcp_scaled(US_CENTRAL_1, instance_type)
    ratio = regional.gcp_ratio(region, machine_type.series.name)
    if base is None or ratio is None:
        return Quote(None)
    return Quote(
        round(base * ratio, 4), True, f"the us-central1 price x {ratio} ({region}'s {machine_type.series.display})"
    )


def _gcp_listed(region: str) -> list[tuple[str, float]]:
    """The Compute Engine prices known in a region: HOURLY's, then the reference prices (`regional.py`)
    of each series' standard-8."""
    listed = sorted((t, p) for (r, t), p in HOURLY.items() if r == region)
    row = regional.GCP.get(region, ())
    listed += [(f"{series}-standard-8", p) for series, p in zip(regional.GCP_REFERENCE, row, strict=False) if p]
    return listed


def _gcp_scaled(region: str, instance_type: str) -> float | None:
    """A Compute Engine type's price from a known size of the same series and shape in the region
    (n2-standard-4 is half of n2-standard-8: the prices are per vCPU and GB)."""
    m = _SHAPED.fullmatch(instance_type)
    if m is None:
        return None
    for listed, price in _gcp_listed(region):
        other = _SHAPED.fullmatch(listed)
        if other is not None and other[1] == m[1]:
            return round(price * int(m[2]) / int(other[2]), 4)
    return None


def estimated(region: str | None, instance_type: str) -> bool:
    """Whether the price of a type in a region is an estimate (not listed for the region)."""
    return quote(region, instance_type).estimated


def hourly(region: str | None, instance_type: str) -> float | None:
    """The on-demand price per hour; None (unknown) when neither listed nor estimable."""
    return quote(region, instance_type).hourly


# Managed control plane per cluster and hour: the GKE Standard cluster fee; EKS by support phase
# (standard $0.10, extended $0.60: EKS pricing, "Amazon EKS extended support").
CONTROL_PLANE_HOURLY = {"eks": 0.10, "gke": 0.10, "openshift": 0.0}
EKS_EXTENDED_SUPPORT_HOURLY = 0.60


def monthly(hourly_price: float, nodes: int) -> float:
    return round(hourly_price * HOURS_PER_MONTH * nodes, 2)


# --- storage: the build workspaces' ---------------------------------------------------------------

STORAGE_AS_OF = "2026-12-01"
# EFS Standard storage, USD per GB-month (aws.amazon.com/efs/pricing, us-east-1). EFS bills what is
# stored: a build's workspace holds at most its claims' sizes, and only while it runs (the cleanup
# task empties it).
EFS_STANDARD_GB_MONTH = {US_EAST_1: 0.30}
# Filestore, USD per GiB-month of provisioned capacity (Filestore service tiers and pricing,
# us-central1): the instance is billed at its size, whatever it holds.
FILESTORE_GIB_MONTH = {
    "BASIC_HDD": 0.16,
    "BASIC_SSD": 0.30,
    "ZONAL": 0.25,
    "REGIONAL": 0.45,
    "ENTERPRISE": 0.45,
}
FILESTORE_TIERS = {"standard": "BASIC_HDD", "premium": "BASIC_SSD", "zonal": "ZONAL", "regional": "REGIONAL",
                   "enterprise": "ENTERPRISE", "BASIC_HDD": "BASIC_HDD", "BASIC_SSD": "BASIC_SSD"}  # fmt: skip


def efs_gb_month(region: str | None) -> tuple[float | None, bool]:
    """(USD per GB-month of EFS Standard, estimated) in `region`: us-east-1's as published, another
    region by its x86 instances' ratio (`regional.py`); None where it has none (unknown)."""
    if region == US_EAST_1:
        return EFS_STANDARD_GB_MONTH[US_EAST_1], False
    ratio = regional.aws_ratio(region, "amd64") if region else None
    if ratio is None:
        return None, False
    return round(EFS_STANDARD_GB_MONTH[US_EAST_1] * ratio, 4), True


def filestore_gib_month(region: str | None, tier: str) -> tuple[float | None, bool]:
    """(USD per GiB-month of a Filestore tier, estimated) in `region`: us-central1's as published,
    another region by its N2 machines' ratio to us-central1 (`regional.py`; None where it has none)."""
    base = FILESTORE_GIB_MONTH.get(FILESTORE_TIERS.get(tier, ""))
    factor = regional.gcp_ratio(region, "n2") if region else None
    if base is None or factor is None:
        return None, False
    return round(base * factor, 4), region != US_CENTRAL_1
