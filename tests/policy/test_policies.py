"""Each policy: a known-good fixture passes, and one mutation per failing case gives the exact message."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)

from components import runner, settings
from policy import policies

Validate = Callable[[Any, Any], None]


def args(
    type_: str,
    props: dict[str, Any],
    name: str = "r",
    protect: bool = False,
    secret_outputs: list[str] | None = None,
    config: dict[str, Any] | None = None,
) -> ResourceValidationArgs:
    opts = PolicyResourceOptions(protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), secret_outputs or [])
    return ResourceValidationArgs(type_, props, f"urn:pulumi:s::p::{type_}::{name}", name, opts, None, config)


def violations(validate: Validate, a: Any) -> list[str]:
    found: list[str] = []
    validate(a, lambda message, urn=None: found.append(message))
    return found


def stack(*resources: tuple[str, dict[str, Any]]) -> StackValidationArgs:
    opts = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    items = [PolicyResource(t, p, f"urn:{i}", f"r{i}", opts, None, None, [], {}) for i, (t, p) in enumerate(resources)]
    return StackValidationArgs(items, None)


# --- privileged-only-binfmt -------------------------------------------------------------------

BINFMT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "DaemonSet",
    "metadata": {"name": "qemu-binfmt", "namespace": "qemu-binfmt"},
    "spec": {
        "template": {
            "spec": {
                "initContainers": [
                    {
                        "name": "register",
                        "image": "tonistiigi/binfmt:qemu-v9.2.2",
                        "securityContext": {"privileged": True},
                    }
                ],
                "containers": [{"name": "pause", "image": "registry.k8s.io/pause:3.10"}],
            }
        }
    },
}
DS = "kubernetes:apps/v1:DaemonSet"


def test_binfmt_may_be_privileged() -> None:
    assert violations(policies.privileged_only_binfmt, args(DS, BINFMT)) == []


def test_other_workload_may_not() -> None:
    other = copy.deepcopy(BINFMT)
    other["metadata"] = {"name": "miner", "namespace": "default"}
    assert violations(policies.privileged_only_binfmt, args(DS, other)) == [
        "DaemonSet default/miner runs container 'register' privileged; only qemu-binfmt/qemu-binfmt "
        "(the qemu binfmt DaemonSet) may"
    ]


def test_sys_admin_counts_as_privileged_in_tekton_steps() -> None:
    task: dict[str, Any] = {
        "apiVersion": "tekton.dev/v1",
        "kind": "Task",
        "metadata": {"name": "buildah", "namespace": "builds"},
        "spec": {
            "steps": [{"name": "build", "image": "b:1", "securityContext": {"capabilities": {"add": ["SETFCAP"]}}}]
        },
    }
    assert violations(policies.privileged_only_binfmt, args("kubernetes:tekton.dev/v1:Task", task)) == []
    task["spec"]["steps"][0]["securityContext"]["capabilities"]["add"] = ["SYS_ADMIN"]
    assert violations(policies.privileged_only_binfmt, args("kubernetes:tekton.dev/v1:Task", task)) == [
        "Task builds/buildah runs container 'build' privileged; only qemu-binfmt/qemu-binfmt (the qemu binfmt DaemonSet) may"
    ]


def test_allowed_list_is_a_tunable() -> None:
    other = copy.deepcopy(BINFMT)
    other["metadata"] = {"name": "dind", "namespace": "ci"}
    assert violations(policies.privileged_only_binfmt, args(DS, other, config={"allowed": ["ci/dind"]})) == []


# --- gitlab-runner-jobs-unprivileged ------------------------------------------------------------


def release(**runner_changes: Any) -> dict[str, Any]:
    r = settings.GitLabRunner.model_validate(runner_changes)
    return {"chart": "gitlab-runner", "version": "0.80.0", "values": runner.helm_values(r)}


REL = "kubernetes:helm.sh/v3:Release"


def test_runner_default_is_good() -> None:
    assert violations(policies.gitlab_runner_jobs, args(REL, release(), name="gitlab-runner")) == []


def test_privileged_runner() -> None:
    assert violations(policies.gitlab_runner_jobs, args(REL, release(privileged=True), name="gitlab-runner")) == [
        "gitlab-runner release gitlab-runner: job pods are privileged (runners.kubernetes.privileged = true)"
    ]


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        (".*", "it also accepts 'kubernetes.io/hostname=ip-10-0-1-23'"),
        ("kubernetes.io/.*", "it also accepts 'kubernetes.io/hostname=ip-10-0-1-23'"),
        ("team=.*", "it also accepts 'team=anything'"),
        ("kubernetes.io/os=.*", "it does not accept kubernetes.io/arch=arm64"),
    ],
)
def test_overwrite_wider_than_the_arch_label(pattern: str, why: str) -> None:
    found = violations(
        policies.gitlab_runner_jobs, args(REL, release(nodeSelectorOverwriteAllowed=pattern), name="gitlab-runner")
    )
    assert found == [
        f"gitlab-runner release gitlab-runner: node_selector_overwrite_allowed {pattern!r} must limit jobs to the "
        f"kubernetes.io/arch label; {why}"
    ]


def test_exact_arch_values_are_fine() -> None:
    good = release(nodeSelectorOverwriteAllowed="kubernetes.io/arch=(amd64|arm64)")
    assert violations(policies.gitlab_runner_jobs, args(REL, good, name="gitlab-runner")) == []


def test_other_charts_are_not_judged() -> None:
    other = {
        "chart": "cluster-autoscaler",
        "values": {"runners": {"config": "[[runners]]\n[runners.kubernetes]\nprivileged = true\n"}},
    }
    assert violations(policies.gitlab_runner_jobs, args(REL, other)) == []


# --- efs-encrypted-and-protected ----------------------------------------------------------------

FS = "aws:efs/fileSystem:FileSystem"


def test_efs_good() -> None:
    assert violations(policies.efs_encrypted_and_protected, args(FS, {"encrypted": True}, "fs", protect=True)) == []


def test_efs_not_encrypted() -> None:
    assert violations(policies.efs_encrypted_and_protected, args(FS, {"encrypted": False}, "fs", protect=True)) == [
        "EFS file system fs is not encrypted at rest (encrypted: true)"
    ]


def test_efs_not_protected() -> None:
    assert violations(policies.efs_encrypted_and_protected, args(FS, {"encrypted": True}, "fs")) == [
        "EFS file system fs is not protected: every build workspace lives there (protect: true)"
    ]


# --- nfs-only-from-cluster ------------------------------------------------------------------------

RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
GOOD_RULE = {
    "ipProtocol": "tcp",
    "fromPort": 2049,
    "toPort": 2049,
    "referencedSecurityGroupId": "sg-1",
    "securityGroupId": "sg-2",
}


def test_nfs_from_the_cluster_group() -> None:
    assert violations(policies.nfs_only_from_cluster, args(RULE, GOOD_RULE, "nfs")) == []


def test_nfs_open_to_the_world() -> None:
    bad = {**GOOD_RULE, "cidrIpv4": "0.0.0.0/0"}
    del bad["referencedSecurityGroupId"]
    assert violations(policies.nfs_only_from_cluster, args(RULE, bad, "nfs")) == [
        "nfs opens NFS (TCP 2049) to 0.0.0.0/0; admit only the cluster's (or workers') security group"
    ]


def test_all_ports_inline_rule_counts() -> None:
    sg = {"ingress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["10.0.0.0/8"]}]}
    assert violations(policies.nfs_only_from_cluster, args("aws:ec2/securityGroup:SecurityGroup", sg, "sg")) == [
        "sg opens NFS (TCP 2049) to 10.0.0.0/8; admit only the cluster's (or workers') security group"
    ]


def test_other_ports_are_not_judged() -> None:
    https = {"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": "0.0.0.0/0"}
    assert violations(policies.nfs_only_from_cluster, args(RULE, https, "https")) == []


# --- node-pool-arch-matches ----------------------------------------------------------------------

NG = "aws:eks/nodeGroup:NodeGroup"


def test_node_group_good() -> None:
    ng = {"amiType": "AL2023_ARM_64_STANDARD", "instanceTypes": ["m6g.2xlarge"]}
    assert violations(policies.node_pool_arch, args(NG, ng, "arm64")) == []


def test_node_group_type_and_ami_disagree() -> None:
    ng = {"amiType": "AL2023_x86_64_STANDARD", "instanceTypes": ["m6g.2xlarge"]}
    assert violations(policies.node_pool_arch, args(NG, ng, "arm64")) == [
        "node group arm64: m6g.2xlarge is arm64 but AMI type AL2023_x86_64_STANDARD is amd64"
    ]


def test_node_group_of_a_type_the_catalog_does_not_know_is_not_judged() -> None:
    # The settings refuse such a type unless the stack declares it newer than the catalog
    # (unlistedInstanceType); the pack then has nothing to judge its arch by, and says nothing.
    ng = {"amiType": "AL2023_x86_64_STANDARD", "instanceTypes": ["zz9.large", "m6g.large"]}
    assert violations(policies.node_pool_arch, args(NG, ng, "x")) == [
        "node group x: m6g.large is arm64 but AMI type AL2023_x86_64_STANDARD is amd64"
    ]


def test_machineset_declared_arch_disagrees() -> None:
    ms: dict[str, Any] = {
        "metadata": {
            "name": "infra-arm64-a",
            "namespace": "openshift-machine-api",
            "annotations": {"capacity.cluster-autoscaler.kubernetes.io/labels": "kubernetes.io/arch=amd64"},
        },
        "spec": {"template": {"spec": {"providerSpec": {"value": {"instanceType": "m6g.2xlarge"}}}}},
    }
    typ = "kubernetes:machine.openshift.io/v1beta1:MachineSet"
    assert violations(policies.node_pool_arch, args(typ, ms)) == [
        "MachineSet openshift-machine-api/infra-arm64-a: m6g.2xlarge is arm64 but it is declared kubernetes.io/arch=amd64"
    ]
    ms["metadata"]["annotations"]["capacity.cluster-autoscaler.kubernetes.io/labels"] = "kubernetes.io/arch=arm64"
    assert violations(policies.node_pool_arch, args(typ, ms)) == []


# --- no-plaintext-secrets -------------------------------------------------------------------------

SECRET = "kubernetes:core/v1:Secret"
TOKEN_SECRET = {
    "metadata": {"name": "gitlab-runner-token", "namespace": "gitlab-runner"},
    "stringData": {"runner-token": "x"},
}


def test_secret_with_secret_outputs() -> None:
    a = args(SECRET, TOKEN_SECRET, secret_outputs=["data", "stringData"])
    assert violations(policies.no_plaintext_secrets, a) == []


def test_secret_without_secret_outputs() -> None:
    assert violations(policies.no_plaintext_secrets, args(SECRET, TOKEN_SECRET)) == [
        "Secret gitlab-runner/gitlab-runner-token: stringData must be Pulumi secrets (additionalSecretOutputs), "
        "or the value is stored in plaintext in state"
    ]


def test_runner_values_hold_no_token() -> None:
    assert violations(policies.no_plaintext_secrets, args(REL, release(), "gitlab-runner")) == []


@pytest.mark.parametrize(
    ("values", "path"),
    [
        ({"runnerToken": "glrt-abc"}, "values.runnerToken"),
        ({"runners": {"env": ["TOKEN=glrt-t1_0123456789abcdef"]}}, "values.runners.env[0]"),
        ({"auth": {"password": "hunter2"}}, "values.auth.password"),
    ],
)
def test_credentials_in_helm_values(values: dict[str, Any], path: str) -> None:
    assert violations(policies.no_plaintext_secrets, args(REL, {"chart": "x", "values": values}, "rel")) == [
        f"Helm release rel: {path} holds a credential in plaintext Helm values; put it in a Kubernetes Secret and "
        "reference the Secret"
    ]


# --- advisory: multi-arch-pools, tekton-affinity-assistant-off, images-pinned, no-al2-ami-types --

ARM_NG = (NG, {"amiType": "AL2023_ARM_64_STANDARD", "instanceTypes": ["m6g.2xlarge"]})
X86_NG = (NG, {"amiType": "AL2023_x86_64_STANDARD", "instanceTypes": ["m5a.2xlarge"]})


def test_two_architectures_is_good() -> None:
    assert violations(policies.multi_arch_pools, stack(ARM_NG, X86_NG)) == []


def test_one_architecture() -> None:
    assert violations(policies.multi_arch_pools, stack(X86_NG)) == [
        "the stack has only amd64 node pools: every other architecture builds under qemu emulation (slow, and some "
        "builds fail); add a pool per architecture"
    ]


TEKTON = (
    "kubernetes:yaml/v2:ConfigFile",
    {"file": "https://github.com/tektoncd/pipeline/releases/download/v1.9.0/release.yaml"},
)
EFS_CLASS = ("kubernetes:storage.k8s.io/v1:StorageClass", {"provisioner": "efs.csi.aws.com"})


def flags(value: str) -> tuple[str, dict[str, Any]]:
    """The release's feature-flags ConfigMap as `pulumi preview` renders it, after the stack's transform."""
    return (
        "kubernetes:core/v1:ConfigMap",
        {"metadata": {"name": "feature-flags", "namespace": "tekton-pipelines"}, "data": {"coschedule": value}},
    )


def test_tekton_with_assistant_off() -> None:
    assert violations(policies.tekton_affinity_assistant, stack(TEKTON, EFS_CLASS, flags("disabled"))) == []


def test_tekton_with_assistant_on() -> None:
    assert violations(policies.tekton_affinity_assistant, stack(TEKTON, EFS_CLASS, flags("workspaces"))) == [
        "Tekton runs with RWX workspaces but the affinity assistant is on: set feature-flags coschedule: disabled"
    ]


def test_openshift_pipelines_with_assistant_on() -> None:
    config = (
        "kubernetes:operator.tekton.dev/v1alpha1:TektonConfigPatch",
        {"spec": {"pipeline": {"coschedule": "workspaces"}}},
    )
    assert violations(policies.tekton_affinity_assistant, stack(config, EFS_CLASS)) == [
        "OpenShift Pipelines with RWX workspaces: TektonConfig spec.pipeline.coschedule must be disabled"
    ]


def test_images_pinned() -> None:
    assert violations(policies.images_pinned, args(DS, BINFMT)) == []
    latest = copy.deepcopy(BINFMT)
    latest["spec"]["template"]["spec"]["containers"][0]["image"] = "registry.k8s.io/pause:latest"
    assert violations(policies.images_pinned, args(DS, latest)) == [
        "DaemonSet qemu-binfmt/qemu-binfmt: image registry.k8s.io/pause:latest is not pinned to a tag or digest"
    ]
    untagged = copy.deepcopy(BINFMT)
    untagged["spec"]["template"]["spec"]["initContainers"][0]["image"] = "localhost:5000/binfmt"
    assert violations(policies.images_pinned, args(DS, untagged)) == [
        "DaemonSet qemu-binfmt/qemu-binfmt: image localhost:5000/binfmt is not pinned to a tag or digest"
    ]


def test_al2_ami_types() -> None:
    assert violations(policies.no_al2_ami_types, args(NG, X86_NG[1], "x86")) == []
    assert violations(policies.no_al2_ami_types, args(NG, {**X86_NG[1], "amiType": "AL2_x86_64"}, "x86")) == [
        "node group x86: AL2_x86_64 is end of life (no AL2 AMIs for Kubernetes 1.33+); use AL2023"
    ]


def test_every_policy_is_in_the_pack_with_its_level() -> None:
    levels = {p.name: p.enforcement_level.value if p.enforcement_level else None for p in policies.ALL}
    assert levels == {
        "privileged-only-binfmt": "mandatory",
        "gitlab-runner-jobs-unprivileged": "mandatory",
        "efs-encrypted-and-protected": "mandatory",
        "nfs-only-from-cluster": "mandatory",
        "node-pool-arch-matches": "mandatory",
        "karpenter-nodepool-arch": "mandatory",
        "no-plaintext-secrets": "mandatory",
        "scc-grants-own-service-accounts": "mandatory",
        "scc-no-privileged-or-host": "mandatory",
        "build-pool-taints-tolerated": "mandatory",
        "compute-class-one-arch": "mandatory",
        "multi-arch-pools": "advisory",
        "spot-capacity-fallback": "advisory",
        "tekton-affinity-assistant-off": "advisory",
        "images-pinned": "advisory",
        "no-al2-ami-types": "advisory",
    }


# --- karpenter-nodepool-arch ---------------------------------------------------------------------


def karpenter_node_pool(**pool: Any) -> dict[str, Any]:
    """A NodePool as the stack writes it, from a pool's settings."""
    from components import karpenter

    p = settings.NodePool.model_validate({"name": "arm64", "arch": "arm64", "instanceType": "m6g.2xlarge", **pool})
    return {
        "apiVersion": "karpenter.sh/v1",
        "kind": "NodePool",
        "metadata": {"name": p.name},
        "spec": karpenter.node_pool(p, "5m"),
    }


