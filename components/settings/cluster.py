"""The cluster: its shape per platform, its region, its Kubernetes (or OpenShift) version against
the dated tables of `components/catalog/lifecycle.py`, and the quotas the account may have raised."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator
from pydantic.alias_generators import to_camel

from .. import limits, regions, versions
from ..catalog import api, aws, lifecycle
from .base import PROJECT, Pending, _Context, _Model, _no_numbers


class Quotas(_Model):
    """The account's service quotas as raised (defaults: AWS's)."""

    nodes_per_node_group: int = Field(default=limits.EKS_NODES_PER_NODE_GROUP.default, ge=1)
    node_groups_per_cluster: int = Field(default=limits.EKS_NODE_GROUPS_PER_CLUSTER.default, ge=1)
    # eks, openshift: EFS access points per file system (each build workspace is one)
    efs_access_points_per_file_system: int = Field(default=limits.EFS_ACCESS_POINTS_PER_FILE_SYSTEM.default, ge=1)


class Cluster(_Model):
    name: Annotated[str, Field(pattern=r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$")]
    version: str | None = None  # eks/gke: default versions.DEFAULT_KUBERNETES_VERSION
    unlisted_version: bool = False  # the version is newer than components/catalog/lifecycle.py
    openshift_version: str | None = None  # openshift: the cluster's 4.y (checks the Pipelines channel)
    create: bool = True
    # Pending (an Output, checked when it resolves): the identifiers a consumer's own resources
    # produce. The lists' lengths stay plain: a mount target and a discovery tag per subnet.
    vpc_id: str | Pending | None = None
    subnet_ids: tuple[str | Pending, ...] = ()
    endpoint_public_access: bool = True
    public_access_cidrs: tuple[str | Pending, ...] = ("0.0.0.0/0",)
    location: str | None = None
    network: str | Pending | None = None  # gke, created: the VPC network (default: the project's default)
    subnetwork: str | Pending | None = None  # gke, created: the subnetwork in `location`'s region
    infrastructure_name: str | Pending | None = None
    zones: tuple[str, ...] = ()
    unlisted_region: bool = False  # the region is newer than components/regions.py: skip that check
    quotas: Quotas = Quotas()  # eks

    _version_not_number = field_validator("version", "openshift_version", mode="before")(_no_numbers)

    @field_validator("version")
    @classmethod
    def _version_shape(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"1\.\d{2}", v):
            raise ValueError(f'{v!r} is not a Kubernetes minor version such as "1.34"')
        return v

    @field_validator("openshift_version")
    @classmethod
    def _openshift_shape(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"4\.\d{1,2}", v):
            raise ValueError(f'{v!r} is not an OpenShift minor version such as "4.18"')
        return v

    @field_validator("vpc_id")
    @classmethod
    def _vpc_shape(cls, v: str | Pending | None) -> str | Pending | None:
        problem = isinstance(v, str) and v and limits.ec2_id_problem(v, "vpc")
        if problem:
            raise ValueError(f"{v!r} is not a VPC id: {problem}")
        return v

    @field_validator("subnet_ids")
    @classmethod
    def _subnet_shape(cls, v: tuple[str | Pending, ...]) -> tuple[str | Pending, ...]:
        bad = [s for s in v if isinstance(s, str) and limits.ec2_id_problem(s, "subnet")]
        if bad:
            raise ValueError(f"{', '.join(map(repr, bad))} not subnet ids: {limits.ec2_id_problem(bad[0], 'subnet')}")
        return v

    @field_validator("network", "subnetwork")
    @classmethod
    def _gcp_network_shape(cls, v: str | Pending | None, info: ValidationInfo) -> str | Pending | None:
        problem = isinstance(v, str) and limits.gcp_network_problem(v, info.field_name or "network")
        if problem:
            raise ValueError(f"{v!r} is not a {info.field_name}: {problem}")
        return v

    @property
    def kubernetes_version(self) -> str:
        return self.version or versions.DEFAULT_KUBERNETES_VERSION


def _check_platform(ctx: _Context, gcp_project: str | None, errors: list[str]) -> None:
    c = ctx.cluster
    at = f"{PROJECT}:cluster"
    if ctx.platform in ("eks", "openshift") and not ctx.aws_region:
        errors.append(f"aws:region: required for platform {ctx.platform} (pulumi config set aws:region eu-west-3)")
    if ctx.platform == "gke" and not gcp_project:
        errors.append("gcp:project: required for platform gke (pulumi config set gcp:project my-project)")
    if c is None:
        return

    def unused(*keys: str) -> None:
        for key in keys:
            if key in c.model_fields_set or to_camel(key) in c.model_fields_set:
                errors.append(f"{at}.{to_camel(key)}: not used on platform {ctx.platform}")

    if ctx.platform == "eks":
        if c.create and len(c.subnet_ids) < 2:
            errors.append(
                f"{at}.subnetIds: {list(c.subnet_ids)} has {len(c.subnet_ids)} subnet(s); EKS needs "
                "private subnets in at least two availability zones"
            )
        unused("location", "network", "subnetwork", "infrastructure_name", "zones", "openshift_version")
    elif ctx.platform == "gke":
        if not c.location:
            errors.append(f"{at}.location: required for platform gke (a region such as europe-west4, or a zone)")
        unused("vpc_id", "subnet_ids", "infrastructure_name", "zones", "openshift_version", "quotas")
        if not c.create:
            for key in ("network", "subnetwork"):
                if key in c.model_fields_set:
                    errors.append(f"{at}.{key}: only for a cluster the stack creates (create: false adopts one)")
    elif ctx.platform == "openshift":
        _check_openshift(ctx, errors)
        unused("version", "location", "network", "subnetwork", "subnet_ids")
        for key in ("nodes_per_node_group", "node_groups_per_cluster"):
            if key in c.quotas.model_fields_set:
                errors.append(f"{at}.quotas.{to_camel(key)}: an EKS quota: not used on openshift")


# openshift-install's infrastructure name: the cluster name cut to 21 characters, "-", 5 random
# lowercase letters and digits (installer pkg/types/installconfig: InfraID).
INFRA_NAME = re.compile(r"[a-z0-9]([-a-z0-9]{0,25}[a-z0-9])?")


def _check_openshift(ctx: _Context, errors: list[str]) -> None:
    c = ctx.cluster
    assert c is not None
    at = f"{PROJECT}:cluster"
    if not c.infrastructure_name:
        errors.append(
            f"{at}.infrastructureName: required on openshift; find it with "
            "`oc get infrastructure cluster -o jsonpath='{.status.infrastructureName}'`"
        )
    elif isinstance(c.infrastructure_name, str) and not INFRA_NAME.fullmatch(c.infrastructure_name):
        errors.append(
            f"{at}.infrastructureName: {c.infrastructure_name!r} is not an OpenShift infrastructure name: expected "
            "at most 27 lowercase letters, digits and -, as openshift-install derives it (the cluster name cut to "
            "21 characters, - and 5 random characters); copy it from "
            "`oc get infrastructure cluster -o jsonpath='{.status.infrastructureName}'`"
        )
    if not c.zones:
        errors.append(
            f"{at}.zones: required on openshift: the availability zones for the MachineSets, "
            "e.g. [eu-west-3a, eu-west-3b]"
        )
    region = ctx.aws_region
    known = aws.catalog().zones_of(region) if region else None
    for i, zone in enumerate(c.zones):
        if region and not re.fullmatch(rf"{re.escape(region)}[a-z]", zone):
            errors.append(
                f"{at}.zones[{i}]: {zone!r} is not an availability zone of aws:region {region}: expected "
                f"{region} and a lowercase letter, such as {region}a (EC2 availability zone names)"
            )
        elif known is not None and zone not in known:
            errors.append(
                f"{at}.zones[{i}]: {zone!r} is not an availability zone of {region} (its zones: "
                f"{', '.join(sorted(known))}; {aws.source_note()})"
            )
    if len(set(c.zones)) != len(c.zones):
        errors.append(f"{at}.zones: {list(c.zones)} lists a zone twice")
    if c.openshift_version and c.openshift_version not in lifecycle.OPENSHIFT_VERSIONS and not c.unlisted_version:
        errors.append(
            f"{at}.openshiftVersion: {c.openshift_version!r} is not an OpenShift version of the table "
            f"({', '.join(lifecycle.OPENSHIFT_VERSIONS)}; {lifecycle.OPENSHIFT_SOURCE}); a newer one: set "
            f"{at}.unlistedVersion: true"
        )


def _check_region(ctx: _Context, c: Cluster, errors: list[str]) -> None:
    if ctx.platform in ("eks", "openshift") and ctx.aws_region:
        partition = api.partition_of(ctx.aws_region)
        if partition is not None and partition != api.PARTITION:
            errors.append(
                f"aws:region: {ctx.aws_region!r} is in partition {partition}; the stack supports partition "
                f"{api.PARTITION} only (its managed policy ARNs, service principals and public chart registries are "
                f"partition {api.PARTITION}'s): choose a region of partition {api.PARTITION} ({regions.AWS_SOURCE})"
            )
            return
    if c.unlisted_region:
        return
    if ctx.platform in ("eks", "openshift") and ctx.aws_region and ctx.aws_region not in regions.AWS_REGIONS:
        errors.append(
            f"aws:region: {ctx.aws_region!r} is not an AWS region; check the spelling, or set "
            f"{PROJECT}:cluster.unlistedRegion: true for a region newer than the list ({regions.AWS_SOURCE})"
        )
    if ctx.platform == "gke" and c.location and regions.gcp_region_of(c.location) not in regions.GCP_REGIONS:
        errors.append(
            f"{PROJECT}:cluster.location: {c.location!r} is not in a Google Cloud region; check the spelling, or set "
            f"{PROJECT}:cluster.unlistedRegion: true for a region newer than the list (components/regions.py, "
            f"as of {regions.REGIONS_AS_OF})"
        )
    elif ctx.platform == "gke" and c.location and not regions.gcp_location_known(c.location):
        region = regions.gcp_region_of(c.location)
        errors.append(
            f"{PROJECT}:cluster.location: {c.location!r} is not a zone of {region} (its zones: "
            f"{', '.join(regions.gcp_zones(region))}); check the spelling, or set "
            f"{PROJECT}:cluster.unlistedRegion: true for a zone newer than the list (components/regions.py, "
            f"as of {regions.REGIONS_AS_OF})"
        )


def _check_version(ctx: _Context, c: Cluster, errors: list[str], warnings: list[str]) -> None:
    """The Kubernetes minor against the platform's table (eks, gke)."""
    table = lifecycle.KUBERNETES.get(ctx.platform or "")
    if table is None:
        return
    at = f"{PROJECT}:cluster.version"
    v = c.kubernetes_version
    shown = repr(v) if c.version else f"{v!r} (the default)"
    offered = table.offered()
    source = f"{table.source}, as of {lifecycle.AS_OF}"
    span = f"{table.platform} offers {', '.join(offered)}"
    newest_k8s = lifecycle.KUBERNETES_NEWEST
    if lifecycle.minor_key(v) > lifecycle.minor_key(newest_k8s):
        errors.append(
            f"{at}: {shown} is not a Kubernetes release: the newest is {newest_k8s} ({lifecycle.KUBERNETES_SOURCE}); "
            f"{span} ({source})"
        )
        return
    minor = table.minors.get(v)
    if minor is None:
        if lifecycle.minor_key(v) < lifecycle.minor_key(min(table.minors, key=lifecycle.minor_key)):
            errors.append(f"{at}: {shown} is no longer offered by {table.platform}: {span} ({source})")
        elif not c.unlisted_version:
            errors.append(
                f"{at}: {shown} is newer than the {table.platform} table: {span} ({source}); if "
                f"{table.platform} offers it now, set {PROJECT}:cluster.unlistedVersion: true"
            )
        return
    phase = minor.phase()
    if phase == "end of life":
        errors.append(
            f"{at}: {shown} reached the end of {table.platform} extended support on {minor.end_of_extended}: "
            f"{span} ({source})"
        )
    elif phase == "extended":
        upgrade = table.next_standard(v) or offered[-1]
        warnings.append(
            f"{at}: {v} is in {table.platform} extended support since {minor.end_of_standard} (until "
            f"{minor.end_of_extended}): the control plane is billed at the extended rate; upgrade to {upgrade} "
            f"or later ({source})"
        )
