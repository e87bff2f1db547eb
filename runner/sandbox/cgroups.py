"""Leaf cgroups for one sandbox: create, limit, join, account, kill and remove (v1 and v2)."""

from __future__ import annotations

import errno
import logging
import os
import resource
import signal
import time
import uuid
from pathlib import Path

from pylint_image.linter.errors import SandboxError

from .spec import Limits, ResourceUsage
from .support import CgroupMode, CgroupSupport
from pylint_image.linter.model.frozen import frozen

LOG = logging.getLogger(__name__)
CPU_PERIOD_US = 100_000
_RMDIR_PATIENCE = 3.0   # seconds: exiting processes leave the cgroup only once reaped


@frozen
class Cgroup:
    """One sandbox's leaf cgroup: a single dir on v2, one dir per controller on v1."""

    mode: CgroupMode
    dirs: dict[str, Path]   # controller -> leaf dir (on v2 all point to the same dir)

    @property
    def leaves(self) -> tuple[Path, ...]:
        """Each distinct leaf directory once."""
        return tuple(dict.fromkeys(self.dirs.values()))

    def _file(self, controller: str, name: str) -> Path | None:
        leaf = self.dirs.get(controller)
        return None if leaf is None else leaf / name

    def add(self, pid: int) -> None:
        """Move ``pid`` into every leaf (the process's future children follow it)."""
        for leaf in self.leaves:
            (leaf / "cgroup.procs").write_text(str(pid))

    def procs(self) -> set[int]:
        """Pids currently in any leaf."""
        found: set[int] = set()
        for leaf in self.leaves:
            found |= {int(p) for p in _read(leaf / "cgroup.procs").split()}
        return found

    def usage(self) -> ResourceUsage:
        """Read peak and current memory, OOM kills and pids-limit hits."""
        return _usage_v2(self) if self.mode is CgroupMode.V2 else _usage_v1(self)

    def kill(self) -> None:
        """SIGKILL every process in the leaves (cgroup.kill on v2 when the kernel has it)."""
        kill_file = self._file("memory", "cgroup.kill")
        if self.mode is CgroupMode.V2 and kill_file is not None and kill_file.exists():
            kill_file.write_text("1")
            return
        # v1 has no atomic kill: repeat until no new pid appears (a fork bomb races us,
        # but the pids limit bounds how many rounds it can win).
        for _ in range(1000):
            pids = self.procs()
            if not pids:
                return
            for pid in pids:
                _kill(pid)
            time.sleep(0.001)

    def remove(self) -> None:
        """Kill what is left and rmdir every leaf, waiting briefly for exits to be reaped."""
        self.kill()
        deadline = time.monotonic() + _RMDIR_PATIENCE
        for leaf in self.leaves:
            while True:
                try:
                    leaf.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError as error:
                    if error.errno != errno.EBUSY or time.monotonic() > deadline:
                        raise SandboxError(f"cannot remove cgroup {leaf}: {error}") from error
                    self.kill()
                    time.sleep(0.005)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _read(path: Path | None) -> str:
    if path is None:
        return ""
    try:
        return path.read_text()
    except OSError:
        return ""


def _int(path: Path | None) -> int | None:
    text = _read(path).strip()
    return int(text) if text.isdigit() else None


def _keyed(path: Path | None) -> dict[str, int]:
    """Parse ``key value`` lines (memory.events, pids.events, memory.oom_control)."""
    values = {}
    for line in _read(path).splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            values[parts[0]] = int(parts[1])
    return values


def _usage_v2(cg: Cgroup) -> ResourceUsage:
    events = _keyed(cg._file("memory", "memory.events"))
    return ResourceUsage(
        memory_peak=_int(cg._file("memory", "memory.peak")),
        memory_current=_int(cg._file("memory", "memory.current")),
        oom_kills=events.get("oom_kill", 0),
        pids_current=_int(cg._file("pids", "pids.current")),
        pids_limit_hits=_keyed(cg._file("pids", "pids.events")).get("max", 0),
        enforced_by="cgroup-v2",
    )


