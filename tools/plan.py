"""Offline plan: what `pulumi up` would declare for a stack, without the CLI, credentials or network.

    python -m tools.plan STACK [--out DIR]

STACK is a stack name (stacks/Pulumi.STACK.yaml) or a path to a stack file. The program runs under
the Pulumi SDK's mock engine with that stack's config. Prints the resource tree with the facts a
reviewer checks (arch, instance type, AMI type, sizes) and an estimated monthly cost per pool;
writes DIR/plan.json (every resource: type, name, parent, provider, options, inputs with secrets
shown as "[secret]") and DIR/manifests/ (one YAML file per Kubernetes object).

Exit status: 0 planned; 2 configuration error (same messages as `pulumi up`); 1 anything else.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import yaml

from tools import mockengine, prices, stackfile
from tools.mockengine import Recording, Registered, redact

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2


@dataclass(frozen=True)
class PoolCost:
    pool: str
    arch: str
    instance_type: str
    hourly: float | None
    min_size: int
    initial_size: int
    max_size: int

    def monthly(self, nodes: int) -> float | None:
        return None if self.hourly is None else prices.monthly(self.hourly, nodes)


def price_region(settings: Any) -> str | None:
    if settings.platform == "gke":
        location = settings.cluster.location or ""
        return re.sub(r"-[a-z]$", "", location) or None
    return settings.aws_region  # type: ignore[no-any-return]


def pool_costs(settings: Any) -> list[PoolCost]:
    region = price_region(settings)
    return [
        PoolCost(p.name, p.arch, p.instance_type, prices.hourly(region, p.instance_type), p.min_size, p.initial_size, p.max_size)
        for p in settings.node_pools
    ]


def _num(v: Any) -> str:
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)


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
    if r.type == "aws:eks/cluster:Cluster":
        return f"Kubernetes {i.get('version')} in {len(i.get('vpcConfig', {}).get('subnetIds', []))} subnets"
    if r.type == "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
        return str(i.get("policyArn", "")).rsplit("/", 1)[-1]
    if r.is_kubernetes_object:
        md = i.get("metadata", {})
        ns = f"{md['namespace']}/" if md.get("namespace") else ""
        return f"{i.get('kind')} {ns}{md.get('name', '')}"
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


def print_costs(settings: Any, costs: Sequence[PoolCost], out: TextIO) -> dict[str, Any]:
    region = price_region(settings)
    out.write(f"\nEstimated monthly cost (on-demand list prices, {region}, as of {prices.PRICES_AS_OF}; {prices.HOURS_PER_MONTH} h/month):\n")
    out.write(f"  {'pool':<12} {'arch':<6} {'type':<16} {'$/h':>7} {'at min':>10} {'initial':>10} {'at max':>10}\n")
    total_min = total_initial = total_max = 0.0
    rows = []
    for c in costs:
        if c.hourly is None:
            out.write(f"  {c.pool:<12} {c.arch:<6} {c.instance_type:<16} {'no price in tools/prices.py':>41}\n")
        else:
            lo, mid, hi = c.monthly(c.min_size), c.monthly(c.initial_size), c.monthly(c.max_size)
            assert lo is not None and mid is not None and hi is not None
            total_min, total_initial, total_max = total_min + lo, total_initial + mid, total_max + hi
            out.write(
                f"  {c.pool:<12} {c.arch:<6} {c.instance_type:<16} {c.hourly:>7.3f} "
                f"{'$' + format(lo, ',.0f') + f' ({c.min_size})':>10} {'$' + format(mid, ',.0f') + f' ({c.initial_size})':>10} "
                f"{'$' + format(hi, ',.0f') + f' ({c.max_size})':>10}\n"
            )
        rows.append(
            {
                "pool": c.pool, "arch": c.arch, "instanceType": c.instance_type, "hourlyUsd": c.hourly,
                "minSize": c.min_size, "initialSize": c.initial_size, "maxSize": c.max_size,
                "monthlyUsdAtMin": c.monthly(c.min_size), "monthlyUsdInitial": c.monthly(c.initial_size),
                "monthlyUsdAtMax": c.monthly(c.max_size),
            }
        )
    control = prices.monthly(prices.CONTROL_PLANE_HOURLY[settings.platform], 1)
    if control:
        out.write(f"  {'control plane':<36} {'':>7} {'$' + format(control, ',.0f'):>10} {'$' + format(control, ',.0f'):>10} {'$' + format(control, ',.0f'):>10}\n")
    out.write(
        f"  {'total':<36} {'':>7} {'$' + format(total_min + control, ',.0f'):>10} "
        f"{'$' + format(total_initial + control, ',.0f'):>10} {'$' + format(total_max + control, ',.0f'):>10}\n"
    )
    return {
        "region": region, "pricesAsOf": prices.PRICES_AS_OF, "currency": "USD", "pools": rows,
        "controlPlaneMonthlyUsd": control,
        "totalMonthlyUsd": {"atMin": round(total_min + control, 2), "initial": round(total_initial + control, 2), "atMax": round(total_max + control, 2)},
    }


def _manifest_name(r: Registered) -> str:
    i = r.plain_inputs
    md = i.get("metadata", {})
    parts = [str(i.get("kind", "Object")).lower(), md.get("namespace") or "", md.get("name") or r.name]
    return re.sub(r"[^A-Za-z0-9_.-]", "_", "-".join(p for p in parts if p)) + ".yaml"


def write_outputs(rec: Recording, stack: stackfile.StackFile, cost: dict[str, Any], out_dir: Path) -> None:
    if out_dir.exists():
        shutil.rmtree(out_dir)
    (out_dir / "manifests").mkdir(parents=True)
    plan = {
        "stack": stack.name,
        "stackFile": str(stack.path),
        "resources": [
            {
                "urn": r.urn, "type": r.type, "name": r.name, "custom": r.custom, "parent": r.parent,
                "provider": r.provider, "dependencies": r.dependencies,
                "options": {
                    "protect": r.protect, "retainOnDelete": r.retain_on_delete,
                    "ignoreChanges": r.ignore_changes, "deleteBeforeReplace": r.delete_before_replace,
                    "aliases": r.aliases,
                },
                "inputs": redact(r.inputs),
            }
            for r in rec.resources
        ],
        "outputs": redact(rec.outputs),
        "cost": cost,
    }
    (out_dir / "plan.json").write_text(json.dumps(plan, indent=2, sort_keys=False) + "\n")
    for r in rec.kubernetes_objects():
        body = {k: v for k, v in redact(r.inputs).items() if not k.startswith("__")}
        (out_dir / "manifests" / _manifest_name(r)).write_text(yaml.safe_dump(body, sort_keys=False))


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.plan", description=__doc__.split("\n\n")[0])
    parser.add_argument("stack", help="stack name (stacks/Pulumi.<stack>.yaml) or path to a stack file")
    parser.add_argument("--out", type=Path, default=None, help="output directory (default: build/plan/<stack>)")
    args = parser.parse_args(argv)

    from components import settings as settings_mod

    try:
        stack = stackfile.load(args.stack)
    except stackfile.StackFileError as exc:
        err.write(f"error: {exc}\n")
        return EXIT_FAILED
    try:
        rec = mockengine.run_main(stack.config, stack=stack.name, secret_keys=stack.secret_keys)
        settings = settings_mod.load()
    except settings_mod.ConfigError as exc:
        err.write(f"{stack.path.name}: invalid stack configuration\n")
        for line in exc.errors:
            err.write(f"error: {line}\n")
        return EXIT_CONFIG
    except Exception as exc:  # noqa: BLE001 (report, do not dump a traceback on the reviewer)
        err.write(f"error: the program failed under the mock engine: {type(exc).__name__}: {exc}\n")
        return EXIT_FAILED

    out_dir = args.out or stackfile.ROOT / "build" / "plan" / stack.name
    out.write(f"Plan for stack {stack.name} ({settings.platform}, {len(rec.resources)} resources) from {stack.path.name}\n\n")
    print_tree(rec, out)
    cost = print_costs(settings, pool_costs(settings), out)
    write_outputs(rec, stack, cost, out_dir)
    out.write(f"\nWrote {out_dir / 'plan.json'} and {len(rec.kubernetes_objects())} manifests in {out_dir / 'manifests'}\n")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
