"""Offline plan: what `pulumi up` would declare for a stack, without the CLI, credentials or network.

    python -m tools.plan STACK [--out DIR]

STACK is a stack name (stacks/Pulumi.STACK.yaml) or a path to a stack file. The program runs under
the Pulumi SDK's mock engine with that stack's config. Prints the resource tree with the facts a
reviewer checks (arch, instance type, AMI type, sizes) and an estimated monthly cost per pool;
writes DIR/plan.json (every resource: type, name, parent, provider, options, inputs with secrets
shown as "[secret]") and DIR/manifests/ (one YAML file per Kubernetes object).

It then judges the plan: the CrossGuard pack in `policy/` is run on every declared resource and on
the whole stack over the analyzer protocol, the way `pulumi preview --policy-pack policy` runs it;
every Kubernetes object is checked against the upstream schema of the cluster's version. Verdicts
are printed with their policy, level and resource, and saved in plan.json. It also writes the
stack as a diagram (DIR/diagram*.mmd, DIR/diagram*.dot, and DIR/diagram.png where Graphviz is: of the
components only, past `diagram.PNG_MAX_RESOURCES` resources).

Everything written is canonical: resources in URN order, URN lists sorted, JSON keys sorted, so
two plans of the same stack file are byte-identical and a plain `diff` of two plans is the change
(`python -m tools.diff` reads it for you).

Exit status: 0 planned and no mandatory violation; 1 a mandatory policy or schema failure (or any
other failure); 2 configuration error (the same messages `pulumi up` prints).
"""

from __future__ import annotations

import argparse
import io
import json
import re
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import yaml

from components.catalog import prices
from components.cost import PoolCost, control_plane_hourly, pool_costs, price_region
from tools import cli, diagram, mockengine, policyrun, schemas, stackfile
from tools.mockengine import Recording, Registered, redact

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2
CI_TEMPLATE = "templates/build-multi-arch.yml"  # the CI/CD component, as GitLab's catalog lays it out
PIPELINE_RUN = "examples/pipelinerun.yaml"
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml where PyYAML has it: manifests by the hundred


def _num(v: Any) -> str:
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)


def _arch_or_unknown(cloud: Any, instance_type: str) -> str:
    from components import arch

    try:
        return arch.arch_of(cloud, instance_type)
    except arch.UnknownInstanceTypeError:
        return "?"


