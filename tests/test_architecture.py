"""The layers of docs/architecture.md, checked against every import in the source tree.

Every module under ``steps_agents/``, ``graphs/`` (installed as ``steps_agents.graphs``) and
``plugins/`` (``steps_agents.plugins``) is parsed with :mod:`ast`; every ``import`` and
``from ... import`` counts wherever it stands: at the top, inside a function (lazy) or under
``if TYPE_CHECKING:``. ``from package import name`` is an import of ``package.name`` when that
is a module of the project, else of ``package`` itself. The implicit import of a parent package
that Python performs before a submodule is not an edge (every module would otherwise depend on
``steps_agents/__init__.py``); the package root is a layer of its own, which no stage may import.

The allowed imports are read from the table in docs/architecture.md, so the document and the
test cannot drift apart: changing the layers means editing that table.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"
# Where each importable name lives in the repository (pyproject.toml's package-dir mapping).
SOURCES = {
    "steps_agents": ROOT / "steps_agents",
    "steps_agents.graphs": ROOT / "graphs",
    "steps_agents.plugins": ROOT / "plugins",
}
PACKAGE_ROOT = "steps_agents"
MAX_TOP_LEVEL_MODULES = 7

Edge = tuple[str, str, int]  # (importing module, imported module, line)


@cache
def project_modules() -> dict[str, Path]:
    """Dotted module name -> source file, for every module of the three trees."""
    modules: dict[str, Path] = {}
    for prefix, base in SOURCES.items():
        for path in sorted(base.rglob("*.py")):
            parts = list(path.relative_to(base).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join([prefix, *parts])] = path
    return modules


def _owning_module(name: str, modules: dict[str, Path]) -> str | None:
    """The longest prefix of the dotted ``name`` that is a project module."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _imported_names(node: ast.Import | ast.ImportFrom, package: str) -> list[str]:
    """Absolute dotted names an import statement loads (``from p import n`` gives ``p.n``)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        parts = package.split(".")
        base = ".".join(parts[: len(parts) - node.level + 1])
        stem = f"{base}.{node.module}" if node.module else base
    else:
        stem = node.module or ""
    return [f"{stem}.{alias.name}" for alias in node.names]


@cache
def import_edges() -> tuple[Edge, ...]:
    """Every project-internal import, lazy and ``TYPE_CHECKING`` ones included."""
    modules = project_modules()
    edges: set[Edge] = set()
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for imported in _imported_names(node, package):
                if imported.split(".")[0] != PACKAGE_ROOT:
                    continue
                target = _owning_module(imported, modules)
                if target is not None and target != name:
                    edges.add((name, target, node.lineno))
    return tuple(sorted(edges))


def where(module: str, line: int) -> str:
    return f"{project_modules()[module].relative_to(ROOT)}:{line}"


def find_cycles(edges: tuple[Edge, ...]) -> list[list[Edge]]:
    """Import cycles, each as its edges in order, found by a depth-first search.

    Every cycle of a graph contains a back edge of any depth-first search, so a graph with a
    cycle always yields at least one; cycles over the same modules are reported once.
    """
    graph: dict[str, list[Edge]] = {}
    for edge in edges:
        graph.setdefault(edge[0], []).append(edge)
    cycles: list[list[Edge]] = []
    done: set[str] = set()
    for start in sorted(graph):
        if start in done:
            continue
        # Iterative depth-first search; ``path`` holds the edges from ``start`` to the top.
        path: list[Edge] = []
        on_path = {start: 0}
        stack = [iter(graph.get(start, []))]
        while stack:
            step = next(stack[-1], None)
            if step is None:
                stack.pop()
                if path:
                    done.add(path[-1][1])
                    del on_path[path.pop()[1]]
                continue
            target = step[1]
            if target in on_path:
                cycles.append([*path[on_path[target] :], step])
                continue
            if target in done:
                continue
            on_path[target] = len(path) + 1
            path.append(step)
            stack.append(iter(graph.get(target, [])))
        done.add(start)
    # The same cycle may be found from several of its modules: keep one per module set.
    unique: dict[frozenset[str], list[Edge]] = {}
    for cycle in cycles:
        unique.setdefault(frozenset(e[0] for e in cycle), cycle)
    return list(unique.values())


def describe_cycle(cycle: list[Edge]) -> str:
    steps = [f"{a} ({where(a, line)})" for a, _, line in cycle]
    return " -> ".join([*steps, cycle[0][0]])


@cache
def layer_table() -> dict[str, tuple[tuple[str, ...], frozenset[str]]]:
    """docs/architecture.md's table: layer -> (its modules, the layers it may import)."""
    rows = re.findall(r"^\| \*\*(\w+)\*\* \|([^|]*)\|([^|]*)\|", DOC.read_text(), re.MULTILINE)
    assert rows, f"{DOC.relative_to(ROOT)}: no layer table (rows '| **layer** | modules | ... |')"
    table: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {}
    for layer, modules, allowed in rows:
        names = tuple(re.findall(r"`([\w.]+)`", modules))
        may = frozenset(re.findall(r"\w+", allowed)) - {"nothing"}
        table[layer] = (names, may)
    unknown = {m for _, may in table.values() for m in may} - set(table)
    assert not unknown, f"{DOC.relative_to(ROOT)}: the table allows unknown layers {unknown}"
    return table


