"""BuildPlatform's args that take Outputs: each committed stack's identifiers given as Outputs
declare what the plain values declare, a value that fails its check when it resolves stops
everything with the stack file's line (a secret one without showing it), secrets stay secret, and
an Output where the stack's shape is decided is refused before anything is registered.

The consumer that creates its own VPC and subnets is tests/package/test_wheel.py's (the example,
run from the installed wheel); these run the component in process, one Input at a time.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pulumi
import pytest
from pulumi.output import Unknown

from components import settings
from components.platform import BuildPlatform, args_from_stack
from tools import mockengine, stackfile

TOKEN = "multiarch:gitlabRunnerToken"
Edit = Callable[[dict[str, Any]], None]


def stack_args(stack: str) -> tuple[stackfile.StackFile, dict[str, Any]]:
    """A committed stack's file, and its values as BuildPlatform's args (as `__main__.py` makes them)."""
    sf = stackfile.load(stack)
    c = sf.config
    contract = {k.split(":", 1)[1]: v for k, v in c.items() if k.startswith("multiarch:") and k != TOKEN}
    values = settings.StackValues(
        contract=copy.deepcopy(contract), aws_region=c.get("aws:region"), gcp_project=c.get("gcp:project"),
        gcp_region=c.get("gcp:region"), kubeconfig=c.get("kubernetes:kubeconfig"), gitlab_runner_token=c.get(TOKEN),
    )  # fmt: skip
    return sf, dict(args_from_stack(values))


def declare(stack: str, edit: Edit | None = None) -> mockengine.Recording:
    """The stack's BuildPlatform under the mock engine, its args edited first (inside the program,
    where Outputs can be made)."""
    sf, args = stack_args(stack)

    def program() -> None:
        if edit is not None:
            edit(args)
        BuildPlatform("multiarch", args)  # type: ignore[arg-type]

    rec = mockengine.Recording(sf.name)
    mockengine.run(program, sf.config, stack=sf.name, secret_keys=sf.secret_keys, recording=rec)
    return rec


def declared(rec: mockengine.Recording) -> list[tuple[str, str]]:
    """Every resource as (type, inputs): what it declares, whatever it is named."""
    return sorted((r.type, json.dumps(mockengine.marked(r.inputs), sort_keys=True)) for r in rec.resources)


def out(value: Any) -> pulumi.Output[Any]:
    return pulumi.Output.from_input(value)


def _each(path: str, wrap: Callable[[Any], Any]) -> Edit:
    """An edit that replaces the value at `path` (`cluster.subnetIds[*]`, `nodePools[*].amiId`)."""

    def edit(args: dict[str, Any]) -> None:
        def walk(node: Any, parts: list[str]) -> None:
            head, *rest = parts
            key, star = head.removesuffix("[*]"), head.endswith("[*]")
            if star:
                items = node[key]
                for i, item in enumerate(items):
                    if rest:
                        walk(item, rest)
                    else:
                        items[i] = wrap(item)
            elif rest:
                walk(node[key], rest)
            else:
                node[key] = wrap(node[key])

        walk(args, path.split("."))

    return edit


def _edits(*edits: Edit) -> Edit:
    def edit(args: dict[str, Any]) -> None:
        for e in edits:
            e(args)

    return edit


# Each committed stack's identifiers, given as Outputs. Every case names what it changes.
CASES = [
    ("dev", _edits(_each("cluster.vpc_id", out), _each("cluster.subnet_ids[*]", out))),
    ("karpenter-dev", _each("cluster.subnet_ids[*]", out)),  # Karpenter's discovery tags, one per subnet
    ("openshift-dev", _edits(_each("cluster.infrastructure_name", out), _each("node_pools[*].ami_id", out),
                             _each("storage.efs.file_system_id", out))),
    ("gke-dev", _each("storage.filestore.storage_class.network", out)),
]  # fmt: skip


@pytest.mark.parametrize(("stack", "edit"), CASES, ids=[c[0] for c in CASES])
def test_identifiers_given_as_outputs_declare_what_the_values_declare(stack: str, edit: Edit) -> None:
    plain, wired = declare(stack), declare(stack, edit)
    assert declared(wired) == declared(plain)
    assert len(wired.resources) == len(plain.resources) > 10


def test_a_resource_named_per_subnet_is_named_by_its_position_when_the_subnet_is_an_output() -> None:
    _, args = stack_args("karpenter-dev")
    rec = declare("karpenter-dev", _each("cluster.subnet_ids[*]", out))
    tags = sorted(r.name for r in rec.by_type("aws:ec2/tag:Tag") if "discovery-subnet" in r.name)
    assert tags == [f"karpenter-discovery-subnet-{i}" for i in range(len(args["cluster"]["subnet_ids"]))]


def test_an_identifier_that_resolves_wrong_stops_everything_with_the_stack_files_line() -> None:
    rec = mockengine.Recording("dev")
    with pytest.raises(settings.ConfigError) as late:
        sf, args = stack_args("dev")

        def program() -> None:
            args["cluster"]["vpc_id"] = out("vpc-12")  # no consumer: the gate alone stops it
            BuildPlatform("multiarch", args)  # type: ignore[arg-type]

        mockengine.run(program, sf.config, stack="dev", secret_keys=sf.secret_keys, recording=rec)
    assert [r.type for r in rec.resources] == ["multiarch:index:BuildPlatform"]  # nothing under it
    config = copy.deepcopy(stackfile.load("dev").config)
    config["multiarch:cluster"]["vpcId"] = "vpc-12"
    with pytest.raises(settings.ConfigError) as early:
        settings.from_config(config, stack="dev", secret_keys=[TOKEN])
    assert late.value.errors == early.value.errors and len(early.value.errors) == 1


def test_a_secret_output_stays_secret_and_its_bad_value_is_not_shown() -> None:
    key = "arn:aws:kms:eu-west-3:123456789012:key/0b7c7d16-7d3c-4f8c-9d55-3b1f0e0f9a11"
    rec = declare("dev", lambda args: args["storage"]["efs"].update(kms_key_id=pulumi.Output.secret(key)))
    (fs,) = rec.by_type("aws:efs/fileSystem:FileSystem")
    assert isinstance(fs.inputs["kmsKeyId"], mockengine.Secret) and fs.inputs["kmsKeyId"].value == key
    with pytest.raises(settings.ConfigError) as exc:
        declare("dev", lambda args: args["storage"]["efs"].update(kms_key_id=pulumi.Output.secret("not-a-key-id")))
    (line,) = exc.value.errors
    assert line.startswith("multiarch:storage.efs.kmsKeyId: '[secret]' is not a KMS key") and "not-a-key" not in line


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (_each("node_pools[*].instance_type", out), "multiarch:nodePools[x86].instanceType: is an Output"),
        (_each("platform", out), "multiarch:platform: is an Output"),
        (_each("aws_region", out), "aws:region: is an Output"),
        (_each("node_pools[*].max_size", out), "multiarch:nodePools[arm64].maxSize: is an Output"),
        (lambda a: a["qemu"].update(platforms=[out("arm64")]), "multiarch:qemu.platforms: is an Output"),
    ],
    ids=["instanceType", "platform", "awsRegion", "maxSize", "qemu.platforms[0]"],
)
def test_an_output_where_the_stack_shape_is_decided_is_refused_before_anything(edit: Edit, expected: str) -> None:
    rec = mockengine.Recording("dev")
    with pytest.raises(settings.ConfigError) as exc:
        sf, args = stack_args("dev")

        def program() -> None:
            edit(args)
            BuildPlatform("multiarch", args)  # type: ignore[arg-type]

        mockengine.run(program, sf.config, stack="dev", secret_keys=sf.secret_keys, recording=rec)
    assert rec.resources == []
    assert any(e.startswith(expected) and settings.PENDING_PLAIN in e for e in exc.value.errors), exc.value.errors


def test_the_subnet_count_is_checked_before_anything_even_with_outputs() -> None:
    """The list's length is plain: one subnet given as an Output is refused at once."""
    with pytest.raises(settings.ConfigError) as exc:
        declare("dev", lambda a: a["cluster"].update(subnet_ids=[out("subnet-0a1b2c3d4e5f60001")]))
    assert exc.value.errors == [
        "multiarch:cluster.subnetIds: [<an Output>] has 1 subnet(s); EKS needs private subnets in at least two "
        "availability zones"
    ]


