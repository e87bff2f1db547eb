"""Parent side of the sandbox: fork, the named-state sync protocol, output capture, teardown."""

from __future__ import annotations

import dataclasses
import os
import selectors
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path

from pylint_image.linter.errors import SandboxError

from . import cleanup, monitor
from .cgroups import Cgroup, create_cgroup
from .net import ListeningSocket, listening_sockets
from .plan import Actor, Plan, StepKind, build_plan
from .spec import OverlayRoot, ResourceUsage, SandboxResult, SandboxSpec
from .support import SandboxSupport, detect

_SETUP_TIMEOUT = 10.0   # seconds the child may take to unshare or to reach exec


class _Pump:
    """Reads stdout, stderr and the sync pipe of one monitor into bounded tails and events."""

    def __init__(self, monitor_pid: int, sync_r: int, out_r: int, err_r: int, cap: int) -> None:
        self.monitor_pid, self.cap = monitor_pid, cap
        self.out, self.err, self.truncated = bytearray(), bytearray(), False
        self.messages: dict[str, str] = {}
        self.changed = threading.Condition()
        self.done = threading.Event()
        self.monitor_status: int | None = None
        self._fds = {sync_r: bytearray(), out_r: self.out, err_r: self.err}
        self._sync_r, self._line = sync_r, b""

    def run(self) -> None:
        """Pump until every pipe is closed, then reap the monitor."""
        with selectors.DefaultSelector() as sel:
            for fd in self._fds:
                sel.register(fd, selectors.EVENT_READ)
            while sel.get_map():
                for key, _ in sel.select():
                    data = os.read(key.fd, 65536)
                    if not data:
                        sel.unregister(key.fd)
                        os.close(key.fd)
                    elif key.fd == self._sync_r:
                        self._parse(data)
                    else:
                        self._keep(self._fds[key.fd], data)
        _, self.monitor_status = os.waitpid(self.monitor_pid, 0)
        with self.changed:
            self.done.set()
            self.changed.notify_all()

    def _keep(self, buf: bytearray, data: bytes) -> None:
        buf += data
        if len(buf) > self.cap:
            del buf[:len(buf) - self.cap]
            self.truncated = True

    def _parse(self, data: bytes) -> None:
        self._line += data
        *lines, self._line = self._line.split(b"\n")
        with self.changed:
            for line in lines:
                name, _, value = line.decode(errors="replace").partition(" ")
                # The first error is the cause; later ones are consequences.
                if name != "error" or name not in self.messages:
                    self.messages[name] = value
            self.changed.notify_all()

    def wait_for(self, names: tuple[str, ...], timeout: float | None) -> str | None:
        """Wait until one of ``names`` arrived (or the pump ended); return the first seen."""
        with self.changed:
            self.changed.wait_for(lambda: self.done.is_set()
                                  or any(n in self.messages for n in names), timeout)
            return next((n for n in names if n in self.messages), None)


def _spawn(target, out_cap: int) -> tuple[int, _Pump, int]:
    """Fork a monitor running ``target(fds, parent_pid)``; return its pid, pump and go fd."""
    sync_r, sync_w = os.pipe()
    go_r, go_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        try:
            target(monitor.ChildFds(sync_w, go_r, out_w, err_w), parent)
        finally:
            os._exit(127)
    for fd in (sync_w, go_r, out_w, err_w):
        os.close(fd)
    pump = _Pump(pid, sync_r, out_r, err_r, out_cap)
    threading.Thread(target=pump.run, name=f"sandbox-pump-{pid}", daemon=True).start()
    return pid, pump, go_w


def _result(pump: _Pump, started: int, usage: ResourceUsage, timed_out: bool,
            notes: tuple[str, ...]) -> SandboxResult:
    """Turn the pump's messages and statuses into a SandboxResult."""
    raw = pump.messages.get("exit")
    status = int(raw) if raw is not None else pump.monitor_status
    code = os.waitstatus_to_exitcode(status) if status is not None else None
    exec_ns = pump.messages.get("exec")
    error = pump.messages.get("error")
    return SandboxResult(
        exit_code=code if code is not None and code >= 0 else None,
        signal=-code if code is not None and code < 0 else None,
        stdout=bytes(pump.out), stderr=bytes(pump.err),
        duration=(time.monotonic_ns() - started) / 1e9,
        start_overhead=(int(exec_ns) - started) / 1e9 if exec_ns and not error else None,
        usage=usage, timed_out=timed_out, setup_error=error,
        truncated=pump.truncated, notes=notes)


