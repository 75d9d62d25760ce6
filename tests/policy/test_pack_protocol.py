"""The pack served over the analyzer protocol, as the engine drives it, and the plan's verdicts."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import yaml

from tools import mockengine, plan, policyrun, stackfile


def violating_dev(tmp_path: Path, **runner: Any) -> Path:
    doc = yaml.safe_load((stackfile.STACKS / "Pulumi.dev.yaml").read_text())
    doc["config"]["multiarch:gitlabRunner"].update(runner)
    path = tmp_path / "Pulumi.violating.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_pack_over_the_analyzer_protocol() -> None:
    stack = stackfile.load("dev")
    cfg = copy.deepcopy(stack.config)
    cfg["multiarch:gitlabRunner"]["privileged"] = True
    cfg["multiarch:nodePools"] = cfg["multiarch:nodePools"][:1]
    rec = mockengine.run_main(cfg, stack="protocol", secret_keys=stack.secret_keys)
    found = policyrun.run_pack(rec.resources)
    assert (
        policyrun.Violation(
            "gitlab-runner-jobs-unprivileged",
            "mandatory",
            "gitlab-runner release gitlab-runner: job pods are privileged (runners.kubernetes.privileged = true)",
            "kubernetes:helm.sh/v3:Release gitlab-runner",
        )
        in found
    )
    stack_level = [v for v in found if v.resource == "stack"]
    assert [v.policy for v in stack_level] == ["multi-arch-pools"]
    assert stack_level[0].level == "advisory"
    # The secret token reached the pack as a secret and produced no plaintext-secret verdict.
    assert not [v for v in found if v.policy == "no-plaintext-secrets"]


def run_plan(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return plan.main(list(argv), out=out, err=out), out.getvalue()


def test_privileged_runner_fails_the_plan(tmp_path: Path) -> None:
    code, out = run_plan(str(violating_dev(tmp_path, privileged=True)), "--out", str(tmp_path / "o"))
    assert code == 1
    assert (
        "[mandatory] gitlab-runner-jobs-unprivileged: kubernetes:helm.sh/v3:Release gitlab-runner: gitlab-runner "
        "release gitlab-runner: job pods are privileged (runners.kubernetes.privileged = true)"
    ) in out


def test_wide_overwrite_regex_fails_the_plan(tmp_path: Path) -> None:
    code, out = run_plan(str(violating_dev(tmp_path, nodeSelectorOverwriteAllowed=".*")), "--out", str(tmp_path / "o"))
    assert code == 1
    assert "[mandatory] gitlab-runner-jobs-unprivileged: kubernetes:helm.sh/v3:Release gitlab-runner:" in out
    assert "node_selector_overwrite_allowed '.*' must limit jobs to the kubernetes.io/arch label" in out
    doc = json.loads((tmp_path / "o" / "plan.json").read_text())
    assert any(v["policy"] == "gitlab-runner-jobs-unprivileged" and v["level"] == "mandatory" for v in doc["verdicts"])


def test_dev_plan_is_clean_with_schema_checked_manifests_and_a_diagram(tmp_path: Path) -> None:
    code, out = run_plan("dev", "--out", str(tmp_path))
    assert code == 0, out
    assert "0 mandatory, 0 advisory" in out
    assert "14 Kubernetes objects schema-checked" in out
    mermaid = (tmp_path / "diagram.mmd").read_text()
    assert mermaid.startswith("flowchart LR")
    assert "multiarch:eks:NodePools<br/>build-multiarch-pools" in mermaid
    assert "aws provider" in mermaid and "kubernetes provider" in mermaid
    assert " -.-> " in mermaid  # dependencies
    assert (tmp_path / "diagram.dot").read_text().startswith("digraph stack {")


def test_the_docs_show_the_dev_diagram() -> None:
    from tools import diagram

    stack = stackfile.load("dev")
    rec = mockengine.run_main(stack.config, stack=stack.name, secret_keys=stack.secret_keys)
    assert diagram.components(rec) in (stackfile.ROOT / "docs" / "policy.md").read_text()


def test_schema_failures_are_mandatory_verdicts() -> None:
    from tools import schemas

    rec = mockengine.Recording("x")
    bad = mockengine.Registered(
        urn="u",
        type="kubernetes:core/v1:Namespace",
        name="ns",
        custom=True,
        parent="",
        provider="",
        inputs={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}, "spec": {"bogus": 1}},
        dependencies=[],
        protect=False,
        retain_on_delete=False,
        ignore_changes=[],
        delete_before_replace=False,
        aliases=[],
    )
    rec.resources.append(bad)
    failures = schemas.check(rec.kubernetes_objects(), "1.33")
    assert len(failures) == 1 and failures[0].resource == "kubernetes:core/v1:Namespace ns"
    assert "Namespace does not match Kubernetes 1.33" in failures[0].message
