"""Policies on the build paths' own settings: the GitLab runner's job pods unprivileged and free
to choose only the arch label, and Tekton with RWX workspaces running without its affinity
assistant.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs, StackValidationArgs

from components import arch
from policy.common import Report, configured


def runner_configs(props: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    values = props.get("values") or {}
    text = (values.get("runners") or {}).get("config")
    if not isinstance(text, str):
        return
    for runner in tomllib.loads(text).get("runners", []):
        yield runner.get("kubernetes") or {}


# Labels a job must never be able to pick: if the overwrite regex accepts one of these, it is too wide.
OTHER_LABELS = (
    "kubernetes.io/hostname=ip-10-0-1-23",
    "node-role.kubernetes.io/control-plane=",
    "node.kubernetes.io/instance-type=m5a.2xlarge",
    "topology.kubernetes.io/zone=eu-west-3a",
    "team=anything",
)


def gitlab_runner_jobs(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type != "kubernetes:helm.sh/v3:Release" or args.props.get("chart") != "gitlab-runner":
        return
    label = configured(args, "allowedLabel", arch.ARCH_LABEL)
    try:
        runners = list(runner_configs(args.props))
    except tomllib.TOMLDecodeError as exc:
        report(f"gitlab-runner release {args.name}: runners.config is not valid TOML ({exc})")
        return
    for kube in runners:
        if kube.get("privileged"):
            report(f"gitlab-runner release {args.name}: job pods are privileged (runners.kubernetes.privileged = true)")
        pattern = kube.get("node_selector_overwrite_allowed")
        if pattern is None:
            continue
        try:
            regex = re.compile(pattern)
        except re.error:
            report(f"gitlab-runner release {args.name}: node_selector_overwrite_allowed {pattern!r} is not a regex")
            continue
        wider = [probe for probe in OTHER_LABELS if regex.fullmatch(probe)]
        if wider or not regex.fullmatch(f"{label}=arm64"):
            why = f"it also accepts {wider[0]!r}" if wider else f"it does not accept {label}=arm64"
            report(
                f"gitlab-runner release {args.name}: node_selector_overwrite_allowed {pattern!r} must limit "
                f"jobs to the {label} label; {why}"
            )


def tekton_affinity_assistant(args: StackValidationArgs, report: Report) -> None:
    rwx = [
        r
        for r in args.resources
        if r.resource_type == "kubernetes:storage.k8s.io/v1:StorageClass"
        and r.props.get("provisioner") in ("efs.csi.aws.com", "filestore.csi.storage.gke.io")
    ]
    tekton = [
        r
        for r in args.resources
        if r.resource_type == "kubernetes:yaml/v2:ConfigFile" and "tektoncd/pipeline" in str(r.props.get("file", ""))
    ]
    # The release's own ConfigMap as the engine renders it (after the stack's transform), or a
    # patch of it: `pulumi preview` shows the rendered children; an offline plan does not.
    flags = [
        r
        for r in args.resources
        if r.resource_type in ("kubernetes:core/v1:ConfigMap", "kubernetes:core/v1:ConfigMapPatch")
        and (r.props.get("metadata") or {}).get("name") == "feature-flags"
        and (r.props.get("metadata") or {}).get("namespace", "tekton-pipelines") == "tekton-pipelines"
    ]
    configs = [
        r for r in args.resources if r.resource_type == "kubernetes:operator.tekton.dev/v1alpha1:TektonConfigPatch"
    ]
    if not rwx or not (tekton or configs):
        return
    if tekton and flags and not any((f.props.get("data") or {}).get("coschedule") == "disabled" for f in flags):
        report(
            "Tekton runs with RWX workspaces but the affinity assistant is on: set feature-flags coschedule: disabled"
        )
    for c in configs:
        if (((c.props.get("spec") or {}).get("pipeline")) or {}).get("coschedule") != "disabled":
            report("OpenShift Pipelines with RWX workspaces: TektonConfig spec.pipeline.coschedule must be disabled")
