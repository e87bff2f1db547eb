"""No module of linter/, rules/ or runner/ takes part in an import cycle (issue 10).

A cycle hidden by a lazy (function-level) import still ties two modules together: neither
can be understood, tested or moved without the other, and the import order decides which
one sees the other half-initialised.  A lazy import may save start-up time, but the
dependency between two of our modules goes one way.  So the graph counts module-level and
function-level imports alike; only ``if TYPE_CHECKING:`` blocks are left out (they never run).
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator, Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TOP = {"linter": "pylint_image.linter", "rules": "pylint_image.rules", "runner": "pylint_image.runner"}



def module_files(roots: Mapping[str, Path]) -> dict[str, tuple[Path, bool]]:
    """Dotted module name -> (file, is a package ``__init__``) for every .py under each root."""
    found = {}
    for dotted, root in roots.items():
        for path in root.rglob("*.py"):
            parts = list(path.relative_to(root).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            if is_package:
                parts.pop()
            found[".".join([dotted, *parts])] = (path, is_package)
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement at any depth, except inside ``if TYPE_CHECKING:`` (its else runs)."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def import_graph(roots: Mapping[str, Path]) -> dict[str, set[str]]:
    """Module -> the modules of ``roots`` it imports (``from pkg import sub`` counts as pkg.sub)."""
    modules = module_files(roots)
    graph: dict[str, set[str]] = {}
    for name, (path, is_package) in modules.items():
        package = name if is_package else name.rpartition(".")[0]
        edges: set[str] = set()
        for node in _import_nodes(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            for target in targets:
                while target and target not in modules:  # pylint_image.linter.x.Name -> the module
                    target = target.rpartition(".")[0]
                if target and target != name:
                    edges.add(target)
        graph[name] = edges
    return graph


def cycles(graph: Mapping[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


@functools.lru_cache(maxsize=1)
def _project_graph() -> dict[str, set[str]]:
    return import_graph({dotted: REPO / folder for folder, dotted in TOP.items()})


def _reachable(graph: Mapping[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(graph[start])
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(graph[node])
    return seen


def test_the_graph_sees_lazy_imports_and_skips_type_checking_ones(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from . import b\n")
    (pkg / "b.py").write_text("def f():\n    from .a import x\n    return x\n")
    (pkg / "c.py").write_text(
        "from typing import TYPE_CHECKING\nfrom .b import f\nif TYPE_CHECKING:\n    from .d import T\n"
    )
    (pkg / "d.py").write_text("import pkg.c\n")
    graph = import_graph({"pkg": pkg})
    assert graph["pkg.a"] == {"pkg.b"} and graph["pkg.b"] == {"pkg.a"}
    assert graph["pkg.c"] == {"pkg.b"} and graph["pkg.d"] == {"pkg.c"}
    assert cycles(graph) == [frozenset({"pkg.a", "pkg.b"})]


def test_the_project_graph_is_the_real_one() -> None:
    graph = _project_graph()
    # function-level imports are edges: the runner only inside the verify and image commands,
    # the plugin registry only in docs.main
    assert any(dep.startswith("pylint_image.runner") for dep in graph["pylint_image.linter.cli"])
    assert "pylint_image.linter.plugins" in graph["pylint_image.linter.docs"]
    assert "pylint_image.linter.parse.buildkit_words" in graph["pylint_image.linter.parse.scanner"]
    # a TYPE_CHECKING import is not
    assert "pylint_image.linter.parse.shell" not in graph["pylint_image.linter.model.dockerfile"]
    assert "pylint_image.linter.parse.shell.words" in graph["pylint_image.linter.parse.shell.parser"]
    assert "pylint_image.linter" in graph["pylint_image.rules.dockerfile.df1001_unpinned_image_tag"]


def test_no_module_takes_part_in_an_import_cycle() -> None:
    found = [sorted(c) for c in cycles(_project_graph())]
    assert not found, f"import cycles: {found}"


def test_rule_docs_parse_below_plugins_and_docs() -> None:
    graph = _project_graph()
    assert "pylint_image.linter.ruledoc" in graph["pylint_image.linter.plugins"]
    assert "pylint_image.linter.ruledoc" in graph["pylint_image.linter.docs"]
    above = {"pylint_image.linter.docs", "pylint_image.linter.plugins"}
    assert not _reachable(graph, "pylint_image.linter.ruledoc") & above
