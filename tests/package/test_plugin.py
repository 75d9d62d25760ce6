"""The component provider as the Pulumi CLI runs it: the plugin directory `provider/`.

`pulumi package add <repo>.git/provider@v...` installs the whole repository (pulumi/pulumi#18322,
3.148.0) and loads `provider/PulumiPlugin.yaml` (workspace.LoadPluginProject: the struct
`PluginProject`, sdk/go/common/workspace/project.go, read without strictness: a key it lacks is
silently ignored). The engine launches the plugin with `NewProgramInfo(pluginDir, pluginDir, ".",
runtime options)` (sdk/go/common/resource/plugin/plugin.go), and the Python language host runs a
plugin directory holding a `__main__.py` as `python <plugin dir> <args>` through the virtualenv
the runtime options name, in the CLI's working directory (pulumi-language-python RunPlugin).
These tests start it exactly so, from a copy of the repository in a temporary `plugins/`
directory, with the virtualenv made from the plugin's `requirements.txt`, and speak the provider
protocol to it: the port it prints, GetSchema, and a Construct whose resources register with a
recording monitor served over gRPC. The repository root, by the same rule, is the stack program.
"""

from __future__ import annotations

import copy
import re
import subprocess
from pathlib import Path
from typing import Any

import grpc
import pytest
import yaml
from google.protobuf import struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

import components
from tests.package import common, engine
from tools import mockengine, stackfile

pytestmark = pytest.mark.xdist_group("package")

ROOT = stackfile.ROOT
TOKEN = "multiarch:index:BuildPlatform"
# PluginProject's fields, every CLI version (project.go: runtime; since 3.1xx packages,
# requiredPulumiVersion, template). There has never been a `main`.
PLUGIN_PROJECT_KEYS = {"runtime", "packages", "requiredPulumiVersion", "template"}


