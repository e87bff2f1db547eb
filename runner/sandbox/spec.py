"""SandboxSpec and SandboxResult: the pure data a sandbox run starts from and ends with."""

from __future__ import annotations

import enum
from dataclasses import field
from pathlib import Path
from pylint_image.linter.model.frozen import frozen

MIB = 1024 * 1024
DEFAULT_MEMORY = 512 * MIB
DEFAULT_PIDS = 512
DEFAULT_CPUS = 1.0
DEFAULT_CAPTURE = 64 * 1024


class Network(enum.Enum):
    """Network of the sandbox: always a fresh namespace, never a way out."""

    LOOPBACK = "loopback"    # new network namespace with only loopback up (docker --network none)


@frozen
class OverlayRoot:
    """A root filesystem of cached layers, mounted as overlayfs at the bundle's ``rootfs``.

    The throw-away upper and work dirs live in the bundle, which teardown removes after
    unmounting (also on Ctrl-C and SIGTERM).
    """

    lower: tuple[Path, ...]   # topmost layer first, as overlayfs's lowerdir wants


@frozen
class Limits:
    """Resource limits; ``None`` disables one."""

    memory_bytes: int | None = DEFAULT_MEMORY
    pids: int | None = DEFAULT_PIDS
    cpus: float | None = DEFAULT_CPUS


@frozen
class Confinement:
    """How tightly the container is held beyond namespaces: ``docker run``'s defaults unless said."""

    seccomp_profile: Path | None = None   # a Docker-format profile; None: find Docker's default
    unconfined: bool = False              # no seccomp filter (docker --security-opt seccomp=unconfined)
    no_new_privileges: bool = False       # docker --security-opt no-new-privileges


@frozen
class SandboxSpec:
    """Everything needed to start one process tree in the sandbox."""

    rootfs: Path | OverlayRoot
    argv: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()
    cwd: str = "/"
    uid: int = 0
    gid: int = 0
    groups: tuple[int, ...] = ()
    hostname: str | None = None   # None: 12 hex digits, like a Docker container id prefix
    limits: Limits = field(default_factory=Limits)
    network: Network = Network.LOOPBACK
    timeout: float | None = 30.0
    capture_bytes: int = DEFAULT_CAPTURE
    readonly_rootfs: bool = False
    confinement: Confinement = field(default_factory=Confinement)


@frozen
class ResourceUsage:
    """What the cgroup (or rlimit fallback) observed."""

    memory_peak: int | None = None
    memory_current: int | None = None
    oom_kills: int = 0
    pids_current: int | None = None
    pids_limit_hits: int = 0
    enforced_by: str = "cgroup-v1"   # "cgroup-v1" | "cgroup-v2" | "rlimit"


@frozen
class SandboxResult:
    """The outcome of one sandboxed process (the container's PID 1 or an exec_in command)."""

    exit_code: int | None           # None when killed by a signal
    signal: int | None              # the terminating signal number, if any
    stdout: bytes                   # the last ``capture_bytes`` of standard output
    stderr: bytes
    duration: float                 # seconds from the runtime's start to the container's exit
    start_overhead: float | None    # seconds until the runtime reported the process started (None: never)
    usage: ResourceUsage
    timed_out: bool = False
    setup_error: str | None = None  # why the runtime failed before exec (exit_code is then 127)
    truncated: bool = False         # True when output beyond ``capture_bytes`` was dropped
    notes: tuple[str, ...] = ()     # caveats for the report (rlimit fallback, id-map mode...)

    @property
    def oom_killed(self) -> bool:
        """True when the memory limit killed a process."""
        return self.usage.oom_kills > 0

    @property
    def pids_limited(self) -> bool:
        """True when a fork failed because of the pids limit."""
        return self.usage.pids_limit_hits > 0
