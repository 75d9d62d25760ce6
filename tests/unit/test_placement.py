"""The placement model's pure parts, table-driven: the scheduler's rules, the platforms'
reservations and pod limits (checked against figures measured on real nodes), and the model's
answers on hand-made pools."""

from __future__ import annotations

from typing import Any

import pytest

from components import placement, settings
from components.catalog import aws, nodes
from components.placement.rules import Expression, Pod, Shape, Taint, tolerated, unfit_by_rules, unfit_by_size

NO_SCHEDULE = Taint("dedicated", "build", "NoSchedule")


@pytest.mark.parametrize(
    ("toleration", "taint", "matches"),
    [
        ({"key": "dedicated", "operator": "Equal", "value": "build", "effect": "NoSchedule"}, NO_SCHEDULE, True),
        ({"key": "dedicated", "operator": "Equal", "value": "ci", "effect": "NoSchedule"}, NO_SCHEDULE, False),
        ({"key": "dedicated", "operator": "Exists"}, NO_SCHEDULE, True),  # every effect
        ({"key": "dedicated", "operator": "Exists", "effect": "NoExecute"}, NO_SCHEDULE, False),
        ({"operator": "Exists"}, NO_SCHEDULE, True),  # no key, Exists: everything
        ({"key": "dedicated", "effect": "NoSchedule"}, NO_SCHEDULE, False),  # Equal by default, value ""
        ({"key": "dedicated", "effect": "NoSchedule"}, Taint("dedicated", "", "NoSchedule"), True),
        ({"key": "other", "operator": "Exists"}, NO_SCHEDULE, False),
    ],
)  # fmt: skip
def test_a_toleration_matches_a_taint_as_the_scheduler_says(toleration: Any, taint: Taint, matches: bool) -> None:
    assert tolerated(taint, [toleration]) is matches


def shape(**changes: Any) -> Shape:
    base: dict[str, Any] = {
        "pool": "x86", "instance_type": "m5a.2xlarge", "arch": "amd64",
        "labels": {"kubernetes.io/arch": "amd64", "multiarch.dev/pool": "x86"},
        "taints": (), "cpu_m": 7910, "memory_mib": 29317, "pods": 58, "where": "",
    }  # fmt: skip
    base.update(changes)
    return Shape(**base)


@pytest.mark.parametrize(
    ("pod", "node", "why"),
    [
        (Pod("p", "controller"), shape(), None),
        (Pod("p", "controller"), shape(taints=(NO_SCHEDULE,)), "it does not tolerate the taint dedicated=build:NoSchedule"),
        (Pod("p", "controller"), shape(taints=(Taint("dedicated", "build", "PreferNoSchedule"),)), None),
        (Pod("p", "controller"), shape(taints=(Taint("spot", "", "NoExecute"),)), "it does not tolerate the taint spot:NoExecute"),
        (Pod("p", "build", node_selector={"kubernetes.io/arch": "arm64"}), shape(),
         "its node selector wants kubernetes.io/arch=arm64, the node has kubernetes.io/arch=amd64"),
        (Pod("p", "controller", node_selector={"example.com/x": "y"}), shape(),
         "its node selector wants example.com/x=y, which the node does not carry"),
        # NotIn holds where the label is absent; terms are ORed, expressions ANDed.
        (Pod("p", "controller", required=((Expression("karpenter.sh/nodepool", "DoesNotExist"),),)), shape(), None),
        (Pod("p", "controller", required=((Expression("example.com/x", "NotIn", ("y",)),),)), shape(), None),
        (Pod("p", "controller", required=((Expression("kubernetes.io/arch", "In", ("arm64",)),),
                                          (Expression("multiarch.dev/pool", "In", ("x86",)),))), shape(), None),
        (Pod("p", "controller", required=((Expression("kubernetes.io/arch", "In", ("amd64",)),
                                           Expression("multiarch.dev/pool", "In", ("system",))),)), shape(),
         "its required node affinity (kubernetes.io/arch In amd64, multiarch.dev/pool In system) excludes the node"),
    ],
)  # fmt: skip
def test_the_rules_keep_a_pod_off_a_node_with_the_schedulers_reason(pod: Pod, node: Shape, why: str | None) -> None:
    assert unfit_by_rules(pod, node) == why


def test_requests_are_held_against_what_the_node_has_left() -> None:
    node = shape(where=" after the EKS AMI's reservation")
    assert unfit_by_size(Pod("b", "build", 7000, 1024), 7910, 29317, 58, node) is None
    assert unfit_by_size(Pod("b", "build", 8100), 7910, 29317, 58, node) == (
        "it requests 8100m CPU, the node has 7910m left after the EKS AMI's reservation"
    )
    assert str(unfit_by_size(Pod("b", "build", 0, 30 * 1024), 7910, 29317, 58, node)).startswith(
        "it requests 30Gi memory"
    )
    assert unfit_by_size(Pod("b", "build"), 7910, 29317, 0, node) == "the node runs at most 58 pods, and none is left"


