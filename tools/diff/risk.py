"""The risk of a change, in words a reviewer acts on: what `pulumi up` must not do unattended
(a cluster replaced or deleted, with its blast radius; a protected or retained resource; an update
the API server refuses), with the documented procedure or the way out, and what every other
replacement or deletion interrupts, by what the resource is (`replacerules.CLASSES`): nodes
drained, namespaces emptied, the runner's jobs killed, claims left Pending.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tools import replacerules
from tools.diff.compare import Item
from tools.diff.roles import NODE_TYPES, STRANDING_PROCEDURE, Roles, gone_pools, pool_of, stranding
from tools.diff.sides import Resource
from tools.recording import redact

# What to do before a protected resource may go, by type: the README's documented procedure.
PROCEDURES: dict[str, list[str]] = {
    "aws:efs/fileSystem:FileSystem": [
        "Only if the data on it may go (docs/storage.md):",
        "pulumi state unprotect '{urn}'",
        "pulumi up --stack {stack}   # creates the new file system; the old one is retained in AWS",
        "aws efs describe-mount-targets --file-system-id <old fs-id>   # delete them, then:",
        "aws efs delete-file-system --file-system-id <old fs-id>",
    ],
}
GENERIC_PROCEDURE = [
    "Only if this is deliberate:",
    "pulumi state unprotect '{urn}'",
    "pulumi up --stack {stack}   # a retainOnDelete resource stays in the cloud: delete it there by hand",
]


@dataclass
class Blocked:
    item: Item
    why: str
    procedure: list[str]

    def doc(self) -> dict[str, Any]:
        r = self.item.resource
        return {
            "urn": r.urn,
            "type": r.type,
            "name": r.name,
            "action": self.item.action,
            "why": self.why,
            "procedure": self.procedure,
        }


CLUSTER_PROCEDURE = [
    "Only if a new cluster is what you want (docs/review.md):",
    "pulumi stack init {stack}-next   # the changed configuration, as a stack of its own",
    "pulumi up --stack {stack}-next   # the new cluster, beside the old one",
    "move the builds: register the runner on the new stack, let the old cluster's running builds finish",
    "pulumi destroy --stack {stack}   # then the old one (a protected file system: adopt it by fileSystemId first)",
]
# What only the cluster holds: not declared by the stack, so not in any plan.
CLUSTER_STATE = (
    "what only the cluster holds is lost: running builds and their pods, PipelineRun and TaskRun history and "
    "logs, PersistentVolumeClaims and their bindings (the data on the file system stays, out of reach of the "
    "new cluster's claims until they bind it again)"
)


def _kind_names(items: Iterable[Item]) -> str:
    """`Namespace builds, gitlab-runner; Task build, manifest` for reviewers."""
    by_kind: dict[str, list[str]] = {}
    for i in items:
        r = i.base or i.resource  # what goes: the old side's names
        inputs = redact(r.inputs)
        md = inputs.get("metadata") or {}
        kind = str(inputs.get("kind") or r.type.rsplit(":", 1)[-1])
        name = md.get("name") or inputs.get("name") or r.name
        ns = md.get("namespace") or (inputs.get("namespace") if r.type.startswith("kubernetes:helm.sh/") else None)
        by_kind.setdefault(kind, []).append(f"{ns}/{name}" if ns else str(name))
    return "; ".join(f"{kind} {', '.join(sorted(names))}" for kind, names in sorted(by_kind.items()))


K8S_PROVIDER = "pulumi:providers:kubernetes"


def _urns(i: Item) -> set[str]:
    return {r.urn for r in (i.base, i.head) if r is not None}


def _depends(i: Item) -> set[str]:
    return {d for r in (i.base, i.head) if r is not None for d in r.dependencies}


def _providers_of(cluster: Item, items: Sequence[Item]) -> list[Item]:
    """The Kubernetes providers that reach a cluster (built from its outputs), replaced or deleted."""
    if cluster.resource.type == K8S_PROVIDER:
        return [cluster]
    return [
        i
        for i in items
        if i.resource.type == K8S_PROVIDER and i.action in ("replace", "delete") and _depends(i) & _urns(cluster)
    ]


def _cluster_blast(item: Item, items: Sequence[Item]) -> tuple[str, list[Item]]:
    """What a cluster's replacement (or deletion) takes along, in words, and those items: every
    in-cluster object, recreated or deleted, the capacity replaced with it, and what only the
    cluster holds."""
    providers = {p.resource.urn for p in _providers_of(item, items)}
    on = [
        i
        for i in items
        if i.resource.counted
        and i.action in ("replace", "delete")
        and any(i.resource.provider.startswith(p + "::") for p in providers)
    ]
    capacity = [
        i
        for i in items
        if i.action in ("replace", "delete")
        and replacerules.resource_class(i.resource.type) == replacerules.CAPACITY
        and i not in on
    ]
    recreated = [i for i in on if i.action == "replace"]
    deleted = [i for i in on if i.action == "delete"]
    parts = []
    if recreated:
        parts.append(f"{len(recreated)} objects on it are created anew on the new cluster: {_kind_names(recreated)}")
    if deleted:
        parts.append(f"{len(deleted)} objects on it are deleted: {_kind_names(deleted)}")
    if capacity:
        parts.append(f"its capacity is replaced with it: {_kind_names(capacity)}")
    parts.append(CLUSTER_STATE)
    return "; ".join(parts), [*on, *capacity, *_providers_of(item, items)]


def blocked(
    items: Sequence[Item], stack: str, roles: Roles | None = None, head_roles: Roles | None = None
) -> list[Blocked]:
    """What `pulumi up` must not do unattended: replacing or deleting a cluster (with its blast radius),
    a protected or retained resource (stateful: a file system), an update the API server refuses
    (with the way out), or the only capacity where some controller can run (the cluster's capacity
    to heal itself)."""
    out = []
    clusters = [
        i
        for i in items
        if i.action in ("replace", "delete") and replacerules.resource_class(i.resource.type) == replacerules.CLUSTER
    ]
    # A cluster resource speaks for the providers that reach it; a provider alone (an adopted
    # cluster's kubeconfig now naming another cluster) speaks for itself.
    attached = {p.resource.urn for c in clusters if c.resource.type != K8S_PROVIDER for p in _providers_of(c, items)}
    for item in clusters:
        if item.resource.urn in attached:
            continue
        r = item.resource
        what = f"{item.action} of {r.type} {r.name}, a Kubernetes cluster"
        successor = next(
            (i for i in items if i.action == "create" and i.resource.type == r.type and r.type != K8S_PROVIDER),
            None,
        )
        if item.action == "delete" and successor is not None:
            what += f" (a new cluster, {successor.resource.name}, is created in its place)"
        if item.reasons:
            what += " (because " + "; ".join(x.text() for x in item.reasons) + ")"
        blast, taken = _cluster_blast(item, items)
        what += ": " + blast
        for i in (item, *taken):
            i.blocked = True  # part of this blocked cluster replacement: its entry names them
        out.append(Blocked(item, what, [s.format(urn=r.urn, stack=stack) for s in CLUSTER_PROCEDURE]))
    for item in items:
        b = item.base
        if item.action not in ("replace", "delete") or b is None or not (b.protect or b.retain_on_delete):
            continue
        item.blocked = True
        guards = " and ".join(
            g for g, on in (("protected", b.protect), ("retained on delete", b.retain_on_delete)) if on
        )
        what = (
            f"{item.action} of {b.type} {b.name}, which is {guards}. `pulumi up` stops at it"
            + (" (protect)" if b.protect else "")
            + "; forced, it "
            + ("creates a new, empty one and " if item.action == "replace" else "")
            + (
                "leaves the old one in the cloud, outside the stack"
                if b.retain_on_delete
                else "deletes it and its data"
            )
        )
        if b.type == "aws:efs/fileSystem:FileSystem":
            what += ": every build's workspace and cache stay behind on the old file system"
        if item.reasons:
            what += " (because " + "; ".join(r.text() for r in item.reasons) + ")"
        steps = PROCEDURES.get(b.type, GENERIC_PROCEDURE)
        out.append(Blocked(item, what, [s.format(urn=b.urn, stack=stack) for s in steps]))
    for item in items:
        if item.refused:
            out.append(_refused(item))
    if roles is not None:
        out += [Blocked(item, why, list(STRANDING_PROCEDURE)) for item, why in stranding(items, roles, head_roles)]
    return out


def _refused(item: Item) -> Blocked:
    """An update the API server refuses: `pulumi up` would plan it, apply what comes before it, then
    fail here, leaving the stack half-applied."""
    item.blocked = True
    r = item.resource
    why = (
        f"{item.action} of {r.type} {r.name}, which the API server refuses: `pulumi up` would apply the steps before "
        "it, then fail here (" + "; ".join(f"{x.text()}, {x.where}" for x in item.refused) + ")"
    )
    return Blocked(item, why, ["The way out:", *dict.fromkeys(s for x in item.refused for s in x.wayOut)])


RUN_TEMPLATE = "multiarch-pipelinerun"  # components/names.py PIPELINE_RUN_TEMPLATE


def _name(r: Resource) -> str:
    i = redact(r.inputs)
    return str((i.get("metadata") or {}).get("name") or i.get("name") or r.name)


def _namespace_contents(ns: str, items: Sequence[Item]) -> list[Item]:
    return [
        i
        for i in items
        if i.base is not None
        and i.resource.type != "kubernetes:core/v1:Namespace"
        and (
            (redact(i.base.inputs).get("metadata") or {}).get("namespace") == ns
            or (i.base.type == "kubernetes:helm.sh/v3:Release" and redact(i.base.inputs).get("namespace") == ns)
        )
    ]


def _storage_class_risk(item: Item, items: Sequence[Item]) -> str:
    old = _name(item.base) if item.base else _name(item.resource)
    new = _name(item.head) if item.head else None
    templates = [
        i
        for i in items
        if i.base is not None
        and i.resource.type == "kubernetes:core/v1:ConfigMap"
        and _name(i.base) == RUN_TEMPLATE
        and f"storageClassName: {old}" in json.dumps(redact(i.base.inputs))
    ]
    runs = ""
    if templates:
        t = templates[0]
        now = "now names " + new if new and new != old else "is deleted" if t.action == "delete" else "still names it"
        runs = (
            f" PipelineRuns that name StorageClass {old} (those started from the run template ConfigMap "
            f"{_name(t.base) if t.base else ''}, which {now}) fail to bind their workspaces once it is gone: start "
            "runs from the new template."
        )
    if item.action == "delete" or (new is not None and new != old):
        how = f"replaced by {new}" if item.action == "replace" and new else "deleted"
        return (
            f"{item.action} of StorageClass {old}: {how}. Claims that name {old} stay Pending once it is gone; "
            f"volumes already bound keep working.{runs}"
        )
    return (
        f"replace of StorageClass {old}: deleted, then created under the same name: claims made in between stay "
        f"Pending until it is back; volumes already bound keep working.{runs}"
    )


def _runner_risk(item: Item) -> str | None:
    r = item.base or item.resource
    i = redact(r.inputs)
    if r.type != "kubernetes:helm.sh/v3:Release" or i.get("chart") != "gitlab-runner":
        return None
    values = i.get("values") or {}
    concurrent = values.get("concurrent", "?")
    how = "removed" if item.action == "delete" else "reinstalled"
    return (
        f"{item.action} of the GitLab runner {i.get('namespace')}/{i.get('name')}: it is {how}, and the jobs it is "
        f"running (up to {concurrent} at once) are killed with their build pods; its pending jobs wait for a runner "
        "with the same tags [GITLAB]"
    )


def _tekton_risk(item: Item) -> str | None:
    r = item.base or item.resource
    if r.type != "kubernetes:yaml/v2:ConfigFile" or "tektoncd/pipeline" not in str(redact(r.inputs).get("file", "")):
        return None
    if item.action == "delete":
        return (
            "delete of the Tekton release: its CRDs go with it, and with them every Pipeline, Task, PipelineRun and "
            "TaskRun of the cluster (history included); running PipelineRuns fail [K8S-CRD]"
        )
    return "replace of the Tekton release: running PipelineRuns fail while its controllers are recreated [PULUMI-K8S]"


def risks(items: Sequence[Item], roles: Roles | None = None, head_roles: Roles | None = None) -> list[str]:
    """One line per replaced or deleted resource that interrupts work, by what the resource is
    (`replacerules.CLASSES`); a cluster's, a stateful resource's and the controllers' last pool's are
    blocked instead. With the base's roles: builds are said interrupted only where they run, and an
    arch left with no pool is named with the builds that have nowhere to go."""
    out = []
    if roles is not None:
        gone = gone_pools(items, head_roles)
        for a, pools in sorted(roles.build_pools.items()):
            if pools and set(pools) <= gone:
                out.append(
                    f"every pool of arch {a} ({', '.join(pools)}) goes at once: {a} builds (CI jobs that select "
                    f"kubernetes.io/arch={a}, Tekton's build-{a} tasks) have nowhere to run until they are back, "
                    "and wait Pending"
                )
    for item in items:
        r, b = item.resource, item.base
        if item.action not in ("replace", "delete") or b is None or item.blocked:
            continue
        kind = replacerules.resource_class(r.type)
        if r.type == replacerules.COMPUTE_CLASS:
            pool, _ = pool_of(b)
            out.append(
                f"{item.action} of ComputeClass {_name(b)}: builds of pool {pool} select it (cloud.google.com/"
                f"compute-class={_name(b)}); {'while it is gone they' if item.action == 'replace' else 'they'} "
                "cannot be scheduled, and the nodes GKE created for it are removed once empty"
            )
        elif kind == replacerules.CAPACITY and r.type in (*NODE_TYPES, replacerules.KARPENTER_NODE_POOL):
            pool, most = pool_of(b)
            named = redact(b.inputs).get("nodeGroupName") or redact(b.inputs).get("name")
            fixed = (
                f" Its name ({named}) is fixed, so the provider deletes the old one before it creates the new one:"
                " the pool has no nodes in between."
                if item.action == "replace"
                and named
                and r.type in (replacerules.EKS_NODE_GROUP, replacerules.GKE_NODE_POOL)
                else ""
            )
            up_to = f"up to {most} node(s)" if most else "the nodes"
            builds_there = roles is None or pool in roles.build_pool_names
            on_it = (
                f"builds running on pool {pool} are interrupted"
                if builds_there
                else f"no build runs on pool {pool}: the controllers on it restart on another pool"
            )
            out.append(f"{item.action} of {r.type} {r.name}: {up_to} of pool {pool} are drained, and {on_it}.{fixed}")
        elif kind == replacerules.NAMESPACE:
            ns = _name(b)
            inside = _namespace_contents(ns, items)
            listed = f": {_kind_names(inside)}," if inside else ""
            out.append(
                f"{item.action} of Namespace {ns}: deleting a namespace deletes everything in it{listed} and what the "
                "stack does not declare there (running build pods, PipelineRuns and TaskRuns, their logs) [K8S-NS]"
            )
        elif r.type == "kubernetes:storage.k8s.io/v1:StorageClass":
            out.append(_storage_class_risk(item, items))
        elif (line := _runner_risk(item) or _tekton_risk(item)) is not None:
            out.append(line)
    return out
