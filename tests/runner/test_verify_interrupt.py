"""SIGTERM or Ctrl-C in the middle of ``pylint-image verify`` leaves nothing behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.sandbox_leaks import leak_snapshot
from tests.support.verify_images import build_verify_images

pytestmark = [pytest.mark.docker, pytest.mark.sandbox]


def _sandbox_pids() -> set[int]:
    """Host pids whose command line is the test image's entrypoint (tserve)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if b"tserve\0tcp" in (entry / "cmdline").read_bytes():
                    found.add(int(entry.name))
            except OSError:
                continue
    return found


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_interrupted_verify_leaves_nothing(sig, support, tmp_path):
    images = build_verify_images()
    before = leak_snapshot(support, os.getpid())
    private_tmp = tmp_path / "tmp"   # the child's TMPDIR: other sessions share /tmp
    private_tmp.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "pylint_image.linter.cli", "verify", "--image",
                             f"docker-daemon:{images['no-handler']}", "--grace", "30",
                             "--cache-dir", str(tmp_path / "cache")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "TMPDIR": str(private_tmp)})
    deadline = time.monotonic() + 20
    while not _sandbox_pids() and time.monotonic() < deadline:   # wait until the stop probe waits
        time.sleep(0.05)
    assert _sandbox_pids(), "the entrypoint never started"
    time.sleep(0.5)
    proc.send_signal(sig)
    proc.wait(timeout=20)
    assert proc.returncode != 0
    time.sleep(0.2)
    assert _sandbox_pids() == set()
    leaked = {item for item in leak_snapshot(support, os.getpid()) - before if not item.startswith("tempdir")}
    assert leaked == set()
    assert list(private_tmp.iterdir()) == []   # sandbox run dir, saved archive, copied rootfs
