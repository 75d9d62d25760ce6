"""A platform team's own Pulumi program, with multiarch's build capacity as one component.

The args are `dev`'s stack file (stacks/Pulumi.dev.yaml) as typed Python: the same keys in
snake_case, the same defaults, the same validation. The team's own resources use the outputs.
"""

import pulumi
import pulumi_kubernetes as k8s
from pulumi_multiarch import Arch, BuildPlatform, CapacityType, Platform

config = pulumi.Config()

platform = BuildPlatform(
    "multiarch",
    {
        "platform": Platform.EKS,
        "aws_region": "eu-west-3",
        "cluster": {
            "name": "build-multiarch",
            "version": "1.34",
            "vpc_id": "vpc-0abc1234def567890",
            "subnet_ids": ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002", "subnet-0a1b2c3d4e5f60003"],
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
        "storage": {"efs": {"enabled": True}},
        "pipelines": {"flavor": "tekton", "version": "v1.9.0"},
        "qemu": {"platforms": [Arch.ARM64]},
        "gitlab_runner": {"tags": ["multi-arch"], "concurrent": 10},
        # pulumi config set --secret gitlabRunnerToken glrt-...
        "gitlab_runner_token": config.require_secret("gitlabRunnerToken"),
    },
)

# The team's own resources, on the cluster the component built.
cluster = k8s.Provider("build-cluster", kubeconfig=platform.kubeconfig)
k8s.core.v1.Namespace("team-apps", metadata={"name": "team-apps"}, opts=pulumi.ResourceOptions(provider=cluster))

pulumi.export("kubeconfig", platform.kubeconfig)
pulumi.export("nodePools", platform.node_pools)
pulumi.export("monthlyCost", platform.monthly_cost)
