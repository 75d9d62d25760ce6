"""The stack as a picture: Mermaid and Graphviz sources from what the program declared.

Each component is a box (subgraph) holding its children; providers are hexagons linked to the
components whose resources use them; explicit dependencies between resources are dashed arrows.
`write()` also renders a PNG where Graphviz's `dot` is installed: of every resource up to
`PNG_MAX_RESOURCES`, of the components above that (Graphviz's layout grows much faster than the
graph: a 64-pool OpenShift stack took two minutes), and says which it drew.

`BuildPlatform`, the component that wraps a whole stack, is drawn as a frame: the overview shows
the components inside it, as they were before the stack became one component.

Every map (URN to resource, to its outermost component, to its children) is built once per
recording, so drawing is linear in the resources and their dependencies.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from tools.recording import Recording, Registered

# The component that wraps a whole stack (components.platform.TYPE): a frame, not a component.
FRAME_TYPE = "multiarch:index:BuildPlatform"

# Above this many resources the PNG shows the components only (the .mmd/.dot files stay whole).
PNG_MAX_RESOURCES = 200


def _id(urn: str) -> str:
    return "n" + hashlib.sha1(urn.encode()).hexdigest()[:10]


def _label(r: Registered) -> str:
    kind = r.type.rsplit(":", 1)[-1]
    return f"{kind}<br/>{r.name}"


def _kind(r: Registered) -> str:
    return r.type.rsplit(":", 1)[-1]


@dataclass
class Graph:
    """One recording's resources, indexed once."""

    rec: Recording

    @cached_property
    def known(self) -> dict[str, Registered]:
        return {r.urn: r for r in self.rec.resources}

    def is_frame(self, r: Registered) -> bool:
        return r.type == FRAME_TYPE and r.parent not in self.known

    @cached_property
    def top(self) -> dict[str, str]:
        """URN -> the URN of the outermost component above it (or itself), below a frame."""
        out: dict[str, str] = {}

        def find(r: Registered) -> str:
            if r.urn not in out:
                parent = self.known.get(r.parent)
                out[r.urn] = r.urn if parent is None or self.is_frame(parent) else find(parent)
            return out[r.urn]

        for r in self.rec.resources:
            find(r)
        return out

    @cached_property
    def children(self) -> dict[str, list[Registered]]:
        """Resources by parent URN; "" holds the top level, sorted components first."""
        out: dict[str, list[Registered]] = defaultdict(list)
        for r in self.rec.resources:
            out[r.parent if r.parent in self.known else ""].append(r)
        for items in out.values():
            items.sort(key=lambda x: (x.custom, x.type, x.name))
        return out

    @cached_property
    def edges(self) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
        """(provider -> top component) and (dependency -> resource) edges, by URN."""
        uses: set[tuple[str, str]] = set()
        deps: set[tuple[str, str]] = set()
        for r in self.rec.resources:
            provider_urn = r.provider.rsplit("::", 1)[0] if r.provider else ""  # "<urn>::<id>"
            if provider_urn in self.known:
                uses.add((provider_urn, self.top[r.urn]))
            for d in r.dependencies:
                if d in self.known and d != r.parent:
                    deps.add((d, r.urn))
        return uses, deps

    @cached_property
    def component_counts(self) -> dict[str, int]:
        """Top component URN -> how many custom resources it holds."""
        counts: dict[str, int] = defaultdict(int)
        for r in self.rec.resources:
            if r.custom:
                counts[self.top[r.urn]] += 1
        return counts

    @cached_property
    def component_waits(self) -> list[tuple[str, str]]:
        """(component -> component) waits: some resource of one depends on some resource of the other."""
        _, deps = self.edges
        waits = {(self.top[d], self.top[u]) for d, u in deps}
        return sorted(w for w in waits if w[0] != w[1])

    def tops(self) -> list[tuple[Registered | None, list[Registered]]]:
        """The overview's rows: (a frame or None, the top-level components and providers in it)."""
        key = lambda x: (x.custom, x.type, x.name)  # noqa: E731
        roots = sorted(self.children[""], key=key)
        rows: list[tuple[Registered | None, list[Registered]]] = []
        loose = [r for r in roots if not self.is_frame(r)]
        if loose:
            rows.append((None, loose))
        rows += [(r, sorted(self.children.get(r.urn, []), key=key)) for r in roots if self.is_frame(r)]
        return rows


def mermaid(rec: Recording, graph: Graph | None = None) -> str:
    g = graph or Graph(rec)
    lines = ["flowchart LR"]

    def emit(r: Registered, depth: int) -> None:
        pad = "  " * depth
        if r.type.startswith("pulumi:providers:"):
            lines.append(f'{pad}{_id(r.urn)}{{{{"{_kind(r)} provider<br/>{r.name}"}}}}')
        elif not r.custom:
            lines.append(f'{pad}subgraph {_id(r.urn)}["{r.type}<br/>{r.name}"]')
            for c in g.children.get(r.urn, []):
                emit(c, depth + 1)
            lines.append(f"{pad}end")
        else:
            lines.append(f'{pad}{_id(r.urn)}["{_label(r)}"]')

    for r in g.children[""]:
        emit(r, 1)
    uses, deps = g.edges
    for provider, component in sorted(uses):
        lines.append(f"  {_id(provider)} --- {_id(component)}")
    for dep_urn, urn in sorted(deps):
        lines.append(f"  {_id(dep_urn)} -.-> {_id(urn)}")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class _Syntax:
    """How one overview format writes its parts ({id}, {label}, {a}, {b} filled in)."""

    head: list[str]
    frame_open: list[str]
    frame_close: str
    provider: str
    component: str
    uses: str
    waits: str
    tail: list[str]


