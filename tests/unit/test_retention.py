"""Nothing piles up build after build: 30 days of builds replayed through the pruner's rule, at
several rates and on each platform's storage, stay within the steady-state table's bound and
under every quota; and the replay can see a retention that would not."""

from __future__ import annotations

from typing import Any

import pytest

from components import retention, settings, workspaces
from tools import stackfile

RATES = (5, 50, 500, 2000)  # builds a day


def stack(name: str, **pipelines: Any) -> settings.Settings:
    s = stackfile.load(name)
    config = dict(s.config)
    if pipelines:
        config["multiarch:pipelines"] = {**config["multiarch:pipelines"], **pipelines}
    return settings.from_config(config, stack=name, secret_keys=s.secret_keys)


def limits_of(rows: list[retention.Kept]) -> dict[str, int | None]:
    return {k.what: k.limit for k in rows}


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize(
    ("name", "changes"),
    [
        ("dev", {}),  # EKS: EFS access points, one per workspace of each run kept
        ("gke-dev", {}),  # GKE: one shared Filestore volume
        ("openshift-dev", {"channel": "latest"}),  # the event-based pruner
        ("openshift-dev", {"channel": "pipelines-1.18"}),  # the job-based pruner, hourly
    ],
)
def test_thirty_days_of_builds_stay_within_the_steady_state_and_every_limit(
    name: str, changes: dict[str, Any], rate: int
) -> None:
    s = stack(name, **changes)
    rows = retention.steady_state(s, rate)
    bound = {k.what: k.kept for k in rows}
    limit = limits_of(rows)
    for failure_ratio in (0.0, 0.2, 1.0):
        seen = retention.replay(s, rate, days=30, failure_ratio=failure_ratio)
        assert seen.pipelineruns <= bound["PipelineRuns"] <= (limit["PipelineRuns"] or 0), (failure_ratio, seen)
        assert seen.taskruns <= bound["TaskRuns"] <= (limit["TaskRuns"] or 0)
        assert seen.storage_gib <= bound["workspace storage in use (GiB)"]
        if workspaces.mode(s.platform) == "per-run-claims":
            assert seen.claims <= bound["EFS access points"] <= (limit["EFS access points"] or 0)
        else:
            assert seen.claims == 0 and bound["Filestore instances"] == 1  # no instance per build
            assert seen.storage_gib <= (limit["workspace storage in use (GiB)"] or 0) or rate > 50


def test_the_bound_is_reached_not_just_respected() -> None:
    """At 50 a day with 20% failing, the replay sees the kept counts fill up: the bound is tight."""
    s = stack("dev")
    seen = retention.replay(s, 50, days=30, failure_ratio=0.2)
    assert seen.pipelineruns == retention.steady_state(s, 50)[0].kept


def test_without_a_retention_worth_the_name_the_replay_overflows_the_access_points() -> None:
    s = stack("dev", retention={"successfulRuns": 100_000, "failedRuns": 100_000, "ttl": None})
    seen = retention.replay(s, 500, days=30)
    assert seen.pipelineruns == 500 * 30  # nothing is ever deleted
    assert seen.claims > s.cluster.quotas.efs_access_points_per_file_system  # builds stop provisioning
    (aps,) = [k for k in retention.steady_state(s, 500) if k.what == "EFS access points"]
    assert not aps.within


def test_a_short_ttl_keeps_what_finished_within_it() -> None:
    s = stack("dev", runTimeout="30m", retention={"successfulRuns": 1000, "failedRuns": 1000, "ttl": "1h"})
    seen = retention.replay(s, 480, days=3, minutes=30)  # one build every 3 minutes, 30 minutes each
    # running (10) + finished within the hour and the sweep's 10 minutes (about 24)
    assert 25 <= seen.pipelineruns <= retention.runs_kept(s, 480)


def test_a_run_has_one_taskrun_per_task_of_the_pipeline_and_its_finally() -> None:
    from components import pipelines

    spec = pipelines.pipeline(("amd64", "arm64"))
    assert len(spec["tasks"]) + len(spec["finally"]) == retention.TASKRUNS_PER_RUN
