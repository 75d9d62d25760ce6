"""Durations, each as the program that reads it accepts them: Karpenter's NodePool CRD patterns
(compound whole units, `Never` where the field takes it), Go's `time.ParseDuration` for the
Cluster Autoscaler's flags and Tekton's timeouts (fractions and ns to h, within an int64 of
nanoseconds), and GitLab's job `timeout:` (below one month)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated

from pydantic import AfterValidator

from .. import limits

KARPENTER_CRD = "Karpenter v1.14.1 NodePool CRD"
_KARPENTER = r"([0-9]+(s|m|h))+"
_EXAMPLES = "90s, 10m or 1h30m"
# GitLab: lib/gitlab/ci/config/entry/timeout.rb validates `timeout:` below Project::MAX_BUILD_TIMEOUT,
# ActiveSupport's 1.month (2,629,746 s): strictly less (legacy_validation_helpers validate_duration_limit).
GITLAB_MAX_TIMEOUT_SECONDS = 2_629_746
GITLAB_TIMEOUT_SOURCE = "GitLab Project::MAX_BUILD_TIMEOUT, lib/gitlab/ci/config/entry/timeout.rb"


def hms(seconds: int) -> str:
    """`730h29m5s`: a whole number of seconds as a Go duration of whole units."""
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return "".join(f"{n}{u}" for n, u in ((h, "h"), (m, "m"), (s, "s")) if n) or "0s"


def _go(consumer: str, *, zero: str | None = None) -> Callable[[str], str]:
    """A value Go's time.ParseDuration reads (as `consumer` does), 0 or more (`zero`: why 0 is refused)."""

    def check(value: str) -> str:
        try:
            ns = limits.parse_go_duration(value)
        except ValueError as exc:
            overflow = re.fullmatch(r"[+]?([0-9]+(\.[0-9]*)?(ns|us|µs|μs|ms|s|m|h))+", value) is not None
            if overflow and str(exc).startswith("time: invalid duration"):
                raise ValueError(
                    f"{value!r} overflows Go's time.Duration, which {consumer} parses it into: at most 2562047h "
                    f"({limits.GO_DURATION_SOURCE})"
                ) from None
            raise ValueError(
                f"{value!r} is not a Go duration ({exc}), which {consumer} parses it into: expected e.g. "
                f"{_EXAMPLES}, in units ns, us, ms, s, m and h"
            ) from None
        if ns < 0:
            raise ValueError(f"{value!r} is negative: expected a duration of 0 or more, e.g. {_EXAMPLES}")
        if ns == 0 and zero:
            raise ValueError(f"{value!r} {zero}")
        return value

    return check


def _karpenter(field: str, *, never: bool) -> Callable[[str], str]:
    """A value the NodePool CRD's pattern for `field` admits, within Go's range (Karpenter parses it)."""
    pattern = f"^({_KARPENTER}|Never)$" if never else f"^{_KARPENTER}$"
    go = _go("Karpenter")

    def check(value: str) -> str:
        if never and value == "Never":
            return value
        if not re.fullmatch(pattern.strip("^$"), value):
            also = ", or Never" if never else " (Never is not accepted here)"
            raise ValueError(
                f"{value!r} is not a duration the NodePool's {field} takes: whole hours, minutes and seconds such "
                f"as {_EXAMPLES}{also} (pattern {pattern}, {KARPENTER_CRD})"
            )
        return go(value)

    return check


def _gitlab_timeout(value: str) -> str:
    if not re.fullmatch(_KARPENTER, value):
        raise ValueError(
            f"{value!r} is not a duration such as 30m, 1h or 1h30m: whole hours, minutes and seconds, which both "
            "GitLab's timeout keyword and the nodes' grace period (Go) read"
        )
    seconds = (limits.go_duration_ns(value) or 0) // 10**9
    if seconds == 0:
        raise ValueError(f"{value!r} leaves a job no time to run: expected e.g. 1h")
    if seconds >= GITLAB_MAX_TIMEOUT_SECONDS:
        raise ValueError(
            f"{value!r} is not below GitLab's one-month ceiling on a job's timeout (1.month, "
            f"{GITLAB_MAX_TIMEOUT_SECONDS} s; {GITLAB_TIMEOUT_SOURCE}): every pipeline that includes the CI/CD "
            f"component would fail validation; expected at most {hms(GITLAB_MAX_TIMEOUT_SECONDS - 1)}"
        )
    return value


RUN_TIMEOUT_ZERO = (
    "means no timeout to Tekton: a run that hangs would hold its build node and its workspace for ever, and the "
    "nodes' grace period and the runs' retention are sized by the longest run; set the longest a run may take, "
    "e.g. 24h"
)

ConsolidateAfter = Annotated[str, AfterValidator(_karpenter("spec.disruption.consolidateAfter", never=True))]
GracePeriod = Annotated[str, AfterValidator(_karpenter("spec.template.spec.terminationGracePeriod", never=False))]
AutoscalerDuration = Annotated[str, AfterValidator(_go("the Cluster Autoscaler"))]
RunTimeout = Annotated[str, AfterValidator(_go("Tekton", zero=RUN_TIMEOUT_ZERO))]
JobTimeout = Annotated[str, AfterValidator(_gitlab_timeout)]
