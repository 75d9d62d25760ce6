"""The replace-on-change table: which input changes recreate a resource, and where each rule comes from."""

from __future__ import annotations

import re

import pytest

from tools import plan, replacerules
from tools.replacerules import EKS_NODE_GROUP, GKE_NODE_POOL, MACHINE_SET

EFS = "aws:efs/fileSystem:FileSystem"
SC = "kubernetes:storage.k8s.io/v1:StorageClass"


@pytest.mark.parametrize(
    ("type_", "path", "source"),
    [
        *(
            (EKS_NODE_GROUP, p, "TF-AWS")
            for p in ("instanceTypes", "amiType", "capacityType", "diskSize", "nodeGroupName", "subnetIds")
        ),
        *((EFS, p, "TF-AWS") for p in ("performanceMode", "encrypted", "kmsKeyId", "creationToken")),
        ("aws:efs/mountTarget:MountTarget", "subnetId", "TF-AWS"),
        ("aws:iam/role:Role", "name", "TF-AWS"),
        (GKE_NODE_POOL, "nodeConfig.spot", "TF-GOOGLE"),
        (GKE_NODE_POOL, "location", "TF-GOOGLE"),
        ("gcp:container/cluster:Cluster", "network", "TF-GOOGLE"),
        ("gcp:container/cluster:Cluster", "ipAllocationPolicy.clusterSecondaryRangeName", "TF-GOOGLE"),
        (SC, "provisioner", "PULUMI-K8S"),
        (SC, "parameters.basePath", "PULUMI-K8S"),
        ("kubernetes:apps/v1:DaemonSet", "spec.selector.matchLabels.app", "PULUMI-K8S"),
        ("aws:eks/cluster:Cluster", "accessConfig.bootstrapClusterCreatorAdminPermissions", "TF-AWS"),
        ("aws:eks/cluster:Cluster", "region", "TF-AWS"),
        (EKS_NODE_GROUP, "launchTemplate.id", "TF-AWS"),
        (GKE_NODE_POOL, "nodeConfig.guestAccelerators[0].type", "TF-GOOGLE"),
        (GKE_NODE_POOL, "networkConfig.podRange", "TF-GOOGLE"),
        ("kubernetes:tekton.dev/v1:Task", "metadata.name", "PULUMI-K8S"),
        ("kubernetes:core/v1:Namespace", "metadata.name", "PULUMI-K8S"),
        ("kubernetes:operator.tekton.dev/v1alpha1:TektonConfigPatch", "metadata.namespace", "PULUMI-K8S"),
        ("kubernetes:helm.sh/v3:Release", "namespace", "HELM"),
        ("aws:eks/accessEntry:AccessEntry", "type", "TF-AWS"),
        ("aws:sqs/queue:Queue", "name", "TF-AWS"),
        ("aws:ec2/tag:Tag", "resourceId", "TF-AWS"),
        (replacerules.KARPENTER_NODE_POOL, "metadata.name", "PULUMI-K8S"),
    ],
)
def test_changes_that_replace(type_: str, path: str, source: str) -> None:
    rule = replacerules.replacing(type_, path)
    assert rule is not None and rule.source == source


@pytest.mark.parametrize(
    ("type_", "path"),
    [
        (EKS_NODE_GROUP, "scalingConfig.maxSize"),
        (EKS_NODE_GROUP, "version"),
        (EKS_NODE_GROUP, "labels.multiarch.dev/pool"),
        (EKS_NODE_GROUP, "instanceTypesExtra"),  # a rule is a path segment, not a prefix of a name
        (EFS, "throughputMode"),
        (EFS, "tags.Name"),
        (GKE_NODE_POOL, "nodeConfig.machineType"),  # in place since provider v5.10: a surge upgrade
        (GKE_NODE_POOL, "autoscaling.totalMaxNodeCount"),
        (SC, "allowVolumeExpansion"),
        (SC, "metadata.labels.app"),
        ("kubernetes:apps/v1:DaemonSet", "spec.template.spec.containers"),
        (MACHINE_SET, "spec.template.spec.providerSpec.value.instanceType"),
        ("kubernetes:helm.sh/v3:Release", "values.image.tag"),
        ("kubernetes:helm.sh/v3:Release", "metadata.name"),  # a release is not an object: its name is `name`
        ("kubernetes:yaml/v2:ConfigFile", "file"),
        ("aws:ec2/tag:Tag", "value"),
        ("aws:sqs/queue:Queue", "messageRetentionSeconds"),
        (replacerules.KARPENTER_NODE_POOL, "spec.limits.cpu"),
        (replacerules.KARPENTER_NODE_POOL, "spec.template.spec.requirements"),
        (replacerules.KARPENTER_NODE_CLASS, "spec.amiSelectorTerms"),
        # Refused, not replaced: the API server refuses them (tests/program/test_diff_rules.py).
        (SC, "reclaimPolicy"),
        (replacerules.KARPENTER_NODE_POOL, "spec.template.spec.nodeClassRef.kind"),
        # The audit's false alarms: updated in place.
        ("gcp:container/cluster:Cluster", "privateClusterConfig.enablePrivateNodes"),
        ("gcp:container/cluster:Cluster", "ipAllocationPolicy.stackType"),
        ("gcp:container/cluster:Cluster", "nodeConfig.machineType"),
        (GKE_NODE_POOL, "networkConfig.enablePrivateNodes"),
        (GKE_NODE_POOL, "placementPolicy.type"),
        ("aws:eks/cluster:Cluster", "encryptionConfig.resources"),  # a condition: only its removal replaces
        # Providers: updated in place (pulumi-aws 7, pulumi-gcp); the kubernetes one on its active cluster only.
        ("pulumi:providers:aws", "region"),
        ("pulumi:providers:gcp", "project"),
        ("pulumi:providers:kubernetes", "kubeconfig"),
    ],
)
def test_changes_in_place(type_: str, path: str) -> None:
    assert replacerules.replacing(type_, path) is None


