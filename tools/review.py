"""Merge-request review: the change review of every stack a change touches, against its base.

    python -m tools.review BASE_SHA [--out build/review]

For each stack the change touches (`tools.changed_stacks`), `tools.diff` compares the stack as it
stands at BASE_SHA with the working tree's:
- when only stack files changed, BASE is `BASE_SHA:stacks/Pulumi.<stack>.yaml`, planned with this
  program (secrets are compared by their ciphertext: a rotated token shows as `[secret] changed`);
- when the program changed too, BASE_SHA is checked out in a git worktree and every stack planned
  there, with the base's program, in one interpreter (`BASE_DRIVER`), so the review shows what the
  program change does; each `plan.json` is BASE (secrets there are `[secret]`: not comparable);
- a stack file that does not exist at BASE_SHA is a new stack: its review is all creates.
Each side of each stack is planned once, and everything on the head side happens in this process:
the import floor is paid once per side, and one policy pack serves every plan of a process.

Writes to `--out`: `<stack>.md` and `<stack>.json` per stack, `base/` (the base side's plans, and
`plans.json`: each one's exit status and the process that planned it), `review.md` (every stack, for the
merge-request comment), `tfplan.json` (GitLab's Terraform report, summed over the stacks: the
merge-request widget shows one report per pipeline) and `gate.yml`, a child pipeline for the
manual override: empty of gates when nothing is blocked, else one manual job per blocked stack,
which GitLab waits on before the pipeline can succeed (see `.gitlab-ci.yml`).

Exit status: the most severe of the stacks' (`tools.diff`: 2 invalid configuration, then 3
blocked, then 1 policy, else 0). In CI a blocked review (3) fails its job as allowed-to-fail and
the gate's manual job holds the pipeline: a deliberate replacement goes ahead only when someone
runs it; a policy failure or an invalid configuration fails the pipeline outright.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import yaml

from tools import changed_stacks, cli, diff, plan, stackfile

SEVERITY = (diff.EXIT_SAFE, diff.EXIT_POLICY, diff.EXIT_BLOCKED, diff.EXIT_CONFIG)  # least to most
OVERRIDE_JOB = "accept-blocked-{stack}"


@dataclass
class StackReview:
    stack: str
    base: str  # what BASE was: a REF:path, a plan.json, or "(new stack)"
    exit_code: int
    markdown: str
    doc: dict[str, object] | None  # the JSON review; None when a side was invalid


def _git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=stackfile.ROOT, capture_output=True, text=True, check=False)


def _exists_at(sha: str, path: str) -> bool:
    return _git("cat-file", "-e", f"{sha}:{path}").returncode == 0


def _empty_plan(stack: str, out: Path) -> Path:
    """BASE for a new stack: a plan of nothing."""
    path = out / "base" / stack / "plan.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(plan.dumps({"stack": stack, "platform": "", "resources": [], "cost": {}, "verdicts": []}))
    return path


# Runs in the base revision's worktree, with its program: plans every stack in this one interpreter
# (the import floor and the policy pack's start-up paid once), one JSON line per stack. It uses only
# `tools.plan.main(argv, out=, err=)`, which every base revision with a review has.
BASE_DRIVER = """
import io, json, os, sys
from tools import plan
for stack, out in json.loads(sys.argv[1]):
    log = io.StringIO()
    try:
        code = plan.main([stack, "--out", out], out=log, err=log)
    except BaseException as exc:  # one stack's failure is that stack's, not the others'
        code = 1
        log.write(f"{type(exc).__name__}: {exc}\\n")
    print(json.dumps({"stack": stack, "exit": code, "log": log.getvalue()[-2000:], "pid": os.getpid()}), flush=True)
