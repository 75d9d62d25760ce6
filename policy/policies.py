"""The multiarch CrossGuard policies, importable (so tests and the offline plan can use them).

`policy/__main__.py` only builds the PolicyPack from `ALL`. Mandatory policies stop a change;
advisory ones are reported. Props use Pulumi's camelCase wire names. Tunables come from the pack's
config (`pulumi preview --policy-pack policy --policy-pack-config config.json`); each policy falls
back to the schema's default when the engine sends none.

This module is the pack's list (each policy's name, description, level and config schema); the
policies themselves are the modules beside it, one per family: `workloads`, `pipelines`,
`storage`, `capacity`, `taints`, `scc` (and `common`, what they share).
"""

from __future__ import annotations

import sys
from pathlib import Path

from pulumi_policy import EnforcementLevel, PolicyConfigSchema, ResourceValidationPolicy, StackValidationPolicy

# The architecture catalog is the program's own: one mapping, in one place.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from components import arch
from policy.capacity import (
    NODEPOOL_TYPE,
    compute_class_one_arch,
    karpenter_nodepool_arch,
    multi_arch_pools,
    no_al2_ami_types,
    node_pool_arch,
    spot_capacity_fallback,
)
from policy.common import DEFAULT_PRIVILEGED_ALLOWED
from policy.pipelines import gitlab_runner_jobs, tekton_affinity_assistant
from policy.scc import BINDING_TYPES, ROLE_TYPES, SCC_TYPE, scc_grants, scc_privileged_or_host
from policy.storage import NFS_PORT, efs_encrypted_and_protected, nfs_only_from_cluster
from policy.taints import build_pool_taints_tolerated
from policy.workloads import images_pinned, no_plaintext_secrets, privileged_only_binfmt

__all__ = [
    "ALL",
    "ALLOWED_PRIVILEGED",
    "BINDING_TYPES",
    "NODEPOOL_TYPE",
    "ROLE_TYPES",
    "SCC_TYPE",
    "build_pool_taints_tolerated",
    "compute_class_one_arch",
    "efs_encrypted_and_protected",
    "gitlab_runner_jobs",
    "images_pinned",
    "karpenter_nodepool_arch",
    "multi_arch_pools",
    "nfs_only_from_cluster",
    "no_al2_ami_types",
    "no_plaintext_secrets",
    "node_pool_arch",
    "privileged_only_binfmt",
    "scc_grants",
    "scc_privileged_or_host",
    "spot_capacity_fallback",
    "tekton_affinity_assistant",
    "warm_up",
]

MANDATORY, ADVISORY = EnforcementLevel.MANDATORY, EnforcementLevel.ADVISORY

# `allowed`: namespace/name of the workloads (and their service accounts) that may be privileged.
ALLOWED_PRIVILEGED = PolicyConfigSchema(
    properties={"allowed": {"type": "array", "items": {"type": "string"}, "default": DEFAULT_PRIVILEGED_ALLOWED}}
)

ALL = [
    ResourceValidationPolicy(
        name="privileged-only-binfmt",
        description="Only the qemu binfmt DaemonSet may run privileged containers.",
        validate=privileged_only_binfmt,
        enforcement_level=MANDATORY,
        config_schema=ALLOWED_PRIVILEGED,
    ),
    ResourceValidationPolicy(
        name="gitlab-runner-jobs-unprivileged",
        description="GitLab runner jobs are unprivileged and may only choose the kubernetes.io/arch node label.",
        validate=gitlab_runner_jobs,
        enforcement_level=MANDATORY,
        config_schema=PolicyConfigSchema(properties={"allowedLabel": {"type": "string", "default": arch.ARCH_LABEL}}),
    ),
    ResourceValidationPolicy(
        name="efs-encrypted-and-protected",
        description="EFS file systems are encrypted and protected against deletion.",
        validate=efs_encrypted_and_protected,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="nfs-only-from-cluster",
        description="NFS is open only to the cluster's security group, never to a CIDR.",
        validate=nfs_only_from_cluster,
        enforcement_level=MANDATORY,
        config_schema=PolicyConfigSchema(properties={"port": {"type": "integer", "default": NFS_PORT}}),
    ),
    ResourceValidationPolicy(
        name="node-pool-arch-matches",
        description="A node pool's instance type has the architecture of its AMI type (or declared arch).",
        validate=node_pool_arch,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="karpenter-nodepool-arch",
        description="A Karpenter NodePool requires one architecture, and its instance types or families have it.",
        validate=karpenter_nodepool_arch,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="no-plaintext-secrets",
        description="Kubernetes Secrets hold Pulumi secrets; Helm values hold no credentials.",
        validate=no_plaintext_secrets,
        enforcement_level=MANDATORY,
    ),
    StackValidationPolicy(
        name="multi-arch-pools",
        description="The stack has a node pool for more than one architecture.",
        validate=multi_arch_pools,
        enforcement_level=ADVISORY,
    ),
    StackValidationPolicy(
        name="build-pool-taints-tolerated",
        description="Every build pool's taint is tolerated by each build path that runs on that pool's arch.",
        validate=build_pool_taints_tolerated,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="compute-class-one-arch",
        description="A build ComputeClass launches only its arch's series and never falls back to default machines.",
        validate=compute_class_one_arch,
        enforcement_level=MANDATORY,
    ),
    StackValidationPolicy(
        name="spot-capacity-fallback",
        description="A pool that launches Spot capacity has another instance type or on-demand to fall back to.",
        validate=spot_capacity_fallback,
        enforcement_level=ADVISORY,
    ),
    StackValidationPolicy(
        name="tekton-affinity-assistant-off",
        description="Tekton with RWX workspaces runs with the affinity assistant (co-scheduling) disabled.",
        validate=tekton_affinity_assistant,
        enforcement_level=ADVISORY,
    ),
    StackValidationPolicy(
        name="scc-grants-own-service-accounts",
        description="OpenShift SCCs are granted through RBAC `use`, only to service accounts the stack declares.",
        validate=scc_grants,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="scc-no-privileged-or-host",
        description="No SCC allows privileged or host access; only the qemu binfmt DaemonSet is granted one that does.",
        validate=scc_privileged_or_host,
        enforcement_level=MANDATORY,
        config_schema=ALLOWED_PRIVILEGED,
    ),
    ResourceValidationPolicy(
        name="images-pinned",
        description="Container images are pinned to a tag (not latest) or a digest.",
        validate=images_pinned,
        enforcement_level=ADVISORY,
    ),
    ResourceValidationPolicy(
        name="no-al2-ami-types",
        description="EKS node groups do not use end-of-life AL2 AMI types.",
        validate=no_al2_ami_types,
        enforcement_level=ADVISORY,
    ),
]


def warm_up() -> None:
    """Load what the policies read on first use (the instance catalogs, the GCP series), before the
    pack serves: the first analysis then costs what every later one does."""
    from components.catalog import aws, gcp

    aws.catalog()
    gcp.lookup("t2a-standard-8")
    arch.machine(arch.Cloud.AWS, "m6g.2xlarge")
