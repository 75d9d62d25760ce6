"""BuildPlatform's args: the stack-file contract as typed dicts, the same keys (snake_case here,
camelCase in the schema and the other languages, as in a stack file), each field's docstring the
schema's description."""

# No `from __future__ import annotations`: the Pulumi SDK's component analyzer reads these annotations
# as objects, and the docstrings under each field, to infer the schema for the other languages.

import inspect
from typing import Required, TypedDict

import pulumi

from .enums import Arch, CapacityType, Engine, Platform, TaintEffect

# --- the args: the stack-file contract, typed -------------------------------------------------------


class QuotasArgs(TypedDict, total=False):
    """The account's service quotas, if raised (eks; EFS on eks and openshift)."""

    nodes_per_node_group: int
    """Nodes per managed node group (default 450)."""
    node_groups_per_cluster: int
    """Managed node groups per cluster (default 30)."""
    efs_access_points_per_file_system: int
    """eks, openshift: EFS access points per file system (default 10,000): one per build workspace."""


class ClusterArgs(TypedDict, total=False):
    """The cluster (`multiarch:cluster` in a stack file)."""

    name: Required[str]
    """The cluster's name (also the prefix of IAM roles and node groups)."""
    version: str
    """eks/gke: the Kubernetes minor, such as "1.34"; one the platform offers."""
    unlisted_version: bool
    """True: the version is newer than the dated table; skip that check."""
    openshift_version: str
    """openshift: the cluster's version ("4.18"); checks the Pipelines channel supports it."""
    quotas: QuotasArgs
    """The account's service quotas, if raised (eks; EFS on eks and openshift)."""
    create: bool
    """eks/gke: false adopts the existing cluster `name` (default true)."""
    vpc_id: pulumi.Input[str]
    """eks: the cluster's VPC (an Output too, such as your aws.ec2.Vpc's id)."""
    subnet_ids: list[pulumi.Input[str]]
    """eks: private subnets in at least two AZs (required when created); each may be an Output, not the list."""
    endpoint_public_access: bool
    """eks: the API server is reachable from outside the VPC (default true)."""
    public_access_cidrs: list[pulumi.Input[str]]
    """eks: who may reach the public endpoint (default 0.0.0.0/0); each may be an Output."""
    location: str
    """gke: a region (regional cluster) or a zone."""
    network: pulumi.Input[str]
    """gke, created: the VPC network, a name or self link (default: the project's default network)."""
    subnetwork: pulumi.Input[str]
    """gke, created: the subnetwork in the location's region, a name or self link."""
    infrastructure_name: pulumi.Input[str]
    """openshift: the cluster's status.infrastructureName (an Output too)."""
    zones: list[str]
    """openshift: one MachineSet per pool per zone."""
    unlisted_region: bool
    """True: the region (or GKE location) is newer than the table; skip that check."""


class TaintArgs(TypedDict, total=False):
    """A node taint."""

    key: Required[str]
    """The taint's key."""
    value: str
    """Its value (none by default)."""
    effect: Required[TaintEffect]
    """Its effect."""


class NodeCapacityArgs(TypedDict):
    """An unlisted instance type's size."""

    vcpu: int
    """vCPUs."""
    memory_mib: int
    """Memory in MiB (`memoryMiB` in a stack file)."""


class NodePoolArgs(TypedDict, total=False):
    """One build pool (`multiarch:nodePools[]`): exactly one architecture."""

    name: Required[str]
    """A DNS label: names the node group, GKE pool or MachineSets; the pool's stable key."""
    arch: Required[Arch]
    """The pool's architecture."""
    instance_type: Required[str]
    """An instance or machine type of the catalog, of `arch`, offered where the cluster is."""
    instance_types: list[str]
    """eks with Karpenter: more types the pool's NodePool may launch, each of `arch`."""
    instance_families: list[str]
    """Fallbacks: EC2 families at instanceType's size (Karpenter), GKE series by priority (compute-class)."""
    capacity_types: list[CapacityType]
    """Karpenter and compute-class: every capacity the pool may launch; Spot first, then on-demand."""
    unlisted_instance_type: bool
    """True: the type is newer than the catalog; skip its checks."""
    node_capacity: NodeCapacityArgs
    """With unlistedInstanceType on openshift or with Karpenter: its size."""
    min_size: int
    """The pool's minimum (default 1); 0 lets an idle pool cost nothing."""
    max_size: int
    """The pool's maximum (default 3)."""
    desired_size: int
    """The initial size only (default minSize); afterwards the autoscaler owns it."""
    capacity_type: CapacityType
    """eks/gke: on-demand (default) or Spot."""
    labels: dict[str, str]
    """Node labels (multiarch.dev/pool is always added)."""
    taints: list[TaintArgs]
    """Node taints; the stack's build paths tolerate exactly these."""
    disk_size: int
    """The node root volume in GiB (default 100)."""
    disk_type: str
    """gke: the boot disk type (default: the series')."""
    ami_type: str
    """eks: the EKS AMI type (default: AL2023 of arch)."""
    ami_id: pulumi.Input[str]
    """openshift: the RHCOS AMI for arch in the region (an Output too, such as an AMI lookup's id)."""


