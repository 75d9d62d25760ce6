"""qemu binfmt DaemonSet: lets a node run (and so build) binaries of another architecture.

Creates its own namespace (Pod Security `privileged`), a service account (granted the privileged
SCC on OpenShift, and nothing else is) and a DaemonSet whose privileged init container runs the
pinned `tonistiigi/binfmt` to register qemu for `qemu.platforms` with the F flag (the emulator is
opened at registration, so it works inside build containers' mount namespaces). A tiny
unprivileged container keeps the pod alive, so the registration, which is per kernel and lost on
reboot, is redone whenever the node (re)starts, and tells the truth about it: its readiness probe
(`readiness_command`) reads the host's `binfmt_misc` through a read-only mount and is Ready only
while every handler is registered, enabled and has the F flag. A node where the registration did
not happen, or was undone, shows a pod that is not Ready. It tolerates every pool's taints,
including GKE's arm64 taint, and runs only on nodes whose arch has something to emulate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from . import arch, kube, names, scheduling, versions
from .settings import Taint

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
# namespaces). The build lab (tools/buildlab/machine.py) registers the very same on this machine.
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


# Where the readiness probe sees the host's registrations (a read-only hostPath of binfmt_misc).
HOST_BINFMT = "/proc/sys/fs/binfmt_misc"
PROBE_MOUNT = "/host/binfmt_misc"

# `sh -c READY_SCRIPT binfmt-ready DIR HANDLER...`: 0 when binfmt_misc is enabled in DIR and every
# HANDLER is registered, enabled and has the F flag; else one line on what is missing, and 1.
READY_SCRIPT = """\
dir="$1"; shift
if ! grep -qx enabled "$dir/status" 2>/dev/null; then
  echo "binfmt: binfmt_misc is not mounted or not enabled at $dir" >&2; exit 1
fi
for handler in "$@"; do
  entry="$dir/$handler"
  if [ ! -r "$entry" ]; then echo "binfmt: $handler is not registered" >&2; exit 1; fi
  if ! grep -qx enabled "$entry"; then echo "binfmt: $handler is registered but disabled" >&2; exit 1; fi
  if ! grep -q '^flags: .*F' "$entry"; then
    echo "binfmt: $handler has no F flag: build containers cannot open the emulator" >&2; exit 1
  fi
done
echo "binfmt: $* registered, enabled, with the F flag"
"""


def readiness_command(platforms: Sequence[str], directory: str = PROBE_MOUNT) -> list[str]:
    """The probe's command: the same one the build lab runs on this machine's binfmt_misc."""
    handlers = [HANDLERS[p].name for p in platforms if p in HANDLERS]
    return ["sh", "-c", READY_SCRIPT, "binfmt-ready", directory, *handlers]


def emulating_node_arches(pool_arches: Sequence[arch.Arch], platforms: Sequence[str]) -> list[arch.Arch]:
    """Node arches that have at least one configured platform to emulate (a foreign one)."""
    return [a for a in pool_arches if any(p != a for p in platforms)]


def tolerations(taints: Sequence[Taint]) -> list[dict[str, str]]:
    """Tolerate each pool's taints and GKE's arm64 taint, exactly (not a blanket `Exists`)."""
    return scheduling.tolerations([*taints, Taint.model_validate(arch.GKE_ARM64_TAINT)])


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
                            "requests": dict(scheduling.BINFMT_INIT_REQUESTS),
                            "limits": {"cpu": "200m", "memory": "64Mi"},
                        },
                    }
                ],
                "containers": [
                    {
                        # Unprivileged: it sleeps, and its probe reads the host's registrations.
                        "name": "ready",
                        "image": versions.BUSYBOX_IMAGE,
                        "command": ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done"],
                        "readinessProbe": {
                            "exec": {"command": readiness_command(platforms)},
                            "initialDelaySeconds": 2,
                            "periodSeconds": 30,
                            "failureThreshold": 1,
                        },
                        "volumeMounts": [
                            {
                                "name": "binfmt-misc",
                                "mountPath": PROBE_MOUNT,
                                "readOnly": True,
                                # A binfmt_misc mounted on the host later (systemd's automount) shows too.
                                "mountPropagation": "HostToContainer",
                            }
                        ],
                        "securityContext": {
                            "privileged": False,
                            "allowPrivilegeEscalation": False,
                            "runAsNonRoot": True,
                            "runAsUser": 65535,
                            "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]},
                        },
                        "resources": {
                            "requests": dict(scheduling.BINFMT_REQUESTS),
                            "limits": {"cpu": "10m", "memory": "16Mi"},
                        },
                    }
                ],
                "volumes": [{"name": "binfmt-misc", "hostPath": {"path": HOST_BINFMT, "type": "Directory"}}],
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