# --- the platforms' reservations, against nodes measured (research notes: 2i2c's instance capacities) --


@pytest.mark.parametrize(
    ("vcpu", "memory_mib", "eni_pods", "arm64", "measured_cpu_m", "measured_mib"),
    [
        (2, 8192, 29, False, 1930, 6966),  # m5.large: 1.93 CPU, 6.803 GiB allocatable measured
        (4, 16384, 58, False, 3920, 14543),  # m5.xlarge: 3.92, 14.202 GiB
        (4, 32768, 58, False, 3920, 30634),  # r5.xlarge: 3.92, 29.916 GiB
        (16, 131072, 234, False, 15890, 124408),  # r5.4xlarge: 15.89, 121.492 GiB
    ],
)  # fmt: skip
def test_eks_allocatable_is_the_measured_cpu_and_at_most_the_measured_memory(
    vcpu: int, memory_mib: int, eni_pods: int, arm64: bool, measured_cpu_m: int, measured_mib: int
) -> None:
    """CPU exactly; memory from Karpenter's model of the kubelet's capacity, never above what a
    node was measured to have, and within 5% of it (the model errs on the side of a build fitting)."""
    cpu, memory = nodes.eks_allocatable(vcpu, memory_mib, eni_pods, arm64)
    assert cpu == measured_cpu_m
    assert 0.95 * measured_mib <= memory <= measured_mib


def test_a_t4g_medium_leaves_what_karpenter_models() -> None:
    assert nodes.eks_allocatable(2, 4096, 17, True) == (1930, 3187)


def test_eks_max_pods_counts_the_default_network_card_and_managed_node_groups_cap_them() -> None:
    # c6in.32xlarge has 2 network cards: eni-max-pods.txt says 394, counting the default card only.
    c6in = aws.lookup("c6in.32xlarge")
    assert c6in is not None and nodes.eks_eni_max_pods(c6in.max_enis, c6in.ipv4_per_eni) == 394
    t4g = aws.lookup("t4g.medium")
    assert t4g is not None and t4g.eks_max_pods == 17
    assert nodes.eks_max_pods(234, 16, managed_node_group=True) == 110
    assert nodes.eks_max_pods(234, 32, managed_node_group=True) == 234 and nodes.eks_max_pods(737, 96, True) == 250
    assert nodes.eks_max_pods(234, 16, managed_node_group=False) == 234  # Karpenter's nodes keep the ENI limit


@pytest.mark.parametrize(
    ("vcpu", "memory_mib", "shared", "expected"),
    [
        (2, 4096, True, (940, 2818)),  # e2-medium: 940m for pods; 2800Mi measured on GKE 1.35
        (2, 8192, False, (1930, 6043)),  # e2-standard-2
        (8, 32768, False, (7910, 28413)),  # n2-standard-8
    ],
)  # fmt: skip
def test_gke_allocatable(vcpu: int, memory_mib: int, shared: bool, expected: tuple[int, int]) -> None:
    assert nodes.gke_allocatable(vcpu, memory_mib, shared) == expected


def test_openshift_reserves_the_larger_of_static_and_auto_sizing() -> None:
    cpu, memory = nodes.openshift_allocatable(4, 16384, False)
    assert cpu == 3500 and memory < 16384 - 1024 - 100  # auto sizing's 3Gi beats the static 1Gi there


# --- the model on the committed dev stack and its variants ----------------------------------------


def dev(**changes: Any) -> settings.Settings:
    from tools import stackfile

    stack = stackfile.load("dev")
    config = {**stack.config, **{f"multiarch:{k}": v for k, v in changes.items()}}
    return settings.from_config(config, stack="dev", secret_keys=stack.secret_keys)


def test_dev_runs_its_controllers_on_the_x86_node_it_keeps_and_starts_an_arm64_node_for_a_build() -> None:
    placed = placement.evaluate(dev())
    assert placed.problems == ()
    rows = {r.pool: r for r in placed.rows}
    assert rows["x86"].nodes == 1 and "kube-system/cluster-autoscaler" in rows["x86"].pods
    assert rows["arm64"].nodes == 0
    landings = {(x.arch, x.pod): x for ls in placed.builds.values() for x in ls}
    assert not landings[("amd64", "amd64 CI job")].started and landings[("arm64", "arm64 CI job")].started
    assert placed.homes["kube-system/cluster-autoscaler"] == ("x86",)
    assert placed.build_pools == {"amd64": ("x86",), "arm64": ("arm64",)}