def _write_etc(run_dir: Path, hostname: str) -> None:
    etc = run_dir / "etc"
    etc.mkdir()
    (etc / "hosts").write_text(f"127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost "
                               f"ip6-loopback\n127.0.1.1\t{hostname}\n")
    (etc / "resolv.conf").write_text("# pylint-image sandbox: no network beyond loopback\n")
    (etc / "hostname").write_text(hostname + "\n")


def _write_idmaps(pid: int) -> None:
    """Map container root to the caller (setgroups must be denied before gid_map)."""
    Path(f"/proc/{pid}/setgroups").write_text("deny")
    Path(f"/proc/{pid}/uid_map").write_text(f"0 {os.geteuid()} 1")
    Path(f"/proc/{pid}/gid_map").write_text(f"0 {os.getegid()} 1")


class RunningSandbox:
    """A started sandbox: its PID 1 runs until it exits, is signalled, or ``close`` is called."""

    def __init__(self, plan: Plan, support: SandboxSupport) -> None:
        self.plan, self.support = plan, support
        self.run_dir = Path(tempfile.mkdtemp(prefix="pylint-image-sandbox-"))
        self.cgroup: Cgroup | None = None
        self.pid = 0              # host pid of the container's PID 1
        self._monitor_pid = 0
        self._pump: _Pump | None = None
        self._started = 0
        self._timed_out = False
        self._result: SandboxResult | None = None
        self._closing = threading.Lock()

    def _launch(self) -> None:
        """Run the parent's steps in plan order, with the monitor doing its part."""
        spec = self.plan.spec
        for name in ("root", "upper", "work"):
            (self.run_dir / name).mkdir()
        _write_etc(self.run_dir, spec.hostname)
        if StepKind.CREATE_CGROUP in self.plan.kinds(Actor.PARENT):
            self.cgroup = create_cgroup(self.support.cgroup, spec.limits)
        self._started = time.monotonic_ns()
        self._monitor_pid, self._pump, go_w = _spawn(
            lambda fds, parent: monitor.monitor_main(self.plan, self.run_dir, fds, parent),
            spec.capture_bytes)
        try:
            # Maps and cgroup are written by us while the child blocks on "go", so nothing
            # it runs is ever unmapped or outside the limits.  The cgroup move goes first, while
            # the child unshares: on cgroup v1 each move waits for an RCU grace period
            # (milliseconds per hierarchy), which would otherwise be on the start-up path.
            if self.cgroup is not None:
                try:
                    self.cgroup.add(self._monitor_pid)
                except OSError as error:   # e.g. the child already died: say so, no traceback
                    raise SandboxError(f"cannot move the sandbox into its cgroup: {error}") from error
            if self._pump.wait_for(("unshared", "error"), _SETUP_TIMEOUT) != "unshared":
                raise SandboxError(f"sandbox child failed to unshare: "
                                   f"{self._pump.messages.get('error', 'timeout')}")
            if self.plan.user_namespace:
                _write_idmaps(self._monitor_pid)
                os.write(go_w, b"mapped\n")
            os.write(go_w, b"go\n")
        finally:
            os.close(go_w)
        self._pump.wait_for(("exec", "error", "exit"), _SETUP_TIMEOUT)
        self.pid = int(self._pump.messages.get("pid1", "0"))

    def poll(self) -> SandboxResult | None:
        """The result once PID 1 has exited (the sandbox is then torn down), else None."""
        if self._result is None and self._pump is not None and self._pump.done.is_set():
            return self.close()
        return self._result

    def wait(self, timeout: float | None = None) -> SandboxResult | None:
        """Wait up to ``timeout`` seconds for PID 1 to exit; None if it still runs."""
        assert self._pump is not None
        if not self._pump.done.wait(timeout):
            return None
        return self.close()

    def send_signal(self, sig: int) -> None:
        """Send ``sig`` to the container's PID 1 (which ignores it unless it has a handler)."""
        if self.pid and not self._pump.done.is_set():
            os.kill(self.pid, sig)

    def stats(self) -> ResourceUsage:
        """Current resource usage (cgroup accounting, or nothing under the rlimit fallback)."""
        if self.cgroup is None:
            return ResourceUsage(enforced_by="rlimit")
        return self.cgroup.usage()

    def listening_sockets(self) -> tuple[ListeningSocket, ...]:
        """Sockets listening inside the container's network namespace."""
        return listening_sockets(Path(f"/proc/{self.pid}/net"))

    def connect_tcp(self, port: int, host: str = "127.0.0.1", timeout: float = 1.0) -> bool:
        """True when a TCP connect to ``host:port`` succeeds from inside the container's netns."""
        pid = os.fork()
        if pid == 0:
            try:
                monitor.probe_tcp_main(self.pid, self.plan.user_namespace, host, port, timeout)
            finally:
                os._exit(2)
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status) == 0

    def exec_in(self, argv: tuple[str, ...], env: tuple[tuple[str, str], ...] | None = None,
                timeout: float = 30.0, cwd: str | None = None) -> SandboxResult:
        """Run ``argv`` inside the running container (its namespaces, root, user and cgroup)."""
        spec = self.plan.spec
        spec = dataclasses.replace(spec, argv=tuple(argv), env=spec.env if env is None else env,
                                   cwd=cwd or spec.cwd)
        started = time.monotonic_ns()
        pid, pump, go_w = _spawn(lambda fds, parent: monitor.exec_monitor_main(
            self.pid, spec, self.plan.user_namespace, self.cgroup, fds, parent), spec.capture_bytes)
        os.close(go_w)
        timed_out = not pump.done.wait(timeout)
        if timed_out:
            child = int(pump.messages.get("pid1", "0"))
            for victim in (child, pid):
                if victim:
                    _kill(victim)
            pump.done.wait()
        return _result(pump, started, self.stats(), timed_out, self.plan.notes)

    def close(self) -> SandboxResult:
        """Kill everything, remove cgroup and temp dir, and return the final result (idempotent)."""
        with self._closing:
            if self._result is None:
                self._result = self._teardown()
                cleanup.unregister(self)
            return self._result

    def _teardown(self) -> SandboxResult:
        pump = self._pump
        try:
            if pump is not None and not pump.done.is_set():
                # Killing PID 1 makes the kernel kill its whole pid namespace.
                for victim in (self.pid, *(self.cgroup.procs() if self.cgroup else ())):
                    if victim:
                        _kill(victim)
                if not pump.done.wait(_SETUP_TIMEOUT):
                    _kill(self._monitor_pid)
                    pump.done.wait()
            usage = self.stats()
            if self.cgroup is not None:
                self.cgroup.remove()
        finally:
            shutil.rmtree(self.run_dir, ignore_errors=True)
        if pump is None:
            raise SandboxError("sandbox was never started")
        return _result(pump, self._started, usage, self._timed_out, self.plan.notes)

    def __enter__(self) -> RunningSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def start(spec: SandboxSpec, support: SandboxSupport | None = None) -> RunningSandbox:
    """Start ``spec`` in a new sandbox and return once its entrypoint was exec'd (or failed)."""
    plan = build_plan(spec, support or detect())
    if not isinstance(spec.rootfs, OverlayRoot) and not Path(spec.rootfs).is_dir():
        raise SandboxError(f"rootfs {spec.rootfs} is not a directory")
    sandbox = RunningSandbox(plan, support or detect())
    cleanup.register(sandbox)
    try:
        sandbox._launch()
    except BaseException:
        sandbox.close()
        raise
    return sandbox


def run(spec: SandboxSpec, support: SandboxSupport | None = None) -> SandboxResult:
    """Run ``spec`` to completion (or its timeout) and return the result; nothing is left behind."""
    sandbox = start(spec, support)
    try:
        result = sandbox.wait(spec.timeout)
        if result is None:
            sandbox._timed_out = True
            result = sandbox.close()
        return result
    finally:
        sandbox.close()
