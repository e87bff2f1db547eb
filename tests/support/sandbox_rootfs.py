"""Build a minimal busybox root filesystem directory for sandbox tests (no Docker needed)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

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
