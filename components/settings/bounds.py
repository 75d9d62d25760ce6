"""The clouds' bounds on what the stack derives and sizes: every name it makes from the
configuration (`components/names.py`) against the API's limits (`components/limits.py`, from the
API models where they say it), CIDRs, subnets, and node counts against limits and the quotas the
account states it has raised (`cluster.quotas`)."""

from __future__ import annotations

from collections.abc import Sequence

from .. import limits, names
from .autoscaling import Autoscaling
from .base import PROJECT, _Context
from .pools import NodePool
from .storage import Storage

Derived = tuple[str, str, str, str, str]  # config key, configured value, what it names, name, limit


def _derived_names(
    ctx: _Context, pools: Sequence[NodePool], storage: Storage, autoscaling: Autoscaling
) -> list[Derived]:
    c = ctx.cluster
    out: list[Derived] = []
    if c is None:
        return out
    key = f"{PROJECT}:cluster.name"
    if ctx.platform == "eks":
        out.append((key, c.name, "EKS cluster", c.name, "eks-cluster"))
        if c.create:
            out.append((key, c.name, "IAM role", names.eks_cluster_role(c.name), "iam-role"))
        out.append((key, c.name, "IAM role", names.eks_node_role(c.name), "iam-role"))
        if autoscaling.uses_karpenter:
            out.append((key, c.name, "IAM role", names.karpenter_controller_role(c.name), "iam-role"))
            out.append((key, c.name, "IAM role", names.karpenter_node_role(c.name), "iam-role"))
            for part in names.KARPENTER_POLICIES:
                out.append((key, c.name, "IAM policy", names.karpenter_policy(c.name, part), "iam-policy"))
            out.append((key, c.name, "SQS queue", names.karpenter_queue(c.name), "sqs-queue"))
            for event in names.KARPENTER_EVENTS:
                out.append((key, c.name, "EventBridge rule", names.karpenter_rule(c.name, event), "eventbridge-rule"))
            system = names.eks_node_group(c.name, names.SYSTEM_POOL)
            out.append((key, c.name, "node group", system, "eks-node-group"))
        elif autoscaling.enabled:
            out.append((key, c.name, "IAM role", names.autoscaler_role(c.name), "iam-role"))
        for pool in pools:
            at = f"{PROJECT}:nodePools[{pool.name}].name"
            if autoscaling.uses_karpenter:  # a NodePool: a cluster-scoped Kubernetes object
                out.append((at, pool.name, "Karpenter NodePool", pool.name, "object"))
                continue
            group = names.eks_node_group(c.name, pool.name)
            out.append((key, c.name, "node group", group, "eks-node-group"))
            out.append((at, pool.name, "node group", group, "eks-node-group"))
    elif ctx.platform == "gke":
        out.append((key, c.name, "GKE cluster", c.name, "gke-cluster"))
        for pool in pools:
            at = f"{PROJECT}:nodePools[{pool.name}].name"
            out.append((at, pool.name, "GKE node pool", pool.name, "gke-node-pool"))
    elif ctx.platform == "openshift" and isinstance(c.infrastructure_name, str) and c.infrastructure_name:
        # (an infrastructure name given as an Output: these names are checked when it resolves)
        for pool in pools:
            at = f"{PROJECT}:nodePools[{pool.name}].name"
            for zone in c.zones:
                machine_set = names.machine_set(c.infrastructure_name, pool.name, zone)
                out.append((at, pool.name, "MachineSet (and its machines' label)", machine_set, "label-value"))
    efs = storage.efs
    # EFS names derive from the cluster name on EKS, from the infrastructure name on OpenShift.
    prefix_key, prefix = (
        (key, c.name) if ctx.platform == "eks" else (f"{PROJECT}:cluster.infrastructureName", c.infrastructure_name)
    )
    if ctx.platform in ("eks", "openshift") and isinstance(prefix, str) and prefix and efs is not None and efs.enabled:
        if ctx.platform == "eks":
            out.append((key, c.name, "IAM role", names.efs_csi_role(c.name), "iam-role"))
        if not efs.adopted:
            out.append((prefix_key, prefix, "security group", names.efs_security_group(prefix), "security-group"))
            out.append(
                (prefix_key, prefix, "EFS creation token", names.efs_creation_token(prefix), "efs-creation-token")
            )
    return out


