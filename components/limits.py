"""What the clouds and Kubernetes accept, so that what the plan accepts `pulumi up` accepts too.

Each limit says where it comes from. The settings check every name the stack derives
(`components/names.py`), every size, CIDR and quantity against these before a resource is
declared: a refusal half-way through `pulumi up` leaves a half-built, billing cluster.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation


@dataclass(frozen=True)
class NameLimit:
    what: str  # "IAM role names"
    max_length: int
    pattern: str  # the whole name must match
    allowed: str  # the pattern in words

    def problem(self, name: str) -> str | None:
        if len(name) > self.max_length:
            return f"{self.what} are at most {self.max_length} characters"
        if not re.fullmatch(self.pattern, name):
            return f"{self.what} allow {self.allowed}"
        return None


_DNS_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_LOWER_LABEL = r"[a-z]([-a-z0-9]*[a-z0-9])?"

NAMES = {
    # IAM CreateRole: RoleName, 1-64 of [\w+=,.@-] (IAM API reference).
    "iam-role": NameLimit("IAM role names", 64, r"[\w+=,.@-]+", "letters, digits and +=,.@_-"),
    # EKS CreateCluster: name, 1-100, ^[0-9A-Za-z][A-Za-z0-9\-_]*$ (EKS API reference).
    "eks-cluster": NameLimit(
        "EKS cluster names", 100, r"[0-9A-Za-z][A-Za-z0-9_-]*", "letters, digits, - and _, starting alphanumeric"
    ),
    # EKS CreateNodegroup: nodegroupName, 1-63, ^[0-9A-Za-z][A-Za-z0-9\-_]*$ (EKS API reference).
    "eks-node-group": NameLimit(
        "EKS node group names", 63, r"[0-9A-Za-z][A-Za-z0-9_-]*", "letters, digits, - and _, starting alphanumeric"
    ),
    # IAM CreatePolicy: PolicyName, 1-128 of [\w+=,.@-] (IAM API reference).
    "iam-policy": NameLimit("IAM policy names", 128, r"[\w+=,.@-]+", "letters, digits and +=,.@_-"),
    # SQS CreateQueue: QueueName, 1-80 of alphanumerics, - and _ (SQS API reference).
    "sqs-queue": NameLimit("SQS queue names", 80, r"[A-Za-z0-9_-]+", "letters, digits, - and _"),
    # EventBridge PutRule: Name, 1-64 of [\.\-_A-Za-z0-9]+ (EventBridge API reference).
    "eventbridge-rule": NameLimit("EventBridge rule names", 64, r"[.A-Za-z0-9_-]+", "letters, digits, ., - and _"),
    # EC2 CreateSecurityGroup: GroupName, up to 255 (EC2 API reference).
    "security-group": NameLimit("security group names", 255, r"[ -~]+", "printable ASCII"),
    # GKE: cluster and node pool names, 1-40, lowercase, starting with a letter (GKE API reference).
    "gke-cluster": NameLimit(
        "GKE cluster names", 40, _LOWER_LABEL, "lowercase letters, digits and -, starting with a letter"
    ),
    "gke-node-pool": NameLimit(
        "GKE node pool names", 40, _LOWER_LABEL, "lowercase letters, digits and -, starting with a letter"
    ),
    # Kubernetes: namespaces are DNS labels (RFC 1123, 63); most objects DNS subdomains (253).
    "namespace": NameLimit("Kubernetes namespace names", 63, _DNS_LABEL, "lowercase letters, digits and -"),
    "object": NameLimit(
        "Kubernetes object names", 253, rf"{_DNS_LABEL}(\.{_DNS_LABEL})*", "lowercase letters, digits, - and ."
    ),
    # Kubernetes label values: 63, alphanumeric at both ends, -_. inside. A MachineSet's name is the
    # value of its machines' `machine.openshift.io/cluster-api-machineset` label.
    "label-value": NameLimit(
        "Kubernetes label values", 63, r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?", "letters, digits, -_."
    ),
}

# Sizes no account can exceed (or not without a quota the stack cannot see):
# - EKS service quota "Nodes per managed node group": 450 (EKS User Guide, "Amazon EKS service quotas");
# - GKE "Nodes per node pool zone": 1,000 (GKE "Quotas and limits"), so 1,000 per zone of the pool.
# OpenShift MachineSets have no such bound of their own (EC2 instance quotas apply; not checked).
EKS_MAX_NODES_PER_GROUP = 450
GKE_MAX_NODES_PER_POOL_ZONE = 1000

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
