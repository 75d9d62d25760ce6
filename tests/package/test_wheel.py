"""The Python package: built as a wheel, installed into a fresh venv, used by a program outside the repository.

The venv gets its dependencies from this one through a `.pth` file (no network here), and the
wheel through pip, with its dependency metadata resolved against them. The consumer is
examples/python/__main__.py, copied out of the repository and run by that venv's interpreter under
the mock engine: it must declare exactly what the `dev` stack file declares, plus its own
resources, and the package it imported must be the installed one. The same consumer with mistakes
must get the stack file's own one-line messages, before anything is registered.
"""

from __future__ import annotations

import json
import subprocess
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement

import components
from components import settings
from tests.package import common
from tools import mockengine, mocks, stackfile

ROOT = stackfile.ROOT

# Runs in the fresh venv: the repository's tools (the mock engine) come after site-packages, so
# `pulumi_multiarch` is the installed wheel's. argv: JSON [[name, program path], ...], config, secrets.
HARNESS = """
import json, runpy, sys
sys.path.append(sys.argv[4])
import pulumi_multiarch
from pulumi_multiarch import settings
from tools import mockengine
mockengine.COLLECT_AFTER_RUN = False
out = {"package": pulumi_multiarch.__file__, "version": pulumi_multiarch.__version__}
for name, program in json.loads(sys.argv[1]):
    rec = mockengine.Recording("dev")
    try:
        mockengine.run(lambda: runpy.run_path(program, run_name="__main__"), json.loads(sys.argv[2]),
                       stack="dev", secret_keys=json.loads(sys.argv[3]), recording=rec)
        out[name] = mockengine.snapshot(rec)
    except settings.ConfigError as exc:
        out[name] = {"errors": exc.errors, "message": str(exc), "registered": len(rec.resources),
                     "declared": sorted([r.type, r.name] for r in rec.resources)}
out["checkout_loaded"] = sorted(m for m in sys.modules if m == "components" or m.startswith("components."))
print(json.dumps(out))
"""

pytestmark = pytest.mark.xdist_group("package")  # one worker builds the wheel and the venv (conftest)

# The consumer's mistakes, and the same mistakes in dev's stack file.
MISTAKES = [
    (
        '"instance_type": "m5a.2xlarge"',
        '"instance_type": "m5a.3xlarge"',
        ("multiarch:nodePools", 0, "instanceType", "m5a.3xlarge"),
    ),
    ('"arch": Arch.ARM64,\n', '"arch": "arm",\n', ("multiarch:nodePools", 1, "arch", "arm")),
    ('"version": "1.34"', '"version": "1.99"', ("multiarch:cluster", None, "version", "1.99")),
]


# The network example's mistake: one subnet's ARN where its id goes. Known only once AWS created the
# subnet: it is checked then, and fails with the stack file's line for that value.
NETWORK_MISTAKE = (
    '"subnet_ids": [subnet.id for subnet in subnets]',
    '"subnet_ids": [subnets[0].id, subnets[1].arn, subnets[2].id]',
)


