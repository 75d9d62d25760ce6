"""The GitLab runner on OpenShift: job pods OpenShift admits (their own SCC), and nothing more."""

from __future__ import annotations

import copy
import tomllib
from typing import Any

import pytest
import yaml

from components import runner, versions
from tools import mockengine, plan, schemas

SCC = "kubernetes:security.openshift.io/v1:SecurityContextConstraints"
ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role"
BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"


@pytest.fixture(scope="module")
def rec() -> mockengine.Recording:
    """The committed openshift-dev stack, which enables the runner."""
    return plan.make("openshift-dev", policies=False).recording


def _runner_children(rec: mockengine.Recording, type_: str) -> list[dict[str, Any]]:
    return [r.plain_inputs for r in rec.by_type(type_) if r.parent.endswith("::gitlab-runner")]


def test_the_jobs_scc_grants_exactly_what_buildah_needs(rec: mockengine.Recording) -> None:
    (scc,) = _runner_children(rec, SCC)
    assert scc == {
        "apiVersion": "security.openshift.io/v1",
        "kind": "SecurityContextConstraints",
        "metadata": {
            "name": "gitlab-runner-buildah",
            "annotations": {
                "kubernetes.io/description": "multiarch: GitLab build jobs (buildah, vfs, chroot): any UID, SETFCAP"
            },
        },
        "allowPrivilegedContainer": False,
        "allowPrivilegeEscalation": False,
        "allowHostDirVolumePlugin": False,
        "allowHostIPC": False,
        "allowHostNetwork": False,
        "allowHostPID": False,
        "allowHostPorts": False,
        "allowedCapabilities": ["SETFCAP"],
        "defaultAddCapabilities": [],
        "requiredDropCapabilities": ["KILL", "MKNOD"],
        "runAsUser": {"type": "RunAsAny"},
        "seLinuxContext": {"type": "MustRunAs"},
        "fsGroup": {"type": "MustRunAs"},
        "supplementalGroups": {"type": "RunAsAny"},
        "readOnlyRootFilesystem": False,
        "priority": 0,
        "users": [],
        "groups": [],
        "volumes": ["configMap", "downwardAPI", "emptyDir", "persistentVolumeClaim", "projected", "secret"],
    }


def test_use_of_the_scc_is_granted_to_the_jobs_service_account_alone(rec: mockengine.Recording) -> None:
    (role,) = _runner_children(rec, ROLE)
    assert role["metadata"] == {"name": "use-scc-gitlab-runner-buildah", "namespace": "gitlab-runner"}
    assert role["rules"] == [
        {
            "apiGroups": ["security.openshift.io"],
            "resources": ["securitycontextconstraints"],
            "resourceNames": ["gitlab-runner-buildah"],
            "verbs": ["use"],
        }
    ]
    (binding,) = _runner_children(rec, BINDING)
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": role["metadata"]["name"],
    }
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": runner.JOBS_SERVICE_ACCOUNT, "namespace": "gitlab-runner"}
    ]
    (account,) = _runner_children(rec, "kubernetes:core/v1:ServiceAccount")
    assert account["metadata"] == {"name": "gitlab-runner-jobs", "namespace": "gitlab-runner"}
    assert account["automountServiceAccountToken"] is False


def test_the_runner_runs_jobs_under_that_account_as_root_with_setfcap(rec: mockengine.Recording) -> None:
    release = rec.one("kubernetes:helm.sh/v3:Release", "gitlab-runner").plain_inputs
    kube = tomllib.loads(release["values"]["runners"]["config"])["runners"][0]["kubernetes"]
    assert kube["service_account"] == runner.JOBS_SERVICE_ACCOUNT
    assert "service_account_overwrite_allowed" not in kube  # a job cannot pick another account
    assert kube["build_container_security_context"] == {
        "run_as_user": 0,
        "allow_privilege_escalation": False,
        "capabilities": {"add": ["SETFCAP"]},
    }
    assert kube["privileged"] is False