def facts(r: Registered) -> str:
    """The one line a reviewer wants next to a resource."""
    from components import arch

    i = r.plain_inputs
    if r.type == "aws:eks/nodeGroup:NodeGroup":
        ami = i.get("amiType", "")
        sc = i.get("scalingConfig", {})
        a = arch.EKS_AMI_TYPES[ami].arch if ami in arch.EKS_AMI_TYPES else "?"
        return (
            f"{a} {','.join(i.get('instanceTypes', []))} {ami} {i.get('capacityType', '')} "
            f"min={_num(sc.get('minSize'))} desired={_num(sc.get('desiredSize'))} max={_num(sc.get('maxSize'))}"
        )
    if r.type == "gcp:container/nodePool:NodePool":
        nc, sc = i.get("nodeConfig", {}), i.get("autoscaling", {})
        machine = nc.get("machineType", "")
        zones = ",".join(i.get("nodeLocations") or []) or "all zones"
        return (
            f"{_arch_or_unknown(arch.Cloud.GCP, machine)} {machine} {nc.get('imageType', '')} "
            f"{'SPOT' if nc.get('spot') else 'ON_DEMAND'} autoscaling {_num(sc.get('totalMinNodeCount'))}.."
            f"{_num(sc.get('totalMaxNodeCount'))} {sc.get('locationPolicy', '')} in {zones}"
        )
    if r.type == "kubernetes:machine.openshift.io/v1beta1:MachineSet":
        spec = i.get("spec", {})
        value = spec.get("template", {}).get("spec", {}).get("providerSpec", {}).get("value", {})
        machine = value.get("instanceType", "")
        return (
            f"{_arch_or_unknown(arch.Cloud.AWS, machine)} {machine} {value.get('ami', {}).get('id', '')} "
            f"{value.get('placement', {}).get('availabilityZone', '')} replicas={_num(spec.get('replicas'))}"
        )
    if r.type == "kubernetes:karpenter.sh/v1:NodePool":
        spec = i.get("spec", {})
        reqs = {
            q.get("key"): q.get("values", []) for q in spec.get("template", {}).get("spec", {}).get("requirements", [])
        }
        limits = spec.get("limits", {})
        disruption = spec.get("disruption", {})
        return (
            f"NodePool {i.get('metadata', {}).get('name')}: {','.join(reqs.get(arch.ARCH_LABEL, ['any arch']))} "
            f"{','.join(reqs.get('node.kubernetes.io/instance-type', ['any type']))} "
            f"{','.join(reqs.get('karpenter.sh/capacity-type', ['any capacity']))} "
            f"limits nodes={limits.get('nodes')} cpu={limits.get('cpu')} memory={limits.get('memory')}; "
            f"{disruption.get('consolidationPolicy')} after {disruption.get('consolidateAfter')}, "
            f"grace {spec.get('template', {}).get('spec', {}).get('terminationGracePeriod')}"
        )
    if r.type == "kubernetes:cloud.google.com/v1:ComputeClass":
        spec = i.get("spec", {})
        tried = ", ".join(
            f"{p.get('machineFamily')}{' spot' if p.get('spot') else ''}" for p in spec.get("priorities", [])
        )
        return (
            f"ComputeClass {i.get('metadata', {}).get('name')}: "
            f"{i.get('metadata', {}).get('annotations', {}).get('multiarch.dev/arch', 'any arch')} {tried}; "
            f"{spec.get('whenUnsatisfiable')}"
        )
    if r.type == "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass":
        spec = i.get("spec", {})
        root: dict[str, Any] = next(
            (b.get("ebs", {}) for b in spec.get("blockDeviceMappings", []) if b.get("rootVolume")), {}
        )
        aliases = ",".join(t.get("alias", "?") for t in spec.get("amiSelectorTerms", []))
        return (
            f"EC2NodeClass {i.get('metadata', {}).get('name')}: {aliases}, role {spec.get('role')}, "
            f"root {root.get('volumeSize')} {root.get('volumeType')}"
        )
    if r.type == "aws:cloudwatch/eventRule:EventRule":
        pattern = json.loads(i.get("eventPattern", "{}") or "{}")
        return f"{','.join(pattern.get('detail-type', []))} -> the interruption queue"
    if r.type == "aws:sqs/queue:Queue":
        return (
            f"{i.get('name')} retention {_num(i.get('messageRetentionSeconds'))} s, SSE {i.get('sqsManagedSseEnabled')}"
        )
    if r.type == "aws:eks/accessEntry:AccessEntry":
        return f"{i.get('type')} for {i.get('principalArn')}"
    if r.type == "aws:ec2/tag:Tag":
        return f"{i.get('key')}={i.get('value')} on {i.get('resourceId')}"
    if r.type == "aws:iam/policy:Policy":
        doc = json.loads(i.get("policy", "{}") or "{}")
        return f"{i.get('name')}: " + ", ".join(st.get("Sid", "") for st in doc.get("Statement", []))
    if r.type == "kubernetes:helm.sh/v3:Release":
        return f"chart {i.get('chart')} {i.get('version')} in namespace {i.get('namespace')}"
    if r.type == "kubernetes:storage.k8s.io/v1:StorageClass":
        params = i.get("parameters", {})
        shown = " ".join(f"{k}={v}" for k, v in params.items() if k != "provisioningMode")
        mode = f" {params['provisioningMode']}" if "provisioningMode" in params else ""
        return f"StorageClass {i.get('metadata', {}).get('name')}: {i.get('provisioner')}{mode} {shown}".rstrip()
    if r.type == "aws:efs/fileSystem:FileSystem":
        return f"encrypted={i.get('encrypted')} {i.get('throughputMode', '')} {i.get('creationToken', '')}"
    if r.type == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
        source = i.get("referencedSecurityGroupId") or i.get("cidrIpv4")
        return f"{i.get('ipProtocol')} {_num(i.get('fromPort'))}-{_num(i.get('toPort'))} from {source}"
    if r.type == "aws:efs/mountTarget:MountTarget":
        return f"in {i.get('subnetId')}"
    if r.type == "aws:eks/addon:Addon":
        return f"{i.get('addonName')} {i.get('addonVersion', '')}"
    if r.type == "kubernetes:yaml/v2:ConfigFile":
        return f"manifest {i.get('file')}" + (f" (+{r.transforms} transform)" if r.transforms else "")
    if r.type == "multiarch:pipelines:Engine" and "featureFlags" in r.outputs:
        flags = " ".join(f"{k}={v}" for k, v in sorted(r.outputs["featureFlags"].items()))
        system = r.outputs.get("controllersOnSystemNodes")
        on_system = f"; controllers in {', '.join(system['namespaces'])} on the system nodes" if system else ""
        return f"feature-flags in the release's ConfigMap, set by its transform: {flags}{on_system}"
    if r.type == "kubernetes:core/v1:ConfigMapPatch":
        md = i.get("metadata", {})
        return f"patch ConfigMap {md.get('namespace')}/{md.get('name')}: " + " ".join(
            f"{k}={v}" for k, v in i.get("data", {}).items()
        )
    if r.type == "kubernetes:apps/v1:DaemonSet":
        spec = i.get("spec", {}).get("template", {}).get("spec", {})
        images = [c.get("image") for c in spec.get("initContainers", []) + spec.get("containers", [])]
        terms = (
            spec.get("affinity", {}).get("nodeAffinity", {}).get("requiredDuringSchedulingIgnoredDuringExecution", {})
        )
        on = [v for t in terms.get("nodeSelectorTerms", []) for e in t.get("matchExpressions", []) for v in e["values"]]
        return f"DaemonSet {i.get('metadata', {}).get('name')} on {','.join(on)} nodes: {' + '.join(images)}"
    if r.type == "kubernetes:autoscaling.openshift.io/v1beta1:MachineAutoscaler":
        spec = i.get("spec", {})
        return (
            f"MachineAutoscaler {spec.get('scaleTargetRef', {}).get('name')} "
            f"{_num(spec.get('minReplicas'))}..{_num(spec.get('maxReplicas'))}"
        )
    if r.type == "aws:iam/rolePolicy:RolePolicy":
        doc = json.loads(i.get("policy", "{}") or "{}")
        return "; ".join(
            f"{st.get('Sid', '')}: {','.join(st['Action'] if isinstance(st['Action'], list) else [st['Action']])}"
            for st in doc.get("Statement", [])
        )
    if r.type == "aws:eks/cluster:Cluster":
        return f"Kubernetes {i.get('version')} in {len(i.get('vpcConfig', {}).get('subnetIds', []))} subnets"
    if r.type == "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
        return str(i.get("policyArn", "")).rsplit("/", 1)[-1]
    if r.type == "kubernetes:security.openshift.io/v1:SecurityContextConstraints":
        host = [k.removeprefix("allowHost") for k in sorted(i) if k.startswith("allowHost") and i[k]]
        return (
            f"SCC {i.get('metadata', {}).get('name')}: runAsUser {i.get('runAsUser', {}).get('type')}, "
            f"capabilities +{','.join(i.get('allowedCapabilities') or []) or 'none'}, "
            f"privileged {'yes' if i.get('allowPrivilegedContainer') else 'no'}, host {','.join(host) or 'none'}, "
            f"direct grants {len(i.get('users') or []) + len(i.get('groups') or [])}"
        )
    if r.type.startswith("kubernetes:rbac.authorization.k8s.io/v1:") and r.type.endswith("Binding"):
        md, ref = i.get("metadata", {}), i.get("roleRef", {})
        ns = f"{md['namespace']}/" if md.get("namespace") else ""
        who = ", ".join(
            f"{s.get('kind')} {s.get('namespace', '') + '/' if s.get('namespace') else ''}{s.get('name')}"
            for s in i.get("subjects") or []
        )
        return f"{i.get('kind')} {ns}{md.get('name')}: {ref.get('kind')} {ref.get('name')} to {who}"
    if r.is_kubernetes_object:
        md = i.get("metadata", {})
        ns = f"{md['namespace']}/" if md.get("namespace") else ""
        patch = f" patch spec {json.dumps(i.get('spec'))}" if r.type.endswith("Patch") and "spec" in i else ""
        return f"{i.get('kind')} {ns}{md.get('name', '')}{patch}"
    return ""


