"""The only module that builds OCI runtime (runc or crun) commands: run, exec, kill, delete, list.

Every call has a deadline. Containers live in a state directory of our own (``--root``), so
that ``runc list`` there shows only pylint-image's containers and a leftover is easy to find.
"""

from __future__ import annotations

import logging
import os
import subprocess
from pathlib import Path
from typing import IO

from pylint_image.linter.errors import SandboxError

from .support import RuntimeInfo

LOG = logging.getLogger(__name__)
CALL_TIMEOUT = 10.0   # seconds for state, kill and delete: they never wait for the container


def state_root() -> Path:
    """Our runtime state directory: /run/pylint-image as root, else under XDG_RUNTIME_DIR."""
    if os.geteuid() == 0:
        return Path("/run/pylint-image")
    base = os.environ.get("XDG_RUNTIME_DIR") or f"/tmp/pylint-image-{os.geteuid()}"
    return Path(base) / "pylint-image"


class Runtime:
    """One OCI runtime binary with its state directory."""

    def __init__(self, info: RuntimeInfo, root: Path | None = None) -> None:
        self.info = info
        self.root = (root or state_root()) / info.name
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)

    def _argv(self, *args: str) -> list[str]:
        return [self.info.path, "--root", str(self.root), *args]

    def _call(self, *args: str, timeout: float = CALL_TIMEOUT) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(self._argv(*args), capture_output=True, text=True, timeout=timeout,
                                  check=False, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as exc:
            raise SandboxError(f"{self.info.name} {args[0]} did not answer within {timeout:g} s") from exc
        except OSError as exc:
            raise SandboxError(f"cannot run {self.info.path}: {exc.strerror or exc}") from exc

    def run(self, bundle: Path, container_id: str, pid_file: Path,
            stdout: IO[bytes] | int, stderr: IO[bytes] | int) -> subprocess.Popen[bytes]:
        """Create and start the container in the foreground: the Popen exits with the container.

        ``run`` (not ``create`` + ``start``) keeps the runtime as the parent that reaps PID 1
        and reports its status, which a detached container would hand to whoever adopts it.
        """
        # --keep: the stopped container (and its cgroup's counters) stays until ``delete``;
        # crun has no such option, so with crun the counters are gone after an exit.
        keep = ["--keep"] if self.info.name == "runc" else []
        return self._popen(["run", *keep, "--bundle", str(bundle), "--pid-file", str(pid_file),
                            container_id], stdout, stderr)

    def exec_argv(self, container_id: str, process_file: Path, pid_file: Path) -> list[str]:
        """The command that starts the OCI process in ``process_file`` detached in the container.

        Detached, the runtime hands the command the caller's stdio and returns at once; the
        caller (a child subreaper) adopts the command and waits for it, as containerd's shim does.
        """
        return self._argv("exec", "--detach", "--process", str(process_file), "--pid-file", str(pid_file),
                          container_id)

    def _popen(self, args: list[str], stdout: IO[bytes] | int,
               stderr: IO[bytes] | int) -> subprocess.Popen[bytes]:
        try:
            # A session of its own: the terminal's Ctrl-C reaches the tool, which then tears
            # the container down in order, instead of reaching the runtime half-way.
            return subprocess.Popen(self._argv(*args), stdin=subprocess.DEVNULL, stdout=stdout,
                                    stderr=stderr, start_new_session=True)
        except OSError as exc:
            raise SandboxError(f"cannot run {self.info.path}: {exc.strerror or exc}") from exc

    def kill(self, container_id: str, sig: int, all_processes: bool = False) -> bool:
        """Send ``sig`` to PID 1 (or every process); False when the container is not running."""
        args = ["kill", *(["--all"] if all_processes else []), container_id, str(sig)]
        return self._call(*args).returncode == 0

    def delete(self, container_id: str) -> str | None:
        """Kill and remove the container (idempotent); the runtime's complaint, or None."""
        done = self._call("delete", "--force", container_id)
        if done.returncode == 0 or "not exist" in done.stderr:
            return None
        return last_line(done.stderr)

    def list_ids(self) -> list[str]:
        """The ids of the containers in our state directory."""
        done = self._call("list", "--quiet")
        return done.stdout.split() if done.returncode == 0 else []


def last_line(text: str | bytes) -> str:
    """The runtime's own error line, without logrus's time= and level= decoration."""
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    line = next((l for l in reversed(text.strip().splitlines()) if l.strip()), "")
    if 'msg="' in line:
        line = line.split('msg="', 1)[1].rsplit('"', 1)[0].replace('\\"', '"')
    return line.strip()
