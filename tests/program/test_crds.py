"""Custom resources checked like built-in ones: every kind the plan writes, against its vendored CRD."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tools import contentcache, plan, schemas

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
    # GKE's ComputeClass, against the schema written from its API reference: its enums are closed.
    ("ComputeClass", _set("spec.whenUnsatisfiable", "ScaleUp"), "spec.whenUnsatisfiable: 'ScaleUp' is not one of"),
]


@pytest.fixture(scope="module")
def custom() -> dict[str, tuple[dict[str, Any], bool]]:
    """One object of every custom kind the committed stacks write: kind -> (body, is a patch)."""
    found: dict[str, tuple[dict[str, Any], bool]] = {}
    for stack in ("dev", "gke-dev", "openshift-dev", "prod", "karpenter-dev", "gke-computeclass-dev"):
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


def test_the_converted_schemas_are_cached_by_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache is keyed by the CRDs' bytes: an edited CRD is converted again, never read stale."""
    crds = tmp_path / "crds"
    crds.mkdir()
    source = (schemas.CRDS / "machineautoscalers.yaml").read_text()
    (crds / "machineautoscalers.yaml").write_text(source)
    monkeypatch.setattr(schemas, "CRDS", crds)
    monkeypatch.setattr(contentcache, "CACHE", tmp_path / "cache")
    key = ("autoscaling.openshift.io/v1beta1", "MachineAutoscaler")
    for fn in (schemas._converted, schemas.crd_schemas):
        fn.cache_clear()
    first = schemas.crd_schemas()[key][0]
    assert "minReplicas" in first["properties"]["spec"]["required"]
    assert len(list((tmp_path / "cache").glob("crd-schemas-*.json"))) == 1
    (crds / "machineautoscalers.yaml").write_text(source.replace("- minReplicas\n", "", 1))
    for fn in (schemas._converted, schemas.crd_schemas):
        fn.cache_clear()
    assert "minReplicas" not in schemas.crd_schemas()[key][0]["properties"]["spec"].get("required", [])
    assert len(list((tmp_path / "cache").glob("crd-schemas-*.json"))) == 2
    for fn in (schemas._converted, schemas.crd_schemas):
        fn.cache_clear()


def test_built_in_kinds_are_judged_as_kubernetes_validate_judges_them() -> None:
    """The plan's compiled validators give kubernetes-validate's own verdict and message."""
    rec = plan.make("dev", policies=False).recording
    version = schemas.schema_version("1.34")
    for r in rec.kubernetes_objects():
        obj = schemas.body(r)
        if not schemas.is_builtin(str(obj["apiVersion"])):
            continue
        broken = copy.deepcopy(obj)
        broken["spec" if "spec" in broken else "metadata"]["unexpectedField"] = 1
        for candidate, ok in ((obj, True), (broken, False)):
            failures = schemas.check([_registered(r, candidate)], version)
            try:
                kubernetes_validate.validate(candidate, version, strict=True)
                assert failures == [] and ok, (obj["kind"], failures)
            except kubernetes_validate.ValidationError as exc:
                assert not ok and [f.message for f in failures] == [
                    f"{obj['kind']} does not match Kubernetes {version}: {exc.message}"
                ]


def _registered(r: Any, body: dict[str, Any]) -> Any:
    import dataclasses

    return dataclasses.replace(r, inputs=body)
