"""Policies on OpenShift's SecurityContextConstraints: who may use which (through RBAC `use`, to
service accounts the stack declares), and what they allow (no privileged or host access; only
the qemu binfmt DaemonSet is granted a built-in SCC that does).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs, StackValidationArgs

from policy.common import DEFAULT_PRIVILEGED_ALLOWED, Report, configured, ns_name

SCC_TYPE = "kubernetes:security.openshift.io/v1:SecurityContextConstraints"
SCC_CLUSTER_ROLE = "system:openshift:scc:"  # OpenShift's ClusterRole granting `use` of one built-in SCC
# OpenShift's built-in SCCs that allow privileged containers or host access.
HOST_SCCS = (
    "privileged",
    "hostaccess",
    "hostmount-anyuid",
    "hostmount-anyuid-v2",
    "hostnetwork",
    "hostnetwork-v2",
    "node-exporter",
)
SCC_HOST_FIELDS = (
    "allowPrivilegedContainer",
    "allowHostDirVolumePlugin",
    "allowHostIPC",
    "allowHostNetwork",
    "allowHostPID",
    "allowHostPorts",
)
BINDING_TYPES = (
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
)
ROLE_TYPES = ("kubernetes:rbac.authorization.k8s.io/v1:Role", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole")


def _scc_uses(rules: Any) -> list[str]:
    """The SCCs a role's rules allow to `use` ("*" for every SCC)."""
    names: list[str] = []
    for rule in rules or []:
        groups, resources, verbs = (set(rule.get(k) or []) for k in ("apiGroups", "resources", "verbs"))
        scc = groups & {"security.openshift.io", "*"} and resources & {"securitycontextconstraints", "*"}
        if scc and verbs & {"use", "*"}:
            names += list(rule.get("resourceNames") or ["*"])
    return names


def _md(props: Mapping[str, Any]) -> tuple[str, str]:
    md = props.get("metadata") or {}
    return str(md.get("namespace") or ""), str(md.get("name") or "")


def _granted_sccs(props: Mapping[str, Any], roles: Mapping[tuple[str, str, str], list[str]]) -> list[str]:
    """The SCCs a RoleBinding or ClusterRoleBinding grants, through its roleRef."""
    ref = props.get("roleRef") or {}
    name = str(ref.get("name") or "")
    if ref.get("kind") == "ClusterRole" and name.startswith(SCC_CLUSTER_ROLE):
        return [name.removeprefix(SCC_CLUSTER_ROLE)]
    ns = _md(props)[0] if ref.get("kind") == "Role" else ""
    return roles.get((str(ref.get("kind")), ns, name), [])


def scc_grants(args: StackValidationArgs, report: Report) -> None:
    """An SCC is granted through RBAC `use`, to service accounts the stack declares, and to nothing else."""
    owned = {_md(r.props) for r in args.resources if r.resource_type == "kubernetes:core/v1:ServiceAccount"}
    roles: dict[tuple[str, str, str], list[str]] = {}
    for r in args.resources:
        if r.resource_type in ROLE_TYPES:
            kind = r.resource_type.rsplit(":", 1)[-1]
            ns, name = _md(r.props)
            sccs = _scc_uses(r.props.get("rules"))
            roles[(kind, ns if kind == "Role" else "", name)] = sccs
            if "*" in sccs:
                report(f"{kind} {ns_name(r.props)} lets its subjects use every SCC; name the one SCC (resourceNames)")
        elif r.resource_type == SCC_TYPE:
            direct = [*(r.props.get("users") or []), *(r.props.get("groups") or [])]
            if direct:
                report(
                    f"SCC {ns_name(r.props)} is granted directly to {', '.join(direct)} (users/groups); leave both "
                    "empty and grant `use` through RBAC to a service account the stack owns"
                )
    for r in args.resources:
        if r.resource_type not in BINDING_TYPES:
            continue
        sccs = [s for s in _granted_sccs(r.props, roles) if s != "*"]
        if not sccs:
            continue
        kind, (bns, _) = r.resource_type.rsplit(":", 1)[-1], _md(r.props)
        what = f"{kind} {ns_name(r.props)} grants SCC {', '.join(sccs)}"
        for subject in r.props.get("subjects") or []:
            skind, sname = subject.get("kind"), str(subject.get("name") or "")
            sns = str(subject.get("namespace") or bns)
            if skind == "Group":
                also = " (every service account of the cluster)" if sname == "system:serviceaccounts" else ""
                report(f"{what} to group {sname}{also}; grant it to the one service account that needs it")
            elif skind == "User":
                report(f"{what} to user {sname}; grant it to a service account the stack owns")
            elif skind == "ServiceAccount" and (sname == "default" or (sns, sname) not in owned):
                report(
                    f"{what} to service account {sns}/{sname}, which the stack does not own"
                    f"{' (every pod of the namespace runs as default)' if sname == 'default' else ''}; "
                    "grant it to a service account the stack declares for that workload"
                )


def scc_privileged_or_host(args: ResourceValidationArgs, report: Report) -> None:
    """No SCC of the stack allows privileged or host access; only binfmt's service account gets a built-in one."""
    if args.resource_type == SCC_TYPE:
        wide = [f for f in SCC_HOST_FIELDS if args.props.get(f)]
        volumes = set(args.props.get("volumes") or [])
        wide += [f"volumes {v}" for v in sorted(volumes & {"hostPath", "*"})]
        caps = set(args.props.get("allowedCapabilities") or []) & {"*", "ALL", "SYS_ADMIN"}
        wide += [f"capability {c}" for c in sorted(caps)]
        if wide:
            report(
                f"SCC {ns_name(args.props)} allows privileged or host access ({', '.join(wide)}); "
                "a build needs none of it (buildah: any UID and SETFCAP)"
            )
        return
    if args.resource_type not in BINDING_TYPES:
        return
    allowed = configured(args, "allowed", DEFAULT_PRIVILEGED_ALLOWED)
    sccs = [s for s in _granted_sccs(args.props, {}) if s in HOST_SCCS]
    bns = _md(args.props)[0]
    for subject in args.props.get("subjects") or [] if sccs else []:
        who = f"{subject.get('namespace') or bns}/{subject.get('name')}"
        if subject.get("kind") != "ServiceAccount" or who not in allowed:
            report(
                f"{args.resource_type.rsplit(':', 1)[-1]} {ns_name(args.props)} grants the {', '.join(sccs)} SCC "
                f"(privileged or host access) to {subject.get('kind')} {who}; only {', '.join(allowed)} "
                "(the qemu binfmt DaemonSet) may have it"
            )
