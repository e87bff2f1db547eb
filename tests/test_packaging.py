"""Packaging: every package folder is listed for the wheel, under the pylint_image namespace."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TOP = {"linter": "pylint_image.linter", "rules": "pylint_image.rules", "runner": "pylint_image.runner"}


def _package_dirs() -> set[str]:
    found = set()
    for folder, dotted in TOP.items():
        for init in (REPO / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(REPO / folder)
            found.add(".".join([dotted, *rel.parts]) if rel.parts else dotted)
    return found


def test_pyproject_lists_every_package() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert set(config["packages"]) == _package_dirs()
    assert config["package-dir"] == {v: k for k, v in TOP.items()}


def _source_copy(dest: Path) -> Path:
    """What a fresh checkout would build from: no build/ or egg-info left over from earlier builds.

    (setuptools reuses build/lib, so a wheel built in place keeps modules renamed since.)
    """
    junk = shutil.ignore_patterns("__pycache__", "*.pyc", "build", "dist", "*.egg-info")
    for folder in TOP:
        shutil.copytree(REPO / folder, dest / folder, ignore=junk)
    for name in ("pyproject.toml", "README.md", "py.typed"):
        shutil.copy2(REPO / name, dest / name)
    return dest


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    source = _source_copy(tmp_path_factory.mktemp("source"))
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                           "-w", str(out), str(source)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return next(out.glob("pylint_image-*.whl"))


@pytest.mark.slow
def test_wheel_contains_every_subpackage_and_no_generic_top_level(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    for package in _package_dirs():
        assert package.replace(".", "/") + "/__init__.py" in names, package
    tops = {n.split("/")[0] for n in names}
    assert not tops & {"linter", "rules", "runner", "tests"}, tops
    assert "pylint_image/linter/official_images.txt" in names
    modules = {n for n in names if n.startswith("pylint_image/") and n.endswith(".py")}
    sources = {"pylint_image/" + p.relative_to(REPO).as_posix()
               for folder in TOP for p in (REPO / folder).rglob("*.py")}
    assert modules == sources
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "pylint_image.rules:DOCKERFILE_RULES" in text and "pylint_image.rules:IMAGE_RULES" in text
    assert "pylint-image = pylint_image.linter.cli:main" in text


@pytest.mark.slow
def test_wheel_ships_pep561_markers(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for marker in ("pylint_image/py.typed", *(f"pylint_image/{folder}/py.typed" for folder in TOP)):
        assert marker in names, marker
    assert not any(n.endswith("__init__.py") and n.count("/") == 1 for n in names), "pylint_image is a namespace"


PLUGIN = """\
from collections.abc import Iterator

from pylint_image.linter import Context, Image, RuleMeta, Severity, Target, Violation, rule


def check(image: Image, ctx: Context) -> Iterator[Violation]:
    for layer in image.layers:
        yield layer.size
    yield Violation(None, "a message")


RULE = rule(meta=RuleMeta(code="XX1", name="x", severity=Severity.WARNING, target=Target.IMAGE, summary="s",
                          colour="red"), check=check)
"""


@pytest.mark.slow
def test_installed_copy_type_checks_and_types_plugins(wheel: Path, tmp_path: Path) -> None:
    """``mypy -p pylint_image`` passes on an installed copy, and a plugin is checked against its types."""
    pytest.importorskip("mypy", reason="mypy is in the test extra")
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
                   check=True, capture_output=True, timeout=300)
    work = tmp_path / "work"
    work.mkdir()
    (work / "plugin.py").write_text(PLUGIN)
    # mypy treats PYTHONPATH entries like site-packages: a package there needs py.typed.
    env = {**os.environ, "PYTHONPATH": str(site)}
    mypy = [sys.executable, "-m", "mypy", "--no-incremental", "--cache-dir", os.devnull,
            "--config-file", str(REPO / "pyproject.toml"), "--no-error-summary"]
    done = subprocess.run([*mypy, "-p", "pylint_image"], cwd=work, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr
    done = subprocess.run([*mypy, "plugin.py"], cwd=work, env=env, capture_output=True, text=True, timeout=600)
    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    assert [int(e.split(":")[1]) for e in errors] == [8, 9, 12], done.stdout + done.stderr
    assert '"int"' in errors[0] and '"Violation"' in errors[0]
    assert '"colour"' in errors[2]
