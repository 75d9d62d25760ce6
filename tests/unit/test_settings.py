"""Stack settings: every rule, tested on plain values (no Pulumi runtime)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from components import settings
from components.settings import ConfigError

SUBNETS = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]


def eks(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "platform": "eks",
        "cluster": {"name": "build-multiarch", "version": "1.33", "subnetIds": SUBNETS},
        "nodePools": [
            {"name": "x86", "arch": "amd64", "instanceType": "m5a.2xlarge", "minSize": 1, "maxSize": 3},
            {"name": "arm64", "arch": "arm64", "instanceType": "m6g.2xlarge", "minSize": 0, "maxSize": 5},
        ],
    }
    raw.update(copy.deepcopy(changes))
    return raw


def pool(name: str = "arm64", **changes: Any) -> dict[str, Any]:
    base = {"name": name, "arch": "arm64", "instanceType": "m6g.2xlarge", "minSize": 0, "maxSize": 5}
    base.update(changes)
    return base


def errors_of(raw: dict[str, Any], **kw: Any) -> list[str]:
    kw.setdefault("aws_region", "eu-west-3")
    with pytest.raises(ConfigError) as exc:
        settings.parse(raw, stack="test", **kw)
    return exc.value.errors


def test_good_eks_settings_are_typed_and_frozen() -> None:
    s = settings.parse(eks(), stack="dev", aws_region="eu-west-3")
    assert s.platform == "eks"
    assert s.cluster.subnet_ids == tuple(SUBNETS)
    assert [p.name for p in s.node_pools] == ["x86", "arm64"]
    assert s.arches == ("amd64", "arm64")
    assert s.pool("arm64").initial_size == 0  # desiredSize defaults to minSize
    with pytest.raises(Exception, match="frozen"):
        s.pool("x86").min_size = 5


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (eks(platform="aks"), "multiarch:platform: 'aks' is not a platform; expected one of eks, gke, openshift"),
        ({"cluster": {"name": "x"}, "nodePools": [pool()]}, "multiarch:platform: is required"),
        (
            eks(nodePools=[pool(minSize=4, maxSize=2)]),
            "multiarch:nodePools[arm64].minSize: 4 is greater than maxSize 2",
        ),
        (
            eks(nodePools=[pool(minSize=1, maxSize=3, desiredSize=5)]),
            "multiarch:nodePools[arm64].desiredSize: 5 is outside minSize..maxSize (1..3)",
        ),
        (
            eks(nodePools=[pool(arch="x86_64", instanceType="m5a.2xlarge")]),
            "multiarch:nodePools[arm64].arch: 'x86_64' is not Kubernetes' name for it: use 'amd64'",
        ),
        (
            eks(nodePools=[pool(arch="riscv64")]),
            "multiarch:nodePools[arm64].arch: 'riscv64': Input should be 'amd64' or 'arm64'",
        ),
        (
            eks(nodePools=[pool(name="arm64", arch="amd64", instanceType="m6g.2xlarge")]),
            "multiarch:nodePools[arm64].instanceType: m6g.2xlarge is an arm64 instance type, but the pool's arch is amd64",
        ),
        (
            eks(nodePools=[pool(name="x86", arch="arm64", instanceType="m5a.2xlarge")]),
            "multiarch:nodePools[x86].instanceType: m5a.2xlarge is an amd64 instance type, but the pool's arch is arm64",
        ),
        (
            eks(nodePools=[pool(), pool()]),
            "multiarch:nodePools[arm64].name: 'arm64' is used by 2 pools; pool names must be unique",
        ),
        (
            eks(nodePools=[pool(taints=[{"key": "dedicated", "value": "build", "effect": "NO_SCHEDULE"}])]),
            "multiarch:nodePools[arm64].taints[0].effect: 'NO_SCHEDULE': Input should be 'NoSchedule', "
            "'PreferNoSchedule' or 'NoExecute'",
        ),
        (
            eks(cluster={"name": "build", "version": "1.33", "subnetIds": SUBNETS[:1]}),
            "multiarch:cluster.subnetIds: ['subnet-0a1b2c3d4e5f60001'] has 1 subnet(s); EKS needs private subnets "
            "in at least two availability zones",
        ),
        (
            eks(cluster={"name": "build", "version": 1.3, "subnetIds": SUBNETS}),
            "multiarch:cluster.version: 1.3 is a number: YAML reads 1.30 as the number 1.3; quote it in the stack "
            'file ("1.30")',
        ),
        (
            eks(cluster={"name": "build", "version": "1.33", "subnetIds": SUBNETS, "vpcID": "x"}),
            "multiarch:cluster.vpcID: is not a known key",
        ),
        (
            eks(nodePools=[pool(instanceType="zz9.large")]),
            "multiarch:nodePools[arm64].instanceType: 'zz9.large' is not an EC2 instance type (no family zz9",
        ),
        (eks(nodePools=[]), "multiarch:nodePools: at least one pool is required"),
        (
            eks(nodePools=[pool(labels={"kubernetes.io/arch": "arm64"})]),
            "multiarch:nodePools[arm64].labels.kubernetes.io/arch: set by the kubelet",
        ),
        (
            eks(nodePools=[pool(amiType="AL2023_x86_64_STANDARD")]),
            "multiarch:nodePools[arm64].amiType: AL2023_x86_64_STANDARD is an amd64 AMI type, but the pool's arch is arm64",
        ),
        (
            eks(nodePools=[pool(amiType="AL2_ARM_64")]),
            "AL2_ARM_64 has no AMIs for Kubernetes 1.33 (AL2 is end of life)",
        ),
        (eks(nodePools=[pool(capacityType="spot")]), "multiarch:nodePools[arm64].capacityType: 'spot'"),
    ],
)
def test_bad_eks_input_names_the_key_and_value(raw: dict[str, Any], expected: str) -> None:
    errors = errors_of(raw)
    assert any(expected in e for e in errors), errors


def test_missing_region_for_eks() -> None:
    assert "aws:region: required for platform eks" in errors_of(eks(), aws_region=None)[0]


def test_all_errors_are_reported_together() -> None:
    raw = eks(
        cluster={"name": "build", "version": "1.33", "subnetIds": SUBNETS[:1]},
        nodePools=[
            pool(name="x86", arch="amd64", instanceType="m6g.2xlarge"),
            pool(name="arm64", minSize=3, maxSize=1),
            pool(name="bad", arch="sparc"),
        ],
    )
    errors = errors_of(raw)
    assert len(errors) == 4, errors
    assert any(e.startswith("multiarch:cluster.subnetIds") for e in errors)
    assert any(e.startswith("multiarch:nodePools[x86].instanceType") for e in errors)
    assert any(e.startswith("multiarch:nodePools[arm64].minSize") for e in errors)
    assert any(e.startswith("multiarch:nodePools[bad].arch") for e in errors)


def test_error_message_is_one_line_per_problem() -> None:
    exc = ConfigError(["a: one", "b: two"])
    assert str(exc).splitlines() == ["invalid stack configuration (2 errors):", "  a: one", "  b: two"]


def test_unknown_top_level_keys_are_errors() -> None:
    errors = errors_of(eks(), unknown_keys=["nodepools"])
    assert errors == ["multiarch:nodepools: is not a known key (check the spelling against docs/configuration.md)"]


def test_adopted_eks_cluster_needs_no_subnets() -> None:
    s = settings.parse(eks(cluster={"name": "existing", "create": False}), stack="t", aws_region="eu-west-3")
    assert not s.cluster.create
    assert s.cluster.kubernetes_version == "1.35"  # the default: the newest minor EKS and GKE both offer


@pytest.mark.parametrize("bad", ["1.3x", "v1.33", "2"])
def test_version_shape(bad: str) -> None:
    errors = errors_of(eks(cluster={"name": "b", "version": bad, "subnetIds": SUBNETS}))
    assert any(e.startswith("multiarch:cluster.version:") for e in errors), errors


def test_eks_ignores_nothing_silently() -> None:
    errors = errors_of(eks(cluster={"name": "b", "version": "1.33", "subnetIds": SUBNETS, "location": "us-central1"}))
    assert errors == ["multiarch:cluster.location: not used on platform eks"]


def gke(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "platform": "gke",
        "cluster": {"name": "build", "version": "1.33", "location": "europe-west4"},
        "nodePools": [
            {"name": "x86", "arch": "amd64", "instanceType": "n2-standard-8"},
            {"name": "arm64", "arch": "arm64", "instanceType": "t2a-standard-8", "minSize": 0, "maxSize": 20},
        ],
    }
    raw.update(copy.deepcopy(changes))
    return raw


def openshift(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "platform": "openshift",
        "cluster": {"name": "build", "infrastructureName": "build-tw9w9", "zones": ["eu-west-3a", "eu-west-3b"]},
        "nodePools": [
            {"name": "x86", "arch": "amd64", "instanceType": "m5a.2xlarge", "amiId": "ami-0a1b2c3d4e5f60718"},
            {"name": "arm64", "arch": "arm64", "instanceType": "m6g.2xlarge", "amiId": "ami-0eab6a7956a66deda"},
        ],
    }
    raw.update(copy.deepcopy(changes))
    return raw


def test_good_gke_and_openshift_settings() -> None:
    g = settings.parse(gke(), stack="t", gcp_project="p")
    assert g.cloud.value == "gcp" and g.arches == ("amd64", "arm64")
    o = settings.parse(openshift(), stack="t", aws_region="eu-west-3", kubeconfig="apiVersion: v1")
    assert o.cluster.zones == ("eu-west-3a", "eu-west-3b")
    assert o.kubeconfig is not None and "apiVersion" not in repr(o)  # a SecretStr: never printed


def test_t2a_outside_its_zones_is_one_line_saying_where_it_is_offered() -> None:
    raw = gke(cluster={"name": "build", "location": "us-east1"})
    errors = errors_of(raw, gcp_project="p")
    assert errors == [
        "multiarch:nodePools[arm64].instanceType: t2a-standard-8 (Tau T2A) is not offered in us-east1; T2A is offered "
        "in us-central1 (a, b, f), europe-west4 (a, b, c), asia-southeast1 (b, c) (Compute Engine machine series "
        "table, components/catalog/gcp.py (hand-kept, as of 2026-12-01)); if it is offered there now, set "
        "unlistedInstanceType: true on the pool"
    ]


def test_t2a_in_a_t2a_zone_is_fine_but_not_in_other_zones_of_the_region() -> None:
    settings.parse(gke(cluster={"name": "b", "location": "us-central1-f"}), stack="t", gcp_project="p")
    errors = errors_of(gke(cluster={"name": "b", "location": "us-central1-c"}), gcp_project="p")
    assert "not offered in us-central1-c" in errors[0]


@pytest.mark.parametrize(
    ("raw", "kw", "expected"),
    [
        (gke(), {}, "gcp:project: required for platform gke"),
        (gke(cluster={"name": "b"}), {"gcp_project": "p"}, "multiarch:cluster.location: required for platform gke"),
        (
            gke(nodePools=[{"name": "arm64", "arch": "arm64", "instanceType": "n2-standard-8"}]),
            {"gcp_project": "p"},
            "multiarch:nodePools[arm64].instanceType: n2-standard-8 is an amd64 machine type, but the pool's arch is arm64",
        ),
        (
            gke(
                nodePools=[
                    {
                        "name": "arm64",
                        "arch": "arm64",
                        "instanceType": "t2a-standard-8",
                        "taints": [{"key": "kubernetes.io/arch", "value": "arm64", "effect": "NoSchedule"}],
                    }
                ]
            ),
            {"gcp_project": "p"},
            "multiarch:nodePools[arm64].taints[0]: GKE taints arm64 nodes kubernetes.io/arch=arm64:NoSchedule by itself",
        ),
        (
            gke(nodePools=[{"name": "arm64", "arch": "arm64", "instanceType": "m6g.2xlarge"}]),
            {"gcp_project": "p"},
            "'m6g.2xlarge' is not a machine type of a series GKE pools may use",
        ),
        (
            gke(cluster={"name": "b", "location": "europe-west4", "subnetIds": SUBNETS}),
            {"gcp_project": "p"},
            "multiarch:cluster.subnetIds: not used on platform gke",
        ),
        (
            openshift(cluster={"name": "b", "zones": ["eu-west-3a"]}),
            {},
            "multiarch:cluster.infrastructureName: required on openshift; find it with `oc get infrastructure cluster -o jsonpath='{.status.infrastructureName}'`",
        ),
        (
            openshift(cluster={"name": "b", "infrastructureName": "b-1"}),
            {},
            "multiarch:cluster.zones: required on openshift",
        ),
        (
            openshift(cluster={"name": "b", "infrastructureName": "b-1", "zones": ["us-east-1a"]}),
            {},
            "multiarch:cluster.zones[0]: 'us-east-1a' is not an availability zone of aws:region eu-west-3",
        ),
        (
            openshift(nodePools=[{"name": "arm64", "arch": "arm64", "instanceType": "m6g.2xlarge"}]),
            {},
            "multiarch:nodePools[arm64].amiId: required on openshift: the RHCOS aarch64 AMI for eu-west-3; find it with "
            "`oc get configmap/coreos-bootimages -n openshift-machine-config-operator -o jsonpath='{.data.stream}' | "
            "jq -r '.architectures.aarch64.images.aws.regions.\"eu-west-3\".image'`",
        ),
        (
            openshift(nodePools=[{"name": "x86", "arch": "amd64", "instanceType": "m5a.2xlarge", "amiId": "ami-xyz"}]),
            {},
            "multiarch:nodePools[x86].amiId: 'ami-xyz' is not an AMI id: expected ami- and 8 or 17",
        ),
        (
            openshift(
                nodePools=[
                    {
                        "name": "x86",
                        "arch": "amd64",
                        "instanceType": "m5a.2xlarge",
                        "amiId": "ami-0a1b2c3d4e5f60718",
                        "capacityType": "SPOT",
                    }
                ]
            ),
            {},
            "multiarch:nodePools[x86].capacityType: SPOT is not supported on openshift",
        ),
        (
            openshift(cluster={"name": "b", "infrastructureName": "b-1", "zones": ["eu-west-3a"], "version": "1.33"}),
            {},
            "multiarch:cluster.version: not used on platform openshift",
        ),
    ],
)
def test_bad_gke_and_openshift_input(raw: dict[str, Any], kw: dict[str, Any], expected: str) -> None:
    kw.setdefault("aws_region", "eu-west-3" if raw["platform"] == "openshift" else None)
    errors = errors_of(raw, **kw)
    assert any(expected in e for e in errors), errors


# --- autoscaling.engine: karpenter ------------------------------------------------------------------

KARPENTER = {"engine": "karpenter"}


def karpenter(**changes: Any) -> dict[str, Any]:
    """The eks settings with engine karpenter and both build pools at zero."""
    pools = [
        {"name": "x86", "arch": "amd64", "instanceType": "m5a.2xlarge", "minSize": 0, "maxSize": 3},
        {"name": "arm64", "arch": "arm64", "instanceType": "m6g.2xlarge", "minSize": 0, "maxSize": 5},
    ]
    return eks(**{"nodePools": pools, "autoscaling": KARPENTER, **changes})


def test_karpenter_settings_default_a_small_arm64_system_pool() -> None:
    s = settings.parse(karpenter(), stack="t", aws_region="eu-west-3")
    assert s.autoscaling.uses_karpenter
    k = s.autoscaling.karpenter_settings
    assert (k.consolidate_after, k.system_pool.type_on("eks"), k.system_pool.min_size) == ("5m", "t4g.medium", 1)
    system = s.system_pool
    assert system is not None and (system.name, system.arch, system.min_size) == ("system", "arm64", 1)
    assert [(t.key, t.value, t.effect) for t in system.taints] == [("CriticalAddonsOnly", "true", "NoSchedule")]
    # The default engine is still the Cluster Autoscaler, and it has no system pool.
    plain = settings.parse(eks(), stack="t", aws_region="eu-west-3")
    assert not plain.autoscaling.uses_karpenter and plain.system_pool is None


def test_instance_types_widen_a_karpenter_pool_in_order_without_repeats() -> None:
    raw = karpenter(nodePools=[pool(instanceTypes=["m7g.2xlarge", "m6g.2xlarge", "c7g.4xlarge"])])
    s = settings.parse(raw, stack="t", aws_region="eu-west-3")
    assert s.pool("arm64").all_instance_types == ("m6g.2xlarge", "m7g.2xlarge", "c7g.4xlarge")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            karpenter(nodePools=[pool(minSize=1)]),
            "multiarch:nodePools[arm64].minSize: 1 with engine karpenter: Karpenter keeps no minimum",
        ),
        (
            karpenter(nodePools=[pool(desiredSize=0)]),
            "multiarch:nodePools[arm64].desiredSize: not used with engine karpenter",
        ),
        (
            karpenter(nodePools=[pool(instanceTypes=["m5a.2xlarge"])]),
            "multiarch:nodePools[arm64].instanceTypes[0]: m5a.2xlarge is an amd64 instance type, but the pool's arch "
            "is arm64",
        ),
        (
            karpenter(nodePools=[pool(instanceTypes=["zz9.large"])]),
            "multiarch:nodePools[arm64].instanceTypes[0]: 'zz9.large' is not an EC2 instance type (no family zz9",
        ),
        (
            karpenter(nodePools=[pool(name="system")]),
            "multiarch:nodePools[system].name: 'system' is the system node group's name with engine karpenter",
        ),
        (
            karpenter(nodePools=[pool(labels={"karpenter.sh/nodepool": "x"})]),
            "multiarch:nodePools[arm64].labels.karpenter.sh/nodepool: Karpenter sets its labels",
        ),
        (
            karpenter(nodePools=[pool(labels={"node.karpenter.k8s.aws/x": "y"})]),
            "multiarch:nodePools[arm64].labels.node.karpenter.k8s.aws/x: Karpenter sets its labels",
        ),
        (
            karpenter(nodePools=[pool(labels={"kubernetes.io/hostname": "n"})]),
            "multiarch:nodePools[arm64].labels.kubernetes.io/hostname: Karpenter sets its labels",
        ),
        (
            karpenter(autoscaling={**KARPENTER, "expander": "priority"}),
            "multiarch:autoscaling.expander: not used by engine karpenter",
        ),
        (
            karpenter(autoscaling={**KARPENTER, "enabled": False}),
            "multiarch:autoscaling.enabled: false with engine karpenter: Karpenter is the autoscaler; enable it",
        ),
        (
            karpenter(autoscaling={**KARPENTER, "karpenter": {"systemPool": {"minSize": 0}}}),
            "multiarch:autoscaling.karpenter.systemPool.minSize: 0: Input should be greater than or equal to 1",
        ),
        (
            karpenter(autoscaling={**KARPENTER, "karpenter": {"systemPool": {"minSize": 3, "maxSize": 2}}}),
            "multiarch:autoscaling.karpenter.systemPool.minSize: 3 is greater than maxSize 2",
        ),
        (
            karpenter(autoscaling={**KARPENTER, "karpenter": {"systemPool": {"instanceType": "q9.nano"}}}),
            "multiarch:autoscaling.karpenter.systemPool.instanceType: 'q9.nano' is not an EC2 instance type",
        ),
        (
            karpenter(autoscaling={**KARPENTER, "karpenter": {"consolidateAfter": "five minutes"}}),
            "multiarch:autoscaling.karpenter.consolidateAfter: 'five minutes'",
        ),
        (
            karpenter(autoscaling={"engine": "keda"}),
            "multiarch:autoscaling.engine: 'keda': Input should be 'cluster-autoscaler', 'karpenter' or 'compute-class'",
        ),
        (
            karpenter(cluster={"name": "build-multiarch", "version": "1.33", "create": False}),
            "multiarch:cluster.subnetIds: required with engine karpenter",
        ),
        (
            eks(autoscaling={"karpenter": {"consolidateAfter": "5m"}}),
            "multiarch:autoscaling.karpenter: only with multiarch:autoscaling.engine karpenter",
        ),
        (
            eks(nodePools=[pool(instanceTypes=["m7g.2xlarge"])]),
            "multiarch:nodePools[arm64].instanceTypes: only with multiarch:autoscaling.engine karpenter",
        ),
    ],
)
def test_bad_karpenter_input_names_the_key_and_value(raw: dict[str, Any], expected: str) -> None:
    errors = errors_of(raw)
    assert any(expected in e for e in errors), errors


@pytest.mark.parametrize(
    ("raw", "kw", "scaled_by"),
    [
        (gke(autoscaling=KARPENTER), {"gcp_project": "p"}, "GKE's cluster autoscaler"),
        (openshift(autoscaling=KARPENTER), {"aws_region": "eu-west-3"}, "OpenShift's ClusterAutoscaler"),
    ],
)
def test_karpenter_off_eks_is_one_clear_error(raw: dict[str, Any], kw: dict[str, Any], scaled_by: str) -> None:
    assert errors_of(raw, **kw) == [
        f"multiarch:autoscaling.engine: karpenter is for platform eks (it launches EC2 instances for an EKS "
        f"cluster); on {raw['platform']} the pools are scaled by {scaled_by}: remove engine or set it to "
        "cluster-autoscaler"
    ]
