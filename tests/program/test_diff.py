"""Change review (`tools.diff`): what a change to a stack does, offline, resource by resource."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from components import versions
from tools import diff, mockengine, plan, replacerules, stackfile

ROOT = stackfile.ROOT
FS = "aws:efs/fileSystem:FileSystem"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"


def changed(tmp_path: Path, stack: str, edit: Callable[[dict[str, Any]], None], name: str = "changed") -> str:
    """`stack`'s file with `edit` applied to its `config:` mapping, written as a new stack file."""
    doc = yaml.safe_load((stackfile.STACKS / f"Pulumi.{stack}.yaml").read_text())
    edit(doc["config"])
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return str(path)


def run_diff(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = diff.main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def as_json(*argv: str) -> tuple[int, dict[str, Any]]:
    code, out, err = run_diff(*argv, "--format", "json")
    assert out, err
    return code, json.loads(out)


def changes(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The resources that change, by name (components' outputs are context, not changes)."""
    return {r["name"]: r for r in doc["resources"] if r["action"] != "same" and r["counted"]}


def pool(index: int, **values: Any) -> Callable[[dict[str, Any]], None]:
    def edit(config: dict[str, Any]) -> None:
        config["multiarch:nodePools"][index].update(values)

    return edit


def efs(**values: Any) -> Callable[[dict[str, Any]], None]:
    def edit(config: dict[str, Any]) -> None:
        config["multiarch:storage"]["efs"].update(values)

    return edit


# --- 1. a canonical plan ---------------------------------------------------------------------


def test_two_plans_of_a_stack_are_byte_identical_across_interpreters(tmp_path: Path) -> None:
    # A fresh interpreter, and this one: two processes, two hash seeds, two registration orders.
    a, b = tmp_path / "a", tmp_path / "b"
    proc = subprocess.run(
        [sys.executable, "-m", "tools.plan", "dev", "--out", str(a)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert plan.main(["dev", "--out", str(b)], out=io.StringIO(), err=io.StringIO()) == 0
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file() and p.suffix != ".png")
    assert Path("plan.json") in files and len(files) > 10
    for f in files:
        assert (a / f).read_bytes() == (b / f).read_bytes(), f
    doc = json.loads((a / "plan.json").read_text())
    urns = [r["urn"] for r in doc["resources"]]
    assert urns == sorted(urns)
    assert all(r["dependencies"] == sorted(r["dependencies"]) for r in doc["resources"])


# --- 2. classification: the done-means cases ------------------------------------------------


def test_raising_max_size_is_a_single_in_place_update(tmp_path: Path) -> None:
    code, doc = as_json("stacks/Pulumi.dev.yaml", changed(tmp_path, "dev", pool(1, maxSize=8)))
    assert code == diff.EXIT_SAFE
    assert doc["summary"] == {"create": 0, "update": 1, "replace": 0, "delete": 0, "same": doc["summary"]["same"]}
    (only,) = changes(doc).values()
    assert (only["type"], only["name"], only["action"]) == (NODE_GROUP, "build-multiarch-pools-arm64", "update")
    assert only["changes"] == [
        {"path": "scalingConfig.maxSize", "old": 5, "new": 8, "secret": False, "forcesReplacement": False}
    ]
    assert doc["cost"]["delta"]["atMax"] > 0 and doc["cost"]["delta"]["atMin"] == 0


def test_changing_an_instance_type_replaces_that_node_group_and_updates_the_runner_limits(tmp_path: Path) -> None:
    code, out, _ = run_diff("dev", changed(tmp_path, "dev", pool(1, instanceType="m6g.4xlarge")))
    assert code == diff.EXIT_SAFE  # no controller lives on the arm64 pool (it idles at zero)
    rows = re.findall(r"^  (\w+) +(\S+) (\S+)", out, re.M)
    # The node group is replaced; the runner's config.toml follows the pools' largest nodes (the
    # most a job may request), an update of its Helm release.
    assert [r for r in rows if r[0] != "context"] == [
        ("replace", NODE_GROUP, "build-multiarch-pools-arm64"),
        ("update", "kubernetes:helm.sh/v3:Release", "gitlab-runner"),
    ]
    assert 'instanceTypes: ["m6g.2xlarge"] → ["m6g.4xlarge"]' in out
    assert "forces replacement: instanceTypes: an EKS managed node group cannot change this in place [TF-AWS]" in out
    assert "up to 5 node(s) of pool arm64 are drained, and builds running on pool arm64 are interrupted" in out
    assert "Summary: 1 to replace, 1 to update, 0 to create, 0 to delete" in out


def test_renaming_the_storage_class_replaces_the_class_and_leaves_the_file_system(tmp_path: Path) -> None:
    def rename(config: dict[str, Any]) -> None:
        config["multiarch:storage"]["efs"]["storageClass"]["name"] = "efs-shared"

    code, doc = as_json("dev", changed(tmp_path, "dev", rename))
    assert code == diff.EXIT_SAFE
    by_type = {r["type"]: r for r in changes(doc).values()}
    # The class, and the PipelineRun template that names it (runs started from it bind the new class).
    assert sorted(by_type) == ["kubernetes:core/v1:ConfigMap", STORAGE_CLASS]
    template = by_type["kubernetes:core/v1:ConfigMap"]
    assert template["name"] == "build-pipeline-run-template" and template["action"] == "replace"
    assert "storageClassName: efs-shared" in json.dumps(template["changes"])
    assert by_type[STORAGE_CLASS]["action"] == "replace"
    assert by_type[STORAGE_CLASS]["reasons"][0]["path"] == "metadata.name"
    fs = next(r for r in doc["resources"] if r["type"] == FS)
    assert fs["action"] == "same" and doc["blocked"] == []
    assert (
        "replace of StorageClass efs-csi: replaced by efs-shared. Claims that name efs-csi stay Pending once it is "
        "gone; volumes already bound keep working. PipelineRuns that name StorageClass efs-csi (those started from "
        "the run template ConfigMap multiarch-pipelinerun, which now names efs-shared) fail to bind their workspaces "
        "once it is gone: start runs from the new template."
    ) in doc["risks"]


def test_changing_the_performance_mode_of_a_created_file_system_is_blocked(tmp_path: Path) -> None:
    code, out, _ = run_diff("dev", changed(tmp_path, "dev", efs(performanceMode="maxIO", throughputMode="bursting")))
    assert code == diff.EXIT_BLOCKED
    assert "performanceMode: generalPurpose → maxIO" in out
    blocked = out.split("BLOCKED: ", 1)[1]
    assert blocked.startswith(f"replace of {FS} build-multiarch-efs-fs, which is protected and retained on delete")
    assert "performanceMode: EFS cannot change this on an existing file system [TF-AWS]" in blocked
    assert "pulumi state unprotect 'urn:pulumi:dev::multiarch::multiarch:storage:Efs$" + FS in blocked
    assert "aws efs delete-file-system" in blocked
    assert "Result: BLOCKED" in out
    # What depends on the file system's id is replaced with it, and says so.
    code, doc = as_json("dev", changed(tmp_path, "dev", efs(performanceMode="maxIO", throughputMode="bursting")))
    mounts = [r for r in doc["resources"] if r["type"] == "aws:efs/mountTarget:MountTarget"]
    assert len(mounts) == 3 and all(r["action"] == "replace" for r in mounts)
    assert all(r["reasons"][0]["cascade"] == f"{FS} build-multiarch-efs-fs" for r in mounts)
    assert [b["name"] for b in doc["blocked"]] == ["build-multiarch-efs-fs"]


def test_an_existing_file_system_is_not_blocked_when_the_class_changes(tmp_path: Path) -> None:
    """A file system the stack only references (`fileSystemId` set) is not the stack's to lose."""

    def adopt(config: dict[str, Any]) -> None:
        config["multiarch:storage"]["efs"]["fileSystemId"] = "fs-0123456789abcdef0"

    base = changed(tmp_path, "dev", adopt, "base")

    def both(config: dict[str, Any]) -> None:
        adopt(config)
        config["multiarch:storage"]["efs"]["storageClass"]["basePath"] = "/builds"

    code, doc = as_json(base, changed(tmp_path, "dev", both), "--stack", "dev")
    assert code == diff.EXIT_SAFE
    assert {r["type"] for r in changes(doc).values()} == {STORAGE_CLASS}
    assert not any(r["type"] == FS for r in doc["resources"])


def test_autoscaler_owned_sizes_are_not_a_change(tmp_path: Path) -> None:
    code, doc = as_json("dev", changed(tmp_path, "dev", pool(1, desiredSize=3)))
    assert code == diff.EXIT_SAFE
    assert changes(doc) == {}
    group = next(r for r in doc["resources"] if r["name"] == "build-multiarch-pools-arm64")
    assert [c["path"] for c in group["ignored"]] == ["scalingConfig.desiredSize"]
    _, out, _ = run_diff("dev", changed(tmp_path, "dev", pool(1, desiredSize=3)))
    assert "not applied (ignoreChanges: owned outside the stack): scalingConfig.desiredSize: 1 → 3" in out


def test_a_new_region_replaces_each_regional_resource_through_its_own_region(tmp_path: Path) -> None:
    """pulumi-aws 7: the provider is updated; every regional resource is replaced by its own
    `region` (copied from the provider's); IAM is global and stays."""

    def move(config: dict[str, Any]) -> None:
        config["aws:region"] = "eu-west-1"

    code, doc = as_json("dev", changed(tmp_path, "dev", move))
    assert code == diff.EXIT_BLOCKED
    aws = [r for r in doc["resources"] if r["type"].startswith("aws:")]
    regional = [r for r in aws if r["type"] in replacerules.REGIONAL]
    assert regional and all(r["action"] == "replace" and r["reasons"][0]["path"] == "region" for r in regional)
    group = next(r for r in regional if r["type"] == NODE_GROUP)
    assert group["changes"] == [
        {"path": "region", "old": "eu-west-3", "new": "eu-west-1", "secret": False, "forcesReplacement": True}
    ]
    assert group["reasons"][0]["where"].startswith(
        "hashicorp/terraform-provider-aws internal/provider/sdkv2/region.go:111"
    )
    iam = [r for r in aws if r["type"].startswith("aws:iam/")]
    assert iam and all(r["action"] in ("same", "update") for r in iam)
    (provider,) = [r for r in doc["resources"] if r["type"] == "pulumi:providers:aws"]
    assert provider["action"] == "update" and [c["path"] for c in provider["changes"]] == ["region"]


# --- secrets, aliases ------------------------------------------------------------------------


def test_a_rotated_secret_says_only_that_it_changed(tmp_path: Path) -> None:
    def rotate(config: dict[str, Any]) -> None:
        config["multiarch:gitlabRunnerToken"] = {"secure": "AAABAG5ldy1jaXBoZXJ0ZXh0LWZvci1hLXJvdGF0ZWQtdG9rZW4="}

    head = changed(tmp_path, "dev", rotate)
    code, out, _ = run_diff("dev", head)
    assert code == diff.EXIT_SAFE
    assert "[secret] changed" in out
    _, doc = as_json("dev", head)
    secret_changes = [c for r in doc["resources"] for c in r["changes"] if c["secret"]]
    assert secret_changes and all(c["old"] == c["new"] == "[secret]" for c in secret_changes)
    everything = out + json.dumps(doc) + run_diff("dev", head, "--format", "markdown")[1]
    assert stackfile.PLACEHOLDERS["multiarch:gitlabRunnerToken"] not in everything
    # The same secret on both sides is no change at all.
    assert changes(as_json("dev", "stacks/Pulumi.dev.yaml")[1]) == {}


def role(resource_name: str, role_name: str, aliases: list[str] | None = None) -> diff.Resource:
    """An IAM role resource `resource_name` (its URN) creating the role `role_name` (in the cloud)."""
    urn = f"urn:pulumi:dev::multiarch::aws:iam/role:Role::{resource_name}"
    inputs = {"name": role_name}
    return diff.Resource(urn, "aws:iam/role:Role", resource_name, True, "", inputs, {}, False, False, [], aliases or [])


def side(*resources: diff.Resource) -> diff.Side:
    return diff.Side("t", "dev", "eks", {r.urn: r for r in resources}, {}, [])


def test_a_rename_that_carries_its_alias_is_not_a_replacement() -> None:
    old = role("nodes", "build-nodes")
    renamed = role("pool-nodes", "build-nodes", [old.urn])
    (item,) = diff.classify(side(old), side(renamed))
    assert (item.action, item.renamed_from) == ("same", old.urn)
    # Without the alias it is a delete and a create.
    actions = sorted(i.action for i in diff.classify(side(old), side(role("pool-nodes", "build-nodes"))))
    assert actions == ["create", "delete"]
    # With the alias but a new physical name, it is the resource's own rule that replaces it.
    (item,) = diff.classify(side(old), side(role("pool-nodes", "other", [old.urn])))
    assert item.action == "replace" and item.reasons[0].path == "name"


def test_aliases_declared_in_the_program_reach_the_plan() -> None:
    """The mock engine records an alias spec as the URN it names: the resource's URN before the rename."""
    import pulumi

    from tools import mockengine

    class Group(pulumi.ComponentResource):
        def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
            super().__init__("multiarch:test:Group", name, None, opts)
            self.register_outputs({})

    def before() -> None:
        Group("old", pulumi.ResourceOptions(parent=Group("g")))
        Group("top-old")

    def after() -> None:
        Group("renamed", pulumi.ResourceOptions(parent=Group("g"), aliases=[pulumi.Alias(name="old")]))
        Group("top-renamed", pulumi.ResourceOptions(aliases=[pulumi.Alias(name="top-old")]))

    old = {r.name: r.urn for r in mockengine.run(before, {}, stack="dev").resources}
    new = {r.name: r.aliases for r in mockengine.run(after, {}, stack="dev").resources}
    assert new["renamed"] == [old["old"]]
    assert new["top-renamed"] == [old["top-old"]]


# --- upgrades apply cleanly -----------------------------------------------------------------


def _bumped(value: str) -> str:
    """The next patch (or minor, when there is no patch) of the first version in `value`."""
    m = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", value)
    assert m is not None, value
    last = 3 if m[3] is not None else 2
    return value[: m.start(last)] + str(int(m[last]) + 1) + value[m.end(last) :]


# Pinned versions: defaults a stack overrides (Tekton, Kubernetes) are bumped through the stack below.
PINS = sorted(
    name
    for name, value in vars(versions).items()
    if isinstance(value, str)
    and name.endswith(("_VERSION", "_IMAGE"))
    and "DEFAULT" not in name
    and re.search(r"\d+\.\d+", value)
)


def test_the_pins_under_test_are_every_pinned_version() -> None:
    assert _bumped("v1.24.0-debug") == "v1.24.1-debug" and _bumped("3.10") == "3.11"
    assert {"GITLAB_RUNNER_CHART_VERSION", "EFS_CSI_ADDON_VERSION", "BUILDAH_IMAGE", "BINFMT_IMAGE"} <= set(PINS)
    assert "CLUSTER_AUTOSCALER_IMAGE" not in PINS  # a repository: its tag is pinned in CLUSTER_AUTOSCALER


@pytest.mark.parametrize("stack", ["dev", "gke-dev", "openshift-dev"])
def test_bumping_every_pinned_version_is_update_only(
    stack: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mockengine, "MEMO", None)  # the program changes in memory, not in its files
    base = diff.load_side(stack, tmp_path)
    originals = {name: getattr(versions, name) for name in PINS}
    bumped = {name: _bumped(value) for name, value in originals.items()}
    for name, value in bumped.items():
        monkeypatch.setattr(versions, name, value)
    autoscaler = {k: (_bumped(chart), _bumped(tag)) for k, (chart, tag) in versions.CLUSTER_AUTOSCALER.items()}
    monkeypatch.setattr(versions, "CLUSTER_AUTOSCALER", autoscaler)
    head = diff.load_side(stack, tmp_path)
    review = diff.review(base, head)
    actions = {i.action for i in review.items}
    assert actions <= {"same", "update"}, [(i.action, i.resource.name, i.reasons) for i in review.items]
    assert review.exit_code == diff.EXIT_SAFE
    # Every pin this stack deploys (its value is in the base plan) shows up as an update.
    before = json.dumps([r.inputs for r in base.resources.values()], default=str)
    after = json.dumps([c.new for i in review.items for c in i.changes], default=str)
    deployed = {name for name in PINS if originals[name] in before}
    assert deployed and {name for name in deployed if bumped[name] in after} == deployed
    if stack == "dev":
        assert {"GITLAB_RUNNER_CHART_VERSION", "EFS_CSI_ADDON_VERSION", "BINFMT_IMAGE"} <= deployed
        assert any(c.new == autoscaler["1.34"][1] for i in review.items for c in i.changes)


@pytest.mark.parametrize("stack", ["dev", "gke-dev"])
def test_a_tekton_release_bump_is_update_only_with_one_owner_for_feature_flags(stack: str, tmp_path: Path) -> None:
    def bump(config: dict[str, Any]) -> None:
        config["multiarch:pipelines"]["version"] = "v1.10.0"

    code, doc = as_json(stack, changed(tmp_path, stack, bump))
    assert code == diff.EXIT_SAFE
    (release,) = changes(doc).values()
    assert release["type"] == "kubernetes:yaml/v2:ConfigFile" and release["action"] == "update"
    assert [c["path"] for c in release["changes"]] == ["file"]
    planned = plan.make(changed(tmp_path, stack, bump), policies=False)
    rec = planned.recording
    assert not [
        r for r in rec.resources if "ConfigMap" in r.type and r.plain_inputs["metadata"]["name"] == "feature-flags"
    ]
    (manifest,) = [
        r for r in rec.resources if r.type == "kubernetes:yaml/v2:ConfigFile" and r.name == "pipelines-release"
    ]
    # One transform drops feature-flags; on a stack with system nodes a second one keeps Tekton's
    # controllers on them.
    assert manifest.transforms == (2 if stack == "gke-dev" else 1)


def test_a_one_minor_cluster_upgrade_rolls_node_groups_in_place(tmp_path: Path) -> None:
    def at(version: str) -> Callable[[dict[str, Any]], None]:
        def edit(config: dict[str, Any]) -> None:
            config["multiarch:cluster"]["version"] = version

        return edit

    base = changed(tmp_path, "dev", at("1.33"), "base")
    code, doc = as_json(base, "stacks/Pulumi.dev.yaml", "--stack", "dev")
    assert code == diff.EXIT_SAFE
    acted = [r for r in doc["resources"] if r["action"] != "same"]
    assert {r["action"] for r in acted} == {"update"}
    groups = [r for r in acted if r["type"] == NODE_GROUP]
    assert groups and all("EKS rolls the group's nodes" in r["notes"][0] for r in groups)
    cluster = next(r for r in acted if r["type"] == "aws:eks/cluster:Cluster")
    assert cluster["changes"][0]["path"] == "version" and cluster["notes"]
    # A downgrade, or a skipped minor, is refused by EKS halfway through: a mandatory verdict now.
    code, out, _ = run_diff("dev", base)
    assert code == diff.EXIT_POLICY
    assert "kubernetes-upgrade-path: build-multiarch: version 1.34 → 1.33: EKS cannot downgrade" in out
    skip = changed(tmp_path, "dev", at("1.32"), "skip")
    code, out, _ = run_diff(skip, "stacks/Pulumi.dev.yaml", "--stack", "dev")
    assert code == diff.EXIT_POLICY
    assert "upgrades one minor version at a time; apply 1.32 → 1.33 → 1.34 as separate changes" in out


# --- sides: plan.json, REF:path, invalid input ----------------------------------------------


def test_plan_json_sides_give_the_same_review(tmp_path: Path) -> None:
    (tmp_path / "branch").mkdir()
    head = changed(tmp_path / "branch", "dev", pool(1, maxSize=8), "Pulumi.dev")  # the branch's dev
    for name, source in (("base", "dev"), ("head", head)):
        assert plan.main([source, "--out", str(tmp_path / name)], out=io.StringIO(), err=io.StringIO()) == 0
    code, doc = as_json(str(tmp_path / "base" / "plan.json"), str(tmp_path / "head" / "plan.json"))
    assert code == diff.EXIT_SAFE
    assert [(r["name"], [c["path"] for c in r["changes"]]) for r in changes(doc).values()] == [
        ("build-multiarch-pools-arm64", ["scalingConfig.maxSize"])
    ]
    assert doc["head"]["stack"] == "dev"


def test_ref_path_reads_the_stack_file_at_a_git_ref(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    (repo / "stacks").mkdir(parents=True)
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    (repo / "stacks" / "Pulumi.dev.yaml").write_bytes((stackfile.STACKS / "Pulumi.dev.yaml").read_bytes())
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "base"], check=True)
    monkeypatch.setenv("GIT_DIR", str(repo / ".git"))
    code, doc = as_json("main:stacks/Pulumi.dev.yaml", changed(tmp_path, "dev", pool(1, maxSize=8)))
    assert code == diff.EXIT_SAFE
    assert doc["base"] == {"source": "main:stacks/Pulumi.dev.yaml", "stack": "dev", "platform": "eks"}
    assert len(changes(doc)) == 1
    code, _, err = run_diff("main:stacks/Pulumi.nope.yaml", "dev")
    assert code == diff.EXIT_CONFIG and "main:stacks/Pulumi.nope.yaml" in err


@pytest.mark.parametrize("bad_side", ["base", "head"])
def test_invalid_configuration_on_either_side_exits_2(bad_side: str, tmp_path: Path) -> None:
    bad = changed(tmp_path, "dev", pool(1, minSize=6))
    code, out, err = run_diff(*((bad, "dev") if bad_side == "base" else ("dev", bad)))
    assert code == diff.EXIT_CONFIG and out == ""
    assert "invalid stack configuration" in err and "minSize" in err


def test_an_unreadable_side_exits_2(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"resources": 3}')
    for argv in (("dev", "stacks/Pulumi.nope.yaml"), ("dev", str(broken))):
        code, _, err = run_diff(*argv)
        assert code == diff.EXIT_CONFIG, argv
        assert argv[1] in err


# --- formats ---------------------------------------------------------------------------------


def test_json_follows_its_documented_schema(tmp_path: Path) -> None:
    _, doc = as_json("dev", changed(tmp_path, "dev", efs(performanceMode="maxIO", throughputMode="bursting")))
    assert set(doc) == {
        "schemaVersion", "base", "head", "resources", "summary", "blocked", "risks", "cost", "verdicts", "exitCode"
    }  # fmt: skip
    for key in doc:
        assert f"`{key}`" in (diff.__doc__ or "")
    keys = {
        "urn",
        "type",
        "name",
        "action",
        "counted",
        "renamedFrom",
        "changes",
        "reasons",
        "notes",
        "ignored",
        "refused",
        "blocked",
    }
    assert all(set(r) == keys for r in doc["resources"])
    assert set(doc["blocked"][0]) == {"urn", "type", "name", "action", "why", "procedure"}
    assert set(doc["cost"]["delta"]) == {"atMin", "initial", "atMax"}
    assert doc["exitCode"] == diff.EXIT_BLOCKED


def test_the_terraform_report_counts_a_replacement_as_a_delete_and_a_create(tmp_path: Path) -> None:
    report = tmp_path / "out" / "tfreport.json"

    def both(config: dict[str, Any]) -> None:
        pool(1, instanceType="m6g.4xlarge")(config)
        pool(0, maxSize=8)(config)

    code, _, _ = run_diff("dev", changed(tmp_path, "dev", both), "--terraform-report", str(report))
    assert code == diff.EXIT_SAFE
    assert json.loads(report.read_text()) == {  # the node group's maxSize, and the runner's config.toml
        "create": 1, "update": 2, "delete": 1, "costComplete": True, "costIncomplete": ""
    }  # fmt: skip


def test_markdown_is_a_merge_request_comment(tmp_path: Path) -> None:
    code, out, _ = run_diff(
        "dev", changed(tmp_path, "dev", efs(performanceMode="maxIO", throughputMode="bursting")), "--format", "markdown"
    )
    assert code == diff.EXIT_BLOCKED
    assert out.startswith("### ⛔ Stack `dev` (eks): BLOCKED")
    assert "| 6 | 0 | 0 | 0 |" in out  # replace, update, create, delete
    assert "> **Blocked:** replace of aws:efs/fileSystem:FileSystem build-multiarch-efs-fs" in out
    assert (
        "| **replace** | `aws:efs/fileSystem:FileSystem` build-multiarch-efs-fs | `performanceMode: generalPurpose → maxIO`"
        in out
    )
    assert "| change | ±$0 | ±$0 | ±$0 |" in out


def test_a_cost_delta_with_an_unpriced_side_is_unknown(tmp_path: Path) -> None:
    def hpc_pool(config: dict[str, Any]) -> None:  # a type with no price, nor a base to estimate it from
        hpc = {"name": "hpc", "arch": "amd64", "instanceType": "hpc7a.12xlarge", "minSize": 0, "maxSize": 2}
        config["multiarch:nodePools"].append(hpc)

    head = changed(tmp_path, "dev", hpc_pool)
    code, doc = as_json("dev", head)
    assert code == diff.EXIT_SAFE
    assert doc["cost"]["complete"] == {"base": True, "head": False}
    assert doc["cost"]["delta"] == {"atMin": 0.0, "initial": 0.0, "atMax": None}  # it idles at zero: known
    _, out, _ = run_diff("dev", head)
    assert "at min $366 → $366 (±$0)  initial $629 → $629 (±$0)  at max $2,264 → >= $2,264 (unknown)" in out
    assert "incomplete: no price for hpc (hpc7a.12xlarge) in eu-west-3 (HEAD): the change is unknown" in out
    _, out, _ = run_diff("dev", head, "--format", "markdown")
    assert "| after (incomplete) | $366 | $629 | >= $2,264 |" in out
    assert "| change | ±$0 | ±$0 | unknown |" in out
    assert "Cost incomplete: no price for hpc (hpc7a.12xlarge) in eu-west-3 (HEAD)." in out
    report = tmp_path / "tf.json"
    run_diff("dev", head, "--terraform-report", str(report))
    assert json.loads(report.read_text())["costIncomplete"] == "no price for hpc (hpc7a.12xlarge) in eu-west-3 (HEAD)"


def test_verdicts_that_appear_and_disappear(tmp_path: Path) -> None:
    base = diff.load_side("dev", tmp_path)
    head = diff.load_side("dev", tmp_path)
    head.verdicts = [{"level": "mandatory", "policy": "p", "resource": "r", "message": "m"}]
    base.verdicts = [{"level": "advisory", "policy": "q", "resource": "r", "message": "gone"}]
    review = diff.review(base, head)
    assert [v["policy"] for v in review.verdicts["appeared"]] == ["p"]
    assert [v["policy"] for v in review.verdicts["resolved"]] == ["q"]
    assert review.exit_code == diff.EXIT_POLICY


def test_the_documented_example_is_blocked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/review.md's first example (tests/docs checks that the page shows what it prints)."""

    def edit(config: dict[str, Any]) -> None:
        pool(0, instanceType="m5a.4xlarge")(config)
        efs(performanceMode="maxIO", throughputMode="bursting")(config)

    changed(tmp_path, "dev", edit, "dev-next")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_diff("dev", "dev-next.yaml")
    assert code == diff.EXIT_BLOCKED
    assert "BLOCKED: replace of aws:efs/fileSystem:FileSystem build-multiarch-efs-fs" in out


def test_a_plan_json_without_component_outputs_reports_no_output_changes(tmp_path: Path) -> None:
    """A plan.json written before components' outputs were recorded: nothing to compare them with."""
    assert plan.main(["dev", "--out", str(tmp_path / "base")], out=io.StringIO(), err=io.StringIO()) == 0
    path = tmp_path / "base" / "plan.json"
    doc = json.loads(path.read_text())
    assert any("outputs" in r for r in doc["resources"] if not r["custom"])
    for r in doc["resources"]:
        r.pop("outputs", None)
    path.write_text(json.dumps(doc))
    code, review = as_json(str(path), "dev")
    assert code == diff.EXIT_SAFE and changes(review) == {}


def test_a_changed_script_shows_its_changed_lines_whole() -> None:
    old = "#!/bin/sh\nset -eu\nbuildah push localhost/image:x oci-archive:/srv/oci-images/x.tar\n"
    new = old.replace("/srv/oci-images", "$(workspaces.oci-images.path)") + "echo done\n"
    assert diff.Change("spec.steps[build].script", old, new).text() == (
        "spec.steps[build].script: line 3: buildah push localhost/image:x oci-archive:/srv/oci-images/x.tar → "
        "buildah push localhost/image:x oci-archive:$(workspaces.oci-images.path)/x.tar; line 4: + echo done"
    )


# --- structured values: what changed inside them, never a cut line ---------------------------------


def test_an_iam_policy_change_shows_the_resource_arns_added_and_removed(tmp_path: Path) -> None:
    """Renaming dev's x86 pool: the autoscaler's policy gains the new group's ARN, loses the old one."""
    _, out, _ = run_diff("dev", changed(tmp_path, "dev", pool(0, name="builders-x86")))
    arn = "arn:aws:autoscaling:eu-west-3:123456789012:autoScalingGroup:*:autoScalingGroupName/eks-build-multiarch-{}-*"
    assert (
        f"             policy: Statement[ScaleThisClustersGroups].Resource: + {arn.format('builders-x86')}, "
        f"- {arn.format('x86')}"
    ) in out.splitlines()
    assert "line " not in out and "…" not in out.split("Summary")[0]


def test_a_node_pools_requirement_values_show_as_values(tmp_path: Path) -> None:
    def fewer(config: dict[str, Any]) -> None:
        config["multiarch:nodePools"][1]["instanceFamilies"] = ["m8g", "m7g"]

    _, out, _ = run_diff("karpenter-dev", changed(tmp_path, "karpenter-dev", fewer))
    assert (
        "             spec.template.spec.requirements[node.kubernetes.io/instance-type].values: - m6g.2xlarge"
        in out.splitlines()
    )


def test_a_runner_config_key_shows_as_its_key() -> None:
    old = 'concurrent = 10\n[[runners]]\nname = "k8s"\n[runners.kubernetes]\nnode_selector_overwrite_allowed = "a"\n'
    new = old.replace('"a"', '"kubernetes.io/arch=.*"')
    assert diff.Change("values.runners.config", old, new).text() == (
        "values.runners.config: runners[k8s].kubernetes.node_selector_overwrite_allowed: a → kubernetes.io/arch=.*"
    )
    assert diff.Change("policy", '{"a": 1}', '{\n  "a": 1\n}').text() == "policy: the same content, reformatted"


def test_a_config_that_starts_with_a_table_shows_its_keys_and_a_sentence_stays_a_sentence() -> None:
    """TOML that starts with `[[runners]]` (as the chart's config does) is TOML, not failed JSON;
    a one-line description with a colon is prose, not a YAML mapping."""
    old = '[[runners]]\nexecutor = "kubernetes"\n\n[runners.kubernetes]\ncpu_limit = "4"\n'
    new = old + 'cpu_request_overwrite_max_allowed = "7650m"\n'
    assert diff.Change("values.runners.config", old, new).text() == (
        "values.runners.config: runners[0].kubernetes.cpu_request_overwrite_max_allowed: (none) → 7650m"
    )
    before, after = "the layer cache (<image>/cache); empty: none", "the layer cache, -<arch> appended; empty: none"
    assert diff.Change("description", before, after).text() == f"description: {before} → {after}"


def test_a_long_value_that_changes_at_its_end_is_shown_whole() -> None:
    before = "registry repository of the layer cache (--cache-from/--cache-to); empty: none"
    after = "registry repository of the layer cache (--cache-from/--cache-to), -<arch> appended; empty: none"
    assert diff.Change("description", before, after).text() == f"description: {before} → {after}"


def test_a_script_with_a_line_inserted_shows_that_line_only() -> None:
    old = "set -eu\ncache=(--cache-from x)\nbuildah build\nbuildah push\n"
    new = "set -eu\nrepo=x-$ARCH\ncache=(--cache-from x)\nbuildah build\nbuildah push ref\n"
    assert (
        diff.Change("script", old, new).text()
        == "script: line 2: + repo=x-$ARCH; line 5: buildah push → buildah push ref"
    )


def test_moving_dev_to_karpenter_replaces_nothing() -> None:
    code, out, err = run_diff("dev", "stacks/Pulumi.karpenter-dev.yaml", "--stack", "dev")
    assert code == diff.EXIT_SAFE, err
    assert "Summary: 0 to replace," in out
    deleted = [line.split()[-1] for line in out.splitlines() if line.startswith("  delete ")]
    assert "  context  multiarch:eks:ClusterAutoscaler cluster-autoscaler" in out.splitlines()
    assert (
        "             note: Tekton's controllers move to the system nodes (the release's transform schedules them "
        "there) (multiarch:pipelines:Engine pipelines, outputs.controllersOnSystemNodes)"
    ) in out.splitlines()
    assert sorted(deleted) == [
        "build-multiarch-pools-arm64",
        "build-multiarch-pools-x86",
        "cluster-autoscaler",  # its Helm release (the component is context, not a deletion)
        "cluster-autoscaler-identity",
        "cluster-autoscaler-policy",
        "cluster-autoscaler-role",
    ]