def _flags(r: Registered) -> str:
    out = []
    if r.protect:
        out.append("protected")
    if r.retain_on_delete:
        out.append("retain-on-delete")
    return f" [{', '.join(out)}]" if out else ""


def print_tree(rec: Recording, out: TextIO) -> None:
    by_parent: dict[str, list[Registered]] = {}
    for r in rec.resources:
        by_parent.setdefault(r.parent, []).append(r)
    known = {r.urn for r in rec.resources}

    def walk(parent: str, depth: int) -> None:
        for r in sorted(by_parent.get(parent, []), key=lambda x: (x.custom, x.type, x.name)):
            f = facts(r)
            out.write(f"{'  ' * depth}{'+' if r.custom else '*'} {r.type} {r.name}{_flags(r)}{'  ' + f if f else ''}\n")
            walk(r.urn, depth + 1)

    roots = sorted({r.parent for r in rec.resources if r.parent not in known})
    for root in roots:
        walk(root, 0)


def _usd(amount: float, nodes: int | None = None) -> str:
    text = f"${amount:,.0f}"
    return f"{text} ({nodes})" if nodes is not None else text


UNKNOWN = "unknown"  # a price the table does not have: never shown, nor summed, as $0


def print_costs(settings: Any, costs: Sequence[PoolCost], out: TextIO) -> dict[str, Any]:
    """The cost table: each pool at min (idle), initial and max size, plus the control plane. A pool
    the price table cannot price shows "unknown" in each cell where it has nodes (none cost $0
    whatever the price), and the totals of those columns, left without it, say they are incomplete
    ("at least")."""
    region = price_region(settings)
    out.write(
        f"\nEstimated monthly cost (on-demand list prices, {region}, as of {prices.PRICES_AS_OF}; "
        f"{prices.HOURS_PER_MONTH} h/month):\n"
    )
    totals = [0.0, 0.0, 0.0]
    known = [True, True, True]  # per column: every pool with nodes there is priced
    rows, table = [], []
    unpriced = []
    for c in costs:
        sizes = (c.min_size, c.initial_size, c.max_size)
        monthly = [c.monthly(n) if c.hourly is not None else (0.0 if n == 0 else None) for n in sizes]
        if c.hourly is None:
            unpriced.append(f"{c.pool} ({c.instance_type})")
            cells = [_usd(0.0, n) if n == 0 else f"{UNKNOWN} ({n})" for n in sizes]
            table.append([c.pool, c.arch, c.instance_type, UNKNOWN, *cells])
            known = [k and m is not None for k, m in zip(known, monthly, strict=True)]
        else:
            cells = [_usd(m or 0.0, n) for m, n in zip(monthly, sizes, strict=True)]
            table.append([c.pool, c.arch, c.instance_type, f"{'~' if c.estimated else ''}{c.hourly:.3f}", *cells])
            totals = [t + (m or 0.0) for t, m in zip(totals, monthly, strict=True)]
        rows.append(
            {
                "pool": c.pool,
                "arch": c.arch,
                "instanceType": c.instance_type,
                "hourlyUsd": c.hourly,
                "hourlyEstimated": c.estimated,
                "minSize": c.min_size,
                "initialSize": c.initial_size,
                "maxSize": c.max_size,
                "monthlyUsdAtMin": monthly[0],
                "monthlyUsdInitial": monthly[1],
                "monthlyUsdAtMax": monthly[2],
            }
        )
    control = prices.monthly(control_plane_hourly(settings), 1)
    if control:
        table.append(["control plane", "", "", "", *[_usd(control)] * 3])
    totals = [round(t + control, 2) for t in totals]
    complete = all(known)
    shown = [_usd(t) if k else f">= {_usd(t)}" for t, k in zip(totals, known, strict=True)]
    table.append(["total" if complete else "total (incomplete)", "", "", "", *shown])
    header = ["pool", "arch", "type", "$/h", "at min", "initial", "at max"]
    widths = [max(len(str(r[i])) for r in [header, *table]) for i in range(len(header))]
    for r in [header, *table]:
        cells = [str(v).ljust(w) if i < 3 else str(v).rjust(w) for i, (v, w) in enumerate(zip(r, widths, strict=True))]
        out.write("  " + " ".join(cells).rstrip() + "\n")
    if not complete:
        out.write(
            f"  no price for {', '.join(unpriced)} in {region} (components/catalog/prices.py): "
            "the totals leave them out\n"
        )
    if any(c.estimated for c in costs):
        out.write(f"  ~ estimated: the us-east-1 price x {prices.eu_west_3_factor()} (components/catalog/prices.py)\n")
    view = cost_view(settings, costs, totals, known)
    out.write(f"\n  engine {view['engine']}: idle {view['idleText']}; at most {view['maxText']}\n")
    for a, b in view["buildHour"].items():
        price = "unknown" if b["hourlyUsd"] is None else f"${b['hourlyUsd']:.2f}"
        out.write(
            f"  one hour of one {a} build: {price} (one {b['instanceType']} node of pool {b['pool']}{b['note']})\n"
        )
    return {
        "region": region,
        "pricesAsOf": prices.PRICES_AS_OF,
        "currency": "USD",
        "pools": rows,
        "controlPlaneMonthlyUsd": control,
        "complete": complete,
        "completeByColumn": dict(zip(("atMin", "initial", "atMax"), known, strict=True)),
        "unpriced": unpriced if not complete else [],
        "totalMonthlyUsd": {"atMin": totals[0], "initial": totals[1], "atMax": totals[2]},
        "view": {k: v for k, v in view.items() if not k.endswith("Text")},
    }


