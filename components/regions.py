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

from .catalog import api

REGIONS_AS_OF = "2026-11"

AWS_REGIONS = api.regions(api.PARTITION)
AWS_SOURCE = f"AWS partitions, {api.WHERE} ({api.version()})"

# Each Google Cloud region and the letters of its zones (Compute Engine "Regions and zones", as of
# REGIONS_AS_OF). The zones say where a regional cluster's nodes may run: a pool that must run in
# fewer zones than the region has (the system pool, a series offered in some zones) is pinned to them.
GCP_ZONES: dict[str, tuple[str, ...]] = {
    "africa-south1": ("a", "b", "c"), "asia-east1": ("a", "b", "c"), "asia-east2": ("a", "b", "c"),
    "asia-northeast1": ("a", "b", "c"), "asia-northeast2": ("a", "b", "c"), "asia-northeast3": ("a", "b", "c"),
    "asia-south1": ("a", "b", "c"), "asia-south2": ("a", "b", "c"), "asia-southeast1": ("a", "b", "c"),
    "asia-southeast2": ("a", "b", "c"), "australia-southeast1": ("a", "b", "c"),
    "australia-southeast2": ("a", "b", "c"), "europe-central2": ("a", "b", "c"), "europe-north1": ("a", "b", "c"),
    "europe-north2": ("a", "b", "c"), "europe-southwest1": ("a", "b", "c"), "europe-west1": ("b", "c", "d"),
    "europe-west2": ("a", "b", "c"), "europe-west3": ("a", "b", "c"), "europe-west4": ("a", "b", "c"),
    "europe-west6": ("a", "b", "c"), "europe-west8": ("a", "b", "c"), "europe-west9": ("a", "b", "c"),
    "europe-west10": ("a", "b", "c"), "europe-west12": ("a", "b", "c"), "me-central1": ("a", "b", "c"),
    "me-central2": ("a", "b", "c"), "me-west1": ("a", "b", "c"), "northamerica-northeast1": ("a", "b", "c"),
    "northamerica-northeast2": ("a", "b", "c"), "northamerica-south1": ("a", "b", "c"),
    "southamerica-east1": ("a", "b", "c"), "southamerica-west1": ("a", "b", "c"),
    "us-central1": ("a", "b", "c", "f"), "us-east1": ("b", "c", "d"), "us-east4": ("a", "b", "c"),
    "us-east5": ("a", "b", "c"), "us-south1": ("a", "b", "c"), "us-west1": ("a", "b", "c"),
    "us-west2": ("a", "b", "c"), "us-west3": ("a", "b", "c"), "us-west4": ("a", "b", "c"),
}  # fmt: skip
GCP_REGIONS = frozenset(GCP_ZONES)


def gcp_region_of(location: str) -> str:
    """europe-west4-a -> europe-west4 (a region is its own region)."""
    parts = location.split("-")
    return "-".join(parts[:2]) if len(parts) > 2 else location


def gcp_location_known(location: str) -> bool:
    """A region of the table, or a zone of one."""
    region = gcp_region_of(location)
    if region not in GCP_ZONES:
        return False
    return location == region or location.rsplit("-", 1)[1] in GCP_ZONES[region]


def gcp_zones(location: str) -> tuple[str, ...]:
    """The zones a GKE cluster at `location` may run nodes in: a zone itself, or a region's zones
    (() for a region newer than the table)."""
    if location.count("-") == 2:
        return (location,)
    return tuple(f"{location}-{z}" for z in GCP_ZONES.get(location, ()))
