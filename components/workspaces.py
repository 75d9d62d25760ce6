"""The build's workspaces, as data: what each PipelineRun binds (its names and sizes), and where the
workspace lives per platform. EKS and OpenShift: a `volumeClaimTemplate` per workspace and run (an
EFS access point each, made in seconds). GKE: one shared Filestore volume, made with the stack,
each run in its own directory (`subPath`): the Filestore CSI driver creates a Filestore instance per
claim (at least 1 TiB on the standard tier, minutes to provision), which a build must not wait for
nor pay twice a run. Pure: the pipeline, the plan's steady state and the cost read it."""

from __future__ import annotations

from typing import Literal

# name -> the size a run claims (the template's volumeClaimTemplate requests).
WORKSPACES: dict[str, str] = {"source": "1Gi", "oci-images": "10Gi"}
WORKSPACE_GIB = 11  # their sum: what one run may hold at once

# GKE: the shared claim, in the pipelines' namespace, and each run's directory on it (Tekton
# substitutes context variables in a PipelineRun's workspace subPath since v0.46).
SHARED_CLAIM = "multiarch-workspaces"
RUN_DIRECTORY = "$(context.pipelineRun.name)"
ROOT_WORKSPACE = "workspaces-root"  # the shared volume's root, bound for the cleanup task only
DEFAULT_SHARED_SIZE = "1Ti"  # Filestore's standard tier (BASIC_HDD): 1 TiB at least

Mode = Literal["per-run-claims", "shared-volume"]


def mode(platform: str) -> Mode:
    return "shared-volume" if platform == "gke" else "per-run-claims"