def cost_view(
    settings: Any, costs: Sequence[PoolCost], totals: Sequence[float], known: Sequence[bool]
) -> dict[str, Any]:
    """What a reviewer asks of a stack's bill: what it costs idle (every pool at its minimum, the
    control plane included), what one hour of one build adds per arch (a node of the arch's build
    pool: nothing more when the pool keeps an idle node, else one node), and the most it can cost."""
    engine = "karpenter" if settings.autoscaling.uses_karpenter else str(settings.autoscaling.engine)
    build: dict[str, dict[str, Any]] = {}
    for c in costs:
        if c.system or c.arch in build:
            continue
        kept = c.min_size > 0
        build[c.arch] = {
            "pool": c.pool,
            "instanceType": c.instance_type,
            "hourlyUsd": None if c.hourly is None else (0.0 if kept else c.hourly),
            "note": ", kept running at minSize: no extra cost" if kept else ", started for the build",
        }

    def money(x: float, complete: bool) -> str:
        return f"{'' if complete else '>= '}${x:,.0f} a month"

    return {
        "engine": engine,
        "idleMonthlyUsd": totals[0],
        "idleComplete": known[0],
        "maxMonthlyUsd": totals[2],
        "maxComplete": known[2],
        "buildHour": build,
        "idleText": money(totals[0], known[0]),
        "maxText": money(totals[2], known[2]),
    }