def layer_of(module: str) -> str | None:
    """The layer whose listed name is the longest prefix of ``module`` (the package root
    ``steps_agents`` matches only itself)."""
    best, best_len = None, -1
    for layer, (names, _) in layer_table().items():
        for name in names:
            matches = module == name or (name != PACKAGE_ROOT and module.startswith(name + "."))
            if matches and len(name) > best_len:
                best, best_len = layer, len(name)
    return best


# Known exceptions (none since the resolve_agent hook broke evaluation.agents <-> model_agent).
KNOWN_CYCLES: set[frozenset[str]] = set()


def test_no_import_cycle() -> None:
    cycles = find_cycles(import_edges())
    new = [describe_cycle(c) for c in cycles if frozenset(e[0] for e in c) not in KNOWN_CYCLES]
    assert not new, "import cycles (module (file:line of its import) -> ...):\n" + "\n".join(new)


def test_only_the_cli_imports_the_graphs() -> None:
    core, cli = ROOT / "steps_agents", ROOT / "steps_agents" / "cli"
    modules = project_modules()
    bad = [
        f"{where(a, line)} imports {b}"
        for a, b, line in import_edges()
        if b.split(".")[:2] == ["steps_agents", "graphs"]
        and modules[a].is_relative_to(core)
        and not modules[a].is_relative_to(cli)
    ]
    assert not bad, "only steps_agents/cli/ may import steps_agents.graphs:\n" + "\n".join(bad)


def test_every_module_belongs_to_a_layer() -> None:
    lost = [str(path.relative_to(ROOT)) for m, path in project_modules().items() if not layer_of(m)]
    assert not lost, f"modules in no layer of {DOC.relative_to(ROOT)}'s table: {lost}"


def test_layers_import_only_what_the_table_allows() -> None:
    table = layer_table()
    bad = []
    for a, b, line in import_edges():
        la, lb = layer_of(a), layer_of(b)
        if la is None or lb is None or la == lb:
            continue
        if lb not in table[la][1]:
            bad.append(f"{where(a, line)}: {la} imports {lb} ({b})")
    assert not bad, (
        f"imports the layer table of {DOC.relative_to(ROOT)} does not allow:\n" + "\n".join(bad)
    )


def test_the_layer_table_has_no_cycle() -> None:
    """The table is one-directional: no layer may import another that may import it back,
    even through other layers (else module cycles across those layers would be allowed)."""
    edges = tuple((layer, other, 0) for layer, (_, may) in layer_table().items() for other in may)
    assert not find_cycles(edges), [[e[0] for e in c] for c in find_cycles(edges)]


def test_few_top_level_modules() -> None:
    top = sorted(p.name for p in (ROOT / "steps_agents").glob("*.py") if p.name != "__init__.py")
    assert len(top) <= MAX_TOP_LEVEL_MODULES, (
        f"steps_agents/ has {len(top)} top-level modules (at most {MAX_TOP_LEVEL_MODULES}): "
        f"{top}; put stage code in its package"
    )


def test_the_checker_sees_lazy_and_type_checking_imports() -> None:
    """The parser counts imports in functions and under TYPE_CHECKING, relative ones too."""
    source = (
        "from typing import TYPE_CHECKING\n"
        "from . import records\n"
        "if TYPE_CHECKING:\n"
        "    from steps_agents.graphs.synthesis import SynthState\n"
        "def f():\n"
        "    import steps_agents.taxonomy.builder\n"
        "    from ..models import open_model\n"
    )
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names += _imported_names(node, "steps_agents.evaluation")
    modules = project_modules()
    owners = {_owning_module(n, modules) for n in names}
    assert sorted(m for m in owners if m is not None) == [
        "steps_agents.evaluation.records",
        "steps_agents.graphs.synthesis",
        "steps_agents.models",
        "steps_agents.taxonomy.builder",
    ]
    edges = (("a", "b", 1), ("b", "c", 2), ("c", "a", 3), ("c", "d", 4))
    assert [[e[0] for e in c] for c in find_cycles(edges)] == [["a", "b", "c"]]
