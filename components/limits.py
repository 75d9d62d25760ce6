"""What the clouds and Kubernetes accept, so that what the plan accepts `pulumi up` accepts too.

Each limit says where it comes from. The settings check every name the stack derives
(`components/names.py`), every size, CIDR and quantity against these before a resource is
declared: a refusal half-way through `pulumi up` leaves a half-built, billing cluster.
"""

from __future__ import annotations

import ipaddress
import re
import re._constants as sre_constants  # type: ignore[import-not-found]  # Python's own regex parser
import re._parser as sre_parser  # type: ignore[import-not-found]
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from .catalog import api


@dataclass(frozen=True)
class NameLimit:
    what: str  # "IAM role names"
    max_length: int
    pattern: str  # the whole name must match
    allowed: str  # the pattern in words
    source: str = ""  # where the limit comes from

    def problem(self, name: str) -> str | None:
        if len(name) > self.max_length:
            return f"{self.what} are at most {self.max_length} characters"
        if not re.fullmatch(self.pattern, name):
            return f"{self.what} allow {self.allowed}"
        return None


def _api(service: str, shape: str, what: str, allowed: str, pattern: str | None = None) -> NameLimit:
    """A name limit from the API model's own min/max/pattern (`components/catalog/aws_api.json`)."""
    f = api.field(service, shape)
    assert f.max is not None and (pattern or f.pattern)
    return NameLimit(what, int(f.max), pattern or str(f.pattern), allowed, f.source)


_DNS_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_LOWER_LABEL = r"[a-z]([-a-z0-9]*[a-z0-9])?"
_K8S_NAMES = "Kubernetes object names and labels (RFC 1123, apimachinery validation)"

NAMES = {
    "iam-role": _api("iam", "roleNameType", "IAM role names", "letters, digits and +=,.@_-"),
    "eks-cluster": _api(
        "eks", "ClusterName", "EKS cluster names", "letters, digits, - and _, starting alphanumeric",
        r"[0-9A-Za-z][A-Za-z0-9_-]*",
    ),
    # EKS CreateNodegroup: nodegroupName, 1-63, ^[0-9A-Za-z][A-Za-z0-9\-_]*$ (EKS API reference; the
    # botocore model types it as a plain String).
    "eks-node-group": NameLimit(
        "EKS node group names", 63, r"[0-9A-Za-z][A-Za-z0-9_-]*", "letters, digits, - and _, starting alphanumeric",
        "EKS API reference, CreateNodegroup nodegroupName",
    ),
    "iam-policy": _api("iam", "policyNameType", "IAM policy names", "letters, digits and +=,.@_-"),
    # SQS CreateQueue: QueueName, 1-80 of alphanumerics, - and _ (SQS API reference; a plain String in botocore).
    "sqs-queue": NameLimit(
        "SQS queue names", 80, r"[A-Za-z0-9_-]+", "letters, digits, - and _", "SQS API reference, CreateQueue"
    ),
    "eventbridge-rule": _api("events", "RuleName", "EventBridge rule names", "letters, digits, ., - and _"),
    # EC2 CreateSecurityGroup: GroupName, up to 255, and it "cannot start with sg-" (EC2 API reference;
    # a plain String in botocore).
    "security-group": NameLimit(
        "security group names", 255, r"(?!sg-)[ -~]+", "printable ASCII, not starting with sg-",
        "EC2 API reference, CreateSecurityGroup GroupName",
    ),
    "efs-creation-token": _api("efs", "CreationToken", "EFS creation tokens", "any characters"),
    # GKE: cluster and node pool names, 1-40, lowercase, starting with a letter (GKE API reference).
    "gke-cluster": NameLimit(
        "GKE cluster names", 40, _LOWER_LABEL, "lowercase letters, digits and -, starting with a letter",
        "GKE API reference",
    ),
    "gke-node-pool": NameLimit(
        "GKE node pool names", 40, _LOWER_LABEL, "lowercase letters, digits and -, starting with a letter",
        "GKE API reference",
    ),
    # Kubernetes: namespaces are DNS labels (RFC 1123, 63); most objects DNS subdomains (253).
    "namespace": NameLimit("Kubernetes namespace names", 63, _DNS_LABEL, "lowercase letters, digits and -", _K8S_NAMES),
    "object": NameLimit(
        "Kubernetes object names", 253, rf"{_DNS_LABEL}(\.{_DNS_LABEL})*", "lowercase letters, digits, - and .",
        _K8S_NAMES,
    ),
    # Kubernetes label values: 63, alphanumeric at both ends, -_. inside. A MachineSet's name is the
    # value of its machines' `machine.openshift.io/cluster-api-machineset` label.
    "label-value": NameLimit(
        "Kubernetes label values", 63, r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?", "letters, digits, -_.",
        _K8S_NAMES,
    ),
}  # fmt: skip