class EfsStorageClassArgs(TypedDict, total=False):
    """The EFS StorageClass (dynamic provisioning by access points)."""

    name: str
    """The StorageClass's name (default efs-csi)."""
    directory_perms: str
    """Octal permissions of each access point's directory (default "700")."""
    uid: str
    """Owner uid of each access point's directory (default "0")."""
    gid: str
    """Owner gid (default "0")."""
    gid_range_start: str
    """Start of the gid range (with gidRangeEnd)."""
    gid_range_end: str
    """End of the gid range (with gidRangeStart)."""
    base_path: str
    """Base path of the access points (default /pv)."""
    reclaim_policy: str
    """Delete (default) or Retain."""
    volume_binding_mode: str
    """Immediate (default) or WaitForFirstConsumer."""
    is_default: bool
    """Make it the cluster's default StorageClass."""


class EfsArgs(TypedDict, total=False):
    """Shared RWX storage on EFS (eks, openshift)."""

    enabled: bool
    """Default true."""
    file_system_id: pulumi.Input[str]
    """Empty: create one; set (an Output too): adopt it (the creation options are then refused)."""
    performance_mode: str
    """Creation option: generalPurpose (default) or maxIO (needs bursting)."""
    throughput_mode: str
    """Creation option: elastic (default) or bursting."""
    transition_to_ia: str
    """Creation option: lifecycle to Infrequent Access (default AFTER_30_DAYS)."""
    backup: bool
    """Creation option: an AWS Backup policy (default true)."""
    kms_key_id: pulumi.Input[str]
    """Creation option: the KMS key, an Output too (default: the AWS-managed key; encrypted either way)."""
    identity: str
    """eks: how the CSI driver gets its IAM role: podIdentity (default) or irsa."""
    storage_class: EfsStorageClassArgs
    """The StorageClass."""


class FilestoreStorageClassArgs(TypedDict, total=False):
    """The Filestore StorageClass."""

    name: str
    """Default filestore-rwx."""
    tier: str
    """Filestore tier (default standard)."""
    network: pulumi.Input[str]
    """VPC network's name (default default; an Output too)."""
    reclaim_policy: str
    """Delete (default) or Retain."""
    is_default: bool
    """Make it the cluster's default StorageClass."""


class FilestoreArgs(TypedDict, total=False):
    """Shared RWX storage on Filestore (gke)."""

    enabled: bool
    """Default true."""
    storage_class: FilestoreStorageClassArgs
    """The StorageClass."""
    workspace_size: str
    """The builds' shared workspace volume, one Filestore instance (default: the tier's minimum)."""


class StorageArgs(TypedDict, total=False):
    """Shared RWX storage for the build workspaces."""

    efs: EfsArgs
    """eks, openshift: EFS (absent: none)."""
    filestore: FilestoreArgs
    """gke: Filestore (absent: none)."""


class SystemPoolArgs(TypedDict, total=False):
    """The small pool the controllers run on, tainted CriticalAddonsOnly."""

    enabled: bool
    """gke: false keeps the older layout (the controllers share the build pools)."""
    instance_type: str
    """Default t4g.medium (eks), e2-standard-2 (gke)."""
    unlisted_instance_type: bool
    """True: the type is newer than the catalog."""
    arch: Arch
    """With unlistedInstanceType: its architecture."""
    node_capacity: NodeCapacityArgs
    """With unlistedInstanceType: its vCPU and memory (the placement model puts the controllers on it)."""
    min_size: int
    """At least 1 (default 1)."""
    max_size: int
    """Default 2."""
    capacity_type: CapacityType
    """On-demand (Spot would evict the controllers)."""
    disk_size: int
    """GiB (default 20)."""


class KarpenterArgs(TypedDict, total=False):
    """Karpenter's knobs (engine karpenter)."""

    consolidate_after: str
    """How long an empty or underused node waits for the next jobs (default 5m)."""
    termination_grace_period: str
    """How long a build may hold a node Karpenter wants gone (default: the longest build timeout + 15m)."""
    system_pool: SystemPoolArgs
    """The managed node group Karpenter and the controllers run on."""
    ami_alias: str
    """The AL2023 release the nodes boot (default: the pin for the cluster's minor)."""


class RangeArgs(TypedDict, total=False):
    """A bounded range."""

    min: int
    """Default 0."""
    max: Required[int]
    """The maximum."""


class LimitsArgs(TypedDict, total=False):
    """Cluster-wide bounds of the autoscaler."""

    max_nodes_total: int
    """Default 50."""
    cores: RangeArgs
    """Default 0..400."""
    memory_gib: RangeArgs
    """Default 0..1600."""