def _requirement(node_pool: dict[str, Any], key: str) -> dict[str, Any]:
    reqs: list[dict[str, Any]] = node_pool["spec"]["template"]["spec"]["requirements"]
    return next(r for r in reqs if r["key"] == key)


def test_karpenter_node_pool_of_the_stack_is_good() -> None:
    good = karpenter_node_pool(instanceTypes=["m7g.2xlarge", "c7g.2xlarge"])
    assert violations(policies.karpenter_nodepool_arch, args(policies.NODEPOOL_TYPE, good)) == []


def test_karpenter_arch_requirement_disagrees_with_an_instance_type() -> None:
    bad = karpenter_node_pool(instanceTypes=["m7g.2xlarge"])
    _requirement(bad, "node.kubernetes.io/instance-type")["values"].append("m5a.2xlarge")
    assert violations(policies.karpenter_nodepool_arch, args(policies.NODEPOOL_TYPE, bad)) == [
        "NodePool arm64: instance type m5a.2xlarge is amd64 but its kubernetes.io/arch requirement allows arm64"
    ]


def test_karpenter_arch_requirement_disagrees_with_an_instance_family() -> None:
    bad = karpenter_node_pool()
    bad["spec"]["template"]["spec"]["requirements"].append(
        {"key": "karpenter.k8s.aws/instance-family", "operator": "In", "values": ["c7g", "c6i", "zz9"]}
    )
    _requirement(bad, "kubernetes.io/arch").update(operator="NotIn", values=["amd64"])
    assert violations(policies.karpenter_nodepool_arch, args(policies.NODEPOOL_TYPE, bad)) == [
        "NodePool arm64: instance family c6i is amd64 but its kubernetes.io/arch requirement allows arm64",
    ]


