"""Every pinned version the stack deploys, in one place.

Bump here, nowhere else; the plan and the tests read these names.
"""

from __future__ import annotations

import json
from pathlib import Path

# Kubernetes version a new EKS/GKE cluster gets when `cluster.version` is not set.
DEFAULT_KUBERNETES_VERSION = "1.35"  # the newest minor both EKS and GKE offer (components/catalog/lifecycle.py)

# EKS stopped publishing AL2 AMIs with Kubernetes 1.33: AL2 AMI types are refused from there on.
EKS_AL2_LAST_MINOR = 32

# Root volume of build nodes (GiB): image layers and buildah's vfs storage.
DEFAULT_NODE_DISK_GIB = 100

# GitLab runner: the official chart (https://charts.gitlab.io). Chart 0.80.0 ships runner 18.3.0.
GITLAB_RUNNER_CHART = "gitlab-runner"
GITLAB_RUNNER_CHART_REPO = "https://charts.gitlab.io"
GITLAB_RUNNER_CHART_VERSION = "0.80.0"

# EKS add-ons (`aws eks describe-addon-versions --addon-name ...` lists what a cluster version takes).
EFS_CSI_ADDON = "aws-efs-csi-driver"
EFS_CSI_ADDON_VERSION = "v2.1.4-eksbuild.1"
POD_IDENTITY_ADDON = "eks-pod-identity-agent"
POD_IDENTITY_ADDON_VERSION = "v1.3.4-eksbuild.1"

# OpenShift: the AWS EFS CSI Driver Operator from OLM.
EFS_OPERATOR_PACKAGE = "aws-efs-csi-driver-operator"
EFS_OPERATOR_CHANNEL = "stable"
OLM_CATALOG_SOURCE = "redhat-operators"

# Upstream Tekton Pipelines (eks, gke): the release manifest attached to the GitHub release.
TEKTON_DEFAULT_VERSION = "v1.9.0"  # LTS line
TEKTON_MIN_VERSION = (0, 50, 0)  # first release with `coschedule`
TEKTON_RELEASE_URL = "https://github.com/tektoncd/pipeline/releases/download/{version}/release.yaml"
# Tekton Pruner (tektoncd/pruner): deletes finished runs by the stack's retention (eks, gke). Its
# release manifests, from the project's release bucket (tektoncd/pruner tekton/release-cheat-sheet.md).
TEKTON_PRUNER_VERSION = "v0.4.1"
TEKTON_PRUNER_RELEASE_URL = "https://infra.tekton.dev/tekton-releases/pruner/previous/{version}/release.yaml"

# OpenShift Pipelines (openshift): the Red Hat operator from OLM.
OPENSHIFT_PIPELINES_PACKAGE = "openshift-pipelines-operator-rh"
OPENSHIFT_PIPELINES_DEFAULT_CHANNEL = "latest"

# Images, by tag and by the digest of the tag's multi-arch index: a tag is re-pushed (buildah's on every
# rebuild of its base), a digest names one index for good. `python -m tools.pins` resolves each tag's
# digest from its registry (skopeo inspect --raw: the digest is the sha256 of the index) and writes
# `image_digests.json`; an image without a digest there is referenced by its tag, and the plan says so.
IMAGE_DIGESTS_FILE = Path(__file__).resolve().parent / "image_digests.json"
IMAGE_DIGESTS: dict[str, str] = json.loads(IMAGE_DIGESTS_FILE.read_text())["digests"]


def pinned(image: str) -> str:
    """`repo:tag@sha256:...` when the tag's digest is resolved, else `repo:tag`."""
    digest = IMAGE_DIGESTS.get(image)
    return f"{image}@{digest}" if digest else image