def _manifest_name(r: Registered) -> str:
    i = r.plain_inputs
    md = i.get("metadata", {})
    parts = [str(i.get("kind", "Object")).lower(), md.get("namespace") or "", md.get("name") or r.name]
    return re.sub(r"[^A-Za-z0-9_.-]", "_", "-".join(p for p in parts if p)) + ".yaml"


def verdicts(rec: Recording, kubernetes_version: str) -> list[policyrun.Violation]:
    """Policy violations and schema failures, schema failures reported as a mandatory policy.
    The pack judges (in its own process) while the schemas are checked here."""
    answers = policyrun.shared().submit(rec.resources)
    found = [
        policyrun.Violation(schemas.SCHEMA_POLICY, "mandatory", f.message, f.resource)
        for f in schemas.check(rec.kubernetes_objects(), kubernetes_version)
    ]
    found += answers()
    return sorted(found, key=lambda v: (not v.mandatory, v.policy, v.resource, v.message))


def print_verdicts(found: Sequence[policyrun.Violation], checked: int, objects: int, out: TextIO) -> None:
    mandatory = [v for v in found if v.mandatory]
    out.write(
        f"\nPolicy verdicts (policy/ pack on {checked} resources and the stack; {objects} Kubernetes objects "
        f"schema-checked): {len(mandatory)} mandatory, {len(found) - len(mandatory)} advisory\n"
    )
    for v in found:
        out.write(f"  [{v.level}] {v.policy}: {v.resource}: {v.message}\n")