def test_karpenter_node_pool_without_an_arch_requirement() -> None:
    bad = karpenter_node_pool()
    reqs = bad["spec"]["template"]["spec"]["requirements"]
    reqs.remove(_requirement(bad, "kubernetes.io/arch"))
    assert violations(policies.karpenter_nodepool_arch, args(policies.NODEPOOL_TYPE, bad)) == [
        "NodePool arm64: no kubernetes.io/arch requirement: Karpenter may launch any architecture for it; "
        "a build pool is exactly one"
    ]


def test_karpenter_node_pools_count_as_pools_of_their_arch() -> None:
    system = ("aws:eks/nodeGroup:NodeGroup", {"amiType": "AL2023_ARM_64_STANDARD"})
    arm = (policies.NODEPOOL_TYPE, karpenter_node_pool())
    x86 = (policies.NODEPOOL_TYPE, karpenter_node_pool(name="x86", arch="amd64", instanceType="m5a.2xlarge"))
    assert violations(policies.multi_arch_pools, stack(system, arm, x86)) == []
    assert len(violations(policies.multi_arch_pools, stack(system, arm))) == 1


# --- scc-grants-own-service-accounts, scc-no-privileged-or-host (OpenShift) -----------------------

SA, SCC = "kubernetes:core/v1:ServiceAccount", policies.SCC_TYPE
ROLE, ROLE_BINDING = policies.ROLE_TYPES[0], policies.BINDING_TYPES[0]