# The images the build pipeline and the CI/CD component run: one builder everywhere (buildah, vfs
# storage, chroot isolation: root and SETFCAP in its container, nothing privileged).
GIT_IMAGE_TAG = "docker.io/alpine/git:v2.47.2"
BUILDAH_IMAGE_TAG = "quay.io/buildah/stable:v1.39.0"
# qemu binfmt registration: tonistiigi/binfmt is maintained (multiarch/qemu-user-static stopped in 2023).
BINFMT_IMAGE_TAG = "docker.io/tonistiigi/binfmt:qemu-v9.2.2"
# The DaemonSet's long-running container: a shell for its readiness probe of the host's binfmt_misc.
BUSYBOX_IMAGE_TAG = "docker.io/library/busybox:1.37.0"
IMAGES = (GIT_IMAGE_TAG, BUILDAH_IMAGE_TAG, BINFMT_IMAGE_TAG, BUSYBOX_IMAGE_TAG)

GIT_IMAGE = pinned(GIT_IMAGE_TAG)
BUILDAH_IMAGE = pinned(BUILDAH_IMAGE_TAG)
BINFMT_IMAGE = pinned(BINFMT_IMAGE_TAG)
BUSYBOX_IMAGE = pinned(BUSYBOX_IMAGE_TAG)

# Cluster Autoscaler (EKS): its minor must match the cluster's. Kubernetes minor -> (chart, image tag),
# one for every minor EKS offers (components/catalog/lifecycle.py; a test keeps it so) and the next.
# A newer minor: `autoscaling.clusterAutoscalerVersion` names the release, on the newest chart.
CLUSTER_AUTOSCALER_CHART = "cluster-autoscaler"
CLUSTER_AUTOSCALER_CHART_REPO = "https://kubernetes.github.io/autoscaler"
CLUSTER_AUTOSCALER_IMAGE = "registry.k8s.io/autoscaling/cluster-autoscaler"
CLUSTER_AUTOSCALER: dict[str, tuple[str, str]] = {
    "1.32": ("9.46.6", "v1.32.1"),
    "1.33": ("9.46.6", "v1.33.0"),
    "1.34": ("9.59.0", "v1.34.5"),
    "1.35": ("9.59.0", "v1.35.2"),
    "1.36": ("9.59.0", "v1.36.1"),
}
CLUSTER_AUTOSCALER_NEWEST_CHART = "9.59.0"

# Karpenter (EKS, `autoscaling.engine: karpenter`): the controller chart and its CRD chart (Helm does
# not upgrade CRDs in a chart's crds/ directory; the karpenter-crd chart does), same version.
KARPENTER_CHART = "karpenter"
KARPENTER_CRD_CHART = "karpenter-crd"
KARPENTER_CHART_REPO = "oci://public.ecr.aws/karpenter"
KARPENTER_VERSION = "1.14.1"
# The EKS-optimized AL2023 AMI release Karpenter's nodes boot (amiSelectorTerms alias), per Kubernetes
# minor: a release has AMIs only for the minors EKS offered then (components/catalog/lifecycle.py,
# AL2023_RELEASES). Pinned, as Karpenter recommends: bumping it drifts the nodes, which Karpenter
# replaces (never mid-build: build pods carry karpenter.sh/do-not-disrupt). A newer minor:
# `autoscaling.karpenter.amiAlias`.
KARPENTER_AMI_ALIASES: dict[str, str] = {
    "1.32": "al2023@v20250915",
    "1.33": "al2023@v20250915",
    "1.34": "al2023@v20250915",
    "1.35": "al2023@v20260209",
}
# The system node group's default: one small Graviton burstable instance.
SYSTEM_POOL_INSTANCE_TYPE = "t4g.medium"
# GKE's system node pool: one e2-standard-2 (every zone offers it). A shared-core e2-medium keeps
# 940m CPU for pods, and GKE's own kube-system pods and DaemonSets take most of it: the stack's
# controllers would spill onto a build pool (components/placement/, catalog/nodes.py).
GKE_SYSTEM_POOL_INSTANCE_TYPE = "e2-standard-2"
# Karpenter's terminationGracePeriod beyond the longest build timeout: time to upload and clean up.
KARPENTER_DRAIN_MARGIN_MINUTES = 15
