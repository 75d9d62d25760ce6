"""Preflight against moto: in-process for the checks, and once over real HTTP with moto_server."""

from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from moto import mock_aws

from tools import preflight, stackfile

REGION = "eu-west-3"
NO_AWS_FILES = {
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
    "AWS_CONFIG_FILE": "/nonexistent",
    "AWS_EC2_METADATA_DISABLED": "true",
    # Preflight reads no AMIs: moto need not load its catalogue of them for every test.
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
}
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION}


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in {**NO_AWS_FILES, **FAKE_CREDENTIALS}.items():
        monkeypatch.setenv(k, v)
    for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(k, raising=False)


def make_subnets(ec2: Any) -> list[str]:
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    return [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{z}")["Subnet"]["SubnetId"]
        for i, z in enumerate("abc")
    ]


def write_stack(tmp: Path, subnets: list[str], pools: list[dict[str, Any]] | None = None, **extra: Any) -> Path:
    doc = yaml.safe_load((stackfile.STACKS / "Pulumi.dev.yaml").read_text())
    doc["config"]["multiarch:cluster"]["subnetIds"] = subnets
    if pools is not None:
        doc["config"]["multiarch:nodePools"] = pools
    for key, value in extra.items():
        doc["config"][f"multiarch:{key}"] = value
    path = tmp / "Pulumi.preflight.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def flat(text: str) -> str:
    """The output with column padding collapsed: "x86: m5a.2xlarge ok x86_64 = amd64"."""
    return re.sub(r"[ -]{2,}", " ", text)


def run(path: Path) -> tuple[int, str, list[str]]:
    out = io.StringIO()
    code = preflight.main([str(path)], out=out, err=out)
    rows = [line for line in out.getvalue().splitlines() if re.search(r"  (ok|fail|skip)  ", line)]
    return code, flat(out.getvalue()), rows


POOLS = [
    {"name": "x86", "arch": "amd64", "instanceType": "m5a.2xlarge", "minSize": 1, "maxSize": 3},
    {"name": "arm64", "arch": "arm64", "instanceType": "m6g.2xlarge", "minSize": 0, "maxSize": 5},
]


@mock_aws
def test_good_stack_all_ok(aws_env: None, tmp_path: Path) -> None:
    subnets = make_subnets(boto3.client("ec2", region_name=REGION))
    code, out, rows = run(write_stack(tmp_path, subnets, POOLS))
    assert code == 0, out
    assert "x86: m5a.2xlarge ok x86_64 = amd64, AMI type AL2023_x86_64_STANDARD" in out
    assert "arm64: m6g.2xlarge ok arm64 = arm64, AMI type AL2023_ARM_64_STANDARD" in out
    assert f"ok {REGION}a, {REGION}b, {REGION}c" in out
    assert "credentials" in out and "123456789012" in out
    assert not [r for r in rows if "  fail  " in r]


@mock_aws
def test_instance_type_that_does_not_exist_is_one_row(aws_env: None, tmp_path: Path) -> None:
    subnets = make_subnets(boto3.client("ec2", region_name=REGION))
    pools = [POOLS[0], {**POOLS[1], "instanceType": "m6g.97xlarge"}]
    code, out, rows = run(write_stack(tmp_path, subnets, pools))
    assert code == 1
    failing = [r for r in rows if "  fail  " in r]
    assert len(failing) == 1, out
    assert "arm64: m6g.97xlarge" in failing[0] and f"m6g.97xlarge does not exist in {REGION}" in failing[0]


@mock_aws
def test_real_type_with_the_wrong_arch(aws_env: None, tmp_path: Path) -> None:
    subnets = make_subnets(boto3.client("ec2", region_name=REGION))
    pools = [POOLS[0], {**POOLS[1], "arch": "amd64"}]  # m6g declared as amd64
    code, out, _ = run(write_stack(tmp_path, subnets, pools))
    assert code == 1
    assert "m6g.2xlarge is arm64, but the pool's arch is amd64 (x86_64)" in out


