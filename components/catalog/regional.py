"""Reference on-demand prices per region, from which the cost estimate scales a base region's price
table (AWS us-east-1: Karpenter's; Google Cloud us-central1) to any region: a type's estimate is
its base price times its region's ratio for the type's kind (x86 or Graviton on AWS, the machine
series on Google Cloud). Shown with "~" in the cost table; a region without reference prices stays
"unknown".

Sources, Linux on-demand USD per hour, read on READ_ON:
- SkyPilot's catalogs of the clouds' list prices, skypilot-org/skypilot-catalog `catalogs/v7/aws/vms.csv`
  (commit 001367d2) and `catalogs/v7/gcp/vms.csv` (commit 017e2502); the stored commits carry no
  date of their own. Its us-east-1 rows equal Karpenter's table.
- for the AWS regions SkyPilot does not cover (AWS_OTHER_SOURCE): the AWS Price List Bulk API files
  as ChaseFreeman17/ec2-cheaper-finder extracted them (`data/regions/<region>.json`, commit 104f716e,
  generated 2026-09-04); where SkyPilot covers a region too, the two agree.
Where a source has no row for a type in a region the cell is None. AWS regions without m5 and c5
(ap-east-2, ap-southeast-5/6/7, mx-central-1) are referenced by m6i and c6i, whose us-east-1 prices
are m5's and c5's. No source here prices me-west-1 or sa-west-1: they stay unknown.
"""

from __future__ import annotations

import statistics

READ_ON = "2026-12-01"
SOURCE = f"skypilot-org/skypilot-catalog catalogs/v7 (aws 001367d2, gcp 017e2502), read {READ_ON}"
AWS_OTHER_SOURCE = "the AWS Price List via ChaseFreeman17/ec2-cheaper-finder 104f716e (generated 2026-09-04)"

# AWS: region -> (m5.xlarge, c5.xlarge, m6g.xlarge), USD per hour (m6i, c6i where m5, c5 are not offered).
AWS_REFERENCE = ("m5.xlarge", "c5.xlarge", "m6g.xlarge")
AWS: dict[str, tuple[float | None, float | None, float | None]] = {
    "af-south-1": (0.254, 0.228, 0.2032),
    "ap-east-1": (0.264, 0.216, 0.212),
    "ap-northeast-1": (0.248, 0.214, 0.198),
    "ap-northeast-2": (0.236, 0.192, 0.188),
    "ap-northeast-3": (0.248, 0.214, 0.1984),
    "ap-south-1": (0.202, 0.17, 0.1012),
    "ap-southeast-1": (0.24, 0.196, 0.192),
    "ap-southeast-2": (0.24, 0.222, 0.192),
    "ap-southeast-3": (0.24, 0.196, 0.192),
    "ca-central-1": (0.214, 0.186, 0.1712),
    "eu-central-1": (0.23, 0.194, 0.184),
    "eu-north-1": (0.204, 0.182, 0.164),
    "eu-south-1": (0.224, 0.202, 0.1792),
    "eu-west-1": (0.214, 0.192, 0.172),
    "eu-west-2": (0.222, 0.202, 0.1776),
    "eu-west-3": (0.224, 0.202, 0.18),
    "me-central-1": (0.235, 0.211, 0.1892),
    "me-south-1": (0.235, 0.211, 0.188),
    "us-east-1": (0.192, 0.17, 0.154),
    "us-east-2": (0.192, 0.17, 0.154),
    "us-west-1": (0.224, 0.212, 0.1792),
    "us-west-2": (0.192, 0.17, 0.154),
    # AWS_OTHER_SOURCE
    "ap-east-2": (0.2232, 0.1926, 0.1782),  # m6i, c6i
    "ap-south-2": (0.202, 0.17, 0.1012),
    "ap-southeast-4": (0.24, 0.222, 0.192),
    "ap-southeast-5": (0.204, 0.1666, 0.1632),  # m6i, c6i
    "ap-southeast-6": (0.252, 0.2331, 0.2016),  # m6i, c6i
    "ap-southeast-7": (0.204, 0.1666, 0.1632),  # m6i, c6i
    "ca-west-1": (0.214, 0.186, 0.1712),
    "eu-central-2": (0.253, 0.213, 0.2024),
    "eu-south-2": (0.214, 0.192, 0.172),
    "il-central-1": (0.225, 0.202, 0.1806),
    "mx-central-1": (0.2016, 0.1785, 0.1617),  # m6i, c6i
    "sa-east-1": (0.306, 0.262, 0.2448),
}
AWS_OTHER = frozenset(list(AWS)[-12:])  # the rows from AWS_OTHER_SOURCE

