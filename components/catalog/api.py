"""The AWS API's own constraints on the fields the stack's inputs map to, and AWS's partitions,
read from `aws_api.json` (generated from botocore's service models by `python -m tools.catalog`).

`field("eks", "labelKey")` gives a field's min, max, pattern and enum; `problem()` says in words
what a value breaks. Partitions come from botocore's `partitions.json`: which regions exist, and
which partition (ARN prefix, DNS suffix) each belongs to.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FILE = Path(__file__).resolve().parent / "aws_api.json"
WHERE = "components/catalog/aws_api.json"


@functools.cache
def _document() -> dict[str, Any]:
    return json.loads(FILE.read_text())  # type: ignore[no-any-return]


def version() -> str:
    s = _document()["source"]
    return f"{s['package']} {s['version']}, {s['asOf']}"


SERVICE_NAMES = {"eks": "EKS", "efs": "EFS", "iam": "IAM", "events": "EventBridge", "ec2": "EC2"}


@dataclass(frozen=True)
class Field:
    service: str
    shape: str
    type: str
    min: int | float | None = None
    max: int | float | None = None
    pattern: str | None = None
    enum: tuple[str, ...] = ()

    @property
    def source(self) -> str:
        """`EKS API labelKey (botocore 1.44.8, ...)`, for messages."""
        return f"{SERVICE_NAMES.get(self.service, self.service.upper())} API {self.shape}, {WHERE} ({version()})"

    def length_problem(self, value: str) -> str | None:
        if self.min is not None and len(value) < self.min:
            return "may not be empty" if self.min == 1 else f"is shorter than {self.min} characters"
        if self.max is not None and len(value) > self.max:
            return f"is {len(value)} characters; at most {int(self.max)}"
        return None

    def number_problem(self, value: int) -> str | None:
        if self.min is not None and value < self.min:
            return f"is below {int(self.min)}"
        if self.max is not None and value > self.max:
            return f"is above {int(self.max)}"
        return None

    def enum_problem(self, value: str) -> str | None:
        if self.enum and value not in self.enum:
            return "expected one of " + ", ".join(self.enum)
        return None

    def pattern_matches(self, value: str) -> bool:
        return self.pattern is None or re.search(self.pattern, value) is not None


@functools.cache
def field(service: str, shape: str) -> Field:
    raw = _document()["services"][service]["shapes"][shape]
    return Field(
        service,
        shape,
        raw["type"],
        raw.get("min"),
        raw.get("max"),
        raw.get("pattern"),
        tuple(raw.get("enum", ())),
    )


PARTITION = "aws"  # the partition the stack supports (see `partition_of`)


def partitions() -> dict[str, dict[str, Any]]:
    return _document()["partitions"]  # type: ignore[no-any-return]


def regions(partition: str = PARTITION) -> frozenset[str]:
    return frozenset(partitions()[partition]["regions"])


def partition_of(region: str) -> str | None:
    """The partition a region name belongs to (`cn-north-1` -> aws-cn); listed regions first, then
    each partition's region pattern; None for a name no partition claims."""
    for pid, p in partitions().items():
        if region in p["regions"]:
            return pid
    for pid, p in sorted(partitions().items(), key=lambda kv: kv[0] == PARTITION):
        if re.search(p["regionRegex"], region):
            return pid
    return None
