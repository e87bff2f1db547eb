"""The forked monitor process: unshare (or join) namespaces, fork the payload, relay its exit.

Runs in the child right after ``fork``; ends in ``os._exit``. Messages go to the parent
over the sync pipe as single lines: ``unshared``, ``pid1 N``, ``exec NS``, ``error TEXT``,
``exit STATUS``.
"""

from __future__ import annotations

import os
import signal
import socket
from pathlib import Path

from . import linux, syscalls
from .cgroups import Cgroup, apply_rlimits
from .plan import Actor, Plan, StepKind
from .spec import SandboxSpec
from pylint_image.linter.model.frozen import frozen

# setns order: the user namespace first (it grants the capabilities the others need), the
# mount namespace last (after it, the host's /proc/<pid>/ns paths are out of view).
_JOIN_ORDER = ("user", "ipc", "uts", "net", "cgroup", "pid", "mnt")


@frozen
class ChildFds:
    """The pipe ends a monitor keeps: sync out, go in, and the payload's stdout/stderr."""

    sync_w: int
    go_r: int
    out_w: int
    err_w: int


def _prepare(fds: ChildFds, parent: int) -> None:
    """Detach from the tool's terminal and fds; die with the tool."""
    # A new session keeps the terminal's Ctrl-C away: the tool decides how to stop us.
    os.setsid()
    syscalls.set_pdeathsig(signal.SIGKILL)
    if os.getppid() != parent:   # the tool died before pdeathsig was armed
        os._exit(1)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)
    null = os.open("/dev/null", os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(fds.out_w, 1)
    os.dup2(fds.err_w, 2)
    keep = {0, 1, 2, fds.sync_w, fds.go_r}
    # Inherited fds of other sandboxes would keep their pipes open: close all but ours.
    for name in os.listdir("/proc/self/fd"):
        if int(name) not in keep:
            try:
                os.close(int(name))
            except OSError:
                continue


def _wait_for(go_r: int, state: bytes) -> None:
    """Block until the parent sends the named state (one line, read byte by byte)."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = os.read(go_r, 1)   # one byte: the next state's line must stay in the pipe
        if not chunk:   # the parent gave up: never run anything outside its control
            os._exit(1)
        data += chunk
    if data.strip() != state:
        os._exit(1)


def _relay(sync_w: int, pid: int) -> None:
    """Report PID 1's host pid, then its wait status, and exit."""
    linux.send(sync_w, f"pid1 {pid}")
    # Only the payload may hold the output pipes, so EOF means the container is gone.
    null = os.open("/dev/null", os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    _, status = os.waitpid(pid, 0)
    linux.send(sync_w, f"exit {status}")
    os._exit(0)


def monitor_main(plan: Plan, run_dir: Path, fds: ChildFds, parent: int) -> None:
    """Child side of ``start``: unshare, wait for go, fork PID 1 and relay its status."""
    try:
        _prepare(fds, parent)
        syscalls.unshare(plan.unshare_flags)
        linux.send(fds.sync_w, "unshared")
        if plan.user_namespace:
            _wait_for(fds.go_r, b"mapped")
        ctx = linux.PayloadContext(plan, run_dir, fds.sync_w)
        linux.run_steps(ctx, Actor.MONITOR)
        _wait_for(fds.go_r, b"go")
        os.close(fds.go_r)
        if StepKind.SET_RLIMITS in plan.kinds(Actor.MONITOR):
            apply_rlimits(plan.spec.limits)
        syscalls.unshare(syscalls.CLONE_NEWCGROUP)
        pid = os.fork()
        if pid == 0:
            syscalls.set_pdeathsig(signal.SIGKILL)
            linux.run_payload(ctx)
        _relay(fds.sync_w, pid)
    except OSError as error:
        linux.send(fds.sync_w, f"error {error.strerror or error} (errno {error.errno})")
    os._exit(127)


def _join(target: int, userns: bool, cg: Cgroup | None) -> None:
    """Enter the cgroup and namespaces of host pid ``target`` and chroot into its root."""
    # The host cgroupfs is only reachable before we join the container's mount namespace.
    if cg is not None:
        cg.add(os.getpid())
    ns_fds = [(n, os.open(f"/proc/{target}/ns/{n}", os.O_RDONLY))
              for n in _JOIN_ORDER if n != "user" or userns]
    root_fd = os.open(f"/proc/{target}/root", os.O_RDONLY | os.O_DIRECTORY)
    for _name, fd in ns_fds:
        syscalls.setns(fd)
        os.close(fd)
    os.fchdir(root_fd)
    os.chroot(".")
    os.close(root_fd)


def exec_monitor_main(target: int, spec: SandboxSpec, userns: bool, cg: Cgroup | None,
                      fds: ChildFds, parent: int) -> None:
    """Child side of ``exec_in``: join a running sandbox, fork the command and relay it."""
    try:
        _prepare(fds, parent)
        _join(target, userns, cg)
        pid = os.fork()   # setns(pid) applies to children only
        if pid == 0:
            _exec_joined(spec, userns, fds.sync_w)
        _relay(fds.sync_w, pid)
    except OSError as error:
        linux.send(fds.sync_w, f"error join: {error}")
    os._exit(127)


def _exec_joined(spec: SandboxSpec, userns: bool, sync_w: int) -> None:
    """Drop privileges like the container's PID 1 did, then exec the command."""
    syscalls.set_pdeathsig(signal.SIGKILL)
    try:
        linux.drop_caps()
        linux.set_user(spec, userns)
        syscalls.set_no_new_privs()
        os.chdir(spec.cwd)
        linux.exec_payload(spec, sync_w, linux.environment(spec))
    except OSError as error:
        linux.send(sync_w, f"error exec setup: {error}")
    os._exit(127)


def probe_tcp_main(target: int, userns: bool, host: str, port: int, timeout: float) -> None:
    """Child side of ``connect_tcp``: enter the sandbox's netns and try one connection."""
    try:
        syscalls.set_pdeathsig(signal.SIGKILL)
        names = ("user", "net") if userns else ("net",)
        for name in names:
            fd = os.open(f"/proc/{target}/ns/{name}", os.O_RDONLY)
            syscalls.setns(fd)
            os.close(fd)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect((host, port))
        os._exit(0)
    except OSError:
        os._exit(1)
