"""The two sides of a change review: each a stack's resources, cost and policy verdicts, read from a
`plan.json` or planned offline now from a stack file (a path, a stack name, or `REF:path` at a git
ref), both under the same stack name so that their URNs compare.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from tools import plan, stackfile
from tools.recording import Registered, Secret, counted

NOT_COMPARABLE = object()  # a secret read from a plan.json: its value is not there


@dataclass
class Resource:
    """One resource of a side, from a fresh plan or a plan.json."""

    urn: str
    type: str
    name: str
    custom: bool
    provider: str
    inputs: dict[str, Any]
    outputs: dict[str, Any] | None  # None: not recorded (a plan.json from before components' outputs were)
    protect: bool
    retain_on_delete: bool
    ignore_changes: list[str]
    aliases: list[str]
    id: str = ""
    parent: str = ""
    dependencies: list[str] = field(default_factory=list)
    transforms: int = 0  # resource transforms attached: what they write is in the parent component's outputs
    replace_on_changes: list[str] = field(default_factory=list)  # the engine replaces on a change of these
    delete_before_replace: bool = False

    @property
    def counted(self) -> bool:
        return counted(self.type, self.custom)

    @classmethod
    def of(cls, r: Registered) -> Resource:
        return cls(
            r.urn, r.type, r.name, r.custom, r.provider, r.inputs, r.outputs, r.protect,
            r.retain_on_delete, r.ignore_changes, r.aliases, r.id, r.parent, list(r.dependencies), r.transforms,
            list(r.replace_on_changes), r.delete_before_replace,
        )  # fmt: skip

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Resource:
        opts = doc.get("options", {})
        custom = doc.get("custom", True)
        # A component's outputs are recorded since plan.json had them; an older plan.json did not.
        outputs = _secrets_from_json(doc.get("outputs", {})) if "outputs" in doc or custom else None
        return cls(
            doc["urn"], doc["type"], doc["name"], custom, doc.get("provider", ""),
            _secrets_from_json(doc.get("inputs", {})), outputs,
            bool(opts.get("protect")), bool(opts.get("retainOnDelete")), list(opts.get("ignoreChanges", [])),
            list(opts.get("aliases", [])), doc.get("id", ""), doc.get("parent", ""),
            list(doc.get("dependencies", [])), int(doc.get("transforms", 0)),
            list(opts.get("replaceOnChanges", [])), bool(opts.get("deleteBeforeReplace")),
        )  # fmt: skip


def _secrets_from_json(value: Any) -> Any:
    if value == "[secret]":
        return Secret(NOT_COMPARABLE)
    if isinstance(value, dict):
        return {k: _secrets_from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_secrets_from_json(v) for v in value]
    return value


@dataclass
class Side:
    source: str
    stack: str
    platform: str
    resources: dict[str, Resource]
    cost: dict[str, Any]
    verdicts: list[dict[str, str]]


class SideError(Exception):
    def __init__(self, source: str, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.source = source
        self.lines = lines


def _git_stack_file(ref: str, path: str, tmp: Path) -> stackfile.StackFile:
    proc = subprocess.run(
        ["git", "show", f"{ref}:{path}"], cwd=stackfile.ROOT, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise SideError(f"{ref}:{path}", [f"error: {ref}:{path}: {proc.stderr.strip() or 'not found'}"])
    target = tmp / ref.replace("/", "_") / Path(path).name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(proc.stdout)
    return stackfile.load(str(target))


def _restack(resource: Resource, old: str, new: str) -> Resource:
    """The resource as stack `new` declares it (URNs carry the stack's name)."""

    def urn(u: str) -> str:
        return u.replace(f"urn:pulumi:{old}::", f"urn:pulumi:{new}::", 1)

    return dataclasses.replace(
        resource,
        urn=urn(resource.urn),
        provider=urn(resource.provider),
        aliases=[urn(a) for a in resource.aliases],
        parent=urn(resource.parent),
        dependencies=[urn(d) for d in resource.dependencies],
    )


def load_side(source: str, tmp: Path, stack: str | None = None) -> Side:
    """Plan one side: a plan.json is read, anything else is planned offline now, as stack `stack`
    (default: the stack file's own name) so that both sides' URNs name the same stack."""
    path = Path(source)
    if path.suffix == ".json" and path.is_file():
        try:
            doc = json.loads(path.read_text())
            name = str(doc["stack"])
            resources = [Resource.from_json(r) for r in doc["resources"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise SideError(source, [f"error: {source}: not a plan.json written by tools.plan ({exc})"]) from None
        if stack and stack != name:
            resources = [_restack(r, name, stack) for r in resources]
        return Side(
            source,
            stack or name,
            doc.get("platform", ""),
            {r.urn: r for r in resources},
            doc.get("cost", {}),
            doc.get("verdicts", []),
        )
    try:
        if ":" in source and not path.exists():
            git_ref, _, git_path = source.partition(":")
            loaded = _git_stack_file(git_ref, git_path, tmp)
        else:
            loaded = stackfile.load(source)
    except stackfile.StackFileError as exc:
        raise SideError(source, [f"error: {exc}"]) from None
    if stack:
        loaded = dataclasses.replace(loaded, name=stack)
    try:
        planned = plan.make(loaded)
    except plan.PlanError as exc:
        raise SideError(source, exc.lines) from None
    return Side(
        source,
        planned.stack.name,
        planned.settings.platform,
        {r.urn: Resource.of(r) for r in planned.recording.resources},
        planned.cost,
        [v.__dict__ for v in planned.verdicts],
    )


def load_sides(base: str, head: str, stack: str | None, err: TextIO) -> tuple[Side, Side] | None:
    """Both sides, planned once each (HEAD as BASE's stack unless `stack` says); None, with the
    reasons written to `err`, when either cannot be planned."""
    sides: list[Side] = []
    failed = False
    with tempfile.TemporaryDirectory(prefix="multiarch-diff-") as tmp:
        for source in (base, head):
            try:
                sides.append(load_side(source, Path(tmp), stack or (sides[0].stack if sides else None)))
            except SideError as exc:
                failed = True
                err.write(f"{exc.source}:\n")
                err.writelines(f"  {line}\n" for line in exc.lines)
    return None if failed else (sides[0], sides[1])