def _check_names(
    ctx: _Context, pools: Sequence[NodePool], storage: Storage, autoscaling: Autoscaling, errors: list[str]
) -> None:
    """One line per config key: the derived name that limits it most (cluster.name first, so a pool
    is not blamed for a long cluster name)."""
    reported: set[str] = set()
    by_key: dict[str, list[Derived]] = {}
    for entry in _derived_names(ctx, pools, storage, autoscaling):
        by_key.setdefault(entry[0], []).append(entry)
    for key, entries in by_key.items():
        if key != f"{PROJECT}:cluster.name" and f"{PROJECT}:cluster.name" in reported:
            continue
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
        source = f" ({limit.source})" if limit.source else ""
        if len(derived) > limit.max_length:
            fix = (
                f"shorten it to at most {room} characters"
                if room >= 1
                else "the rest of that name already exceeds the limit"
            )
            errors.append(
                f"{key}: {value!r} makes the {what} name {derived!r} ({len(derived)} characters); {problem} "
                f"({fix}){source}"
            )
        else:
            errors.append(f"{key}: {value!r} makes the {what} name {derived!r}; {problem}{source}")


def _check_limits(
    ctx: _Context, pools: Sequence[NodePool], storage: Storage, autoscaling: Autoscaling, errors: list[str]
) -> None:
    """The clouds' limits: derived names, CIDRs, subnets, sizes."""
    c = ctx.cluster
    _check_names(ctx, pools, storage, autoscaling, errors)
    if c is not None:
        at = f"{PROJECT}:cluster"
        for i, cidr in enumerate(c.public_access_cidrs):
            problem = isinstance(cidr, str) and limits.cidr_problem(cidr)
            if problem:
                errors.append(f"{at}.publicAccessCidrs[{i}]: {cidr!r} {problem}")
        for dup in sorted({s for s in c.subnet_ids if isinstance(s, str) and c.subnet_ids.count(s) > 1}):
            errors.append(f"{at}.subnetIds: {dup} is listed {c.subnet_ids.count(dup)} times; list each subnet once")
    _check_sizes(ctx, pools, autoscaling, errors)


def _check_sizes(ctx: _Context, pools: Sequence[NodePool], autoscaling: Autoscaling, errors: list[str]) -> None:
    c = ctx.cluster
    quotas = c.quotas if c is not None else None
    managed_groups = ctx.platform == "eks" and not autoscaling.uses_karpenter
    if managed_groups and quotas is not None:
        quota = limits.EKS_NODES_PER_NODE_GROUP
        most = quotas.nodes_per_node_group
        for pool in pools:
            if pool.max_size > most:
                stated = "the account's stated" if most != quota.default else "the default"
                errors.append(
                    f"{PROJECT}:nodePools[{pool.name}].maxSize: {pool.max_size} is above the {most} nodes an EKS "
                    "managed "
                    f"node group may hold under {stated} quota ({quota.source}, default {quota.default}, adjustable): "
                    f"split the pool, or once the quota is raised state it in {PROJECT}:cluster.quotas.{quota.key}"
                )
    if ctx.platform == "eks" and quotas is not None:
        quota = limits.EKS_NODE_GROUPS_PER_CLUSTER
        groups = 1 if autoscaling.uses_karpenter else len(pools)
        if groups > quotas.node_groups_per_cluster:
            errors.append(
                f"{PROJECT}:nodePools: {groups} managed node groups are above the {quotas.node_groups_per_cluster} a "
                f"cluster may have ({quota.source}, default {quota.default}, adjustable): merge pools, or once the "
                f"quota is raised state it in {PROJECT}:cluster.quotas.{quota.key}"
            )
    if ctx.platform == "gke" and c is not None and c.location:
        zones = 1 if c.location.count("-") >= 2 else 3
        most = limits.GKE_MAX_NODES_PER_POOL_ZONE * zones
        for pool in pools:
            if pool.max_size > most:
                errors.append(
                    f"{PROJECT}:nodePools[{pool.name}].maxSize: {pool.max_size} is above the {most} nodes a GKE node "
                    f"pool can hold in {c.location} ({limits.GKE_MAX_NODES_PER_POOL_ZONE} per zone, "
                    "GKE quotas and limits)"
                )