# --- Kubernetes' own syntax: label keys and values, taints (apimachinery validation) ------------

K8S_LABEL_SOURCE = "Kubernetes label syntax"
_LABEL_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")
_DNS_SUBDOMAIN = re.compile(rf"{_DNS_LABEL}(\.{_DNS_LABEL})*")


def label_key_problem(key: str) -> str | None:
    """What is wrong with a label (or taint) key: an optional DNS-subdomain prefix (253) and `/`,
    then a name of 1-63 letters, digits and -_. starting and ending alphanumeric."""
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or len(prefix) > 253 or not _DNS_SUBDOMAIN.fullmatch(prefix)):
        return "its prefix is not a lowercase DNS subdomain (at most 253 characters)"
    if not name or len(name) > 63:
        return "its name (after the prefix) is 1 to 63 characters"
    if not _LABEL_NAME.fullmatch(name):
        return "its name allows letters, digits and -_., starting and ending with a letter or digit"
    return None


def label_value_problem(value: str) -> str | None:
    """What is wrong with a label (or taint) value: empty, or 1-63 of letters, digits and -_. starting
    and ending alphanumeric."""
    if len(value) > 63:
        return "a label value is at most 63 characters"
    if value and not _LABEL_NAME.fullmatch(value):
        return "a label value allows letters, digits and -_., starting and ending with a letter or digit"
    return None


# The kubelet may label its own node only outside the kubernetes.io and k8s.io domains, except these
# (NodeRestriction admission; Kubernetes "Well-Known Labels", kubelet --node-labels): a node group
# whose labels it may not set never registers.
KUBELET_LABEL_SOURCE = "kubelet --node-labels and the NodeRestriction admission plugin"
KUBELET_ALLOWED_PREFIXES = ("kubelet.kubernetes.io/", "node.kubernetes.io/")
KUBELET_ALLOWED_KEYS = (
    "kubernetes.io/hostname", "kubernetes.io/arch", "kubernetes.io/os", "beta.kubernetes.io/instance-type",
    "node.kubernetes.io/instance-type", "beta.kubernetes.io/arch", "beta.kubernetes.io/os",
    "failure-domain.beta.kubernetes.io/region", "failure-domain.beta.kubernetes.io/zone",
    "topology.kubernetes.io/region", "topology.kubernetes.io/zone",
)  # fmt: skip


def kubelet_may_set(key: str) -> bool:
    prefix = key.rpartition("/")[0]
    restricted = prefix.endswith(("kubernetes.io", "k8s.io")) and (
        prefix in ("kubernetes.io", "k8s.io") or prefix.endswith((".kubernetes.io", ".k8s.io"))
    )
    return not restricted or key in KUBELET_ALLOWED_KEYS or key.startswith(KUBELET_ALLOWED_PREFIXES)


# Go's regexp is RE2: no lookaround, no backreferences, no atomic groups or possessive repeats
# (github.com/google/re2/wiki/Syntax). Programs written in Go (the GitLab runner) refuse the rest.
GO_REGEXP_SOURCE = "Go regexp (RE2) syntax"
_NOT_IN_RE2 = {
    sre_constants.ASSERT: "lookahead or lookbehind",
    sre_constants.ASSERT_NOT: "negative lookahead or lookbehind",
    sre_constants.GROUPREF: "a backreference",
    sre_constants.GROUPREF_EXISTS: "a conditional group",
    sre_constants.ATOMIC_GROUP: "an atomic group",
    sre_constants.POSSESSIVE_REPEAT: "a possessive repeat",
}


