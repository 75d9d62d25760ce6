"""One physical object, one owner: no two resources of the stack may create the same object.

Two resources that create one Kubernetes object (`kind/namespace/name`), one IAM role, one node
group or one security group do not fail at plan time: they fail at `pulumi up`, half-way, or
worse, fight over the object on every update. `watch()` installs a transformation (on the stack,
or on the component everything is declared under; it runs in the program, as each resource is
declared, so every component gets the check without doing anything) that records what each
resource creates and stops the program with a `ConfigError` naming both resources and the
config keys that made them (from the top-level component each belongs to, `COMPONENT_KEYS`; a
component missing there is named by its type). `pulumi up` previews first, so it stops before
anything is created.

What counts as the object: Kubernetes kind, namespace and name (patches create nothing: they set
fields of an object something else owns); a Helm release's namespace and name; the cloud names
(IAM role, EKS cluster and node group, security group, GKE cluster and node pool). A name that is
not known while the program runs (an Output) is left out: objects inside a namespace the stack
creates carry their namespace as an Output, and cannot collide unless the namespace does, which
is checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from .settings import ConfigError

# Cloud resources: type -> (what the object is called, the input that names it).
CLOUD_NAMES = {
    "aws:iam/role:Role": ("IAM role", "name"),
    "aws:eks/cluster:Cluster": ("EKS cluster", "name"),
    "aws:eks/nodeGroup:NodeGroup": ("EKS node group", "node_group_name"),
    "aws:ec2/securityGroup:SecurityGroup": ("security group", "name"),
    "gcp:container/cluster:Cluster": ("GKE cluster", "name"),
    "gcp:container/nodePool:NodePool": ("GKE node pool", "name"),
}


# The config key each component comes from.
COMPONENT_KEYS = {
    "multiarch:eks:Cluster": "multiarch:cluster",
    "multiarch:gke:Cluster": "multiarch:cluster",
    "multiarch:eks:NodePools": "multiarch:nodePools",
    "multiarch:gke:NodePools": "multiarch:nodePools",
    "multiarch:openshift:NodePools": "multiarch:nodePools",
    "multiarch:eks:ClusterAutoscaler": "multiarch:autoscaling",
    "multiarch:eks:Karpenter": "multiarch:autoscaling",
    "multiarch:openshift:Autoscaling": "multiarch:autoscaling",
    "multiarch:storage:Efs": "multiarch:storage.efs",
    "multiarch:storage:Filestore": "multiarch:storage.filestore",
    "multiarch:gitlab:Runner": "multiarch:gitlabRunner",
    "multiarch:pipelines:Engine": "multiarch:pipelines",
    "multiarch:pipelines:BuildPipeline": "multiarch:pipelines",
    "multiarch:qemu:Binfmt": "multiarch:qemu",
}


@dataclass(frozen=True)
class Claim:
    resource: str  # the Pulumi resource name
    key: str  # the config key it comes from


def _field(obj: Any, key: str) -> Any:
    if obj is None or isinstance(obj, pulumi.Output):
        return None  # not known yet (an Output's attribute would be an Output, failing on a dict)
    if isinstance(obj, dict):
        return obj.get(key)
    return getattr(obj, key, None)


def _plain(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def physical_object(type_: str, props: Mapping[str, Any]) -> str | None:
    """What a resource creates, as one string (None: nothing known to check)."""
    if type_ in CLOUD_NAMES:
        what, key = CLOUD_NAMES[type_]
        name = _plain(props.get(key))
        return f"{what} {name}" if name else None
    if type_ == "kubernetes:helm.sh/v3:Release":
        name, namespace = _plain(props.get("name")), _plain(props.get("namespace"))
        return f"Helm release {namespace}/{name}" if name and namespace else None
    if not type_.startswith("kubernetes:") or type_.startswith("kubernetes:yaml/") or type_.endswith("Patch"):
        return None
    metadata = props.get("metadata")
    name = _plain(_field(metadata, "name"))
    namespace = _field(metadata, "namespace")
    if name is None or (namespace is not None and _plain(namespace) is None):
        return None  # not known yet (an Output)
    kind = type_.rsplit(":", 1)[-1]
    return f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"


class Registry:
    """Every physical object declared so far, with who declared it."""

    def __init__(self) -> None:
        self.claims: dict[str, Claim] = {}
        self.keys: dict[int, str] = {}  # id(component) -> its config key

    def _key(self, parent: Any) -> str:
        return self.keys.get(id(parent), "the program") if parent is not None else "the program"

    def transformation(self, args: pulumi.ResourceTransformationArgs) -> None:
        parent = args.opts.parent if args.opts is not None else None
        if isinstance(args.resource, pulumi.ComponentResource):
            # A component: its own key, else its parent's (a component inside a component).
            self.keys[id(args.resource)] = COMPONENT_KEYS.get(
                args.type_, self.keys.get(id(parent), f"the {args.type_} component")
            )
            return None
        found = physical_object(args.type_, args.props or {})
        if found is None:
            return None
        claim = Claim(args.name, self._key(parent))
        first = self.claims.setdefault(found, claim)
        if first is not claim:
            same = first.key == claim.key
            keys = first.key if same else f"{first.key} and {claim.key}"
            raise ConfigError(
                [
                    f"{keys}: resources {first.resource} and {claim.resource} would both create {found}; "
                    "one object has one owner: give one of them another name"
                ]
            )
        return None


def watch(within: pulumi.Resource | None = None) -> Registry:
    """Check every resource declared from now on (call once, before the first resource): every one
    under `within` (a component: the resources it declares), else every one of the stack."""
    registry = Registry()
    if within is None:
        pulumi.runtime.register_stack_transformation(registry.transformation)
    else:
        # The same mechanism a stack transformation uses, on the component: its children take their
        # parent's transformations when declared (pulumi/resource.py). A component provider's
        # Construct has no stack resource to register one on, and a consumer's own resources are
        # none of the component's business.
        within._transformations = [*(within._transformations or []), registry.transformation]
    return registry
