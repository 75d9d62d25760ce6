// A platform team's own TypeScript program. `pulumi package add <repository>.git/provider@v0.3.0`
// generated the SDK (sdks/multiarch) and added it to package.json.
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as multiarch from "@pulumi/multiarch";

const config = new pulumi.Config();

const platform = new multiarch.BuildPlatform("multiarch", {
    platform: "eks",
    awsRegion: "eu-west-3",
    cluster: {
        name: "build-multiarch",
        version: "1.34",
        vpcId: "vpc-0abc1234def567890",
        subnetIds: ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002", "subnet-0a1b2c3d4e5f60003"],
    },
    nodePools: [
        { name: "x86", arch: "amd64", instanceType: "m5a.2xlarge", minSize: 1, maxSize: 3, capacityType: "ON_DEMAND" },
        { name: "arm64", arch: "arm64", instanceType: "m6g.2xlarge", minSize: 0, maxSize: 5, desiredSize: 1 },
    ],
    storage: { efs: { enabled: true } },
    pipelines: { flavor: "tekton", version: "v1.9.0" },
    qemu: { platforms: ["arm64"] },
    gitlabRunner: { tags: ["multi-arch"], concurrent: 10 },
    gitlabRunnerToken: config.requireSecret("gitlabRunnerToken"),
});

const cluster = new k8s.Provider("build-cluster", { kubeconfig: platform.kubeconfig });
new k8s.core.v1.Namespace("team-apps", { metadata: { name: "team-apps" } }, { provider: cluster });

export const kubeconfig = platform.kubeconfig;
export const nodePools = platform.nodePools;
export const monthlyCost = platform.monthlyCost;
