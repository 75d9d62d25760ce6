"""Retention the platform can honour, each refusal with its exact line, and unusual retentions that
still plan (tests/program/test_config_corpus.py's machinery)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.program.test_config_corpus import _variant, assert_refused
from tools import plan

RETENTION_BAD: list[tuple[str, str, dict[str, Any], str]] = [
    ('dev', 'a TTL shorter than the run timeout', {'multiarch:pipelines.retention': {'ttl': '30m'}},
     "multiarch:pipelines.retention.ttl: 30m is shorter than pipelines.runTimeout 1h: a run's history would be gone sooner than a run may last, so a long run's failure is deleted before whoever waited for it reads it; set ttl to at least 1h (or remove it: runs are then kept by count only)"),
    ('dev', 'no successful run kept', {'multiarch:pipelines.retention': {'successfulRuns': 0}},
     'multiarch:pipelines.retention.successfulRuns: 0 deletes each run as it finishes, its logs, results and workspaces with it, before anyone reads them (Tekton Pruner history limit 0: every finished run of that status); keep at least 1'),
    ('openshift-dev', 'no failed run kept', {'multiarch:pipelines.retention': {'failedRuns': 0}},
     'multiarch:pipelines.retention.failedRuns: 0 deletes each run as it finishes, its logs, results and workspaces with it, before anyone reads them (Tekton Pruner history limit 0: every finished run of that status); keep at least 1'),
    ('gke-dev', 'a TTL of zero', {'multiarch:pipelines.retention': {'ttl': '0s'}},
     "multiarch:pipelines.retention.ttl: '0s' deletes each run as it finishes (Tekton Pruner ttlSecondsAfterFinished 0); set at least pipelines.runTimeout, or remove ttl to keep runs by count only"),
    ('dev', "a TTL beyond the pruner's int32", {'multiarch:pipelines.retention': {'ttl': '600000h'}},
     "multiarch:pipelines.retention.ttl: '600000h' is beyond the pruner's ttlSecondsAfterFinished, an int32 of seconds: at most 596523h (tektoncd/pruner); remove ttl to keep runs by count only"),
    ('gke-dev', "a shared workspace below Basic HDD's minimum", {'multiarch:storage.filestore.workspaceSize': '50Gi'},
     'multiarch:storage.filestore.workspaceSize: 50Gi is below what a standard Filestore instance holds at least, 100Gi (Filestore service tiers: Basic HDD, Zonal, Regional, Enterprise 1 TiB, Basic SSD 2.5 TiB; Basic HDD from 100Gi on GKE 1.33 and later): set at least 100Gi'),
    ('gke-dev', 'a premium workspace below its minimum', {'multiarch:storage.filestore.storageClass.tier': 'premium', 'multiarch:storage.filestore.workspaceSize': '1Ti'},
     'multiarch:storage.filestore.workspaceSize: 1Ti is below what a premium Filestore instance holds at least, 2.5Ti (Filestore service tiers: Basic HDD, Zonal, Regional, Enterprise 1 TiB, Basic SSD 2.5 TiB; Basic HDD from 100Gi on GKE 1.33 and later): set at least 2.5Ti'),
    ('openshift-dev', 'a TTL the job-based pruner cannot apply', {'multiarch:pipelines.channel': 'pipelines-1.18', 'multiarch:pipelines.retention': {'ttl': '24h'}},
     'multiarch:pipelines.retention.ttl: 24h is not applied on channel pipelines-1.18: OpenShift Pipelines before 1.21 prunes with a job that keeps the newest 40 finished runs (successfulRuns + failedRuns), hourly; use channel pipelines-1.21 or latest (the event-based pruner), or set ttl: null'),
]  # fmt: skip

RETENTION_GOOD: list[tuple[str, str, dict[str, Any]]] = [
    ('dev', 'a TTL as long as the run timeout', {'multiarch:pipelines.retention': {'ttl': '1h'}}),
    ('dev', 'runs kept by count only', {'multiarch:pipelines.retention': {'ttl': None}}),
    ('gke-dev', 'a premium workspace at its default size', {'multiarch:storage.filestore.storageClass.tier': 'premium'}),
    ('openshift-dev', "an older channel's job pruner, its default TTL said", {'multiarch:pipelines.channel': 'pipelines-1.18'}),
]  # fmt: skip


@pytest.mark.parametrize(("stack", "label", "edits", "expected"), RETENTION_BAD, ids=[b[1] for b in RETENTION_BAD])
def test_a_retention_the_platform_cannot_honour_is_refused_with_one_line(
    stack: str, label: str, edits: dict[str, Any], expected: str
) -> None:
    assert_refused(stack, edits, [expected])


@pytest.mark.parametrize(("stack", "label", "edits"), RETENTION_GOOD, ids=[g[1] for g in RETENTION_GOOD])
def test_an_unusual_retention_still_plans(stack: str, label: str, edits: dict[str, Any]) -> None:
    planned = plan.make(_variant(stack, edits), policies=False)
    assert planned.steady_state is not None


def test_the_default_ttl_the_job_pruner_cannot_apply_is_said() -> None:
    planned = plan.make(_variant("openshift-dev", {"multiarch:pipelines.channel": "pipelines-1.18"}), policies=False)
    assert "warning: multiarch:pipelines.retention.ttl: 168h is not applied on channel pipelines-1.18" in planned.report
