"""Stack configuration: the only reader of `pulumi.Config`.

`load()` reads the `multiarch:*` keys (and the provider keys the stack needs), checks them, and
returns frozen, typed `Settings`. Every problem is reported at once, each naming its config path,
the value and what was expected, and the program stops before any resource is registered.
`parse()` does the same from plain Python values, so the rules are unit-tested without Pulumi.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlparse

import pulumi
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic.alias_generators import to_camel

from components import arch, limits, names, regions, versions

PROJECT = "multiarch"
Platform = Literal["eks", "gke", "openshift"]
PLATFORMS: tuple[Platform, ...] = ("eks", "gke", "openshift")
CapacityType = Literal["ON_DEMAND", "SPOT"]

# Top-level keys of the `multiarch:` namespace this program reads (the public interface).
OBJECT_KEYS = ("cluster", "nodePools", "autoscaling", "storage", "pipelines", "qemu", "gitlabRunner")
STRING_KEYS = ("platform",)
SECRET_KEYS: tuple[str, ...] = ("gitlabRunnerToken",)

_DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"


def _dns_label(value: str) -> str:
    problem = limits.NAMES["namespace"].problem(value)
    if problem:
        raise ValueError(f"{value!r}: {problem.replace('Kubernetes namespace names', 'DNS labels (RFC 1123)')}")
    return value


DnsLabel = Annotated[str, AfterValidator(_dns_label)]  # namespaces, StorageClasses: DNS labels


class ConfigError(pulumi.RunError):
    """Invalid stack configuration. `errors` holds one line per problem.

    A `pulumi.RunError`, so `pulumi up` prints the message without a Python traceback.
    """

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors = list(errors)
        noun = "error" if len(self.errors) == 1 else "errors"
        super().__init__(
            f"invalid stack configuration ({len(self.errors)} {noun}):\n" + "\n".join(f"  {e}" for e in self.errors)
        )


def _strict_int(value: Any) -> Any:
    """A whole number: an int, or a string of digits (`pulumi config set` stores strings); never a
    boolean (YAML's `true` is not 1) nor a fraction."""
    if isinstance(value, bool):
        raise ValueError(f"{json.dumps(value)} is a boolean; expected a whole number")
    if isinstance(value, float):
        raise ValueError(f"{value!r} is not a whole number" + (f"; write {int(value)}" if value.is_integer() else ""))
    if isinstance(value, str):
        if not re.fullmatch(r"[0-9]+", value.strip()):
            raise ValueError(f"{value!r} is not a whole number")
        return int(value)
    return value


def _strict_bool(value: Any) -> Any:
    """true or false (or the strings "true"/"false" the CLI stores); never 1, 0, yes or on."""
    if isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    if not isinstance(value, bool):
        raise ValueError(f"{value!r} is not a boolean; expected true or false")
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True)

    @field_validator("*", mode="before")
    @classmethod
    def _strict_scalars(cls, value: Any, info: ValidationInfo) -> Any:
        """Every int and bool field of every model, now and later: no silent coercion."""
        if value is None or info.field_name is None:
            return value
        annotation = cls.model_fields[info.field_name].annotation
        kinds = set(get_args(annotation)) or {annotation}
        if bool in kinds:
            return _strict_bool(value)
        if int in kinds:
            return _strict_int(value)
        return value


def _no_numbers(value: Any) -> Any:
    # YAML reads 1.30 as the float 1.3: refuse numbers where a version string is expected.
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError(f'{value!r} is a number; quote it in the stack file ("{value}")')
    return value


class Taint(_Model):
    key: str = Field(min_length=1)
    value: str = ""
    effect: arch.TaintEffect


_ARCH_ALIASES = {"x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64", "arm": "arm64"}


class NodePool(_Model):
    """One node pool: exactly one architecture."""

    name: Annotated[str, Field(pattern=_DNS_LABEL, max_length=40)]
    arch: arch.Arch
    instance_type: str = Field(min_length=1)
    min_size: int = Field(default=1, ge=0)
    max_size: int = Field(default=3, ge=1)
    desired_size: int | None = Field(default=None, ge=0)  # default: minSize
    capacity_type: CapacityType = "ON_DEMAND"
    labels: dict[str, str] = Field(default_factory=dict)
    taints: tuple[Taint, ...] = ()
    disk_size: int = Field(default=versions.DEFAULT_NODE_DISK_GIB, ge=20)  # GiB
    ami_type: str | None = None  # eks: default AL2023 for the arch
    ami_id: str | None = Field(default=None, pattern=r"^ami-[0-9a-f]{8,17}$")  # openshift: RHCOS

    @field_validator("arch", mode="before")
    @classmethod
    def _kubernetes_vocabulary(cls, v: Any) -> Any:
        if isinstance(v, str) and v in _ARCH_ALIASES:
            raise ValueError(
                f"{v!r} is not Kubernetes' name for it: use {_ARCH_ALIASES[v]!r} (expected amd64 or arm64)"
            )
        return v

    @property
    def initial_size(self) -> int:
        return self.desired_size if self.desired_size is not None else self.min_size


