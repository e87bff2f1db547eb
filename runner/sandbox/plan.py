"""Validate a SandboxSpec against SandboxSupport and expand it into ordered Steps (no side effects)."""

from __future__ import annotations

import enum

from pylint_image.linter.errors import SandboxError, SandboxUnavailable

from . import syscalls
from .spec import OverlayRoot, SandboxSpec
from .support import CgroupMode, IdMapMode, SandboxSupport
from pylint_image.linter.model.frozen import frozen

MIN_MEMORY = 4 * 1024 * 1024


class Actor(enum.Enum):
    """Which process performs a step."""

    PARENT = "parent"     # the tool itself
    MONITOR = "monitor"   # the forked child that unshares and then waits for PID 1
    PAYLOAD = "payload"   # the container's PID 1, which finally execs the entrypoint


class StepKind(enum.Enum):
    """Every action the sandbox can take, in the only order it may take them."""

    CREATE_CGROUP = "create cgroup"
    FORK_MONITOR = "fork monitor"
    UNSHARE = "unshare namespaces"
    WRITE_IDMAPS = "write setgroups and id maps"
    JOIN_CGROUP = "add monitor to cgroup"
    SEND_GO = "sync: go"
    SET_RLIMITS = "set rlimits"
    UNSHARE_CGROUP = "unshare cgroup namespace"
    FORK_PID1 = "fork PID 1"
    MAKE_ROOT_PRIVATE = "make / private"
    MOUNT_ROOTFS = "mount rootfs"
    MOUNT_PROC = "mount /proc"
    MOUNT_DEV = "mount minimal /dev"
    MOUNT_TMP = "mount tmpfs /tmp"
    BIND_ETC = "bind /etc/hosts, resolv.conf, hostname"
    LOOPBACK_UP = "bring loopback up"
    SET_HOSTNAME = "set hostname"
    PIVOT_ROOT = "pivot_root"
    UMOUNT_OLD_ROOT = "unmount old root"
    READONLY_ROOT = "remount / read-only"
    DROP_CAPS = "drop capabilities"
    SET_USER = "switch user"
    NO_NEW_PRIVS = "no_new_privs"
    CHDIR = "chdir to workdir"
    EXEC = "execve"


@frozen
class Step:
    """One action, who performs it, and why it sits where it does."""

    kind: StepKind
    actor: Actor
    why: str


@frozen
class Plan:
    """A validated spec, the ordered steps to run it, and the caveats to report."""

    spec: SandboxSpec
    steps: tuple[Step, ...]
    unshare_flags: int
    user_namespace: bool
    cgroup_mode: CgroupMode
    rlimit_fallback: bool
    notes: tuple[str, ...]

    def kinds(self, actor: Actor) -> tuple[StepKind, ...]:
        """The step kinds one actor performs, in order."""
        return tuple(s.kind for s in self.steps if s.actor is actor)


_P, _M, _C = Actor.PARENT, Actor.MONITOR, Actor.PAYLOAD
_ALL_STEPS = (
    Step(StepKind.CREATE_CGROUP, _P, "limits must exist before any sandboxed process does"),
    Step(StepKind.FORK_MONITOR, _P, "the tool itself must never change namespaces"),
    Step(StepKind.UNSHARE, _M, "new namespaces first: every later step acts inside them"),
    Step(StepKind.WRITE_IDMAPS, _P, "only the parent, outside the new user ns, may write the maps;"
                                    " the monitor waits for them (unmapped ids cannot create files)"),
    # The monitor prepares mounts while the parent joins it to the cgroup (a v1 memory
    # attach costs milliseconds); nothing of the image runs before "go".
    Step(StepKind.MAKE_ROOT_PRIVATE, _M, "before any mount, so none propagates to the host"),
    Step(StepKind.MOUNT_ROOTFS, _M, "pivot_root needs the new root to be a mount point"),
    Step(StepKind.MOUNT_DEV, _M, "host device nodes are bound before the host view is gone"),
    Step(StepKind.MOUNT_TMP, _M, "a private tmpfs, so /tmp writes never reach the image"),
    Step(StepKind.BIND_ETC, _M, "generated files come from the host temp dir, still visible"),
    Step(StepKind.LOOPBACK_UP, _M, "needs CAP_NET_ADMIN, which the payload loses later"),
    Step(StepKind.SET_HOSTNAME, _M, "needs CAP_SYS_ADMIN in the UTS namespace"),
    Step(StepKind.JOIN_CGROUP, _P, "the child must be limited before it can fork or exec"),
    Step(StepKind.SEND_GO, _P, "the monitor waits so no payload runs outside the cgroup"),
    Step(StepKind.SET_RLIMITS, _M, "rlimits are inherited by PID 1 and everything it forks"),
    Step(StepKind.UNSHARE_CGROUP, _M, "after joining the leaf, so the leaf becomes the ns root"),
    Step(StepKind.FORK_PID1, _M, "CLONE_NEWPID applies to children only: the payload is one"),
    Step(StepKind.MOUNT_PROC, _C, "by PID 1, so /proc shows the new pid namespace"),
    Step(StepKind.PIVOT_ROOT, _C, "after all binds of host paths, which vanish with the old root"),
    Step(StepKind.UMOUNT_OLD_ROOT, _C, "after /proc: a user ns may mount proc only while one is visible"),
    Step(StepKind.READONLY_ROOT, _C, "after pivot_root, while CAP_SYS_ADMIN is still held"),
    Step(StepKind.DROP_CAPS, _C, "bounding set needs CAP_SETPCAP, lost by setuid to non-root"),
    Step(StepKind.SET_USER, _C, "setgroups/setgid need CAP_SETGID, so before setuid"),
    Step(StepKind.NO_NEW_PRIVS, _C, "last privilege step, so setuid binaries cannot regain any"),
    Step(StepKind.CHDIR, _C, "after setuid, so WORKDIR is entered with the image user's rights"),
    Step(StepKind.EXEC, _C, "the sync fd is close-on-exec: the parent sees exec happen"),
)


