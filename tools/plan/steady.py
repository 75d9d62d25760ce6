"""The plan's steady-state table: what builds leave behind at a stated build rate under the stack's
retention (`components/retention.py`), each against its quota or limit, with its source."""

from __future__ import annotations

from typing import Any, TextIO

from components import retention

BUILDS_PER_DAY = 50  # the default rate the table is stated at (`--builds-per-day`)


def print_steady_state(settings: Any, builds_per_day: float, out: TextIO) -> dict[str, Any] | None:
    p = settings.pipelines
    if p is None:
        return None
    r = p.retention
    rows = retention.steady_state(settings, builds_per_day)
    how = (
        f"keep {r.successful_runs + r.failed_runs} finished runs, hourly (OpenShift Pipelines' job pruner)"
        if retention.job_pruner(settings)
        else f"{r.successful_runs} successful and {r.failed_runs} failed runs kept"
        + (f", none older than {r.ttl}" if r.ttl else "")
    )
    out.write(
        f"\nSteady state at {builds_per_day:g} builds a day (pipelines.retention: {how}; runs up to {p.run_timeout}):\n"
    )
    table = [["what", "at most", "limit", "source"]]
    for k in rows:
        limit = f"{k.limit:,}" if k.limit is not None else "-"
        table.append([k.what, f"{k.kept:,}" + ("" if k.within else " OVER"), limit, k.source])
    widths = [max(len(row[i]) for row in table) for i in range(3)]
    for row in table:
        cells = [row[0].ljust(widths[0]), row[1].rjust(widths[1]), row[2].rjust(widths[2]), row[3]]
        out.write("  " + " ".join(cells).rstrip() + "\n")
    for k in rows:
        if not k.within:
            out.write(
                f"  warning: {k.what} reach {k.kept:,} at this rate, over {k.limit:,} ({k.source}): keep fewer "
                "runs (pipelines.retention), or raise the quota\n"
            )
    return {
        "buildsPerDay": builds_per_day,
        "rows": [{"what": k.what, "atMost": k.kept, "limit": k.limit, "source": k.source} for k in rows],
    }
