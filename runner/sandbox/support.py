"""Detect once what this host lets the sandbox do: the OCI runtime, root or rootless, cgroups, overlay.

The parsers take text and path prefixes so that cgroup v2 logic is unit-tested on a fake
cgroupfs under ``tmp_path``; :func:`detect` feeds them the real ``/proc`` files.
"""

from __future__ import annotations

import enum
import functools
import os
import shutil
import subprocess
from dataclasses import field
from pathlib import Path
from pylint_image.linter.model.frozen import frozen

# The controllers the sandbox limits; "cpu" is optional (a missing one costs a notification).
REQUIRED_CONTROLLERS = ("memory", "pids")
OPTIONAL_CONTROLLERS = ("cpu",)
RUNTIME_ENV = "PYLINT_IMAGE_RUNTIME"


class CgroupMode(enum.Enum):
    """Which cgroup hierarchy the sandbox writes limits into."""

    V2 = "v2"
    V1 = "v1"
    NONE = "none"


class IdMapMode(enum.Enum):
    """How container ids map to host ids."""

    HOST = "host"        # root without a user namespace: ids are the host's own
    SINGLE = "single"    # rootless: only the caller's uid/gid map (to container 0)
    NONE = "none"        # no user namespace available and not root: the sandbox cannot run


@frozen
class Mount:
    """One line of /proc/mounts."""

    source: str
    target: str
    fstype: str
    options: frozenset[str]


@frozen
class CgroupSupport:
    """Where leaf cgroups can be created, per controller (v1) or for all (v2)."""

    mode: CgroupMode
    # v2: every controller maps to the same parent dir; v1: one dir per controller hierarchy.
    parents: dict[str, Path] = field(default_factory=dict)
    reason: str = ""

    def has(self, controller: str) -> bool:
        """True when limits for ``controller`` can be written."""
        return controller in self.parents


@frozen
class RuntimeInfo:
    """The OCI runtime that runs the containers: ``runc`` (Docker's) or ``crun``."""

    name: str
    path: str
    version: str = ""


@frozen
class SandboxSupport:
    """What this host allows, detected once by :func:`detect`."""

    is_root: bool
    userns: bool
    idmap: IdMapMode
    cgroup: CgroupSupport
    overlay: bool
    runtime: RuntimeInfo | None
    notes: tuple[str, ...] = ()
    hybrid_cgroups: bool = False   # a cgroup2 mount with controllers beside v1 hierarchies

    @property
    def usable(self) -> bool:
        """True when a container can be started at all: a runtime, and root or user namespaces."""
        return self.idmap is not IdMapMode.NONE and self.runtime is not None

    @property
    def unusable_reason(self) -> str:
        """Why :attr:`usable` is False, as one line naming what to install or enable."""
        if self.runtime is None:
            return ("no OCI runtime: install runc (Debian/Ubuntu: apt-get install runc; it comes "
                    "with docker.io) or crun, or set PYLINT_IMAGE_RUNTIME to its path")
        return ("the sandbox needs root or unprivileged user namespaces "
                "(kernel.unprivileged_userns_clone / user.max_user_namespaces)")


def parse_mounts(text: str) -> tuple[Mount, ...]:
    """Parse /proc/mounts text (octal escapes in paths decoded)."""
    mounts = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 4:
            continue
        source, target, fstype, options = (_unescape(p) for p in parts[:4])
        mounts.append(Mount(source, target, fstype, frozenset(options.split(","))))
    return tuple(mounts)


def _unescape(value: str) -> str:
    return value.replace("\\040", " ").replace("\\011", "\t").replace("\\134", "\\")


def parse_proc_cgroup(text: str) -> dict[str, str]:
    """Map each controller ("" for the v2 unified entry) to this process's cgroup path."""
    paths: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        for controller in parts[1].split(",") if parts[1] else [""]:
            paths[controller.removeprefix("name=")] = parts[2]
    return paths


def _v2_support(mounts: tuple[Mount, ...], own: dict[str, str], is_root: bool) -> CgroupSupport | None:
    """Return v2 support when a cgroup2 mount offers memory and pids to a writable parent."""
    unified = next((m for m in mounts if m.fstype == "cgroup2"), None)
    if unified is None or "" not in own:
        return None
    root = Path(unified.target)
    # Root creates its leaves at the hierarchy root, which may hold processes and always
    # delegates; a rootless caller can only use its own (delegated) cgroup.
    parent = root if is_root else root / own[""].lstrip("/")
    available = _read_words(parent / "cgroup.subtree_control")
    if is_root:
        available |= _read_words(parent / "cgroup.controllers")
    if not all(c in available for c in REQUIRED_CONTROLLERS) or not os.access(parent, os.W_OK):
        return None
    wanted = REQUIRED_CONTROLLERS + tuple(c for c in OPTIONAL_CONTROLLERS if c in available)
    return CgroupSupport(CgroupMode.V2, {c: parent for c in wanted})