class Cluster(_Model):
    name: Annotated[str, Field(pattern=r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$")]
    version: str | None = None  # eks/gke: default versions.DEFAULT_KUBERNETES_VERSION
    create: bool = True
    vpc_id: str | None = Field(default=None, pattern=r"^vpc-[0-9a-f]{8,17}$")
    subnet_ids: tuple[str, ...] = ()
    endpoint_public_access: bool = True
    public_access_cidrs: tuple[str, ...] = ("0.0.0.0/0",)
    location: str | None = None
    infrastructure_name: str | None = None
    zones: tuple[str, ...] = ()
    unlisted_region: bool = False  # the region is newer than components/regions.py: skip that check

    _version_not_number = field_validator("version", mode="before")(_no_numbers)

    @field_validator("version")
    @classmethod
    def _version_shape(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"1\.\d{2}", v):
            raise ValueError(f'{v!r} is not a Kubernetes minor version such as "1.33"')
        return v

    @field_validator("subnet_ids")
    @classmethod
    def _subnet_shape(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [s for s in v if not re.fullmatch(r"subnet-[0-9a-f]{8,17}", s)]
        if bad:
            raise ValueError(f"{', '.join(map(repr, bad))}: expected subnet ids (subnet-0123abcd...)")
        return v

    @property
    def kubernetes_version(self) -> str:
        return self.version or versions.DEFAULT_KUBERNETES_VERSION


def _numeric_string(value: Any) -> Any:
    # The EFS CSI driver takes uid/gid/ranges as strings; an unquoted YAML number is a mistake to name.
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(f'{value!r} is a number; quote it ("{value}"): the CSI driver takes strings')
    return value


_NUMERIC = Field(default=None, pattern=r"^[0-9]+$")


class EfsStorageClass(_Model):
    """The EFS StorageClass (dynamic provisioning through access points)."""

    name: DnsLabel = "efs-csi"
    directory_perms: str = "700"
    uid: str | None = Field(default="0", pattern=r"^[0-9]+$")  # 0/0: root pods see consistent ownership (seed 001)
    gid: str | None = Field(default="0", pattern=r"^[0-9]+$")
    gid_range_start: str | None = _NUMERIC
    gid_range_end: str | None = _NUMERIC
    base_path: str = Field(default="/pv", pattern=r"^/")
    reclaim_policy: Literal["Delete", "Retain"] = "Delete"  # Retain recommended for prod
    volume_binding_mode: Literal["Immediate", "WaitForFirstConsumer"] = "Immediate"
    is_default: bool = False

    _quoted = field_validator("directory_perms", "uid", "gid", "gid_range_start", "gid_range_end", mode="before")(
        _numeric_string
    )

    @field_validator("directory_perms")
    @classmethod
    def _octal(cls, v: str) -> str:
        if not re.fullmatch(r"[0-7]{3,4}", v):
            raise ValueError(f'{v!r} is not an octal permission string such as "700" or "0775"')
        return v


# Creation options of a new file system: meaningless (and refused) with `fileSystemId`.
EFS_CREATION_OPTIONS = ("performance_mode", "throughput_mode", "transition_to_ia", "backup", "kms_key_id")


class Efs(_Model):
    enabled: bool = True
    file_system_id: str = Field(default="", pattern=r"^(fs-[0-9a-f]{8,17})?$")  # empty: create one
    performance_mode: Literal["generalPurpose", "maxIO"] = "generalPurpose"
    throughput_mode: Literal["elastic", "bursting"] = "elastic"
    transition_to_ia: str | None = "AFTER_30_DAYS"  # None: never move files to Infrequent Access
    backup: bool = True
    kms_key_id: str | None = None  # default: the AWS-managed EFS key (encrypted either way)
    identity: Literal["podIdentity", "irsa"] = "podIdentity"  # eks: how the CSI driver gets its IAM role
    storage_class: EfsStorageClass = EfsStorageClass()

    @property
    def adopted(self) -> bool:
        return bool(self.file_system_id)


class FilestoreStorageClass(_Model):
    name: DnsLabel = "filestore-rwx"
    tier: Literal["standard", "premium", "enterprise", "zonal", "regional", "BASIC_HDD", "BASIC_SSD"] = "standard"
    network: str = "default"
    reclaim_policy: Literal["Delete", "Retain"] = "Delete"
    is_default: bool = False


class Filestore(_Model):
    enabled: bool = True
    storage_class: FilestoreStorageClass = FilestoreStorageClass()


class Storage(_Model):
    efs: Efs | None = None  # eks, openshift
    filestore: Filestore | None = None  # gke


_DURATION = r"^[0-9]+(s|m|h)$"


class Range(_Model):
    min: int = Field(default=0, ge=0)
    max: int = Field(ge=1)


class AutoscalingLimits(_Model):
    """Cluster-wide bounds (the Cluster Autoscaler's --max-nodes-total / --cores-total / --memory-total)."""

    max_nodes_total: int = Field(default=50, ge=1)
    cores: Range = Range(min=0, max=400)
    memory_gib: Range = Range(min=0, max=1600)


class Autoscaling(_Model):
    """Who scales the pools between minSize and maxSize."""

    enabled: bool = True
    expander: Literal["least-waste", "random", "most-pods", "priority", "price"] = "least-waste"
    scale_down_delay_after_add: str = Field(default="10m", pattern=_DURATION)  # a burst's nodes stay a while
    scale_down_unneeded_time: str = Field(default="10m", pattern=_DURATION)
    profile: Literal["OPTIMIZE_UTILIZATION", "BALANCED"] = "OPTIMIZE_UTILIZATION"  # gke
    limits: AutoscalingLimits = AutoscalingLimits()


PipelinesFlavor = Literal["tekton", "openshift-pipelines"]


class Pipelines(_Model):
    """The pipeline engine and the multi-arch build pipeline."""

    enabled: bool = True
    flavor: PipelinesFlavor | None = None  # default: tekton on eks/gke, openshift-pipelines on openshift
    version: str = versions.TEKTON_DEFAULT_VERSION  # upstream Tekton release tag
    channel: str = versions.OPENSHIFT_PIPELINES_DEFAULT_CHANNEL  # OLM channel of openshift-pipelines
    affinity_assistant: Literal["disabled", "enabled"] = "disabled"  # disabled: RWX workspaces in parallel tasks
    namespace: DnsLabel = "builds"  # where the build pipeline lives

    _version_not_number = field_validator("version", mode="before")(_no_numbers)

    @field_validator("version")
    @classmethod
    def _release_tag(cls, v: str) -> str:
        m = re.fullmatch(r"v(\d+)\.(\d+)\.(\d+)", v)
        if not m:
            raise ValueError(f'{v!r} is not a Tekton release tag such as "{versions.TEKTON_DEFAULT_VERSION}"')
        if tuple(int(x) for x in m.groups()) < versions.TEKTON_MIN_VERSION:
            low = "v" + ".".join(map(str, versions.TEKTON_MIN_VERSION))
            raise ValueError(f"{v!r} is older than {low}, the first release that can disable co-scheduling")
        return v

    @property
    def version_tuple(self) -> tuple[int, int, int]:
        major, minor, patch = (int(x) for x in self.version[1:].split("."))
        return major, minor, patch


class Qemu(_Model):
    """qemu binfmt registration, for architectures built under emulation."""

    enabled: bool = True
    platforms: tuple[str, ...] = ("arm64",)

    @field_validator("platforms")
    @classmethod
    def _known(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [p for p in v if p not in arch.ARCHES]
        if bad:
            raise ValueError(f"{', '.join(map(repr, bad))}: expected architectures among {', '.join(arch.ARCHES)}")
        if not v:
            raise ValueError("at least one platform to register")
        return v


class BuildResources(_Model):
    """Requests and limits of each CI job's build container."""

    cpu_request: str = "1"
    memory_request: str = "2Gi"
    cpu_limit: str = "4"
    memory_limit: str = "8Gi"


class GitLabRunner(_Model):
    """The GitLab runner (Kubernetes executor). Absent from the stack file: no runner."""

    enabled: bool = True
    gitlab_url: str = "https://gitlab.com/"
    tags: tuple[str, ...] = ("multi-arch",)  # set on the runner in GitLab; used by the CI template
    node_selector_overwrite_allowed: str = f"{arch.ARCH_LABEL}=.*"  # jobs may only choose the arch label
    privileged: bool = False
    concurrent: int = Field(default=10, ge=1, le=500)
    namespace: DnsLabel = "gitlab-runner"
    build_resources: BuildResources = BuildResources()

    @field_validator("gitlab_url")
    @classmethod
    def _url(cls, v: str) -> str:
        parsed = urlparse(v)
        if parsed.scheme != "https" or not parsed.netloc or parsed.query or parsed.fragment:
            raise ValueError(f"{v!r} is not an https:// URL of a GitLab instance (e.g. https://gitlab.example.com/)")
        return v

    @field_validator("node_selector_overwrite_allowed")
    @classmethod
    def _regex(cls, v: str) -> str:
        try:
            re.compile(v)
        except re.error as exc:
            raise ValueError(f"{v!r} is not a regular expression: {exc}") from None
        return v


class Settings(_Model):
    """Everything the program needs, typed and checked. Built by `parse()`/`load()` only."""

    project: str = PROJECT
    stack: str
    platform: Platform
    cluster: Cluster
    node_pools: tuple[NodePool, ...]
    aws_region: str | None = None
    gcp_project: str | None = None
    gcp_region: str | None = None
    kubeconfig: SecretStr | None = None  # openshift: `kubernetes:kubeconfig`, a secret (else KUBECONFIG)
    autoscaling: Autoscaling = Autoscaling()
    storage: Storage = Storage()
    pipelines: Pipelines | None = None  # None: no pipeline engine
    qemu: Qemu | None = None  # None: no binfmt DaemonSet
    warnings: tuple[str, ...] = ()  # worth saying, not worth stopping for
    gitlab_runner: GitLabRunner | None = None  # None: no runner
    gitlab_runner_token: SecretStr | None = None  # `multiarch:gitlabRunnerToken`, a secret

    @property
    def cloud(self) -> arch.Cloud:
        return arch.Cloud.GCP if self.platform == "gke" else arch.Cloud.AWS

    @property
    def arches(self) -> tuple[arch.Arch, ...]:
        return tuple(a for a in arch.ARCHES if any(p.arch == a for p in self.node_pools))

    def pool(self, name: str) -> NodePool:
        return next(p for p in self.node_pools if p.name == name)


# ---------------------------------------------------------------------------------------------
# Parsing


def _path(prefix: str, loc: Sequence[int | str], raw: Any) -> str:
    """`multiarch:cluster.subnetIds[0]` from a pydantic location under `prefix`."""
    out = prefix
    node = raw
    for part in loc:
        if isinstance(part, int):
            item = node[part] if isinstance(node, list) and part < len(node) else None
            label = item.get("name") if isinstance(item, dict) else None
            out += f"[{label}]" if isinstance(label, str) and label else f"[{part}]"
            node = item
        else:
            out += f".{part}"
            node = node.get(part) if isinstance(node, dict) else None
    return out


def _describe(err: Mapping[str, Any]) -> str:
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "missing":
        return "is required"
    if err["type"] == "extra_forbidden":
        return "is not a known key (check the spelling against the README's config table)"
    return f"{err['input']!r}: {msg}" if err["type"] != "value_error" else msg


def _validate(prefix: str, model: type[_Model], raw: Any, errors: list[str]) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors():
            loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
            errors.append(f"{_path(prefix, loc, raw)}: {_describe(err)}")
        return None


def _pool_list(raw: Any, errors: list[str]) -> list[NodePool]:
    """The pools that validate (the others are reported in `errors`)."""
    if not isinstance(raw, list):
        errors.append(
            f"{PROJECT}:nodePools: expected a list of pools (name, arch, instanceType, ...), got {type(raw).__name__}"
        )
        return []
    pools: list[NodePool] = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            errors.append(f"{PROJECT}:nodePools[{i}]: expected an object, got {item!r}")
            continue
        name = item.get("name")
        label = name if isinstance(name, str) and name else i
        pool = _validate(f"{PROJECT}:nodePools[{label}]", NodePool, item, errors)
        if pool is not None:
            pools.append(pool)
    return pools


class _Context:
    """What the cross-field rules look at; any part may be missing after a structural error."""

    def __init__(
        self, platform: Platform | None, cluster: Cluster | None, aws_region: str | None, catalog: bool = True
    ) -> None:
        self.platform = platform
        self.cluster = cluster
        self.aws_region = aws_region
        self.catalog = catalog

    @property
    def cloud(self) -> arch.Cloud | None:
        if self.platform is None:
            return None
        return arch.Cloud.GCP if self.platform == "gke" else arch.Cloud.AWS


def _check_pools(ctx: _Context, raw_pools: Any, pools: list[NodePool], errors: list[str]) -> None:
    if isinstance(raw_pools, list):
        if not raw_pools:
            errors.append(f"{PROJECT}:nodePools: at least one pool is required (one per architecture)")
        names = [p.get("name") for p in raw_pools if isinstance(p, dict)]
        for dup in sorted({n for n in names if isinstance(n, str) and names.count(n) > 1}):
            errors.append(
                f"{PROJECT}:nodePools[{dup}].name: {dup!r} is used by {names.count(dup)} pools; "
                "pool names must be unique (they name the cloud resources)"
            )
    for pool in pools:
        at = f"{PROJECT}:nodePools[{pool.name}]"
        if pool.min_size > pool.max_size:
            errors.append(f"{at}.minSize: {pool.min_size} is greater than maxSize {pool.max_size}")
        if pool.desired_size is not None and not pool.min_size <= pool.desired_size <= pool.max_size:
            errors.append(
                f"{at}.desiredSize: {pool.desired_size} is outside minSize..maxSize ({pool.min_size}..{pool.max_size})"
            )
        for key in (arch.ARCH_LABEL, "beta.kubernetes.io/arch", "node.kubernetes.io/instance-type"):
            if key in pool.labels:
                errors.append(f"{at}.labels.{key}: set by the kubelet from the node itself; remove it")
        if ctx.cloud is not None and ctx.catalog:
            try:
                actual = arch.arch_of(ctx.cloud, pool.instance_type)
            except arch.UnknownInstanceFamilyError as exc:
                errors.append(f"{at}.instanceType: {exc}")
            else:
                if actual != pool.arch:
                    errors.append(
                        f"{at}.instanceType: {pool.instance_type} is an {actual} instance type, "
                        f"but the pool's arch is {pool.arch} (choose an {pool.arch} type or set arch: {actual})"
                    )
        if ctx.cloud is not None:
            _check_pool_for_platform(ctx, pool, at, errors)


def _check_pool_for_platform(ctx: _Context, pool: NodePool, at: str, errors: list[str]) -> None:
    if ctx.platform == "eks":
        if pool.ami_id is not None:
            errors.append(f"{at}.amiId: only for platform openshift; EKS pools use amiType")
        if pool.ami_type is not None:
            facts = arch.EKS_AMI_TYPES.get(pool.ami_type)
            version = ctx.cluster.kubernetes_version if ctx.cluster else None
            if facts is None:
                errors.append(
                    f"{at}.amiType: {pool.ami_type!r} is not an EKS AMI type; expected one of "
                    + ", ".join(arch.EKS_AMI_TYPES)
                )
            elif facts.arch != pool.arch:
                errors.append(
                    f"{at}.amiType: {pool.ami_type} is an {facts.arch} AMI type, but the pool's arch is {pool.arch}"
                )
            elif facts.end_of_life and version and _minor(version) > versions.EKS_AL2_LAST_MINOR:
                errors.append(
                    f"{at}.amiType: {pool.ami_type} has no AMIs for Kubernetes {version} "
                    f"(AL2 is end of life); use {arch.default_eks_ami_type(pool.arch)}"
                )
    elif ctx.platform == "gke":
        if pool.ami_id is not None:
            errors.append(f"{at}.amiId: not used on platform gke (GKE pools use COS_CONTAINERD)")
        if pool.ami_type is not None:
            errors.append(f"{at}.amiType: not used on platform gke (GKE pools use COS_CONTAINERD)")
        for i, taint in enumerate(pool.taints):
            if taint.key == arch.ARCH_LABEL:
                errors.append(
                    f"{at}.taints[{i}]: GKE taints arm64 nodes {arch.ARCH_LABEL}=arm64:NoSchedule by itself; "
                    "do not declare it (it would fight GKE and never converge)"
                )
        location = ctx.cluster.location if ctx.cluster else None
        unlisted = ctx.cluster is not None and ctx.cluster.unlisted_region
        known = location and (regions.gcp_region_of(location) in regions.GCP_REGIONS or unlisted)
        if (
            location
            and known
            and arch.family_of(arch.Cloud.GCP, pool.instance_type) == "t2a"
            and not arch.t2a_offered_in(location)
        ):
            errors.append(
                f"{at}.instanceType: {pool.instance_type} (Tau T2A) is not offered in {location}; "
                f"T2A is offered in {arch.t2a_locations()}"
            )
    elif ctx.platform == "openshift":
        stream_arch = arch.ARCH_FACTS[pool.arch].openshift
        region = ctx.aws_region or "<region>"
        if pool.ami_id is None:
            errors.append(
                f"{at}.amiId: required on openshift: the RHCOS {stream_arch} AMI for {region}; find it with "
                "`oc get configmap/coreos-bootimages -n openshift-machine-config-operator "
                f"-o jsonpath='{{.data.stream}}' | jq -r '.architectures.{stream_arch}.images.aws.regions"
                f'."{region}".image' + "'`"
            )
        if pool.ami_type is not None:
            errors.append(f"{at}.amiType: only for platform eks; OpenShift pools use amiId")
        if pool.capacity_type != "ON_DEMAND":
            errors.append(f"{at}.capacityType: {pool.capacity_type} is not supported on openshift; use ON_DEMAND")


def _minor(version: str) -> int:
    return int(version.split(".")[1])


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
        unused("location", "infrastructure_name", "zones")
    elif ctx.platform == "gke":
        if not c.location:
            errors.append(f"{at}.location: required for platform gke (a region such as europe-west4, or a zone)")
        unused("vpc_id", "subnet_ids", "infrastructure_name", "zones")
    elif ctx.platform == "openshift":
        if not c.infrastructure_name:
            errors.append(
                f"{at}.infrastructureName: required on openshift; find it with "
                "`oc get infrastructure cluster -o jsonpath='{.status.infrastructureName}'`"
            )
        if not c.zones:
            errors.append(
                f"{at}.zones: required on openshift: the availability zones for the MachineSets, "
                "e.g. [eu-west-3a, eu-west-3b]"
            )
        if ctx.aws_region:
            bad = [z for z in c.zones if not z.startswith(ctx.aws_region)]
            if bad:
                errors.append(f"{at}.zones: {', '.join(bad)} not in aws:region {ctx.aws_region}")
        if len(set(c.zones)) != len(c.zones):
            errors.append(f"{at}.zones: {list(c.zones)} lists a zone twice")
        unused("version", "location", "subnet_ids")


def parse(
    raw: Mapping[str, Any],
    *,
    stack: str,
    aws_region: str | None = None,
    gcp_project: str | None = None,
    gcp_region: str | None = None,
    kubeconfig: str | None = None,
    gitlab_runner_token: str | None = None,
    unknown_keys: Sequence[str] = (),
    catalog: bool = True,
) -> Settings:
    """Settings from the `multiarch:*` values (without the namespace). Raises ConfigError.

    `catalog=False` skips the instance-family checks (for preflight, which asks EC2 instead).
    """
    errors: list[str] = [
        f"{PROJECT}:{k}: is not a known key (check the spelling against the README's config table)"
        for k in unknown_keys
    ]
    platform = raw.get("platform")
    if platform is None:
        errors.append(f"{PROJECT}:platform: is required: one of {', '.join(PLATFORMS)}")
    elif platform not in PLATFORMS:
        errors.append(f"{PROJECT}:platform: {platform!r} is not a platform; expected one of {', '.join(PLATFORMS)}")
        platform = None

    cluster = None
    if raw.get("cluster") is None:
        errors.append(f"{PROJECT}:cluster: is required (at least `name`)")
    else:
        cluster = _validate(f"{PROJECT}:cluster", Cluster, raw["cluster"], errors)
    raw_pools = raw.get("nodePools")
    pools: list[NodePool] = []
    if raw_pools is None:
        errors.append(f"{PROJECT}:nodePools: is required: a list with one pool per architecture")
    else:
        pools = _pool_list(raw_pools, errors)

    storage = _storage(raw.get("storage"), errors)
    autoscaling = Autoscaling()
    if raw.get("autoscaling") is not None:
        autoscaling = _validate(f"{PROJECT}:autoscaling", Autoscaling, raw["autoscaling"], errors) or Autoscaling()

    pipelines = None
    if raw.get("pipelines") is not None:
        pipelines = _validate(f"{PROJECT}:pipelines", Pipelines, raw["pipelines"], errors)
    qemu = None
    if raw.get("qemu") is not None:
        qemu = _validate(f"{PROJECT}:qemu", Qemu, raw["qemu"], errors)

    runner = None
    if raw.get("gitlabRunner") is not None:
        runner = _validate(f"{PROJECT}:gitlabRunner", GitLabRunner, raw["gitlabRunner"], errors)
        if runner is not None and runner.enabled:
            _check_runner_token(gitlab_runner_token, errors)

    ctx = _Context(platform, cluster, aws_region, catalog)
    _check_platform(ctx, gcp_project, errors)
    _check_pools(ctx, raw_pools, pools, errors)
    _check_storage(ctx, storage, errors)
    _check_autoscaling(ctx, autoscaling, pools, errors)
    enabled_runner = runner if runner is not None and runner.enabled else None
    enabled_pipelines = pipelines if pipelines is not None and pipelines.enabled else None
    _check_limits(ctx, pools, storage, autoscaling, errors)
    _check_namespaces(ctx, enabled_pipelines, enabled_runner, qemu is not None and qemu.enabled, errors)
    if enabled_runner is not None:
        _check_build_resources(enabled_runner.build_resources, errors)
    if pipelines is not None and pipelines.enabled and platform is not None:
        pipelines = _check_pipelines(platform, pipelines, errors)
    warnings = _warnings(platform, pools, qemu)
    if errors or platform is None or cluster is None:
        raise ConfigError(errors)
    return Settings(
        stack=stack,
        platform=platform,
        cluster=cluster,
        node_pools=tuple(pools),
        aws_region=aws_region,
        gcp_project=gcp_project,
        gcp_region=gcp_region,
        kubeconfig=SecretStr(kubeconfig) if kubeconfig else None,
        autoscaling=autoscaling,
        storage=storage,
        pipelines=pipelines if pipelines is not None and pipelines.enabled else None,
        qemu=qemu if qemu is not None and qemu.enabled else None,
        warnings=warnings,
        gitlab_runner=runner if runner is not None and runner.enabled else None,
        gitlab_runner_token=SecretStr(gitlab_runner_token) if gitlab_runner_token else None,
    )


def _storage(raw: Any, errors: list[str]) -> Storage:
    """Each backend validated on its own, so a mistake in one does not hide the rules of the other."""
    if raw is None:
        return Storage()
    if not isinstance(raw, dict):
        errors.append(f"{PROJECT}:storage: expected an object with `efs` and/or `filestore`, got {raw!r}")
        return Storage()
    for key in sorted(set(raw) - {"efs", "filestore"}):
        errors.append(f"{PROJECT}:storage.{key}: is not a known key (expected efs or filestore)")
    parts: dict[str, Any] = {}
    for key, model in (("efs", Efs), ("filestore", Filestore)):
        if raw.get(key) is not None:
            parts[key] = _validate(f"{PROJECT}:storage.{key}", model, raw[key], errors)
    return Storage(**{k: v for k, v in parts.items() if v is not None})


def _check_storage(ctx: _Context, storage: Storage, errors: list[str]) -> None:
    at = f"{PROJECT}:storage"
    efs, filestore = storage.efs, storage.filestore
    if efs is not None and efs.enabled:
        if ctx.platform == "gke":
            errors.append(f"{at}.efs: EFS is for platforms eks and openshift; on gke use storage.filestore")
        sc = efs.storage_class
        if (sc.gid_range_start is None) != (sc.gid_range_end is None):
            errors.append(
                f"{at}.efs.storageClass: gidRangeStart and gidRangeEnd go together "
                f"(got gidRangeStart={sc.gid_range_start!r}, gidRangeEnd={sc.gid_range_end!r})"
            )
        elif sc.gid_range_start is not None and int(sc.gid_range_start) > int(sc.gid_range_end or 0):
            errors.append(
                f"{at}.efs.storageClass.gidRangeStart: {sc.gid_range_start} is greater than "
                f"gidRangeEnd {sc.gid_range_end}"
            )
        if efs.adopted:
            given = [to_camel(k) for k in EFS_CREATION_OPTIONS if k in efs.model_fields_set]
            if given:
                errors.append(
                    f"{at}.efs.fileSystemId: {efs.file_system_id} adopts an existing file system, so "
                    f"{', '.join(given)} cannot apply; remove them or leave fileSystemId empty to create one"
                )
        elif ctx.platform == "eks" and ctx.cluster is not None and not ctx.cluster.subnet_ids:
            errors.append(
                f"{at}.efs: creating a file system needs cluster.subnetIds (one mount target per subnet); "
                "list the cluster's private subnets, or adopt a file system with fileSystemId"
            )
        if "identity" in efs.model_fields_set and ctx.platform == "openshift":
            errors.append(f"{at}.efs.identity: only for platform eks (the OpenShift operator gets its own credentials)")
    if filestore is not None and filestore.enabled and ctx.platform in ("eks", "openshift"):
        errors.append(f"{at}.filestore: Filestore is for platform gke; on {ctx.platform} use storage.efs")


def _check_autoscaling(ctx: _Context, a: Autoscaling, pools: Sequence[NodePool], errors: list[str]) -> None:
    at = f"{PROJECT}:autoscaling"
    for name in ("cores", "memory_gib"):
        r: Range = getattr(a.limits, name)
        if r.min > r.max:
            errors.append(f"{at}.limits.{to_camel(name)}.min: {r.min} is greater than max {r.max}")
    if not a.enabled and ctx.platform in ("eks", "openshift"):
        for pool in pools:
            if pool.min_size == 0:
                errors.append(
                    f"{PROJECT}:nodePools[{pool.name}].minSize: 0 with autoscaling disabled: nothing would ever "
                    f"add a node to this pool once it is empty; enable {at} or set minSize >= 1"
                )
    if ctx.platform == "eks" and a.enabled and ctx.cluster is not None:
        minor = ctx.cluster.kubernetes_version
        if minor not in versions.CLUSTER_AUTOSCALER:
            errors.append(
                f"{PROJECT}:cluster.version: {minor} has no Cluster Autoscaler pinned (known: "
                f"{', '.join(versions.CLUSTER_AUTOSCALER)}); add it to CLUSTER_AUTOSCALER in components/versions.py"
            )
    if ctx.platform == "openshift" and a.enabled and ctx.catalog:
        zones = len(ctx.cluster.zones) if ctx.cluster is not None else 0
        for pool in pools:
            if zones and pool.max_size < zones:
                errors.append(
                    f"{PROJECT}:nodePools[{pool.name}].maxSize: {pool.max_size} is less than the {zones} zones: "
                    "each zone's MachineAutoscaler needs at least one machine; raise maxSize or list fewer zones"
                )
            if arch.aws_capacity(pool.instance_type) is None:
                errors.append(
                    f"{PROJECT}:nodePools[{pool.name}].instanceType: {pool.instance_type}: its vCPU and memory are not "
                    "in components/arch.py, and scale-from-zero annotations need them; add the family there"
                )


def _derived_names(
    ctx: _Context, pools: Sequence[NodePool], storage: Storage, autoscaling: Autoscaling
) -> list[tuple[str, str, str, str, str]]:
    """(config key, configured value, what it names, derived name, limit) for every derived name."""
    c = ctx.cluster
    out: list[tuple[str, str, str, str, str]] = []
    if c is None:
        return out
    key = f"{PROJECT}:cluster.name"
    if ctx.platform == "eks":
        out.append((key, c.name, "EKS cluster", c.name, "eks-cluster"))
        if c.create:
            out.append((key, c.name, "IAM role", names.eks_cluster_role(c.name), "iam-role"))
        out.append((key, c.name, "IAM role", names.eks_node_role(c.name), "iam-role"))
        if autoscaling.enabled:
            out.append((key, c.name, "IAM role", names.autoscaler_role(c.name), "iam-role"))
        efs = storage.efs
        if efs is not None and efs.enabled:
            out.append((key, c.name, "IAM role", names.efs_csi_role(c.name), "iam-role"))
            if not efs.adopted:
                out.append((key, c.name, "security group", names.efs_security_group(c.name), "security-group"))
        for pool in pools:
            group = names.eks_node_group(c.name, pool.name)
            out.append((key, c.name, "node group", group, "eks-node-group"))
            out.append((f"{PROJECT}:nodePools[{pool.name}].name", pool.name, "node group", group, "eks-node-group"))
    elif ctx.platform == "gke":
        out.append((key, c.name, "GKE cluster", c.name, "gke-cluster"))
        for pool in pools:
            at = f"{PROJECT}:nodePools[{pool.name}].name"
            out.append((at, pool.name, "GKE node pool", pool.name, "gke-node-pool"))
    elif ctx.platform == "openshift" and c.infrastructure_name:
        for pool in pools:
            at = f"{PROJECT}:nodePools[{pool.name}].name"
            for zone in c.zones:
                machine_set = names.machine_set(c.infrastructure_name, pool.name, zone)
                out.append((at, pool.name, "MachineSet (and its machines' label)", machine_set, "label-value"))
    return out


def _check_limits(
    ctx: _Context, pools: Sequence[NodePool], storage: Storage, autoscaling: Autoscaling, errors: list[str]
) -> None:
    """The clouds' limits: derived names, regions, CIDRs, subnets, sizes (`components/limits.py`)."""
    c = ctx.cluster
    reported: set[str] = set()
    by_key: dict[str, list[tuple[str, str, str, str, str]]] = {}
    for entry in _derived_names(ctx, pools, storage, autoscaling):
        by_key.setdefault(entry[0], []).append(entry)
    for key, entries in by_key.items():  # cluster.name first: a pool is not blamed for a long cluster name
        if key != f"{PROJECT}:cluster.name" and f"{PROJECT}:cluster.name" in reported:
            continue
        # One line per key: the derived name that limits it most.
        worst = None
        for _, value, what, derived, kind in entries:
            limit = limits.NAMES[kind]
            if limit.problem(derived) is None:
                continue
            room = limit.max_length - (len(derived) - len(value))
            if worst is None or room < worst[0]:
                worst = (room, value, what, derived, limit)
        if worst is None:
            continue
        reported.add(key)
        room, value, what, derived, limit = worst
        problem = limit.problem(derived)
        if len(derived) > limit.max_length:
            fix = (
                f"shorten it to at most {room} characters"
                if room >= 1
                else "the rest of that name already exceeds the limit"
            )
            errors.append(
                f"{key}: {value!r} makes the {what} name {derived!r} ({len(derived)} characters); {problem} ({fix})"
            )
        else:
            errors.append(f"{key}: {value!r} makes the {what} name {derived!r}; {problem}")
    if c is not None:
        _check_region(ctx, c, errors)
        at = f"{PROJECT}:cluster"
        for i, cidr in enumerate(c.public_access_cidrs):
            problem = limits.cidr_problem(cidr)
            if problem:
                errors.append(f"{at}.publicAccessCidrs[{i}]: {cidr!r} {problem}")
        for dup in sorted({s for s in c.subnet_ids if c.subnet_ids.count(s) > 1}):
            errors.append(f"{at}.subnetIds: {dup} is listed {c.subnet_ids.count(dup)} times; list each subnet once")
    for pool in pools:
        at = f"{PROJECT}:nodePools[{pool.name}].maxSize"
        if ctx.platform == "eks" and pool.max_size > limits.EKS_MAX_NODES_PER_GROUP:
            errors.append(
                f"{at}: {pool.max_size} is above the {limits.EKS_MAX_NODES_PER_GROUP} nodes an EKS managed node group "
                "can hold (EKS service quota 'Nodes per managed node group'); split the pool"
            )
        if ctx.platform == "gke" and c is not None and c.location:
            zones = 1 if c.location.count("-") >= 2 else 3
            most = limits.GKE_MAX_NODES_PER_POOL_ZONE * zones
            if pool.max_size > most:
                errors.append(
                    f"{at}: {pool.max_size} is above the {most} nodes a GKE node pool can hold in {c.location} "
                    f"({limits.GKE_MAX_NODES_PER_POOL_ZONE} per zone, GKE quotas and limits)"
                )


def _check_region(ctx: _Context, c: Cluster, errors: list[str]) -> None:
    if c.unlisted_region:
        return
    way_out = (
        f"check the spelling, or set {PROJECT}:cluster.unlistedRegion: true for a region newer than the list "
        f"(components/regions.py, as of {regions.REGIONS_AS_OF})"
    )
    if ctx.platform in ("eks", "openshift") and ctx.aws_region and ctx.aws_region not in regions.AWS_REGIONS:
        errors.append(f"aws:region: {ctx.aws_region!r} is not an AWS region; {way_out}")
    if ctx.platform == "gke" and c.location and regions.gcp_region_of(c.location) not in regions.GCP_REGIONS:
        errors.append(f"{PROJECT}:cluster.location: {c.location!r} is not in a Google Cloud region; {way_out}")


def _check_namespaces(
    ctx: _Context, pipelines: Pipelines | None, runner: GitLabRunner | None, qemu: bool, errors: list[str]
) -> None:
    """Namespaces the stack creates: none the platform owns, and each created once."""
    created: list[tuple[str, str]] = []
    if pipelines is not None:
        created.append((f"{PROJECT}:pipelines.namespace", pipelines.namespace))
        if ctx.platform in ("eks", "gke"):
            created.append((f"{PROJECT}:pipelines (the Tekton release)", names.TEKTON_NAMESPACE))
    if runner is not None:
        created.append((f"{PROJECT}:gitlabRunner.namespace", runner.namespace))
    if qemu:
        created.append((f"{PROJECT}:qemu (the binfmt DaemonSet)", names.QEMU_NAMESPACE))
    first: dict[str, str] = {}
    for key, namespace in created:
        if limits.owned_namespace(namespace) and key.endswith(".namespace"):
            errors.append(
                f"{key}: {namespace!r} is a namespace the platform owns; the stack creates (and would delete) "
                "its namespace: choose another name"
            )
        elif namespace in first:
            errors.append(
                f"{key}: {namespace!r} is also {first[namespace]}; each creates its namespace, and one namespace "
                "has one owner: choose another name"
            )
        first.setdefault(namespace, key)


def _check_build_resources(r: BuildResources, errors: list[str]) -> None:
    at = f"{PROJECT}:gitlabRunner.buildResources"
    values = {}
    for name in ("cpu_request", "cpu_limit", "memory_request", "memory_limit"):
        raw = getattr(r, name)
        value = limits.quantity(raw)
        if value is None:
            example = "500m or 2" if name.startswith("cpu") else "512Mi or 4Gi"
            errors.append(f"{at}.{to_camel(name)}: {raw!r} is not a Kubernetes quantity such as {example}")
        values[name] = value
    for kind in ("cpu", "memory"):
        request, limit = values[f"{kind}_request"], values[f"{kind}_limit"]
        if request is not None and limit is not None and request > limit:
            errors.append(
                f"{at}.{kind}Request: {getattr(r, f'{kind}_request')!r} is above {kind}Limit "
                f"{getattr(r, f'{kind}_limit')!r}; Kubernetes refuses a request above its limit"
            )


def _check_pipelines(platform: Platform, p: Pipelines, errors: list[str]) -> Pipelines:
    """Resolve the default flavor for the platform and refuse the flavor that cannot work there."""
    at = f"{PROJECT}:pipelines"
    default: PipelinesFlavor = "openshift-pipelines" if platform == "openshift" else "tekton"
    if p.flavor is None:
        p = p.model_copy(update={"flavor": default})
    if p.flavor == "openshift-pipelines" and platform != "openshift":
        errors.append(f"{at}.flavor: openshift-pipelines needs OpenShift's OLM catalog; on {platform} use tekton")
    if p.flavor == "tekton" and platform == "openshift":
        errors.append(f"{at}.flavor: tekton on openshift would fight the platform's operator; use openshift-pipelines")
    for key in ("version",) if p.flavor == "openshift-pipelines" else ("channel",):
        if key in p.model_fields_set:
            errors.append(f"{at}.{key}: not used by flavor {p.flavor}")
    return p


def _warnings(platform: str | None, pools: Sequence[NodePool], qemu: Qemu | None) -> tuple[str, ...]:
    out: list[str] = []
    if qemu is not None and qemu.enabled and platform == "eks":
        for pool in pools:
            facts = arch.EKS_AMI_TYPES.get(pool.ami_type or "")
            if facts is not None and not facts.binfmt_misc:
                out.append(
                    f"{PROJECT}:nodePools[{pool.name}].amiType: {pool.ami_type} has no binfmt_misc: qemu emulation "
                    "cannot be registered on these nodes; emulated builds will not run there"
                )
    return tuple(out)


def _check_runner_token(token: str | None, errors: list[str]) -> None:
    key = f"{PROJECT}:gitlabRunnerToken"
    how = f"create the runner in GitLab (CI/CD settings > Runners) and run `pulumi config set --secret {key} glrt-...`"
    if not token:
        errors.append(f"{key}: required while gitlabRunner is enabled: {how}")
    elif not token.startswith("glrt-"):
        # Never echo the value: it is a credential.
        kind = "a registration token (deprecated, not supported)" if token.startswith("GR1348941") else "not one"
        errors.append(f"{key}: expected a runner authentication token (glrt-...), the value is {kind}: {how}")


def _present_keys() -> list[str]:
    """Every `multiarch:` key set on this stack (to catch misspelt top-level keys)."""
    keys = set(pulumi.runtime.config.CONFIG.get()) | set(pulumi.runtime.config.get_config_env())
    prefix = f"{PROJECT}:"
    return sorted(k[len(prefix) :] for k in keys if k.startswith(prefix))


def _is_secret(key: str) -> bool:
    # The engine names secret keys in PULUMI_CONFIG_SECRET_KEYS; the mock engine via set_all_config.
    return pulumi.runtime.config.is_config_secret(key) or key in pulumi.runtime.config.get_config_secret_keys_env()


def _from_reader(
    read: Callable[[str], Any],
    present: Sequence[str],
    is_secret: Callable[[str], bool],
    stack: str,
    catalog: bool = True,
) -> Settings:
    """The common path of `load()` and `from_config()`: `read("ns:key")` gives a key's value or None."""
    raw: dict[str, Any] = {}
    errors: list[str] = []
    for key in STRING_KEYS:
        raw[key] = read(f"{PROJECT}:{key}")
    for key in OBJECT_KEYS:
        value = read(f"{PROJECT}:{key}")
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                errors.append(f"{PROJECT}:{key}: is not a valid YAML/JSON object or list")
                value = None
        raw[key] = value
    known = set(STRING_KEYS) | set(OBJECT_KEYS) | set(SECRET_KEYS)
    unknown = [k for k in present if k not in known]
    token = read(f"{PROJECT}:gitlabRunnerToken")
    if token is not None and not is_secret(f"{PROJECT}:gitlabRunnerToken"):
        errors.append(
            f"{PROJECT}:gitlabRunnerToken: is stored in plaintext; set it with "
            f"`pulumi config set --secret {PROJECT}:gitlabRunnerToken glrt-...`"
        )
    try:
        settings = parse(
            raw,
            stack=stack,
            aws_region=read("aws:region"),
            gcp_project=read("gcp:project"),
            gcp_region=read("gcp:region"),
            # A secret: held as SecretStr here and wrapped as a Pulumi secret where it is used.
            kubeconfig=read("kubernetes:kubeconfig"),
            gitlab_runner_token=token,
            unknown_keys=unknown,
            catalog=catalog,
        )
    except ConfigError as exc:
        raise ConfigError(errors + exc.errors) from None
    if errors:
        raise ConfigError(errors)
    return settings


def load() -> Settings:
    """Read the stack's configuration. Raises ConfigError (a pulumi.RunError) when invalid."""

    def read(key: str) -> Any:
        namespace, _, name = key.partition(":")
        return pulumi.Config(namespace).get(name)

    return _from_reader(read, _present_keys(), _is_secret, pulumi.get_stack())


def from_config(
    config: Mapping[str, Any], *, stack: str, secret_keys: Collection[str] = (), catalog: bool = True
) -> Settings:
    """Settings from a stack file's `config:` mapping, for tools that run without the engine."""
    prefix = f"{PROJECT}:"
    present = sorted(k[len(prefix) :] for k in config if k.startswith(prefix))
    return _from_reader(config.get, present, lambda key: key in secret_keys, stack, catalog)