@mock_aws
def test_az_that_does_not_offer_the_type(aws_env: None, tmp_path: Path) -> None:
    ec2 = boto3.client("ec2", region_name=REGION)
    subnets = make_subnets(ec2)
    offered = {
        o["Location"]
        for o in ec2.describe_instance_type_offerings(
            LocationType="availability-zone", Filters=[{"Name": "instance-type", "Values": ["c5a.2xlarge"]}]
        )["InstanceTypeOfferings"]
    }
    missing = sorted({f"{REGION}{z}" for z in "abc"} - offered)
    assert missing, "moto's data changed: pick another type offered in only some AZs"
    pools = [{**POOLS[0], "instanceType": "c5a.2xlarge"}, POOLS[1]]
    code, out, _ = run(write_stack(tmp_path, subnets, pools))
    assert code == 1
    assert f"not offered in {', '.join(missing)}" in out


@mock_aws
def test_adopted_file_system_that_does_not_exist(aws_env: None, tmp_path: Path) -> None:
    subnets = make_subnets(boto3.client("ec2", region_name=REGION))
    storage = {"efs": {"fileSystemId": "fs-0123456789abcdef0"}}
    code, out, _ = run(write_stack(tmp_path, subnets, POOLS, storage=storage))
    assert code == 1
    assert f"no EFS file system fs-0123456789abcdef0 in {REGION}" in out


@mock_aws
def test_adopted_file_system_whose_mount_targets_miss_an_az(aws_env: None, tmp_path: Path) -> None:
    ec2 = boto3.client("ec2", region_name=REGION)
    subnets = make_subnets(ec2)
    efs = boto3.client("efs", region_name=REGION)
    fs = efs.create_file_system(CreationToken="t", Encrypted=True)["FileSystemId"]
    for subnet in subnets[:2]:
        efs.create_mount_target(FileSystemId=fs, SubnetId=subnet)
    code, out, _ = run(write_stack(tmp_path, subnets, POOLS, storage={"efs": {"fileSystemId": fs}}))
    assert code == 1
    assert f"no mount target in {REGION}c (encrypted)" in out
    efs.create_mount_target(FileSystemId=fs, SubnetId=subnets[2])
    code, out, _ = run(write_stack(tmp_path, subnets, POOLS, storage={"efs": {"fileSystemId": fs}}))
    assert code == 0, out


@mock_aws
def test_adopted_cluster_that_does_not_exist(aws_env: None, tmp_path: Path) -> None:
    subnets = make_subnets(boto3.client("ec2", region_name=REGION))
    path = write_stack(tmp_path, subnets, POOLS)
    doc = yaml.safe_load(path.read_text())
    doc["config"]["multiarch:cluster"]["create"] = False
    path.write_text(yaml.safe_dump(doc))
    code, out, _ = run(path)
    assert code == 1
    assert f"no EKS cluster build-multiarch in {REGION}" in out


def write_karpenter_stack(tmp: Path, subnets: list[str], capacity: str = "ON_DEMAND") -> Path:
    """karpenter-dev with these subnets, its arm64 pool on `capacity`."""
    doc = yaml.safe_load((stackfile.STACKS / "Pulumi.karpenter-dev.yaml").read_text())
    doc["config"]["multiarch:cluster"]["subnetIds"] = subnets
    doc["config"]["multiarch:nodePools"][1]["capacityType"] = capacity
    path = tmp / "Pulumi.preflight.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


@mock_aws
def test_karpenter_stack_checks_every_type_it_may_launch(aws_env: None, tmp_path: Path) -> None:
    subnets = make_subnets(boto3.client("ec2", region_name=REGION))
    code, out, _ = run(write_karpenter_stack(tmp_path, subnets))
    assert code == 0, out
    for line in (
        "system: t4g.medium ok arm64 = arm64",  # the system node group
        "arm64: m6g.2xlarge ok arm64 = arm64",
        "arm64: m7g.2xlarge ok arm64 = arm64",  # the NodePool's second type
        "karpenter discovery karpenter.sh/discovery=build-multiarch ok exactly the 3 configured subnets "
        "(0 already tagged) and the cluster's security group",
    ):
        assert line in out
    assert "spot service-linked role" not in out  # nothing is Spot


@mock_aws
def test_karpenter_spot_pool_needs_the_spot_service_linked_role(aws_env: None, tmp_path: Path) -> None:
    subnets = make_subnets(boto3.client("ec2", region_name=REGION))
    code, out, _ = run(write_karpenter_stack(tmp_path, subnets, capacity="SPOT"))
    assert code == 1
    assert (
        "spot service-linked role AWSServiceRoleForEC2Spot fail missing, and Karpenter cannot launch Spot instances "
        "without it: aws iam create-service-linked-role aws-service-name spot.amazonaws.com"  # flat: no "--"
    ) in out
    boto3.client("iam").create_role(
        RoleName="AWSServiceRoleForEC2Spot",
        Path="/aws-service-role/spot.amazonaws.com/",
        AssumeRolePolicyDocument='{"Version": "2012-10-17", "Statement": []}',
    )
    code, out, _ = run(write_karpenter_stack(tmp_path, subnets, capacity="SPOT"))
    assert code == 0, out
    assert "spot service-linked role AWSServiceRoleForEC2Spot ok exists" in out


