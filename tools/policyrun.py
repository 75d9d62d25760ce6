"""Run the CrossGuard pack on what the program declared, the way the Pulumi engine does.

The pack (`policy/__main__.py`) is started as its own process; it serves the analyzer protocol
on 127.0.0.1 and prints its port. We call `GetAnalyzerInfo`, then `Analyze` with every custom
resource's recorded inputs and options, then `AnalyzeStack` with the whole stack. Diagnostics
come back with their policy, enforcement level and message; the resource is the one each request
was about.

One pack serves a whole process (`shared()`): a review of five stacks, or a test session, pays its
start-up once, and the process stops it by its PID when it exits. It is started before the
program runs (`Pack.start`), so its start-up overlaps the program; `Pack.submit` sends every
request at once and returns a function that collects the answers, so the pack judges while the
plan does its own work. Answers are kept by the bytes of the requests: the same resources judged
twice (both sides of a review of an unchanged stack) cost one round.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from tools.mocks import SECRET_SIG, SIG_KEY
from tools.recording import Registered, Secret

ROOT = Path(__file__).resolve().parent.parent
PACK = ROOT / "policy" / "__main__.py"
LEVELS = {0: "advisory", 1: "mandatory", 2: "disabled", 3: "remediate"}


@dataclass(frozen=True)
class Violation:
    policy: str
    level: str  # mandatory | advisory (or remediate)
    message: str
    resource: str  # "<type> <name>", or "stack"

    @property
    def mandatory(self) -> bool:
        return self.level in ("mandatory", "remediate")


def _wire(value: Any) -> Any:
    """Recorded inputs on the wire: secrets keep their signature, as the engine sends them."""
    if isinstance(value, Secret):
        return {SIG_KEY: SECRET_SIG, "value": _wire(value.value)}
    if isinstance(value, dict):
        return {k: _wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_wire(v) for v in value]
    return value


def _struct(props: dict[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(_wire(props))
    return s


def _options(r: Registered) -> analyzer_pb2.AnalyzerResourceOptions:
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=r.protect,
        ignoreChanges=r.ignore_changes,
        deleteBeforeReplace=r.delete_before_replace,
        deleteBeforeReplaceDefined=True,
        additionalSecretOutputs=r.additional_secret_outputs,
        aliases=r.aliases,
        parent=r.parent,
    )


def analyzed(resources: Iterable[Registered]) -> list[Registered]:
    """What the pack judges: the resources the plan and the diff count (`recording.counted`); the
    program's components and the provider instances carry nothing a policy reads."""
    return [r for r in resources if r.counted]


def _requests(
    resources: Iterable[Registered],
) -> tuple[list[tuple[str, analyzer_pb2.AnalyzeRequest]], analyzer_pb2.AnalyzeStackRequest]:
    items = analyzed(resources)
    structs = {r.urn: _struct(r.inputs) for r in items}
    each = [
        (
            f"{r.type} {r.name}",
            analyzer_pb2.AnalyzeRequest(
                type=r.type, properties=structs[r.urn], urn=r.urn, name=r.name, options=_options(r)
            ),
        )
        for r in items
        if r.custom
    ]
    stack = analyzer_pb2.AnalyzeStackRequest(
        resources=[
            analyzer_pb2.AnalyzerResource(
                type=r.type,
                properties=structs[r.urn],
                urn=r.urn,
                name=r.name,
                options=_options(r),
                parent=r.parent,
                dependencies=r.dependencies,
            )
            for r in items
        ]
    )
    return each, stack


def _digest(each: list[tuple[str, analyzer_pb2.AnalyzeRequest]], stack: analyzer_pb2.AnalyzeStackRequest) -> str:
    h = hashlib.sha256()
    for _, request in each:
        h.update(request.SerializeToString(deterministic=True))
    h.update(stack.SerializeToString(deterministic=True))
    return h.hexdigest()


class Pack:
    """The policy pack, served by its own process for as long as this object lives."""

    def __init__(self, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self.proc: subprocess.Popen[str] | None = None
        self._channel: grpc.Channel | None = None
        self._stub: analyzer_pb2_grpc.AnalyzerStub | None = None
        self._answers: dict[str, list[Violation]] = {}
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the pack's process (it imports while the caller goes on); idempotent."""
        with self._lock:
            if self.proc is None or self.proc.poll() is not None:
                self._close_channel()
                self.proc = subprocess.Popen(
                    [sys.executable, str(PACK)],
                    cwd=ROOT,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                    env={**os.environ, "PYTHONPATH": str(ROOT)},
                )
                # Connect as soon as it serves, while the caller goes on: the first channel and the
                # pack's info call cost 0.08 s, off the plan's critical path. A failure here is
                # raised again, with its message, by the caller's own connect.
                threading.Thread(target=self._connect_quietly, daemon=True).start()

    def _connect_quietly(self) -> None:
        with contextlib.suppress(Exception):  # reported by the next _connect, in the caller's thread
            self._connect()

    def _connect(self) -> analyzer_pb2_grpc.AnalyzerStub:
        self.start()
        with self._lock:
            if self._stub is not None:
                return self._stub
            proc = self.proc
            assert proc is not None and proc.stdout is not None
            line = proc.stdout.readline().strip()
            if not line.isdigit():
                err = proc.stderr.read() if proc.stderr else ""
                self._stop()
                raise RuntimeError(f"the policy pack did not start: {line or err.strip()[-500:]}")
            self._channel = grpc.insecure_channel(f"127.0.0.1:{line}")
            stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)
            stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=self.timeout)
            self._stub = stub
            return stub

    def submit(self, resources: Iterable[Registered]) -> Callable[[], list[Violation]]:
        """Send every request now; the returned function waits for the answers."""
        each, stack = _requests(resources)
        key = _digest(each, stack)
        if key in self._answers:
            known = list(self._answers[key])
            return lambda: list(known)
        stub = self._connect()
        # Every request is sent before the first answer is read: the round trips overlap.
        pending = [(what, stub.Analyze.future(request, timeout=self.timeout)) for what, request in each]
        whole = stub.AnalyzeStack.future(stack, timeout=self.timeout)

        def collect() -> list[Violation]:
            out: list[Violation] = []
            for what, future in pending:
                out += [_violation(d, what) for d in future.result().diagnostics]
            out += [_violation(d, "stack") for d in whole.result().diagnostics]
            self._answers[key] = out
            return list(out)

        return collect

    def run(self, resources: Iterable[Registered]) -> list[Violation]:
        return self.submit(resources)()

    def _close_channel(self) -> None:
        if self._channel is not None:
            self._channel.close()
        self._channel, self._stub = None, None

    def _stop(self) -> None:
        self._close_channel()
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()

    def close(self) -> None:
        """Stop the pack's process, by its PID."""
        with self._lock:
            self._stop()

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None and self.proc.poll() is None else None


_SHARED: Pack | None = None


def shared() -> Pack:
    """This process's pack, started on first use and stopped when the process exits."""
    global _SHARED
    if _SHARED is None:
        _SHARED = Pack()
        atexit.register(_SHARED.close)
    return _SHARED


def run_pack(resources: Iterable[Registered]) -> list[Violation]:
    return shared().run(resources)


def _violation(d: Any, resource: str) -> Violation:
    # The SDK prefixes each message with the policy's description: keep only what was found.
    message = d.message.removeprefix(f"{d.description}\n") if d.description else d.message
    return Violation(d.policyName, LEVELS.get(d.enforcementLevel, str(d.enforcementLevel)), message, resource)