@pytest.fixture(scope="module")
def openshift_rbac() -> list[tuple[str, dict[str, Any]]]:
    """The committed openshift-dev stack's service accounts, SCC, roles and bindings: the good case."""
    from tools import plan

    rec = plan.make("openshift-dev", policies=False).recording
    kept = (SA, SCC, *policies.ROLE_TYPES, *policies.BINDING_TYPES)
    return [(r.type, r.plain_inputs) for r in rec.resources if r.type in kept]


def _jobs(rbac: list[tuple[str, dict[str, Any]]], type_: str) -> dict[str, Any]:
    return next(p for t, p in rbac if t == type_ and p["metadata"]["name"].startswith(("gitlab-runner", "use-scc")))


def test_scc_grants_of_the_committed_stack_pass(openshift_rbac: list[tuple[str, dict[str, Any]]]) -> None:
    assert {t for t, _ in openshift_rbac} == {SA, SCC, ROLE, ROLE_BINDING}
    assert violations(policies.scc_grants, stack(*openshift_rbac)) == []
    for t, p in openshift_rbac:
        assert violations(policies.scc_privileged_or_host, args(t, p)) == []


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        (
            {"kind": "Group", "name": "system:serviceaccounts", "apiGroup": "rbac.authorization.k8s.io"},
            "to group system:serviceaccounts (every service account of the cluster); grant it to the one service account that needs it",
        ),
        (
            {"kind": "Group", "name": "system:authenticated", "apiGroup": "rbac.authorization.k8s.io"},
            "to group system:authenticated; grant it to the one service account that needs it",
        ),
        (
            {"kind": "ServiceAccount", "name": "default", "namespace": "gitlab-runner"},
            "to service account gitlab-runner/default, which the stack does not own (every pod of the namespace runs as default); grant it to a service account the stack declares for that workload",
        ),
        (
            {"kind": "ServiceAccount", "name": "gitlab-runner", "namespace": "gitlab-runner"},
            "to service account gitlab-runner/gitlab-runner, which the stack does not own; grant it to a service account the stack declares for that workload",
        ),
        (
            {"kind": "ServiceAccount", "name": "gitlab-runner-jobs", "namespace": "other"},
            "to service account other/gitlab-runner-jobs, which the stack does not own;",
        ),
        ({"kind": "User", "name": "alice"}, "to user alice; grant it to a service account the stack owns"),
    ],
)
def test_a_broadened_scc_grant_is_refused(
    openshift_rbac: list[tuple[str, dict[str, Any]]], subject: dict[str, Any], expected: str
) -> None:
    rbac = copy.deepcopy(openshift_rbac)
    binding = _jobs(rbac, ROLE_BINDING)
    binding["subjects"].append(subject)
    (message,) = violations(policies.scc_grants, stack(*rbac))
    prefix = "RoleBinding gitlab-runner/gitlab-runner-jobs-scc-gitlab-runner-buildah grants SCC gitlab-runner-buildah "
    assert message.startswith(prefix) and expected in message, message