def go_regexp_problem(pattern: str) -> str | None:
    """What Go's regexp would refuse in a pattern Python compiles (None: RE2 takes it)."""
    if re.search(r"(?<!\\)\\Z", pattern):
        return "uses \\Z, which Go's regexp spells \\z"
    try:
        parsed = sre_parser.parse(pattern)
    except re.error as exc:
        return f"is not a regular expression: {exc}"
    stack: list[Any] = [parsed]
    while stack:
        for op, av in stack.pop():
            if op in _NOT_IN_RE2:
                return f"uses {_NOT_IN_RE2[op]}, which Go's regexp (RE2) does not support"
            for part in av if isinstance(av, (list, tuple)) else ():
                if isinstance(part, sre_parser.SubPattern):
                    stack.append(part)
                elif isinstance(part, (list, tuple)):
                    stack.extend(p for p in part if isinstance(p, sre_parser.SubPattern))
            if isinstance(av, sre_parser.SubPattern):
                stack.append(av)
    return None


# Go's time.Duration is an int64 of nanoseconds: at most 2562047h47m16.854775807s.
GO_DURATION_SOURCE = "Go time.Duration"
GO_DURATION_MAX_NS = 2**63 - 1
_UNIT_NS = {
    "ns": 1, "us": 10**3, "\u00b5s": 10**3, "\u03bcs": 10**3, "ms": 10**6,
    "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9,
}  # fmt: skip


def parse_go_duration(value: str) -> int:
    """Nanoseconds, as Go's time.ParseDuration reads `value` (src/time/format.go): signed, compound,
    fractions, units ns to h, "0" alone without a unit. Raises ValueError with Go's own message."""
    invalid = ValueError(f'time: invalid duration "{value}"')
    s, negative = value, False
    if s[:1] in ("-", "+"):
        negative, s = s[0] == "-", s[1:]
    if s == "0":
        return 0
    if not s:
        raise invalid
    total = 0
    while s:
        m = re.match(r"([0-9]*)(?:\.([0-9]*))?", s)
        assert m is not None  # the pattern matches the empty string
        whole, fraction = m[1], m[2]
        if not whole and not fraction:
            raise invalid
        s = s[m.end() :]
        unit = re.match(r"[^0-9.]*", s)[0]  # type: ignore[index]  # matches the empty string too
        if not unit:
            raise ValueError(f'time: missing unit in duration "{value}"')
        if unit not in _UNIT_NS:
            raise ValueError(f'time: unknown unit "{unit}" in duration "{value}"')
        s = s[len(unit) :]
        per = _UNIT_NS[unit]
        v = int(whole or "0")
        if v > 2**63 // per:
            raise invalid
        v *= per
        if fraction and int(fraction):
            v += int(int(fraction) * (per / 10 ** len(fraction)))
        total += v
        if v > 2**63 or total > 2**63:
            raise invalid
    if negative:
        return -total
    if total > GO_DURATION_MAX_NS:
        raise invalid
    return total


def go_duration_ns(value: str) -> int | None:
    """A duration such as "10m" or "1h30m" in nanoseconds, as Go reads it (None: not one Go reads)."""
    try:
        return parse_go_duration(value)
    except ValueError:
        return None


@dataclass(frozen=True)
class Quota:
    """A limit the account owner may have raised: `key` states the raised value."""

    what: str
    default: int
    key: str  # the config key, under multiarch:cluster.quotas
    source: str