# Google Cloud: region -> (n2-standard-8, e2-standard-8, n4-standard-8, t2a-standard-8), USD per hour
# (n2 as n2-standard-96 / 12 and n4 as n4-standard-80 / 10 where the catalog lists only those).
GCP_REFERENCE = ("n2", "e2", "n4", "t2a")
GCP: dict[str, tuple[float | None, float | None, float | None, float | None]] = {
    "africa-south1": (0.50812, 0.35060, 0.49585, None),
    "asia-east1": (0.44981, 0.31037, 0.43895, None),
    "asia-east2": (0.54354, 0.37505, 0.53031, None),
    "asia-northeast1": (0.49835, 0.34386, 0.48682, None),
    "asia-northeast2": (0.49887, 0.34386, None, None),
    "asia-northeast3": (0.49887, 0.34386, 0.48682, None),
    "asia-south1": (0.46658, 0.32194, 0.39425, None),
    "asia-south2": (0.46658, 0.32194, 0.39426, None),
    "asia-southeast1": (0.47922, 0.33066, 0.46768, 0.37984),
    "asia-southeast2": (0.52235, 0.36042, 0.50976, None),
    "australia-southeast1": (0.55120, 0.38033, 0.47386, None),
    "australia-southeast2": (0.46851, 0.32326, 0.49281, None),
    "europe-central2": (0.47006, 0.32434, 0.45867, None),
    "europe-north1": (0.42770, 0.29511, None, None),
    "europe-north2": (None, 0.28145, 0.39804, None),
    "europe-southwest1": (0.45840, 0.31630, 0.44732, None),
    "europe-west1": (0.42734, 0.29486, 0.41741, None),
    "europe-west10": (0.50051, 0.34535, None, None),
    "europe-west12": (0.50113, 0.34578, None, None),
    "europe-west2": (0.50050, 0.34534, 0.43216, None),
    "europe-west3": (0.50050, 0.34534, 0.44732, None),
    "europe-west4": (0.42766, 0.29509, 0.39804, 0.32355),
    "europe-west6": (0.50890, 0.35113, 0.49663, None),
    "europe-west8": (0.45063, 0.31093, 0.43974, None),
    "europe-west9": (0.45063, 0.31093, 0.43974, None),
    "me-central1": (0.47199, 0.32568, 0.46059, None),
    "me-central2": (0.62155, 0.42887, 0.60654, None),
    "me-west1": (0.42732, 0.29485, 0.41700, None),
    "northamerica-northeast1": (0.42766, 0.29509, None, None),
    "northamerica-northeast2": (0.42766, 0.29509, 0.41741, None),
    "northamerica-south1": (None, 0.29217, 0.41321, None),
    "southamerica-east1": (0.61664, 0.42548, 0.60195, None),
    "southamerica-west1": (0.55551, 0.38331, 0.54210, None),
    "us-central1": (0.38847, 0.26805, 0.37909, 0.30800),
    "us-east1": (0.38847, 0.26805, 0.37909, None),
    "us-east4": (0.43751, 0.30188, 0.37909, None),
    "us-east5": (0.38847, 0.26805, 0.42697, None),
    "us-south1": (0.45840, 0.31629, 0.44732, None),
    "us-west1": (0.38847, 0.26805, 0.37909, None),
    "us-west2": (0.46661, 0.32196, 0.45570, None),
    "us-west3": (0.46661, 0.32196, 0.45570, None),
    "us-west4": (0.43750, 0.30188, 0.42697, None),
}

AWS_BASE, GCP_BASE = "us-east-1", "us-central1"


def _ratio(row: tuple[float | None, ...], base: tuple[float | None, ...], picks: tuple[int, ...]) -> float | None:
    ratios = [row[i] / b for i in picks if (b := base[i]) and row[i] is not None]  # type: ignore[operator]
    return round(statistics.median(ratios), 4) if ratios else None


def aws_ratio(region: str, arch: str) -> float | None:
    """A region's price over us-east-1's for x86 (m5, c5) or Graviton (m6g) types; None: no reference."""
    row = AWS.get(region)
    if row is None:
        return None
    return _ratio(row, AWS[AWS_BASE], (2,) if arch == "arm64" else (0, 1))


def gcp_ratio(region: str, series: str) -> float | None:
    """A region's price over us-central1's for a machine series: the series' own where the catalog
    prices it there, else N2's (E2's where N2 is not offered; the two agree region by region)."""
    row = GCP.get(region)
    if row is None:
        return None
    base = GCP[GCP_BASE]
    if series in GCP_REFERENCE:
        own = _ratio(row, base, (GCP_REFERENCE.index(series),))
        if own is not None:
            return own
    return _ratio(row, base, (0,)) or _ratio(row, base, (1,))


def source(region: str | None) -> str:
    """Where a region's reference prices come from."""
    return AWS_OTHER_SOURCE if region in AWS_OTHER else SOURCE