def test_a_role_for_every_scc_or_a_direct_grant_is_refused(openshift_rbac: list[tuple[str, dict[str, Any]]]) -> None:
    rbac = copy.deepcopy(openshift_rbac)
    del _jobs(rbac, ROLE)["rules"][0]["resourceNames"]
    assert violations(policies.scc_grants, stack(*rbac)) == [
        "Role gitlab-runner/use-scc-gitlab-runner-buildah lets its subjects use every SCC; name the one SCC (resourceNames)"
    ]
    rbac = copy.deepcopy(openshift_rbac)
    _jobs(rbac, SCC)["groups"] = ["system:serviceaccounts:gitlab-runner"]
    assert violations(policies.scc_grants, stack(*rbac)) == [
        "SCC gitlab-runner-buildah is granted directly to system:serviceaccounts:gitlab-runner (users/groups); leave "
        "both empty and grant `use` through RBAC to a service account the stack owns"
    ]


def test_a_built_in_scc_to_an_account_the_stack_does_not_own_is_refused(
    openshift_rbac: list[tuple[str, dict[str, Any]]],
) -> None:
    rbac = copy.deepcopy(openshift_rbac)
    pipeline = next(p for t, p in rbac if t == ROLE_BINDING and p["metadata"]["name"].startswith("buildbot"))
    pipeline["subjects"][0]["name"] = "pipeline"  # OpenShift Pipelines' own account, not the stack's
    assert violations(policies.scc_grants, stack(*rbac)) == [
        "RoleBinding builds/buildbot-scc-pipelines-scc grants SCC pipelines-scc to service account builds/pipeline, "
        "which the stack does not own; grant it to a service account the stack declares for that workload"
    ]


