"""Preflight: will this stack work in this AWS account and region? Checked before anything is created.

    python -m tools.preflight STACK

STACK is a stack name (stacks/Pulumi.STACK.yaml) or a path to a stack file. Uses your normal AWS
credentials (boto3's standard chain; AWS_ENDPOINT_URL is honoured) in the stack's `aws:region`,
and checks, read-only:

- who you are (STS GetCallerIdentity) and the region used;
- each pool's instance type exists, and its real architecture (EC2 DescribeInstanceTypes)
  matches the pool's arch and AMI type;
- the type is offered in every AZ the pool will use (the subnets' AZs on EKS, the zones on
  OpenShift), naming the AZs that lack it;
- an adopted cluster exists (its status and version), an adopted EFS file system exists and its
  mount targets cover those AZs;
- the Kubernetes version is one EKS supports, where the API says so;
- with `autoscaling.engine: karpenter`: every instance type a NodePool may launch (and the system
  node group's), the EC2 Spot service-linked role when a pool is Spot (Karpenter cannot create
  it), that Karpenter will discover exactly the configured subnets and the cluster's security
  group (no other subnet or group carries this cluster's `karpenter.sh/discovery` tag), and that
  an adopted cluster accepts access entries (authentication mode API or API_AND_CONFIG_MAP).

Prints one row per check (ok / fail / skip, with the reason); exits 0 when nothing failed, 1
otherwise, 2 for an invalid stack file. AWS errors (no or expired credentials, access denied,
throttling after boto3's standard retries) become failed rows, never tracebacks.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

import boto3
import botocore.config
import botocore.exceptions
import botocore.loaders
import botocore.session

from components import arch, names
from components import settings as settings_mod
from components.settings import NodePool, Settings, known
from tools import cli, stackfile

OK, FAIL, SKIP = "ok", "fail", "skip"
RETRIES = botocore.config.Config(retries={"mode": "standard", "max_attempts": 5})
SPOT_ROLE = "AWSServiceRoleForEC2Spot"
AWS_ERRORS = (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError)


@functools.cache
def _loader() -> botocore.loaders.Loader:
    return botocore.loaders.create_loader()


def session() -> boto3.Session:
    """A new session (its own credentials and region, read now) on one loader of the service
    models per process: botocore otherwise parses EC2's multi-megabyte model again for every
    session (half a second), once per stack when one process checks several."""
    core = botocore.session.get_session()
    core.register_component("data_loader", _loader())
    return boto3.Session(botocore_session=core)


@dataclass(frozen=True)
class Row:
    check: str
    subject: str
    result: str
    detail: str


def describe_error(exc: BaseException) -> str:
    """One line for an AWS error: what went wrong and, where obvious, what to do."""
    if isinstance(exc, botocore.exceptions.NoCredentialsError):
        return "no AWS credentials found (aws sso login, AWS_PROFILE, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)"
    if isinstance(exc, botocore.exceptions.ClientError):
        err = exc.response.get("Error", {})
        code, message = err.get("Code", "Error"), err.get("Message", "")
        hint = {
            "ExpiredToken": " (log in again)",
            "ExpiredTokenException": " (log in again)",
            "AccessDenied": " (the credentials lack this permission)",
            "AccessDeniedException": " (the credentials lack this permission)",
            "UnauthorizedOperation": " (the credentials lack this permission)",
            "Throttling": " (throttled even after retries: try again later)",
            "ThrottlingException": " (throttled even after retries: try again later)",
        }.get(code, "")
        return f"{code}: {message}{hint}".strip()
    return f"{type(exc).__name__}: {exc}"


class Preflight:
    def __init__(self, settings: Settings, session: boto3.Session) -> None:
        assert settings.aws_region is not None
        self.s = settings
        self.region = settings.aws_region
        self.session = session
        self.rows: list[Row] = []

    def client(self, service: str) -> Any:
        return self.session.client(service, region_name=self.region, config=RETRIES)

    def add(self, check: str, subject: str, result: str, detail: str) -> None:
        self.rows.append(Row(check, subject, result, detail))

    def guarded(self, check: str, subject: str, fn: Callable[[], None]) -> None:
        try:
            fn()
        except AWS_ERRORS as exc:
            self.add(check, subject, FAIL, describe_error(exc))

    def run(self) -> list[Row]:
        self.guarded("credentials", "sts", self.identity)
        if self.rows and self.rows[-1].result == FAIL:
            self.add("everything else", "-", SKIP, "not checked without working credentials")
            return self.rows
        azs = self.azs()
        for pool in self.pools():
            subject = f"{pool.name}: {pool.instance_type}"
            self.guarded("instance type", subject, functools.partial(self.instance_type, pool))
            # A type that does not exist is one failing row, not two.
            if azs and "does not exist" not in self.rows[-1].detail:
                self.guarded("offered in AZs", subject, functools.partial(self.offerings, pool, azs))
        if self.s.platform == "eks":
            if not self.s.cluster.create:
                self.guarded("adopted cluster", self.s.cluster.name, self.adopted_cluster)
            self.guarded("kubernetes version", self.s.cluster.kubernetes_version, self.kubernetes_version)
            if self.s.autoscaling.uses_karpenter:
                if any(p.capacity_type == "SPOT" for p in self.pools()):
                    self.guarded("spot service-linked role", SPOT_ROLE, self.spot_role)
                subject = f"{names.KARPENTER_DISCOVERY_TAG}={self.s.cluster.name}"
                self.guarded("karpenter discovery", subject, self.discovery)
        efs = self.s.storage.efs
        if efs is not None and efs.enabled and efs.adopted:
            fs = known(efs.file_system_id)
            self.guarded("adopted file system", fs, lambda: self.file_system(fs, azs))
        return self.rows

    def pools(self) -> list[NodePool]:
        """Every (pool, instance type) nodes may come from: with Karpenter, each type a NodePool may
        launch and the system node group."""
        system = [self.s.system_pool] if self.s.system_pool is not None else []
        each = [p.model_copy(update={"instance_type": t}) for p in self.s.node_pools for t in p.all_instance_types]
        return [*system, *each]

    def spot_role(self) -> None:
        try:
            self.client("iam").get_role(RoleName=SPOT_ROLE)
        except botocore.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "NoSuchEntity":
                self.add(
                    "spot service-linked role",
                    SPOT_ROLE,
                    FAIL,
                    "missing, and Karpenter cannot launch Spot instances without it: "
                    "aws iam create-service-linked-role --aws-service-name spot.amazonaws.com",
                )
                return
            raise
        self.add("spot service-linked role", SPOT_ROLE, OK, "exists")

    def discovery(self) -> None:
        """Karpenter launches into every subnet, and attaches every security group, carrying the tag."""
        ec2 = self.client("ec2")
        cluster = self.s.cluster.name
        tag = [{"Name": f"tag:{names.KARPENTER_DISCOVERY_TAG}", "Values": [cluster]}]
        subject = f"{names.KARPENTER_DISCOVERY_TAG}={cluster}"
        subnets = {s["SubnetId"] for s in ec2.describe_subnets(Filters=tag)["Subnets"]}
        groups = {g["GroupId"] for g in ec2.describe_security_groups(Filters=tag)["SecurityGroups"]}
        own_group = self.cluster_security_group()
        problems = []
        configured = {known(s) for s in self.s.cluster.subnet_ids}
        foreign = sorted(subnets - configured)
        if foreign:
            problems.append(
                f"subnets {', '.join(foreign)} also carry the tag, and Karpenter would launch nodes there: "
                "remove the tag or list them in cluster.subnetIds"
            )
        foreign_groups = sorted(groups - {own_group})
        if foreign_groups:
            problems.append(
                f"security groups {', '.join(foreign_groups)} also carry the tag, and Karpenter would attach them "
                "to every node: remove the tag"
            )
        if problems:
            self.add("karpenter discovery", subject, FAIL, "; ".join(problems))
            return
        tagged = len(subnets & configured)
        self.add(
            "karpenter discovery",
            subject,
            OK,
            f"exactly the {len(self.s.cluster.subnet_ids)} configured subnets ({tagged} already tagged) and the "
            "cluster's security group",
        )

    def cluster_security_group(self) -> str | None:
        try:
            c = self.client("eks").describe_cluster(name=self.s.cluster.name)["cluster"]
        except botocore.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return None  # not created yet: no group carries the tag legitimately
            raise
        return str((c.get("resourcesVpcConfig") or {}).get("clusterSecurityGroupId") or "") or None

    def identity(self) -> None:
        who = self.client("sts").get_caller_identity()
        default = self.session.region_name
        note = f" (your default region is {default})" if default and default != self.region else ""
        self.add("credentials", who["Account"], OK, f"{who['Arn']} in {self.region}{note}")

    def azs(self) -> list[str]:
        """The AZs pools will use: the subnets' on EKS, the configured zones on OpenShift."""
        if self.s.platform == "openshift":
            return list(self.s.cluster.zones)
        subnets = [known(s) for s in self.s.cluster.subnet_ids]
        if not subnets:
            return []
        try:
            found = self.client("ec2").describe_subnets(SubnetIds=subnets)["Subnets"]
        except AWS_ERRORS as exc:
            self.add("subnets", ", ".join(subnets), FAIL, describe_error(exc))
            return []
        zones = sorted({s["AvailabilityZone"] for s in found})
        self.add("subnets", ", ".join(subnets), OK, f"in {', '.join(zones)}")
        return zones

    def instance_type(self, pool: NodePool) -> None:
        try:
            info = self.client("ec2").describe_instance_types(InstanceTypes=[pool.instance_type])["InstanceTypes"][0]
        except botocore.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "InvalidInstanceType":
                self.add(
                    "instance type",
                    f"{pool.name}: {pool.instance_type}",
                    FAIL,
                    f"{pool.instance_type} does not exist in {self.region}",
                )
                return
            raise
        real = info["ProcessorInfo"]["SupportedArchitectures"]
        real_arches = {a for a in (arch.arch_from_ec2(r) for r in real) if a}
        expected = arch.ARCH_FACTS[pool.arch].ec2
        ami = pool.ami_type or (arch.default_eks_ami_type(pool.arch) if self.s.platform == "eks" else None)
        ami_note = f", AMI type {ami}" if ami else ""
        if pool.arch not in real_arches:
            self.add(
                "instance type",
                f"{pool.name}: {pool.instance_type}",
                FAIL,
                f"{pool.instance_type} is {'/'.join(real)}, but the pool's arch is {pool.arch} ({expected}){ami_note}",
            )
        elif ami and arch.EKS_AMI_TYPES[ami].arch != pool.arch:
            self.add("instance type", f"{pool.name}: {pool.instance_type}", FAIL, f"AMI type {ami} is not {pool.arch}")
        else:
            self.add(
                "instance type", f"{pool.name}: {pool.instance_type}", OK, f"{'/'.join(real)} = {pool.arch}{ami_note}"
            )

    def offerings(self, pool: NodePool, azs: Sequence[str]) -> None:
        pages = (
            self.client("ec2")
            .get_paginator("describe_instance_type_offerings")
            .paginate(
                LocationType="availability-zone",
                Filters=[{"Name": "instance-type", "Values": [pool.instance_type]}],
            )
        )
        offered = {o["Location"] for page in pages for o in page["InstanceTypeOfferings"]}
        missing = [z for z in azs if z not in offered]
        subject = f"{pool.name}: {pool.instance_type}"
        if not offered:
            self.add("offered in AZs", subject, FAIL, f"not offered in any AZ of {self.region}")
        elif missing:
            self.add(
                "offered in AZs",
                subject,
                FAIL,
                f"not offered in {', '.join(missing)} (offered in {', '.join(sorted(offered))})",
            )
        else:
            self.add("offered in AZs", subject, OK, ", ".join(azs))

    def adopted_cluster(self) -> None:
        name = self.s.cluster.name
        try:
            c = self.client("eks").describe_cluster(name=name)["cluster"]
        except botocore.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                self.add("adopted cluster", name, FAIL, f"no EKS cluster {name} in {self.region}")
                return
            raise
        result = OK if c.get("status") == "ACTIVE" else FAIL
        detail = f"status {c.get('status')}, Kubernetes {c.get('version')}"
        mode = (c.get("accessConfig") or {}).get("authenticationMode", "CONFIG_MAP")
        if self.s.autoscaling.uses_karpenter and mode not in ("API", "API_AND_CONFIG_MAP"):
            result = FAIL
            detail += (
                f"; authentication mode {mode} takes no access entries, and Karpenter's nodes join through one: "
                "switch it to API_AND_CONFIG_MAP (aws eks update-cluster-config --access-config ...)"
            )
        self.add("adopted cluster", name, result, detail)

    def kubernetes_version(self) -> None:
        version = self.s.cluster.kubernetes_version
        try:
            found = self.client("eks").describe_cluster_versions(clusterVersions=[version])["clusterVersions"]
        except botocore.exceptions.ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in ("404", "NotImplementedException", "UnknownOperationException", "InvalidAction"):
                self.add("kubernetes version", version, SKIP, "this endpoint does not list EKS versions")
                return
            raise
        except botocore.exceptions.UnknownServiceError:
            self.add("kubernetes version", version, SKIP, "this botocore does not know DescribeClusterVersions")
            return
        if not found:
            self.add("kubernetes version", version, FAIL, f"EKS does not offer Kubernetes {version}")
            return
        status = str(found[0].get("versionStatus") or found[0].get("status", "")).lower().replace("_", "-")
        result = FAIL if "unsupported" in status else OK
        self.add("kubernetes version", version, result, status or "offered")

    def file_system(self, fs_id: str, azs: Sequence[str]) -> None:
        efs = self.client("efs")
        try:
            fs = efs.describe_file_systems(FileSystemId=fs_id)["FileSystems"][0]
        except botocore.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "FileSystemNotFound":
                self.add("adopted file system", fs_id, FAIL, f"no EFS file system {fs_id} in {self.region}")
                return
            raise
        targets = efs.describe_mount_targets(FileSystemId=fs_id)["MountTargets"]
        subnet_ids = [t["SubnetId"] for t in targets]
        covered: set[str] = set()
        if subnet_ids:
            found = self.client("ec2").describe_subnets(SubnetIds=subnet_ids)["Subnets"]
            covered = {s["AvailabilityZone"] for s in found}
        missing = [z for z in azs if z not in covered]
        state = fs.get("LifeCycleState")
        encrypted = "encrypted" if fs.get("Encrypted") else "NOT encrypted"
        if state != "available" or missing:
            why = f"no mount target in {', '.join(missing)}" if missing else f"state {state}"
            self.add("adopted file system", fs_id, FAIL, f"{why} ({encrypted})")
        else:
            self.add(
                "adopted file system", fs_id, OK, f"{state}, {encrypted}, mount targets in {', '.join(sorted(covered))}"
            )


