"""Retention and workspaces as declared: the Tekton Pruner (eks, gke) with the stack's retention in
its own global ConfigMap, TektonConfig's pruners (openshift), and GKE's builds on one shared
Filestore volume instead of an instance per build; the cost of a build hour with its storage."""

from __future__ import annotations

from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from components import pipelines, settings, versions, workspaces
from tools import mockengine, plan, stackfile
from tools.recording import Recording

PRUNER = Path(__file__).resolve().parent.parent / "fixtures" / "tekton-pruner-v0.4.1"


def run(name: str) -> Recording:
    s = stackfile.load(name)
    return mockengine.run_main(s.config, stack=s.name, secret_keys=s.secret_keys)


def release(file: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((PRUNER / file).read_text()) if d]


def transformed(doc: dict[str, Any], retention: dict[str, Any]) -> dict[str, Any]:
    config = pipelines.pruner_config(settings.Retention.model_validate(retention))
    kind = doc["kind"]
    group = doc["apiVersion"].replace("/", "/" if "/" in doc["apiVersion"] else "")
    type_ = f"kubernetes:{'core/v1' if group == 'v1' else group}:{kind}"
    args = pulumi.ResourceTransformArgs(
        custom=True, type_=type_, name=doc["metadata"]["name"], props=doc, opts=pulumi.ResourceOptions()
    )
    result = pipelines.pruner_transform(config)(args)
    assert not isinstance(result, Awaitable)
    return dict(result.props) if result is not None else doc


def webhook_refuses(cm: dict[str, Any]) -> list[str]:
    """What the pruner's webhook refuses of its global ConfigMap (tektoncd/pruner
    pkg/webhook/configmapvalidation.go at v0.4.1): its name and labels, YAML, the config level,
    negative values."""
    out = []
    labels = cm["metadata"].get("labels") or {}
    if cm["metadata"]["name"] != "tekton-pruner-default-spec":
        out.append("name")
    if (
        labels.get("app.kubernetes.io/part-of") != "tekton-pruner"
        or labels.get("pruner.tekton.dev/config-type") != "global"
    ):
        out.append("labels")
    config = yaml.safe_load(cm["data"]["global-config"])
    if config.get("enforcedConfigLevel") not in ("global", "namespace", "resource"):
        out.append("enforcedConfigLevel")
    for key in ("ttlSecondsAfterFinished", "successfulHistoryLimit", "failedHistoryLimit", "historyLimit"):
        if not isinstance(config.get(key, 0), int) or config.get(key, 0) < 0:
            out.append(key)
    return out


def test_the_pruner_release_is_pinned_after_tektons_and_says_its_retention() -> None:
    rec = run("dev")
    pruner = rec.one("kubernetes:yaml/v2:ConfigFile", "pipelines-pruner")
    assert pruner.plain_inputs["file"] == (
        f"https://infra.tekton.dev/tekton-releases/pruner/previous/{versions.TEKTON_PRUNER_VERSION}/release.yaml"
    )
    tekton = rec.one("kubernetes:yaml/v2:ConfigFile", "pipelines-release")
    assert tekton.urn in pruner.dependencies  # its namespace comes with Tekton's release
    assert pruner.transforms == 1  # the retention; dev has no system nodes to move it to
    engine = rec.one("multiarch:pipelines:Engine")
    assert engine.outputs["pruner"] == {
        "version": "v0.4.1",
        "globalConfig": {
            "enforcedConfigLevel": "global", "successfulHistoryLimit": 20, "failedHistoryLimit": 20,
            "ttlSecondsAfterFinished": 168 * 3600,
        },
    }  # fmt: skip
    assert run("karpenter-dev").one("kubernetes:yaml/v2:ConfigFile", "pipelines-pruner").transforms == 2


def test_the_transform_sets_the_releases_own_configmap_and_the_webhook_accepts_it() -> None:
    (cm,) = [d for d in release("600-tekton-pruner-default-spec.yaml") if d["kind"] == "ConfigMap"]
    assert yaml.safe_load(cm["data"]["global-config"]) == {"enforcedConfigLevel": "global", "historyLimit": 100}
    out = transformed(cm, {"successfulRuns": 5, "failedRuns": 12, "ttl": "36h"})
    assert yaml.safe_load(out["data"]["global-config"]) == {
        "enforcedConfigLevel": "global", "successfulHistoryLimit": 5, "failedHistoryLimit": 12,
        "ttlSecondsAfterFinished": 129600,
    }  # fmt: skip
    assert out["metadata"] == cm["metadata"] and webhook_refuses(out) == []
    bad = {**out, "data": {"global-config": "enforcedConfigLevel: global\nfailedHistoryLimit: -1\n"}}
    assert webhook_refuses(bad) == ["failedHistoryLimit"]  # the check can fail


