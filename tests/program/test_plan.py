"""The offline plan command: exit codes, what it writes, and that no secret leaks."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tools import plan, stackfile

FIXTURES = Path(__file__).parent.parent / "fixtures"


def run_plan(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = plan.main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_dev_plan_shows_both_architectures_and_costs(tmp_path: Path) -> None:
    code, out, err = run_plan("dev", "--out", str(tmp_path))
    assert code == 0, err
    assert "arm64 m6g.2xlarge AL2023_ARM_64_STANDARD ON_DEMAND min=0 desired=1 max=5" in out
    assert "amd64 m5a.2xlarge AL2023_x86_64_STANDARD ON_DEMAND min=1 desired=1 max=3" in out
    table = out.split("Estimated monthly cost", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
    cost_lines = {line.split()[0]: line for line in table}
    assert "$293 (1)" in cost_lines["x86"]
    assert "$0 (0)" in cost_lines["arm64"] and "$1,310 (5)" in cost_lines["arm64"]

    doc = json.loads((tmp_path / "plan.json").read_text())
    types = [r["type"] for r in doc["resources"]]
    assert types.count("aws:eks/nodeGroup:NodeGroup") == 2
    for r in doc["resources"]:
        assert {"urn", "type", "name", "parent", "inputs", "options"} <= set(r)
    pools = {p["pool"]: p for p in doc["cost"]["pools"]}
    assert pools["arm64"]["monthlyUsdAtMin"] == 0
    assert pools["x86"]["hourlyUsd"] == 0.402
    assert (tmp_path / "manifests").is_dir()


def test_karpenter_plan_shows_node_pools_and_idles_at_the_system_node(tmp_path: Path) -> None:
    code, out, err = run_plan("karpenter-dev", "--out", str(tmp_path))
    assert code == 0, err
    # Fallback lists: three Graviton generations on Spot then on-demand; three x86 on-demand.
    assert (
        "NodePool arm64: arm64 m6g.2xlarge,m7g.2xlarge,m8g.2xlarge on-demand,spot "
        "limits nodes=5 cpu=40 memory=160Gi; WhenEmptyOrUnderutilized after 5m, grace 75m"
    ) in out
    assert "NodePool x86: amd64 m5a.2xlarge,m6a.2xlarge,m7i.2xlarge on-demand limits nodes=3 cpu=24 memory=96Gi" in out
    assert "EC2NodeClass build: al2023@" in out
    assert "arm64 t4g.medium AL2023_ARM_64_STANDARD ON_DEMAND min=1 desired=1 max=2" in out
    assert "cluster-autoscaler" not in out
    cost = {p["pool"]: p for p in json.loads((tmp_path / "plan.json").read_text())["cost"]["pools"]}
    assert list(cost) == ["system", "x86", "arm64"]
    assert cost["system"]["monthlyUsdAtMin"] > 0 and cost["system"]["instanceType"] == "t4g.medium"
    assert cost["arm64"]["instanceType"] == "m8g.2xlarge"  # priced at the dearest type it may launch
    for pool in ("x86", "arm64"):
        assert cost[pool]["monthlyUsdAtMin"] == 0 and cost[pool]["monthlyUsdAtMax"] > 0
    # Idle: the control plane and one small node, against dev's x86 node kept at minSize 1.
    doc = json.loads((tmp_path / "plan.json").read_text())["cost"]
    idle = plan_total(tmp_path, "karpenter-dev") - doc["controlPlaneMonthlyUsd"]
    today = plan_total(tmp_path / "dev", "dev") - doc["controlPlaneMonthlyUsd"]
    assert idle < 35 and today > 290
    # The bound, printed by the plan: control plane plus one small node, at most $101.
    assert plan_total(tmp_path, "karpenter-dev") <= 101
    assert "engine karpenter: idle $101 a month; at most $2,700 a month" in out


def plan_total(out: Path, stack: str) -> float:
    if not (out / "plan.json").exists():
        assert run_plan(stack, "--out", str(out))[0] == 0
    return float(json.loads((out / "plan.json").read_text())["cost"]["totalMonthlyUsd"]["atMin"])


def test_secrets_are_shown_as_secret_everywhere(tmp_path: Path) -> None:
    code, out, _ = run_plan("dev", "--out", str(tmp_path))
    assert code == 0
    written = (tmp_path / "plan.json").read_text() + out
    written += "".join(p.read_text() for p in (tmp_path / "manifests").glob("*.yaml"))
    # The kubeconfig is a secret: its content never appears, its place says [secret].
    assert "get-token" not in written
    assert "certificate-authority-data" not in written
    doc = json.loads((tmp_path / "plan.json").read_text())
    assert doc["outputs"]["kubeconfig"] == "[secret]"
    provider = next(r for r in doc["resources"] if r["type"] == "pulumi:providers:kubernetes")
    assert provider["inputs"]["kubeconfig"] == "[secret]"


def test_secure_values_in_a_stack_file_stay_secret(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.sec.yaml"
    doc = yaml.safe_load((stackfile.STACKS / "Pulumi.dev.yaml").read_text())
    doc["config"]["kubernetes:kubeconfig"] = {"secure": "AAABAKxyzCIPHERTEXT"}
    path.write_text(yaml.safe_dump(doc))
    stack = stackfile.load(str(path))
    assert set(stack.secret_keys) == {"kubernetes:kubeconfig", "multiarch:gitlabRunnerToken"}
    assert stack.config["kubernetes:kubeconfig"].startswith(stackfile.DEFAULT_PLACEHOLDER)
    code, out, _ = run_plan(str(path), "--out", str(tmp_path / "out"))
    assert code == 0
    written = out + (tmp_path / "out" / "plan.json").read_text()
    written += "".join(p.read_text() for p in (tmp_path / "out").rglob("*.yaml"))
    assert "AAABAKxyzCIPHERTEXT" not in written
    # The runner token's offline placeholder stands where the token would, and only as [secret].
    assert stackfile.PLACEHOLDERS["multiarch:gitlabRunnerToken"] not in written


def test_configuration_error_exits_2_with_the_program_messages(tmp_path: Path) -> None:
    code, out, err = run_plan(str(FIXTURES / "Pulumi.m6g-as-amd64.yaml"), "--out", str(tmp_path / "x"))
    assert code == 2
    assert err.splitlines()[1:] == [
        "error: multiarch:nodePools[graviton].instanceType: m6g.2xlarge is an arm64 instance type, "
        "but the pool's arch is amd64 (choose an amd64 type or set arch: arm64; EC2 instance catalog, "
        "components/catalog/aws_instance_types.csv (moto 5.2.5, 2026-12-01))"
    ]
    assert "Traceback" not in err
    assert out == ""
    assert not (tmp_path / "x").exists()


def test_unknown_stack_exits_1_and_lists_stacks() -> None:
    code, _, err = run_plan("nope")
    assert code == 1
    assert "no stack 'nope'" in err and "dev" in err


def test_command_line_entry_point(tmp_path: Path) -> None:
    """`python -m tools.plan` as the README runs it, in a fresh interpreter."""
    proc = subprocess.run(
        [sys.executable, "-m", "tools.plan", str(FIXTURES / "Pulumi.m6g-as-amd64.yaml"), "--out", str(tmp_path)],
        cwd=stackfile.ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert "m6g.2xlarge is an arm64 instance type" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "config:\n  aws:region: eu-west-3\n\tmultiarch:platform: eks\n",
            ":3:1: not a valid stack file: found character '\\t' that cannot start any token "
            "(a tab: YAML indents with spaces only)",
        ),
        (
            "config:\n  aws:region: eu-west-3\n  multiarch:platform: eks\n  aws:region: eu-west-1\n",
            ":4:3: not a valid stack file: duplicate key 'aws:region' (first at line 2); a key may appear once",
        ),
        (
            "config:\n  multiarch:nodePools:\n    - name: x86\n      name: arm64\n",
            ":4:7: not a valid stack file: duplicate key 'name' (first at line 3); a key may appear once",
        ),
        (
            "config:\n  multiarch:qemu: {platforms: [arm64}\n",
            ":2:37: not a valid stack file: expected ',' or ']', but got '}'",
        ),
        ("- just\n- a list\n", ": not a valid stack file: expected a mapping with a `config:` section"),
    ],
)
def test_an_unreadable_stack_file_exits_2_with_line_and_column(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "Pulumi.bad.yaml"
    path.write_text(text)
    code, out, err = run_plan(str(path), "--out", str(tmp_path / "out"))
    assert code == 2 and out == ""
    assert err == f"error: {path}{expected}\n"
    assert not (tmp_path / "out").exists()


def test_a_type_the_price_table_lacks_is_unknown_never_zero(tmp_path: Path) -> None:
    doc = yaml.safe_load((stackfile.STACKS / "Pulumi.dev.yaml").read_text())
    # Offered in Paris, with no us-east-1 price to estimate it from (Karpenter's table lacks it).
    doc["config"]["multiarch:nodePools"][0]["instanceType"] = "hpc7a.12xlarge"
    path = tmp_path / "Pulumi.unpriced.yaml"
    path.write_text(yaml.safe_dump(doc))
    code, out, err = run_plan(str(path), "--out", str(tmp_path / "out"))
    assert code == 0, err
    table = out.split("Estimated monthly cost", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
    x86 = next(line for line in table if line.split()[0] == "x86")
    assert x86.split()[3:] == ["unknown", "unknown", "(1)", "unknown", "(1)", "unknown", "(3)"]
    total = next(line for line in table if line.lstrip().startswith("total"))
    assert total.split()[:2] == ["total", "(incomplete)"] and ">= $" in total
    notes = table[table.index(total) + 1 :]
    assert any("no price for x86 (hpc7a.12xlarge) in eu-west-3" in line for line in notes)
    # Plain text stays in its column: every row of the table ends where the header's last column does.
    rows = table[: table.index(total) + 1]
    assert len({len(line) for line in rows}) == 1, rows
    cost = json.loads((tmp_path / "out" / "plan.json").read_text())["cost"]
    assert cost["complete"] is False and cost["unpriced"] == ["x86 (hpc7a.12xlarge)"]
    pool = next(p for p in cost["pools"] if p["pool"] == "x86")
    assert pool["hourlyUsd"] is None and pool["monthlyUsdAtMin"] is None


def test_stack_files_are_read_as_yaml_1_2(tmp_path: Path) -> None:
    """As the Pulumi CLI reads them: `yes`/`on` are strings (so a boolean key refuses them with one line),
    017 is seventeen, a date stays text."""
    dev = (stackfile.STACKS / "Pulumi.dev.yaml").read_text()
    path = tmp_path / "Pulumi.yes.yaml"
    path.write_text(
        dev.replace("    create: true\n", "    create: yes\n").replace("privileged: false", "privileged: on")
    )
    stack = stackfile.load(str(path))
    assert stack.config["multiarch:cluster"]["create"] == "yes"
    assert stack.config["multiarch:gitlabRunner"]["privileged"] == "on"
    code, out, err = run_plan(str(path), "--out", str(tmp_path / "out"))
    assert code == 2 and out == ""
    why = "expected true or false (YAML 1.2, as Pulumi reads stack files: yes, no, on and off are strings)"
    assert err.splitlines()[1:] == [
        f"error: multiarch:cluster.create: 'yes' is not a boolean; {why}",
        f"error: multiarch:gitlabRunner.privileged: 'on' is not a boolean; {why}",
    ]
    path.write_text(dev.replace("      maxSize: 5\n", "      maxSize: 017\n").replace("# Development", "# 2026-11-30"))
    assert stackfile.load(str(path)).config["multiarch:nodePools"][1]["maxSize"] == 17


def test_the_docs_idle_cost_tables_are_the_plans(tmp_path: Path) -> None:
    readme = (stackfile.ROOT / "docs" / "capacity.md").read_text()
    for stack in ("dev", "karpenter-dev"):
        code, out, err = run_plan(stack, "--out", str(tmp_path / stack))
        assert code == 0, err
        table = out.split("Estimated monthly cost", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
        assert "\n".join([f"{stack}:", *table]) + "\n" in readme, stack
