"""Execute the payload's Steps inside the forked child: mounts, pivot_root, privileges, exec.

Everything here runs in a freshly forked, single-threaded child and ends in ``execve`` or
``os._exit``; it never logs (the logging lock may be held by another parent thread).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from . import syscalls
from .paths import secure_join
from .plan import Actor, Plan, StepKind
from .spec import OverlayRoot, SandboxSpec
from pylint_image.linter.model.frozen import frozen

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_DEV_NODES = ("null", "zero", "full", "random", "urandom", "tty")
_DEV_LINKS = {"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
              "stderr": "/proc/self/fd/2", "ptmx": "pts/ptmx"}
_NOSUID_NODEV = syscalls.MS_NOSUID | syscalls.MS_NODEV


@frozen
class PayloadContext:
    """What the payload needs besides the plan: its host-side dirs and the sync fd."""

    plan: Plan
    run_dir: Path    # host temp dir holding root/, upper/, work/ and etc/
    sync_fd: int     # write end of the child -> parent message pipe (close-on-exec)

    @property
    def new_root(self) -> Path:
        """Mount point of the container root before pivot_root."""
        return self.run_dir / "root"


def send(fd: int, message: str) -> None:
    """Write one line to the sync pipe (one write, below PIPE_BUF, so it is atomic)."""
    os.write(fd, (message.replace("\n", " ") + "\n").encode()[:4000])


def _mount_rootfs(ctx: PayloadContext) -> None:
    rootfs = ctx.plan.spec.rootfs
    if isinstance(rootfs, OverlayRoot):
        # Relative lowerdirs keep the option string under the kernel's one-page limit.
        common = Path(os.path.commonpath([str(p) for p in rootfs.lower]))
        os.chdir(common)
        lower = ":".join(os.path.relpath(p, common) for p in rootfs.lower)
        data = f"lowerdir={lower},upperdir={ctx.run_dir / 'upper'},workdir={ctx.run_dir / 'work'}"
        syscalls.mount("overlay", ctx.new_root, "overlay", 0, data)
        os.chdir("/")
    else:
        syscalls.mount(str(rootfs), ctx.new_root, None, syscalls.MS_BIND | syscalls.MS_REC)


def _ensure(root: Path, path: str, directory: bool) -> Path:
    """Return a mount point inside ``root``, creating it (never through an escaping link)."""
    target = secure_join(root, path)
    if directory:
        target.mkdir(parents=True, exist_ok=True)
    elif not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.touch()
    return target


def _mount_proc(ctx: PayloadContext) -> None:
    target = _ensure(ctx.new_root, "/proc", True)
    syscalls.mount("proc", target, "proc", _NOSUID_NODEV | syscalls.MS_NOEXEC)


def _mount_dev(ctx: PayloadContext) -> None:
    dev = _ensure(ctx.new_root, "/dev", True)
    syscalls.mount("tmpfs", dev, "tmpfs", syscalls.MS_NOSUID, "mode=755,size=65536k")
    # Binding host nodes instead of mknod works in a user namespace too.
    for name in _DEV_NODES:
        (dev / name).touch()
        syscalls.mount(f"/dev/{name}", dev / name, None, syscalls.MS_BIND)
    (dev / "pts").mkdir()
    syscalls.mount("devpts", dev / "pts", "devpts", syscalls.MS_NOSUID | syscalls.MS_NOEXEC,
                   "newinstance,ptmxmode=0666,mode=0620")
    (dev / "shm").mkdir()
    syscalls.mount("shm", dev / "shm", "tmpfs", _NOSUID_NODEV, "mode=1777,size=65536k")
    for name, target in _DEV_LINKS.items():
        (dev / name).symlink_to(target)


def _mount_tmp(ctx: PayloadContext) -> None:
    target = _ensure(ctx.new_root, "/tmp", True)
    syscalls.mount("tmpfs", target, "tmpfs", _NOSUID_NODEV, "mode=1777")


def _bind_etc(ctx: PayloadContext) -> None:
    for name in ("hosts", "resolv.conf", "hostname"):
        target = _ensure(ctx.new_root, f"/etc/{name}", False)
        syscalls.mount(str(ctx.run_dir / "etc" / name), target, None, syscalls.MS_BIND)


def _pivot_root(ctx: PayloadContext) -> None:
    # pivot_root(".", ".") stacks the old root on the new one, so no put_old dir has to be
    # created inside the image (runc's trick); the next step detaches it.
    os.chdir(ctx.new_root)
    syscalls.pivot_root(".", ".")


def _umount_old_root(ctx: PayloadContext) -> None:
    syscalls.umount2(".", syscalls.MNT_DETACH)
    os.chdir("/")


def _readonly_root(ctx: PayloadContext) -> None:
    flags = syscalls.MS_REMOUNT | syscalls.MS_BIND | syscalls.MS_RDONLY
    syscalls.mount(None, "/", None, flags)


def drop_caps(ctx: PayloadContext | None = None) -> None:
    """Reduce every capability set to Docker's default set."""
    keep = syscalls.DOCKER_DEFAULT_CAPS
    syscalls.drop_bounding_caps(keep)
    syscalls.clear_ambient_caps()
    syscalls.capset(keep, keep, keep)