def test_the_webhook_is_created_after_the_configmap_it_validates() -> None:
    (hook,) = [d for d in release("601-webhook-configuration.yaml") if d["kind"] == "ValidatingWebhookConfiguration"]
    out = transformed(hook, {})
    assert out["metadata"]["annotations"]["config.kubernetes.io/depends-on"] == (
        "/namespaces/tekton-pipelines/ConfigMap/tekton-pruner-default-spec"
    )
    (secret,) = [d for d in release("601-webhook-configuration.yaml") if d["kind"] == "Secret"]
    assert transformed(secret, {}) is secret  # every other object as the release has it


@pytest.mark.parametrize(
    ("channel", "expected"),
    [
        ("latest", {"pruner": {"disabled": True}, "tektonpruner": {"disabled": False, "global-config": {
            "enforcedConfigLevel": "global", "successfulHistoryLimit": 20, "failedHistoryLimit": 20,
            "ttlSecondsAfterFinished": 604800}}}),
        ("pipelines-1.21", {"pruner": {"disabled": True}, "tektonpruner": {"disabled": False, "global-config": {
            "enforcedConfigLevel": "global", "successfulHistoryLimit": 20, "failedHistoryLimit": 20,
            "ttlSecondsAfterFinished": 604800}}}),
        ("pipelines-1.18", {"pruner": {"disabled": False, "resources": ["pipelinerun"], "keep": 40,
                                       "schedule": "0 * * * *"}}),
    ],
)  # fmt: skip
def test_openshift_sets_tektonconfigs_pruner_to_the_same_retention(channel: str, expected: dict[str, Any]) -> None:
    p = settings.Pipelines.model_validate({"flavor": "openshift-pipelines", "channel": channel})
    assert pipelines.openshift_pruner(p) == expected


def test_openshift_dev_patches_its_tektonconfig_with_the_event_based_pruner() -> None:
    patch = run("openshift-dev").one("kubernetes:operator.tekton.dev/v1alpha1:TektonConfigPatch").plain_inputs
    assert patch["spec"]["tektonpruner"]["disabled"] is False and patch["spec"]["pruner"] == {"disabled": True}


def test_no_gke_build_creates_a_filestore_instance() -> None:
    rec = run("gke-dev")
    claim = rec.one("kubernetes:core/v1:PersistentVolumeClaim").plain_inputs
    assert claim["metadata"] == {"name": workspaces.SHARED_CLAIM, "namespace": "builds"}
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    assert claim["spec"]["resources"]["requests"]["storage"] == "100Gi"  # Basic HDD's minimum from GKE 1.33
    classes = {
        r.plain_inputs["metadata"]["name"]: r.plain_inputs
        for r in rec.by_type("kubernetes:storage.k8s.io/v1:StorageClass")
    }
    workspace = classes[claim["spec"]["storageClassName"]]
    assert workspace["volumeBindingMode"] == "Immediate"  # made with the stack: no build waits for it
    run_doc = yaml.safe_load(rec.outputs["examplePipelineRun"])
    bound = {w["name"]: w for w in run_doc["spec"]["workspaces"]}
    assert "volumeClaimTemplate" not in rec.outputs["examplePipelineRun"]
    assert bound["source"] == {
        "name": "source", "persistentVolumeClaim": {"claimName": workspaces.SHARED_CLAIM},
        "subPath": "$(context.pipelineRun.name)/source",
    }  # fmt: skip
    assert bound["oci-images"]["subPath"] == "$(context.pipelineRun.name)/oci-images"
    assert bound[workspaces.ROOT_WORKSPACE] == {
        "name": workspaces.ROOT_WORKSPACE, "persistentVolumeClaim": {"claimName": workspaces.SHARED_CLAIM}
    }  # fmt: skip
    # EKS keeps a claim per workspace and run: an EFS access point each, made in seconds.
    assert "volumeClaimTemplate" in run("dev").outputs["examplePipelineRun"]


def test_the_cleanup_task_runs_finally_and_removes_the_runs_directory_on_the_shared_volume() -> None:
    spec = pipelines.pipeline(("amd64", "arm64"))
    (cleanup,) = spec["finally"]
    assert cleanup["params"] == [{"name": "run", "value": "$(context.pipelineRun.name)"}]
    script = pipelines.cleanup_task()["steps"][0]["script"]
    assert 'find "$(workspaces.source.path)" "$(workspaces.oci-images.path)" -mindepth 1 -delete' in script
    assert 'rm -rf "$(workspaces.workspaces-root.path)/$(params.run)"' in script


@pytest.mark.parametrize("name", ["dev", "openshift-dev", "gke-dev"])
def test_the_cost_of_a_build_hour_includes_its_storage(name: str) -> None:
    planned = plan.make(name, policies=False)
    for a, hour in planned.cost["view"]["buildHour"].items():
        if name == "gke-dev":
            assert hour["storageHourlyUsd"] == 0.0 and "in the idle cost" in hour["storageNote"], a
        else:
            assert hour["storageHourlyUsd"] > 0, a
            assert hour["hourlyUsd"] == pytest.approx((hour["nodeHourlyUsd"] or 0) + hour["storageHourlyUsd"])
    if name == "gke-dev":  # the shared volume is in the idle cost, every month
        assert "workspaces          Filestore standard 100Gi" in planned.report
