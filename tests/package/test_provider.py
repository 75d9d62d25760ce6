"""The component provider: its schema, served as the CLI asks for it, and its Construct under mocks.

`pulumi package add <repo>.git/provider@v...` starts the plugin directory `provider/` (its
`PulumiPlugin.yaml`, `__main__.py` and virtualenv: tests/package/test_plugin.py starts it exactly so),
or the wheel's `pulumi-resource-multiarch`, reads the port it prints, and calls GetSchema over the
provider protocol (gRPC), as `pulumi package get-schema` does. Both are started that way here.
The schema must type every arg and output, carry the enums, take its descriptions from the
docstrings, and cover the stack-file contract key for key. The TypeScript and YAML examples must use
only its names; the YAML example's properties are then constructed through the provider, in
process under the mock engine, and declare what the `dev` stack file declares.
"""

from __future__ import annotations

import ast
import enum
import inspect
import itertools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.provider.server import ComponentInitError
from pydantic import BaseModel

import components
from components import platform, settings
from components.platform import convert
from components.provider import NAME, Provider
from components.settings import autoscaling, cluster, pools, storage, workloads
from tests.package import common
from tools import mockengine, stackfile

pytestmark = pytest.mark.xdist_group("package")

TOKEN = f"{NAME}:index:BuildPlatform"
ROOT = stackfile.ROOT
# Each args type and the settings model that validates it: the same keys, or the contract drifted.
MODELS: dict[str, type[BaseModel]] = {
    "QuotasArgs": cluster.Quotas, "ClusterArgs": cluster.Cluster, "TaintArgs": pools.Taint,
    "NodeCapacityArgs": pools.NodeCapacity, "NodePoolArgs": pools.NodePool,
    "EfsStorageClassArgs": storage.EfsStorageClass, "EfsArgs": storage.Efs,
    "FilestoreStorageClassArgs": storage.FilestoreStorageClass, "FilestoreArgs": storage.Filestore,
    "StorageArgs": storage.Storage, "SystemPoolArgs": autoscaling.SystemPool, "KarpenterArgs": autoscaling.Karpenter,
    "RangeArgs": autoscaling.Range, "LimitsArgs": autoscaling.AutoscalingLimits, "AutoscalingArgs": autoscaling.Autoscaling,
    "PipelinesArgs": workloads.Pipelines, "RetentionArgs": workloads.Retention, "QemuArgs": workloads.Qemu, "BuildResourcesArgs": workloads.BuildResources,
    "GitLabRunnerArgs": workloads.GitLabRunner,
}  # fmt: skip
ENUMS: dict[str, type[enum.Enum]] = {"Platform": platform.Platform, "Arch": platform.Arch, "Engine": platform.Engine,
         "CapacityType": platform.CapacityType, "TaintEffect": platform.TaintEffect}  # fmt: skip


