"""The regions each platform's cloud offers: a misspelt region fails at the first API call of
`pulumi up`; here it fails before.

AWS: the regions of partition `aws`, from botocore's partitions data (`components/catalog/api.py`).
The stack supports partition `aws` only: its IAM policy ARNs (`arn:aws:iam::aws:policy/...`), service
principals and public chart registries are that partition's, so a region of aws-cn, aws-us-gov or an
ISO partition is refused by name, whatever `unlistedRegion` says.
Google Cloud: hand-kept as of REGIONS_AS_OF. A region newer than either list: set
`multiarch:cluster.unlistedRegion: true` in the stack file.
"""

from __future__ import annotations

from components.catalog import api

REGIONS_AS_OF = "2026-11"

AWS_REGIONS = api.regions(api.PARTITION)
AWS_SOURCE = f"AWS partitions, {api.WHERE} ({api.version()})"

GCP_REGIONS = frozenset(
    {
        "africa-south1", "asia-east1", "asia-east2", "asia-northeast1", "asia-northeast2", "asia-northeast3",
        "asia-south1", "asia-south2", "asia-southeast1", "asia-southeast2", "australia-southeast1",
        "australia-southeast2", "europe-central2", "europe-north1", "europe-north2", "europe-southwest1",
        "europe-west1", "europe-west2", "europe-west3", "europe-west4", "europe-west6", "europe-west8",
        "europe-west9", "europe-west10", "europe-west12", "me-central1", "me-central2", "me-west1",
        "northamerica-northeast1", "northamerica-northeast2", "northamerica-south1", "southamerica-east1",
        "southamerica-west1", "us-central1", "us-east1", "us-east4", "us-east5", "us-south1", "us-west1",
        "us-west2", "us-west3", "us-west4",
    }
)  # fmt: skip


def gcp_region_of(location: str) -> str:
    """europe-west4-a -> europe-west4 (a region is its own region)."""
    parts = location.split("-")
    return "-".join(parts[:2]) if len(parts) > 2 else location