@pytest.fixture(scope="module")
def consumers(venv: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The example program and its mistaken twin, outside the repository, run by the venv's Python."""
    where = tmp_path_factory.mktemp("consumer")
    good = where / "team-platform" / "__main__.py"
    good.parent.mkdir()
    good.write_text(common.PYTHON_EXAMPLE.read_text())
    text = good.read_text()
    for old, new, _ in MISTAKES:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    bad = where / "team-platform-mistaken" / "__main__.py"
    bad.parent.mkdir()
    bad.write_text(text)
    network = where / "team-network" / "__main__.py"
    network.parent.mkdir()
    network.write_text(common.NETWORK_EXAMPLE.read_text())
    late = where / "team-network-mistaken" / "__main__.py"
    late.parent.mkdir()
    text = network.read_text()
    assert text.count(NETWORK_MISTAKE[0]) == 1
    late.write_text(text.replace(*NETWORK_MISTAKE))
    programs = [["good", good], ["bad", bad], ["network", network], ["network-mistaken", late]]
    config, secret_keys = common.token_config()
    proc = subprocess.run(
        [str(venv / "bin" / "python"), "-c", HARNESS, json.dumps([[n, str(p)] for n, p in programs]),
         json.dumps(config), json.dumps(secret_keys), str(ROOT)],
        cwd=where, capture_output=True, text=True, check=False, env={"PATH": "/usr/bin:/bin", "HOME": str(where)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.splitlines()[-1])


def test_the_wheel_holds_the_package_its_data_and_its_metadata(wheel: Path) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        dist_info = f"pulumi_multiarch-{components.__version__}.dist-info"
        meta = Parser().parsestr(zf.read(f"{dist_info}/METADATA").decode())
        entry_points = zf.read(f"{dist_info}/entry_points.txt").decode()
    assert wheel.name == f"pulumi_multiarch-{components.__version__}-py3-none-any.whl"
    assert meta["Name"] == "pulumi-multiarch" and meta["Version"] == components.__version__
    # Every file of components/, as pulumi_multiarch/, the catalog's data and py.typed included;
    # nothing else of the repository's.
    package = {"pulumi_multiarch/" + p.relative_to(ROOT / "components").as_posix()
               for p in (ROOT / "components").rglob("*")
               if p.is_file() and "__pycache__" not in p.parts}  # fmt: skip
    assert {"pulumi_multiarch/py.typed", "pulumi_multiarch/catalog/aws_instance_types.csv"} <= package
    assert {n for n in names if not n.startswith(dist_info)} == package
    # As requirements (the backend writes each range's specifiers in its own order).
    assert {str(Requirement(r)) for r in meta.get_all("Requires-Dist") or []} == {
        str(Requirement(r)) for r in project["dependencies"]
    }
    assert "pulumi-resource-multiarch=pulumi_multiarch.provider:main" in entry_points.replace(" ", "")


def test_the_package_requires_what_the_repository_pins() -> None:
    """One range per dependency: pyproject's equal requirements.txt's, so the two cannot drift."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pinned = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        spec = line.split("#", 1)[0].strip()
        if spec:
            name = spec.split(">")[0].split("=")[0].split("<")[0]
            pinned[name] = spec.replace(" ", "")
    for dep in project["dependencies"]:
        name = dep.split(">")[0].split("=")[0].split("<")[0]
        assert pinned.get(name) == dep.replace(" ", ""), f"{dep} (requirements.txt: {pinned.get(name)})"


def test_a_consumer_outside_the_repository_declares_what_the_stack_file_does(
    consumers: dict[str, Any], venv: Path
) -> None:
    assert consumers["package"].startswith(str(venv)), consumers["package"]  # the wheel's, not the checkout's
    assert consumers["checkout_loaded"] == []  # and no second copy of it, under the checkout's name
    assert consumers["version"] == components.__version__
    good = consumers["good"]
    platform, own = common.split_own(good["resources"])
    expected = common.dev_snapshot()
    assert sorted(platform) == sorted(expected["resources"])
    for urn, declared in platform.items():
        assert declared == expected["resources"][urn], urn
    # A consumer's program may allow default providers (the stack file disables them): the component
    # never falls back to one, so it never reaches ambient credentials or ~/.kube/config.
    custom = [r for r in platform.values() if r["custom"] and not r["type"].startswith("pulumi:providers:")]
    assert custom and all(r["provider"] and "::default" not in r["provider"] for r in custom)
    # Its own resources use the component's outputs: the kubeconfig arrives, and stays, a secret.
    (provider_urn,) = (u for u, r in own.items() if r["type"] == "pulumi:providers:kubernetes")
    assert set(own[provider_urn]["inputs"]["kubeconfig"]) == {"secret"}
    assert '"clusters"' in own[provider_urn]["inputs"]["kubeconfig"]["secret"]
    (namespace,) = (r for r in own.values() if r["type"] == "kubernetes:core/v1:Namespace")
    assert namespace["provider"].startswith(provider_urn + "::")
    component = next(r for r in platform.values() if r["type"] == "multiarch:index:BuildPlatform")
    assert good["outputs"]["kubeconfig"] == component["outputs"]["kubeconfig"] and set(
        good["outputs"]["kubeconfig"]
    ) == {"secret"}
    assert sorted(good["outputs"]["nodePools"]) == ["arm64", "x86"]
    assert good["outputs"]["monthlyCost"] == component["outputs"]["monthlyCost"]
    assert component["outputs"]["monthlyCost"]["idle_monthly_usd"] > 0


def test_a_consumers_mistakes_get_the_stack_files_messages_before_anything_is_registered(
    consumers: dict[str, Any],
) -> None:
    bad = consumers["bad"]
    assert bad["registered"] == 0
    dev = stackfile.load("dev")
    config = json.loads(json.dumps(dev.config))
    for _, _, (key, index, field, value) in MISTAKES:
        (config[key][index] if index is not None else config[key])[field] = value
    rec = mockengine.Recording("dev")
    with pytest.raises(settings.ConfigError) as exc:
        mockengine.run_main(config, stack="dev", secret_keys=dev.secret_keys, recording=rec)
    assert rec.resources == []
    assert bad["errors"] == exc.value.errors
    assert len(bad["errors"]) == len(MISTAKES)
    assert sorted(e.split(":")[1].split(" ")[0] for e in bad["errors"]) == [
        "cluster.version", "nodePools[arm64].arch", "nodePools[x86].instanceType"
    ]  # fmt: skip
    assert "\n" not in "".join(bad["errors"])


def test_the_readme_shows_the_examples_the_tests_run() -> None:
    """The README's "Use it from your own program" is the examples, verbatim: the Python one is the
    program the consumer test runs, the TypeScript and YAML ones those test_provider checks."""
    section = (ROOT / "docs" / "component.md").read_text()
    for fence, path in (
        ("python", common.PYTHON_EXAMPLE),
        ("typescript", common.TS_EXAMPLE),
        ("yaml", common.YAML_EXAMPLE),
    ):
        assert f"```{fence}\n{path.read_text()}```" in section, path
    assert f"Version {components.__version__} (" in section
    changelog = (ROOT / "CHANGELOG.md").read_text()
    # The version's own section (an Unreleased one may come first).
    assert f"## {components.__version__} (" in changelog
    assert "BuildPlatform" in changelog.split(f"## {components.__version__} (", 1)[1].split("\n## ", 1)[0]
    assert all(f"@v{components.__version__}" in p.read_text() for p in (common.TS_EXAMPLE, common.YAML_EXAMPLE))


def _network_ids() -> tuple[str, list[str], str]:
    """The ids the mock cloud gives the network example's own VPC, subnets and key."""
    vpc = mocks.fake_id("aws:ec2/vpc:Vpc", "team-vpc")
    subnets = [mocks.fake_id("aws:ec2/subnet:Subnet", f"team-private-{z}") for z in "abc"]
    key = f"arn:aws:kms:eu-west-3:{mocks.ACCOUNT_ID}:key/{mocks.fake_id('aws:kms/key:Key', 'team-builds')}"
    return vpc, subnets, key


def _dev_with(vpc: str, subnets: list[str], key: str) -> dict[str, Any]:
    """dev's stack file with the network example's ids written in, planned: what the example must equal."""
    dev = stackfile.load("dev")
    config = json.loads(json.dumps(dev.config))
    config["multiarch:cluster"].update(vpcId=vpc, subnetIds=subnets)
    config["multiarch:storage"]["efs"]["kmsKeyId"] = key
    return mockengine.snapshot(mockengine.run_main(config, stack="dev", secret_keys=dev.secret_keys))


def test_a_consumer_that_creates_its_own_network_gets_devs_resources_wired_to_it(consumers: dict[str, Any]) -> None:
    vpc, subnets, key = _network_ids()
    got = consumers["network"]["resources"]
    own = {u: r for u, r in got.items() if r["name"].startswith("team-")}
    assert sorted(r["type"] for r in own.values()) == [
        "aws:ec2/subnet:Subnet", "aws:ec2/subnet:Subnet", "aws:ec2/subnet:Subnet", "aws:ec2/vpc:Vpc",
        "aws:kms/key:Key", "pulumi:providers:aws",
    ]  # fmt: skip
    own_urns = set(own)
    subnet_urns = {u for u, r in own.items() if r["type"] == "aws:ec2/subnet:Subnet"}
    expected = _dev_with(vpc, subnets, key)["resources"]
    # A mount target per subnet, named by the subnet's position in the list (its id is an Output).
    new_name = {
        urn: urn.replace(f"-mount-{subnet}", f"-mount-subnet-{i}")
        for urn in expected
        for i, subnet in enumerate(subnets)
        if urn.endswith(f"-mount-{subnet}")
    }
    assert len(new_name) == len(subnets)
    old_name = {new: old for old, new in new_name.items()}
    platform = {u: r for u, r in got.items() if u not in own_urns}
    assert sorted(platform) == sorted(new_name.get(u, u) for u in expected)
    top = [r for r in platform.values() if r["parent"].endswith("multiarch:index:BuildPlatform::multiarch")]
    for urn, declared in platform.items():
        want = expected[old_name.get(urn, urn)]
        assert declared["inputs"] == want["inputs"], urn
        assert set(want["dependencies"]) <= set(declared["dependencies"]), urn
    # The component's top-level resources wait for the checks (so, through their parents, all of it).
    assert top and all(subnet_urns | {u for u, r in own.items() if r["name"] == "team-vpc"} <= set(r["dependencies"])
                       for r in top)  # fmt: skip
    (cluster,) = [r for r in platform.values() if r["type"] == "aws:eks/cluster:Cluster"]
    assert cluster["inputs"]["vpcConfig"]["subnetIds"] == sorted(subnets)
    mounts = [r for r in platform.values() if r["type"] == "aws:efs/mountTarget:MountTarget"]
    assert sorted(m["inputs"]["subnetId"] for m in mounts) == sorted(subnets)
    assert all(subnet_urns <= set(m["dependencies"]) for m in mounts)


def test_an_id_that_resolves_wrong_fails_with_the_stack_files_line_before_anything_uses_it(
    consumers: dict[str, Any],
) -> None:
    vpc, subnets, key = _network_ids()
    late = consumers["network-mistaken"]
    arn = f"arn:aws:ec2:eu-west-3:{mocks.ACCOUNT_ID}:team-private-b"  # the mock cloud's ARN of that subnet
    dev = stackfile.load("dev")
    config = json.loads(json.dumps(dev.config))
    config["multiarch:cluster"].update(vpcId=vpc, subnetIds=[subnets[0], arn, subnets[2]])
    config["multiarch:storage"]["efs"]["kmsKeyId"] = key
    with pytest.raises(settings.ConfigError) as early:
        settings.from_config(config, stack="dev", secret_keys=dev.secret_keys)
    assert (
        late["errors"]
        == early.value.errors
        == [
            f"multiarch:cluster.subnetIds: {arn!r} not subnet ids: expected subnet- and 8 or 17 lowercase hexadecimal "
            "digits (EC2 resource IDs)"
        ]
    )
    # Registered: the team's own resources and the component, nothing under it.
    assert [t for t, _ in late["declared"] if not t.startswith(("aws:ec2/", "aws:kms/", "pulumi:providers:aws"))] == [
        "multiarch:index:BuildPlatform"
    ]
