"""`PipelineEngine`: upstream Tekton (its pinned release, the feature-flags the stack owns set by a
transform of the release's own ConfigMap) or OpenShift Pipelines (OLM, then `TektonConfig`), with
the affinity assistant off."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from .. import kube, names, scheduling, versions
from ..settings import Pipelines

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
            outputs: dict[str, Any] = {"featureFlags": feature_flags(p)}
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
        release: pulumi.Resource = k8s.yaml.v2.ConfigFile(
            f"{name}-release",
            file=release_url(p.version),
            opts=pulumi.ResourceOptions(
                parent=self,
                transforms=[
                    feature_flags_transform(feature_flags(p)),
                    *([kube.system_nodes_transform(TEKTON_CONTROLLER_NAMESPACES, toleration)] if system_nodes else []),
                ],
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
            spec={"pipeline": {"coschedule": "disabled" if p.affinity_assistant == "disabled" else "workspaces"}},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[subscription]),
        )
        return config
