"""The stack as a picture: Mermaid and Graphviz sources from what the program declared.

Each component is a box (subgraph) holding its children; providers are hexagons linked to the
components whose resources use them; explicit dependencies between resources are dashed arrows.
`write()` also renders a PNG where Graphviz's `dot` is installed.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

from tools.mockengine import Recording, Registered


def _id(urn: str) -> str:
    return "n" + hashlib.sha1(urn.encode()).hexdigest()[:10]


def _label(r: Registered) -> str:
    kind = r.type.rsplit(":", 1)[-1]
    return f"{kind}<br/>{r.name}"


def _top(rec: Recording, r: Registered) -> Registered:
    """The outermost component above `r` (or `r` itself)."""
    known = {x.urn: x for x in rec.resources}
    while r.parent in known:
        r = known[r.parent]
    return r


def _edges(rec: Recording) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(provider -> top component) and (dependency -> resource) edges, by URN."""
    known = {r.urn for r in rec.resources}
    uses: set[tuple[str, str]] = set()
    deps: set[tuple[str, str]] = set()
    for r in rec.resources:
        provider_urn = r.provider.rsplit("::", 1)[0] if r.provider else ""  # "<urn>::<id>"
        if provider_urn in known:
            uses.add((provider_urn, _top(rec, r).urn))
        for d in r.dependencies:
            if d in known and d != r.parent:
                deps.add((d, r.urn))
    return uses, deps


def _children(rec: Recording) -> dict[str, list[Registered]]:
    """Resources by parent URN; "" holds the top level, sorted components first."""
    out: dict[str, list[Registered]] = defaultdict(list)
    known = {r.urn for r in rec.resources}
    for r in rec.resources:
        out[r.parent if r.parent in known else ""].append(r)
    for items in out.values():
        items.sort(key=lambda x: (x.custom, x.type, x.name))
    return out


def mermaid(rec: Recording) -> str:
    children = _children(rec)
    lines = ["flowchart LR"]

    def emit(r: Registered, depth: int) -> None:
        pad = "  " * depth
        if r.type.startswith("pulumi:providers:"):
            lines.append(f'{pad}{_id(r.urn)}{{{{"{r.type.rsplit(":", 1)[-1]} provider<br/>{r.name}"}}}}')
        elif not r.custom:
            lines.append(f'{pad}subgraph {_id(r.urn)}["{r.type}<br/>{r.name}"]')
            for c in children.get(r.urn, []):
                emit(c, depth + 1)
            lines.append(f"{pad}end")
        else:
            lines.append(f'{pad}{_id(r.urn)}["{_label(r)}"]')

    for r in children[""]:
        emit(r, 1)
    uses, deps = _edges(rec)
    for provider, component in sorted(uses):
        lines.append(f"  {_id(provider)} --- {_id(component)}")
    for dep_urn, urn in sorted(deps):
        lines.append(f"  {_id(dep_urn)} -.-> {_id(urn)}")
    return "\n".join(lines) + "\n"


def components(rec: Recording) -> str:
    """The overview: top-level components and providers, and which component waits for which."""
    known = {r.urn: r for r in rec.resources}
    tops = [r for r in rec.resources if r.parent not in known]
    lines = ["flowchart LR"]
    for r in sorted(tops, key=lambda x: (x.custom, x.type, x.name)):
        if r.type.startswith("pulumi:providers:"):
            lines.append(f'  {_id(r.urn)}{{{{"{r.type.rsplit(":", 1)[-1]} provider"}}}}')
        else:
            count = sum(1 for x in rec.resources if x.custom and _top(rec, x).urn == r.urn)
            lines.append(f'  {_id(r.urn)}["{r.type.rsplit(":", 1)[-1]} {r.name}<br/>{count} resources"]')
    uses, deps = _edges(rec)
    for provider, component in sorted(uses):
        lines.append(f"  {_id(provider)} --- {_id(component)}")
    waits = {(_top(rec, known[d]).urn, _top(rec, known[u]).urn) for d, u in deps}
    for dep_urn, urn in sorted(w for w in waits if w[0] != w[1]):
        lines.append(f"  {_id(dep_urn)} -.-> {_id(urn)}")
    return "\n".join(lines) + "\n"


def dot(rec: Recording) -> str:
    children = _children(rec)
    lines = ["digraph stack {", "  rankdir=LR;", '  node [shape=box, fontsize=10, fontname="Helvetica"];']

    def emit(r: Registered, depth: int) -> None:
        pad = "  " * depth
        label = _label(r).replace("<br/>", "\\n")
        if r.type.startswith("pulumi:providers:"):
            lines.append(f'{pad}{_id(r.urn)} [shape=hexagon, label="{label}"];')
        elif not r.custom:
            lines.append(f"{pad}subgraph cluster_{_id(r.urn)} {{")
            lines.append(f'{pad}  label="{r.type}\\n{r.name}";')
            lines.append(f"{pad}  {_id(r.urn)} [shape=point, style=invis];")
            for c in children.get(r.urn, []):
                emit(c, depth + 1)
            lines.append(f"{pad}}}")
        else:
            lines.append(f'{pad}{_id(r.urn)} [label="{label}"];')

    for r in children[""]:
        emit(r, 1)
    uses, deps = _edges(rec)
    for provider, component in sorted(uses):
        lines.append(f"  {_id(provider)} -> {_id(component)} [arrowhead=none];")
    for dep_urn, urn in sorted(deps):
        lines.append(f"  {_id(dep_urn)} -> {_id(urn)} [style=dashed];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def write(rec: Recording, out_dir: Path) -> list[Path]:
    written = [out_dir / "diagram.mmd", out_dir / "diagram.dot", out_dir / "diagram-components.mmd"]
    written[0].write_text(mermaid(rec))
    written[1].write_text(dot(rec))
    written[2].write_text(components(rec))
    if shutil.which("dot"):
        png = out_dir / "diagram.png"
        result = subprocess.run(["dot", "-Tpng", "-o", str(png), str(written[1])], capture_output=True, check=False)
        if result.returncode == 0:
            written.append(png)
    return written
