"""The GitLab runner: release, config.toml, the token only ever as a secret, and the CI template."""

from __future__ import annotations

import re
import tomllib
from typing import Any

import pytest

from components import runner, settings, versions
from tests.conftest import EKS_CONFIG, config
from tools import mockengine

TOKEN = "glrt-t1_s3cr3tTokenValue0123456789"
RUNNER = {"enabled": True, "gitlabUrl": "https://gitlab.example.com/", "tags": ["multi-arch"], "concurrent": 4}


def run(cfg: dict[str, Any], secret: bool = True) -> mockengine.Recording:
    cfg = config(cfg, gitlabRunner=RUNNER, gitlabRunnerToken=TOKEN)
    return mockengine.run_main(cfg, stack="runner", secret_keys=["multiarch:gitlabRunnerToken"] if secret else [])


@pytest.fixture(scope="module")
def rec() -> mockengine.Recording:
    return run(EKS_CONFIG)


def test_release_is_the_pinned_official_chart_in_its_namespace(rec: mockengine.Recording) -> None:
    release = rec.one("kubernetes:helm.sh/v3:Release", "gitlab-runner").plain_inputs
    assert release["chart"] == "gitlab-runner"
    assert release["version"] == versions.GITLAB_RUNNER_CHART_VERSION
    assert release["repositoryOpts"] == {"repo": "https://charts.gitlab.io"}
    assert release["namespace"] == "gitlab-runner"
    values = release["values"]
    assert values["gitlabUrl"] == "https://gitlab.example.com/"
    assert values["concurrent"] == 4
    assert values["rbac"] == {"create": True}
    assert values["runners"]["secret"] == runner.SECRET_NAME
    # Manager pod: no node selector, tolerates GKE's arm64 taint, so it may run on either arch.
    assert "nodeSelector" not in values
    assert runner.ARM64_TOLERATION in values["tolerations"]
    ns = rec.one("kubernetes:core/v1:Namespace").plain_inputs["metadata"]
    assert ns["name"] == "gitlab-runner"
    assert ns["labels"]["pod-security.kubernetes.io/enforce"] == "baseline"


def test_config_toml(rec: mockengine.Recording) -> None:
    values = rec.one("kubernetes:helm.sh/v3:Release", "gitlab-runner").plain_inputs["values"]
    cfg = tomllib.loads(values["runners"]["config"])
    kube = cfg["runners"][0]["kubernetes"]
    assert cfg["runners"][0]["executor"] == "kubernetes"
    assert kube["node_selector_overwrite_allowed"] == "kubernetes.io/arch=.*"
    # No build pool is tainted here: jobs may tolerate nothing.
    assert "node_tolerations_overwrite_allowed" not in kube
    assert kube["helper_image_autoset_arch_and_os"] is True
    assert kube["privileged"] is False
    # One builder, everywhere: buildah (vfs, chroot) needs root in its container and SETFCAP, nothing more.
    assert kube["build_container_security_context"] == {
        "run_as_user": 0,
        "allow_privilege_escalation": False,
        "capabilities": {"add": ["SETFCAP"]},
    }
    assert kube["node_selector"] == {"kubernetes.io/arch": "amd64"}
    assert (kube["cpu_request"], kube["memory_request"], kube["cpu_limit"], kube["memory_limit"]) == (
        "1",
        "2Gi",
        "4",
        "8Gi",
    )
    assert kube["namespace"] == "gitlab-runner"


def _plain_token_anywhere(value: Any) -> bool:
    if isinstance(value, mockengine.Secret):
        return False
    if isinstance(value, dict):
        return any(_plain_token_anywhere(v) for v in value.values())
    if isinstance(value, list):
        return any(_plain_token_anywhere(v) for v in value)
    return isinstance(value, str) and TOKEN in value


def test_token_is_only_ever_a_secret(rec: mockengine.Recording) -> None:
    for r in rec.resources:
        assert not _plain_token_anywhere(r.inputs), f"{r.type} {r.name} holds the token in plaintext"
    assert not _plain_token_anywhere(rec.outputs)
    secret = rec.one("kubernetes:core/v1:Secret")
    assert isinstance(secret.inputs["stringData"], mockengine.Secret)
    assert mockengine.reveal(secret.inputs["stringData"]) == {"runner-token": TOKEN, "runner-registration-token": ""}
    release = rec.one("kubernetes:helm.sh/v3:Release", "gitlab-runner")
    assert TOKEN not in repr(mockengine.reveal(release.inputs))
    assert secret.urn in release.dependencies


def test_the_check_can_see_a_leak() -> None:
    assert _plain_token_anywhere({"a": [{"b": f"x{TOKEN}"}]})
    assert not _plain_token_anywhere({"a": mockengine.Secret(TOKEN)})