# EKS service quotas (EKS User Guide, "Amazon EKS service quotas"): both adjustable through Service
# Quotas; AWS publishes no hard ceiling above them, so the stated value is the limit.
EKS_NODES_PER_NODE_GROUP = Quota(
    "Nodes per managed node group", 450, "nodesPerNodeGroup", "EKS service quota 'Nodes per managed node group'"
)
EKS_NODE_GROUPS_PER_CLUSTER = Quota(
    "Managed node groups per cluster", 30, "nodeGroupsPerCluster", "EKS service quota 'Managed node groups per cluster'"
)
# GKE "Nodes per node pool zone": 1,000, a limit rather than a quota (GKE "Quotas and limits").
# OpenShift MachineSets have no such bound of their own (EC2 instance quotas apply; not checked).
GKE_MAX_NODES_PER_POOL_ZONE = 1000

# What builds leave behind (docs/build.md, "Retention"): each limit with its source.
# EFS access points per file system: 10,000 since February 2025, adjustable (EFS quotas; botocore's
# CreateAccessPoint documentation; 120 before 2023, 1,000 from January 2023).
EFS_ACCESS_POINTS_PER_FILE_SYSTEM = Quota(
    "Access points per file system", 10_000, "efsAccessPointsPerFileSystem", "EFS quotas (adjustable)"
)
# PipelineRuns a cluster keeps before the controller and the UIs slow down: about 2,000, as users
# report it (tektoncd/cli#2206, 2024; tektoncd/pipeline#9686), not a documented limit.
TEKTON_PIPELINERUNS_PRACTICAL = 2000
TEKTON_PIPELINERUNS_SOURCE = "tektoncd/cli#2206: about 2,000 PipelineRuns, users' practical ceiling"
# Completed TaskRuns before sluggishness, as reported (tektoncd/pipeline#3175).
TEKTON_TASKRUNS_PRACTICAL = 1600
TEKTON_TASKRUNS_SOURCE = "tektoncd/pipeline#3175: sluggish near 1,600 completed TaskRuns"

# OpenShift on AWS runs three control plane machines (install-config controlPlane.replicas), and its
# ClusterAutoscaler counts them in maxNodesTotal (ClusterAutoscaler resourceLimits docs).
OPENSHIFT_CONTROL_PLANE_NODES = 3

# StorageClasses the platform creates and reconciles itself (GKE "Use the Filestore CSI driver" and
# "Persistent volumes" pages; EKS creates gp2; OpenShift on AWS gp2-csi and gp3-csi): a StorageClass
# of the stack under one of these names would fight the platform's.
PLATFORM_STORAGE_CLASSES: dict[str, tuple[str, ...]] = {
    "gke": (
        "standard", "standard-rwo", "premium-rwo", "standard-rwx", "premium-rwx", "enterprise-rwx",
        "enterprise-multishare-rwx", "zonal-rwx",
    ),
    "eks": ("gp2",),
    "openshift": ("gp2-csi", "gp3-csi"),
}  # fmt: skip

# EBS gp3 root volumes: 1 GiB to 16 TiB (EBS User Guide, "Amazon EBS volume types").
EBS_GP3_MAX_GIB = 16384

# EC2 resource IDs: a prefix and 8 (older) or 17 hexadecimal characters (EC2 User Guide, "Resource IDs").
EC2_ID_SOURCE = "EC2 resource IDs"


def ec2_id_problem(value: str, prefix: str) -> str | None:
    if re.fullmatch(rf"{prefix}-([0-9a-f]{{8}}|[0-9a-f]{{17}})", value):
        return None
    return f"expected {prefix}- and 8 or 17 lowercase hexadecimal digits ({EC2_ID_SOURCE})"


# A GKE cluster's network and subnetwork: a Compute Engine resource name (RFC 1035: a lowercase
# letter, then up to 62 lowercase letters, digits and -, not ending in -) or its self link
# (`projects/P/global/networks/N`, `projects/P/regions/R/subnetworks/N`, with or without the API's
# https://www.googleapis.com/compute/v1/ prefix) (Compute Engine naming; the google provider's
# container_cluster network and subnetwork arguments).
GCP_NETWORK_SOURCE = "Compute Engine resource names; google_container_cluster network, subnetwork"
_GCP_NAME = r"[a-z]([-a-z0-9]{0,61}[a-z0-9])?"
_GCP_LINKS = {
    "network": rf"projects/[^/]+/global/networks/{_GCP_NAME}",
    "subnetwork": rf"projects/[^/]+/regions/[a-z0-9-]+/subnetworks/{_GCP_NAME}",
}


