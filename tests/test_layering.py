"""Import direction (§4.2): rules -> linter API, runner -> linter, linter -> nothing of ours.

And linter/ has no side effects (§4.1.2): no module in it may import what starts a process
or opens a connection, at module level or lazily inside a function.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# Processes and the network: runner/ owns them.  A package here forbids its submodules too.
SIDE_EFFECT_MODULES = ("subprocess", "socket", "http", "urllib.request", "ssl", "asyncio.subprocess",
                       "pty", "ftplib", "smtplib", "requests", "urllib3", "httpx")
# The os functions that start a program (os.fork alone is lint --jobs' worker pool, via multiprocessing).
SPAWNING_OS_CALLS = ("system", "popen", "spawn", "exec", "posix_spawn")


def _imports(path: Path, source: str | None = None, names: bool = False) -> list[tuple[str, bool]]:
    """(absolute module name, imported at module level) for each import in a file (or ``source``).

    With ``names``, ``from a import b`` also yields ``a.b`` (``b`` may be a submodule: ``from
    http import client``), and ``importlib.import_module("x")`` or ``__import__("x")`` with a
    literal name counts as a lazy import of ``x``.
    """
    tree = ast.parse(path.read_text(encoding="utf-8") if source is None else source)
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
            if names:
                found += [(f"{name}.{a.name}", id(node) in top_level) for a in node.names]
        elif names and isinstance(node, ast.Call) and _dynamic_import(node.func) and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.append((first.value, False))
    return found


def _dynamic_import(func: ast.expr) -> bool:
    return ((isinstance(func, ast.Name) and func.id in ("__import__", "import_module"))
            or (isinstance(func, ast.Attribute) and func.attr == "import_module"))


def _forbidden(name: str) -> str | None:
    """The side-effect module ``name`` is, or is inside, else None."""
    return next((m for m in SIDE_EFFECT_MODULES if name == m or name.startswith(m + ".")), None)


def _side_effects(path: Path, source: str | None = None) -> list[str]:
    """The process and network modules a file (or ``source``) imports, at any level."""
    return [m for name, _top in _imports(path, source, names=True) if (m := _forbidden(name))]


def _spawning_calls(path: Path, source: str | None = None) -> list[str]:
    """``os.system(...)``, ``os.popen``, ``os.spawn*``, ``os.exec*``, ``os.posix_spawn*`` in a file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8") if source is None else source)):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os"
                and node.attr.startswith(SPAWNING_OS_CALLS)):
            found.append(f"os.{node.attr} (line {node.lineno})")
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


def test_linter_never_imports_process_or_network_modules_at_any_level() -> None:
    offenders = [f"{path.relative_to(REPO)} imports {name}"
                 for path in sorted((REPO / "linter").rglob("*.py")) for name in _side_effects(path)]
    offenders += [f"{path.relative_to(REPO)} calls {call}"
                  for path in sorted((REPO / "linter").rglob("*.py")) for call in _spawning_calls(path)]
    assert offenders == []


@pytest.mark.parametrize(("source", "caught"), [
    ("import subprocess\n", "subprocess"),
    ("def f():\n    import socket\n", "socket"),
    ("def f():\n    from http import client\n", "http"),
    ("import http.client as c\n", "http"),
    ("from urllib.request import urlopen\n", "urllib.request"),
    ("from urllib import request\n", "urllib.request"),
    ("import importlib\nimportlib.import_module('subprocess')\n", "subprocess"),
    ("def f():\n    return __import__('ssl')\n", "ssl"),
])
def test_the_side_effect_check_sees_every_import_form(source: str, caught: str) -> None:
    found = _side_effects(REPO / "linter" / "probe.py", source)
    assert caught in found, found


@pytest.mark.parametrize("source", [
    "from urllib.parse import quote\n", "import shutil\nshutil.which('x')\n", "import httpish\n",
    "import os\nos.environ.get('X')\n",
])
def test_the_side_effect_check_lets_pure_modules_pass(source: str) -> None:
    assert _side_effects(REPO / "linter" / "probe.py", source) == []
    assert _spawning_calls(REPO / "linter" / "probe.py", source) == []


def test_the_side_effect_check_sees_spawning_os_calls() -> None:
    source = "import os\nos.system('x')\nos.execvp('x', ['x'])\nos.environ\n"
    assert _spawning_calls(REPO / "linter" / "probe.py", source) == ["os.system (line 2)", "os.execvp (line 3)"]


def test_linting_a_dockerfile_loads_no_runner_or_process_module(tmp_path: Path) -> None:
    import subprocess

    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\nRUN echo hi\n", encoding="utf-8")
    script = ("import sys\nfrom pylint_image.linter.cli import main\ncode = main(['Dockerfile', '--jobs', '1'])\n"
              "bad = sorted(m for m in sys.modules if m.startswith('pylint_image.runner') or m in "
              f"{SIDE_EFFECT_MODULES!r})\nprint(code, bad)\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, check=False)
    code, _, loaded = done.stdout.strip().splitlines()[-1].partition(" ")
    assert code in ("0", "1") and loaded == "[]", done.stdout + done.stderr
