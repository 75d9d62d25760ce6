"""The replace-or-update decision on plain inputs (tools/diff/decide.py): the bridge's block
semantics, conditions, pulumi-kubernetes' mutability flags, replaceOnChanges and refusals."""

from __future__ import annotations

from typing import Any

import pytest

from tools.diff import decide
from tools.recording import Secret

POOL = "gcp:container/nodePool:NodePool"
EKS = "aws:eks/cluster:Cluster"
SC = "kubernetes:storage.k8s.io/v1:StorageClass"


def paths(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    a, b = decide.deep_flatten(old), decide.deep_flatten(new)
    return sorted(p for p in set(a) | set(b) if a.get(p) != b.get(p))


def replaced(type_: str, old: dict[str, Any], new: dict[str, Any], **kw: Any) -> list[str]:
    return [path for path, _ in decide.decide(type_, old, new, paths(old, new), **kw).replaces]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # A ForceNew block: its count decides, not a change inside it.
        ({"placementPolicy": {"type": "COMPACT"}}, {"placementPolicy": {"type": "COMPACT", "tpuTopology": "2x2"}}, []),
        ({"placementPolicy": {"type": "COMPACT"}}, {}, ["placementPolicy"]),
        ({}, {"queuedProvisioning": {"enabled": False}}, ["queuedProvisioning", "queuedProvisioning.enabled"]),
        # ... but a ForceNew child of it replaces.
        (
            {"placementPolicy": {"policyName": "a"}},
            {"placementPolicy": {"policyName": "b"}},
            ["placementPolicy.policyName"],
        ),
        # A ForceNew attribute replaces at any depth, through lists of records.
        (
            {"nodeConfig": {"guestAccelerators": [{"type": "nvidia-l4", "count": 1}]}},
            {"nodeConfig": {"guestAccelerators": [{"type": "nvidia-l4", "count": 2}]}},
            ["nodeConfig.guestAccelerators[0].count"],
        ),
        ({"nodeConfig": {"machineType": "n2-standard-8"}}, {"nodeConfig": {"machineType": "n2-standard-16"}}, []),
    ],
)
def test_blocks_and_attributes(old: dict[str, Any], new: dict[str, Any], expected: list[str]) -> None:
    assert replaced(POOL, old, new) == expected


def test_a_computed_block_left_out_is_no_replacement() -> None:
    gke = "gcp:container/cluster:Cluster"
    assert replaced(gke, {"ipAllocationPolicy": {}}, {}) == []
    assert (
        replaced(gke, {"ipAllocationPolicy": {"stackType": "IPV4"}}, {"ipAllocationPolicy": {"stackType": "X"}}) == []
    )


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ({"encryptionConfig": {"resources": ["secrets"]}}, {}, ["encryptionConfig"]),
        ({}, {"encryptionConfig": {"resources": ["secrets"]}}, []),
        ({"encryptionConfig": {"resources": ["secrets"]}}, {"encryptionConfig": {"resources": ["secrets", "x"]}}, []),
    ],
    ids=["removed", "added", "changed"],
)
def test_a_condition_decides(old: dict[str, Any], new: dict[str, Any], expected: list[str]) -> None:
    assert replaced(EKS, old, new) == expected


def test_pulumi_kubernetes_replaces_configmap_data_unless_its_provider_makes_it_mutable() -> None:
    cm = "kubernetes:core/v1:ConfigMap"
    old, new = {"data": {"a": "1"}}, {"data": {"a": "2"}}
    assert replaced(cm, old, new) == ["data.a"]
    assert replaced(cm, old, new, provider={"enableConfigMapMutable": "true"}) == []
    immutable = {"data": {"a": "2"}, "immutable": True}
    assert replaced(cm, {**old, "immutable": True}, immutable, provider={"enableConfigMapMutable": "true"}) == [
        "data.a"
    ]


def test_replace_on_changes_replaces_and_turns_a_refusal_into_a_replacement() -> None:
    old, new = {"reclaimPolicy": "Delete"}, {"reclaimPolicy": "Retain"}
    refused = decide.decide(SC, old, new, ["reclaimPolicy"])
    assert refused.replaces == [] and [p for p, _ in refused.refusals] == ["reclaimPolicy"]
    marked = decide.decide(SC, old, new, ["reclaimPolicy"], replace_on_changes=["reclaimPolicy"])
    assert marked.refusals == [] and [r.source for _, r in marked.replaces] == ["ENGINE"]
    assert decide.decide(SC, {"allowVolumeExpansion": True}, {}, ["allowVolumeExpansion"], ["*"]).replaces


def test_what_the_review_does_not_show_is_not_decided_on() -> None:
    """A secret a plan.json does not hold, a path under ignoreChanges: no change, no rule."""
    old, new = {"data": {"a": Secret("x")}}, {"data": {"a": Secret("y")}}
    assert decide.decide("kubernetes:core/v1:Secret", old, new, []).replaces == []
    assert decide.decide("kubernetes:core/v1:Secret", old, new, ["data.a"]).replaces


def test_pulumi_aws_7_fills_in_the_providers_region() -> None:
    assert decide.effective(EKS, {"name": "c"}, {"region": "eu-west-3"}) == {"name": "c", "region": "eu-west-3"}
    assert decide.effective(EKS, {"region": "us-east-1"}, {"region": "eu-west-3"}) == {"region": "us-east-1"}
    assert decide.effective("aws:iam/role:Role", {"name": "r"}, {"region": "eu-west-3"}) == {"name": "r"}


CM = "kubernetes:core/v1:ConfigMap"
NODEPOOL = "kubernetes:karpenter.sh/v1:NodePool"
CC = "kubernetes:cloud.google.com/v1:ComputeClass"
CSI = "kubernetes:operator.openshift.io/v1:ClusterCSIDriver"
TOKENS = "spec.driverConfig.secretsStore.tokenRequests.type"


def _nested(path: str, value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    at = out
    *parents, last = path.split(".")
    for seg in parents:
        at = at.setdefault(seg, {})
    at[last] = value
    return out


@pytest.mark.parametrize(
    ("type_", "old", "new", "refused"),
    [
        (CM, {"immutable": True}, {"immutable": False}, True),
        (CM, {"immutable": False}, {"immutable": True}, False),
        (NODEPOOL, {"spec": {"replicas": 2}}, {"spec": {}}, True),
        (NODEPOOL, {"spec": {"replicas": 2}}, {"spec": {"replicas": 3}}, False),
        (CC, {"spec": {"autopilot": {"enabled": True}}}, {"spec": {}}, True),
        (CC, {"spec": {}}, {"spec": {"autopilot": {"enabled": True}}}, False),
        (CC, {"spec": {"autopilot": {"enabled": True}}}, {"spec": {"autopilot": {"enabled": False}}}, True),
        (CSI, _nested(TOKENS, "Managed"), _nested(TOKENS, "Unmanaged"), True),
        (CSI, _nested(TOKENS, "Unmanaged"), _nested(TOKENS, "Managed"), False),
    ],
    ids=[
        "configmap made mutable",
        "configmap made immutable",
        "nodepool replicas removed",
        "nodepool replicas changed",
        "computeclass autopilot removed",
        "computeclass autopilot added",
        "computeclass autopilot changed",
        "csi token requests off Managed",
        "csi token requests to Managed",
    ],
)
def test_each_refusal_both_ways(type_: str, old: dict[str, Any], new: dict[str, Any], refused: bool) -> None:
    decision = decide.decide(type_, old, new, paths(old, new))
    assert bool(decision.refusals) is refused
    assert all(rule.way_out for _, rule in decision.refusals)
