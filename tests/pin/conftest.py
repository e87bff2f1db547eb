"""Fixtures of the ``pin`` tests: a fake resolver and a registry that wants Basic credentials.

The plain registry (``registry_host``) and the pusher are the suite's, in tests/support/registry.py:
images are made there, not pulled (no internet): a config and one small gzip layer per image,
pushed with the Registry API, so a test controls each tag's digest, can push a multi-platform
index, and can move a tag between two runs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest

from pylint_image.linter.reference import Reference
from tests.support.registry import Pusher, free_port, start_registry, stop_registry

__all__ = ["AUTH_PASSWORD", "AUTH_USER", "FakeResolver", "Pusher", "auth_registry", "fake_digest", "free_port"]


class FakeResolver:
    """A digest per ``name:tag`` (sha256 of it, or what ``table`` says); records what it was asked."""

    def __init__(self, table: dict[str, str] | None = None, errors: dict[str, tuple[str, int]] | None = None):
        self.table = table or {}
        self.errors = errors or {}
        self.asked: list[str] = []

    def digest(self, ref: Reference) -> str:
        from pylint_image.runner.pin import PinError

        key = f"{ref.familiar_name}:{ref.tag or 'latest'}"
        self.asked.append(key)
        if key in self.errors:
            raise PinError(*self.errors[key])
        return self.table.get(key) or fake_digest(key)


def fake_digest(key: str) -> str:
    """The digest FakeResolver gives ``familiar-name:tag``."""
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


# --- registries ---------------------------------------------------------------------------------------------
# ``registry_host`` (CI's registry, or one started for the session) is tests/support/registry.py's, which
# tests/conftest.py offers to every test.

AUTH_USER, AUTH_PASSWORD = "pinner", "s3cret-pass"


@pytest.fixture(scope="session")
def auth_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``HOST:PORT`` of a registry that wants Basic credentials (htpasswd, bcrypt): AUTH_USER/AUTH_PASSWORD."""
    bcrypt = pytest.importorskip("bcrypt", reason="bcrypt is in the test extra (htpasswd for the registry)")
    root = tmp_path_factory.mktemp("pin-auth-registry")
    hashed = bcrypt.hashpw(AUTH_PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    (root / "htpasswd").write_text(f"{AUTH_USER}:{hashed}\n")
    proc, host = start_registry(root, f"auth:\n  htpasswd:\n    realm: pin-test\n    path: {root / 'htpasswd'}\n")
    try:
        yield host
    finally:
        stop_registry(proc)