@pytest.mark.parametrize(
    ("change", "wide"),
    [
        ({"allowPrivilegedContainer": True}, "allowPrivilegedContainer"),
        ({"allowHostNetwork": True}, "allowHostNetwork"),
        ({"allowHostPID": True}, "allowHostPID"),
        ({"allowHostIPC": True}, "allowHostIPC"),
        ({"allowHostPorts": True}, "allowHostPorts"),
        ({"allowHostDirVolumePlugin": True}, "allowHostDirVolumePlugin"),
        ({"volumes": ["emptyDir", "hostPath"]}, "volumes hostPath"),
        ({"volumes": ["*"]}, "volumes *"),
        ({"allowedCapabilities": ["SETFCAP", "SYS_ADMIN"]}, "capability SYS_ADMIN"),
    ],
)
def test_a_widened_scc_is_refused(
    openshift_rbac: list[tuple[str, dict[str, Any]]], change: dict[str, Any], wide: str
) -> None:
    scc = {**_jobs(openshift_rbac, SCC), **change}
    assert violations(policies.scc_privileged_or_host, args(SCC, scc)) == [
        f"SCC gitlab-runner-buildah allows privileged or host access ({wide}); a build needs none of it "
        "(buildah: any UID and SETFCAP)"
    ]


def test_only_binfmt_gets_a_privileged_built_in_scc(openshift_rbac: list[tuple[str, dict[str, Any]]]) -> None:
    binfmt = next(p for t, p in openshift_rbac if t == ROLE_BINDING and p["metadata"]["name"].startswith("qemu"))
    assert binfmt["roleRef"]["name"] == "system:openshift:scc:privileged"
    assert violations(policies.scc_privileged_or_host, args(ROLE_BINDING, binfmt)) == []
    jobs = copy.deepcopy(_jobs(openshift_rbac, ROLE_BINDING))
    jobs["roleRef"] = {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": "system:openshift:scc:hostnetwork-v2",
    }
    assert violations(policies.scc_privileged_or_host, args(ROLE_BINDING, jobs)) == [
        "RoleBinding gitlab-runner/gitlab-runner-jobs-scc-gitlab-runner-buildah grants the hostnetwork-v2 SCC "
        "(privileged or host access) to ServiceAccount gitlab-runner/gitlab-runner-jobs; only qemu-binfmt/qemu-binfmt "
        "(the qemu binfmt DaemonSet) may have it"
    ]