def test_privileged_runner_namespace_is_privileged() -> None:
    r = settings.GitLabRunner.model_validate({"privileged": True})
    assert tomllib.loads(runner.config_toml(r))["runners"][0]["kubernetes"]["privileged"] is True


@pytest.mark.parametrize(
    ("changes", "token", "expected"),
    [
        ({}, None, "multiarch:gitlabRunnerToken: required while gitlabRunner is enabled: create the runner in GitLab"),
        (
            {},
            "GR1348941abcdefghij",
            "multiarch:gitlabRunnerToken: expected a runner authentication token (glrt-...), the value is a registration token (deprecated, not supported)",
        ),
        ({}, "hello", "the value is not one"),
        ({"gitlabUrl": "gitlab.com"}, TOKEN, "multiarch:gitlabRunner.gitlabUrl: 'gitlab.com' is not an https:// URL"),
        (
            {"gitlabUrl": "http://gitlab.com/"},
            TOKEN,
            "multiarch:gitlabRunner.gitlabUrl: 'http://gitlab.com/' is not an https:// URL",
        ),
        (
            {"nodeSelectorOverwriteAllowed": "kubernetes.io/arch=(.*"},
            TOKEN,
            "multiarch:gitlabRunner.nodeSelectorOverwriteAllowed: 'kubernetes.io/arch=(.*' is not a regular expression",
        ),
        ({"concurrent": 0}, TOKEN, "multiarch:gitlabRunner.concurrent: 0: Input should be greater than or equal to 1"),
    ],
)
def test_bad_runner_input(changes: dict[str, Any], token: str | None, expected: str) -> None:
    raw = {
        "platform": "eks",
        "cluster": {"name": "b", "subnetIds": EKS_CONFIG["multiarch:cluster"]["subnetIds"]},
        "nodePools": EKS_CONFIG["multiarch:nodePools"],
        "gitlabRunner": {**RUNNER, **changes},
    }
    with pytest.raises(settings.ConfigError) as exc:
        settings.parse(raw, stack="t", aws_region="eu-west-3", gitlab_runner_token=token)
    assert any(expected in e for e in exc.value.errors), exc.value.errors
    assert all("GR1348941abcdefghij" not in e and "hello" not in e for e in exc.value.errors)


def test_disabled_runner_needs_no_token() -> None:
    raw = {
        "platform": "eks",
        "cluster": {"name": "b", "subnetIds": EKS_CONFIG["multiarch:cluster"]["subnetIds"]},
        "nodePools": EKS_CONFIG["multiarch:nodePools"],
        "gitlabRunner": {"enabled": False},
    }
    assert settings.parse(raw, stack="t", aws_region="eu-west-3").gitlab_runner is None


def test_plaintext_token_in_the_stack_config_is_refused_before_anything_is_registered() -> None:
    rec = mockengine.Recording("runner")
    with pytest.raises(settings.ConfigError) as exc:
        mockengine.run_main(
            config(EKS_CONFIG, gitlabRunner=RUNNER, gitlabRunnerToken=TOKEN), stack="runner", recording=rec
        )
    assert exc.value.errors == [
        "multiarch:gitlabRunnerToken: is stored in plaintext; set it with "
        "`pulumi config set --secret multiarch:gitlabRunnerToken glrt-...`"
    ]
    assert rec.resources == []


@pytest.mark.parametrize(
    ("taints", "allowed", "accepted", "refused"),
    [
        ([], None, [], ["kubernetes.io/arch=arm64:NoSchedule"]),
        (
            [{"key": "multiarch.dev/arch", "value": "arm64", "effect": "NoSchedule"}],
            r"^(?:multiarch\.dev/arch=arm64:NoSchedule)$",
            ["multiarch.dev/arch=arm64:NoSchedule"],
            ["multiarch.dev/arch=arm64:NoExecute", "multiarch.dev/arch=amd64:NoSchedule", "multiarchXdev/arch=arm64:NoSchedule",
             "x-multiarch.dev/arch=arm64:NoSchedule", "team=build:NoSchedule"],
        ),
        (
            [{"key": "dedicated", "value": "", "effect": "NoExecute"}, {"key": "kubernetes.io/arch", "value": "arm64", "effect": "NoSchedule"}],
            r"^(?:dedicated:NoExecute|kubernetes\.io/arch=arm64:NoSchedule)$",
            ["dedicated:NoExecute", "kubernetes.io/arch=arm64:NoSchedule"],
            ["dedicated=x:NoExecute", "dedicated:NoSchedule"],
        ),
    ],
)  # fmt: skip
def test_jobs_may_tolerate_exactly_the_build_pools_taints(
    taints: list[dict[str, str]], allowed: str | None, accepted: list[str], refused: list[str]
) -> None:
    parsed = [settings.Taint.model_validate(t) for t in taints]
    assert runner.tolerations_allowed(parsed) == allowed
    runner_settings = settings.GitLabRunner.model_validate(RUNNER)
    kube = tomllib.loads(runner.config_toml(runner_settings, taints=parsed))["runners"][0]["kubernetes"]
    assert kube.get("node_tolerations_overwrite_allowed") == allowed
    for value in accepted:
        assert allowed is not None and re.search(allowed, value), value  # the runner's Go regexp.MatchString
    for value in refused:
        assert allowed is None or not re.search(allowed, value), value


