"""A platform team's program that creates its own network and key, and passes them in as Outputs.

`dev`'s stack file as args (examples/python), but the VPC, the private subnets and the file system's
KMS key are the team's own resources of the same program: their ids are Outputs, known only once
AWS created them. BuildPlatform checks them when they resolve, with the stack file's messages,
before anything that uses them is created; the number of subnets stays a plain list.
"""

import pulumi
import pulumi_aws as aws
from pulumi_multiarch import Arch, BuildPlatform, CapacityType, Platform

config = pulumi.Config()
team = pulumi.ResourceOptions(provider=aws.Provider("team-aws", region="eu-west-3"))

vpc = aws.ec2.Vpc("team-vpc", cidr_block="10.20.0.0/16", enable_dns_hostnames=True, opts=team)
subnets = [
    aws.ec2.Subnet(
        f"team-private-{zone}",
        vpc_id=vpc.id,
        availability_zone=f"eu-west-3{zone}",
        cidr_block=f"10.20.{i}.0/24",
        opts=team,
    )
    for i, zone in enumerate("abc")
]
key = aws.kms.Key("team-builds", description="the build workspaces' file system", opts=team)

platform = BuildPlatform(
    "multiarch",
    {
        "platform": Platform.EKS,
        "aws_region": "eu-west-3",
        "cluster": {
            "name": "build-multiarch",
            "version": "1.34",
            "vpc_id": vpc.id,
            "subnet_ids": [subnet.id for subnet in subnets],
        },
        "node_pools": [
            {
                "name": "x86",
                "arch": Arch.AMD64,
                "instance_type": "m5a.2xlarge",
                "min_size": 1,
                "max_size": 3,
                "capacity_type": CapacityType.ON_DEMAND,
            },
            {
                "name": "arm64",
                "arch": Arch.ARM64,
                "instance_type": "m6g.2xlarge",
                "min_size": 0,
                "max_size": 5,
                "desired_size": 1,
            },
        ],
        "storage": {"efs": {"enabled": True, "kms_key_id": key.arn}},
        "pipelines": {"flavor": "tekton", "version": "v1.9.0"},
        "qemu": {"platforms": [Arch.ARM64]},
        "gitlab_runner": {"tags": ["multi-arch"], "concurrent": 10},
        "gitlab_runner_token": config.require_secret("gitlabRunnerToken"),
    },
)

pulumi.export("kubeconfig", platform.kubeconfig)
pulumi.export("nodePools", platform.node_pools)
