"""`BuildPlatform`: the whole multiarch stack as one component, for any Pulumi program.

`BuildPlatformArgs` is the stack-file contract as typed args: the same keys (snake_case here,
camelCase in the schema and the other languages, as in a stack file), validated by the same
settings code with the same one-line messages, before anything is registered. The stack's own
`__main__.py` reads its configuration into these args and calls the component: one path.

The types below are read twice: by Python's type checkers, and by the Pulumi SDK's component
analyzer (`pulumi.provider.experimental`), which infers the provider schema for the other
languages from the annotations and the docstrings under each field. So: no `from __future__
import annotations` here, enums for the closed vocabularies, TypedDicts for the nested objects.
"""

import enum
import inspect
from collections.abc import Mapping
from typing import Any, NotRequired, Required, TypedDict, Union, cast, get_args, get_origin, get_type_hints

import pulumi

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


# --- the args: the stack-file contract, typed -------------------------------------------------------


class QuotasArgs(TypedDict, total=False):
    """eks: the account's EKS service quotas, if raised."""

    nodes_per_node_group: int
    """Nodes per managed node group (default 450)."""
    node_groups_per_cluster: int
    """Managed node groups per cluster (default 30)."""


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
    """eks: the account's EKS service quotas, if raised."""
    create: bool
    """eks/gke: false adopts the existing cluster `name` (default true)."""
    vpc_id: str
    """eks: the cluster's VPC."""
    subnet_ids: list[str]
    """eks: private subnets in at least two AZs (required when created)."""
    endpoint_public_access: bool
    """eks: the API server is reachable from outside the VPC (default true)."""
    public_access_cidrs: list[str]
    """eks: who may reach the public endpoint (default 0.0.0.0/0)."""
    location: str
    """gke: a region (regional cluster) or a zone."""
    infrastructure_name: str
    """openshift: the cluster's status.infrastructureName."""
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
    ami_id: str
    """openshift: the RHCOS AMI for arch in the region."""


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
    file_system_id: str
    """Empty: create one; set: adopt it (the creation options are then refused)."""
    performance_mode: str
    """Creation option: generalPurpose (default) or maxIO (needs bursting)."""
    throughput_mode: str
    """Creation option: elastic (default) or bursting."""
    transition_to_ia: str
    """Creation option: lifecycle to Infrequent Access (default AFTER_30_DAYS)."""
    backup: bool
    """Creation option: an AWS Backup policy (default true)."""
    kms_key_id: str
    """Creation option: the KMS key (default: the AWS-managed key; encrypted either way)."""
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
    network: str
    """VPC network (default default)."""
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
    """Default t4g.medium (eks), e2-medium (gke)."""
    unlisted_instance_type: bool
    """True: the type is newer than the catalog."""
    arch: Arch
    """With unlistedInstanceType: its architecture."""
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


class PoolOutput(TypedDict):
    """One build pool, as the stack exports it."""

    arch: str
    """Its architecture."""
    instance_type: str
    """Its instance or machine type."""
    min_size: int
    """Its minimum."""
    max_size: int
    """Its maximum."""


class CostOutput(TypedDict):
    """The estimated monthly cost (on-demand list prices; None: a price is unknown)."""

    region: str | None
    """The region priced."""
    prices_as_of: str
    """The date of the price table."""
    idle_monthly_usd: float | None
    """Every pool at its minimum, the control plane included; None when a price is unknown."""
    max_monthly_usd: float | None
    """Every pool at its maximum; None when a price is unknown."""
    control_plane_monthly_usd: float
    """The managed control plane."""


# --- from args to settings: the stack-file contract, one path -------------------------------------

# Schema (camelCase) names whose stack-file key is spelt otherwise.
_STACK_KEYS = {"memoryMib": "memoryMiB"}
_SECRETS = ("kubeconfig", "gitlab_runner_token")
_PROVIDER_KEYS = ("aws_region", "gcp_project", "gcp_region")


def _hints(cls: Any) -> dict[str, Any]:
    """A typed dict's field types (pulumi.Input names Output by a forward reference: resolved here)."""
    return get_type_hints(cls, localns=vars(pulumi.output), include_extras=True)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    key = head + "".join(w[:1].upper() + w[1:] for w in rest)
    return _STACK_KEYS.get(key, key)


