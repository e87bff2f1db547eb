"""Fixtures for the runner tests: a busybox rootfs, sandbox support gating, leak detection."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pylint_image.runner.sandbox import SandboxSupport, detect
from tests.support.sandbox_leaks import leak_snapshot
from tests.support.sandbox_rootfs import make_busybox_rootfs


@pytest.fixture
def support() -> SandboxSupport:
    """This host's sandbox support; skips the test only when the sandbox cannot run at all."""
    found = detect()
    if not found.usable:
        pytest.skip("sandbox unavailable: needs root or unprivileged user namespaces")
    return found


@pytest.fixture
def rootfs(tmp_path: Path) -> Path:
    """A fresh busybox root filesystem directory."""
    return make_busybox_rootfs(tmp_path / "rootfs")


@pytest.fixture
def no_leaks(support: SandboxSupport):
    """Fail the test if it leaves a sandbox process, mount, cgroup or temp dir behind."""
    before = leak_snapshot(support)
    yield
    leaked = leak_snapshot(support) - before
    # Cgroups and temp dirs are host-wide: another pylint-image run on the same machine (a
    # developer's benchmark) can be mid-teardown right now.  A real leak stays; theirs go.
    deadline = time.monotonic() + 5
    while leaked and time.monotonic() < deadline:
        time.sleep(0.25)
        leaked &= leak_snapshot(support)
    assert leaked == set(), f"leaked: {sorted(leaked)}"