def _usage_v1(cg: Cgroup) -> ResourceUsage:
    oom = _keyed(cg._file("memory", "memory.oom_control"))
    # Old kernels lack oom_kill in oom_control: failcnt > 0 plus under_oom is the best hint.
    kills = oom.get("oom_kill", oom.get("under_oom", 0))
    return ResourceUsage(
        memory_peak=_int(cg._file("memory", "memory.max_usage_in_bytes")),
        memory_current=_int(cg._file("memory", "memory.usage_in_bytes")),
        oom_kills=kills,
        pids_current=_int(cg._file("pids", "pids.current")),
        pids_limit_hits=_keyed(cg._file("pids", "pids.events")).get("max", 0),
        enforced_by="cgroup-v1",
    )


def _write(path: Path, value: str) -> None:
    try:
        path.write_text(value)
    except OSError as error:
        raise SandboxError(f"cannot write {value!r} to {path}: {error}") from error


def _enable_v2_controllers(parent: Path, controllers: list[str]) -> None:
    """Enable controllers for the parent's children (v2 delegates them top-down)."""
    enabled = set(_read(parent / "cgroup.subtree_control").split())
    missing = [c for c in controllers if c not in enabled]
    if missing:
        _write(parent / "cgroup.subtree_control", " ".join(f"+{c}" for c in missing))


def _limit_v2(leaf: Path, limits: Limits) -> None:
    if limits.memory_bytes is not None:
        _write(leaf / "memory.max", str(limits.memory_bytes))
        # Without this, a hog swaps instead of being OOM-killed on hosts with swap.
        if (leaf / "memory.swap.max").exists():
            _write(leaf / "memory.swap.max", "0")
    if limits.pids is not None:
        _write(leaf / "pids.max", str(limits.pids))
    if limits.cpus is not None and (leaf / "cpu.max").exists():
        _write(leaf / "cpu.max", f"{int(limits.cpus * CPU_PERIOD_US)} {CPU_PERIOD_US}")


def _limit_v1(dirs: dict[str, Path], limits: Limits) -> None:
    if limits.memory_bytes is not None and "memory" in dirs:
        _write(dirs["memory"] / "memory.limit_in_bytes", str(limits.memory_bytes))
        memsw = dirs["memory"] / "memory.memsw.limit_in_bytes"
        # memsw must be >= limit_in_bytes and is written after it; equal means no swap.
        if memsw.exists():
            _write(memsw, str(limits.memory_bytes))
    if limits.pids is not None and "pids" in dirs:
        _write(dirs["pids"] / "pids.max", str(limits.pids))
    if limits.cpus is not None and "cpu" in dirs:
        _write(dirs["cpu"] / "cpu.cfs_period_us", str(CPU_PERIOD_US))
        _write(dirs["cpu"] / "cpu.cfs_quota_us", str(int(limits.cpus * CPU_PERIOD_US)))


def create_cgroup(support: CgroupSupport, limits: Limits, name: str | None = None) -> Cgroup:
    """Create a fresh leaf cgroup under each supported parent and write ``limits``."""
    if support.mode is CgroupMode.NONE:
        raise SandboxError(f"no usable cgroup: {support.reason}")
    name = name or f"pylint-image-{uuid.uuid4().hex[:12]}"
    created: dict[str, Path] = {}
    try:
        if support.mode is CgroupMode.V2:
            parent = next(iter(support.parents.values()))
            _enable_v2_controllers(parent, list(support.parents))
            (parent / name).mkdir()
            created = {c: parent / name for c in support.parents}
            _limit_v2(parent / name, limits)
        else:
            for controller, parent in support.parents.items():
                (parent / name).mkdir()
                created[controller] = parent / name
            _limit_v1(created, limits)
    except (OSError, SandboxError) as error:
        Cgroup(support.mode, created).remove()
        raise SandboxError(f"cannot create cgroup {name}: {error}") from error
    LOG.debug("created cgroup %s (%s)", name, support.mode.value)
    return Cgroup(support.mode, created)


def apply_rlimits(limits: Limits) -> None:
    """Fallback without cgroups: bound address space and process count of this process tree."""
    if limits.memory_bytes is not None:
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    if limits.pids is not None:
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.pids, limits.pids))