def gcp_network_problem(value: str, kind: str) -> str | None:
    """None for a valid `network` or `subnetwork` (`kind`) reference, else what is expected."""
    link = _GCP_LINKS[kind]
    if re.fullmatch(rf"(https://www\.googleapis\.com/compute/v1/)?{link}|{_GCP_NAME}", value):
        return None
    shown = {
        "network": "projects/PROJECT/global/networks/NAME",
        "subnetwork": "projects/PROJECT/regions/REGION/subnetworks/NAME",
    }
    return (
        f"expected a {kind} name (a lowercase letter, then lowercase letters, digits and -, at most 63) or its "
        f"self link {shown[kind]} ({GCP_NETWORK_SOURCE})"
    )


# What an EKS AMI reserves on a node (awslabs/amazon-eks-ami: kube-reserved memory 255Mi + 11Mi per
# pod the node may run, CPU 6% of the first core, 1% of the second, 0.5% of the next two and 0.25%
# of the rest; eviction-hard memory.available 100Mi).
EKS_RESERVATION_SOURCE = "EKS AMI kube-reserved and eviction-hard"
EKS_EVICTION_MIB = 100


def eks_allocatable(vcpu: int, memory_mib: int, max_pods: int) -> tuple[int, int]:
    """(CPU millicores, memory MiB) a node of an EKS AMI leaves to pods."""
    reserved_cpu = 60 + (10 if vcpu >= 2 else 0) + 5 * max(0, min(vcpu, 4) - 2) + 2.5 * max(0, vcpu - 4)
    memory = memory_mib - (255 + 11 * max_pods) - EKS_EVICTION_MIB
    return int(vcpu * 1000 - reserved_cpu), memory


# Namespaces the platform owns: the stack never creates these (it would adopt, then delete them).
OWNED_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease", "openshift")
OWNED_NAMESPACE_PREFIXES = ("kube-", "openshift-", "gke-", "gmp-")


def owned_namespace(name: str) -> bool:
    return name in OWNED_NAMESPACES or name.startswith(OWNED_NAMESPACE_PREFIXES)


def cidr_problem(value: str) -> str | None:
    """What is wrong with an IPv4 CIDR block, in words (None: a valid one)."""
    if "/" not in value:
        return "is not a CIDR block: it needs a prefix length, e.g. 203.0.113.0/24"
    try:
        ipaddress.IPv4Network(value, strict=True)
    except ipaddress.NetmaskValueError:
        return "is not a CIDR block: the prefix length is 0 to 32"
    except ValueError as exc:
        if "host bits set" in str(exc):
            network = ipaddress.IPv4Network(value, strict=False)
            return f"has host bits set: the block is {network}"
        return "is not an IPv4 CIDR block such as 203.0.113.0/24"
    return None


# Kubernetes resource.Quantity: a decimal number and an optional suffix (binary, decimal or exponent).
_QUANTITY = re.compile(
    r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$"
)
_SUFFIX = {
    "Ki": Decimal(2**10), "Mi": Decimal(2**20), "Gi": Decimal(2**30), "Ti": Decimal(2**40), "Pi": Decimal(2**50),
    "Ei": Decimal(2**60), "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "k": Decimal(10**3),
    "M": Decimal(10**6), "G": Decimal(10**9), "T": Decimal(10**12), "P": Decimal(10**15), "E": Decimal(10**18),
}  # fmt: skip


def quantity(value: str) -> Decimal | None:
    """A Kubernetes quantity's value ("500m" -> 0.5, "2Gi" -> 2147483648); None if it is not one."""
    m = _QUANTITY.match(value)
    if m is None:
        return None
    try:
        number = Decimal(m[1])
    except InvalidOperation:
        return None
    suffix = m[2] or ""
    if suffix[:1] in ("e", "E") and suffix not in _SUFFIX:
        return number * Decimal(10) ** int(suffix[1:])
    return number * _SUFFIX.get(suffix, Decimal(1))
