"""The build pools' taints, tolerated where their builds run: every blocking taint of a build pool
tolerated by each task the PipelineRun template pins to that pool's arch, and allowed to every
GitLab runner's jobs.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from typing import Any

import yaml
from pulumi_policy import StackValidationArgs

from components import arch, names
from policy.capacity import COMPUTE_CLASS_TYPE, NODEPOOL_TYPE, class_arch, nodepool_arches
from policy.common import Report, arch_or_none, ns_name
from policy.pipelines import runner_configs

BLOCKING_EFFECTS = ("NoSchedule", "NoExecute")  # PreferNoSchedule keeps no pod away
_KUBERNETES_EFFECT = {cloud: k8s for k8s, cloud in arch.CLOUD_TAINT_EFFECTS.items()}
Taint = tuple[str, str, str]  # key, value ("" for none), Kubernetes effect


def _taints(items: Any) -> list[Taint]:
    out = []
    for t in items or []:
        effect = _KUBERNETES_EFFECT.get(str(t.get("effect")), str(t.get("effect")))
        if effect in BLOCKING_EFFECTS:
            out.append((str(t.get("key")), str(t.get("value") or ""), effect))
    return out


def _build_pools(resources: Any) -> list[tuple[str, str, list[Taint]]]:
    """(what, arch, blocking taints) of every build pool (not the system node group)."""
    pools: list[tuple[str, str, list[Taint]]] = []
    gke_arm64 = arch.GKE_ARM64_TAINT
    for r in resources:
        p, kind = r.props, r.resource_type
        if kind == "aws:eks/nodeGroup:NodeGroup":
            facts = arch.EKS_AMI_TYPES.get(p.get("amiType") or "")
            if facts and (p.get("labels") or {}).get(arch.POOL_LABEL) != names.SYSTEM_POOL:
                pools.append((f"node group {p.get('nodeGroupName') or r.name}", facts.arch, _taints(p.get("taints"))))
        elif kind == "gcp:container/nodePool:NodePool":
            config = p.get("nodeConfig") or {}
            a = arch_or_none(arch.Cloud.GCP, config.get("machineType") or "")
            if a and (config.get("labels") or {}).get(arch.POOL_LABEL) != names.SYSTEM_POOL:
                taints = _taints(config.get("taints"))
                if a == "arm64":  # GKE's own, on every arm64 node
                    taints.append((gke_arm64["key"], gke_arm64["value"], gke_arm64["effect"]))
                pools.append((f"GKE node pool {p.get('name') or r.name}", a, taints))
        elif kind == "kubernetes:machine.openshift.io/v1beta1:MachineSet":
            template = ((p.get("spec") or {}).get("template") or {}).get("spec") or {}
            value = (template.get("providerSpec") or {}).get("value") or {}
            a = arch_or_none(arch.Cloud.AWS, value.get("instanceType", ""))
            if a:
                pools.append((f"MachineSet {ns_name(p)}", a, _taints(template.get("taints"))))
        elif kind == NODEPOOL_TYPE:
            arches = nodepool_arches(p) or set()
            template = ((p.get("spec") or {}).get("template") or {}).get("spec") or {}
            for a in sorted(arches):
                pools.append((f"NodePool {ns_name(p)}", a, _taints(template.get("taints"))))
        elif kind == COMPUTE_CLASS_TYPE:
            a = class_arch(p)
            config = (p.get("spec") or {}).get("nodePoolConfig") or {}
            taints = _taints(config.get("taints"))
            behaviour = (config.get("taintConfig") or {}).get("architectureTaintBehavior", "ARM")
            if a == "arm64" and behaviour == "ARM":  # GKE's own, on every arm64 node of the class
                taints.append((gke_arm64["key"], gke_arm64["value"], gke_arm64["effect"]))
            if a:
                pools.append((f"ComputeClass {ns_name(p)}", a, taints))
    return pools


def _tolerates(tolerations: Any, taint: Taint) -> bool:
    """Kubernetes' matching: the key (or none, with Exists), the value (or Exists), the effect (or any)."""
    key, value, effect = taint
    for t in tolerations or []:
        operator = t.get("operator") or "Equal"
        if t.get("key") not in (None, "", key) or (not t.get("key") and operator != "Exists"):
            continue
        if operator == "Equal" and str(t.get("value") or "") != value:
            continue
        if t.get("effect") in (None, "", effect):
            return True
    return False


def _run_template_tasks(resources: Any) -> Iterator[tuple[str, str, str, Any]]:
    """(template, task, node arch, tolerations) of every pinned task of the stack's PipelineRun template."""
    for r in resources:
        md = r.props.get("metadata") or {}
        if r.resource_type != "kubernetes:core/v1:ConfigMap" or md.get("name") != names.PIPELINE_RUN_TEMPLATE:
            continue
        text = (r.props.get("data") or {}).get(names.PIPELINE_RUN_TEMPLATE_KEY)
        run = yaml.safe_load(text) if isinstance(text, str) else None
        for spec in ((run or {}).get("spec") or {}).get("taskRunSpecs") or []:
            pod = spec.get("podTemplate") or {}
            node = (pod.get("nodeSelector") or {}).get(arch.ARCH_LABEL)
            if node:
                yield ns_name(r.props), str(spec.get("pipelineTaskName")), str(node), pod.get("tolerations")


def _runner_tolerations(resources: Any) -> Iterator[tuple[str, str | None]]:
    """(runner release, its node_tolerations_overwrite_allowed) of every GitLab runner."""
    for r in resources:
        if r.resource_type != "kubernetes:helm.sh/v3:Release" or r.props.get("chart") != "gitlab-runner":
            continue
        release = f"{r.props.get('namespace')}/{r.props.get('name')}"
        try:
            for kube in runner_configs(r.props):
                yield release, kube.get("node_tolerations_overwrite_allowed")
        except tomllib.TOMLDecodeError:
            continue  # gitlab-runner-jobs-unprivileged says so


def build_pool_taints_tolerated(args: StackValidationArgs, report: Report) -> None:
    pools = _build_pools(args.resources)
    tasks = list(_run_template_tasks(args.resources))
    runners = list(_runner_tolerations(args.resources))
    for what, pool_arch, taints in pools:
        for taint in taints:
            shown = f"{taint[0]}={taint[1]}:{taint[2]}" if taint[1] else f"{taint[0]}:{taint[2]}"
            for template, task, node, tolerations in tasks:
                if node == pool_arch and not _tolerates(tolerations, taint):
                    report(
                        f"{what} ({pool_arch}) is tainted {shown}, and task {task} of the PipelineRun template "
                        f"{template} runs on {pool_arch} nodes without tolerating it: it would stay Pending; "
                        "tolerate the taint in its taskRunSpecs podTemplate"
                    )
            for release, allowed in runners:
                if allowed is None or not re.search(allowed, shown):
                    report(
                        f"{what} ({pool_arch}) is tainted {shown}, and the GitLab runner {release} does not let a "
                        f"job tolerate it (node_tolerations_overwrite_allowed {allowed!r}): its {pool_arch} jobs "
                        "would stay Pending"
                    )
