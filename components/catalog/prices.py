"""On-demand list prices for the offline plan's cost estimate, dated.

Linux on-demand USD per hour:
- AWS us-east-1: every instance type, from Karpenter's own static price table (vendored unchanged
  as `aws_prices_us_east_1.json`, generated 2026-07-20; upstream ships that region only);
- AWS eu-west-3: the types listed below as published, checked on PRICES_AS_OF; the newer
  generations the stacks may fall back to (Graviton4 m8g/c8g/r8g, m7g, m7a, m7i, c7i, ...) are
  *estimated* from their us-east-1 price times EU_WEST_3_FACTOR, the median eu-west-3/us-east-1
  ratio of the types listed in both (shown with "~" in the cost table);
- Google Cloud europe-west4 and us-central1: the machine types listed, as published (C4A and N4A
  are not listed: their cost is "unknown" until they are). An estimate for reviewers, not a bill:
no storage, traffic, discounts or Spot. A type or region missing here is priced "unknown" (never
$0), and a total that leaves one out says it is incomplete. Every priced region and type is one
the catalog knows (a test keeps it so).
"""

from __future__ import annotations

import functools
import json
import statistics
from pathlib import Path

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
    ("europe-west4", "t2a-standard-4"): 0.169,
    ("europe-west4", "t2a-standard-8"): 0.339,
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

US_EAST_1 = "us-east-1"
_KARPENTER = Path(__file__).resolve().parent / "aws_prices_us_east_1.json"
# eu-west-3 types estimated from us-east-1 (families the stacks fall back across, at build sizes).
EU_WEST_3_ESTIMATED = tuple(
    f"{family}.{size}"
    for family in ("m8g", "c8g", "r8g", "m7g", "c7g", "m7a", "m6a", "m7i", "c7i", "c6i", "m5", "m6i")
    for size in ("large", "xlarge", "2xlarge", "4xlarge")
)


@functools.cache
def us_east_1() -> dict[str, float]:
    return json.loads(_KARPENTER.read_text())["regions"][US_EAST_1]  # type: ignore[no-any-return]


@functools.cache
def eu_west_3_factor() -> float:
    """The median eu-west-3/us-east-1 price ratio over the AWS types listed for eu-west-3."""
    ratios = [p / us_east_1()[t] for (r, t), p in _LISTED.items() if r == "eu-west-3" and t in us_east_1()]
    return round(statistics.median(ratios), 4)


_LISTED = HOURLY


def estimated(region: str | None, instance_type: str) -> bool:
    """Whether the price of a type in a region is an estimate (not listed for the region)."""
    return region == "eu-west-3" and (region, instance_type) not in HOURLY and instance_type in EU_WEST_3_ESTIMATED


# Managed control plane per cluster and hour: the GKE Standard cluster fee; EKS by support phase
# (standard $0.10, extended $0.60: EKS pricing, "Amazon EKS extended support").
CONTROL_PLANE_HOURLY = {"eks": 0.10, "gke": 0.10, "openshift": 0.0}
EKS_EXTENDED_SUPPORT_HOURLY = 0.60


def hourly(region: str | None, instance_type: str) -> float | None:
    """The on-demand price per hour; None (unknown) when neither listed nor estimable."""
    if region is None:
        return None
    if (region, instance_type) in HOURLY:
        return HOURLY[(region, instance_type)]
    if region == US_EAST_1:
        return us_east_1().get(instance_type)
    if estimated(region, instance_type) and instance_type in us_east_1():
        return round(us_east_1()[instance_type] * eu_west_3_factor(), 4)
    return None


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
US_CENTRAL_1 = "us-central1"
FILESTORE_GIB_MONTH = {
    "BASIC_HDD": 0.16,
    "BASIC_SSD": 0.30,
    "ZONAL": 0.25,
    "REGIONAL": 0.45,
    "ENTERPRISE": 0.45,
}
FILESTORE_TIERS = {"standard": "BASIC_HDD", "premium": "BASIC_SSD", "zonal": "ZONAL", "regional": "REGIONAL",
                   "enterprise": "ENTERPRISE", "BASIC_HDD": "BASIC_HDD", "BASIC_SSD": "BASIC_SSD"}  # fmt: skip


def gcp_region_factor(region: str) -> float | None:
    """The median price ratio of the machine types listed for `region` and us-central1."""
    if region == US_CENTRAL_1:
        return 1.0
    ratios = [
        p / HOURLY[(US_CENTRAL_1, t)] for (r, t), p in HOURLY.items() if r == region and (US_CENTRAL_1, t) in HOURLY
    ]
    return round(statistics.median(ratios), 4) if ratios else None


def efs_gb_month(region: str | None) -> tuple[float | None, bool]:
    """(USD per GB-month of EFS Standard, estimated) in `region`: us-east-1's as published, eu-west-3
    by its instances' ratio; None elsewhere (unknown)."""
    if region == US_EAST_1:
        return EFS_STANDARD_GB_MONTH[US_EAST_1], False
    if region == "eu-west-3":
        return round(EFS_STANDARD_GB_MONTH[US_EAST_1] * eu_west_3_factor(), 4), True
    return None, False


def filestore_gib_month(region: str | None, tier: str) -> tuple[float | None, bool]:
    """(USD per GiB-month of a Filestore tier, estimated) in `region`: us-central1's as published,
    another region by its machine types' ratio to us-central1 (None where none is listed)."""
    base = FILESTORE_GIB_MONTH.get(FILESTORE_TIERS.get(tier, ""))
    factor = gcp_region_factor(region) if region else None
    if base is None or factor is None:
        return None, False
    return round(base * factor, 4), region != US_CENTRAL_1
