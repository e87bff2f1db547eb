"""No import cycles, not even through imports inside functions (issue 10: "cycles hidden by lazy imports").

A lazy import may save start-up time, but it must not hide a loop: the dependency between
two of our modules goes one way.  Modules are listed here as their cycles are broken.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Modules that must be in no cycle (grow this list to every module as cycles are broken).
ACYCLIC = ("linter.docs", "linter.plugins", "linter.ruledoc", "linter.report", "linter.cli_docs", "linter.tools",
           "linter.ruleapi", "linter.formatters.base")


def _module(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return "pylint_image." + ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@functools.lru_cache(maxsize=1)
def import_graph() -> dict[str, set[str]]:
    """Our module -> our modules it imports anywhere in its body (module level or lazily)."""
    files = {_module(p): p for top in ("linter", "rules", "runner") for p in (REPO / top).rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
                module = ".".join(base + ([node.module] if node.module else []))
                candidates = [module, *(f"{module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                candidates = [a.name for a in node.names]
            else:
                continue
            deps.update(c for c in candidates if c in files and c != name)
        graph[name] = deps
    return graph


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(graph[start])
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(graph[node])
    return seen


def test_graph_sees_lazy_imports() -> None:
    graph = import_graph()
    # linter/cli.py imports the runner only inside the verify command.
    assert any(dep.startswith("pylint_image.runner") for dep in graph["pylint_image.linter.cli"])
    assert "pylint_image.linter.plugins" in graph["pylint_image.linter.docs"]  # docs.main, lazily


def test_listed_modules_are_in_no_cycle() -> None:
    graph = import_graph()
    loops = {name: sorted(m for m in reachable(graph, f"pylint_image.{name}")
                          if f"pylint_image.{name}" in reachable(graph, m))
             for name in ACYCLIC}
    assert not {name: via for name, via in loops.items() if via}, loops


def test_rule_docs_parse_below_plugins_and_docs() -> None:
    graph = import_graph()
    assert "pylint_image.linter.ruledoc" in graph["pylint_image.linter.plugins"]
    assert "pylint_image.linter.ruledoc" in graph["pylint_image.linter.docs"]
    above = {"pylint_image.linter.docs", "pylint_image.linter.plugins"}
    assert not reachable(graph, "pylint_image.linter.ruledoc") & above
