"""`PipelineEngine`: upstream Tekton (its pinned release, the feature-flags the stack owns set by a
transform of the release's own ConfigMap) or OpenShift Pipelines (OLM, then `TektonConfig`), with
the affinity assistant off."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

from .. import kube, limits, names, scheduling, versions
from ..settings import Pipelines, Retention
from ..settings.workloads import job_pruner_channel

TEKTON_NAMESPACE = names.TEKTON_NAMESPACE


FEATURE_FLAGS = "feature-flags"


# Where the release manifest puts its controllers and webhooks.
TEKTON_CONTROLLER_NAMESPACES = (TEKTON_NAMESPACE, "tekton-pipelines-resolvers")


def release_url(version: str) -> str:
    return versions.TEKTON_RELEASE_URL.format(version=version)


def feature_flags(p: Pipelines) -> dict[str, str]:
    """The feature-flags keys the stack owns, as the given Tekton release understands them."""
    disabled = p.affinity_assistant == "disabled"
    flags = {"coschedule": "disabled" if disabled else "workspaces"}
    if p.version_tuple < (1, 0, 0):
        # Removed in v1.0; v0.50-v0.68 read both.
        flags["disable-affinity-assistant"] = "true" if disabled else "false"
    return flags


PRUNER_CONFIG = "tekton-pruner-default-spec"  # the release's own global ConfigMap
PRUNER_WEBHOOK = "validation.webhook.pruner.tekton.dev"


def pruner_config(r: Retention) -> dict[str, Any]:
    """The pruner's `global-config`: per namespace and status (enforcedConfigLevel global), the
    newest runs kept, and a finished run's time to live."""
    config: dict[str, Any] = {
        "enforcedConfigLevel": "global",
        "successfulHistoryLimit": r.successful_runs,
        "failedHistoryLimit": r.failed_runs,
    }
    if r.ttl is not None:
        config["ttlSecondsAfterFinished"] = (limits.go_duration_ns(r.ttl) or 0) // 10**9
    return config


