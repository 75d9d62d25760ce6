"""Policies on the shared build storage: EFS encrypted and protected, NFS open only to the
cluster's security group.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from policy.common import Report, configured

NFS_PORT = 2049


def efs_encrypted_and_protected(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type != "aws:efs/fileSystem:FileSystem":
        return
    if not args.props.get("encrypted"):
        report(f"EFS file system {args.name} is not encrypted at rest (encrypted: true)")
    if not args.opts.protect:
        report(f"EFS file system {args.name} is not protected: every build workspace lives there (protect: true)")


def _covers(props: Mapping[str, Any], port: int) -> bool:
    low, high = props.get("fromPort"), props.get("toPort")
    protocol = str(props.get("ipProtocol") or props.get("protocol") or "")
    if protocol in ("-1", "all"):
        return True
    return low is not None and high is not None and int(low) <= port <= int(high)


def nfs_only_from_cluster(args: ResourceValidationArgs, report: Report) -> None:
    port = int(configured(args, "port", NFS_PORT))
    p = args.props
    rules: list[Mapping[str, Any]] = []
    single_rule = args.resource_type == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule" or (
        args.resource_type == "aws:ec2/securityGroupRule:SecurityGroupRule" and p.get("type") == "ingress"
    )
    if single_rule:
        rules = [p]
    elif args.resource_type == "aws:ec2/securityGroup:SecurityGroup":
        rules = list(p.get("ingress") or [])
    for rule in rules:
        if not _covers(rule, port):
            continue
        cidrs = [
            rule.get("cidrIpv4"),
            rule.get("cidrIpv6"),
            *(rule.get("cidrBlocks") or []),
            *(rule.get("ipv6CidrBlocks") or []),
        ]
        cidrs = [c for c in cidrs if c]
        if cidrs or rule.get("prefixListId"):
            report(
                f"{args.name} opens NFS (TCP {port}) to {', '.join(cidrs) or rule.get('prefixListId')}; "
                "admit only the cluster's (or workers') security group"
            )