def plan_document(planned: Planned) -> dict[str, Any]:
    """plan.json: canonical (resources by URN, lists of URNs sorted, keys sorted when written)."""
    rec = planned.recording
    return {
        "stack": planned.stack.name,
        "stackFile": str(planned.stack.path),
        "platform": planned.settings.platform,
        "resources": [
            {
                "urn": r.urn,
                "type": r.type,
                "name": r.name,
                "custom": r.custom,
                "id": r.id,
                "parent": r.parent,
                "provider": r.provider,
                "dependencies": r.dependencies,
                "counted": r.counted,
                **({"transforms": r.transforms} if r.transforms else {}),
                "options": {
                    "protect": r.protect,
                    "retainOnDelete": r.retain_on_delete,
                    "ignoreChanges": r.ignore_changes,
                    "deleteBeforeReplace": r.delete_before_replace,
                    "aliases": r.aliases,
                },
                "inputs": redact(r.inputs),
                # Components always (their registered outputs, maybe none): a reader tells "none" from "not recorded".
                **({"outputs": redact(r.outputs)} if r.outputs or not r.custom else {}),
            }
            for r in sorted(rec.resources, key=lambda r: r.urn)
        ],
        "outputs": redact(rec.outputs),
        "resourceCount": sum(1 for r in rec.resources if r.counted),  # mockengine.counted: one count everywhere
        "cost": planned.cost,
        "verdicts": [v.__dict__ for v in planned.verdicts],
    }


def dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def write_outputs(planned: Planned, out_dir: Path) -> None:
    rec = planned.recording
    manifests = out_dir / "manifests"
    manifests.mkdir(parents=True, exist_ok=True)
    (out_dir / "plan.json").write_text(dumps(plan_document(planned)))
    written = set()
    for r in rec.kubernetes_objects():
        body = {k: v for k, v in redact(r.inputs).items() if not k.startswith("__")}
        written.add(_manifest_name(r))
        (manifests / _manifest_name(r)).write_text(yaml.dump(body, Dumper=DUMPER, sort_keys=False))
    for stale in manifests.iterdir():  # a previous plan's objects this one no longer declares
        if stale.name not in written:
            shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
    for key, relative in (("gitlabCiTemplate", CI_TEMPLATE), ("examplePipelineRun", PIPELINE_RUN)):
        text = rec.outputs.get(key)
        if isinstance(text, str):
            (out_dir / relative).parent.mkdir(parents=True, exist_ok=True)
            (out_dir / relative).write_text(text)
        else:
            (out_dir / relative).unlink(missing_ok=True)


