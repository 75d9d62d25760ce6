"""Change review you can trust: risk from what a resource is (tools/replacerules.py CLASSES), a
cluster replacement blocked with its blast radius, one count everywhere, order-independent inputs,
and a merge-request base the pipeline can find."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.program.test_diff import ROOT, as_json, changed, run_diff
from tools import changed_stacks, diff, mockengine, replacerules, stackfile

STACKS = ["dev", "prod", "karpenter-dev", "gke-dev", "gke-computeclass-dev", "openshift-dev"]


def cluster(**values: Any) -> Any:
    def edit(config: dict[str, Any]) -> None:
        config["multiarch:cluster"].update(values)

    return edit


# --- every resource has a class ----------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_every_resource_the_stack_declares_has_a_class(stack: str) -> None:
    s = stackfile.load(stack)
    rec = mockengine.run_main(s.config, stack=s.name, secret_keys=s.secret_keys)
    for r in rec.resources:
        assert replacerules.resource_class(r.type) in replacerules.CLASS_TEXT, r.type
    # A type the replace rules know is a type the class table knows.
    assert set(replacerules.RULES) <= set(replacerules.CLASSES)


def test_a_type_without_a_class_is_an_error_not_a_guess() -> None:
    with pytest.raises(KeyError):
        replacerules.resource_class("aws:newservice/thing:Thing")


# --- a cluster replacement is never safe ---------------------------------------------------------


def _on_cluster(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        r
        for r in doc["resources"]
        if r["counted"] and (r["type"].startswith("kubernetes:") or r["type"] == "kubernetes:yaml/v2:ConfigFile")
    ]


@pytest.mark.parametrize(
    ("stack", "edit", "why"),
    [
        ("gke-dev", cluster(location="europe-west4-a"), "location: GKE cannot change this on an existing cluster"),
        ("dev", lambda c: c.update({"aws:region": "eu-west-1"}), "region: it lives in one region: pulumi-aws 7"),
        ("prod", cluster(name="build-multiarch-prod-2"), "a new cluster, build-multiarch-prod-2, is created"),
    ],
    ids=["gke regional to zonal", "eks region change", "eks name change"],
)
def test_a_cluster_replacement_is_blocked_with_its_blast_radius(
    stack: str, edit: Any, why: str, tmp_path: Path
) -> None:
    code, doc = as_json(stack, changed(tmp_path, stack, edit))
    assert code == diff.EXIT_BLOCKED
    entry = next(b for b in doc["blocked"] if "a Kubernetes cluster" in b["why"])
    assert why in entry["why"]
    assert "objects on it are created anew on the new cluster" in entry["why"]
    assert "what only the cluster holds is lost: running builds and their pods" in entry["why"]
    assert (
        entry["procedure"][1] == f"pulumi stack init {stack}-next   # the changed configuration, as a stack of its own"
    )
    # Nothing on the cluster is "unchanged": every object is recreated on the new one (or goes).
    on = _on_cluster(doc)
    assert on and all(r["action"] in ("replace", "delete", "create") for r in on), [
        (r["name"], r["action"]) for r in on if r["action"] not in ("replace", "delete", "create")
    ]


def test_an_adopted_clusters_new_kubeconfig_is_a_cluster_replacement(tmp_path: Path) -> None:
    base = changed(tmp_path, "dev", cluster(create=False), "adopted")
    head = changed(tmp_path, "dev", cluster(create=False, name="other-cluster"), "other")
    code, doc = as_json(base, head, "--stack", "dev")
    assert code == diff.EXIT_BLOCKED
    entry = next(b for b in doc["blocked"] if b["type"] == "pulumi:providers:kubernetes")
    assert entry["why"].startswith(
        "replace of pulumi:providers:kubernetes k8s, a Kubernetes cluster (because kubeconfig"
    )
    assert all(r["action"] != "same" for r in _on_cluster(doc))


# --- risk from what a resource is ----------------------------------------------------------------


def test_replacing_a_namespace_says_it_takes_its_contents(tmp_path: Path) -> None:
    head = changed(tmp_path, "dev", lambda c: c["multiarch:pipelines"].update(namespace="ci-builds"))
    code, doc = as_json("dev", head)
    assert code == diff.EXIT_SAFE
    assert (
        "replace of Namespace builds: deleting a namespace deletes everything in it: ConfigMap "
        "builds/multiarch-pipelinerun; Pipeline builds/multiarch-build; ServiceAccount builds/buildbot; Task "
        "builds/buildah-build, builds/buildah-push, builds/git-clone, builds/workspace-cleanup, and what the stack does not declare there "
        "(running build pods, PipelineRuns and TaskRuns, their logs) [K8S-NS]"
    ) in doc["risks"]


def test_removing_the_runner_says_its_running_jobs_die(tmp_path: Path) -> None:
    head = changed(tmp_path, "dev", lambda c: c["multiarch:gitlabRunner"].update(enabled=False))
    code, doc = as_json("dev", head)
    assert code == diff.EXIT_SAFE
    assert (
        "delete of the GitLab runner gitlab-runner/gitlab-runner: it is removed, and the jobs it is running (up to 10 "
        "at once) are killed with their build pods; its pending jobs wait for a runner with the same tags [GITLAB]"
    ) in doc["risks"]
    assert any(line.startswith("delete of Namespace gitlab-runner: deleting a namespace") for line in doc["risks"])


def test_a_storage_class_replaced_under_its_own_name(tmp_path: Path) -> None:
    head = changed(
        tmp_path, "dev", lambda c: c["multiarch:storage"]["efs"]["storageClass"].update(reclaimPolicy="Retain")
    )
    _, doc = as_json("dev", head)
    assert (
        "replace of StorageClass efs-csi: deleted, then created under the same name: claims made in between stay "
        "Pending until it is back; volumes already bound keep working. PipelineRuns that name StorageClass efs-csi "
        "(those started from the run template ConfigMap multiarch-pipelinerun, which still names it) fail to bind "
        "their workspaces once it is gone: start runs from the new template."
    ) in doc["risks"]


def test_capacity_replaced_drains_its_nodes(tmp_path: Path) -> None:
    def bigger(config: dict[str, Any]) -> None:
        config["multiarch:nodePools"][1]["instanceType"] = "m6g.4xlarge"

    code, doc = as_json("dev", changed(tmp_path, "dev", bigger))
    assert code == diff.EXIT_SAFE
    assert (
        "replace of aws:eks/nodeGroup:NodeGroup build-multiarch-pools-arm64: up to 5 node(s) of pool arm64 are "
        "drained, and builds running on pool arm64 are interrupted. Its name (build-multiarch-arm64) is fixed, so the "
        "provider deletes the old one before it creates the new one: the pool has no nodes in between."
    ) in doc["risks"]
    # Its only pool: the arch's builds have nowhere to go while it is replaced, named as a risk.
    assert (
        "every pool of arch arm64 (arm64) goes at once: arm64 builds (CI jobs that select kubernetes.io/arch=arm64, "
        "Tekton's build-arm64 tasks) have nowhere to run until they are back, and wait Pending"
    ) in doc["risks"]


# --- pools and their roles: the controllers' last pool, an arch's last pool (the placement model) ----


STRANDED_DEV = (
    "gitlab-runner/gitlab-runner, kube-system/cluster-autoscaler, kube-system/coredns, kube-system/efs-csi-controller, "
    "tekton-pipelines-resolvers/tekton-pipelines-remote-resolvers, tekton-pipelines/tekton-events-controller, "
    "tekton-pipelines/tekton-pipelines-controller, tekton-pipelines/tekton-pipelines-webhook"
)


def test_replacing_devs_only_amd64_pool_strands_the_controllers_and_is_blocked(tmp_path: Path) -> None:
    code, doc = as_json(
        "dev", changed(tmp_path, "dev", lambda c: c["multiarch:nodePools"][0].update(instanceType="m5a.4xlarge"))
    )
    assert code == diff.EXIT_BLOCKED
    (b,) = doc["blocked"]
    assert b["why"] == (
        "replace of aws:eks/nodeGroup:NodeGroup build-multiarch-pools-x86: pool x86 is the only place at idle for "
        f"{STRANDED_DEV}; between the delete and the create they have nowhere to run, the autoscaler among them: "
        "nothing starts a node for them, and the cluster cannot heal itself"
    )
    assert b["procedure"][0] == "Keep a place for them first (docs/review.md, 'Pools and their roles'):"
    assert any(r.startswith("every pool of arch amd64 (x86) goes at once") for r in doc["risks"])


def test_replacing_karpenters_system_pool_is_blocked_and_no_build_is_said_to_run_there(tmp_path: Path) -> None:
    def larger(config: dict[str, Any]) -> None:
        config["multiarch:autoscaling"]["karpenter"]["systemPool"]["instanceType"] = "t4g.large"

    code, doc = as_json("karpenter-dev", changed(tmp_path, "karpenter-dev", larger))
    assert code == diff.EXIT_BLOCKED
    (b,) = doc["blocked"]
    assert b["why"].startswith(
        "replace of aws:eks/nodeGroup:NodeGroup build-multiarch-pools-system: pool system is the only place at idle "
        "for gitlab-runner/gitlab-runner, kube-system/coredns, kube-system/efs-csi-controller, kube-system/karpenter,"
    )
    assert "the autoscaler among them" in b["why"]
    assert not any("builds running on pool system" in r for r in doc["risks"])


def test_a_second_pool_for_the_controllers_makes_the_replacement_safe(tmp_path: Path) -> None:
    """The procedure works: with a second untainted pool at minSize 1 in both sides, the x86 pool's
    replacement leaves the controllers a place, and the review says builds are interrupted only."""
    tools = {"name": "tools", "arch": "amd64", "instanceType": "m5a.large", "minSize": 1, "maxSize": 2}
    base = changed(tmp_path, "dev", lambda c: c["multiarch:nodePools"].append(dict(tools)), "with-tools")

    def both(config: dict[str, Any]) -> None:
        config["multiarch:nodePools"].append(dict(tools))
        config["multiarch:nodePools"][0]["instanceType"] = "m5a.4xlarge"

    code, doc = as_json(base, changed(tmp_path, "dev", both), "--stack", "dev")
    assert code == diff.EXIT_SAFE and doc["blocked"] == []


def test_removing_tekton_says_its_crds_take_every_run(tmp_path: Path) -> None:
    head = changed(tmp_path, "dev", lambda c: c["multiarch:pipelines"].update(enabled=False))
    _, doc = as_json("dev", head)
    assert (
        "delete of the Tekton release: its CRDs go with it, and with them every Pipeline, Task, PipelineRun and "
        "TaskRun of the cluster (history included); running PipelineRuns fail [K8S-CRD]"
    ) in doc["risks"]


# --- one count everywhere ------------------------------------------------------------------------


@pytest.mark.parametrize(("base", "head"), [("dev", "stacks/Pulumi.karpenter-dev.yaml"), ("gke-dev", "gke-dev")])
def test_the_plan_the_pack_the_diff_and_the_report_count_the_same_resources(
    base: str, head: str, tmp_path: Path
) -> None:
    from tools import plan, policyrun

    counts = {}
    for side, source in (("base", base), ("head", head)):
        planned = plan.make(source)
        doc = plan.plan_document(planned)
        counts[side] = doc["resourceCount"]
        assert len(policyrun.analyzed(planned.recording.resources)) == doc["resourceCount"]
        assert doc["resourceCount"] == sum(1 for r in doc["resources"] if r["counted"])
    report = tmp_path / "tf.json"
    run_diff(base, head, "--stack", base, "--terraform-report", str(report))
    _, review = as_json(base, head, "--stack", base)
    s = review["summary"]
    assert s["same"] + s["update"] + s["replace"] + s["delete"] == counts["base"]
    assert s["same"] + s["update"] + s["replace"] + s["create"] == counts["head"]
    tf = json.loads(report.read_text())
    assert (tf["create"], tf["update"], tf["delete"]) == (
        s["create"] + s["replace"], s["update"], s["delete"] + s["replace"]
    )  # fmt: skip
    # The program's components and the providers are never counted: context beside what they describe.
    assert all(
        not r["counted"] for r in review["resources"] if r["type"].startswith(("multiarch:", "pulumi:providers:"))
    )


# --- order-independent inputs --------------------------------------------------------------------


# Lists whose order is a priority on a ComputeClass (the order GKE tries them in); on Karpenter they
# are sets (Karpenter picks among them by price and availability).
PRIORITY_LISTS = ("instanceFamilies", "capacityTypes")


def _reversed(value: Any, keep: tuple[str, ...] = ()) -> Any:
    if isinstance(value, dict):
        return {k: value[k] if k in keep else _reversed(value[k], keep) for k in value}
    if isinstance(value, list):
        return [_reversed(v, keep) for v in reversed(value)]
    return value


@pytest.mark.parametrize("stack", STACKS)
def test_reordering_every_list_of_a_stack_changes_nothing(stack: str, tmp_path: Path) -> None:
    doc = yaml.safe_load((stackfile.STACKS / f"Pulumi.{stack}.yaml").read_text())
    lists = [k for k, v in doc["config"].items() if "[" in json.dumps(v)]
    assert lists, "nothing to reorder"
    # Make every set-like list worth reordering: two taints on a pool, two runner tags, two platforms.
    config = doc["config"]
    config["multiarch:nodePools"][-1].setdefault("taints", []).append(
        {"key": "multiarch.dev/b", "effect": "NoSchedule"}
    )
    config["multiarch:nodePools"][-1]["taints"].append({"key": "multiarch.dev/a", "effect": "NoExecute"})
    config.get("multiarch:gitlabRunner", {}).setdefault("tags", ["multi-arch"]).append("arm64-builds")
    path = tmp_path / "ordered.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    classes = config.get("multiarch:autoscaling", {}).get("engine") == "compute-class"
    keep = PRIORITY_LISTS if classes else ()
    reordered = changed(tmp_path, stack, lambda c: c.update(_reversed(dict(config), keep)), "reordered")
    code, review = as_json(str(path), reordered, "--stack", stack)
    assert code == diff.EXIT_SAFE
    moved = [(r["name"], [c["path"] for c in r["changes"]]) for r in review["resources"] if r["action"] != "same"]
    assert moved == []


# --- the merge-request pipeline finds its base ------------------------------------------------------


def test_every_job_that_diffs_has_the_full_history() -> None:
    ci = yaml.safe_load((ROOT / ".gitlab-ci.yml").read_text())
    diffing = [
        name
        for name, job in ci.items()
        if isinstance(job, dict)
        and any("changed_stacks" in line or "tools.review" in line for line in map(str, job.get("script", [])))
    ]
    assert set(diffing) == {"plan", "review", "preview"}
    for name in diffing:
        assert str(ci[name]["variables"]["GIT_DEPTH"]) == "0", name


def test_a_base_missing_from_a_shallow_clone_is_fetched(tmp_path: Path) -> None:
    origin = tmp_path / "origin"
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "protocol.file.allow=always"]
    origin.mkdir()
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=origin, check=True)
    for i, name in enumerate(("stacks/Pulumi.dev.yaml", "components/stack/compose.py")):
        (origin / name).parent.mkdir(parents=True, exist_ok=True)
        (origin / name).write_text(f"{i}\n")
        subprocess.run([*git, "add", "-A"], cwd=origin, check=True)
        subprocess.run([*git, "commit", "-q", "-m", name], cwd=origin, check=True)
    base = subprocess.run(["git", "rev-parse", "HEAD~1"], cwd=origin, capture_output=True, text=True, check=True)
    clone = tmp_path / "clone"
    subprocess.run([*git, "clone", "-q", "--depth", "1", f"file://{origin}", str(clone)], check=True)
    missing = subprocess.run(
        ["git", "cat-file", "-e", base.stdout.strip()], cwd=clone, capture_output=True, check=False
    )
    assert missing.returncode != 0  # the base is not in the shallow clone
    assert changed_stacks.changed_paths(base.stdout.strip(), clone) == ["components/stack/compose.py"]
    with pytest.raises(SystemExit, match="needs GIT_DEPTH: 0"):
        changed_stacks.changed_paths("0" * 40, clone)


# --- docs/review.md's blocked cluster replacement (tests/docs checks the page shows its output) ----------


def test_the_documented_cluster_replacement_is_blocked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    changed(tmp_path, "gke-dev", cluster(location="europe-west4-a"), "gke-zonal")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_diff("gke-dev", "gke-zonal.yaml")
    assert code == diff.EXIT_BLOCKED
    assert "BLOCKED: replace of gcp:container/cluster:Cluster build-multiarch, a Kubernetes cluster" in out
