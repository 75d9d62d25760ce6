"""What builds leave behind, over time: how many PipelineRuns, TaskRuns, claims and access points
(or Filestore instances) a stack holds at a steady build rate under its retention, and how much
workspace storage is in use; each against its quota or limit, with its source. And a replay: the
pruner's rule applied run by run over days, to check the steady state's bound holds.

The rule, as the Tekton Pruner applies it (tektoncd/pruner v0.4.1, `enforcedConfigLevel: global`):
when a run finishes, the newest `successfulRuns` successful and `failedRuns` failed runs of the
namespace are kept and older ones deleted; a finished run older than `ttl` is deleted whatever the
counts (its periodic sweep runs every 10 minutes). A deleted PipelineRun takes its TaskRuns, their
pods and its `volumeClaimTemplate` claims (its owner references), and the claims their EFS access
points. OpenShift Pipelines before 1.21 prunes with a job instead (`keep` runs, hourly). Pure.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from . import arch, limits, workspaces
from .settings import Settings
from .settings.workloads import job_pruner_channel

# A run's TaskRuns: clone, one build per arch the Pipeline knows, push, and the cleanup (finally).
TASKRUNS_PER_RUN = 3 + len(arch.ARCHES)
PRUNER_SWEEP_MINUTES = 10  # the pruner's periodic TTL sweep (DefaultPeriodicCleanupIntervalSeconds 600)
OPENSHIFT_JOB_PRUNER_MINUTES = 60  # the stack's schedule for the job-based pruner (before 1.21)


@dataclass(frozen=True)
class Kept:
    """At most how many of a thing exist at the steady state, against its limit."""

    what: str
    kept: int
    limit: int | None
    source: str

    @property
    def within(self) -> bool:
        return self.limit is None or self.kept <= self.limit


def _minutes(duration: str | None) -> float:
    return (limits.go_duration_ns(duration or "") or 0) / 60e9


def job_pruner(settings: Settings) -> bool:
    """OpenShift Pipelines before 1.21 prunes with a job (keep N, on a schedule), not per status."""
    return settings.pipelines is not None and job_pruner_channel(settings.pipelines)


def runs_kept(settings: Settings, builds_per_day: float) -> int:
    """PipelineRuns present at once: those running, those kept, those the pruner has not reached yet."""
    p = settings.pipelines
    assert p is not None
    r = p.retention
    per_minute = builds_per_day / (24 * 60)
    running = math.ceil(per_minute * max(_minutes(p.run_timeout), 1))
    if job_pruner(settings):
        return running + r.successful_runs + r.failed_runs + math.ceil(per_minute * OPENSHIFT_JOB_PRUNER_MINUTES)
    by_count = r.successful_runs + r.failed_runs
    if r.ttl is None:
        return running + by_count
    within_ttl = math.ceil(per_minute * (_minutes(r.ttl) + PRUNER_SWEEP_MINUTES))
    return running + min(by_count, within_ttl)


def running_runs(settings: Settings, builds_per_day: float) -> int:
    p = settings.pipelines
    assert p is not None
    return math.ceil(builds_per_day / (24 * 60) * max(_minutes(p.run_timeout), 1))


def steady_state(settings: Settings, builds_per_day: float) -> list[Kept]:
    """Each thing builds leave behind, at most, at `builds_per_day`, against its limit."""
    runs = runs_kept(settings, builds_per_day)
    running = running_runs(settings, builds_per_day)
    out = [
        Kept("PipelineRuns", runs, limits.TEKTON_PIPELINERUNS_PRACTICAL, limits.TEKTON_PIPELINERUNS_SOURCE),
        Kept("TaskRuns", runs * TASKRUNS_PER_RUN, limits.TEKTON_TASKRUNS_PRACTICAL, limits.TEKTON_TASKRUNS_SOURCE),
    ]
    claims = len(workspaces.WORKSPACES)
    if workspaces.mode(settings.platform) == "per-run-claims":
        out.append(Kept("PersistentVolumeClaims", runs * claims, None, "one per workspace of each run kept"))
        if settings.storage.efs is not None and settings.storage.efs.enabled:
            quota = settings.cluster.quotas.efs_access_points_per_file_system
            out.append(Kept("EFS access points", runs * claims, quota, limits.EFS_ACCESS_POINTS_PER_FILE_SYSTEM.source))
        out.append(
            Kept(
                "workspace storage in use (GiB)", running * workspaces.WORKSPACE_GIB, None,
                "the running builds' workspaces; the cleanup task empties each when its run ends",
            )
        )  # fmt: skip
    else:
        size = _gib(settings.storage.filestore.workspace_capacity if settings.storage.filestore else "")
        out.append(Kept("PersistentVolumeClaims", 1, 1, "the one shared workspace claim"))
        out.append(Kept("Filestore instances", 1, 1, "one, made with the stack: none per build"))
        out.append(
            Kept(
                "workspace storage in use (GiB)", running * workspaces.WORKSPACE_GIB, size or None,
                "the running builds' directories on the shared volume, which the cleanup task removes",
            )
        )  # fmt: skip
    return out


def _gib(quantity: str) -> int:
    value = limits.quantity(quantity) if quantity else None
    return int(value // (1024**3)) if value is not None else 0


@dataclass(frozen=True)
class Replayed:
    """The most of each thing a replay saw at once."""

    pipelineruns: int
    taskruns: int
    claims: int
    storage_gib: int


def replay(
    settings: Settings, builds_per_day: float, days: int = 30, failure_ratio: float = 0.2, minutes: float | None = None
) -> Replayed:
    """Builds start evenly through each day, each lasts `minutes` (default: the run timeout, the
    worst case) and fails one time in 1/failure_ratio; the pruner's rule runs on every finish and
    on its periodic sweep (or, before OpenShift Pipelines 1.21, on the job's schedule only)."""
    p = settings.pipelines
    assert p is not None
    r = p.retention
    duration = minutes if minutes is not None else max(_minutes(p.run_timeout), 1)
    ttl = _minutes(r.ttl) if r.ttl else None
    interval = 24 * 60 / builds_per_day
    total = int(days * builds_per_day)
    fail_every = round(1 / failure_ratio) if failure_ratio else 0
    job = job_pruner(settings)
    period = OPENSHIFT_JOB_PRUNER_MINUTES if job else PRUNER_SWEEP_MINUTES
    claims = len(workspaces.WORKSPACES) if workspaces.mode(settings.platform) == "per-run-claims" else 0
    running: deque[float] = deque()  # end times; every run lasts as long, so they end in start order
    ok: deque[float] = deque()  # finish times of the successful runs kept, oldest first
    bad: deque[float] = deque()
    done: deque[float] = deque()  # the job pruner's: every finished run kept, oldest first
    most_runs = most_running = 0
    next_sweep = float(period)
    finished = 0

    def finish(at: float) -> None:
        nonlocal finished
        failed = bool(fail_every) and finished % fail_every == fail_every - 1
        finished += 1
        if job:
            done.append(at)
            return
        kept, limit = (bad, r.failed_runs) if failed else (ok, r.successful_runs)
        kept.append(at)
        while len(kept) > limit:
            kept.popleft()

    def sweep(at: float) -> None:
        if job:
            while len(done) > r.successful_runs + r.failed_runs:
                done.popleft()
            return
        for kept in (ok, bad):
            while ttl is not None and kept and at - kept[0] >= ttl:
                kept.popleft()

    for i in range(total):
        now = i * interval
        while True:  # what happens before this start, in time order
            end = running[0] if running else None
            if end is not None and end <= now and end <= next_sweep:
                running.popleft()
                finish(end)
            elif next_sweep <= now:
                sweep(next_sweep)
                next_sweep += period
            else:
                break
        running.append(now + duration)
        present = len(running) + len(ok) + len(bad) + len(done)
        most_runs = max(most_runs, present)
        most_running = max(most_running, len(running))
    return Replayed(
        most_runs, most_runs * TASKRUNS_PER_RUN, most_runs * claims, most_running * workspaces.WORKSPACE_GIB
    )