def _overview(g: Graph, syntax: _Syntax) -> str:
    """The top-level components and providers (inside their frame), and which component waits for which."""
    lines = list(syntax.head)
    for frame, items in g.tops():
        pad = "  " if frame is None else "    "
        if frame is not None:
            lines += [
                line.format(id=_id(frame.urn), label=f"{_kind(frame)} {frame.name}") for line in syntax.frame_open
            ]
        for r in items:
            if r.type.startswith("pulumi:providers:"):
                lines.append(pad + syntax.provider.format(id=_id(r.urn), label=f"{_kind(r)} provider"))
            else:
                count = f"{g.component_counts[r.urn]} resources"
                lines.append(pad + syntax.component.format(id=_id(r.urn), label=f"{_kind(r)} {r.name}", count=count))
        if frame is not None:
            lines.append(syntax.frame_close)
    uses, _ = g.edges
    lines += [syntax.uses.format(a=_id(p), b=_id(c)) for p, c in sorted(uses)]
    lines += [syntax.waits.format(a=_id(d), b=_id(u)) for d, u in g.component_waits]
    return "\n".join([*lines, *syntax.tail]) + "\n"


_MERMAID = _Syntax(
    head=["flowchart LR"],
    frame_open=['  subgraph {id}["{label}"]'],
    frame_close="  end",
    provider='{id}{{{{"{label}"}}}}',
    component='{id}["{label}<br/>{count}"]',
    uses="  {a} --- {b}",
    waits="  {a} -.-> {b}",
    tail=[],
)


def components(rec: Recording, graph: Graph | None = None) -> str:
    """The overview: top-level components and providers, and which component waits for which."""
    return _overview(graph or Graph(rec), _MERMAID)


_DOT_HEAD = ["  rankdir=LR;", '  node [shape=box, fontsize=10, fontname="Helvetica"];']
_DOT_OVERVIEW = _Syntax(
    head=["digraph components {", *_DOT_HEAD],
    frame_open=["  subgraph cluster_{id} {{", '    label="{label}";'],
    frame_close="  }",
    provider='{id} [shape=hexagon, label="{label}"];',
    component='{id} [label="{label}\\n{count}"];',
    uses="  {a} -> {b} [arrowhead=none];",
    waits="  {a} -> {b} [style=dashed];",
    tail=["}"],
)


def dot(rec: Recording, graph: Graph | None = None) -> str:
    g = graph or Graph(rec)
    lines = ["digraph stack {", *_DOT_HEAD]

    def emit(r: Registered, depth: int) -> None:
        pad = "  " * depth
        label = _label(r).replace("<br/>", "\\n")
        if r.type.startswith("pulumi:providers:"):
            lines.append(f'{pad}{_id(r.urn)} [shape=hexagon, label="{label}"];')
        elif not r.custom:
            lines.append(f"{pad}subgraph cluster_{_id(r.urn)} {{")
            lines.append(f'{pad}  label="{r.type}\\n{r.name}";')
            lines.append(f"{pad}  {_id(r.urn)} [shape=point, style=invis];")
            for c in g.children.get(r.urn, []):
                emit(c, depth + 1)
            lines.append(f"{pad}}}")
        else:
            lines.append(f'{pad}{_id(r.urn)} [label="{label}"];')

    for r in g.children[""]:
        emit(r, 1)
    uses, deps = g.edges
    for provider, component in sorted(uses):
        lines.append(f"  {_id(provider)} -> {_id(component)} [arrowhead=none];")
    for dep_urn, urn in sorted(deps):
        lines.append(f"  {_id(dep_urn)} -> {_id(urn)} [style=dashed];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def components_dot(rec: Recording, graph: Graph | None = None) -> str:
    """The overview as Graphviz: what the PNG shows of a stack too large to draw whole."""
    return _overview(graph or Graph(rec), _DOT_OVERVIEW)


@dataclass(frozen=True)
class Drawn:
    files: list[Path]
    note: str  # what the PNG shows (or why there is none), for the plan's output


def write(rec: Recording, out_dir: Path) -> Drawn:
    g = Graph(rec)
    sources = {
        "diagram.mmd": mermaid(rec, g),
        "diagram.dot": dot(rec, g),
        "diagram-components.mmd": components(rec, g),
        "diagram-components.dot": components_dot(rec, g),
    }
    written = []
    for name, text in sources.items():
        (out_dir / name).write_text(text)
        written.append(out_dir / name)
    (out_dir / "diagram.png").unlink(missing_ok=True)  # a previous plan's picture is not this one's
    if not shutil.which("dot"):
        return Drawn(written, "no PNG: Graphviz's dot is not installed")
    whole = len(rec.resources) <= PNG_MAX_RESOURCES
    source = out_dir / ("diagram.dot" if whole else "diagram-components.dot")
    png = out_dir / "diagram.png"
    result = subprocess.run(["dot", "-Tpng", "-o", str(png), str(source)], capture_output=True, check=False)
    if result.returncode != 0:
        return Drawn(written, f"no PNG: dot failed ({result.stderr.decode(errors='replace').strip()[-200:]})")
    written.append(png)
    if whole:
        return Drawn(written, "the PNG shows every resource")
    return Drawn(
        written,
        f"the PNG shows the components only: {len(rec.resources)} resources is more than {PNG_MAX_RESOURCES}, "
        "past which Graphviz's layout takes minutes (diagram.mmd and diagram.dot hold every resource)",
    )
