"""A small, dated table of on-demand list prices for the offline plan's cost estimate.

Linux on-demand USD per hour, as published by AWS and Google Cloud for the regions the
committed stacks use; rounded, checked on PRICES_AS_OF. An estimate for reviewers, not a bill:
no storage, traffic, discounts or Spot. A type or region missing here is priced "unknown" (never
$0), and a total that leaves one out says it is incomplete. Every priced region and type is one
the catalog knows (a test keeps it so).
"""

from __future__ import annotations

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
    # AWS us-east-1 (N. Virginia)
    ("us-east-1", "m5a.2xlarge"): 0.344,
    ("us-east-1", "m5.2xlarge"): 0.384,
    ("us-east-1", "m6i.2xlarge"): 0.384,
    ("us-east-1", "m6g.2xlarge"): 0.308,
    ("us-east-1", "m7g.2xlarge"): 0.3264,
    ("us-east-1", "c6g.2xlarge"): 0.272,
    ("us-east-1", "t4g.medium"): 0.0336,
    # GCP europe-west4 (Netherlands)
    ("europe-west4", "n2-standard-4"): 0.214,
    ("europe-west4", "n2-standard-8"): 0.428,
    ("europe-west4", "e2-standard-8"): 0.295,
    ("europe-west4", "t2a-standard-4"): 0.169,
    ("europe-west4", "t2a-standard-8"): 0.339,
    # GCP us-central1 (Iowa)
    ("us-central1", "n2-standard-8"): 0.389,
    ("us-central1", "t2a-standard-8"): 0.308,
}

# Managed control plane per cluster and hour: the GKE Standard cluster fee; EKS by support phase
# (standard $0.10, extended $0.60: EKS pricing, "Amazon EKS extended support").
CONTROL_PLANE_HOURLY = {"eks": 0.10, "gke": 0.10, "openshift": 0.0}
EKS_EXTENDED_SUPPORT_HOURLY = 0.60


def hourly(region: str | None, instance_type: str) -> float | None:
    if region is None:
        return None
    return HOURLY.get((region, instance_type))


def monthly(hourly_price: float, nodes: int) -> float:
    return round(hourly_price * HOURS_PER_MONTH * nodes, 2)
