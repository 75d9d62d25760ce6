"""Kubeconfigs and the explicit Kubernetes provider built from them.

The kubeconfig is written with `json` (JSON is YAML) and wrapped as a Pulumi secret: it names the
cluster's endpoint and CA and is exported only as a secret.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import pulumi
import pulumi_kubernetes as k8s

from .scheduling import PREFERRED, SYSTEM_NODE_PREFERENCE, SYSTEM_TOLERATION


def exec_kubeconfig(
    cluster_name: str,
    endpoint: str,
    ca_data: str,
    command: str,
    args: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    install_hint: str = "",
) -> str:
    """A kubeconfig whose user runs an exec credential plugin (no long-lived token inside)."""
    exec_cfg: dict[str, object] = {
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "command": command,
        "args": list(args),
        "interactiveMode": "Never",
        "provideClusterInfo": False,
    }
    if env:
        exec_cfg["env"] = [{"name": k, "value": v} for k, v in sorted(env.items())]
    if install_hint:
        exec_cfg["installHint"] = install_hint
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": cluster_name,
                    "cluster": {"server": endpoint, "certificate-authority-data": ca_data},
                }
            ],
            "users": [{"name": cluster_name, "user": {"exec": exec_cfg}}],
            "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}],
            "current-context": cluster_name,
        },
        indent=2,
    )


def eks_kubeconfig(
    cluster_name: pulumi.Input[str],
    endpoint: pulumi.Input[str],
    ca_data: pulumi.Input[str],
    region: str,
) -> pulumi.Output[str]:
    """Kubeconfig for EKS using `aws eks get-token` (the AWS CLI's standard credential chain)."""
    return pulumi.Output.secret(
        pulumi.Output.all(cluster_name, endpoint, ca_data).apply(
            lambda v: exec_kubeconfig(
                v[0],
                v[1],
                v[2],
                "aws",
                ["eks", "get-token", "--cluster-name", v[0], "--region", region, "--output", "json"],
                install_hint="Install the AWS CLI v2 and log in (aws sso login / AWS_PROFILE).",
            )
        )
    )


def gke_kubeconfig(
    cluster_name: pulumi.Input[str],
    endpoint: pulumi.Input[str],
    ca_data: pulumi.Input[str],
) -> pulumi.Output[str]:
    """Kubeconfig for GKE using `gke-gcloud-auth-plugin` (gcloud's application credentials)."""
    return pulumi.Output.secret(
        pulumi.Output.all(cluster_name, endpoint, ca_data).apply(
            lambda v: exec_kubeconfig(
                v[0],
                f"https://{v[1]}",
                v[2],
                "gke-gcloud-auth-plugin",
                [],
                install_hint="Install it with `gcloud components install gke-gcloud-auth-plugin`.",
            )
        )
    )


def provider(
    name: str,
    kubeconfig: pulumi.Input[str] | None,
    opts: pulumi.ResourceOptions | None = None,
) -> k8s.Provider:
    """The one Kubernetes provider of the stack; everything in-cluster is given it explicitly.

    `kubeconfig` None means the provider reads KUBECONFIG (OpenShift reached without a
    `kubernetes:kubeconfig` secret).
    """
    return k8s.Provider(
        name,
        kubeconfig=kubeconfig,
        # Server-side apply lets the stack own only the fields it sets (e.g. a few feature flags).
        enable_server_side_apply=True,
        opts=opts,
    )


PodSecurityLevel = Literal["privileged", "baseline", "restricted"]


def namespace(
    resource_name: str, name: pulumi.Input[str], level: PodSecurityLevel, parent: pulumi.Resource
) -> k8s.core.v1.Namespace:
    """A namespace that enforces (and warns at) a Pod Security level."""
    return k8s.core.v1.Namespace(
        resource_name,
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=name,
            labels={
                "pod-security.kubernetes.io/enforce": level,
                "pod-security.kubernetes.io/audit": level,
                "pod-security.kubernetes.io/warn": level,
            },
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def scc_binding(
    resource_name: str,
    namespace: pulumi.Input[str],
    service_account: str,
    scc: str,
    parent: pulumi.Resource,
    role: k8s.rbac.v1.Role | None = None,
) -> k8s.rbac.v1.RoleBinding:
    """OpenShift: let one service account (only) use a SecurityContextConstraints.

    A built-in SCC (`privileged`, `pipelines-scc`) through OpenShift's `system:openshift:scc:<name>`
    ClusterRole; an SCC of the stack's own through `role`, a namespaced Role from `scc_use_role`.
    """
    ref = (
        k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="Role", name=role.metadata.name)
        if role is not None
        else k8s.rbac.v1.RoleRefArgs(
            api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=f"system:openshift:scc:{scc}"
        )
    )
    return k8s.rbac.v1.RoleBinding(
        resource_name,
        metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{service_account}-scc-{scc}", namespace=namespace),
        role_ref=ref,
        subjects=[k8s.rbac.v1.SubjectArgs(kind="ServiceAccount", name=service_account, namespace=namespace)],
        opts=pulumi.ResourceOptions(parent=parent),
    )


def scc_use_role(
    resource_name: str, namespace: pulumi.Input[str], scc: str, parent: pulumi.Resource
) -> k8s.rbac.v1.Role:
    """OpenShift: a Role, in one namespace, allowed to `use` one SCC by name (and no other)."""
    return k8s.rbac.v1.Role(
        resource_name,
        metadata=k8s.meta.v1.ObjectMetaArgs(name=f"use-scc-{scc}", namespace=namespace),
        rules=[
            k8s.rbac.v1.PolicyRuleArgs(
                api_groups=["security.openshift.io"],
                resources=["securitycontextconstraints"],
                resource_names=[scc],
                verbs=["use"],
            )
        ],
        opts=pulumi.ResourceOptions(parent=parent),
    )


def object_resource(
    resource_name: str, body: dict[str, Any], opts: pulumi.ResourceOptions | None = None
) -> pulumi.CustomResource:
    """A Kubernetes object whose fields sit at the top level, beside `metadata` (no `spec`:
    SecurityContextConstraints), as the provider's generic resource for its apiVersion and kind."""
    return pulumi.CustomResource(f"kubernetes:{body['apiVersion']}:{body['kind']}", resource_name, dict(body), opts)


def system_nodes_transform(
    namespaces: Sequence[str], toleration: Mapping[str, str] = SYSTEM_TOLERATION
) -> pulumi.ResourceTransform:
    """A transform giving the Deployments of a release manifest in `namespaces` the system toleration
    and the preference for system nodes (engine karpenter), keeping their own affinity."""

    def transform(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
        if args.type_ != "kubernetes:apps/v1:Deployment":
            return None
        props: dict[str, Any] = copy.deepcopy(dict(args.props))  # a rendered manifest object: plain values
        if (props.get("metadata") or {}).get("namespace") not in namespaces:
            return None
        pod = props.setdefault("spec", {}).setdefault("template", {}).setdefault("spec", {})
        pod["tolerations"] = [*(pod.get("tolerations") or []), dict(toleration)]
        node_affinity = pod.setdefault("affinity", {}).setdefault("nodeAffinity", {})
        node_affinity[PREFERRED] = [*(node_affinity.get(PREFERRED) or []), SYSTEM_NODE_PREFERENCE]
        return pulumi.ResourceTransformResult(props=props, opts=args.opts)

    return transform
