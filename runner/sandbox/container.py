"""One container's life: write its OCI bundle, run it with the runtime, watch it, tear it down.

The runtime (runc or crun) builds the container; this module decides what to run and observes
it. Order of teardown (every path, also on Ctrl-C and SIGTERM): kill every process, read the
cgroup's counters, ``delete --force``, unmount the overlay, remove the bundle.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from pylint_image.linter.errors import SandboxError, SandboxUnavailable

from . import cleanup, netns, nsenter
from .bundle import BundleParts, build_config, capabilities, environment, user_of
from .capture import Capture
from .cgroups import Cgroup, cgroups_path, runtime_cgroup
from .net import ListeningSocket, listening_sockets
from .overlay import mount_overlay, unmount
from .runtime import Runtime, last_line
from .spec import Confinement, OverlayRoot, ResourceUsage, SandboxResult, SandboxSpec
from .support import IdMapMode, SandboxSupport, detect, parse_proc_cgroup

SANDBOX_PREFIX = "pylint-image-sandbox-"
START_TIMEOUT = 30.0    # seconds for the runtime to create and start a container
EXIT_TIMEOUT = 10.0     # seconds for a SIGKILLed container (or runtime) to be reaped
DRAIN = 0.2             # seconds to keep reading output after the process exited
MIN_MEMORY = 6 * 1024 * 1024   # runc refuses less than 6 MiB
_POLL = 0.002


def _validate(spec: SandboxSpec, support: SandboxSupport) -> None:
    """Raise on impossible specs and hosts, with messages naming the missing piece."""
    if not support.usable:
        raise SandboxUnavailable(support.unusable_reason)
    if not spec.argv:
        raise SandboxError("nothing to run: argv is empty")
    if not spec.cwd.startswith("/"):
        raise SandboxError(f"working directory must be absolute, got {spec.cwd!r}")
    if spec.hostname is not None and not 0 < len(spec.hostname) <= 64:
        raise SandboxError(f"hostname must have 1 to 64 characters, got {spec.hostname!r}")
    if spec.timeout is not None and spec.timeout <= 0:
        raise SandboxError(f"timeout must be positive, got {spec.timeout}")
    memory = spec.limits.memory_bytes
    if memory is not None and memory < MIN_MEMORY:
        raise SandboxError(f"memory limit {memory} bytes is below the {MIN_MEMORY} bytes minimum")
    if spec.limits.pids is not None and spec.limits.pids < 1:
        raise SandboxError("pids limit must be at least 1")
    if support.idmap is IdMapMode.SINGLE and (spec.uid or spec.gid or set(spec.groups) - {0}):
        raise SandboxUnavailable(f"uid {spec.uid} / gid {spec.gid} needs a subuid map: rootless "
                                 "mode maps only the caller to container uid 0")
    if isinstance(spec.rootfs, OverlayRoot) and not support.overlay:
        raise SandboxUnavailable("overlay rootfs needs root and overlayfs; assemble by copying")
    if not isinstance(spec.rootfs, OverlayRoot) and not Path(spec.rootfs).is_dir():
        raise SandboxError(f"rootfs {spec.rootfs} is not a directory")


def seccomp_for(confinement: Confinement) -> dict[str, Any] | None:
    """The runtime-spec seccomp filter Docker would apply; None only when asked to be unconfined.

    A missing or broken profile is a SandboxError (exit code 3), never a silent unconfined run.
    """
    if confinement.unconfined:
        return None
    from . import seccomp

    path = seccomp.find_profile(confinement.seccomp_profile)
    if path is None:
        raise SandboxError(f"no seccomp profile found: {seccomp.HOW_TO_GET}")
    try:
        stat = path.stat()
        return _converted(str(path), stat.st_mtime_ns, stat.st_size)
    except OSError as exc:
        raise SandboxError(f"seccomp profile {path}: {exc.strerror or exc}; {seccomp.HOW_TO_GET}") from exc
    except SandboxUnavailable as exc:
        raise SandboxError(str(exc)) from exc


@functools.lru_cache(maxsize=4)
def _converted(path: str, _mtime: int, _size: int) -> dict[str, Any]:
    """Load and convert a profile once per file version (verify starts several containers)."""
    from . import seccomp

    return seccomp.to_oci(seccomp.load_profile(Path(path)), seccomp.DOCKER_DEFAULT_CAPS)


_HOSTS = ("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n"
          "ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n")


def _write_etc(etc: Path, hostname: str, address: str | None) -> None:
    """The container's /etc/hosts, hostname and resolv.conf, in the form Docker writes them."""
    etc.mkdir()
    # Docker maps the hostname to the container's own address (none with --network none).
    (etc / "hosts").write_text(_HOSTS + (f"{address}\t{hostname}\n" if address else ""))
    (etc / "resolv.conf").write_text("# pylint-image sandbox: no network beyond loopback\n")
    (etc / "hostname").write_text(hostname + "\n")