def _to_stack(value: Any, hint: Any, path: str, unknown: list[str]) -> Any:
    """`value` as a stack file spells it: typed dicts' keys in camelCase, enums as their values."""
    if isinstance(value, enum.Enum):
        return value.value
    origin = get_origin(hint)
    if origin in (Required, NotRequired, Union):
        inner = [a for a in get_args(hint) if a is not type(None)]
        return _to_stack(value, inner[0], path, unknown) if len(inner) == 1 else value
    if isinstance(hint, type) and hasattr(hint, "__annotations__") and hasattr(hint, "__total__"):
        if not isinstance(value, Mapping):
            return value  # the settings say what was expected
        hints = _hints(hint)
        out = {}
        for given, item in value.items():
            if item is None:
                continue  # not given (as the provider passes an unset optional arg): the default applies
            # A Python consumer may also use the stack file's camelCase spelling.
            key = given if given in hints else next((k for k in hints if _camel(k) == given), None)
            if key is None:
                # Not in the contract: at the top, a key the settings report as unknown; below,
                # kept as it is, for the settings to refuse it as they refuse it in a stack file.
                if path:
                    out[given] = item
                else:
                    unknown.append(str(given))
                continue
            out[_camel(key)] = _to_stack(item, hints[key], f"{path}.{_camel(key)}" if path else _camel(key), unknown)
        return out
    if origin is list and isinstance(value, (list, tuple)):
        (item_hint,) = get_args(hint)
        return [_to_stack(v, item_hint, f"{path}[{i}]", unknown) for i, v in enumerate(value)]
    return value


def _from_stack(value: Any, hint: Any) -> Any:
    """A stack file's value in the args' spelling (snake_case keys of the typed dicts); a key the
    contract does not know is kept as it is, for the settings to name it."""
    origin = get_origin(hint)
    if origin in (Required, NotRequired, Union):
        inner = [a for a in get_args(hint) if a is not type(None)]
        return _from_stack(value, inner[0]) if len(inner) == 1 else value
    if isinstance(hint, type) and hasattr(hint, "__annotations__") and hasattr(hint, "__total__"):
        if not isinstance(value, Mapping):
            return value
        hints = _hints(hint)
        by_key = {_camel(k): k for k in hints}
        return {by_key.get(k, k): _from_stack(v, hints[by_key[k]]) if k in by_key else v for k, v in value.items()}
    if origin is list and isinstance(value, (list, tuple)):
        (item_hint,) = get_args(hint)
        return [_from_stack(v, item_hint) for v in value]
    return value


def args_from_stack(
    raw: Mapping[str, Any], *, aws_region: Any, gcp_project: Any, gcp_region: Any, kubeconfig: Any, token: Any
) -> BuildPlatformArgs:
    """A stack file's `multiarch:` keys (and its provider and secret values) as BuildPlatform's args."""
    args = _from_stack({k: v for k, v in raw.items() if v is not None}, BuildPlatformArgs)
    extra = {
        "aws_region": aws_region, "gcp_project": gcp_project, "gcp_region": gcp_region,
        "kubeconfig": kubeconfig, "gitlab_runner_token": token,
    }  # fmt: skip
    return {**args, **{k: v for k, v in extra.items() if v is not None}}  # type: ignore[typeddict-item]


