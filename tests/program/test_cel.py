"""The vendored CRDs' CEL rules, evaluated (tools/cel.py): on what the stacks declare, and on what
the API server would refuse. The CRDs are the pinned releases' (Karpenter v1.14.1 at its tag, GKE's
own ComputeClass CRD)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from tools import cel, plan, schemas

CRDS = schemas.CRDS


@pytest.fixture(scope="module")
def objects() -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for stack in ("karpenter-dev", "gke-computeclass-dev"):
        for r in plan.make(stack, policies=False).recording.kubernetes_objects():
            obj = schemas.body(r)
            out.setdefault(str(obj.get("kind")), []).append(obj)
    return out


def test_the_stacks_objects_keep_every_rule_that_can_be_evaluated(objects: dict[str, list[dict[str, Any]]]) -> None:
    for kind in ("NodePool", "EC2NodeClass", "ComputeClass"):
        tally = cel.Tally()
        for obj in objects[kind]:
            assert cel.check(obj, tally) == [], kind
        assert tally.evaluated >= 10, (kind, tally)
        # What could not be: transition rules (an update's) only; every create-time rule is evaluated.
        assert set(tally.skipped) <= {"transition rule (oldSelf)", "not evaluable on this value"}, (kind, tally)


def one(objects: dict[str, list[dict[str, Any]]], kind: str) -> dict[str, Any]:
    return copy.deepcopy(objects[kind][0])


def test_a_restricted_karpenter_label_is_refused(objects: dict[str, list[dict[str, Any]]]) -> None:
    pool = one(objects, "NodePool")
    pool["spec"]["template"]["spec"]["requirements"].append(
        {"key": "karpenter.k8s.aws/nitro-sandbox", "operator": "In", "values": ["true"]}
    )  # a label of Karpenter's main branch, not of v1.14.1
    assert schemas.check_custom(pool) == [
        "NodePool breaks a CEL rule of its CRD (tools/crds/nodepools.yaml): spec.template.spec.requirements[4].key: "
        'label domain "karpenter.k8s.aws" is restricted'
    ]


def test_an_ami_alias_of_no_family_is_refused(objects: dict[str, list[dict[str, Any]]]) -> None:
    node_class = one(objects, "EC2NodeClass")
    node_class["spec"]["amiSelectorTerms"] = [{"alias": "al2024@latest"}]
    (message,) = schemas.check_custom(node_class)
    assert message.startswith(
        "EC2NodeClass breaks a CEL rule of its CRD (tools/crds/ec2nodeclasses.yaml): spec.amiSelectorTerms[0].alias: "
        "family is not supported"
    )


def test_the_v1_14_1_kubelet_is_typed(objects: dict[str, list[dict[str, Any]]]) -> None:
    node_class = one(objects, "EC2NodeClass")
    node_class["spec"]["kubelet"] = {"maxPod": 110}  # misspelt: v1.14.1 prunes it (main's open map took it)
    assert any(
        "kubelet: Additional properties are not allowed ('maxPod'" in m for m in schemas.check_custom(node_class)
    )


def test_a_compute_class_priority_with_a_family_and_a_type_is_refused(objects: dict[str, list[dict[str, Any]]]) -> None:
    compute_class = one(objects, "ComputeClass")
    compute_class["spec"]["priorities"][0]["machineType"] = "c4a-standard-8"
    assert schemas.check_custom(compute_class) == [
        "ComputeClass breaks a CEL rule of its CRD (tools/crds/computeclasses.yaml): spec.priorities[0]: "
        "MachineFamily and MachineType cannot be set together",
        "ComputeClass breaks a CEL rule of its CRD (tools/crds/computeclasses.yaml): spec.priorities[0]: "
        "MachineType cannot be set together with MinCores/MinMemoryGb",
    ]


def test_the_vendored_crds_are_the_pinned_releases() -> None:
    nodepools = (CRDS / "nodepools.yaml").read_text()
    assert "nitro-sandbox" not in nodepools  # main branch's, 68 commits after v1.14.1
    node_class = yaml.safe_load((CRDS / "ec2nodeclasses.yaml").read_text())
    kubelet = node_class["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"][
        "kubelet"
    ]
    assert "maxPods" in kubelet["properties"] and not kubelet.get("x-kubernetes-preserve-unknown-fields")
    compute_classes = (CRDS / "computeclasses.yaml").read_text()
    assert compute_classes.count("x-kubernetes-validations") >= 20  # GKE's own CRD, not a hand-written subset


def test_a_rule_cel_python_cannot_compile_is_counted_not_guessed() -> None:
    tally = cel.Tally()
    schema = {"x-kubernetes-validations": [{"rule": "self.?foo.orValue('') == ''", "message": "m"}]}
    assert cel.evaluate(schema, {"foo": "x"}, tally) == []
    assert tally.evaluated == 0 and tally.skipped == {"not compilable by cel-python": 1}


def test_a_check_is_cached_by_content_and_gives_the_same_answer(
    objects: dict[str, list[dict[str, Any]]], tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second check of an object is read from build/cache (no rule is evaluated), with the same
    messages and tally; a changed object is its own entry."""
    from tools import contentcache

    monkeypatch.setattr(contentcache, "CACHE", tmp_path)
    pool = one(objects, "NodePool")
    pool["spec"]["template"]["spec"]["requirements"].append(
        {"key": "karpenter.k8s.aws/nitro-sandbox", "operator": "In", "values": ["true"]}
    )
    first, second = cel.Tally(), cel.Tally()
    answer = cel.check(pool, first)

    def entries() -> list[str]:
        return sorted(p.name for p in tmp_path.glob("cel-*.json") if not p.name.startswith("cel-kinds-"))

    assert answer and len(entries()) == 1
    monkeypatch.setattr(cel, "evaluate", lambda *a: pytest.fail("evaluated again"))
    assert cel.check(pool, second) == answer and second == first and first.evaluated > 0
    pool["spec"]["template"]["spec"]["requirements"].pop()
    monkeypatch.undo()
    monkeypatch.setattr(contentcache, "CACHE", tmp_path)
    assert cel.check(pool) == []
    assert len(entries()) == 2