def print_table(rows: Sequence[Row], out: TextIO) -> None:
    widths = [
        max([len(h), *(len(getattr(r, f)) for r in rows)])
        for h, f in (("check", "check"), ("subject", "subject"), ("result", "result"))
    ]
    header = f"{'check':<{widths[0]}}  {'subject':<{widths[1]}}  {'result':<{widths[2]}}  reason"
    out.write(header + "\n" + "-" * len(header) + "\n")
    for r in rows:
        out.write(f"{r.check:<{widths[0]}}  {r.subject:<{widths[1]}}  {r.result:<{widths[2]}}  {r.detail}\n")


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.preflight", description=__doc__.split("\n\n")[0])
    parser.add_argument("stack", help="stack name (stacks/Pulumi.<stack>.yaml) or path to a stack file")
    args = parser.parse_args(argv)
    try:
        stack = stackfile.load(args.stack)
        # EC2 is the judge of instance types here, not the offline catalog.
        settings = settings_mod.from_config(
            stack.config, stack=stack.name, secret_keys=stack.secret_keys, catalog=False
        )
    except stackfile.StackFileError as exc:
        err.write(f"error: {exc}\n")
        return 2
    except settings_mod.ConfigError as exc:
        for line in exc.errors:
            err.write(f"error: {line}\n")
        return 2
    if settings.platform == "gke":
        err.write("error: preflight checks AWS (platforms eks and openshift); this stack is gke\n")
        return 2
    rows = Preflight(settings, session()).run()
    out.write(f"Preflight of stack {stack.name} ({settings.platform}, {settings.aws_region})\n\n")
    print_table(rows, out)
    failed = [r for r in rows if r.result == FAIL]
    out.write(f"\n{len(rows) - len(failed)} ok or skipped, {len(failed)} failed\n")
    return 1 if failed else 0


if __name__ == "__main__":
    cli.run(main)