def test_the_manager_stays_under_restricted_v2(rec: mockengine.Recording) -> None:
    release = rec.one("kubernetes:helm.sh/v3:Release", "gitlab-runner").plain_inputs
    # The chart's fixed UID 100 and fsGroup 65533 are deleted (null), so OpenShift assigns its own.
    (values_file,) = release["valueYamlFiles"]
    assert yaml.safe_load(values_file["text"]) == {"podSecurityContext": {"runAsUser": None, "fsGroup": None}}
    assert release["values"]["securityContext"] == {"allowPrivilegeEscalation": False, "runAsNonRoot": True}
    ns = next(r for r in _runner_children(rec, "kubernetes:core/v1:Namespace"))
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "baseline"  # root + SETFCAP fit baseline


def test_other_platforms_have_no_jobs_account_or_scc() -> None:
    dev = plan.make("dev", policies=False).recording
    assert not dev.by_type(SCC) and not _runner_children(dev, "kubernetes:core/v1:ServiceAccount")
    release = dev.one("kubernetes:helm.sh/v3:Release", "gitlab-runner").plain_inputs
    kube = tomllib.loads(release["values"]["runners"]["config"])["runners"][0]["kubernetes"]
    assert "service_account" not in kube
    # The same builder everywhere: the same build container context (OpenShift's SCC admits it).
    assert kube["build_container_security_context"] == runner.BUILD_CONTAINER_SECURITY_CONTEXT
    assert "valueYamlFiles" not in release


def test_the_ci_component_is_the_same_buildah_component_on_every_platform(rec: mockengine.Recording) -> None:
    dev = plan.make("dev", policies=False).recording
    assert rec.outputs["gitlabCiTemplate"] == dev.outputs["gitlabCiTemplate"]  # no taints on either: the same
    spec, jobs = yaml.safe_load_all(rec.outputs["gitlabCiTemplate"])
    assert spec["spec"]["inputs"]["builder-image"]["default"] == versions.BUILDAH_IMAGE
    for name in ("$[[ inputs.name ]]-build-arm64", "$[[ inputs.name ]]-manifest"):
        assert jobs[name]["image"] == {"name": "$[[ inputs.builder-image ]]"}
        assert jobs[name]["variables"]["STORAGE_DRIVER"] == "vfs"
        assert jobs[name]["variables"]["BUILDAH_ISOLATION"] == "chroot"
        assert "--password-stdin" in "\n".join(jobs[name]["before_script"])


# --- the SCC against its vendored CRD ----------------------------------------------------------


def test_the_scc_matches_its_crd(rec: mockengine.Recording) -> None:
    (scc,) = _runner_children(rec, SCC)
    assert schemas.check_custom(scc) == []
    assert ("security.openshift.io/v1", "SecurityContextConstraints") in schemas.crd_schemas()


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda o: o.pop("priority"), "(top level): 'priority' is a required property"),
        (lambda o: o.pop("volumes"), "(top level): 'volumes' is a required property"),
        (lambda o: o.update(allowPrivilegedContainers=False), "('allowPrivilegedContainers' was unexpected)"),
        (lambda o: o.update(allowHostPID="no"), "allowHostPID: 'no' is not of type 'boolean'"),
        (lambda o: o["runAsUser"].update(uid="0"), "runAsUser.uid: '0' is not of type 'integer'"),
        (
            lambda o: o["fsGroup"].update(range=[]),
            "fsGroup: Additional properties are not allowed ('range' was unexpected)",
        ),
        (
            lambda o: o.update(allowedCapabilities="SETFCAP"),
            "allowedCapabilities: 'SETFCAP' is not of type 'array', 'null'",
        ),
    ],
)
def test_the_crd_refuses_a_wrong_field(rec: mockengine.Recording, mutate: Any, expected: str) -> None:
    (scc,) = _runner_children(rec, SCC)
    broken = copy.deepcopy(scc)
    mutate(broken)
    (message,) = schemas.check_custom(broken)
    assert message.startswith("SecurityContextConstraints does not match its CRD (tools/crds/")
    assert message.endswith(expected), message


def test_the_plan_reports_a_wrong_scc_as_a_schema_failure(rec: mockengine.Recording) -> None:
    scc = next(r for r in rec.by_type(SCC))
    broken = copy.deepcopy(scc)
    broken.inputs.pop("priority")
    (failure,) = schemas.check([broken], "1.33")
    assert failure.resource == f"{SCC} gitlab-runner-jobs-scc"
    assert "'priority' is a required property" in failure.message