def set_user(spec: SandboxSpec, userns: bool) -> None:
    """Switch to the image user; setgroups is denied (and unneeded) in a rootless namespace."""
    if not userns:
        os.setgroups(list(spec.groups))
    os.setgid(spec.gid)
    # setuid to non-root clears the permitted and effective capability sets.
    os.setuid(spec.uid)


def environment(spec: SandboxSpec) -> dict[str, str]:
    """The payload environment: the spec's, plus PATH and HOSTNAME as Docker adds them."""
    env = dict(spec.env)
    env.setdefault("PATH", DEFAULT_PATH)
    env.setdefault("HOSTNAME", spec.hostname)
    return env


def exec_payload(spec: SandboxSpec, sync_fd: int, env: Mapping[str, str]) -> None:
    """Reset signal state, announce the exec on the sync pipe, and execve (never returns)."""
    # Python ignores SIGPIPE and SIGXFSZ; ignored dispositions survive execve.
    for sig in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    # setuid cleared the parent-death signal, so it is set again as late as possible.
    syscalls.set_pdeathsig(signal.SIGKILL)
    send(sync_fd, f"exec {time.monotonic_ns()}")
    try:
        os.execvpe(spec.argv[0], list(spec.argv), dict(env))
    except OSError as error:
        send(sync_fd, f"error exec {spec.argv[0]}: {error.strerror} (errno {error.errno})")
        os._exit(127)


_ACTIONS: dict[StepKind, Callable[[PayloadContext], None]] = {
    StepKind.MAKE_ROOT_PRIVATE: lambda ctx: syscalls.mount(
        None, "/", None, syscalls.MS_REC | syscalls.MS_PRIVATE),
    StepKind.MOUNT_ROOTFS: _mount_rootfs,
    StepKind.MOUNT_PROC: _mount_proc,
    StepKind.MOUNT_DEV: _mount_dev,
    StepKind.MOUNT_TMP: _mount_tmp,
    StepKind.BIND_ETC: _bind_etc,
    StepKind.LOOPBACK_UP: lambda ctx: syscalls.set_link_up("lo"),
    StepKind.SET_HOSTNAME: lambda ctx: syscalls.sethostname(ctx.plan.spec.hostname),
    StepKind.PIVOT_ROOT: _pivot_root,
    StepKind.UMOUNT_OLD_ROOT: _umount_old_root,
    StepKind.READONLY_ROOT: _readonly_root,
    StepKind.DROP_CAPS: drop_caps,
    StepKind.SET_USER: lambda ctx: set_user(ctx.plan.spec, ctx.plan.user_namespace),
    StepKind.NO_NEW_PRIVS: lambda ctx: syscalls.set_no_new_privs(),
    StepKind.CHDIR: lambda ctx: os.chdir(ctx.plan.spec.cwd),
}


def run_steps(ctx: PayloadContext, actor: Actor) -> None:
    """Run one actor's mount/namespace steps in plan order (EXEC and forks are not here)."""
    for step in ctx.plan.kinds(actor):
        action = _ACTIONS.get(step)
        if action is not None:
            try:
                action(ctx)
            except OSError as error:
                raise OSError(error.errno, f"{step.value}: {error.strerror or error}") from error


def run_payload(ctx: PayloadContext) -> None:
    """Run PID 1's steps, then exec; report the failing step and exit 127."""
    try:
        run_steps(ctx, Actor.PAYLOAD)
        exec_payload(ctx.plan.spec, ctx.sync_fd, environment(ctx.plan.spec))
    except OSError as error:
        send(ctx.sync_fd, f"error {error.strerror} (errno {error.errno})")
    os._exit(127)
