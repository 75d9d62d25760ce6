"""Dated, hand-kept tables of what the platforms support: Kubernetes minors on EKS and GKE, the
AL2023 AMI releases Karpenter's nodes boot, published Tekton releases, and OpenShift versions
with the OpenShift Pipelines channels each takes. No package ships these offline; each table says
where it comes from and when it was read. Support phases are judged as of AS_OF, not of the
day a plan runs, so a plan is the same tomorrow; refreshing the tables is a reviewed change.

Each table has a documented way out for what is newer than it (docs/configuration.md, "The cloud catalog"):
`cluster.unlistedVersion`, `autoscaling.clusterAutoscalerVersion`, `autoscaling.karpenter.amiAlias`,
`pipelines.unlistedVersion`, `pipelines.unlistedChannel`.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Literal

AS_OF = "2026-11-30"

Phase = Literal["standard", "extended", "end of life"]

# The newest Kubernetes minor released upstream (kubernetes.io/releases; kubernetes-validate ships
# its schemas, and a test keeps the two equal): a version above it does not exist anywhere.
KUBERNETES_NEWEST = "1.37"
KUBERNETES_SOURCE = "kubernetes.io releases, as of 2026-11-30"


@dataclass(frozen=True)
class Minor:
    version: str  # "1.33"
    released: str  # ISO date the platform first offered it
    end_of_standard: str | None  # None: not published (GKE: see its table's note)
    end_of_extended: str | None

    def phase(self, on: str = AS_OF) -> Phase:
        if self.end_of_extended is not None and on >= self.end_of_extended:
            return "end of life"
        if self.end_of_standard is not None and on >= self.end_of_standard:
            return "extended"
        return "standard"


@dataclass(frozen=True)
class KubernetesTable:
    platform: str  # "EKS", "GKE"
    source: str
    minors: dict[str, Minor]

    def offered(self, on: str = AS_OF) -> list[str]:
        """The minors a new cluster can be created with, oldest first."""
        ordered = sorted(self.minors.items(), key=lambda kv: minor_key(kv[0]))
        return [v for v, m in ordered if m.phase(on) != "end of life"]

    def next_standard(self, version: str, on: str = AS_OF) -> str | None:
        """The oldest minor above `version` still in standard support (the upgrade to suggest)."""
        above = [v for v in self.offered(on) if minor_key(v) > minor_key(version)]
        return next((v for v in above if self.minors[v].phase(on) == "standard"), None)

    @property
    def newest(self) -> str:
        return max(self.minors, key=minor_key)


def minor_key(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


# Amazon EKS release calendar ("Understand the Kubernetes version lifecycle on EKS", EKS User Guide,
# docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html, read 2026-04-24 and 2026-11):
# 14 months of standard support from release, then 12 of extended support (control plane
# $0.60/h instead of $0.10/h), then an automatic upgrade.
EKS = KubernetesTable(
    "EKS",
    "EKS User Guide, Kubernetes release calendar",
    {
        "1.29": Minor("1.29", "2024-01-23", "2025-03-23", "2026-03-23"),
        "1.30": Minor("1.30", "2024-05-23", "2025-07-23", "2026-07-23"),
        "1.31": Minor("1.31", "2024-09-26", "2025-11-26", "2026-11-26"),
        "1.32": Minor("1.32", "2025-01-23", "2026-03-23", "2027-03-23"),
        "1.33": Minor("1.33", "2025-05-29", "2026-07-29", "2027-07-29"),
        "1.34": Minor("1.34", "2025-10-02", "2026-12-02", "2027-12-02"),
        "1.35": Minor("1.35", "2026-01-27", "2027-03-27", "2028-03-27"),
    },
)

# GKE: the minors the REGULAR release channel (the stack's) offers for new clusters, from the GKE
# release notes' "Current versions" table (docs.cloud.google.com/kubernetes-engine/docs/release-notes,
# 2026 snapshot: Regular 1.33 to 1.36). GKE publishes per-minor dates only as estimates (release
# schedule page), so none are kept: a minor is offered or it is not.
GKE = KubernetesTable(
    "GKE",
    "GKE release notes, current versions of the Regular channel",
    {v: Minor(v, "", None, None) for v in ("1.33", "1.34", "1.35", "1.36")},
)

KUBERNETES: dict[str, KubernetesTable] = {"eks": EKS, "gke": GKE}

# GKE features engine compute-class uses, with the first minor that has each (GKE docs: "About
# custom ComputeClasses", "About node pool auto-creation", the ComputeClass CRD reference; read 2026-11).
GKE_FEATURES_SOURCE = "GKE ComputeClass and node pool auto-creation docs, hand-kept, read 2026-11"
GKE_FEATURES: dict[str, tuple[str, str]] = {
    "ComputeClass": ("1.30", "custom ComputeClasses in Standard clusters, from 1.30.3-gke.1451000"),
    "nodePoolAutoCreation in a ComputeClass": (
        "1.33",
        "node pools created for a class without cluster-wide auto-provisioning, from 1.33.3",
    ),
    "nodePoolConfig.taintConfig": ("1.34", "a class's explicit architectureTaintBehavior"),
}

# EKS-optimized AL2023 AMI releases (awslabs/amazon-eks-ami releases): the Kubernetes minors each
# release published AMIs for. A Karpenter alias al2023@<release> finds no AMI for a minor its
# release does not cover, and the NodePool never launches a node.
AL2023_RELEASES: dict[str, tuple[str, str]] = {
    "v20250915": ("1.30", "1.34"),
    "v20260209": ("1.30", "1.35"),
}
AMI_ALIAS = re.compile(r"al2023@(latest|v\d{8})")


def alias_date_problem(alias: str, today: datetime.date | None = None) -> str | None:
    """Why a pinned alias's vYYYYMMDD names no release: not a date, or a day yet to come (the one
    check judged on the day the plan runs: tomorrow can only accept more)."""
    m = AMI_ALIAS.fullmatch(alias)
    if m is None or m[1] == "latest":
        return None
    try:
        day = datetime.datetime.strptime(m[1], "v%Y%m%d").date()
    except ValueError:
        return f"{m[1]} is not a date"
    if day > (today or datetime.date.today()):
        return f"{m[1]} is a day yet to come"
    return None


def alias_covers(alias: str, version: str) -> bool | None:
    """Whether an AL2023 alias has AMIs for a minor: None when its release is not in the table."""
    m = AMI_ALIAS.fullmatch(alias)
    if m is None or m[1] == "latest" or m[1] not in AL2023_RELEASES:
        return None
    low, high = AL2023_RELEASES[m[1]]
    return minor_key(low) <= minor_key(version) <= minor_key(high)


# Tekton Pipelines releases (github.com/tektoncd/pipeline/releases; tekton.dev blog posts of each
# release, read 2026-11): per minor, the newest patch known to be published. v0.50 is the first
# with `coschedule` (the stack's floor); v0.68 was the last 0.x before v1.0.0 (2025-05).
TEKTON_SOURCE = "tektoncd/pipeline GitHub releases and the tekton.dev release posts, read 2026-11"
TEKTON_NEWEST_PATCH: dict[tuple[int, int], int] = {
    (0, 50): 5, (0, 51): 0, (0, 52): 1, (0, 53): 5, (0, 54): 0, (0, 55): 0, (0, 56): 5, (0, 57): 0,
    (0, 58): 0, (0, 59): 5, (0, 60): 1, (0, 61): 1, (0, 62): 7, (0, 63): 0, (0, 64): 0, (0, 65): 5,
    (0, 66): 0, (0, 67): 0, (0, 68): 1,
    (1, 0): 1, (1, 1): 0, (1, 2): 0, (1, 3): 2, (1, 4): 0, (1, 5): 0, (1, 6): 1, (1, 7): 0, (1, 8): 0,
    (1, 9): 2, (1, 10): 2, (1, 11): 2, (1, 12): 0, (1, 13): 0, (1, 14): 0, (1, 15): 1, (1, 16): 0,
    (1, 17): 0,
}  # fmt: skip


def tekton_problem(major: int, minor: int, patch: int) -> str | None:
    """Why vX.Y.Z is not a published Tekton release (None: it is)."""
    newest = max(TEKTON_NEWEST_PATCH)
    if (major, minor) not in TEKTON_NEWEST_PATCH:
        if (major, minor) > newest:
            latest = f"v{newest[0]}.{newest[1]}.{TEKTON_NEWEST_PATCH[newest]}"
            return f"is newer than the newest release in the table ({latest})"
        return f"v{major}.{minor} was never released"
    top = TEKTON_NEWEST_PATCH[(major, minor)]
    if patch > top:
        return f"the newest v{major}.{minor} patch in the table is v{major}.{minor}.{top}"
    return None


# OpenShift Container Platform minors, and the OpenShift Pipelines channels of the
# openshift-pipelines-operator-rh package with the OpenShift versions each supports (Red Hat,
# "OpenShift Operator Life Cycles" and the OpenShift Pipelines release notes, read 2026-11).
# `latest` follows the newest release and is offered on every listed OpenShift version.
OPENSHIFT_SOURCE = "Red Hat OpenShift Operator Life Cycles and OpenShift Pipelines release notes, read 2026-11"
OPENSHIFT_VERSIONS = ("4.14", "4.15", "4.16", "4.17", "4.18", "4.19", "4.20", "4.21")
PIPELINES_CHANNELS: dict[str, tuple[str, str]] = {
    "latest": ("4.14", "4.21"),
    "pipelines-1.14": ("4.12", "4.15"),
    "pipelines-1.15": ("4.14", "4.16"),
    "pipelines-1.16": ("4.15", "4.17"),
    "pipelines-1.17": ("4.15", "4.18"),
    "pipelines-1.18": ("4.15", "4.19"),
    "pipelines-1.19": ("4.15", "4.19"),
    "pipelines-1.20": ("4.16", "4.20"),
    "pipelines-1.21": ("4.16", "4.21"),
}


def channel_supports(channel: str, openshift: str) -> bool:
    low, high = PIPELINES_CHANNELS[channel]
    return minor_key(low) <= minor_key(openshift) <= minor_key(high)