# --- per-job resource overrides up to the build pools' nodes ---------------------------------------


def _settings(pools: list[dict[str, Any]]) -> settings.Settings:
    raw = {
        "platform": "eks",
        "cluster": {"name": "b", "subnetIds": EKS_CONFIG["multiarch:cluster"]["subnetIds"]},
        "nodePools": pools,
        "gitlabRunner": RUNNER,
    }
    return settings.parse(raw, stack="t", aws_region="eu-west-3", gitlab_runner_token=TOKEN)


def test_jobs_may_raise_their_resources_up_to_what_the_build_nodes_leave(rec: mockengine.Recording) -> None:
    values = rec.one("kubernetes:helm.sh/v3:Release", "gitlab-runner").plain_inputs["values"]
    kube = tomllib.loads(values["runners"]["config"])["runners"][0]["kubernetes"]
    # m5a.2xlarge and m6g.2xlarge: 8 vCPU, 32 GiB, less the EKS AMI's reservation, the platform's
    # DaemonSets on them and the helper's 100m and 128Mi (dev's 7650m: its qemu DaemonSet too).
    assert {k: kube[k] for k in kube if k.endswith("_overwrite_max_allowed")} == {
        "cpu_request_overwrite_max_allowed": "7660m",
        "cpu_limit_overwrite_max_allowed": "7660m",
        "memory_request_overwrite_max_allowed": "29130Mi",
        "memory_limit_overwrite_max_allowed": "29130Mi",
    }
    assert set(runner.OVERWRITE_KEYS["cpu"] + runner.OVERWRITE_KEYS["memory"]) <= set(kube)


def test_the_maximum_is_the_smallest_archs_largest_node() -> None:
    small_arm = _settings([
        {"name": "x86", "arch": "amd64", "instanceType": "m5a.4xlarge", "minSize": 1, "maxSize": 3},
        {"name": "arm64", "arch": "arm64", "instanceType": "m6g.xlarge", "minSize": 0, "maxSize": 5},
        {"name": "arm64-big", "arch": "arm64", "instanceType": "m6g.2xlarge", "minSize": 0, "maxSize": 5},
    ])  # fmt: skip
    same = _settings([
        {"name": "x86", "arch": "amd64", "instanceType": "m5a.2xlarge", "minSize": 1, "maxSize": 3},
        {"name": "arm64", "arch": "arm64", "instanceType": "m6g.2xlarge", "minSize": 0, "maxSize": 5},
    ])  # fmt: skip
    # arm64's largest node (m6g.2xlarge) is smaller than amd64's (m5a.4xlarge): arm64's decides.
    assert runner.resource_overwrite_max(small_arm) == runner.resource_overwrite_max(same)
    bigger = _settings([
        {"name": "x86", "arch": "amd64", "instanceType": "m5a.4xlarge", "minSize": 1, "maxSize": 3},
        {"name": "arm64", "arch": "arm64", "instanceType": "m6g.4xlarge", "minSize": 0, "maxSize": 5},
    ])  # fmt: skip
    assert int(runner.resource_overwrite_max(bigger)["cpu_request_overwrite_max_allowed"][:-1]) > 15000


def test_the_docs_show_each_stacks_maximum() -> None:
    from tests.conftest import ROOT
    from tools import plan

    page = (ROOT / "docs" / "gitlab.md").read_text()
    for stack in ("dev", "karpenter-dev", "gke-computeclass-dev", "openshift-dev"):
        release = plan.make(stack, policies=False).recording.one("kubernetes:helm.sh/v3:Release", "gitlab-runner")
        kube = tomllib.loads(release.plain_inputs["values"]["runners"]["config"])["runners"][0]["kubernetes"]
        cpu, memory = kube["cpu_request_overwrite_max_allowed"], kube["memory_request_overwrite_max_allowed"]
        (row,) = [line for line in page.splitlines() if line.startswith(f"| `{stack}` |")]
        assert row.endswith(f"| `{cpu}` | `{memory}` |"), row