def _validate(spec: SandboxSpec, support: SandboxSupport) -> None:
    """Raise on impossible specs and hosts, with messages naming the missing piece."""
    if not support.usable:
        raise SandboxUnavailable("the sandbox needs root or unprivileged user namespaces "
                                 "(kernel.unprivileged_userns_clone / user.max_user_namespaces)")
    if not spec.argv:
        raise SandboxError("nothing to run: argv is empty")
    if not spec.cwd.startswith("/"):
        raise SandboxError(f"working directory must be absolute, got {spec.cwd!r}")
    if not 0 < len(spec.hostname) <= 64:
        raise SandboxError(f"hostname must have 1 to 64 characters, got {spec.hostname!r}")
    if spec.timeout is not None and spec.timeout <= 0:
        raise SandboxError(f"timeout must be positive, got {spec.timeout}")
    memory = spec.limits.memory_bytes
    if memory is not None and memory < MIN_MEMORY:
        raise SandboxError(f"memory limit {memory} bytes is below the {MIN_MEMORY} bytes minimum")
    if spec.limits.pids is not None and spec.limits.pids < 1:
        raise SandboxError("pids limit must be at least 1")
    if support.idmap is IdMapMode.SINGLE and (spec.uid or spec.gid or spec.groups):
        raise SandboxUnavailable(f"uid {spec.uid} / gid {spec.gid} needs a subuid map: rootless "
                                 "mode maps only the caller to container uid 0")
    if isinstance(spec.rootfs, OverlayRoot) and not support.overlay:
        raise SandboxUnavailable("overlay rootfs needs root and overlayfs; assemble by copying")


def _limit_notes(spec: SandboxSpec, support: SandboxSupport) -> tuple[bool, list[str]]:
    """Decide whether rlimits replace cgroups, and which limits go unenforced."""
    cg = support.cgroup
    wants = {"memory": spec.limits.memory_bytes, "pids": spec.limits.pids, "cpu": spec.limits.cpus}
    notes = []
    fallback = cg.mode is CgroupMode.NONE and any(v is not None for v in wants.values())
    if fallback:
        notes.append("no usable cgroup: memory and pids limits enforced with rlimits "
                     "(RLIMIT_AS, RLIMIT_NPROC); no peak or OOM accounting")
    if wants["cpu"] is not None and not cg.has("cpu"):
        notes.append("cpu limit not enforced: no cpu controller")
    return fallback, notes


def build_plan(spec: SandboxSpec, support: SandboxSupport) -> Plan:
    """Validate ``spec`` for this host and return the ordered steps to run it."""
    _validate(spec, support)
    userns = support.idmap is IdMapMode.SINGLE
    fallback, notes = _limit_notes(spec, support)
    if userns:
        notes.insert(0, "rootless: single-id user namespace map; "
                        "files of other owners appear as the overflow uid")
    flags = (syscalls.CLONE_NEWNS | syscalls.CLONE_NEWPID | syscalls.CLONE_NEWUTS
             | syscalls.CLONE_NEWIPC | syscalls.CLONE_NEWNET
             | (syscalls.CLONE_NEWUSER if userns else 0))
    skip = set()
    if not userns:
        skip.add(StepKind.WRITE_IDMAPS)
    if support.cgroup.mode is CgroupMode.NONE:
        skip |= {StepKind.CREATE_CGROUP, StepKind.JOIN_CGROUP}
    if not fallback:
        skip.add(StepKind.SET_RLIMITS)
    if not spec.readonly_rootfs:
        skip.add(StepKind.READONLY_ROOT)
    if spec.network.value == "none":
        skip.add(StepKind.LOOPBACK_UP)
    steps = tuple(s for s in _ALL_STEPS if s.kind not in skip)
    return Plan(spec, steps, flags, userns, support.cgroup.mode, fallback, tuple(notes))
