"""Who scales the pools: the Cluster Autoscaler (or OpenShift's, or GKE's own) or Karpenter (eks).

The models; their checks are `checks.py` (per engine: `karpenter.py`, `computeclass.py`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ... import arch, versions
from ..base import CapacityType, _Model
from ..durations import AutoscalerDuration, ConsolidateAfter, GracePeriod
from ..pools import NodeCapacity

Arch = arch.Arch


class Range(_Model):
    min: int = Field(default=0, ge=0)
    max: int = Field(ge=1)


class AutoscalingLimits(_Model):
    """Cluster-wide bounds (the Cluster Autoscaler's --max-nodes-total / --cores-total / --memory-total)."""

    max_nodes_total: int = Field(default=50, ge=1)
    cores: Range = Range(min=0, max=400)
    memory_gib: Range = Range(min=0, max=1600)


Engine = Literal["cluster-autoscaler", "karpenter", "compute-class"]
KARPENTER: Engine = "karpenter"
COMPUTE_CLASS: Engine = "compute-class"


class SystemPool(_Model):
    """The small pool the cluster's controllers run on: Karpenter's system node group (eks, engine
    karpenter: `autoscaling.karpenter.systemPool`) or GKE's system node pool (`autoscaling.systemPool`,
    on by default), so that every build pool can idle at zero nodes.

    Nothing autoscales it on EKS: it keeps `minSize` nodes; `maxSize` is the room for scaling it by
    hand (GKE's autoscaler keeps it within both). Its nodes are tainted CriticalAddonsOnly, so builds
    never land there.
    """

    enabled: bool = True  # gke: false keeps the older layout (the controllers share the build pools)
    instance_type: str = Field(default="", min_length=0)  # default: t4g.medium (eks), e2-standard-2 (gke)
    unlisted_instance_type: bool = False  # newer than components/catalog: skip its checks
    arch: Arch | None = None  # default: the instance type's (required with unlistedInstanceType)
    node_capacity: NodeCapacity | None = None  # with unlistedInstanceType: its vCPU and memory
    min_size: int = Field(default=1, ge=1)
    max_size: int = Field(default=2, ge=1)
    capacity_type: CapacityType = "ON_DEMAND"
    disk_size: int = Field(default=20, ge=20)  # GiB: controllers only, no image layers

    def unlisted_problems(self, at: str, platform: str) -> list[str]:
        """What a type newer than the catalog must state: its arch and size (the placement model puts
        the controllers on it), and only then."""
        out = []
        if self.unlisted_instance_type:
            if self.arch is None:
                out.append(f"{at}.arch: required with unlistedInstanceType (amd64 or arm64: the catalog cannot say)")
            if self.node_capacity is None:
                out.append(
                    f"{at}.nodeCapacity: required with unlistedInstanceType: the catalog has no vCPU and memory for "
                    f"{self.type_on(platform)}, and the placement model needs them to put the controllers on it; "
                    "state {vcpu, memoryMiB}"
                )
        else:
            for key, value in (("arch", self.arch), ("nodeCapacity", self.node_capacity)):
                if value is not None:
                    errors = f"the catalog knows {self.type_on(platform)}'s"
                    out.append(f"{at}.{key}: only with unlistedInstanceType ({errors})")
        return out

    def type_on(self, platform: str | None) -> str:
        return self.instance_type or (
            versions.GKE_SYSTEM_POOL_INSTANCE_TYPE if platform == "gke" else versions.SYSTEM_POOL_INSTANCE_TYPE
        )


class Karpenter(_Model):
    """Karpenter's knobs (engine karpenter)."""

    # How long an empty or underused node stays: a burst's nodes wait this long for the next jobs.
    consolidate_after: ConsolidateAfter = "5m"  # or Never
    # How long a node Karpenter wants gone (expired, drifted) may keep running builds before it is
    # drained anyway (do-not-disrupt holds it until then). Default: the longest build timeout (the
    # CI jobs', the PipelineRuns') plus a margin; never unbounded.
    termination_grace_period: GracePeriod | None = None
    system_pool: SystemPool = SystemPool()
    # The AL2023 release the nodes boot (al2023@vYYYYMMDD); default: versions.KARPENTER_AMI_ALIASES for
    # the cluster's minor. Set it for a minor newer than that table.
    ami_alias: str | None = None


# Node label keys a NodePool's template may not set: Karpenter's own (its CRD's CEL rules refuse most,
# the API server evaluates them, jsonschema does not; the rest would contradict what Karpenter launched).
KARPENTER_RESERVED_LABEL_DOMAINS = ("karpenter.sh", "karpenter.k8s.aws")
KARPENTER_RESERVED_LABELS = ("kubernetes.io/hostname",)


def karpenter_reserved_label(key: str) -> bool:
    domain = key.split("/", 1)[0] if "/" in key else ""
    return key in KARPENTER_RESERVED_LABELS or domain.endswith(KARPENTER_RESERVED_LABEL_DOMAINS)


# Keys only the Cluster Autoscaler (or OpenShift's) reads: refused with engine karpenter.
CLUSTER_AUTOSCALER_KEYS = (
    "expander", "scale_down_delay_after_add", "scale_down_unneeded_time", "limits", "cluster_autoscaler_version",
)  # fmt: skip


class Autoscaling(_Model):
    """Who scales the pools between minSize and maxSize."""

    enabled: bool = True
    engine: Engine = (
        "cluster-autoscaler"  # eks: karpenter; gke: compute-class (GKE ComputeClasses, node pools auto-created)
    )
    karpenter: Karpenter | None = None  # engine karpenter: default Karpenter()
    system_pool: SystemPool | None = None  # gke: the system node pool, on by default
    expander: Literal["least-waste", "random", "most-pods", "priority", "price"] = "least-waste"
    scale_down_delay_after_add: AutoscalerDuration = "10m"  # a burst's nodes stay a while
    scale_down_unneeded_time: AutoscalerDuration = "10m"
    # eks: the Cluster Autoscaler release (image tag, vX.Y.Z) when the cluster's minor is newer than
    # versions.CLUSTER_AUTOSCALER; its minor must be the cluster's.
    cluster_autoscaler_version: str | None = None
    profile: Literal["OPTIMIZE_UTILIZATION", "BALANCED"] = "OPTIMIZE_UTILIZATION"  # gke
    limits: AutoscalingLimits = AutoscalingLimits()

    @property
    def uses_karpenter(self) -> bool:
        return self.enabled and self.engine == KARPENTER

    @property
    def uses_compute_classes(self) -> bool:
        return self.enabled and self.engine == COMPUTE_CLASS

    @property
    def gke_system_pool(self) -> SystemPool:
        return self.system_pool or SystemPool()

    @property
    def karpenter_settings(self) -> Karpenter:
        return self.karpenter or Karpenter()

    def cluster_autoscaler_tag(self, kubernetes_version: str) -> str:
        """The Cluster Autoscaler image tag for the cluster's minor (the settings checked one exists)."""
        return self.cluster_autoscaler_version or versions.CLUSTER_AUTOSCALER[kubernetes_version][1]


def karpenter_ami_alias(k: Karpenter, kubernetes_version: str) -> str:
    """The AL2023 alias Karpenter's nodes boot: the configured one, else the pin for the minor."""
    return k.ami_alias or versions.KARPENTER_AMI_ALIASES[kubernetes_version]