class AutoscalingArgs(TypedDict, total=False):
    """Who scales the pools (`multiarch:autoscaling`)."""

    enabled: bool
    """Default true."""
    engine: Engine
    """Default cluster-autoscaler."""
    karpenter: KarpenterArgs
    """engine karpenter: its knobs."""
    system_pool: SystemPoolArgs
    """gke: the system node pool (on by default)."""
    expander: str
    """eks, Cluster Autoscaler: least-waste (default), random, most-pods, priority or price."""
    scale_down_delay_after_add: str
    """Cluster Autoscaler: default 10m."""
    scale_down_unneeded_time: str
    """Cluster Autoscaler: default 10m."""
    cluster_autoscaler_version: str
    """eks, Cluster Autoscaler: its release for a minor newer than the pins."""
    profile: str
    """gke: OPTIMIZE_UTILIZATION (default) or BALANCED."""
    limits: LimitsArgs
    """Cluster-wide bounds."""


class RetentionArgs(TypedDict, total=False):
    """How long finished PipelineRuns are kept (per namespace and status, as the pruner counts)."""

    successful_runs: int
    """The newest successful runs kept (default 20)."""
    failed_runs: int
    """The newest failed runs kept (default 20)."""
    ttl: str
    """A finished run older than this goes, whatever the counts (default 168h)."""


class PipelinesArgs(TypedDict, total=False):
    """The pipeline engine and the multi-arch build pipeline."""

    enabled: bool
    """Default true."""
    flavor: str
    """tekton (eks, gke) or openshift-pipelines (openshift)."""
    version: str
    """tekton: the release tag, such as v1.9.0."""
    unlisted_version: bool
    """True: the Tekton release is newer than the dated table."""
    channel: str
    """openshift-pipelines: the OLM channel (default latest)."""
    unlisted_channel: bool
    """True: the channel is newer than the dated table."""
    affinity_assistant: str
    """disabled (default: RWX workspaces in parallel tasks) or enabled."""
    namespace: str
    """Where the pipeline and its runs live (default builds)."""
    run_timeout: str
    """A PipelineRun's timeouts.pipeline (default 1h)."""
    retention: RetentionArgs
    """How long finished runs are kept: the Tekton Pruner (eks, gke), TektonConfig's pruner (openshift)."""


class QemuArgs(TypedDict, total=False):
    """The qemu binfmt DaemonSet."""

    enabled: bool
    """Default true."""
    platforms: list[Arch]
    """What to register for emulation (default arm64)."""


class BuildResourcesArgs(TypedDict, total=False):
    """Each CI job's build container."""

    cpu_request: str
    """Default 1."""
    memory_request: str
    """Default 2Gi."""
    cpu_limit: str
    """Default 4."""
    memory_limit: str
    """Default 8Gi."""


class GitLabRunnerArgs(TypedDict, total=False):
    """The GitLab runner whose jobs choose their architecture."""

    enabled: bool
    """Default true."""
    gitlab_url: str
    """The GitLab instance (default https://gitlab.com/)."""
    tags: list[str]
    """The runner's tags in GitLab (default multi-arch)."""
    node_selector_overwrite_allowed: str
    """What KUBERNETES_NODE_SELECTOR_* may set: an RE2 regex (default kubernetes.io/arch=.*)."""
    privileged: bool
    """Privileged job pods (default false; the policy pack refuses them)."""
    concurrent: int
    """Jobs at once (default 10)."""
    namespace: str
    """Namespace of the runner and its jobs (default gitlab-runner)."""
    build_resources: BuildResourcesArgs
    """Each job's build container."""
    job_timeout: str
    """The CI/CD component's jobs' timeout (default 1h)."""


class BuildPlatformArgs(TypedDict, total=False):
    """What a stack file configures, as typed args: a section given is on, an absent one is off."""

    platform: Required[Platform]
    """Where the cluster runs."""
    cluster: Required[ClusterArgs]
    """The cluster."""
    node_pools: Required[list[NodePoolArgs]]
    """One entry per build pool, each exactly one architecture."""
    aws_region: str
    """eks, openshift: the region of the cluster and every AWS resource."""
    gcp_project: str
    """gke: the GCP project."""
    gcp_region: str
    """gke: the default region."""
    kubeconfig: pulumi.Input[str]
    """openshift: the cluster's admin kubeconfig, a secret (default: KUBECONFIG)."""
    autoscaling: AutoscalingArgs
    """Who scales the pools (absent: the platform's autoscaler, enabled)."""
    storage: StorageArgs
    """Shared RWX storage for the build workspaces (absent: none)."""
    pipelines: PipelinesArgs
    """The pipeline engine and the build pipeline (absent: none)."""
    qemu: QemuArgs
    """The qemu binfmt DaemonSet (absent: none)."""
    gitlab_runner: GitLabRunnerArgs
    """The GitLab runner (absent: none)."""
    gitlab_runner_token: pulumi.Input[str]
    """The runner authentication token (glrt-...): pass a secret."""


# --- the outputs ---------------------------------------------------------------------------------------


# The schema's descriptions: the analyzer takes a class's from `__doc__` as written, and Python 3.11
# keeps the indentation of its continuation lines. Cleaned here, once, for every language's docs.
for _cls in [v for v in list(globals().values()) if isinstance(v, type) and v.__module__ == __name__]:
    _cls.__doc__ = inspect.cleandoc(_cls.__doc__ or "")
