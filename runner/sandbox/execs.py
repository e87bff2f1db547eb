"""``docker exec`` for the probes: run a command in a running container with a hard deadline.

Like ``docker exec``, the runtime waits until the command's output pipes close, so a command
that leaves a background child holding them runs until its timeout, as a Docker HEALTHCHECK
would. At the deadline the command's tree and the runtime's exec are killed at once: nothing
the image does can make verify wait longer than the timeout.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pylint_image.linter.errors import SandboxError

from .capture import Capture
from .runtime import last_line
from .spec import SandboxResult

if TYPE_CHECKING:
    from .container import RunningSandbox

EXIT_TIMEOUT = 10.0
DRAIN = 0.2           # seconds to keep reading once the command exited (its children may hold the pipe)
_MAX_TREE = 100_000   # bound on the walk (the pids limit bounds it long before)


def descendants(pid: int) -> list[int]:
    """``pid`` and every live process below it, parents first (read from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                fields = handle.read(4096).rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, queue = [], [pid]
    while queue and len(found) < _MAX_TREE:
        current = queue.pop(0)
        found.append(current)
        queue.extend(children.get(current, ()))
    return found


def kill_tree(pid: int) -> None:
    """SIGKILL ``pid`` and its descendants."""
    for victim in descendants(pid):
        try:
            os.kill(victim, signal.SIGKILL)
        except ProcessLookupError:
            continue


def run_exec(box: RunningSandbox, process: dict[str, Any], timeout: float) -> SandboxResult:
    """Run the OCI ``process`` in ``box``; kill it and its children after ``timeout`` seconds."""
    token = uuid.uuid4().hex[:12]
    pid_file, process_file = box.run_dir / f"exec-{token}.pid", box.run_dir / f"exec-{token}.json"
    (out_r, out_w), (err_r, err_w) = os.pipe(), os.pipe()
    capture = Capture(out_r, err_r, box.spec.capture_bytes)
    started = time.monotonic_ns()
    try:
        proc = box.runtime.exec(box.id, process, process_file, pid_file, out_w, err_w)
    except SandboxError:
        capture.finish(0)
        raise
    finally:
        os.close(out_w)
        os.close(err_w)
    timed_out = False
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_exec(proc, pid_file)
    capture.finish(DRAIN)
    code = proc.returncode
    setup_error = None
    if not pid_file.exists() and not timed_out and code:
        setup_error = last_line(bytes(capture.err)) or f"exec failed with status {code}"
    for path in (pid_file, process_file):
        path.unlink(missing_ok=True)
    # The runtime reports a signal death as 128 + N; a killed runtime client shows as -N.
    exit_code, sig = (None, -code) if code is not None and code < 0 else \
        (code, None) if code is None or code <= 128 else (None, code - 128)
    return SandboxResult(
        exit_code=127 if setup_error else exit_code, signal=sig, stdout=bytes(capture.out),
        stderr=bytes(capture.err), duration=(time.monotonic_ns() - started) / 1e9,
        start_overhead=None, usage=box.stats(), timed_out=timed_out, setup_error=setup_error,
        truncated=capture.truncated, notes=box.notes)


def _kill_exec(proc: subprocess.Popen[bytes], pid_file: Path) -> None:
    """Kill the exec'd command's tree and the runtime's exec (our client process) right away."""
    try:
        pid = int(pid_file.read_text().strip() or 0)
    except (OSError, ValueError):
        pid = 0
    if pid:
        kill_tree(pid)
    proc.kill()
    proc.wait(EXIT_TIMEOUT)
