"""mypy passes over linter/, rules/ and runner/ with the ``[tool.mypy]`` config of pyproject.toml.

The three folders are installed as ``pylint_image.linter``, ``.rules`` and ``.runner`` by a
setuptools editable finder that mypy cannot follow, so the test builds the package mypy
expects: a ``pylint_image/`` folder of symlinks to the three source folders.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FOLDERS = ("linter", "rules", "runner")

pytest.importorskip("mypy", reason="mypy is in the test extra: pip install -e '.[test]'")


def run_mypy(root: Path, *args: str, config: Path = REPO / "pyproject.toml",
             cache: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m mypy ARGS`` in ``root``, with ``root`` as the only place to find pylint_image."""
    command = [sys.executable, "-m", "mypy", "--no-error-summary", "--config-file", str(config), *args]
    command += ["--cache-dir", str(cache)] if cache else ["--no-incremental", "--cache-dir", os.devnull]
    env = {**os.environ, "MYPYPATH": str(root)}
    env.pop("PYTHONPATH", None)
    return subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=600)


def _package(root: Path) -> Path:
    package = root / "pylint_image"
    package.mkdir()
    for folder in FOLDERS:
        (package / folder).symlink_to(REPO / folder, target_is_directory=True)
    return package


def test_mypy_passes_over_the_source_tree(tmp_path: Path) -> None:
    _package(tmp_path)
    # The cache lives in the repo (git-ignored) so that a second run only re-checks what changed;
    # paths in it are relative to the temporary folder, so every run can share it.
    done = run_mypy(tmp_path, "-p", "pylint_image", cache=REPO / ".mypy_cache" / "test_types")
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


def test_mypy_sees_frozen_classes_as_dataclasses(tmp_path: Path) -> None:
    """The check above can fail: misusing a @frozen class or a rule subject is a mypy error."""
    _package(tmp_path)
    (tmp_path / "sample.py").write_text(
        "from pylint_image.linter import Image, RuntimeRun, Span\n"
        "ok = Span(1, 1, 1, 2)\n"
        "bad = Span(1, 1, 1, 2, colour='red')\n"
        "ok.start_line = 3\n"
        "def check(image: Image, run: RuntimeRun) -> None:\n"
        "    image.no_such_field\n"
        "    len(run.ports)\n"
    )
    done = run_mypy(tmp_path, "--follow-imports=silent", "sample.py", cache=REPO / ".mypy_cache" / "test_types_sample")
    errors = [line for line in done.stdout.splitlines() if line.startswith("sample.py") and ": error:" in line]
    assert [int(e.split(":")[1]) for e in errors] == [3, 4, 6, 7], done.stdout + done.stderr
    assert 'Unexpected keyword argument "colour"' in errors[0]
    assert '"no_such_field"' in errors[2]