def test_karpenter_template_changes_say_nodes_drift_but_builds_stay() -> None:
    for type_, path in (
        (replacerules.KARPENTER_NODE_POOL, "spec.template.spec.requirements"),
        (replacerules.KARPENTER_NODE_CLASS, "spec.amiSelectorTerms"),
    ):
        found = replacerules.note(type_, path)
        assert found is not None and "do-not-disrupt" in found.note and found.source == "KARPENTER"
    assert replacerules.note(replacerules.KARPENTER_NODE_POOL, "spec.limits.cpu") is None


def test_machine_set_template_changes_say_they_replace_no_machine() -> None:
    note = replacerules.note(MACHINE_SET, "spec.template.spec.providerSpec.value.instanceType")
    assert note is not None and "no existing Machine changes" in note.note and note.source == "MACHINE-API"
    assert replacerules.note(MACHINE_SET, "spec.replicas") is None


@pytest.mark.parametrize(
    ("rule", "path", "covered"),
    [
        ("parameters", "parameters", True),
        ("parameters", "parameters.fileSystemId", True),
        ("parameters", "parametersX", False),
        ("spec.selector", "spec.selector.matchLabels.app", True),
        ("spec.selector", "spec.template", False),
        ("nodeConfig.*", "nodeConfig.labels", True),
        ("scalingConfig.desiredSize", "scalingConfig.desiredSize", True),
        ("scalingConfig.desiredSize", "scalingConfig.maxSize", False),
        ("spec", "spec[x86].replicas", True),
        ("nodeConfig.guestAccelerators.type", "nodeConfig.guestAccelerators[0].type", True),
        ("spec.steps.script", "spec.steps[build].script", True),
    ],
)
def test_covers(rule: str, path: str, covered: bool) -> None:
    assert replacerules.covers(rule, path) is covered


def test_every_rule_names_a_documented_source() -> None:
    doc = replacerules.__doc__ or ""
    documented = set(re.findall(r"^- ([A-Z0-9-]+):", doc, re.M))
    assert {"TF-AWS", "TF-GOOGLE", "PULUMI-K8S", "K8S-API", "HELM", "MACHINE-API", "KARPENTER", "ENGINE"} <= documented
    everything = [*replacerules.KUBERNETES_OBJECT, *(r for rules in replacerules.RULES.values() for r in rules)]
    everything += [n for notes in replacerules.NOTES.values() for n in notes]  # type: ignore[misc]
    assert {r.source for r in everything} <= documented
    # Each rule says where it comes from: the upstream file and line (the catalog's) or the API's function.
    assert all(r.where for rules in replacerules.RULES.values() for r in rules)


def test_refused_fields_say_what_to_do_instead() -> None:
    refused = [r for rules in replacerules.IMMUTABLE.values() for r in rules]
    assert refused and all(r.effect == "refused" and r.way_out and r.where for r in refused)
    assert {r.path for r in replacerules.IMMUTABLE[SC]} == {"reclaimPolicy", "volumeBindingMode"}
    assert {r.path for r in replacerules.IMMUTABLE[replacerules.KARPENTER_NODE_POOL]} == {
        "spec.template.spec.nodeClassRef.group",
        "spec.template.spec.nodeClassRef.kind",
        "spec.replicas",
    }


def test_the_table_covers_every_resource_type_the_stacks_declare() -> None:
    """A type without rules would be reported as updated in place whatever changed."""
    declared: set[str] = set()
    for stack in ("dev", "prod", "gke-dev", "openshift-dev", "karpenter-dev"):
        declared |= {r.type for r in plan.make(stack, policies=False).recording.resources if r.custom}
    missing = {t for t in declared if t not in replacerules.RULES and not replacerules.is_kubernetes_object(t)}
    assert missing == set()