def stack_config(args: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """(the `multiarch:` keys as a stack file holds them, the provider and secret values, unknown
    keys) from a consumer's args."""
    unknown: list[str] = []
    extra = {k: args.get(k) for k in (*_PROVIDER_KEYS, *_SECRETS)}
    contract = {k: v for k, v in args.items() if k not in extra}
    raw = _to_stack(contract, BuildPlatformArgs, "", unknown)
    return raw, extra, unknown


def settings_from_args(args: Mapping[str, Any], stack: str) -> Any:
    """Validated settings, or ConfigError with one line per problem, named as in a stack file. A
    secret given as an Output (from `config.require_secret`) is checked when its value is known."""
    from . import settings

    raw, extra, unknown = stack_config(args)
    token, kubeconfig = extra["gitlab_runner_token"], extra["kubeconfig"]
    return settings.parse(
        raw,
        stack=stack,
        aws_region=extra["aws_region"],
        gcp_project=extra["gcp_project"],
        gcp_region=extra["gcp_region"],
        kubeconfig=kubeconfig if isinstance(kubeconfig, str) else None,
        gitlab_runner_token=token if isinstance(token, str) else None,
        gitlab_runner_token_pending=token is not None and not isinstance(token, str),
        unknown_keys=unknown,
    )


def secret_inputs(args: Mapping[str, Any]) -> dict[str, Any]:
    """The secrets given as Outputs, each wrapped as a secret, the token checked when known."""
    from . import settings

    out: dict[str, Any] = {}
    kubeconfig, token = args.get("kubeconfig"), args.get("gitlab_runner_token")
    if kubeconfig is not None and not isinstance(kubeconfig, str):
        out["kubeconfig"] = pulumi.Output.secret(kubeconfig)
    if token is not None and not isinstance(token, str):

        def checked(value: str) -> str:
            problem = settings.runner_token_problem(value)
            if problem:
                raise settings.ConfigError([problem])
            return value

        out["gitlab_runner_token"] = pulumi.Output.secret(pulumi.Output.from_input(token).apply(checked))
    return out


# --- the component -------------------------------------------------------------------------------------

TYPE = "multiarch:index:BuildPlatform"


class BuildPlatform(pulumi.ComponentResource):
    """Kubernetes capacity for multi-architecture image builds: a cluster (created, adopted or
    reached), an x86 and an arm64 build pool side by side, shared RWX storage, Tekton or OpenShift
    Pipelines with the affinity assistant off, a GitLab runner whose jobs choose their
    architecture, and qemu binfmt; validated before anything is declared."""

    platform: pulumi.Output[str]
    """The platform."""
    architectures: pulumi.Output[list[str]]
    """The architectures of the build pools."""
    arch_label: pulumi.Output[str]
    """The node label that selects an architecture (kubernetes.io/arch)."""
    node_pools: pulumi.Output[dict[str, PoolOutput]]
    """The build pools by name."""
    cluster_name: pulumi.Output[str | None]
    """eks/gke: the cluster's name."""
    kubeconfig: pulumi.Output[str | None]
    """eks/gke: a kubeconfig for the cluster (exec authentication), a secret."""
    rwx_storage_class: pulumi.Output[str | None]
    """The StorageClass build workspaces use, when storage is on."""
    gitlab_ci_template: pulumi.Output[str | None]
    """The GitLab CI/CD component for this platform's pools, when the runner is on."""
    example_pipeline_run: pulumi.Output[str | None]
    """The PipelineRun template, when pipelines are on."""
    monthly_cost: pulumi.Output[CostOutput]
    """The estimated monthly cost."""

    def __init__(self, name: str, args: BuildPlatformArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        from . import cost, stack

        settings = settings_from_args(args, pulumi.get_stack())  # before anything is registered
        super().__init__(TYPE, name, None, opts)
        self._exports: dict[str, Any] = stack.build(settings, parent=self, secrets=secret_inputs(args))
        e = self._exports
        self.platform = pulumi.Output.from_input(e["platform"])
        self.architectures = pulumi.Output.from_input(e["architectures"])
        self.arch_label = pulumi.Output.from_input(e["archLabel"])
        self.node_pools = pulumi.Output.from_input(
            {
                n: {
                    "arch": p["arch"],
                    "instance_type": p["instanceType"],
                    "min_size": p["minSize"],
                    "max_size": p["maxSize"],
                }
                for n, p in e["nodePools"].items()
            }
        )
        self.cluster_name = pulumi.Output.from_input(e.get("clusterName"))
        kubeconfig = e.get("kubeconfig")
        self.kubeconfig = pulumi.Output.secret(kubeconfig) if kubeconfig is not None else pulumi.Output.from_input(None)
        self.rwx_storage_class = pulumi.Output.from_input(e.get("rwxStorageClass"))
        self.gitlab_ci_template = pulumi.Output.from_input(e.get("gitlabCiTemplate"))
        self.example_pipeline_run = pulumi.Output.from_input(e.get("examplePipelineRun"))
        self.monthly_cost = pulumi.Output.from_input(cast(CostOutput, cost.estimate(settings)))
        self.register_outputs(
            {
                "platform": self.platform,
                "architectures": self.architectures,
                "nodePools": self.node_pools,
                "kubeconfig": self.kubeconfig,
                "rwxStorageClass": self.rwx_storage_class,
                "monthlyCost": self.monthly_cost,
            }
        )

    @property
    def exports(self) -> dict[str, Any]:
        """What the stack exports (its outputs' keys, as `__main__.py` has always exported them)."""
        return dict(self._exports)


# The schema's descriptions: the analyzer takes a class's from `__doc__` as written, and Python 3.11
# keeps the indentation of its continuation lines. Cleaned here, once, for every language's docs.
for _cls in [v for v in list(globals().values()) if isinstance(v, type) and v.__module__ == __name__]:
    _cls.__doc__ = inspect.cleandoc(_cls.__doc__ or "")
