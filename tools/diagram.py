"""The stack as a picture: Mermaid and Graphviz sources from what the program declared.

Each component is a box (subgraph) holding its children; providers are hexagons linked to the
components whose resources use them; explicit dependencies between resources are dashed arrows.
`write()` also renders a PNG where Graphviz's `dot` is installed: of every resource up to
`PNG_MAX_RESOURCES`, of the components above that (Graphviz's layout grows much faster than the
graph: a 64-pool OpenShift stack took two minutes), and says which it drew.

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

from tools.mockengine import Recording, Registered

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

    @cached_property
    def top(self) -> dict[str, str]:
        """URN -> the URN of the outermost component above it (or itself)."""
        out: dict[str, str] = {}

        def find(r: Registered) -> str:
            if r.urn not in out:
                parent = self.known.get(r.parent)
                out[r.urn] = r.urn if parent is None else find(parent)
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

    def tops(self) -> list[Registered]:
        return sorted(self.children[""], key=lambda x: (x.custom, x.type, x.name))


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


def components(rec: Recording, graph: Graph | None = None) -> str:
    """The overview: top-level components and providers, and which component waits for which."""
    g = graph or Graph(rec)
    lines = ["flowchart LR"]
    for r in g.tops():
        if r.type.startswith("pulumi:providers:"):
            lines.append(f'  {_id(r.urn)}{{{{"{_kind(r)} provider"}}}}')
        else:
            lines.append(f'  {_id(r.urn)}["{_kind(r)} {r.name}<br/>{g.component_counts[r.urn]} resources"]')
    uses, _ = g.edges
    for provider, component in sorted(uses):
        lines.append(f"  {_id(provider)} --- {_id(component)}")
    for dep_urn, urn in g.component_waits:
        lines.append(f"  {_id(dep_urn)} -.-> {_id(urn)}")
    return "\n".join(lines) + "\n"


_DOT_HEAD = ["  rankdir=LR;", '  node [shape=box, fontsize=10, fontname="Helvetica"];']


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
    g = graph or Graph(rec)
    lines = ["digraph components {", *_DOT_HEAD]
    for r in g.tops():
        if r.type.startswith("pulumi:providers:"):
            lines.append(f'  {_id(r.urn)} [shape=hexagon, label="{_kind(r)} provider"];')
        else:
            lines.append(f'  {_id(r.urn)} [label="{_kind(r)} {r.name}\\n{g.component_counts[r.urn]} resources"];')
    uses, _ = g.edges
    for provider, component in sorted(uses):
        lines.append(f"  {_id(provider)} -> {_id(component)} [arrowhead=none];")
    for dep_urn, urn in g.component_waits:
        lines.append(f"  {_id(dep_urn)} -> {_id(urn)} [style=dashed];")
    lines.append("}")
    return "\n".join(lines) + "\n"


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
