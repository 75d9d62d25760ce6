"""Custom resources checked like built-in ones: every kind the plan writes, against its vendored CRD."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from tools import plan, schemas

Mutate = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutate:
    """Set `value` at a dotted path (integers index lists)."""

    def mutate(obj: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = obj
        for part in parents:
            node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
        node[last] = value

    return mutate


# One mutation per kind, of a field the kind has: (kind, mutation, the CRD's refusal).
MUTATIONS: list[tuple[str, Mutate, str]] = [
    ("Task", _set("spec.steps.0.name", 7), "spec.steps.0.name: 7 is not of type 'string'"),
    ("Pipeline", _set("spec.tasks.0.runAfterTasks", ["clone"]), "('runAfterTasks' was unexpected)"),
    ("MachineSet", _set("spec.replicas", "1"), "spec.replicas: '1' is not of type 'integer'"),
    ("MachineAutoscaler", _set("spec.minReplica", 1), "('minReplica' was unexpected)"),
    ("ClusterAutoscaler", _set("spec.resourceLimits.maxNodesTotal", "50"), "'50' is not of type 'integer'"),
    ("Subscription", _set("spec.chanel", "latest"), "('chanel' was unexpected)"),
    ("OperatorGroup", _set("spec.targetNamespaces", "openshift-operators"), "is not of type 'array'"),
    ("ClusterCSIDriver", _set("spec.managementState", 1), "spec.managementState: 1 is not of type 'string'"),
    ("TektonConfig", _set("spec.pipeline.coschedules", "disabled"), "('coschedules' was unexpected)"),
    ("SecurityContextConstraints", _set("priority", "0"), "priority: '0' is not of type 'integer', 'null'"),
    # v1beta1 habits the v1 API would prune silently: kubelet moved to the EC2NodeClass, selectors renamed.
    ("NodePool", _set("spec.template.spec.kubelet", {"maxPods": 110}), "('kubelet' was unexpected)"),
    ("EC2NodeClass", _set("spec.subnetSelector", {"karpenter.sh/discovery": "c"}), "('subnetSelector' was unexpected)"),
]


@pytest.fixture(scope="module")
def custom() -> dict[str, tuple[dict[str, Any], bool]]:
    """One object of every custom kind the committed stacks write: kind -> (body, is a patch)."""
    found: dict[str, tuple[dict[str, Any], bool]] = {}
    for stack in ("dev", "gke-dev", "openshift-dev", "prod", "karpenter-dev"):
        for r in plan.make(stack, policies=False).recording.kubernetes_objects():
            body = schemas.body(r)
            if not schemas.is_builtin(str(body["apiVersion"])):
                found.setdefault(str(body["kind"]), (body, r.type.endswith("Patch")))
    return found


def test_every_custom_kind_has_a_vendored_crd_and_passes(custom: dict[str, tuple[dict[str, Any], bool]]) -> None:
    assert set(custom) == {m[0] for m in MUTATIONS}
    for kind, (body, patch) in custom.items():
        assert (body["apiVersion"], kind) in schemas.crd_schemas(), kind
        assert schemas.check_custom(body, patch=patch) == [], kind


@pytest.mark.parametrize(("kind", "mutate", "expected"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_one_wrong_field_per_kind_is_refused(
    custom: dict[str, tuple[dict[str, Any], bool]], kind: str, mutate: Mutate, expected: str
) -> None:
    body, patch = custom[kind]
    broken = copy.deepcopy(body)
    mutate(broken)
    (message,) = schemas.check_custom(broken, patch=patch)
    assert message.startswith(f"{kind} does not match its CRD (tools/crds/")
    assert expected in message, message


def test_a_patch_needs_no_required_field_but_a_whole_object_does(
    custom: dict[str, tuple[dict[str, Any], bool]],
) -> None:
    assert custom["TektonConfig"][1]  # the stack patches TektonConfig/config, which the operator owns
    scaler = copy.deepcopy(custom["MachineAutoscaler"][0])
    del scaler["spec"]["minReplicas"]
    assert schemas.check_custom(scaler) == [
        "MachineAutoscaler does not match its CRD (tools/crds/machineautoscalers.yaml): "
        "spec: 'minReplicas' is a required property"
    ]
    assert schemas.check_custom(scaler, patch=True) == []


def test_the_example_pipeline_run_matches_its_crd() -> None:
    text = plan.make("dev", policies=False).recording.outputs["examplePipelineRun"]
    run = yaml.safe_load(text)
    assert schemas.check_custom(run) == []
    run["spec"]["taskRunSpecs"][0]["podTemplates"] = {}
    assert "('podTemplates' was unexpected)" in schemas.check_custom(run)[0]


def test_every_vendored_crd_has_its_source_recorded() -> None:
    sources = (schemas.CRDS / "SOURCES.md").read_text()
    for path in schemas.CRDS.glob("*.yaml"):
        assert f"{path.name}" in sources, path.name