def served_schema(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[dict[str, Any], str]:
    """Start a provider as the CLI does (an engine address argument; the port on stdout), ask for its
    plugin info and schema over gRPC, stop it by its PID."""
    with common.started(command, cwd, env) as port:
        return common.schema_at(port)


@pytest.fixture(scope="module")
def schema(plugin: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The plugin directory's schema, the provider started as the language host starts it."""
    command, env = common.virtualenv_command(plugin, "127.0.0.1:1")
    served, version = served_schema(command, tmp_path_factory.mktemp("pwd"), env)
    assert version == components.__version__
    return served


def _ref(schema: dict[str, Any], ref: str) -> dict[str, Any]:
    assert ref.startswith("#/types/"), ref
    return schema["types"][ref.removeprefix("#/types/")]


def _properties(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    resource = schema["resources"][TOKEN]
    for kind in ("inputProperties", "properties"):
        for name, prop in resource[kind].items():
            yield f"BuildPlatform.{kind}.{name}", prop
    for token, spec in schema["types"].items():
        for name, prop in spec.get("properties", {}).items():
            yield f"{token}.{name}", prop


def _docstrings(cls: type) -> dict[str, str]:
    """A class's attribute docstrings, read from its source independently of the SDK's analyzer."""
    tree = ast.parse(inspect.getsource(cls))
    body = tree.body[0].body  # type: ignore[attr-defined]
    out: dict[str, str] = {}
    for node, after in itertools.pairwise(body):
        target = (
            node.target
            if isinstance(node, ast.AnnAssign)
            else (node.targets[0] if isinstance(node, ast.Assign) else None)
        )
        if (
            isinstance(target, ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value.value if isinstance(after.value, ast.Constant) else None, str)
        ):
            out[target.id] = str(after.value.value)  # type: ignore[attr-defined]
    return out


def test_the_plugin_and_the_wheel_serve_the_same_schema(schema: dict[str, Any], venv: Path, tmp_path: Path) -> None:
    installed, version = served_schema([str(venv / "bin" / "pulumi-resource-multiarch"), "127.0.0.1:1"], tmp_path)
    assert version == components.__version__
    assert installed == schema
    assert schema["name"] == NAME and schema["version"] == components.__version__
    assert list(schema["resources"]) == [TOKEN] and schema["resources"][TOKEN]["isComponent"] is True


def test_every_arg_and_output_is_typed(schema: dict[str, Any]) -> None:
    def typed(where: str, prop: dict[str, Any]) -> None:
        assert "type" in prop or "$ref" in prop, where
        if "$ref" in prop:
            _ref(schema, prop["$ref"])  # resolves
        if prop.get("type") == "array":
            typed(f"{where}[]", prop["items"])
        if prop.get("type") == "object":
            assert "additionalProperties" in prop, f"{where}: an object without a type for its values"
            typed(f"{where}{{}}", prop["additionalProperties"])
        assert prop.get("type") != "any" and "pulumi.json#/Any" not in prop.get("$ref", ""), where

    seen = 0
    for where, prop in _properties(schema):
        typed(where, prop)
        seen += 1
    assert seen > 120
    resource = schema["resources"][TOKEN]
    assert sorted(resource["requiredInputs"]) == ["cluster", "nodePools", "platform"]
    assert sorted(_ref(schema, "#/types/multiarch:index:NodePoolArgs")["required"]) == ["arch", "instanceType", "name"]
    # Nested objects, not strings of JSON: the pools are a list of NodePoolArgs, arch an Arch.
    pools_prop = resource["inputProperties"]["nodePools"]
    assert pools_prop["type"] == "array" and pools_prop["items"]["$ref"] == "#/types/multiarch:index:NodePoolArgs"
    assert _ref(schema, pools_prop["items"]["$ref"])["properties"]["arch"]["$ref"] == "#/types/multiarch:index:Arch"
    assert resource["inputProperties"]["platform"]["$ref"] == "#/types/multiarch:index:Platform"
    engine = _ref(schema, resource["inputProperties"]["autoscaling"]["$ref"])["properties"]["engine"]
    assert engine["$ref"] == "#/types/multiarch:index:Engine"


def test_the_enums_are_the_components(schema: dict[str, Any]) -> None:
    for name, python_enum in ENUMS.items():
        spec = schema["types"][f"multiarch:index:{name}"]
        assert spec["type"] == "string"
        assert [(v["name"], v["value"]) for v in spec["enum"]] == [
            (m.name, m.value) for m in python_enum.__members__.values()
        ]
        assert all(v["description"] == _docstrings(python_enum)[v["name"]] for v in spec["enum"])


def test_the_descriptions_are_the_docstrings(schema: dict[str, Any]) -> None:
    """Each from its docstring, read here from the source; each one clean (no indented continuation
    lines: the schema's descriptions are every language's SDK documentation)."""
    resource = schema["resources"][TOKEN]
    for where, prop in _properties(schema):
        assert prop["description"] and "\n " not in prop["description"], where
    assert resource["description"] == inspect.cleandoc(platform.BuildPlatform.__doc__ or "")
    args_docs = _docstrings(platform.BuildPlatformArgs)
    for name, prop in resource["inputProperties"].items():
        assert prop["description"] == args_docs[_snake(name)], name
    output_docs = _docstrings(platform.BuildPlatform)
    for name, prop in resource["properties"].items():
        assert prop["description"] == output_docs[_snake(name)], name
    for token, spec in schema["types"].items():
        cls = getattr(platform, token.rsplit(":", 1)[-1])
        assert spec["description"] == inspect.cleandoc(cls.__doc__ or ""), token
        docs = _docstrings(cls)
        for name, prop in spec.get("properties", {}).items():
            assert prop["description"] == docs[_snake(name)], f"{token}.{name}"


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def test_the_schema_covers_the_stack_file_contract_key_for_key(schema: dict[str, Any]) -> None:
    resource = schema["resources"][TOKEN]
    top = set(resource["inputProperties"])
    contract = {*settings.STRING_KEYS, *settings.OBJECT_KEYS, *settings.SECRET_KEYS}
    # The other namespaces' keys the stack reads: aws:region, gcp:project, gcp:region, kubernetes:kubeconfig.
    assert top == contract | {"awsRegion", "gcpProject", "gcpRegion", "kubeconfig"}
    for args, model in MODELS.items():
        spec = schema["types"][f"multiarch:index:{args}"]
        # The schema's names, the stack file's spelling of each (memoryMib is memoryMiB there).
        keys = {convert._camel(_snake(n)) for n in spec["properties"]}
        assert keys == {f.alias or n for n, f in model.model_fields.items()}, args


def test_the_schema_cannot_mark_secrets_so_the_component_does(schema: dict[str, Any]) -> None:
    """The limit the README states: no `secret: true` from the analyzer (pulumi 3.272). When this
    fails, the SDK marks them: say so in the README's "Use it from your own program"."""
    resource = schema["resources"][TOKEN]
    assert "secret" not in resource["inputProperties"]["gitlabRunnerToken"]
    assert "secret" not in resource["inputProperties"]["kubeconfig"]
    assert "secret" not in resource["properties"]["kubeconfig"]


def _check(schema: dict[str, Any], spec: dict[str, Any], value: Any, where: str) -> None:
    """`value` (as a YAML or TypeScript program writes it) fits the schema's `spec`."""
    if "$ref" in spec:
        target = _ref(schema, spec["$ref"])
        if "enum" in target:
            assert value in [v["value"] for v in target["enum"]], f"{where}: {value!r}"
            return
        assert isinstance(value, dict), where
        unknown = set(value) - set(target["properties"])
        assert not unknown, f"{where}: not in the schema: {sorted(unknown)}"
        assert set(target.get("required", [])) <= set(value), where
        for key, item in value.items():
            _check(schema, target["properties"][key], item, f"{where}.{key}")
    elif spec["type"] == "array":
        assert isinstance(value, list), where
        for i, item in enumerate(value):
            _check(schema, spec["items"], item, f"{where}[{i}]")
    elif spec["type"] == "string":
        assert isinstance(value, str), where
    elif spec["type"] == "integer":
        assert isinstance(value, int) and not isinstance(value, bool), where
    elif spec["type"] == "boolean":
        assert isinstance(value, bool), where


def _check_args(schema: dict[str, Any], args: dict[str, Any], where: str) -> None:
    resource = schema["resources"][TOKEN]
    unknown = set(args) - set(resource["inputProperties"])
    assert not unknown, f"{where}: not in the schema: {sorted(unknown)}"
    assert set(resource["requiredInputs"]) <= set(args)
    for key, value in args.items():
        _check(schema, resource["inputProperties"][key], value, f"{where}.{key}")


def test_the_yaml_example_uses_the_schemas_names(schema: dict[str, Any]) -> None:
    doc = yaml.safe_load(common.YAML_EXAMPLE.read_text())
    assert doc["resources"]["platform"]["type"] == TOKEN
    _check_args(schema, doc["resources"]["platform"]["properties"], "yaml")
    used = set(re.findall(r"\$\{platform\.(\w+)\}", common.YAML_EXAMPLE.read_text()))
    assert used and used <= set(schema["resources"][TOKEN]["properties"])


def _ts_args() -> dict[str, Any]:
    """The object literal the TypeScript example passes to `new multiarch.BuildPlatform`, as JSON."""
    text = common.TS_EXAMPLE.read_text()
    start = text.index('new multiarch.BuildPlatform("multiarch", ') + len('new multiarch.BuildPlatform("multiarch", ')
    literal = text[start : text.index("\n});", start) + 2]
    literal = re.sub(r"config\.requireSecret\(\"\w+\"\)", '"glrt-secret"', literal)
    literal = re.sub(r"^(\s*)(\w+):", r'\1"\2":', literal, flags=re.M)  # keys at the start of a line
    literal = re.sub(r"([{,]\s*)(\w+):", r'\1"\2":', literal)  # keys inside one-line objects
    literal = re.sub(r",(\s*[}\]])", r"\1", literal)  # trailing commas
    return json.loads(literal)


def test_the_typescript_example_uses_the_schemas_names(schema: dict[str, Any]) -> None:
    args = _ts_args()
    assert args["nodePools"][1]["arch"] == "arm64"  # the literal was read whole
    _check_args(schema, args, "typescript")
    used = set(re.findall(r"platform\.(\w+)", common.TS_EXAMPLE.read_text()))
    assert used and used <= set(schema["resources"][TOKEN]["properties"])
    assert 'import * as multiarch from "@pulumi/multiarch"' in common.TS_EXAMPLE.read_text()


def _construct(provider: ComponentProvider, properties: dict[str, Any], out: dict[str, Any]) -> None:
    """A YAML program's BuildPlatform, through the provider's Construct: the token from config."""
    token = pulumi.Config("multiarch").require_secret("gitlabRunnerToken")
    inputs = {k: (token if v == "${gitlabRunnerToken}" else v) for k, v in properties.items()}
    result = provider.construct("multiarch", TOKEN, inputs, pulumi.ResourceOptions())
    out["urn"], out["state"] = result.urn, result.state


def _run_construct(
    properties: dict[str, Any], provider: ComponentProvider | None = None
) -> tuple[mockengine.Recording, dict[str, Any]]:
    provider = provider or Provider([platform.BuildPlatform], NAME, None, components.__version__)
    config, secret_keys = common.token_config()
    out: dict[str, Any] = {}
    rec = mockengine.Recording("dev")
    mockengine.run(
        lambda: _construct(provider, properties, out), config, stack="dev", secret_keys=secret_keys, recording=rec
    )
    return rec, out


def test_construct_under_mocks_declares_what_the_stack_file_does() -> None:
    rec, out = _run_construct(common.yaml_properties())
    got, expected = mockengine.snapshot(rec), common.dev_snapshot()
    assert sorted(got["resources"]) == sorted(expected["resources"])
    for urn, declared in got["resources"].items():
        assert declared == expected["resources"][urn], urn
    component = next(r for r in rec.resources if r.type == TOKEN)
    assert out["urn"] is not None
    state = out["state"]
    assert set(state) == set(
        json.loads(Provider([platform.BuildPlatform], NAME).schema or "{}")["resources"][TOKEN]["properties"]
    )
    assert component.outputs["kubeconfig"].__class__ is mockengine.Secret


def test_construct_keeps_the_kubeconfig_and_the_token_secret() -> None:
    rec, out = _run_construct(common.yaml_properties())
    from pulumi.runtime.sync_await import _sync_await

    assert _sync_await(out["state"]["kubeconfig"].is_secret()) is True
    secret = next(r for r in rec.resources if r.type == "kubernetes:core/v1:Secret" and r.name == "gitlab-runner-token")
    assert isinstance(secret.inputs["stringData"], mockengine.Secret)


def test_construct_gives_a_yaml_programs_mistakes_the_stack_files_lines() -> None:
    properties = common.yaml_properties()
    properties["nodePools"][1]["arch"] = "arm"
    properties["nodePools"][0]["instanceType"] = "m5a.3xlarge"
    properties["qemu"]["platforms"] = ["arm"]
    rec = mockengine.Recording("dev")
    with pytest.raises(ComponentInitError) as exc:
        config, secret_keys = common.token_config()
        provider = Provider([platform.BuildPlatform], NAME, None, components.__version__)
        mockengine.run(
            lambda: _construct(provider, properties, {}), config, stack="dev", secret_keys=secret_keys, recording=rec
        )
    assert rec.resources == []
    dev = stackfile.load("dev")
    config = json.loads(json.dumps(dev.config))
    config["multiarch:nodePools"][1]["arch"] = "arm"
    config["multiarch:nodePools"][0]["instanceType"] = "m5a.3xlarge"
    config["multiarch:qemu"]["platforms"] = ["arm"]
    with pytest.raises(settings.ConfigError) as expected:
        mockengine.run_main(config, stack="dev", secret_keys=dev.secret_keys, recording=mockengine.Recording("dev"))
    assert str(exc.value) == str(expected.value)
    assert len(expected.value.errors) == 3


def test_the_sdks_own_provider_still_maps_a_list_of_enums_as_objects() -> None:
    """Why `Provider` exists (components/provider.py). When this fails, the SDK maps lists
    of enums itself: drop the subclass and call `component_provider_host`."""
    sdk = ComponentProvider([platform.BuildPlatform], NAME, None, components.__version__)
    qemu = sdk._component_defs["BuildPlatform"].inputs["qemu"]
    definition = sdk.get_type_definition(qemu)
    assert definition is not None
    mapped = sdk.map_input_properties(
        {"platforms": ["arm64"]}, definition.properties, definition.properties_mapping, "BuildPlatform", "qemu"
    )
    assert mapped == {"platforms": [{}]}
    ours = Provider([platform.BuildPlatform], NAME, None, components.__version__)
    assert ours.map_input_properties(
        {"platforms": ["arm64"]}, definition.properties, definition.properties_mapping, "BuildPlatform", "qemu"
    ) == {"platforms": [platform.Arch.ARM64]}
    assert issubclass(platform.Arch, enum.Enum)


# The identifiers a consumer's own resources produce: Inputs (a list's items, the list plain).
INPUTS = {
    ("ClusterArgs", "vpcId"), ("ClusterArgs", "subnetIds[]"), ("ClusterArgs", "publicAccessCidrs[]"),
    ("ClusterArgs", "network"), ("ClusterArgs", "subnetwork"), ("ClusterArgs", "infrastructureName"),
    ("NodePoolArgs", "amiId"), ("EfsArgs", "fileSystemId"), ("EfsArgs", "kmsKeyId"),
    ("FilestoreStorageClassArgs", "network"), ("BuildPlatform", "kubeconfig"), ("BuildPlatform", "gitlabRunnerToken"),
}  # fmt: skip


def _plainness(schema: dict[str, Any]) -> dict[tuple[str, str], bool]:
    """Every input property (and list item) of the served schema: plain or an Input."""
    out: dict[tuple[str, str], bool] = {}
    specs = {"BuildPlatform": schema["resources"][TOKEN]["inputProperties"]}
    specs |= {
        t.rsplit(":", 1)[-1]: s.get("properties", {}) for t, s in schema["types"].items() if t.endswith("Args")
    }  # the args' types (the outputs' are never plain)
    for owner, props in specs.items():
        for name, prop in props.items():
            out[(owner, name)] = bool(prop.get("plain"))
            if "items" in prop:
                out[(owner, f"{name}[]")] = bool(prop["items"].get("plain"))
    return out


def test_the_identifiers_a_consumer_wires_are_inputs_and_the_shape_stays_plain(schema: dict[str, Any]) -> None:
    """Served over gRPC by the plugin: every listed identifier an Input (not plain), everything else
    plain (platform, pools, arches, engines, sizes, versions: every check runs before registration)."""
    plainness = _plainness(schema)
    assert {k for k, plain in plainness.items() if not plain} == INPUTS
    assert plainness[("ClusterArgs", "subnetIds")] and plainness[("NodePoolArgs", "minSize")]
    assert plainness[("BuildPlatform", "platform")] and plainness[("NodePoolArgs", "arch")]


def test_the_settings_take_an_output_exactly_where_the_schema_does() -> None:
    """An arg's `pulumi.Input` annotation and its settings field's `Pending`: the same keys."""
    from typing import get_args

    def pending(annotation: Any) -> bool:
        return annotation is settings.Pending or any(pending(a) for a in get_args(annotation))

    found = set()
    for args, model in MODELS.items():
        for name, field in model.model_fields.items():
            if pending(field.annotation):
                key = field.alias or convert._camel(name)
                found.add((args, f"{key}[]" if "tuple" in str(field.annotation) else key))
    assert found == {(o, n) for o, n in INPUTS if o != "BuildPlatform"}


def test_the_sdks_own_provider_still_passes_integers_as_doubles() -> None:
    """Why `Provider` converts integers (components/provider.py): the wire's 1.0 for 1 reaches the
    component as 1.0 through the SDK's mapping. When this fails, the SDK converts them itself."""
    sdk = ComponentProvider([platform.BuildPlatform], NAME, None, components.__version__)
    pool = sdk._component_defs["BuildPlatform"].inputs["nodePools"].items
    assert pool is not None
    definition = sdk.get_type_definition(pool)
    assert definition is not None
    given = {"name": "x86", "arch": "amd64", "instanceType": "m5a.2xlarge", "minSize": 1.0}
    props, mapping = definition.properties, definition.properties_mapping
    theirs = sdk.map_input_properties(given, props, mapping, "BuildPlatform", "p")["min_size"]
    assert isinstance(theirs, float)
    ours = Provider([platform.BuildPlatform], NAME, None, components.__version__)
    mapped = ours.map_input_properties(
        given, definition.properties, definition.properties_mapping, "BuildPlatform", "p"
    )
    assert mapped["min_size"] == 1 and isinstance(mapped["min_size"], int)
    half = ours.map_input_properties({**given, "minSize": 1.5}, definition.properties, definition.properties_mapping,
                                     "BuildPlatform", "p")  # fmt: skip
    assert half["min_size"] == 1.5  # not whole: the settings name it ("1.5 is not a whole number")
