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


@dataclass(frozen=True)
class Handler:
    """One binfmt_misc registration: `:name:M:0:magic:mask:interpreter:flags`."""

    name: str
    magic: str  # as binfmt_misc takes it (\x escapes)
    mask: str
    flags: str

    def line(self, interpreter: str) -> str:
        return f":{self.name}:M:0:{self.magic}:{self.mask}:{interpreter}:{self.flags}"


# What the DaemonSet's `binfmt --install <arch>` (tonistiigi/binfmt) registers on a node: qemu's
# handler name, ELF magic and mask per arch, and flags P (preserve argv[0]: a multi-call binary such
# as busybox, re-executing itself, keeps its applet name), O (open the binary), C (credentials of
# the binary) and F (fix binary: the emulator is opened now, so it works in containers' mount
# namespaces). The build lab (tools/buildlab.py) registers the very same on this machine.
HANDLERS = {
    "arm64": Handler(
        "qemu-aarch64",
        r"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00",
        r"\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff",
        "POCF",
    ),
    "amd64": Handler(
        "qemu-x86_64",
        r"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x3e\x00",
        r"\xff\xff\xff\xff\xff\xfe\xfe\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff",
        "POCF",
    ),
}
# The lab's emulators, by the arch they run: Debian's qemu-user-static, through its wrapper that
# takes argv[0] as the P flag passes it (tonistiigi/binfmt's qemu is built to take it directly).
QEMU_INTERPRETERS = {
    "arm64": "/usr/libexec/qemu-binfmt/aarch64-binfmt-P",
    "amd64": "/usr/libexec/qemu-binfmt/x86_64-binfmt-P",
}


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
                        "args": ["--install", ",".join(p for p in platforms if p in HANDLERS)],
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
