"""Shared test helpers: the repository on sys.path, stack configs, and the recording mock engine."""

from __future__ import annotations

import copy
import gc
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools import mockengine  # noqa: E402

# One session, one run of each identical program run (same code, same config): see mockengine.MEMO.
mockengine.MEMO = {}
mockengine.COLLECT_AFTER_RUN = False  # once, when the session ends (pytest_sessionfinish)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The event loops the mock engine's threads left, collected while their sockets are open."""
    gc.collect()


SUBNETS = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002", "subnet-0a1b2c3d4e5f60003"]

EKS_CONFIG: dict[str, Any] = {
    "aws:region": "eu-west-3",
    "multiarch:platform": "eks",
    "multiarch:cluster": {"name": "build-multiarch", "version": "1.33", "subnetIds": SUBNETS},
    "multiarch:nodePools": [
        {"name": "x86", "arch": "amd64", "instanceType": "m5a.2xlarge", "minSize": 1, "maxSize": 3},
        {"name": "arm64", "arch": "arm64", "instanceType": "m6g.2xlarge", "minSize": 0, "maxSize": 5},
    ],
}


def config(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A deep copy of `base` with `multiarch:<key>` values replaced."""
    out = copy.deepcopy(base)
    for key, value in changes.items():
        out[key if ":" in key else f"multiarch:{key}"] = value
    return out


def assert_config_error(base: dict[str, Any], changes: dict[str, Any], expected: str) -> None:
    """`base` (a stack config) with `changes` to its `multiarch:` keys is refused with `expected`."""
    from components import settings

    raw = {k.split(":", 1)[1]: v for k, v in base.items() if k.startswith("multiarch:")}
    raw.update(changes)
    with pytest.raises(settings.ConfigError) as exc:
        settings.parse(raw, stack="t", aws_region="eu-west-3", gcp_project="p")
    assert any(expected in e for e in exc.value.errors), exc.value.errors


@pytest.fixture(scope="session", autouse=True)
def shared_memo(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The parallel workers share their program runs: the session's temp root is common to them."""
    root = tmp_path_factory.getbasetemp()
    mockengine.MEMO_DIR = (root.parent if root.name.startswith("popen-gw") else root) / "program-runs"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The build lab's tests first: their group is the longest piece of work, and started first it
    runs beside the rest of the suite on the other worker instead of after it."""
    items.sort(key=lambda item: "lab" not in getattr(item, "fixturenames", ()))


@pytest.fixture
def recording() -> mockengine.Recording:
    """Installs the recording mock engine for a `@pulumi.runtime.test` test and returns its log."""
    return mockengine.install(mockengine.Recording("test"))


def pytest_collection_finish(session: pytest.Session) -> None:
    """What is loaded by now (the SDKs, the catalogs) stays: the collector no longer walks it, and
    collects young objects less often. Each worker holds a large heap of SDK modules and program
    runs; full collections over it were a sixth of the suite's time (measured: 81 s -> 68 s)."""
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