def _v1_support(mounts: tuple[Mount, ...], own: dict[str, str]) -> CgroupSupport | None:
    """Return v1 support when memory and pids hierarchies are mounted and writable."""
    parents: dict[str, Path] = {}
    for controller in REQUIRED_CONTROLLERS + OPTIONAL_CONTROLLERS:
        mount = next((m for m in mounts if m.fstype == "cgroup" and controller in m.options), None)
        if mount is None:
            continue
        # Nest under our own cgroup so the caller's limits (if any) still bound the sandbox.
        parent = Path(mount.target) / own.get(controller, "/").lstrip("/")
        if not parent.is_dir():
            parent = Path(mount.target)
        if os.access(parent, os.W_OK):
            parents[controller] = parent
    if not all(c in parents for c in REQUIRED_CONTROLLERS):
        return None
    return CgroupSupport(CgroupMode.V1, parents)


def detect_cgroup(mounts_text: str, self_cgroup_text: str, is_root: bool) -> CgroupSupport:
    """Decide v2, v1 or none from /proc/mounts and /proc/self/cgroup text."""
    mounts = parse_mounts(mounts_text)
    own = parse_proc_cgroup(self_cgroup_text)
    # A hybrid host mounts a cgroup2 with few controllers (here only hugetlb): v2 is tried
    # first but only wins when it really offers memory and pids.
    found = _v2_support(mounts, own, is_root) or _v1_support(mounts, own)
    if found is not None:
        return found
    return CgroupSupport(CgroupMode.NONE, {}, "no writable cgroup with memory and pids controllers")


def _hybrid(mounts_text: str) -> bool:
    """True when a cgroup2 mount owns controllers while v1 hierarchies exist (crun refuses this)."""
    mounts = parse_mounts(mounts_text)
    unified = next((m for m in mounts if m.fstype == "cgroup2"), None)
    v1 = any(m.fstype == "cgroup" for m in mounts)
    return bool(unified and v1 and _read_words(Path(unified.target) / "cgroup.controllers"))


def _version(path: str) -> str:
    """The runtime's ``--version`` first line ('' when it does not answer in time)."""
    try:
        done = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return (done.stdout.splitlines() or [""])[0].strip()


def detect_runtime(wanted: str | None = None) -> RuntimeInfo | None:
    """The runtime to use: ``wanted`` (a name or path, or $PYLINT_IMAGE_RUNTIME), else runc.

    runc is the default because it is what Docker runs, so verify's verdicts match
    ``docker run``'s. crun (faster to start) is used when asked for; crun 1.8 refuses hybrid
    cgroup hosts and has no ``run --keep``, so there it cannot report OOM kills after exit.
    """
    wanted = wanted or os.environ.get(RUNTIME_ENV) or "runc"
    path = shutil.which(wanted) or (wanted if "/" in wanted and os.access(wanted, os.X_OK) else None)
    return RuntimeInfo(Path(path).name, path, _version(path)) if path else None


def _read_words(path: Path) -> set[str]:
    try:
        return set(path.read_text().split())
    except OSError:
        return set()


def _userns_allowed(proc: Path) -> bool:
    """True unless a sysctl forbids unprivileged user namespaces."""
    for name, forbidden in (("sys/user/max_user_namespaces", "0"),
                            ("sys/kernel/unprivileged_userns_clone", "0"),
                            ("sys/kernel/apparmor_restrict_unprivileged_userns", "1")):
        try:
            if (proc / name).read_text().strip() == forbidden:
                return False
        except OSError:
            continue
    return True


def detect_at(proc: Path = Path("/proc"), uid: int | None = None,
              runtime: str | None = None) -> SandboxSupport:
    """Detect support reading ``proc`` (injectable for tests), as user ``uid``."""
    is_root = (os.geteuid() if uid is None else uid) == 0
    userns = _userns_allowed(proc)
    idmap = IdMapMode.HOST if is_root else (IdMapMode.SINGLE if userns else IdMapMode.NONE)
    mounts = _read(proc / "mounts")
    cgroup = detect_cgroup(mounts, _read(proc / "self/cgroup"), is_root)
    filesystems = _read(proc / "filesystems")
    # Overlay in a user namespace needs kernel >= 5.11; we only rely on it as root.
    overlay = is_root and "overlay" in filesystems.split()
    hybrid = _hybrid(mounts)
    runtime_info = detect_runtime(runtime)
    notes = []
    if idmap is IdMapMode.SINGLE:
        notes.append("rootless: single-id user namespace map; files of other owners show as nobody")
    if cgroup.mode is CgroupMode.NONE:
        notes.append("no usable cgroup: the pids limit falls back to an rlimit (RLIMIT_NPROC) and "
                     "the memory and cpu limits are not enforced")
    if hybrid and runtime_info is not None and runtime_info.name == "crun":
        notes.append("crun refuses hybrid cgroup hosts (a cgroup2 mount with controllers); use runc")
    if not shutil.which("newuidmap") and not is_root:
        notes.append("newuidmap not installed: only a single-id map is possible")
    return SandboxSupport(is_root, userns, idmap, cgroup, overlay, runtime_info, tuple(notes), hybrid)


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


@functools.cache
def detect() -> SandboxSupport:
    """Detect this host's sandbox support once per process."""
    return detect_at()
