"""The container's cgroup, made and limited by the OCI runtime: where it is, what it counted, kill and remove."""

from __future__ import annotations

import errno
import logging
import os
import signal
import time
from pathlib import Path

from pylint_image.linter.errors import SandboxError

from .spec import ResourceUsage
from .support import CgroupMode, CgroupSupport, parse_mounts
from pylint_image.linter.model.frozen import frozen

LOG = logging.getLogger(__name__)
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


def cgroups_path(support: CgroupSupport, container_id: str, is_root: bool, own: str = "/") -> str | None:
    """The ``cgroupsPath`` to give the runtime, or None when no cgroup can be used.

    Root uses ``/pylint-image/<id>`` from the hierarchy's root, as Docker uses ``/docker/<id>``;
    a rootless caller can only nest under its own delegated (v2) cgroup.
    """
    if support.mode is CgroupMode.NONE or (not is_root and support.mode is CgroupMode.V1):
        return None
    if is_root:
        return f"/pylint-image/{container_id}"
    return f"{own.rstrip('/')}/pylint-image-{container_id}"


def runtime_cgroup(support: CgroupSupport, path: str, mounts_text: str) -> Cgroup:
    """The directories the runtime creates for ``path``: one per controller on v1, one on v2."""
    mounts = parse_mounts(mounts_text)
    rel = path.lstrip("/")
    if support.mode is CgroupMode.V2:
        unified = next(m.target for m in mounts if m.fstype == "cgroup2")
        return Cgroup(CgroupMode.V2, {c: Path(unified) / rel for c in support.parents})
    dirs = {}
    for controller in support.parents:
        mount = next((m for m in mounts if m.fstype == "cgroup" and controller in m.options), None)
        if mount is not None:
            dirs[controller] = Path(mount.target) / rel
    return Cgroup(CgroupMode.V1, dirs)
