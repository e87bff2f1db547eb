"""Import direction (§4.2): rules -> linter API, runner -> linter, linter -> nothing of ours."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(absolute module name, imported at module level) for each import in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = "pylint_image." + ".".join(path.relative_to(REPO).with_suffix("").parts[:-1])
    top_level = {id(n) for n in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, id(node) in top_level) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.append((name, id(node) in top_level))
    return found


def test_linter_never_imports_rules_or_runner_except_the_cli_modules_lazily() -> None:
    for path in (REPO / "linter").rglob("*.py"):
        for name, top in _imports(path):
            if name.startswith("pylint_image.runner"):
                assert path.name.startswith("cli") and not top, f"{path} imports {name}"
            assert not name.startswith("pylint_image.rules"), f"{path} imports {name}"


def test_rules_import_only_the_public_api_and_shared_helpers() -> None:
    for path in (REPO / "rules").rglob("*.py"):
        for name, _ in _imports(path):
            if name == "pylint_image.linter.model.frozen" and path == REPO / "rules/_shared/__init__.py":
                continue  # @frozen is internal: built-in rules get it from rules._shared
            if name.startswith("pylint_image.") and not name.startswith("pylint_image.rules"):
                assert name == "pylint_image.linter", f"{path} imports {name}"


def test_runner_never_imports_rules() -> None:
    for path in (REPO / "runner").rglob("*.py"):
        for name, _ in _imports(path):
            assert not name.startswith("pylint_image.rules"), f"{path} imports {name}"
