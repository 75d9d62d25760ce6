"""The docs stay true: every command a page shows with its output is run here and must print what
the page shows; every link between pages resolves; the README's first stack file is the committed
one. A stale excerpt fails the suite, on whichever page it is.

An excerpt is a fenced block whose first line is `$ ./venv/bin/python -m tools.<tool> ARGS`. It
runs in a scratch directory that sees the repository's `stacks/`, `tests/` and `examples/`; a
stack file the command names that the repository does not hold is made by its entry in `SETUPS`,
from the change the page describes. Without `…` lines the block is the whole output; with them,
each line shown is a line of the output, in order.
"""

from __future__ import annotations

import io
import re
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT
from tests.docs import pages
from tools import diff, plan, stackfile

Edit = Callable[[dict[str, Any]], None]


def _changed(stack: str, name: str, *edits: Edit) -> Callable[[Path], None]:
    """A setup: `stack`'s file with `edits` applied to its `config:`, written as `name`."""

    def setup(where: Path) -> None:
        doc = yaml.safe_load((stackfile.STACKS / f"Pulumi.{stack}.yaml").read_text())
        for edit in edits:
            edit(doc["config"])
        (where / name).write_text(yaml.safe_dump(doc, sort_keys=False))

    return setup


def _set(key: str, *path: Any, **values: Any) -> Edit:
    def edit(config: dict[str, Any]) -> None:
        target = config[key]
        for step in path:
            target = target[step]
        target.update(values)

    return edit


# The stack files the docs' commands name beyond the repository's: the change each page describes.
SETUPS: dict[str, Callable[[Path], None]] = {
    # docs/review.md: dev's x86 pool bumped to m5a.4xlarge, EFS moved to Max I/O (with bursting).
    "dev-next.yaml": _changed(
        "dev",
        "dev-next.yaml",
        _set("multiarch:nodePools", 0, instanceType="m5a.4xlarge"),
        _set("multiarch:storage", "efs", performanceMode="maxIO", throughputMode="bursting"),
    ),
    # docs/review.md: dev's StorageClass keeps its volumes (Retain): the engine replaces the class.
    "dev-retain.yaml": _changed(
        "dev", "dev-retain.yaml", _set("multiarch:storage", "efs", "storageClass", reclaimPolicy="Retain")
    ),
    # docs/review.md: gke-dev's cluster moved from its region to one zone.
    "gke-zonal.yaml": _changed("gke-dev", "gke-zonal.yaml", _set("multiarch:cluster", location="europe-west4-a")),
}
TOOLS: dict[str, Callable[..., int]] = {"tools.plan": plan.main, "tools.diff": diff.main}


def run(command: str, where: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    tool, *args = shlex.split(command)
    assert tool in TOOLS, f"no runner for {tool}: add it to TOOLS"
    for shared in ("stacks", "tests", "examples"):
        (where / shared).symlink_to(ROOT / shared)
    for arg in args:
        if arg.endswith(".yaml") and not (where / arg).exists():
            assert arg in SETUPS, f"{arg} is in no repository directory: add the change that makes it to SETUPS"
            SETUPS[arg](where)
    monkeypatch.chdir(where)
    if tool == "tools.plan" and "--out" not in args:
        args += ["--out", str(where / "out")]  # not the repository's build/
    out, err = io.StringIO(), io.StringIO()
    TOOLS[tool](args, out=out, err=err)
    return (out.getvalue() + err.getvalue()).splitlines()


@pytest.mark.parametrize("block", pages.excerpts(), ids=lambda b: f"{b.page}:{b.line}")
def test_each_excerpt_is_what_its_command_prints(
    block: pages.Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert block.command is not None
    printed = run(block.command, tmp_path, monkeypatch)
    if block.complete:
        assert block.shown == printed, f"{block.page}:{block.line}"
        return
    at = 0
    for line in block.shown:
        if line.strip() in ("", pages.ELLIPSIS):
            continue
        assert line in printed[at:], f"{block.page}:{block.line}: not printed (in this order): {line}"
        at = printed.index(line, at) + 1


def test_the_pages_show_excerpts() -> None:
    """The harness sees them (a change of the prompt or the fence would silently skip them all)."""
    by_page = {b.page for b in pages.excerpts()}
    assert {"README.md", "docs/review.md", "docs/capacity.md"} <= by_page


def test_every_setup_is_used() -> None:
    named = {a for b in pages.excerpts() for a in shlex.split(b.command or "")}
    assert set(SETUPS) <= named


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lowercase, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    inside, out = False, set()
    for line in path.read_text().splitlines():
        if line.lstrip().startswith("```"):
            inside = not inside
        elif not inside and (m := re.match(r"^#{1,6} (.+)$", line)):
            out.add(_slug(m.group(1)))
    return out


def test_every_link_between_the_pages_resolves() -> None:
    broken = []
    for path in pages.paths():
        text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"^[a-z]+://", target):
                continue
            file, _, anchor = target.partition("#")
            linked = (path.parent / file).resolve() if file else path
            if not linked.exists():
                broken.append(f"{path.relative_to(ROOT)}: {target} (no such file)")
            elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
                broken.append(f"{path.relative_to(ROOT)}: {target} (no such heading)")
    assert broken == []


def test_each_page_starts_with_what_a_user_does_there() -> None:
    for path in sorted((ROOT / "docs").glob("*.md")):
        if path.name.startswith("_") or path.name == "installation-configuration.md":
            continue  # the Registry's pages have their own front matter
        lines = path.read_text().split("\n")
        assert lines[0].startswith("# ") and lines[2].startswith("What you do here:"), path.name


def test_the_readme_first_stack_is_the_committed_one() -> None:
    first = ROOT / "examples" / "first-stack" / "Pulumi.first.yaml"
    yaml_blocks = [b.body for b in pages.blocks() if b.page == "README.md" and b.info == "yaml"]
    assert first.read_text() in yaml_blocks
    assert len(pages.text("README.md").splitlines()) <= 300


def test_the_commands_are_spelt_one_way() -> None:
    """Every module command as the README's two commands leave it: `./venv/bin/python -m ...`."""
    loose = []
    for path in pages.paths():
        text = re.sub(r"\s+", " ", path.read_text())
        loose += [
            f"{path.name}: {m.group(0)}" for m in re.finditer(r"(?<!venv/bin/)\bpython3? -m (tools|bench)\.\w+", text)
        ]
    assert loose == []


def test_the_policy_table_lists_every_policy_of_the_pack() -> None:
    from policy.policies import ALL

    rows = re.findall(r"^\| `([a-z0-9-]+)` \| (mandatory|advisory) \|", pages.text("docs/policy.md"), flags=re.M)
    assert sorted(rows) == sorted((p.name, str(getattr(p.enforcement_level, "value", ""))) for p in ALL)
