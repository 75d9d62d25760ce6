"""Run the CrossGuard pack on what the program declared, the way the Pulumi engine does.

The pack (`policy/__main__.py`) is started as its own process; it serves the analyzer protocol
on 127.0.0.1 and prints its port. We call `GetAnalyzerInfo`, then `Analyze` with every custom
resource's recorded inputs and options, then `AnalyzeStack` with the whole stack, and stop the
process by its PID. Diagnostics come back with their policy, enforcement level and message; the
resource is the one each request was about.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from tools.mockengine import SECRET_SIG, SIG_KEY, Registered, Secret

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
    """What the engine hands to analyzers: declared resources, not provider instances."""
    return [r for r in resources if not r.type.startswith("pulumi:providers:")]


def run_pack(resources: Iterable[Registered], timeout: float = 30.0) -> list[Violation]:
    items = analyzed(resources)
    proc = subprocess.Popen(
        [sys.executable, str(PACK)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if not line.isdigit():
            err = proc.stderr.read() if proc.stderr else ""
            raise RuntimeError(f"the policy pack did not start: {line or err.strip()[-500:]}")
        with grpc.insecure_channel(f"127.0.0.1:{line}") as channel:
            stub = analyzer_pb2_grpc.AnalyzerStub(channel)
            stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=timeout)
            out: list[Violation] = []
            for r in items:
                if not r.custom:
                    continue
                response = stub.Analyze(
                    analyzer_pb2.AnalyzeRequest(
                        type=r.type, properties=_struct(r.inputs), urn=r.urn, name=r.name, options=_options(r)
                    ),
                    timeout=timeout,
                )
                out += [_violation(d, f"{r.type} {r.name}") for d in response.diagnostics]
            stack = stub.AnalyzeStack(
                analyzer_pb2.AnalyzeStackRequest(
                    resources=[
                        analyzer_pb2.AnalyzerResource(
                            type=r.type,
                            properties=_struct(r.inputs),
                            urn=r.urn,
                            name=r.name,
                            options=_options(r),
                            parent=r.parent,
                            dependencies=r.dependencies,
                        )
                        for r in items
                    ]
                ),
                timeout=timeout,
            )
            out += [_violation(d, "stack") for d in stack.diagnostics]
            return out
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def _violation(d: Any, resource: str) -> Violation:
    # The SDK prefixes each message with the policy's description: keep only what was found.
    message = d.message.removeprefix(f"{d.description}\n") if d.description else d.message
    return Violation(d.policyName, LEVELS.get(d.enforcementLevel, str(d.enforcementLevel)), message, resource)
