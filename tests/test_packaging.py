"""Packaging: every package folder is listed for the wheel, under the pylint_image namespace."""

from __future__ import annotations

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


@pytest.mark.slow
def test_wheel_contains_every_subpackage_and_no_generic_top_level(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path), str(REPO)], check=True, capture_output=True, timeout=300)
    wheel = next(tmp_path.glob("pylint_image-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for package in _package_dirs():
        assert package.replace(".", "/") + "/__init__.py" in names, package
    tops = {n.split("/")[0] for n in names}
    assert not tops & {"linter", "rules", "runner", "tests"}, tops
    assert "pylint_image/rules/_shared/official_images.txt" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "pylint_image.rules:DOCKERFILE_RULES" in text and "pylint_image.rules:IMAGE_RULES" in text
    assert "pylint-image = pylint_image.linter.cli:main" in text