# --- build-pool-taints-tolerated -----------------------------------------------------------------

POOLS_AND_PATHS = (
    "aws:eks/nodeGroup:NodeGroup",
    "gcp:container/nodePool:NodePool",
    "kubernetes:machine.openshift.io/v1beta1:MachineSet",
    "kubernetes:karpenter.sh/v1:NodePool",
    "kubernetes:core/v1:ConfigMap",
    "kubernetes:helm.sh/v3:Release",
)


def stack_of(name: str, runner: bool = True) -> list[tuple[str, dict[str, Any]]]:
    """A committed stack's pools and build paths (its runner added where it has none)."""
    from tools import plan, stackfile

    loaded = stackfile.load(name)
    config = dict(loaded.config)
    if runner:
        config.setdefault("multiarch:gitlabRunner", {"enabled": True})
        config.setdefault("multiarch:gitlabRunnerToken", "glrt-offline-plan-placeholder-0000")
    secret = [*loaded.secret_keys, "multiarch:gitlabRunnerToken"]
    rec = plan.make(stackfile.StackFile(loaded.name, loaded.path, config, secret), policies=False).recording
    return [(r.type, r.plain_inputs) for r in rec.resources if r.type in POOLS_AND_PATHS]


@pytest.fixture(scope="module")
def prod_paths() -> list[tuple[str, dict[str, Any]]]:
    return stack_of("prod")


