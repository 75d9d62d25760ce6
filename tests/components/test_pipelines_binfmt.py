"""The build layer: Tekton / OpenShift Pipelines, the multi-arch pipeline, and qemu binfmt."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pulumi
import pytest
import yaml

from components import binfmt, buildscript, pipelines, scheduling, settings, versions
from tests.components.test_storage import GKE, OPENSHIFT
from tests.conftest import EKS_CONFIG, assert_config_error, config
from tools import mockengine
from tools.mockengine import Recording

TEKTON = {"enabled": True, "flavor": "tekton", "version": "v1.9.0"}
QEMU = {"enabled": True, "platforms": ["arm64"]}
EFS: dict[str, Any] = {"efs": {}}
DS = "kubernetes:apps/v1:DaemonSet"


def run(base: dict[str, Any], **changes: Any) -> Recording:
    return mockengine.run_main(config(base, **changes), stack="build")


@pytest.fixture(scope="module")
def eks() -> Recording:
    return run(EKS_CONFIG, pipelines=TEKTON, qemu=QEMU, storage=EFS)


def test_tekton_release_manifest_owns_feature_flags_through_a_transform(eks: Recording) -> None:
    install = eks.one("kubernetes:yaml/v2:ConfigFile", "pipelines-release")
    assert install.plain_inputs["file"] == "https://github.com/tektoncd/pipeline/releases/download/v1.9.0/release.yaml"
    # One owner for feature-flags: the release's own ConfigMap, changed by a transform; no patch.
    assert install.transforms == 1
    flags = [
        r for r in eks.resources if "ConfigMap" in r.type and r.plain_inputs["metadata"]["name"] == "feature-flags"
    ]
    assert not flags
    engine = eks.one("multiarch:pipelines:Engine")
    assert engine.outputs["featureFlags"] == {"coschedule": "disabled"}  # v1.0 removed disable-affinity-assistant


RELEASE_FEATURE_FLAGS: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {
        "name": "feature-flags",
        "namespace": "tekton-pipelines",
        "labels": {"app.kubernetes.io/part-of": "tekton-pipelines"},
    },
    "data": {"coschedule": "workspaces", "enable-api-fields": "beta", "disable-creds-init": "false"},
}


def _transform(type_: str, props: dict[str, Any]) -> pulumi.ResourceTransformResult | None:
    flags = pipelines.feature_flags(settings.Pipelines.model_validate({"version": "v1.9.0"}))
    args = pulumi.ResourceTransformArgs(
        custom=True, type_=type_, name=props["metadata"]["name"], props=props, opts=pulumi.ResourceOptions()
    )
    return pipelines.feature_flags_transform(flags)(args)  # type: ignore[return-value]


def test_the_transform_sets_our_keys_and_keeps_tektons() -> None:
    result = _transform("kubernetes:core/v1:ConfigMap", RELEASE_FEATURE_FLAGS)
    assert result is not None
    assert result.props["data"] == {
        "coschedule": "disabled",
        "enable-api-fields": "beta",
        "disable-creds-init": "false",
    }
    assert result.props["metadata"] == RELEASE_FEATURE_FLAGS["metadata"]
    assert RELEASE_FEATURE_FLAGS["data"]["coschedule"] == "workspaces"  # the input is not mutated


@pytest.mark.parametrize(
    ("type_", "metadata"),
    [
        ("kubernetes:core/v1:ConfigMap", {"name": "config-defaults", "namespace": "tekton-pipelines"}),
        ("kubernetes:core/v1:ConfigMap", {"name": "feature-flags", "namespace": "other"}),
        ("kubernetes:core/v1:Secret", {"name": "feature-flags", "namespace": "tekton-pipelines"}),
    ],
)
def test_the_transform_leaves_every_other_object_alone(type_: str, metadata: dict[str, str]) -> None:
    assert _transform(type_, {**RELEASE_FEATURE_FLAGS, "metadata": metadata}) is None


@pytest.mark.parametrize(
    ("version", "assistant", "expected"),
    [
        ("v1.9.0", "disabled", {"coschedule": "disabled"}),
        ("v1.0.0", "disabled", {"coschedule": "disabled"}),
        ("v0.68.0", "disabled", {"coschedule": "disabled", "disable-affinity-assistant": "true"}),
        ("v0.50.0", "disabled", {"coschedule": "disabled", "disable-affinity-assistant": "true"}),
        ("v0.60.1", "enabled", {"coschedule": "workspaces", "disable-affinity-assistant": "false"}),
        ("v1.2.0", "enabled", {"coschedule": "workspaces"}),
    ],
)
def test_feature_flags_per_tekton_version(version: str, assistant: str, expected: dict[str, str]) -> None:
    p = settings.Pipelines.model_validate({"version": version, "affinityAssistant": assistant})
    assert pipelines.feature_flags(p) == expected


def test_openshift_pipelines_operator_and_tekton_config_no_configmap() -> None:
    rec = run(
        OPENSHIFT, pipelines={"flavor": "openshift-pipelines", "channel": "pipelines-1.20"}, qemu=QEMU, storage=EFS
    )
    subs = [r.plain_inputs for r in rec.by_type("kubernetes:operators.coreos.com/v1alpha1:Subscription")]
    sub = next(s for s in subs if s["spec"]["name"] == "openshift-pipelines-operator-rh")
    assert sub["metadata"]["namespace"] == "openshift-operators"
    assert (sub["spec"]["channel"], sub["spec"]["source"]) == ("pipelines-1.20", "redhat-operators")
    config_patch = rec.one("kubernetes:operator.tekton.dev/v1alpha1:TektonConfigPatch")
    assert config_patch.plain_inputs["metadata"]["name"] == "config"
    # pipelines-1.20: the job-based pruner, every finished run counted (20 + 20 by default), hourly.
    assert config_patch.plain_inputs["spec"] == {
        "pipeline": {"coschedule": "disabled"},
        "pruner": {"disabled": False, "resources": ["pipelinerun"], "keep": 40, "schedule": "0 * * * *"},
    }
    # The operator owns feature-flags: no ConfigMap but the PipelineRun template is patched or created.
    assert [r.plain_inputs["metadata"]["name"] for r in rec.resources if "ConfigMap" in r.type] == [
        "multiarch-pipelinerun"
    ]
    assert not rec.by_type("kubernetes:yaml/v2:ConfigFile")
    binding = rec.one("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "build-pipeline-scc").plain_inputs
    assert binding["roleRef"]["name"] == "system:openshift:scc:pipelines-scc"


def test_openshift_defaults_to_openshift_pipelines() -> None:
    rec = run(OPENSHIFT, pipelines={}, storage=EFS)
    assert rec.by_type("kubernetes:operator.tekton.dev/v1alpha1:TektonConfigPatch")
    assert not rec.by_type("kubernetes:core/v1:ConfigMapPatch")


def tekton_objects(rec: Recording) -> dict[str, dict[str, Any]]:
    return {
        r.plain_inputs["metadata"]["name"]: r.plain_inputs
        for r in rec.resources
        if r.type.startswith("kubernetes:tekton.dev/v1:")
    }


def test_build_pipeline_objects(eks: Recording) -> None:
    objs = tekton_objects(eks)
    assert set(objs) == {"git-clone", "buildah-build", "buildah-push", "workspace-cleanup", "multiarch-build"}
    for o in objs.values():
        assert o["apiVersion"] == "tekton.dev/v1" and o["metadata"]["namespace"] == "builds"
        # Tekton copies these to every TaskRun and pod: runs started by triggers or tkn are protected too.
        assert o["metadata"]["annotations"] == {
            "karpenter.sh/do-not-disrupt": "true",
            "cluster-autoscaler.kubernetes.io/safe-to-evict": "false",
        }
    build = objs["buildah-build"]["spec"]
    step = build["steps"][0]
    assert step["image"] == versions.BUILDAH_IMAGE
    assert {"name": "STORAGE_DRIVER", "value": "vfs"} in step["env"]
    assert step["securityContext"] == {"capabilities": {"add": ["SETFCAP"]}}  # only SETFCAP, not privileged
    assert step["volumeMounts"] == [{"name": "container-storage", "mountPath": "/var/lib/containers"}]
    assert build["volumes"] == [{"name": "container-storage", "emptyDir": {}}]
    script = step["script"]
    # It names its target, and proves it ran natively and built that arch, before anything leaves it.
    assert 'ARCH="$(params.arch)"' in script
    assert 'buildah build --platform "linux/$ARCH" --layers "${cache[@]}"' in script
    assert buildscript.native_check("build task", pipelines.NATIVE_FIX) in script
    assert buildscript.image_check() in script
    assert script.index("buildah build") < script.index(buildscript.image_check()) < script.index("buildah push")
    assert 'oci-archive:$(workspaces.oci-images.path)/$ARCH.tar"' in script
    pipe = objs["multiarch-build"]["spec"]
    tasks = {t["name"]: t for t in pipe["tasks"]}
    assert set(tasks) == {"clone", "build-amd64", "build-arm64", "push"}
    assert tasks["build-arm64"]["runAfter"] == ["clone"]
    assert sorted(tasks["push"]["runAfter"]) == ["build-amd64", "build-arm64"]
    params = {t: {p["name"]: p["value"] for p in tasks[t]["params"]} for t in ("build-amd64", "build-arm64")}
    assert {t: (p["arch"], p["native"]) for t, p in params.items()} == {
        "build-amd64": ("amd64", "true"),
        "build-arm64": ("arm64", "true"),
    }
    assert params["build-arm64"]["cache-repository"] == "$(params.cache-repository)"
    # Tasks wait for Tekton's CRDs, which the release installs.
    install = eks.one("kubernetes:yaml/v2:ConfigFile", "pipelines-release")
    for r in eks.resources:
        if r.type.startswith("kubernetes:tekton.dev/v1:"):
            assert install.urn in r.dependencies
    ns = eks.one("kubernetes:core/v1:Namespace", "build-pipeline-ns").plain_inputs
    kubernetes_validate.validate(ns, versions.DEFAULT_KUBERNETES_VERSION, strict=True)


def test_the_push_checks_every_slot_before_pushing(eks: Recording) -> None:
    script = tekton_objects(eks)["buildah-push"]["spec"]["steps"][0]["script"]
    check = buildscript.slot_check("localhost/multi-arch")
    assert all(line.strip() in script for line in check.splitlines())
    assert script.index('buildah manifest add localhost/multi-arch "$ref"') < script.index(check.splitlines()[0])
    assert script.index(check.splitlines()[0]) < script.index("buildah manifest push --all")


def run_template(rec: Recording) -> dict[str, Any]:
    """The PipelineRun template, as the cluster keeps it (and the stack exports it)."""
    (cm,) = [
        r.plain_inputs for r in rec.by_type("kubernetes:core/v1:ConfigMap") if r.name == "build-pipeline-run-template"
    ]
    assert cm["metadata"] == {"name": "multiarch-pipelinerun", "namespace": "builds"}
    doc: dict[str, Any] = yaml.safe_load(cm["data"]["pipelinerun.yaml"])
    assert doc == yaml.safe_load(rec.outputs["examplePipelineRun"])
    return doc


def pods(rec: Recording) -> dict[str, dict[str, Any]]:
    return {s["pipelineTaskName"]: s["podTemplate"] for s in run_template(rec)["spec"]["taskRunSpecs"]}


def test_the_run_template_pins_every_task_on_the_stack_class(eks: Recording) -> None:
    run_doc = run_template(eks)
    assert run_doc["apiVersion"] == "tekton.dev/v1"
    assert run_doc["metadata"]["annotations"] == dict(scheduling.BUILD_POD_ANNOTATIONS)
    assert pods(eks) == {
        "clone": {"nodeSelector": {"kubernetes.io/arch": "amd64"}},
        "build-amd64": {"nodeSelector": {"kubernetes.io/arch": "amd64"}},
        "build-arm64": {"nodeSelector": {"kubernetes.io/arch": "arm64"}},
        "push": {"nodeSelector": {"kubernetes.io/arch": "amd64"}},
        "cleanup": {"nodeSelector": {"kubernetes.io/arch": "amd64"}},
    }
    assert "beta.kubernetes.io/arch" not in eks.outputs["examplePipelineRun"]
    for ws in run_doc["spec"]["workspaces"][:2]:
        spec = ws["volumeClaimTemplate"]["spec"]
        assert spec["storageClassName"] == "efs-csi"
        assert spec["accessModes"] == ["ReadWriteMany"]


# Where the controllers run when every build pool is tainted (the placement model refuses a stack
# whose autoscaler has no node): an untainted pool, which adds no taint to tolerate.
TOOLS_POOL = {"name": "tools", "arch": "amd64", "instanceType": "m5a.large", "minSize": 1, "maxSize": 2}


def test_every_task_tolerates_exactly_the_taints_of_its_arch() -> None:
    pools = [
        {**EKS_CONFIG["multiarch:nodePools"][0], "taints": [{"key": "dedicated", "value": "ci", "effect": "NoSchedule"}]},
        {**EKS_CONFIG["multiarch:nodePools"][1], "taints": [{"key": "multiarch.dev/arch", "value": "arm64", "effect": "NoSchedule"}]},
        {"name": "arm64-spot", "arch": "arm64", "instanceType": "c6g.2xlarge", "minSize": 0, "maxSize": 3,
         "taints": [{"key": "spot", "effect": "NoExecute"}]},
        TOOLS_POOL,
    ]  # fmt: skip
    rec = run(EKS_CONFIG, nodePools=pools, pipelines=TEKTON, storage=EFS)
    x86 = [{"key": "dedicated", "operator": "Equal", "value": "ci", "effect": "NoSchedule"}]
    arm = [
        {"key": "multiarch.dev/arch", "operator": "Equal", "value": "arm64", "effect": "NoSchedule"},
        {"key": "spot", "operator": "Exists", "effect": "NoExecute"},  # a build may land on either arm64 pool
    ]
    got = pods(rec)
    assert {t: p.get("tolerations") for t, p in got.items()} == {
        "clone": x86, "build-amd64": x86, "build-arm64": arm, "push": x86, "cleanup": x86,
    }  # fmt: skip


def test_single_pool_builds_the_other_arch_under_emulation() -> None:
    only_x86 = [EKS_CONFIG["multiarch:nodePools"][0]]
    rec = run(EKS_CONFIG, nodePools=only_x86, pipelines=TEKTON, qemu=QEMU, storage=EFS)
    assert pods(rec)["build-arm64"]["nodeSelector"] == {"kubernetes.io/arch": "amd64"}  # emulated on x86 nodes
    tasks = {t["name"]: t for t in tekton_objects(rec)["multiarch-build"]["spec"]["tasks"]}
    native = {t: next(p["value"] for p in tasks[t]["params"] if p["name"] == "native") for t in tasks if "build" in t}
    assert native == {"build-amd64": "true", "build-arm64": "false"}  # by design: no native check there
    assert rec.one(DS)  # and qemu is there to make it possible


def test_gke_tasks_tolerate_the_arm64_taint() -> None:
    rec = run(GKE, pipelines=TEKTON, storage={"filestore": {}})
    specs = pods(rec)
    assert specs["build-arm64"]["tolerations"] == [
        {"key": "kubernetes.io/arch", "operator": "Equal", "value": "arm64", "effect": "NoSchedule"}
    ]
    assert "tolerations" not in specs["build-amd64"]


def test_prod_arm64_builds_tolerate_its_taint() -> None:
    from tools import stackfile

    stack = stackfile.load("prod")
    rec = mockengine.run_main(stack.config, stack=stack.name, secret_keys=stack.secret_keys)
    assert pods(rec)["build-arm64"]["tolerations"] == [
        {"key": "multiarch.dev/arch", "operator": "Equal", "value": "arm64", "effect": "NoSchedule"}
    ]


def test_binfmt_daemonset(eks: Recording) -> None:
    ds = eks.one(DS).plain_inputs
    spec = ds["spec"]["template"]["spec"]
    init, main = spec["initContainers"][0], spec["containers"][0]
    assert init["image"] == versions.BINFMT_IMAGE and ":" in init["image"]
    assert "multiarch/qemu-user-static" not in init["image"]
    assert init["args"] == ["--install", "arm64"]
    assert init["securityContext"] == {"privileged": True}
    assert main["securityContext"]["privileged"] is False
    assert main["securityContext"]["runAsNonRoot"] is True
    assert main["securityContext"]["allowPrivilegeEscalation"] is False
    assert main["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    # It tells the truth: Ready only while the host has the handler, enabled, with the F flag.
    assert main["image"] == versions.BUSYBOX_IMAGE
    assert main["readinessProbe"]["exec"]["command"] == binfmt.readiness_command(["arm64"])
    assert main["readinessProbe"]["exec"]["command"][-2:] == ["/host/binfmt_misc", "qemu-aarch64"]
    assert main["volumeMounts"] == [
        {
            "name": "binfmt-misc",
            "mountPath": "/host/binfmt_misc",
            "readOnly": True,
            "mountPropagation": "HostToContainer",
        }
    ]
    assert spec["volumes"] == [
        {"name": "binfmt-misc", "hostPath": {"path": "/proc/sys/fs/binfmt_misc", "type": "Directory"}}
    ]
    for c in (init, main):
        assert c["resources"]["limits"] and c["resources"]["requests"]
    # Only amd64 nodes have something to emulate (arm64).
    terms = spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert terms == [{"matchExpressions": [{"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]}]}]
    assert {"key": "kubernetes.io/arch", "operator": "Equal", "value": "arm64", "effect": "NoSchedule"} in spec[
        "tolerations"
    ]
    ns = eks.one("kubernetes:core/v1:Namespace", "qemu-binfmt-ns").plain_inputs
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"
    kubernetes_validate.validate(ds, versions.DEFAULT_KUBERNETES_VERSION, strict=True)
    assert not eks.by_type("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding")  # SCCs are OpenShift's


def test_binfmt_tolerates_every_pool_taint() -> None:
    pools = [
        {
            **EKS_CONFIG["multiarch:nodePools"][0],
            "taints": [
                {"key": "dedicated", "value": "build", "effect": "NoSchedule"},
                {"key": "spot", "effect": "NoExecute"},
            ],
        },
        EKS_CONFIG["multiarch:nodePools"][1],
        TOOLS_POOL,
    ]
    rec = run(EKS_CONFIG, nodePools=pools, qemu={"platforms": ["arm64", "amd64"]})
    spec = rec.one(DS).plain_inputs["spec"]["template"]["spec"]
    assert {"key": "dedicated", "operator": "Equal", "value": "build", "effect": "NoSchedule"} in spec["tolerations"]
    assert {"key": "spot", "operator": "Exists", "effect": "NoExecute"} in spec["tolerations"]
    values = spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0][
        "matchExpressions"
    ][0]["values"]
    assert values == ["amd64", "arm64"]


def test_openshift_binfmt_gets_the_privileged_scc_only_for_its_account() -> None:
    rec = run(OPENSHIFT, qemu=QEMU)
    binding = rec.one("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "qemu-binfmt-scc").plain_inputs
    assert binding["roleRef"]["name"] == "system:openshift:scc:privileged"
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "qemu-binfmt", "namespace": "qemu-binfmt"}]


@pytest.mark.parametrize(
    ("pool_arches", "platforms", "expected"),
    [(["amd64", "arm64"], ["arm64"], ["amd64"]), (["arm64"], ["arm64"], []), (["arm64"], ["amd64"], ["arm64"])],
)
def test_emulating_node_arches(pool_arches: list[Any], platforms: list[str], expected: list[str]) -> None:
    assert binfmt.emulating_node_arches(pool_arches, platforms) == expected


def test_no_daemonset_when_nothing_needs_emulating() -> None:
    arm64_only = {**EKS_CONFIG["multiarch:nodePools"][1], "minSize": 1}  # one pool: it runs the autoscaler
    rec = run(EKS_CONFIG, nodePools=[arm64_only], qemu=QEMU)
    assert not rec.by_type(DS)


def test_bottlerocket_pool_is_warned_about() -> None:
    raw = {
        "platform": "eks",
        "cluster": EKS_CONFIG["multiarch:cluster"],
        "nodePools": [
            {"name": "x86", "arch": "amd64", "instanceType": "m5a.2xlarge", "amiType": "BOTTLEROCKET_x86_64"}
        ],
        "qemu": QEMU,
    }
    s = settings.parse(raw, stack="t", aws_region="eu-west-3")
    assert [w for w in s.warnings if ".amiType:" in w] == [
        "multiarch:nodePools[x86].amiType: BOTTLEROCKET_x86_64 has no binfmt_misc: qemu emulation cannot be "
        "registered on these nodes; emulated builds will not run there",
    ]


@pytest.mark.parametrize(
    ("platform", "changes", "expected"),
    [
        (
            "eks",
            {"pipelines": {"flavor": "argo"}},
            "multiarch:pipelines.flavor: 'argo': Input should be 'tekton' or 'openshift-pipelines'",
        ),
        (
            "eks",
            {"pipelines": {"flavor": "openshift-pipelines"}},
            "multiarch:pipelines.flavor: openshift-pipelines needs OpenShift's OLM catalog; on eks use tekton",
        ),
        ("gke", {"pipelines": {"flavor": "openshift-pipelines"}}, "on gke use tekton"),
        (
            "openshift",
            {"pipelines": {"flavor": "tekton"}},
            "multiarch:pipelines.flavor: tekton on openshift would fight the platform's operator",
        ),
        (
            "eks",
            {"pipelines": {"version": "1.9.0"}},
            "multiarch:pipelines.version: '1.9.0' is not a Tekton release tag",
        ),
        ("eks", {"pipelines": {"version": "latest"}}, "'latest' is not a Tekton release tag"),
        ("eks", {"pipelines": {"version": "v0.47.0"}}, "'v0.47.0' is older than v0.50.0"),
        ("eks", {"pipelines": {"channel": "latest"}}, "multiarch:pipelines.channel: not used by flavor tekton"),
        (
            "eks",
            {"qemu": {"platforms": ["riscv64"]}},
            "multiarch:qemu.platforms: 'riscv64': expected architectures among amd64, arm64",
        ),
        ("eks", {"qemu": {"platforms": ["x86_64"]}}, "'x86_64': expected architectures among amd64, arm64"),
    ],
)
def test_bad_build_layer_input(platform: str, changes: dict[str, Any], expected: str) -> None:
    base = {"eks": EKS_CONFIG, "gke": GKE, "openshift": OPENSHIFT}[platform]
    assert_config_error(base, changes, expected)


def test_the_docs_example_is_the_dev_stack_pipeline_run_template() -> None:
    from tests.conftest import ROOT
    from tools import stackfile

    stack = stackfile.load("dev")
    rec = mockengine.run_main(stack.config, stack=stack.name, secret_keys=stack.secret_keys)
    assert rec.outputs["examplePipelineRun"] in (ROOT / "docs" / "build.md").read_text()


def handler_dir(tmp_path: Path, entries: dict[str, str]) -> Path:
    """A binfmt_misc as the kernel shows it: `status`, and one file per handler."""
    for name, text in {"status": "enabled\n", **entries}.items():
        (tmp_path / name).write_text(text)
    return tmp_path


QEMU_AARCH64 = "enabled\ninterpreter /usr/bin/qemu-aarch64\nflags: {flags}\noffset 0\nmagic 7f454c46\nmask ffffff\n"


@pytest.mark.parametrize(
    ("entries", "ready", "said"),
    [
        ({"qemu-aarch64": QEMU_AARCH64.format(flags="POCF")}, True, "binfmt: qemu-aarch64 registered, enabled, with the F flag"),
        ({}, False, "binfmt: qemu-aarch64 is not registered"),
        ({"qemu-aarch64": QEMU_AARCH64.format(flags="POC")}, False, "binfmt: qemu-aarch64 has no F flag: build containers cannot open the emulator"),
        ({"qemu-aarch64": QEMU_AARCH64.replace("enabled", "disabled").format(flags="F")}, False, "binfmt: qemu-aarch64 is registered but disabled"),
        ({"status": "disabled\n"}, False, "binfmt: binfmt_misc is not mounted or not enabled at"),
    ],
)  # fmt: skip
def test_the_readiness_check_reads_each_handler(
    tmp_path: Path, entries: dict[str, str], ready: bool, said: str
) -> None:
    directory = handler_dir(tmp_path, entries)
    proc = subprocess.run(
        binfmt.readiness_command(["arm64"], str(directory)), capture_output=True, text=True, check=False
    )
    assert (proc.returncode == 0) is ready
    assert (proc.stdout + proc.stderr).strip().startswith(said)