def test_the_plugin_manifest_says_only_what_the_cli_reads() -> None:
    manifest = yaml.safe_load((ROOT / "provider" / "PulumiPlugin.yaml").read_text())
    assert set(manifest) <= PLUGIN_PROJECT_KEYS, set(manifest) - PLUGIN_PROJECT_KEYS
    assert manifest["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}}
    # The CLI version this relies on: git subdirectory plugins, their venv, `pulumi install` of them.
    assert manifest["requiredPulumiVersion"] == ">=3.154.0"
    requirements = [
        line for line in (ROOT / "provider" / "requirements.txt").read_text().splitlines() if not line.startswith("#")
    ]
    assert requirements == [".."]  # the package, from the repository root: what the wheel is
    # Nothing at the root can be taken for the plugin: no manifest there.
    assert not (ROOT / "PulumiPlugin.yaml").exists()
    assert (ROOT / "Pulumi.yaml").exists() and (ROOT / "__main__.py").exists()


def test_the_plugins_virtualenv_holds_the_package_not_the_checkout(plugin: Path) -> None:
    command, env = common.virtualenv_command(plugin)
    where = subprocess.run(
        [command[0], "-c", "import pulumi_multiarch, sys; print(pulumi_multiarch.__file__, pulumi_multiarch.__version__)"],
        capture_output=True, text=True, check=True, env=env, cwd="/",
    ).stdout.split()  # fmt: skip
    assert where[0].startswith(str(plugin / "venv")) and where[1] == components.__version__


def _secret(value: Any) -> dict[str, Any]:
    return {rpc._special_sig_key: rpc._special_secret_sig, "value": value}


def _output_value(value: Any, dependency: str, secret: bool = False) -> dict[str, Any]:
    """An arg wired to another resource's output, as the engine sends it to a provider that accepts
    output values (a YAML `${subnet.id}`, a TypeScript `subnet.id`)."""
    wired = {rpc._special_sig_key: rpc._special_output_value_sig, "value": value, "dependencies": [dependency]}
    return {**wired, "secret": True} if secret else wired


def _wired(properties: dict[str, Any], subnets: list[Any]) -> dict[str, Any]:
    """The YAML example's properties with the subnets given as output values of a team's own subnets."""
    wired = copy.deepcopy(properties)
    wired["cluster"]["subnetIds"] = [
        _output_value(s, f"urn:pulumi:dev::team::aws:ec2/subnet:Subnet::team-private-{i}", secret=i == 0)
        for i, s in enumerate(subnets)
    ]
    return wired


def _construct_request(served: engine.Served, properties: dict[str, Any]) -> Any:
    config, _ = common.token_config()
    token = config[common.TOKEN_KEY]
    inputs = struct_pb2.Struct()
    inputs.update({k: (_secret(token) if v == "${gitlabRunnerToken}" else v) for k, v in properties.items()})
    return provider_pb2.ConstructRequest(
        project=mockengine.PROJECT, stack="dev", organization="organization", dryRun=False, parallel=8,
        monitorEndpoint=served.monitor, type=TOKEN, name="multiarch", parent=served.root, inputs=inputs,
        accepts_output_values=True,
    )  # fmt: skip


@pytest.fixture(scope="module")
def constructed(plugin: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """`python provider/ <engine>` in a clean working directory: its first line, its schema, and a
    Construct of the YAML example's BuildPlatform (the `dev` stack's args) over gRPC."""
    pwd = tmp_path_factory.mktemp("pwd")
    subnets = common.yaml_properties()["cluster"]["subnetIds"]
    out: dict[str, Any] = {}
    with engine.serve("dev") as served:
        command, env = common.virtualenv_command(plugin, served.engine)
        with common.started(command, pwd, env) as port:
            schema, version = common.schema_at(port)
            with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
                stub = provider_pb2_grpc.ResourceProviderStub(channel)
                response = stub.Construct(_construct_request(served, common.yaml_properties()), timeout=120)
                out["snapshot"] = mockengine.snapshot(served.recording)
                # The same args, the subnets wired to a team's own resources; then one of them wrong.
                for label, given in (("wired", subnets), ("late", [subnets[0], "subnet-nope", subnets[2]])):
                    with engine.serve("dev") as again:
                        request = _construct_request(again, _wired(common.yaml_properties(), given))
                        try:
                            stub.Construct(request, timeout=120)
                            out[label] = mockengine.snapshot(again.recording)
                        except grpc.RpcError as exc:
                            out[label] = {
                                "error": exc.details(),
                                "declared": [r.type for r in again.recording.resources],
                            }
    state = rpc.deserialize_properties(response.state, keep_unknowns=True)
    return {
        **out, "port": port, "schema": schema, "version": version, "urn": response.urn, "state": state,
        "pwd": sorted(p.name for p in pwd.iterdir()),
    }  # fmt: skip


def test_the_plugin_directory_prints_a_port_and_serves_its_schema(constructed: dict[str, Any]) -> None:
    assert constructed["port"] > 0 and constructed["version"] == components.__version__
    schema = constructed["schema"]
    assert schema["name"] == "multiarch" and list(schema["resources"]) == [TOKEN]
    assert constructed["pwd"] == []  # it wrote nothing where the CLI runs it


def test_its_construct_declares_what_the_stack_file_does(constructed: dict[str, Any]) -> None:
    got, expected = constructed["snapshot"], common.dev_snapshot()
    assert sorted(got["resources"]) == sorted(expected["resources"])
    for urn, declared in got["resources"].items():
        assert declared == expected["resources"][urn], urn
    assert constructed["urn"].endswith(f"{TOKEN}::multiarch")
    state = constructed["state"]
    assert set(state) == set(constructed["schema"]["resources"][TOKEN]["properties"])
    assert rpc.is_rpc_secret(state["kubeconfig"])  # the output, a secret over the wire too
    (secret,) = [r for r in got["resources"].values() if r["type"] == "kubernetes:core/v1:Secret"]
    assert set(secret["inputs"]["stringData"]) == {"secret"}  # the runner token, still a secret


def test_its_construct_takes_output_values_checks_them_when_known_and_keeps_them_secret(
    constructed: dict[str, Any],
) -> None:
    """A YAML or TypeScript program's subnets wired to its own: the engine sends output values; the
    component's resources depend on those resources, the secret one stays secret, and a wrong one
    fails the Construct with the stack file's line, nothing of the component registered."""
    wired, subnets = constructed["wired"]["resources"], common.yaml_properties()["cluster"]["subnetIds"]
    (cluster,) = [r for r in wired.values() if r["type"] == "aws:eks/cluster:Cluster"]
    vpc = cluster["inputs"]["vpcConfig"]  # one subnet was a secret: the whole vpcConfig is one
    assert set(vpc) == {"secret"} and vpc["secret"]["subnetIds"] == sorted(subnets)
    mounts = {r["name"]: r for r in wired.values() if r["type"] == "aws:efs/mountTarget:MountTarget"}
    assert sorted(mounts) == [f"build-multiarch-efs-mount-subnet-{i}" for i in range(3)]
    assert mounts["build-multiarch-efs-mount-subnet-0"]["inputs"]["subnetId"] == {"secret": subnets[0]}
    assert mounts["build-multiarch-efs-mount-subnet-1"]["inputs"]["subnetId"] == subnets[1]
    team = {f"urn:pulumi:dev::team::aws:ec2/subnet:Subnet::team-private-{i}" for i in range(3)}
    assert team <= set(cluster["dependencies"])
    late = constructed["late"]
    assert late["declared"] == ["multiarch:index:BuildPlatform"]
    assert (
        "multiarch:cluster.subnetIds: 'subnet-nope' not subnet ids: expected subnet- and 8 or 17 lowercase "
        "hexadecimal digits (EC2 resource IDs)"
    ) in late["error"]


def test_the_repository_root_is_the_stack_program(plugin: Path, tmp_path: Path) -> None:
    """By the host's own rule (`python <dir>` when it holds a `__main__.py`), the root would run the
    stack program: it prints no port, and says what it is and where the provider is."""
    command, env = common.virtualenv_command(plugin, "127.0.0.1:1")
    command[1] = str(plugin.parent)
    proc = subprocess.run(command, capture_output=True, text=True, check=False, cwd=tmp_path, env=env, timeout=120)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.strip() == (
        "multiarch: this directory is the stack program (pulumi up --stack <env>); the component provider is "
        "the plugin directory provider/ (pulumi package add <repository>.git/provider@v<version>)"
    )
    assert not re.search(r"^\d+$", proc.stderr, re.MULTILINE)


def test_the_docs_show_the_plugin_directory() -> None:
    command = f"pulumi package add gitlab.com/your-group/multiarch.git/provider@v{components.__version__}"
    for page in (ROOT / "README.md", ROOT / "docs" / "component.md", ROOT / "docs" / "installation-configuration.md"):
        assert command in page.read_text(), page
