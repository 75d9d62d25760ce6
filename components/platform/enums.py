"""BuildPlatform's closed vocabularies: the enums of the schema (their values are the stack file's)."""

# No `from __future__ import annotations`: the Pulumi SDK's component analyzer reads these annotations
# as objects, and the docstrings under each field, to infer the schema for the other languages.

import enum
import inspect

# --- the closed vocabularies --------------------------------------------------------------------


class Platform(str, enum.Enum):
    """Where the cluster runs."""

    EKS = "eks"
    """Amazon EKS: a cluster created or adopted by name, managed node groups or Karpenter."""
    GKE = "gke"
    """Google Kubernetes Engine: node pools or ComputeClasses."""
    OPENSHIFT = "openshift"
    """An existing OpenShift cluster on AWS, reached by its kubeconfig: MachineSets."""


class Arch(str, enum.Enum):
    """A CPU architecture, in Kubernetes' vocabulary."""

    AMD64 = "amd64"
    """x86-64."""
    ARM64 = "arm64"
    """64-bit Arm (Graviton, Axion, Ampere)."""


class Engine(str, enum.Enum):
    """What scales the build pools."""

    CLUSTER_AUTOSCALER = "cluster-autoscaler"
    """The Kubernetes Cluster Autoscaler (eks), GKE's autoscaler (gke), OpenShift's (openshift)."""
    KARPENTER = "karpenter"
    """eks: Karpenter launches the instances a pending build needs; build pools idle at zero."""
    COMPUTE_CLASS = "compute-class"
    """gke: GKE creates each build pool from a ComputeClass that falls back across series."""


class CapacityType(str, enum.Enum):
    """How instances are bought."""

    ON_DEMAND = "ON_DEMAND"
    """On-demand."""
    SPOT = "SPOT"
    """Spot (EC2) or Spot VMs (GKE): cheaper, reclaimable."""


class TaintEffect(str, enum.Enum):
    """A taint's effect, in Kubernetes' words."""

    NO_SCHEDULE = "NoSchedule"
    """Pods that do not tolerate it are not scheduled there."""
    PREFER_NO_SCHEDULE = "PreferNoSchedule"
    """The scheduler avoids the node for pods that do not tolerate it."""
    NO_EXECUTE = "NoExecute"
    """Pods that do not tolerate it are evicted."""


# The schema's descriptions: the analyzer takes a class's from `__doc__` as written, and Python 3.11
# keeps the indentation of its continuation lines. Cleaned here, once, for every language's docs.
for _cls in [v for v in list(globals().values()) if isinstance(v, type) and v.__module__ == __name__]:
    _cls.__doc__ = inspect.cleandoc(_cls.__doc__ or "")
