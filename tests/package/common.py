"""What the package tests share: the examples, the consumer's own resources, the `dev` stack they
equal, and a provider started as the CLI starts one."""

from __future__ import annotations

import copy
import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import grpc
import yaml
from google.protobuf import empty_pb2
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from tools import mockengine, stackfile

EXAMPLES = stackfile.ROOT / "examples"
PYTHON_EXAMPLE = EXAMPLES / "python" / "__main__.py"
YAML_EXAMPLE = EXAMPLES / "yaml" / "Pulumi.yaml"
TS_EXAMPLE = EXAMPLES / "typescript" / "index.ts"
TOKEN_KEY = "multiarch:gitlabRunnerToken"
# What the examples declare of their own, beside the component (and what the stack file cannot).
OWN = {("pulumi:providers:kubernetes", "build-cluster"), ("kubernetes:core/v1:Namespace", "team-apps")}
NETWORK_EXAMPLE = EXAMPLES / "python-own-network" / "__main__.py"


def token_config() -> tuple[dict[str, Any], list[str]]:
    """The examples' only configuration: dev's runner token, as the stack file's offline stand-in."""
    dev = stackfile.load("dev")
    return {TOKEN_KEY: dev.config[TOKEN_KEY]}, [TOKEN_KEY]


def dev_snapshot() -> dict[str, Any]:
    """What the `dev` stack file declares, as JSON (the examples are dev's args)."""
    dev = stackfile.load("dev")
    return mockengine.snapshot(mockengine.run_main(dev.config, stack=dev.name, secret_keys=dev.secret_keys))


def split_own(resources: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the component's resources, the consumer's own)."""
    own = {u: r for u, r in resources.items() if (r["type"], r["name"]) in OWN}
    return {u: r for u, r in resources.items() if u not in own}, own


def yaml_properties() -> dict[str, Any]:
    """The YAML example's BuildPlatform properties, as a YAML program passes them to the provider."""
    doc = yaml.safe_load(YAML_EXAMPLE.read_text())
    return copy.deepcopy(doc["resources"]["platform"]["properties"])


def virtualenv_command(plugin: Path, *args: str) -> tuple[list[str], dict[str, str]]:
    """How the Python language host runs a plugin directory (pulumi-language-python RunPlugin): the
    virtualenv's python on the directory (it holds a `__main__.py`) and the engine's arguments, in
    the environment of `ActivateVirtualEnv` (sdk/python/toolchain: VIRTUAL_ENV, its bin first on PATH)."""
    options = yaml.safe_load((plugin / "PulumiPlugin.yaml").read_text())["runtime"]["options"]
    venv = plugin / options["virtualenv"]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONHOME", "PYTHONPATH", "VIRTUAL_ENV")}
    env.update(VIRTUAL_ENV=str(venv), PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}")
    return [str(venv / "bin" / "python"), str(plugin), *args], env


@contextmanager
def started(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> Iterator[int]:
    """A provider started as the CLI starts one: its port, from the first line it prints; stopped by
    its PID afterwards."""
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, env=env)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline().decode().strip()
        if not first.isdigit():
            proc.kill()
            _, err = proc.communicate(timeout=30)
            raise AssertionError(f"no port from {command}: {first!r} {err.decode()[-2000:]}")
        yield int(first)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def schema_at(port: int) -> tuple[dict[str, Any], str]:
    """(the schema, the plugin's version), asked over the provider protocol as `pulumi package
    get-schema` asks."""
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = provider_pb2_grpc.ResourceProviderStub(channel)
        version = stub.GetPluginInfo(empty_pb2.Empty(), timeout=30).version
        schema = json.loads(stub.GetSchema(provider_pb2.GetSchemaRequest(version=0), timeout=30).schema)
    return schema, version
