"""The engine's side of a Construct, over gRPC: the recording mock monitor (tools/mocks.py) and an
engine that keeps the provider's log, served on 127.0.0.1 for a provider running in another
process, as the CLI serves its resource monitor to a component provider."""

from __future__ import annotations

import concurrent.futures
import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf import empty_pb2
from pulumi.runtime.proto import engine_pb2_grpc, resource_pb2, resource_pb2_grpc

from tools import mockengine
from tools.mocks import FakeCloud, RecordingMonitor


class _Monitor(resource_pb2_grpc.ResourceMonitorServicer):
    """The mock monitor's answers, as gRPC responses. Each runs in a copy of the context `serve`
    was called in: the Pulumi SDK keeps the stack and project (which name every URN) in context
    variables, which the server's threads would not otherwise see."""

    def __init__(self, monitor: RecordingMonitor) -> None:
        self.monitor = monitor
        self.context = contextvars.copy_context()

    def _run(self, method: Callable[[Any], Any], request: Any) -> Any:
        return self.context.copy().run(method, request)

    def SupportsFeature(self, request: Any, context: Any) -> Any:  # noqa: N802 (gRPC method names)
        answer = self._run(self.monitor.SupportsFeature, request)
        return resource_pb2.SupportsFeatureResponse(hasSupport=answer.hasSupport)

    def RegisterResource(self, request: Any, context: Any) -> Any:  # noqa: N802
        return self._run(self.monitor.RegisterResource, request)

    def RegisterResourceOutputs(self, request: Any, context: Any) -> Any:  # noqa: N802
        return self._run(self.monitor.RegisterResourceOutputs, request)

    def Invoke(self, request: Any, context: Any) -> Any:  # noqa: N802
        return self._run(self.monitor.Invoke, request)

    def RegisterPackage(self, request: Any, context: Any) -> Any:  # noqa: N802
        return self._run(self.monitor.RegisterPackage, request)

    def GetDeploymentInfo(self, request: Any, context: Any) -> Any:  # noqa: N802
        return self._run(self.monitor.GetDeploymentInfo, request)

    def SignalAndWaitForShutdown(self, request: Any, context: Any) -> Any:  # noqa: N802
        return empty_pb2.Empty()


@dataclass
class _Engine(engine_pb2_grpc.EngineServicer):
    root: str
    log: list[str] = field(default_factory=list)

    def Log(self, request: Any, context: Any) -> Any:  # noqa: N802
        self.log.append(request.message)
        return empty_pb2.Empty()

    def GetRootResource(self, request: Any, context: Any) -> Any:  # noqa: N802
        from pulumi.runtime.proto import engine_pb2

        return engine_pb2.GetRootResourceResponse(urn=self.root)

    def SetRootResource(self, request: Any, context: Any) -> Any:  # noqa: N802
        from pulumi.runtime.proto import engine_pb2

        return engine_pb2.SetRootResourceResponse()


@dataclass
class Served:
    """Where the provider finds the monitor and the engine, and what they recorded."""

    monitor: str
    engine: str
    root: str  # the stack's root resource, the Construct's parent
    recording: mockengine.Recording
    log: list[str]


@contextmanager
def serve(stack: str) -> Iterator[Served]:
    """A recording monitor and an engine on free ports, for the length of the block."""
    recording = mockengine.install(mockengine.Recording(stack))  # this process's stack and project
    monitor = RecordingMonitor(FakeCloud(recording), recording)
    root = f"urn:pulumi:{stack}::{mockengine.PROJECT}::pulumi:pulumi:Stack::{mockengine.PROJECT}-{stack}"
    monitor.root = root
    engine = _Engine(root)
    servers = []
    addresses = []
    adders: list[Callable[[Any], None]] = [
        lambda server: resource_pb2_grpc.add_ResourceMonitorServicer_to_server(_Monitor(monitor), server),
        lambda server: engine_pb2_grpc.add_EngineServicer_to_server(engine, server),
    ]
    for add in adders:
        server = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=8))
        add(server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        servers.append(server)
        addresses.append(f"127.0.0.1:{port}")
    try:
        yield Served(addresses[0], addresses[1], root, recording, engine.log)
    finally:
        for server in servers:
            server.stop(grace=None)
