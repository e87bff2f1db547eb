"""Fixtures for the runner tests: a busybox rootfs, sandbox support gating, leak detection."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from pylint_image.runner.sandbox import SandboxSupport, detect
from tests.support.sandbox_leaks import leak_snapshot

BUSYBOX = Path("/bin/busybox")
APPLETS = ("sh", "echo", "id", "hostname", "ps", "cat", "ls", "sleep", "httpd", "dd", "true",
           "false", "kill", "head", "wc", "env", "pwd", "touch", "mkdir", "nc")


def make_busybox_rootfs(root: Path) -> Path:
    """Create a minimal rootfs: static busybox, applet symlinks, passwd/group, /tmp."""
    if not BUSYBOX.exists():
        pytest.skip("needs a static /bin/busybox")
    (root / "bin").mkdir(parents=True)
    shutil.copy2(BUSYBOX, root / "bin" / "busybox")
    for applet in APPLETS:
        (root / "bin" / applet).symlink_to("busybox")
    (root / "etc").mkdir()
    (root / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n"
                                         "app:x:1000:1000:app:/home/app:/bin/sh\n")
    (root / "etc" / "group").write_text("root:x:0:\napp:x:1000:\n")
    (root / "home" / "app").mkdir(parents=True)
    if os.geteuid() == 0:
        os.chown(root / "home" / "app", 1000, 1000)
    return root


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
    after = leak_snapshot(support)
    assert after - before == set(), f"leaked: {sorted(after - before)}"
