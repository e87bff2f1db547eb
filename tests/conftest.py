"""Shared pytest configuration: repository paths and the corpus location."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # lets tests import tests.support.*


def shared_dir() -> Path | None:
    """The team's ../shared folder (data, corpus, schemas), if present."""
    for candidate in (REPO.parent / "shared", Path("/work/shared")):
        if candidate.is_dir():
            return candidate
    return None


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO
