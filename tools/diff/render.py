"""A review written out: the table a terminal shows, the merge-request comment (Markdown), the JSON
document, and GitLab's Terraform report file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TextIO

from tools.diff.verdict import COST_KEYS, EXIT_BLOCKED, EXIT_POLICY, EXIT_SAFE, Review


def _cost_cell(amount: float | None, complete: bool = True, signed: bool = False) -> str:
    if amount is None:
        return "unknown"
    return _usd(amount, signed=signed) if complete else f">= {_usd(amount)}"


def _usd(x: float, signed: bool = False) -> str:
    return (f"{'+' if x > 0 else '-' if x < 0 else '±'}${abs(x):,.0f}") if signed else f"${x:,.0f}"


def _verdict_line(v: dict[str, str]) -> str:
    return f"[{v.get('level')}] {v.get('policy')}: {v.get('resource')}: {v.get('message')}"


def _outcome(r: Review) -> str:
    return {
        EXIT_SAFE: "safe to apply",
        EXIT_POLICY: "HEAD or the change fails a mandatory policy or schema check",
        EXIT_BLOCKED: (
            "BLOCKED: a cluster, a protected or stateful resource, or the controllers' only pool would be replaced or "
            "deleted, or an update would be refused"
        ),
    }[r.exit_code]


def render_table(r: Review, out: TextIO) -> None:
    out.write(f"Change review of stack {r.head.stack} ({r.head.platform}): {r.base.source} → {r.head.source}\n\n")
    changed = [i for i in r.items if i.action != "same" or i.ignored or i.notes]
    for i in changed:
        rename = f" (renamed from {i.renamed_from.rsplit('::', 1)[-1]}, by its alias)" if i.renamed_from else ""
        out.write(f"  {i.shown_action:<8} {i.resource.type} {i.resource.name}{rename}\n")
        for c in i.changes:
            out.write(f"             {c.text()}\n")
        for reason in i.reasons:
            out.write(f"             forces replacement: {reason.text()}\n")
        for reason in i.refused:
            out.write(f"             refused by the API server: {reason.text()}\n")
        for note in i.notes:
            out.write(f"             note: {note}\n")
        for c in i.ignored:
            out.write(f"             not applied (ignoreChanges: owned outside the stack): {c.text()}\n")
    if not changed:
        out.write("  no changes\n")
    s = r.summary
    out.write(
        f"\nSummary: {s['replace']} to replace, {s['update']} to update, {s['create']} to create, "
        f"{s['delete']} to delete, {s['same']} unchanged\n"
    )
    for b in r.blocked:
        out.write(f"\nBLOCKED: {b.why}\n")
        for step in b.procedure:
            out.write(f"  {step}\n")
    if r.risks:
        out.write("\nRisk:\n")
        for line in r.risks:
            out.write(f"  - {line}\n")
    cost = r.cost
    done = cost.get("complete", {"base": True, "head": True})
    out.write("\nMonthly cost (estimate, USD):")
    for key, label in (("atMin", "at min"), ("initial", "initial"), ("atMax", "at max")):
        cols = cost.get("completeByColumn") or {side: dict.fromkeys(COST_KEYS, done[side]) for side in done}
        before = _cost_cell(cost["base"][key], cols["base"][key])
        after = _cost_cell(cost["head"][key], cols["head"][key])
        out.write(f"  {label} {before} → {after} ({_cost_cell(cost['delta'][key], signed=True)})")
    if cost.get("incomplete"):
        out.write(f"\n  incomplete: {cost['incomplete']}: the change is unknown")
    v = r.verdicts
    out.write(f"\n\nPolicy verdicts: {len(v['appeared'])} new, {len(v['resolved'])} resolved, ")
    out.write(f"{v['headMandatory']} mandatory in HEAD and the change\n")
    for x in v["appeared"]:
        out.write(f"  + {_verdict_line(x)}\n")
    for x in v["resolved"]:
        out.write(f"  - {_verdict_line(x)}\n")
    out.write(f"\nResult: {_outcome(r)} (exit {r.exit_code})\n")


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(r: Review, out: TextIO) -> None:
    s = r.summary
    icon = {EXIT_SAFE: "✅", EXIT_POLICY: "❌", EXIT_BLOCKED: "⛔"}[r.exit_code]
    out.write(f"### {icon} Stack `{r.head.stack}` ({r.head.platform}): {_outcome(r)}\n\n")
    out.write(f"`{r.base.source}` → `{r.head.source}`\n\n")
    out.write("| replace | update | create | delete | unchanged |\n| ---: | ---: | ---: | ---: | ---: |\n")
    out.write(f"| {s['replace']} | {s['update']} | {s['create']} | {s['delete']} | {s['same']} |\n\n")
    for b in r.blocked:
        out.write(f"> **Blocked:** {_md(b.why)}\n>\n> ```sh\n")
        out.writelines(f"> {step}\n" for step in b.procedure)
        out.write("> ```\n\n")
    changed = [i for i in r.items if i.action != "same" or i.ignored or i.notes]
    if changed:
        out.write("| action | resource | what changes | why |\n| --- | --- | --- | --- |\n")
        for i in changed:
            what = "<br>".join(
                [_md(f"`{c.text()}`") for c in i.changes]
                + [_md(f"not applied (ignoreChanges): `{c.text()}`") for c in i.ignored]
            )
            why = "<br>".join(_md(x.text()) for x in i.reasons) + "".join(f"<br>{_md(n)}" for n in i.notes)
            why += "".join(f"<br>refused: {_md(x.text())}" for x in i.refused)
            out.write(f"| **{i.shown_action}** | `{i.resource.type}` {_md(i.resource.name)} | {what} | {why} |\n")
        out.write("\n")
    if r.risks:
        out.write("**Risk**\n\n" + "".join(f"- {_md(x)}\n" for x in r.risks) + "\n")
    c = r.cost
    done = c.get("complete", {"base": True, "head": True})
    out.write("| monthly cost (estimate) | at min | initial | at max |\n| --- | ---: | ---: | ---: |\n")
    for label, key in (("before", "base"), ("after", "head")):
        cols = (c.get("completeByColumn") or {}).get(key) or dict.fromkeys(COST_KEYS, done[key])
        cells = " | ".join(_cost_cell(c[key][k], cols[k]) for k in COST_KEYS)
        out.write(f"| {label}{'' if done[key] else ' (incomplete)'} | {cells} |\n")
    d = c["delta"]
    out.write(f"| change | {' | '.join(_cost_cell(d[k], signed=True) for k in COST_KEYS)} |\n\n")
    if c.get("incomplete"):
        out.write(f"Cost incomplete: {_md(c['incomplete'])}.\n\n")
    v = r.verdicts
    if v["appeared"] or v["resolved"]:
        out.write("**Policy verdicts**\n\n")
        out.writelines(f"- new: {_md(_verdict_line(x))}\n" for x in v["appeared"])
        out.writelines(f"- resolved: {_md(_verdict_line(x))}\n" for x in v["resolved"])
        out.write("\n")


def render(result: Review, fmt: str, out: TextIO) -> None:
    if fmt == "json":
        out.write(json.dumps(result.doc(), indent=2, sort_keys=True, default=str) + "\n")
    elif fmt == "markdown":
        render_markdown(result, out)
    else:
        render_table(result, out)


def write_terraform_report(result: Review, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result.terraform_report()) + "\n")
