"""Shared pytest configuration: repository paths and the corpus location."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # lets tests import tests.support.*

from tests.support.registry import registry_host  # noqa: E402,F401  (a session fixture: one registry for every test)


def shared_dir() -> Path | None:
    """The team's ../shared folder (data, corpus, schemas), if present."""
    for candidate in (REPO.parent / "shared", Path("/work/shared")):
        if candidate.is_dir():
            return candidate
    return None


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(autouse=True)
def _no_hadolint_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's HADOLINT_* variables (read when no config of ours applies) do not reach the tests.

    Tests that exercise them set them themselves.
    """
    for name in [n for n in os.environ if n.startswith("HADOLINT_")]:
        monkeypatch.delenv(name)
