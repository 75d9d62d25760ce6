"""qemu binfmt DaemonSet: lets a node run (and so build) binaries of another architecture.

Creates its own namespace (Pod Security `privileged`), a service account (granted the privileged
SCC on OpenShift, and nothing else is) and a DaemonSet whose privileged init container runs the
pinned `tonistiigi/binfmt` to register qemu for `qemu.platforms` with the F flag (the emulator is
opened at registration, so it works inside build containers' mount namespaces). A tiny
unprivileged pause container keeps the pod alive, so the registration, which is per kernel and
lost on reboot, is redone whenever the node (re)starts. It tolerates every pool's taints,
including GKE's arm64 taint, and runs only on nodes whose arch has something to emulate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components import arch, kube, names, versions
from components.settings import Taint

NAMESPACE = names.QEMU_NAMESPACE
NAME = "qemu-binfmt"


def emulating_node_arches(pool_arches: Sequence[arch.Arch], platforms: Sequence[str]) -> list[arch.Arch]:
    """Node arches that have at least one configured platform to emulate (a foreign one)."""
    return [a for a in pool_arches if any(p != a for p in platforms)]


def tolerations(taints: Sequence[Taint]) -> list[dict[str, str]]:
    """Tolerate each pool's taints and GKE's arm64 taint, exactly (not a blanket `Exists`)."""
    seen: dict[tuple[str, str, str], dict[str, str]] = {}
    for t in [*taints, Taint(key=arch.ARCH_LABEL, value="arm64", effect="NoSchedule")]:
        tol = {"key": t.key, "operator": "Equal", "value": t.value, "effect": t.effect}
        if not t.value:
            tol = {"key": t.key, "operator": "Exists", "effect": t.effect}
        seen[(t.key, t.value, t.effect)] = tol
    return list(seen.values())


def daemonset_spec(
    node_arches: Sequence[arch.Arch], platforms: Sequence[str], taints: Sequence[Taint]
) -> dict[str, Any]:
    labels = {"app.kubernetes.io/name": NAME}
    return {
        "selector": {"matchLabels": labels},
        "updateStrategy": {"type": "RollingUpdate"},
        "template": {
            "metadata": {"labels": labels},
            "spec": {
                "serviceAccountName": NAME,
                "automountServiceAccountToken": False,
                "priorityClassName": "system-node-critical",
                "affinity": {
                    "nodeAffinity": {
                        "requiredDuringSchedulingIgnoredDuringExecution": {
                            "nodeSelectorTerms": [
                                {
                                    "matchExpressions": [
                                        {"key": arch.ARCH_LABEL, "operator": "In", "values": list(node_arches)}
                                    ]
                                }
                            ]
                        }
                    }
                },
                "tolerations": tolerations(taints),
                "initContainers": [
                    {
                        "name": "register",
                        "image": versions.BINFMT_IMAGE,
                        # binfmt registers with the F (fix binary) flag, which containers need.
                        "args": ["--install", ",".join(platforms)],
                        "securityContext": {"privileged": True},
                        "resources": {
                            "requests": {"cpu": "10m", "memory": "32Mi"},
                            "limits": {"cpu": "200m", "memory": "64Mi"},
                        },
                    }
                ],
                "containers": [
                    {
                        "name": "pause",
                        "image": versions.PAUSE_IMAGE,
                        "securityContext": {
                            "privileged": False,
                            "allowPrivilegeEscalation": False,
                            "runAsNonRoot": True,
                            "runAsUser": 65535,
                            "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]},
                        },
                        "resources": {
                            "requests": {"cpu": "1m", "memory": "4Mi"},
                            "limits": {"cpu": "10m", "memory": "16Mi"},
                        },
                    }
                ],
            },
        },
    }


@dataclass(frozen=True)
class QemuBinfmtArgs:
    platforms: Sequence[str]  # architectures to register for emulation (qemu.platforms)
    node_arches: Sequence[arch.Arch]  # nodes that need them (see emulating_node_arches)
    taints: Sequence[Taint]  # every pool's taints, to tolerate
    openshift: bool = False  # grant the privileged SCC to this service account only


class QemuBinfmt(pulumi.ComponentResource):
    """Namespace, service account and the binfmt DaemonSet; pass the cluster's Kubernetes provider."""

    def __init__(self, name: str, args: QemuBinfmtArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("multiarch:qemu:Binfmt", name, None, opts)
        ns = kube.namespace(f"{name}-ns", NAMESPACE, "privileged", parent=self)
        namespace = ns.metadata.name
        sa = k8s.core.v1.ServiceAccount(
            f"{name}-sa",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=NAME, namespace=namespace),
            automount_service_account_token=False,
            opts=pulumi.ResourceOptions(parent=self),
        )
        if args.openshift:
            kube.scc_binding(f"{name}-scc", namespace, NAME, "privileged", parent=self)
        k8s.apps.v1.DaemonSet(
            name,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=NAME, namespace=namespace),
            spec=daemonset_spec(args.node_arches, args.platforms, args.taints),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[sa]),
        )
        self.register_outputs({})