@dataclass
class Planned:
    """One stack planned offline: what it declares, its cost and its verdicts."""

    stack: stackfile.StackFile
    recording: Recording
    settings: Any
    cost: dict[str, Any]
    verdicts: list[policyrun.Violation]
    report: str  # the tree, warnings and cost table as printed


class PlanError(Exception):
    """The stack could not be planned: `exit_code` says why (EXIT_CONFIG or EXIT_FAILED)."""

    def __init__(self, exit_code: int, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.exit_code = exit_code
        self.lines = lines


def make(stack_ref: str | stackfile.StackFile, *, policies: bool = True) -> Planned:
    """Plan a stack (name, path or loaded file) under the mock engine; raises PlanError."""
    from components import settings as settings_mod

    try:
        stack = stack_ref if isinstance(stack_ref, stackfile.StackFile) else stackfile.load(stack_ref)
    except stackfile.UnreadableStackFileError as exc:
        raise PlanError(EXIT_CONFIG, [f"error: {exc}"]) from None
    except stackfile.StackFileError as exc:
        raise PlanError(EXIT_FAILED, [f"error: {exc}"]) from None
    if policies:
        policyrun.shared().start()  # the pack's start-up overlaps the program's run
    try:
        rec = mockengine.run_main(stack.config, stack=stack.name, secret_keys=stack.secret_keys)
        settings = settings_mod.load()
    except settings_mod.ConfigError as exc:
        lines = [f"{stack.path.name}: invalid stack configuration", *(f"error: {e}" for e in exc.errors)]
        raise PlanError(EXIT_CONFIG, lines) from None
    except Exception as exc:
        raise PlanError(
            EXIT_FAILED, [f"error: the program failed under the mock engine: {type(exc).__name__}: {exc}"]
        ) from None
    report = io.StringIO()
    resources = sum(1 for r in rec.resources if r.counted)
    groupings = len(rec.resources) - resources
    report.write(f"Plan for stack {stack.name} ({settings.platform}, {resources} resources, ")
    report.write(f"{groupings} components and providers) ")
    report.write(f"from {stack.path.name}\n\n")
    print_tree(rec, report)
    for warning in settings.warnings:
        report.write(f"warning: {warning}\n")
    cost = print_costs(settings, pool_costs(settings), report)
    found: list[policyrun.Violation] = []
    if policies:
        try:
            found = verdicts(rec, settings.cluster.kubernetes_version)
        except Exception as exc:
            raise PlanError(
                EXIT_FAILED, [f"error: the policy pack could not run: {type(exc).__name__}: {exc}"]
            ) from None
    return Planned(stack, rec, settings, cost, found, report.getvalue())


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.plan", description=__doc__.split("\n\n")[0])
    parser.add_argument("stack", help="stack name (stacks/Pulumi.<stack>.yaml) or path to a stack file")
    parser.add_argument("--out", type=Path, default=None, help="output directory (default: build/plan/<stack>)")
    args = parser.parse_args(argv)

    try:
        planned = make(args.stack)
    except PlanError as exc:
        for line in exc.lines:
            err.write(line + "\n")
        return exc.exit_code
    rec = planned.recording
    out_dir = args.out or stackfile.ROOT / "build" / "plan" / planned.stack.name
    out.write(planned.report)
    n = len(rec.kubernetes_objects())
    print_verdicts(planned.verdicts, len(policyrun.analyzed(rec.resources)), n, out)
    write_outputs(planned, out_dir)
    drawn = diagram.write(rec, out_dir)
    out.write(f"\nWrote {out_dir / 'plan.json'}, {n} manifests in {out_dir / 'manifests'}, ")
    out.write(f"and the diagram ({', '.join(p.name for p in drawn.files)}; {drawn.note})\n")
    return EXIT_FAILED if any(v.mandatory for v in planned.verdicts) else EXIT_OK


if __name__ == "__main__":
    cli.run(main)