def test_an_unknown_output_leaves_its_check_and_its_resources_to_the_update() -> None:
    """At preview an Output of a resource not yet created is unknown: nothing to check yet, and the
    resources that use it are declared with it unknown (the engine shows them as computed)."""
    unknown = pulumi.Output(set(), _done(None), _done(False))
    rec = declare("dev", lambda a: a["cluster"].update(subnet_ids=[unknown, unknown]))
    (cluster,) = rec.by_type("aws:eks/cluster:Cluster")
    assert isinstance(cluster.inputs["vpcConfig"]["subnetIds"], Unknown)  # computed, for the engine to show
    mounts = rec.by_type("aws:efs/mountTarget:MountTarget")
    assert sorted(m.name for m in mounts) == [
        "build-multiarch-efs-mount-subnet-0",
        "build-multiarch-efs-mount-subnet-1",
    ]
    assert all("subnetId" not in m.inputs or isinstance(m.inputs["subnetId"], Unknown) for m in mounts)


def _done(value: Any) -> Any:
    import asyncio

    future: asyncio.Future[Any] = asyncio.get_event_loop().create_future()
    future.set_result(value)
    return future


def test_a_gke_clusters_network_and_subnetwork_take_outputs() -> None:
    network, subnetwork = "projects/p/global/networks/builds", "projects/p/regions/europe-west4/subnetworks/builds-a"

    def given(wrap: Callable[[Any], Any]) -> Edit:
        return lambda a: a["cluster"].update(network=wrap(network), subnetwork=wrap(subnetwork))

    plain, wired = declare("gke-dev", given(lambda v: v)), declare("gke-dev", given(out))
    assert declared(wired) == declared(plain)
    (cluster,) = wired.by_type("gcp:container/cluster:Cluster")
    assert (cluster.inputs["network"], cluster.inputs["subnetwork"]) == (network, subnetwork)
    (default,) = declare("gke-dev").by_type("gcp:container/cluster:Cluster")
    assert "network" not in default.inputs and "subnetwork" not in default.inputs  # unset: as before