def _own_cgroup() -> str:
    try:
        return parse_proc_cgroup(Path("/proc/self/cgroup").read_text()).get("", "/")
    except OSError:
        return "/"


class RunningSandbox:
    """A started container: PID 1 runs until it exits, is signalled, or ``close`` is called."""

    def __init__(self, spec: SandboxSpec, support: SandboxSupport) -> None:
        assert support.runtime is not None
        self.spec, self.support = spec, support
        self.runtime = Runtime(support.runtime)
        self.id = uuid.uuid4().hex
        self.hostname = spec.hostname or self.id[:12]
        self.run_dir = Path(tempfile.mkdtemp(prefix=SANDBOX_PREFIX))
        self.cgroup: Cgroup | None = None
        self.pid = 0              # host pid of the container's PID 1
        self.address: str | None = None   # the container's own (non-loopback) address, when it has one
        self._netns: str | None = None
        self.notes = self._notes()
        self._proc: subprocess.Popen[bytes] | None = None
        self._capture: Capture | None = None
        self._mounted: Path | None = None
        self._started = 0
        self._start_overhead: float | None = None
        self._setup_error: str | None = None
        self._timed_out = False
        self._result: SandboxResult | None = None
        self._closing = threading.Lock()

    def _notes(self) -> tuple[str, ...]:
        notes = list(self.support.notes)
        if self.spec.confinement.unconfined:
            notes.append("seccomp disabled (--unconfined): weaker than docker run's default")
        return tuple(dict.fromkeys(notes))

    def _bundle(self) -> Path:
        """Write config.json (and mount the rootfs); the bundle directory is the run dir."""
        spec = self.spec
        seccomp = seccomp_for(spec.confinement)
        if isinstance(spec.rootfs, OverlayRoot):
            rootfs = mount_overlay(self.run_dir, spec.rootfs.lower)
            self._mounted = rootfs
        else:
            rootfs = Path(spec.rootfs).resolve()
        netns_path = None
        if self.support.is_root:
            self._netns = f"{SANDBOX_PREFIX}{self.id[:12]}"
            netns_path = netns.create(self._netns)
            self.address = netns.ADDRESS
        _write_etc(self.run_dir / "etc", self.hostname, self.address)
        path = cgroups_path(self.support.cgroup, self.id, self.support.is_root, _own_cgroup())
        if path is not None:
            self.cgroup = runtime_cgroup(self.support.cgroup, path, Path("/proc/mounts").read_text())
        parts = BundleParts(rootfs, self.run_dir / "etc", self.hostname, path, seccomp, netns_path)
        (self.run_dir / "config.json").write_text(json.dumps(build_config(spec, self.support, parts)))
        return self.run_dir

    def _launch(self) -> None:
        """Start the runtime and wait until PID 1 runs (or the runtime gave up)."""
        bundle = self._bundle()
        (out_r, out_w), (err_r, err_w) = os.pipe(), os.pipe()
        self._capture = Capture(out_r, err_r, self.spec.capture_bytes)
        pid_file = bundle / "pid"
        self._started = time.monotonic_ns()
        try:
            self._proc = self.runtime.run(bundle, self.id, pid_file, out_w, err_w)
        finally:
            os.close(out_w)
            os.close(err_w)
        deadline = time.monotonic() + START_TIMEOUT
        while not pid_file.exists():
            if self._proc.poll() is not None or time.monotonic() > deadline:
                break
            time.sleep(_POLL)
        pid = _read_pid(pid_file)
        if pid:
            self.pid = pid
            self._start_overhead = (time.monotonic_ns() - self._started) / 1e9
        elif self._proc.poll() is None:
            raise SandboxError(f"{self.runtime.info.name} did not start the container within "
                               f"{START_TIMEOUT:g} s")
        else:
            self._capture.finish(DRAIN)
            self._setup_error = last_line(bytes(self._capture.err)) or \
                f"{self.runtime.info.name} exited with status {self._proc.returncode}"

    def poll(self) -> SandboxResult | None:
        """The result once PID 1 has exited (the container is then torn down), else None."""
        if self._result is None and self._proc is not None and self._proc.poll() is not None:
            return self.close()
        return self._result

    def wait(self, timeout: float | None = None) -> SandboxResult | None:
        """Wait up to ``timeout`` seconds for PID 1 to exit; None if it still runs."""
        assert self._proc is not None
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        return self.close()

    def send_signal(self, sig: int) -> None:
        """Send ``sig`` to the container's PID 1, as ``docker kill`` (``runc kill``) does."""
        # The foreground runtime is PID 1's parent and has not reaped it while it runs, so
        # the pid cannot have been reused: signalling it directly spares a runtime start.
        if self.pid and self._proc is not None and self._proc.poll() is None:
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                return

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
        return nsenter.connect_tcp(self.pid, self.support.idmap is IdMapMode.SINGLE, host, port, timeout)

    def exec_in(self, argv: tuple[str, ...], env: tuple[tuple[str, str], ...] | None = None,
                timeout: float = 30.0, cwd: str | None = None) -> SandboxResult:
        """Run ``argv`` in the running container (``docker exec``), killed with its children at ``timeout``."""
        from .execs import run_exec

        spec = self.spec if env is None else dataclasses.replace(self.spec, env=env)
        process: dict[str, Any] = {
            "user": user_of(spec, self.support.idmap is IdMapMode.SINGLE), "args": list(argv),
            "cwd": cwd or spec.cwd, "terminal": False, "env": environment(spec, self.hostname),
            "capabilities": capabilities(spec.uid)}
        if spec.confinement.no_new_privileges:
            process["noNewPrivileges"] = True
        return run_exec(self, process, timeout)

    def close(self) -> SandboxResult:
        """Kill everything, remove cgroup, mounts and bundle, and return the result (idempotent)."""
        with self._closing:
            if self._result is None:
                try:
                    self._result = self._teardown()
                finally:
                    cleanup.unregister(self)
            return self._result

    def _teardown(self) -> SandboxResult:
        from ..fsutil import remove_tree

        problems: list[str] = []
        usage = ResourceUsage(enforced_by="rlimit")
        try:
            self._stop_all(problems)
            usage = self.stats()
            complaint = self.runtime.delete(self.id)
            if complaint:
                problems.append(complaint)
            if self.cgroup is not None:
                try:
                    self.cgroup.remove()
                except SandboxError as error:
                    problems.append(str(error))
        finally:
            if self._netns is not None:
                problems += netns.delete(self._netns)
            if self._mounted is not None:
                problems += unmount(self._mounted)
            problems += remove_tree(self.run_dir)
        return self._result_of(usage, tuple(problems))

    def _stop_all(self, problems: list[str]) -> None:
        """SIGKILL every process of the container and reap the runtime, within deadlines."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            self.runtime.kill(self.id, signal.SIGKILL, all_processes=True)
            if self.cgroup is not None:
                self.cgroup.kill()
            try:
                proc.wait(EXIT_TIMEOUT)
            except subprocess.TimeoutExpired:
                problems.append(f"{self.runtime.info.name} did not exit after SIGKILL; killed it")
                proc.kill()
                proc.wait(EXIT_TIMEOUT)
        if self._capture is not None:
            self._capture.finish(DRAIN)

    def _result_of(self, usage: ResourceUsage, problems: tuple[str, ...]) -> SandboxResult:
        proc, capture = self._proc, self._capture
        exit_code, sig = _status(proc.returncode if proc is not None else None)
        if self._setup_error is not None:
            exit_code, sig = 127, None
        notes = self.notes + tuple(f"teardown: {p}" for p in problems)
        return SandboxResult(
            exit_code=exit_code, signal=sig,
            stdout=bytes(capture.out) if capture else b"", stderr=bytes(capture.err) if capture else b"",
            duration=(time.monotonic_ns() - self._started) / 1e9 if self._started else 0.0,
            start_overhead=self._start_overhead, usage=usage, timed_out=self._timed_out,
            setup_error=self._setup_error, truncated=bool(capture and capture.truncated), notes=notes)

    def __enter__(self) -> RunningSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _status(code: int | None) -> tuple[int | None, int | None]:
    """(exit code, signal) from the runtime's status: it reports a signal death as 128 + N."""
    if code is None:
        return None, None
    if code < 0:
        return None, -code
    if code > 128 and code - 128 in signal.Signals._value2member_map_:
        return None, code - 128
    return code, None


def _read_pid(path: Path) -> int:
    try:
        text = path.read_text().strip()
    except OSError:
        return 0
    return int(text) if text.isdigit() else 0


def start(spec: SandboxSpec, support: SandboxSupport | None = None) -> RunningSandbox:
    """Start ``spec`` in a new container and return once its entrypoint runs (or failed to)."""
    support = support or detect()
    _validate(spec, support)
    sandbox = RunningSandbox(spec, support)
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
