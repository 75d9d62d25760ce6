"""Run the Pulumi program under the SDK's mock engine and record what it declares.

No CLI, no plugins, no credentials, no network: `pulumi.runtime.set_mocks` stands in for the
engine, with the recording monitor and the fake cloud of `tools.mocks`; what the program declared
comes back as a `Recording` (`tools.recording`). Identical runs can be served from a memo (`MEMO`,
`MEMO_DIR`: the test session turns it on). Used by `tools.plan` and the tests.
"""

from __future__ import annotations

import copy
import functools
import gc
import hashlib
import json
import os
import pickle
import runpy
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import settings as psettings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from tools.mocks import ACCOUNT_ID, FakeCloud, RecordingMonitor
from tools.recording import Recording, Registered, Secret, contains_secret, counted, marked, redact, reveal, snapshot

# What a run returns, and the fake cloud's account, for the callers of the mock engine.
__all__ = [
    "ACCOUNT_ID",
    "COLLECT_AFTER_RUN",
    "MEMO",
    "MEMO_DIR",
    "PROJECT",
    "ROOT",
    "Recording",
    "Registered",
    "Secret",
    "config_values",
    "contains_secret",
    "counted",
    "install",
    "marked",
    "program_digest",
    "redact",
    "reveal",
    "run",
    "run_main",
    "snapshot",
]

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "multiarch"


def config_values(config: Mapping[str, Any]) -> dict[str, str]:
    """Stack-file config values as the engine passes them (objects as JSON strings)."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}


def install(recording: Recording) -> Recording:
    """Point the Pulumi runtime at a fresh recording mock engine (also for `@pulumi.runtime.test`)."""
    mocks = FakeCloud(recording)
    psettings.ROOT.set(None)
    pulumi.runtime.set_mocks(
        mocks, project=PROJECT, stack=recording.stack, preview=False, monitor=RecordingMonitor(mocks, recording)
    )
    return recording


def run(
    program: Callable[[], Any],
    config: Mapping[str, Any],
    *,
    stack: str = "test",
    secret_keys: list[str] | None = None,
    recording: Recording | None = None,
) -> Recording:
    """Run `program` under the mock engine with `config` and return what it declared.

    Exceptions from the program (a ConfigError, say) propagate after the runtime is drained;
    pass `recording` to inspect what was registered before that.
    """
    recording = install(recording if recording is not None else Recording(stack))
    pulumi.runtime.set_all_config(config_values(config), secret_keys or [])
    psettings.SETTINGS.rpc_manager.clear()
    psettings.SETTINGS.outputs.clear()
    _sync_await(run_pulumi_func(program))
    root = psettings.get_root_resource()
    exports = getattr(root, "outputs", {}) or {}
    recording.outputs = {k: _sync_await(_resolve(v)) for k, v in exports.items()}
    # Registration order follows the event loop, not the program: one canonical order for
    # everything downstream (tree, plan.json, manifests, diagram, diff), so two runs are identical.
    recording.resources.sort(key=lambda r: r.urn)
    # The mock monitor leaves an event loop per worker thread; collect them now, while their
    # sockets are still open, rather than at interpreter exit (where asyncio complains). A process
    # that runs the program many times (the test session) collects once, at its end, instead:
    # a full collection of its large heap after every run cost a third of each run.
    if COLLECT_AFTER_RUN:
        gc.collect()
    return recording


async def _resolve(value: Any) -> Any:
    """An exported value, fully resolved, with secret parts wrapped in `Secret`."""
    out = pulumi.Output.from_input(value)
    plain = await out.future(with_unknowns=True)
    if await out.is_secret():
        return Secret(plain)
    return plain


# Identical program runs, run once: a test session sets this to a dict (tests/conftest.py). The key
# is the program's code and the run's config, stack and secret keys; a hit hands out a copy and
# leaves the runtime as the run would (its config and stack installed). Off by default.
MEMO: dict[str, Recording] | None = None
# And across processes (the suite's parallel workers): a directory of pickled recordings, by key.
MEMO_DIR: Path | None = None
COLLECT_AFTER_RUN = True


def _memo_get(key: str) -> Recording | None:
    if MEMO is not None and key in MEMO:
        return MEMO[key]
    if MEMO_DIR is not None and (MEMO_DIR / f"{key}.pickle").is_file():
        rec: Recording = pickle.loads((MEMO_DIR / f"{key}.pickle").read_bytes())
        if MEMO is not None:
            MEMO[key] = rec
        return rec
    return None


def _memo_put(key: str, rec: Recording) -> None:
    if MEMO is not None:
        MEMO[key] = copy.deepcopy(rec)
    if MEMO_DIR is not None:
        MEMO_DIR.mkdir(parents=True, exist_ok=True)
        partial = MEMO_DIR / f"{key}.{os.getpid()}.partial"
        partial.write_bytes(pickle.dumps(rec))
        os.replace(partial, MEMO_DIR / f"{key}.pickle")  # whole or absent, for the other workers


@functools.cache
def program_digest() -> str:
    """What the program's behaviour depends on: __main__.py, Pulumi.yaml and every module it imports."""
    h = hashlib.sha256()
    for path in [ROOT / "__main__.py", ROOT / "Pulumi.yaml", *sorted((ROOT / "components").rglob("*.py"))]:
        h.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def _memo_key(config: Mapping[str, Any], stack: str, secret_keys: list[str] | None) -> str:
    run = json.dumps([config_values(config), stack, sorted(secret_keys or [])], sort_keys=True)
    return hashlib.sha256((program_digest() + run).encode()).hexdigest()


def run_main(
    config: Mapping[str, Any],
    *,
    stack: str = "test",
    secret_keys: list[str] | None = None,
    recording: Recording | None = None,
) -> Recording:
    """Run the project's `__main__.py` (the real program) under the mock engine.

    With `MEMO` on and no `recording` given, a run identical to an earlier one is not run again:
    pass a `recording` to force a fresh run (a test of determinism does)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    key = _memo_key(config, stack, secret_keys) if MEMO is not None and recording is None else None
    known = _memo_get(key) if key is not None else None
    if known is not None:
        install(Recording(stack))
        pulumi.runtime.set_all_config(config_values(config), secret_keys or [])
        return copy.deepcopy(known)
    rec = run(
        lambda: runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__"),
        config,
        stack=stack,
        secret_keys=secret_keys,
        recording=recording,
    )
    if key is not None:
        _memo_put(key, rec)
    return rec
