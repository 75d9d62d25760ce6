"""`Settings`: everything the program needs, typed, checked and frozen, and what follows from it
(the clouds' spelling, the arches, the system pool as a pool, each arch's taints, the builds'
longest timeout)."""

from __future__ import annotations

from pydantic import SecretStr

from .. import arch, limits, names, scheduling, versions
from .autoscaling import Autoscaling
from .base import PROJECT, Pending, Platform, _Model
from .cluster import Cluster
from .pools import NodePool, Taint
from .storage import Storage
from .workloads import GitLabRunner, Pipelines, Qemu


class Settings(_Model):
    """Everything the program needs, typed and checked. Built by `parse()`/`load()` only."""

    project: str = PROJECT
    stack: str
    platform: Platform
    cluster: Cluster
    node_pools: tuple[NodePool, ...]
    aws_region: str | None = None
    gcp_project: str | None = None
    gcp_region: str | None = None
    kubeconfig: SecretStr | None = None  # openshift: `kubernetes:kubeconfig`, a secret (else KUBECONFIG)
    autoscaling: Autoscaling = Autoscaling()
    storage: Storage = Storage()
    pipelines: Pipelines | None = None  # None: no pipeline engine
    qemu: Qemu | None = None  # None: no binfmt DaemonSet
    warnings: tuple[str, ...] = ()  # worth saying, not worth stopping for
    gitlab_runner: GitLabRunner | None = None  # None: no runner
    gitlab_runner_token: SecretStr | None = None  # `multiarch:gitlabRunnerToken`, a secret
    # The values given as Outputs (a component's args only: a stack file's are all known), each
    # checked when it resolves; what uses one waits for that check (platform/convert.py).
    pending: tuple[Pending, ...] = ()

    @property
    def cloud(self) -> arch.Cloud:
        return arch.Cloud.GCP if self.platform == "gke" else arch.Cloud.AWS

    @property
    def arches(self) -> tuple[arch.Arch, ...]:
        return tuple(a for a in arch.ARCHES if any(p.arch == a for p in self.node_pools))

    @property
    def system_pool(self) -> NodePool | None:
        """The pool the controllers run on, as a pool (tainted for controllers only: scheduling.SYSTEM_TAINTS):
        Karpenter's system node group (eks), GKE's system node pool (on unless disabled); else None."""
        if self.autoscaling.uses_karpenter:
            system = self.autoscaling.karpenter_settings.system_pool
            cloud = arch.Cloud.AWS
        elif self.platform == "gke" and self.autoscaling.gke_system_pool.enabled:
            system = self.autoscaling.gke_system_pool
            cloud = arch.Cloud.GCP
        else:
            return None
        instance_type = system.type_on(self.platform)
        return NodePool(
            name=names.SYSTEM_POOL,
            arch=system.arch or arch.arch_of(cloud, instance_type),
            instance_type=instance_type,
            unlisted_instance_type=system.unlisted_instance_type,
            node_capacity=system.node_capacity,
            min_size=system.min_size,
            max_size=system.max_size,
            capacity_type=system.capacity_type,
            disk_size=system.disk_size,
            taints=(Taint.model_validate(scheduling.system_taint(self.platform)),),
        )

    @property
    def build_taints(self) -> dict[arch.Arch, tuple[Taint, ...]]:
        """Each pool arch's taints, what its builds must tolerate: every pool of that arch's own and,
        on GKE, the arm64 taint GKE puts on arm64 nodes by itself. A build of an arch may land on any
        pool of it (the node selector picks the arch, not the pool)."""
        out: dict[arch.Arch, tuple[Taint, ...]] = {}
        for a in self.arches:
            taints = [t for p in self.node_pools if p.arch == a for t in p.taints]
            if a == "arm64" and self.platform == "gke":
                taints.append(Taint.model_validate(arch.GKE_ARM64_TAINT))
            out[a] = tuple(sorted(dict.fromkeys(taints), key=arch.taint_order))  # each once, in a canonical order
        return out

    @property
    def build_timeout_minutes(self) -> int:
        """The longest a build may run: the CI jobs' timeout, the PipelineRuns' (1h when neither is on)."""
        timeouts = [self.gitlab_runner.job_timeout] if self.gitlab_runner else []
        timeouts += [self.pipelines.run_timeout] if self.pipelines else []
        return max((-(-(limits.go_duration_ns(t) or 0) // 60_000_000_000) for t in timeouts), default=60)

    @property
    def karpenter_termination_grace_period(self) -> str:
        """How long do-not-disrupt may hold a node Karpenter wants gone: the configured value, else the
        longest build timeout plus a margin to upload and clean up (never unbounded)."""
        configured = self.autoscaling.karpenter_settings.termination_grace_period
        return configured or f"{self.build_timeout_minutes + versions.KARPENTER_DRAIN_MARGIN_MINUTES}m"

    @property
    def default_job_arch(self) -> arch.Arch:
        """Where a build job or task that names no arch runs (the manifest job, clone and push):
        amd64 when the stack has an amd64 pool."""
        return "amd64" if "amd64" in self.arches else self.arches[0]

    def pool(self, name: str) -> NodePool:
        return next(p for p in self.node_pools if p.name == name)
