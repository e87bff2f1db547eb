"""Look into a running container from outside: a TCP connect made inside its network namespace.

Python 3.11 has no ``os.setns``; this is the one place the sandbox calls libc directly, and
only in a forked child that exits right after, so the tool itself never changes namespace.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import time

_libc = ctypes.CDLL(None, use_errno=True)
_GRACE = 2.0   # seconds beyond the connect timeout before the child is killed


def _setns(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        if _libc.setns(fd, 0) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns {path}: {os.strerror(err)}")
    finally:
        os.close(fd)


def _child(pid: int, userns: bool, host: str, port: int, timeout: float) -> None:
    code = 1
    try:
        # The user namespace first: it owns the network namespace in rootless mode.
        for name in (("user", "net") if userns else ("net",)):
            _setns(f"/proc/{pid}/ns/{name}")
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect((host, port))
        code = 0
    except OSError:
        code = 1
    finally:
        os._exit(code)


def connect_tcp(pid: int, userns: bool, host: str, port: int, timeout: float) -> bool:
    """True when ``host:port`` accepts a TCP connection from inside ``pid``'s network namespace."""
    child = os.fork()
    if child == 0:
        _child(pid, userns, host, port, timeout)
    deadline = time.monotonic() + timeout + _GRACE
    while True:
        done, status = os.waitpid(child, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status) == 0
        if time.monotonic() > deadline:
            os.kill(child, signal.SIGKILL)
            os.waitpid(child, 0)
            return False
        time.sleep(0.001)
