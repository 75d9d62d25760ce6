"""The repository's own GitLab pipeline and the changed-stacks helper it uses."""

from __future__ import annotations

import pytest
import yaml

from tools import changed_stacks, stackfile

KNOWN = ["dev", "gke-computeclass-dev", "gke-dev", "karpenter-dev", "openshift-dev", "prod"]


@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        (["stacks/Pulumi.prod.yaml"], ["prod"]),
        (["stacks/Pulumi.dev.yaml", "README.md"], ["dev"]),
        (["components/storage.py"], KNOWN),
        (["policy/policies.py"], KNOWN),
        (["README.md", "tests/unit/test_arch.py"], []),
        (["stacks/Pulumi.gone.yaml"], []),
    ],
)
def test_stacks_for(changed: list[str], expected: list[str]) -> None:
    assert changed_stacks.stacks_for(changed, KNOWN) == expected


def test_all_stacks_are_the_committed_files() -> None:
    assert changed_stacks.all_stacks() == KNOWN


def test_pipeline_plans_on_merge_requests_and_gates_production() -> None:
    ci = yaml.safe_load((stackfile.ROOT / ".gitlab-ci.yml").read_text())
    assert ci["stages"] == ["test", "plan", "preview", "deploy"]
    assert "tools.plan" in " ".join(ci["plan"]["script"])
    assert ci["plan"]["rules"][0]["if"] == '$CI_PIPELINE_SOURCE == "merge_request_event"'
    assert "--policy-pack policy" in " ".join(ci["preview"]["script"])
    assert ci["deploy-prod"]["rules"][0]["when"] == "manual"
    assert ci["deploy-prod"]["environment"]["name"] == "production"
    assert "pulumi up --yes --stack" in " ".join(ci[".deploy"]["script"])