def _template(resources: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    return next(p for t, p in resources if t == "kubernetes:core/v1:ConfigMap")


def _set_template(resources: list[tuple[str, dict[str, Any]]], edit: Callable[[dict[str, Any]], None]) -> None:
    import yaml

    cm = _template(resources)
    run = yaml.safe_load(cm["data"]["pipelinerun.yaml"])
    edit(run)
    cm["data"]["pipelinerun.yaml"] = yaml.safe_dump(run)


def _set_runner(resources: list[tuple[str, dict[str, Any]]], allowed: str | None) -> None:
    import tomllib

    import tomli_w

    release = next(p for t, p in resources if t == "kubernetes:helm.sh/v3:Release" and p["chart"] == "gitlab-runner")
    config = tomllib.loads(release["values"]["runners"]["config"])
    kube = config["runners"][0]["kubernetes"]
    kube.pop("node_tolerations_overwrite_allowed", None)
    if allowed is not None:
        kube["node_tolerations_overwrite_allowed"] = allowed
    release["values"]["runners"]["config"] = tomli_w.dumps(config)


@pytest.mark.parametrize("name", ["prod", "dev", "gke-dev", "openshift-dev", "karpenter-dev"])
def test_every_committed_stack_tolerates_its_build_pools_taints(name: str) -> None:
    resources = stack_of(name)
    assert violations(policies.build_pool_taints_tolerated, stack(*resources)) == []


def test_prod_has_a_tainted_pool_and_both_paths(prod_paths: list[tuple[str, dict[str, Any]]]) -> None:
    taints = [p["taints"] for t, p in prod_paths if t == "aws:eks/nodeGroup:NodeGroup" and p["taints"]]
    assert taints == [[{"key": "multiarch.dev/arch", "value": "arm64", "effect": "NO_SCHEDULE"}]]
    assert {t for t, _ in prod_paths} >= {"kubernetes:core/v1:ConfigMap", "kubernetes:helm.sh/v3:Release"}


def test_a_build_task_that_does_not_tolerate_the_taint(prod_paths: list[tuple[str, dict[str, Any]]]) -> None:
    broken = copy.deepcopy(prod_paths)

    def drop(run: dict[str, Any]) -> None:
        for spec in run["spec"]["taskRunSpecs"]:
            spec["podTemplate"].pop("tolerations", None)

    _set_template(broken, drop)
    assert violations(policies.build_pool_taints_tolerated, stack(*broken)) == [
        "node group build-multiarch-prod-arm64 (arm64) is tainted multiarch.dev/arch=arm64:NoSchedule, and task "
        "build-arm64 of the PipelineRun template builds/multiarch-pipelinerun runs on arm64 nodes without tolerating "
        "it: it would stay Pending; tolerate the taint in its taskRunSpecs podTemplate"
    ]


def test_a_toleration_of_another_value_does_not_count(prod_paths: list[tuple[str, dict[str, Any]]]) -> None:
    broken = copy.deepcopy(prod_paths)

    def other(run: dict[str, Any]) -> None:
        spec = next(s for s in run["spec"]["taskRunSpecs"] if s["pipelineTaskName"] == "build-arm64")
        spec["podTemplate"]["tolerations"][0]["value"] = "amd64"

    _set_template(broken, other)
    assert len(violations(policies.build_pool_taints_tolerated, stack(*broken))) == 1


def test_an_exists_toleration_of_the_key_counts(prod_paths: list[tuple[str, dict[str, Any]]]) -> None:
    changed = copy.deepcopy(prod_paths)

    def exists(run: dict[str, Any]) -> None:
        spec = next(s for s in run["spec"]["taskRunSpecs"] if s["pipelineTaskName"] == "build-arm64")
        spec["podTemplate"]["tolerations"] = [{"key": "multiarch.dev/arch", "operator": "Exists"}]

    _set_template(changed, exists)
    assert violations(policies.build_pool_taints_tolerated, stack(*changed)) == []


@pytest.mark.parametrize("allowed", [None, "^(?:kubernetes\\.io/arch=arm64:NoSchedule)$"])
def test_a_runner_that_does_not_let_jobs_tolerate_the_taint(
    prod_paths: list[tuple[str, dict[str, Any]]], allowed: str | None
) -> None:
    broken = copy.deepcopy(prod_paths)
    _set_runner(broken, allowed)
    assert violations(policies.build_pool_taints_tolerated, stack(*broken)) == [
        "node group build-multiarch-prod-arm64 (arm64) is tainted multiarch.dev/arch=arm64:NoSchedule, and the "
        f"GitLab runner gitlab-runner/gitlab-runner does not let a job tolerate it (node_tolerations_overwrite_allowed {allowed!r}): "
        "its arm64 jobs would stay Pending"
    ]


def test_gke_arm64_pools_carry_gkes_own_taint() -> None:
    gke = stack_of("gke-dev")
    broken = copy.deepcopy(gke)
    _set_runner(broken, None)
    found = violations(policies.build_pool_taints_tolerated, stack(*broken))
    assert found == [
        "GKE node pool arm64 (arm64) is tainted kubernetes.io/arch=arm64:NoSchedule, and the GitLab runner "
        "gitlab-runner/gitlab-runner does not let a job tolerate it (node_tolerations_overwrite_allowed None): its arm64 jobs "
        "would stay Pending"
    ]


def test_prefer_no_schedule_and_the_system_pool_keep_no_build_away() -> None:
    soft = ("aws:eks/nodeGroup:NodeGroup", {
        "nodeGroupName": "b-x86", "amiType": "AL2023_x86_64_STANDARD", "labels": {"multiarch.dev/pool": "x86"},
        "taints": [{"key": "spot", "value": "yes", "effect": "PREFER_NO_SCHEDULE"}],
    })  # fmt: skip
    system = ("aws:eks/nodeGroup:NodeGroup", {
        "nodeGroupName": "b-system", "amiType": "AL2023_ARM_64_STANDARD", "labels": {"multiarch.dev/pool": "system"},
        "taints": [{"key": "CriticalAddonsOnly", "value": "true", "effect": "NO_SCHEDULE"}],
    })  # fmt: skip
    runner_release = ("kubernetes:helm.sh/v3:Release", release())
    assert violations(policies.build_pool_taints_tolerated, stack(soft, system, runner_release)) == []


def test_no_build_path_no_verdict() -> None:
    pools = [(t, p) for t, p in stack_of("prod", runner=False) if t == "aws:eks/nodeGroup:NodeGroup"]
    assert violations(policies.build_pool_taints_tolerated, stack(*pools)) == []
