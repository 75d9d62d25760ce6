"""The house's shape, measured from its imports: floors that import only downwards, no cycle, pure
modules free of the resource SDKs and of every component, and modules that fit in a head.

Imports are read with `ast` from the source, every one of them (inside functions too), except
those under `if TYPE_CHECKING:`, which never run: they are how two models name each other's type.
"""

from __future__ import annotations

import ast
import fnmatch
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

# The floors of components/, lowest first: a module imports its own floor or lower, never higher.
FLOORS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("data", ("components.catalog", "components.catalog.*", "components.versions", "components.names")),
    (
        "facts",
        (
            "components.limits",
            "components.regions",
            "components.arch",
            "components.zones",
            "components.scheduling",
            "components.buildscript",
            "components.workspaces",
        ),
    ),
    ("settings", ("components.settings", "components.settings.*")),
    ("models", ("components.cost", "components.retention", "components.placement", "components.placement.*")),
    ("helpers", ("components.kube", "components.iam", "components.identity")),
    (
        "components",
        (
            "components.clusters",
            "components.clusters.*",
            "components.nodepools",
            "components.nodepools.*",
            "components.storage",
            "components.pipelines",
            "components.pipelines.*",
            "components.runner",
            "components.runner.*",
            "components.binfmt",
            "components.autoscaler",
            "components.karpenter",
            "components.karpenter.*",
            "components.computeclass",
        ),
    ),
    ("composition", ("components.stack", "components.stack.*")),
    ("public", ("components", "components.platform", "components.platform.*", "components.provider")),
)
# Pure: no cloud or Kubernetes SDK, no resource, no component (the plan, the cost view, the policy
# pack and the review call them; tests run them without the mock engine).
PURE_FLOORS = ("data", "facts", "settings", "models")
RESOURCE_SDKS = ("pulumi_aws", "pulumi_gcp", "pulumi_kubernetes")
# The code a reader has to hold (tests are tables of cases, kept apart from this limit).
CODE = ("components", "tools", "policy", "bench", "provider")
MAX_LINES = 420  # "about 400"


def modules() -> dict[str, Path]:
    out = {}
    for top in CODE:
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node but what sits under `if TYPE_CHECKING:`."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from (n for child in node.orelse for n in [child, *_runtime_nodes(child)])
            continue
        yield node
        yield from _runtime_nodes(node)


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The modules `name` imports: of the repository's, resolved; others by their top package."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    out: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            for alias in node.names:
                candidate = f"{module}.{alias.name}"
                out.add(candidate if candidate in known else module)
        elif isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
    return {m for m in out if m != name}


def floor_of(module: str) -> int:
    matches = [i for i, (_, patterns) in enumerate(FLOORS) if any(fnmatch.fnmatchcase(module, p) for p in patterns)]
    assert len(matches) == 1, f"{module} is on {len(matches)} floors: add it to FLOORS once"
    return matches[0]


KNOWN = modules()
GRAPH = {name: imports(name, path, KNOWN) for name, path in KNOWN.items()}


def test_every_component_module_is_on_one_floor() -> None:
    for name in KNOWN:
        if name == "components" or name.startswith("components."):
            floor_of(name)


def test_no_import_points_up_the_floors() -> None:
    upward = [
        f"{name} ({FLOORS[floor_of(name)][0]}) imports {target} ({FLOORS[floor_of(target)][0]})"
        for name, targets in GRAPH.items()
        if name.startswith("components")
        for target in sorted(targets)
        if target.startswith("components") and floor_of(target) > floor_of(name)
    ]
    assert upward == []


def test_the_components_never_import_the_repositorys_tools() -> None:
    """The package is what the wheel ships: tools/, policy/ and bench/ use it, never the reverse."""
    leaks = [
        f"{name} imports {target}"
        for name, targets in GRAPH.items()
        if name.startswith("components")
        for target in targets
        if target.split(".")[0] in ("tools", "policy", "bench", "tests")
    ]
    assert leaks == []


def test_no_import_cycle() -> None:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(t for t in GRAPH[v] if t in GRAPH):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    assert cycles == []


def test_the_pure_modules_import_no_resource_sdk_and_no_component() -> None:
    pure = [n for n in GRAPH if n.startswith("components") and FLOORS[floor_of(n)][0] in PURE_FLOORS]
    assert {"components.catalog", "components.arch", "components.limits", "components.settings"} <= set(pure)
    found = [
        f"{name} imports {target}"
        for name in pure
        for target in sorted(GRAPH[name])
        if target.split(".")[0] in RESOURCE_SDKS
        or (target.startswith("components") and FLOORS[floor_of(target)][0] not in PURE_FLOORS)
    ]
    assert found == []


def test_the_policy_pack_uses_only_the_pure_modules() -> None:
    """The pack judges a plan; it never declares anything itself."""
    found = [
        f"{name} imports {target}"
        for name, targets in GRAPH.items()
        if name.split(".")[0] == "policy"
        for target in sorted(targets)
        if target.startswith("components") and FLOORS[floor_of(target)][0] not in PURE_FLOORS
    ]
    assert found == []


def test_the_package_imports_itself_only_relatively() -> None:
    """One directory, two names: `components` here, `pulumi_multiarch` once installed. An absolute
    import of either name inside it would load a second copy, or nothing at all."""
    found = []
    for name, path in KNOWN.items():
        if not name.startswith("components"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            found += [f"{name}: {n}" for n in names if n.split(".")[0] in ("components", "pulumi_multiarch")]
    assert found == []


@pytest.mark.parametrize("name", sorted(KNOWN))
def test_each_module_fits_in_a_head(name: str) -> None:
    lines = len(KNOWN[name].read_text().splitlines())
    assert lines <= MAX_LINES, f"{KNOWN[name].relative_to(ROOT)}: {lines} lines; split it along its seams"