@mock_aws
def test_karpenter_discovers_only_the_configured_subnets_and_group(aws_env: None, tmp_path: Path) -> None:
    ec2 = boto3.client("ec2", region_name=REGION)
    subnets = make_subnets(ec2)
    tag = [{"Key": "karpenter.sh/discovery", "Value": "build-multiarch"}]
    ec2.create_tags(Resources=subnets[:1], Tags=tag)  # ours, tagged by an earlier `pulumi up`
    code, out, _ = run(write_karpenter_stack(tmp_path, subnets[:2]))
    assert code == 0, out
    assert "exactly the 2 configured subnets (1 already tagged)" in out
    ec2.create_tags(Resources=subnets[2:], Tags=tag)  # someone else's subnet, same cluster name
    vpc = ec2.describe_subnets(SubnetIds=subnets[:1])["Subnets"][0]["VpcId"]
    group = ec2.create_security_group(GroupName="other", Description="other", VpcId=vpc)["GroupId"]
    ec2.create_tags(Resources=[group], Tags=tag)
    code, out, rows = run(write_karpenter_stack(tmp_path, subnets[:2]))
    assert code == 1
    failing = [r for r in rows if "  fail  " in r]
    assert len(failing) == 1, out
    assert (
        f"subnets {subnets[2]} also carry the tag, and Karpenter would launch nodes there: remove the tag or list "
        f"them in cluster.subnetIds; security groups {group} also carry the tag, and Karpenter would attach them "
        "to every node: remove the tag"
    ) in flat(failing[0])


def test_no_credentials_is_a_row_not_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in NO_AWS_FILES.items():
        monkeypatch.setenv(k, v)
    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(k, raising=False)
    code, out, _ = run(stackfile.STACKS / "Pulumi.dev.yaml")
    assert code == 1
    assert "no AWS credentials found" in out
    assert "Traceback" not in out


def test_gke_stack_is_refused() -> None:
    out = io.StringIO()
    assert preflight.main(["gke-dev"], out=out, err=out) == 2
    assert "preflight checks AWS" in out.getvalue()


def test_access_denied_reads_as_one_line() -> None:
    import botocore.exceptions

    exc = botocore.exceptions.ClientError(
        {"Error": {"Code": "AccessDenied", "Message": "not allowed to ec2:DescribeSubnets"}}, "DescribeSubnets"
    )
    assert (
        preflight.describe_error(exc)
        == "AccessDenied: not allowed to ec2:DescribeSubnets (the credentials lack this permission)"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def moto_server() -> Iterator[str]:
    port = free_port()
    binary = Path(sys.executable).parent / "moto_server"
    proc = subprocess.Popen(
        [str(binary), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("moto_server did not start")
        yield url
    finally:
        os.kill(proc.pid, 15)
        proc.wait(timeout=10)


def test_end_to_end_over_http(moto_server: str, tmp_path: Path) -> None:
    env = {**os.environ, **NO_AWS_FILES, **FAKE_CREDENTIALS, "AWS_ENDPOINT_URL": moto_server}
    env.pop("AWS_PROFILE", None)
    ec2 = boto3.client(
        "ec2",
        region_name=REGION,
        endpoint_url=moto_server,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    subnets = make_subnets(ec2)

    def command(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tools.preflight", str(path)],
            cwd=stackfile.ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    good = command(write_stack(tmp_path, subnets, POOLS))
    assert good.returncode == 0, good.stdout + good.stderr
    assert "m6g.2xlarge ok arm64 = arm64" in flat(good.stdout)
    assert "m5a.2xlarge ok x86_64 = amd64" in flat(good.stdout)
    bad = command(write_stack(tmp_path, subnets, [POOLS[0], {**POOLS[1], "instanceType": "m6g.97xlarge"}]))
    assert bad.returncode == 1
    failing = [line for line in bad.stdout.splitlines() if "  fail  " in line]
    assert len(failing) == 1 and "m6g.97xlarge" in failing[0]
    assert "Traceback" not in bad.stderr
