"""``docker exec`` for the probes: run a command in a running container with a hard deadline.

As Docker's containerd shim does, a small reaper process (a child subreaper) starts the
command with ``runc exec --detach``, adopts it when the runtime returns, and reports its real
exit status as soon as it exits. Output is read from the command's own stdio; after the exit
verify reads on for at most 2 s (Docker's wait for exec streams), so a background child that
keeps stdout open changes nothing. At the timeout the command's tree and the reaper are killed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
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
DRAIN = 2.0           # seconds of output read after the exit: moby waits as long for exec streams
_MAX_TREE = 100_000   # bound on the walk (the pids limit bounds it long before)
# The reaper: PR_SET_CHILD_SUBREAPER (36), run the runtime's detached exec, then wait for the
# adopted command and write "exit N" (or "runtime N" when the exec never started) to fd argv[1].
_REAPER = r"""
import ctypes, os, subprocess, sys
ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)
fd, pid_file, argv = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
code = subprocess.run(argv, stdin=subprocess.DEVNULL).returncode
if code != 0:
    os.write(fd, b"runtime %d\n" % code)
    sys.exit(0)
pid = int(open(pid_file).read())
try:
    while True:
        done, status = os.wait()
        if done == pid:
            os.write(fd, b"exit %d\n" % os.waitstatus_to_exitcode(status))
            break
except ChildProcessError:
    os.write(fd, b"lost\n")
"""


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
    found: list[int] = []
    queue = [pid]
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
    process_file.write_text(json.dumps(process))
    (out_r, out_w), (err_r, err_w), (status_r, status_w) = os.pipe(), os.pipe(), os.pipe()
    capture = Capture(out_r, err_r, box.spec.capture_bytes)
    runtime_argv = box.runtime.exec_argv(box.id, process_file, pid_file)
    started = time.monotonic_ns()
    try:
        reaper = subprocess.Popen([sys.executable, "-S", "-c", _REAPER, str(status_w), str(pid_file),
                                   *runtime_argv], stdin=subprocess.DEVNULL, stdout=out_w, stderr=err_w,
                                  pass_fds=(status_w,), start_new_session=True)
    except OSError as exc:
        capture.finish(0)
        os.close(status_r)
        raise SandboxError(f"cannot start the exec reaper: {exc.strerror or exc}") from exc
    finally:
        for fd in (out_w, err_w, status_w):
            os.close(fd)
    timed_out = False
    try:
        reaper.wait(timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_exec(reaper, pid_file)
    status = _read_status(status_r)
    capture.finish(0 if timed_out else DRAIN)
    for path in (pid_file, process_file):
        path.unlink(missing_ok=True)
    exit_code, sig, setup_error = _outcome(status, timed_out, bytes(capture.err))
    return SandboxResult(
        exit_code=exit_code, signal=sig, stdout=bytes(capture.out), stderr=bytes(capture.err),
        duration=(time.monotonic_ns() - started) / 1e9, start_overhead=None, usage=box.stats(), timed_out=timed_out, setup_error=setup_error,
        truncated=capture.truncated, notes=box.notes)


def _outcome(status: str, timed_out: bool, stderr: bytes) -> tuple[int | None, int | None, str | None]:
    """(exit code, signal, setup error) from the reaper's status line."""
    if timed_out:
        return None, signal.SIGKILL, None
    kind, _, number = status.partition(" ")
    if kind != "exit" or not number.lstrip("-").isdigit():
        # The runtime refused the exec (e.g. no such file), or the reaper lost the command.
        return 127, None, last_line(stderr) or f"exec failed ({status or 'no status'})"
    code = int(number)
    return (None, -code, None) if code < 0 else (code, None, None)


def _read_status(fd: int) -> str:
    """The reaper's one status line ('' when it died without writing one)."""
    try:
        return os.read(fd, 64).decode(errors="replace").strip()
    finally:
        os.close(fd)


def _kill_exec(proc: subprocess.Popen[bytes], pid_file: Path) -> None:
    """Kill the exec'd command's tree, then the reaper (which then reports nothing)."""
    try:
        pid = int(pid_file.read_text().strip() or 0)
    except (OSError, ValueError):
        pid = 0
    if pid:
        kill_tree(pid)
    proc.kill()
    proc.wait(EXIT_TIMEOUT)
