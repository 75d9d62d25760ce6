"""The merge-request review (`tools.review`), end to end on a copy of this repository with a change."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tools import changed_stacks, diff, review, stackfile


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """This repository's files (tracked and new, not ignored) in a fresh git repository, committed."""
    yield changed_stacks.snapshot(tmp_path_factory.mktemp("repo"))


def run_review(repo: Path, base: str, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.review", base, "--out", str(out)],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_blocked_stack_change_is_held_by_a_manual_gate(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = repo / "stacks" / "Pulumi.dev.yaml"
    original = path.read_text()
    doc = yaml.safe_load(original)
    doc["config"]["multiarch:storage"]["efs"]["performanceMode"] = "maxIO"
    doc["config"]["multiarch:storage"]["efs"]["throughputMode"] = "bursting"  # EFS refuses maxIO with elastic
    doc["config"]["multiarch:nodePools"][1]["maxSize"] = 8
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    # Only a stack file changed: the review plans both sides with this program, so in this process.
    monkeypatch.setattr(stackfile, "ROOT", repo)
    monkeypatch.setattr(stackfile, "STACKS", repo / "stacks")
    out, err = io.StringIO(), io.StringIO()
    try:
        code = review.main(["HEAD", "--out", str(tmp_path)], out=out, err=err)
    finally:
        path.write_text(original)
    assert code == diff.EXIT_BLOCKED, err.getvalue()
    assert out.getvalue() == "dev: exit 3 (base: HEAD:stacks/Pulumi.dev.yaml)\n"
    report = json.loads((tmp_path / "dev.json").read_text())
    assert [b["name"] for b in report["blocked"]] == ["build-multiarch-efs-fs"]
    # 6 replaced (file system, its mount targets, backup policy, StorageClass), 1 updated.
    assert json.loads((tmp_path / "tfplan.json").read_text()) == {
        "create": 6, "update": 1, "delete": 6, "costComplete": True, "costIncomplete": ""
    }  # fmt: skip
    assert "### ⛔ Stack `dev` (eks): BLOCKED" in (tmp_path / "review.md").read_text()
    gate = yaml.safe_load((tmp_path / "gate.yml").read_text())
    job = gate["accept-blocked-dev"]
    assert (job["when"], job["allow_failure"]) == ("manual", False)
    assert any("build-multiarch-efs-fs" in line for line in job["script"])
    assert gate["default"]["image"] == yaml.safe_load((repo / ".gitlab-ci.yml").read_text())["default"]["image"]


def test_a_program_change_is_reviewed_against_the_base_program(repo: Path, tmp_path: Path) -> None:
    versions = repo / "components" / "versions.py"
    original = versions.read_text()
    versions.write_text(original.replace("qemu-v9.2.2", "qemu-v9.2.3"))
    try:
        proc = run_review(repo, "HEAD", tmp_path)
    finally:
        versions.write_text(original)
    assert proc.returncode == diff.EXIT_SAFE, proc.stderr
    stacks = ["dev", "gke-computeclass-dev", "gke-dev", "karpenter-dev", "openshift-dev", "prod"]
    assert [line.split(":")[0] for line in proc.stdout.splitlines()] == stacks
    assert all(f"(base: {tmp_path}/base/{s}/plan.json)" in proc.stdout for s in stacks)
    # The base side, with the base revision's program: every stack planned in one interpreter.
    base = json.loads((tmp_path / "base" / "plans.json").read_text())
    assert sorted(base) == stacks and {b["exit"] for b in base.values()} == {0}
    assert len({b["pid"] for b in base.values()}) == 1 and base["dev"]["pid"] != os.getpid()
    for stack in stacks:
        doc = json.loads((tmp_path / f"{stack}.json").read_text())
        acted = [r for r in doc["resources"] if r["action"] != "same"]
        assert [(r["type"], r["action"]) for r in acted] == [("kubernetes:apps/v1:DaemonSet", "update")], stack
        assert "qemu-v9.2.3" in json.dumps(acted[0]["changes"])
    gate = yaml.safe_load((tmp_path / "gate.yml").read_text())
    assert set(gate) == {"default", "nothing-blocked"}


def test_no_change_reviews_nothing(repo: Path, tmp_path: Path) -> None:
    proc = run_review(repo, "HEAD", tmp_path)
    assert proc.returncode == 0 and proc.stdout == ""
    assert (tmp_path / "review.md").read_text() == "No stack is touched by this change.\n"
    assert json.loads((tmp_path / "tfplan.json").read_text()) == {
        "create": 0, "update": 0, "delete": 0, "costComplete": True, "costIncomplete": ""
    }  # fmt: skip


def test_the_pipeline_runs_the_review_and_gates_blocked_changes() -> None:
    ci = yaml.safe_load((stackfile.ROOT / ".gitlab-ci.yml").read_text())
    job = ci["review"]
    assert "tools.review" in " ".join(job["script"]) and "$CI_MERGE_REQUEST_DIFF_BASE_SHA" in " ".join(job["script"])
    assert job["allow_failure"] == {"exit_codes": [diff.EXIT_BLOCKED]}  # 1 and 2 fail the pipeline
    assert job["artifacts"]["reports"]["terraform"] == "build/review/tfplan.json"
    assert "build/review/" in job["artifacts"]["paths"]
    gate = ci["review-gate"]
    assert gate["needs"] == ["review"]
    assert gate["trigger"] == {
        "include": [{"artifact": "build/review/gate.yml", "job": "review"}],
        "strategy": "depend",
    }
    assert review.OVERRIDE_JOB.format(stack="dev") == "accept-blocked-dev"