"""


def base_plans(base_sha: str, stacks: Sequence[str], out: Path, err: TextIO) -> dict[str, str]:
    """Plan each stack as it stands at `base_sha`, with that revision's program, in a worktree: all
    of them in one interpreter."""
    sources: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="multiarch-base-") as tmp:
        tree = Path(tmp) / "base"
        added = _git("worktree", "add", "--detach", "--quiet", str(tree), base_sha)
        if added.returncode != 0:
            raise SystemExit(f"error: git worktree add {base_sha}: {added.stderr.strip()}")
        try:
            targets = {stack: (out / "base" / stack).resolve() for stack in stacks}
            proc = subprocess.run(
                [sys.executable, "-c", BASE_DRIVER, json.dumps([[s, str(t)] for s, t in targets.items()])],
                cwd=tree,
                capture_output=True,
                text=True,
                check=False,
            )
            logs = {}
            for line in proc.stdout.splitlines():
                if line.startswith("{"):
                    result = json.loads(line)
                    logs[result["stack"]] = result
            # Which process planned each stack, and how it ended: beside the base plans, for the record.
            (out / "base").mkdir(parents=True, exist_ok=True)
            (out / "base" / "plans.json").write_text(
                json.dumps({s: {"exit": r["exit"], "pid": r.get("pid")} for s, r in logs.items()}, indent=2) + "\n"
            )
            for stack, target in targets.items():
                if (target / "plan.json").is_file():
                    sources[stack] = str(target / "plan.json")
                else:  # the base's own plan failed: say so, and review against the stack file
                    result = logs.get(stack, {"exit": proc.returncode, "log": proc.stderr[-2000:]})
                    err.write(f"{stack}: the base revision's program could not plan it (exit {result['exit']}):\n")
                    err.write(result["log"])
        finally:
            _git("worktree", "remove", "--force", str(tree))
    return sources


def review_stack(stack: str, base: str, out: Path, err: TextIO) -> StackReview:
    """One stack's review: each side planned once, then written as Markdown, JSON and the
    Terraform report."""
    head = str(stackfile.resolve(stack))
    errors = io.StringIO()
    sides = diff.load_sides(base, head, stack, errors)
    if sides is None:
        err.write(errors.getvalue())
        markdown = f"### ❗ Stack `{stack}`: invalid configuration\n\n```\n{errors.getvalue()}```\n"
        return StackReview(stack, base, diff.EXIT_CONFIG, markdown, None)
    result = diff.review(*sides)
    text = io.StringIO()
    diff.render(result, "markdown", text)
    diff.write_terraform_report(result, out / f"{stack}.tfplan.json")
    doc = json.loads(json.dumps(result.doc(), default=str))  # as `tools.diff --format json` writes it
    return StackReview(stack, base, result.exit_code, text.getvalue(), doc)


def _ci_image() -> str:
    """The image of this repository's own pipeline (its `default:`), for the gate's jobs too."""
    ci = yaml.safe_load((stackfile.ROOT / ".gitlab-ci.yml").read_text())
    return str(ci["default"]["image"])


def gate(reviews: Sequence[StackReview]) -> dict[str, object]:
    """The child pipeline: one manual job per blocked stack (the deliberate override), or a no-op."""
    jobs: dict[str, object] = {"default": {"image": _ci_image()}}
    for r in reviews:
        if r.exit_code != diff.EXIT_BLOCKED or r.doc is None:
            continue
        blocked = r.doc.get("blocked") or []
        assert isinstance(blocked, list)
        jobs[OVERRIDE_JOB.format(stack=r.stack)] = {
            "stage": "test",
            "when": "manual",
            "allow_failure": False,  # the pipeline waits until someone runs it
            "script": [
                f"echo 'Accepting, deliberately, in stack {r.stack}:'",
                *(f"echo {json.dumps(b['why'])}" for b in blocked if isinstance(b, dict)),
                "echo 'Follow the procedure in the review (review.md) when you apply it.'",
            ],
        }
    if len(jobs) == 1:
        jobs["nothing-blocked"] = {
            "stage": "test",
            "script": ["echo 'No protected or stateful resource is replaced or deleted.'"],
        }
    return jobs


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.review", description=__doc__.split("\n\n")[0])
    parser.add_argument("base_sha", help="the merge request's base (CI_MERGE_REQUEST_DIFF_BASE_SHA)")
    parser.add_argument("--out", type=Path, default=stackfile.ROOT / "build" / "review")
    args = parser.parse_args(argv)

    paths = changed_stacks.changed_paths(args.base_sha, stackfile.ROOT)
    stacks = changed_stacks.stacks_for(paths, changed_stacks.all_stacks(stackfile.ROOT))
    program_changed = any(p.startswith(changed_stacks.PROGRAM) for p in paths)
    args.out.mkdir(parents=True, exist_ok=True)
    existing = [s for s in stacks if _exists_at(args.base_sha, f"stacks/Pulumi.{s}.yaml")]
    sources = base_plans(args.base_sha, existing, args.out, err) if program_changed and existing else {}
    reviews = []
    for stack in stacks:
        if stack not in existing:
            base = str(_empty_plan(stack, args.out))
        else:
            base = sources.get(stack) or f"{args.base_sha}:stacks/Pulumi.{stack}.yaml"
        r = review_stack(stack, base, args.out, err)
        reviews.append(r)
        (args.out / f"{stack}.md").write_text(r.markdown)
        if r.doc is not None:
            (args.out / f"{stack}.json").write_text(json.dumps(r.doc, indent=2, sort_keys=True) + "\n")
        out.write(f"{stack}: exit {r.exit_code} (base: {base})\n")

    totals: dict[str, Any] = {"create": 0, "update": 0, "delete": 0, "costComplete": True, "costIncomplete": ""}
    missing = []
    for r in reviews:
        report = args.out / f"{r.stack}.tfplan.json"
        if report.is_file():
            doc = json.loads(report.read_text())
            for key in ("create", "update", "delete"):
                totals[key] += doc[key]
            if not doc.get("costComplete", True):
                missing.append(f"{r.stack}: {doc.get('costIncomplete', '')}")
    totals["costComplete"] = not missing
    totals["costIncomplete"] = "; ".join(missing)
    (args.out / "tfplan.json").write_text(json.dumps(totals) + "\n")
    head = "No stack is touched by this change.\n" if not reviews else ""
    (args.out / "review.md").write_text(head + "\n".join(r.markdown for r in reviews))
    (args.out / "gate.yml").write_text(yaml.safe_dump(gate(reviews), sort_keys=False))
    return max((r.exit_code for r in reviews), key=SEVERITY.index, default=diff.EXIT_SAFE)


if __name__ == "__main__":
    cli.run(main)