def pruner_transform(config: dict[str, Any]) -> pulumi.ResourceTransform:
    """A transform of the pruner's release: its global ConfigMap holds the stack's retention (one
    owner, as feature-flags), and its validating webhook is created after that ConfigMap, so the
    ConfigMap is not refused by a webhook whose pod is not ready yet (on destroy, the webhook goes
    first, for the same reason)."""

    def transform(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
        props: dict[str, Any] = dict(args.props)  # a rendered manifest object: plain values
        metadata = dict(props.get("metadata") or {})
        if args.type_ == "kubernetes:core/v1:ConfigMap" and metadata.get("name") == PRUNER_CONFIG:
            props["data"] = {**(props.get("data") or {}), "global-config": yaml.safe_dump(config, sort_keys=True)}
        elif (
            args.type_ == "kubernetes:admissionregistration.k8s.io/v1:ValidatingWebhookConfiguration"
            and metadata.get("name") == PRUNER_WEBHOOK
        ):
            annotations = {**(metadata.get("annotations") or {})}
            annotations["config.kubernetes.io/depends-on"] = f"/namespaces/{TEKTON_NAMESPACE}/ConfigMap/{PRUNER_CONFIG}"
            props["metadata"] = {**metadata, "annotations": annotations}
        else:
            return None
        return pulumi.ResourceTransformResult(props=props, opts=args.opts)

    return transform


def openshift_pruner(p: Pipelines) -> dict[str, Any]:
    """TektonConfig's pruners, set to the stack's retention: the event-based one (tektoncd/pruner,
    GA in OpenShift Pipelines 1.21, which `latest` follows) with the same global config as upstream,
    the job-based one off (both at once are refused); before 1.21, the job-based one (`keep`, hourly:
    it counts every finished run, not per status, and has no time to live)."""
    if not job_pruner_channel(p):
        return {
            "pruner": {"disabled": True},
            "tektonpruner": {"disabled": False, "global-config": pruner_config(p.retention)},
        }
    return {
        "pruner": {
            "disabled": False,
            "resources": ["pipelinerun"],
            "keep": p.retention.successful_runs + p.retention.failed_runs,
            "schedule": "0 * * * *",
        }
    }


def feature_flags_transform(flags: dict[str, str]) -> pulumi.ResourceTransform:
    """A transform that sets `flags` in the release manifest's own `tekton-pipelines/feature-flags`."""

    def transform(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
        if args.type_ != "kubernetes:core/v1:ConfigMap":
            return None
        props: dict[str, Any] = dict(args.props)  # a rendered manifest object: plain values
        metadata = props.get("metadata") or {}
        if metadata.get("name") != FEATURE_FLAGS or metadata.get("namespace") != TEKTON_NAMESPACE:
            return None
        props["data"] = {**(props.get("data") or {}), **flags}
        return pulumi.ResourceTransformResult(props=props, opts=args.opts)

    return transform


@dataclass(frozen=True)
class PipelineEngineArgs:
    pipelines: Pipelines  # flavor (resolved), version or channel, affinity assistant
    system_nodes: bool = False  # a system pool (Karpenter's, GKE's): Tekton's controllers run on its tainted nodes
    system_toleration: Mapping[str, str] = field(default_factory=lambda: dict(scheduling.SYSTEM_TOLERATION))


class PipelineEngine(pulumi.ComponentResource):
    """Tekton or OpenShift Pipelines, co-scheduling off; pass the cluster's Kubernetes provider."""

    ready: pulumi.Resource  # what Tasks and Pipelines must wait for (their CRDs)

    def __init__(self, name: str, args: PipelineEngineArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("multiarch:pipelines:Engine", name, None, opts)
        p = args.pipelines
        if p.flavor == "openshift-pipelines":
            self.ready = self._openshift(name, p)
            self.register_outputs({})
        else:
            self.ready = self._tekton(name, p, args.system_nodes, args.system_toleration)
            # What the transforms write into the release: visible to the plan and its diff.
            outputs: dict[str, Any] = {
                "featureFlags": feature_flags(p),
                "pruner": {"version": versions.TEKTON_PRUNER_VERSION, "globalConfig": pruner_config(p.retention)},
            }
            if args.system_nodes:
                outputs["controllersOnSystemNodes"] = {
                    "namespaces": list(TEKTON_CONTROLLER_NAMESPACES),
                    "toleration": dict(args.system_toleration),
                    "preferredPool": names.SYSTEM_POOL,
                }
            self.register_outputs(outputs)

    def _tekton(self, name: str, p: Pipelines, system_nodes: bool, toleration: Mapping[str, str]) -> pulumi.Resource:
        # The release manifest creates `feature-flags`; a transform sets our keys in it, so the
        # ConfigMap has one owner. A second resource patching it would be a second field manager:
        # on the next release bump the two conflict, or the release's defaults silently win and
        # turn the affinity assistant back on.
        on_system = [kube.system_nodes_transform(TEKTON_CONTROLLER_NAMESPACES, toleration)] if system_nodes else []
        release: pulumi.Resource = k8s.yaml.v2.ConfigFile(
            f"{name}-release",
            file=release_url(p.version),
            opts=pulumi.ResourceOptions(
                parent=self, transforms=[feature_flags_transform(feature_flags(p)), *on_system]
            ),
        )
        # The pruner's manifests go into Tekton's namespace, which the release creates.
        k8s.yaml.v2.ConfigFile(
            f"{name}-pruner",
            file=versions.TEKTON_PRUNER_RELEASE_URL.format(version=versions.TEKTON_PRUNER_VERSION),
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[release], transforms=[pruner_transform(pruner_config(p.retention)), *on_system]
            ),
        )
        return release

    def _openshift(self, name: str, p: Pipelines) -> pulumi.Resource:
        subscription = k8s.apiextensions.CustomResource(
            f"{name}-operator",
            api_version="operators.coreos.com/v1alpha1",
            kind="Subscription",
            metadata={"name": versions.OPENSHIFT_PIPELINES_PACKAGE, "namespace": "openshift-operators"},
            spec={
                "channel": p.channel,
                "name": versions.OPENSHIFT_PIPELINES_PACKAGE,
                "source": versions.OLM_CATALOG_SOURCE,
                "sourceNamespace": "openshift-marketplace",
                "installPlanApproval": "Automatic",
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        # The operator creates TektonConfig/config itself: patch only the field the stack owns.
        config: pulumi.Resource = k8s.apiextensions.CustomResourcePatch(
            f"{name}-tekton-config",
            api_version="operator.tekton.dev/v1alpha1",
            kind="TektonConfig",
            metadata={"name": "config", "annotations": {"pulumi.com/patchForce": "true"}},
            spec={
                "pipeline": {"coschedule": "disabled" if p.affinity_assistant == "disabled" else "workspaces"},
                **openshift_pruner(p),
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[subscription]),
        )
        return config
