"""Compare output with a golden file, or rewrite it when PYLINT_IMAGE_UPDATE_GOLDEN=1."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "golden"
UPDATE_ENV = "PYLINT_IMAGE_UPDATE_GOLDEN"


def updating() -> bool:
    """True when golden files should be rewritten instead of compared."""
    return os.environ.get(UPDATE_ENV) == "1"


def assert_golden(relpath: str, actual: str) -> None:
    """Assert ``actual`` equals ``tests/golden/<relpath>``; rewrite it instead when updating."""
    path = GOLDEN_DIR / relpath
    if updating():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="")
        return
    if not path.exists():
        raise AssertionError(f"golden file {path} is missing; run with {UPDATE_ENV}=1 to create it")
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(difflib.unified_diff(
            expected.splitlines(keepends=True), actual.splitlines(keepends=True),
            fromfile=f"golden/{relpath}", tofile="actual",
        ))
        raise AssertionError(f"output differs from golden/{relpath} (rewrite with {UPDATE_ENV}=1):\n{diff}")
