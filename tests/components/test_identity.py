"""One physical object, one owner: two resources that would create the same object stop the program."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest

from components import identity, kube, runner, settings
from tools import mockengine


def test_two_components_creating_one_namespace_are_a_configuration_error() -> None:
    def program() -> None:
        identity.watch()
        r = settings.GitLabRunner.model_validate({"namespace": "builds"})
        runner.GitLabRunnerRelease("gitlab-runner", runner.GitLabRunnerArgs(runner=r, token="glrt-x"))
        from components import pipelines

        pipelines.BuildPipeline("build-pipeline", pipelines.BuildPipelineArgs(namespace="builds", arches=("amd64",)))

    with pytest.raises(settings.ConfigError) as exc:
        mockengine.run(program, {}, stack="t")
    assert exc.value.errors == [
        "multiarch:gitlabRunner and multiarch:pipelines: resources gitlab-runner-ns and build-pipeline-ns would both "
        "create Namespace builds; one object has one owner: give one of them another name"
    ]


def test_two_iam_roles_of_one_name_are_caught_inside_one_component() -> None:
    class Thing(pulumi.ComponentResource):
        def __init__(self, name: str) -> None:
            super().__init__("multiarch:test:Thing", name)
            for suffix in ("a", "b"):
                aws.iam.Role(
                    f"{name}-{suffix}",
                    name="same-role",
                    assume_role_policy="{}",
                    opts=pulumi.ResourceOptions(parent=self),
                )

    def program() -> None:
        identity.watch()
        Thing("thing")

    with pytest.raises(settings.ConfigError) as exc:
        mockengine.run(program, {}, stack="t")
    assert exc.value.errors == [
        "the multiarch:test:Thing component: resources thing-a and thing-b would both create IAM role same-role; "
        "one object has one owner: give one of them another name"
    ]


def test_patches_and_distinct_objects_are_not_collisions() -> None:
    def program() -> None:
        identity.watch()
        parent = pulumi.ComponentResource("multiarch:gitlab:Runner", "r")
        kube.namespace("ns-a", "a", "baseline", parent=parent)
        kube.namespace("ns-b", "b", "baseline", parent=parent)
        for n in ("p1", "p2"):  # two patches of one object set fields; neither creates it
            k8s.core.v1.ConfigMapPatch(n, metadata={"name": "cm", "namespace": "a"}, data={n: "x"})

    rec = mockengine.run(program, {}, stack="t")
    assert len(rec.by_type("kubernetes:core/v1:ConfigMapPatch")) == 2


@pytest.mark.parametrize(
    ("type_", "props", "expected"),
    [
        ("kubernetes:core/v1:Namespace", {"metadata": {"name": "builds"}}, "Namespace builds"),
        ("kubernetes:core/v1:ServiceAccount", {"metadata": {"name": "sa", "namespace": "ci"}}, "ServiceAccount ci/sa"),
        (
            "kubernetes:core/v1:ServiceAccount",
            {"metadata": {"name": "sa", "namespace": pulumi.Output.from_input("ci")}},
            None,
        ),
        ("kubernetes:core/v1:ConfigMapPatch", {"metadata": {"name": "cm", "namespace": "ci"}}, None),
        (
            "kubernetes:helm.sh/v3:Release",
            {"name": "gitlab-runner", "namespace": "ci"},
            "Helm release ci/gitlab-runner",
        ),
        ("aws:eks/nodeGroup:NodeGroup", {"node_group_name": "c-x86"}, "EKS node group c-x86"),
        ("aws:s3/bucket:Bucket", {"bucket": "b"}, None),
    ],
)
def test_what_counts_as_the_object(type_: str, props: dict[str, object], expected: str | None) -> None:
    assert identity.physical_object(type_, props) == expected
