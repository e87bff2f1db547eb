"""Run a command with its stderr on a pseudo-terminal (where progress bars are drawn)."""

from __future__ import annotations

import os
import select
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

# No output on either stream for this long fails the test instead of hanging it.
QUIET_LIMIT = 60.0


def run_on_a_pty(cmd: Sequence[str], cwd: Path, env: Mapping[str, str]) -> tuple[bytes, bytes, int]:
    """Run ``cmd`` with stdout on a pipe and stderr on a pty: (stdout, what the terminal got, exit code).

    Both are read as they come (a child that fills its stdout pipe cannot stall), each wait
    has a deadline, and the child is killed and reaped on any failure.
    """
    import pty  # noqa: PLC0415 - POSIX only, like the tests that use it

    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(list(cmd), cwd=cwd, stdout=subprocess.PIPE, stderr=slave, env=dict(env))
    finally:
        os.close(slave)
    assert proc.stdout is not None
    out_fd = proc.stdout.fileno()
    streams = {master: bytearray(), out_fd: bytearray()}
    open_fds = [master, out_fd]
    try:
        while open_fds:
            ready, _, _ = select.select(open_fds, [], [], QUIET_LIMIT)
            if not ready:
                raise AssertionError(f"no output for {QUIET_LIMIT:.0f} s; the terminal got: "
                                     f"{bytes(streams[master][-500:])!r}")
            for fd in ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:   # EIO: the child closed its end of the pty
                    chunk = b""
                if chunk:
                    streams[fd] += chunk
                else:
                    open_fds.remove(fd)
        return bytes(streams[out_fd]), bytes(streams[master]), proc.wait(timeout=QUIET_LIMIT)
    finally:
        os.close(master)
        proc.stdout.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
