"""Thin ctypes wrappers for the Linux calls Python 3.11 lacks (unshare, setns, mount, pivot_root...).

This is the sandbox's narrow syscall boundary: only ``linux.py``, ``process.py`` and
``runner/rootfs.py`` call it, and every wrapper raises ``OSError`` with the real errno.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import platform
import socket
import struct
from pathlib import Path

_libc = ctypes.CDLL(None, use_errno=True)

# unshare(2) / setns(2) namespace flags.
CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

# mount(2) flags.
MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_REMOUNT = 0x20
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000
MS_SLAVE = 0x80000
MNT_DETACH = 0x2

# prctl(2) options.
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4

_SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}
_LINUX_CAPABILITY_VERSION_3 = 0x20080522

# Docker's default capability set (moby oci/caps/defaults.go), as capability numbers.
DOCKER_DEFAULT_CAPS = frozenset({
    0,   # CHOWN
    1,   # DAC_OVERRIDE
    3,   # FOWNER
    4,   # FSETID
    5,   # KILL
    6,   # SETGID
    7,   # SETUID
    8,   # SETPCAP
    10,  # NET_BIND_SERVICE
    13,  # NET_RAW
    18,  # SYS_CHROOT
    27,  # MKNOD
    29,  # AUDIT_WRITE
    31,  # SETFCAP
})

_IFF_UP = 0x1
_IFREQ = "16sh22x"
_SIOCGIFFLAGS = 0x8913
_SIOCSIFFLAGS = 0x8914


def _check(result: int, what: str, detail: str = "") -> int:
    """Raise OSError carrying errno when a libc call returned -1."""
    if result == -1:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}" + (f" ({detail})" if detail else ""))
    return result


def _bytes(value: str | os.PathLike[str] | None) -> bytes | None:
    return None if value is None else os.fsencode(value)


def unshare(flags: int) -> None:
    """Move the calling process into new namespaces (unshare(2))."""
    _check(_libc.unshare(ctypes.c_int(flags)), "unshare", hex(flags))


def setns(fd: int, nstype: int = 0) -> None:
    """Join the namespace referred to by ``fd`` (setns(2))."""
    _check(_libc.setns(ctypes.c_int(fd), ctypes.c_int(nstype)), "setns")


def mount(source: str | None, target: str | os.PathLike[str], fstype: str | None,
          flags: int = 0, data: str | None = None) -> None:
    """Mount a filesystem (mount(2))."""
    result = _libc.mount(_bytes(source), _bytes(target), _bytes(fstype),
                         ctypes.c_ulong(flags), _bytes(data))
    _check(result, "mount", f"{source} -> {target} ({fstype})")


def umount2(target: str | os.PathLike[str], flags: int = 0) -> None:
    """Unmount a filesystem (umount2(2))."""
    _check(_libc.umount2(_bytes(target), ctypes.c_int(flags)), "umount2", str(target))


def pivot_root(new_root: str | os.PathLike[str], put_old: str | os.PathLike[str]) -> None:
    """Change the root mount of the calling mount namespace (pivot_root(2), no glibc wrapper)."""
    number = _SYS_PIVOT_ROOT.get(platform.machine())
    if number is None:
        raise OSError(38, f"pivot_root: unsupported architecture {platform.machine()}")
    result = _libc.syscall(ctypes.c_long(number), _bytes(new_root), _bytes(put_old))
    _check(result, "pivot_root", str(new_root))


def sethostname(name: str) -> None:
    """Set the UTS namespace's hostname (sethostname(2))."""
    raw = name.encode()
    _check(_libc.sethostname(raw, ctypes.c_size_t(len(raw))), "sethostname", name)


def _prctl(option: int, arg2: int = 0, arg3: int = 0) -> int:
    return _check(_libc.prctl(ctypes.c_int(option), ctypes.c_ulong(arg2), ctypes.c_ulong(arg3),
                              ctypes.c_ulong(0), ctypes.c_ulong(0)), "prctl", str(option))


def set_no_new_privs() -> None:
    """Forbid privilege gains through execve (setuid bits, file capabilities)."""
    _prctl(PR_SET_NO_NEW_PRIVS, 1)


def set_pdeathsig(sig: int) -> None:
    """Ask the kernel to send ``sig`` to this process when its parent dies."""
    _prctl(PR_SET_PDEATHSIG, sig)


def set_child_subreaper() -> None:
    """Make orphaned descendants re-parent to this process instead of init."""
    _prctl(PR_SET_CHILD_SUBREAPER, 1)


def last_cap() -> int:
    """Return the highest capability number the running kernel knows."""
    return int(Path("/proc/sys/kernel/cap_last_cap").read_text())


def drop_bounding_caps(keep: frozenset[int]) -> None:
    """Remove every capability not in ``keep`` from the bounding set (needs CAP_SETPCAP)."""
    for cap in range(last_cap() + 1):
        if cap not in keep:
            _prctl(PR_CAPBSET_DROP, cap)


def clear_ambient_caps() -> None:
    """Clear the ambient capability set so nothing leaks into a non-root execve."""
    _prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)


def capset(effective: frozenset[int], permitted: frozenset[int],
           inheritable: frozenset[int]) -> None:
    """Set the calling thread's capability sets (capset(2), version 3, 64 capabilities)."""
    def words(caps: frozenset[int]) -> tuple[int, int]:
        mask = sum(1 << c for c in caps)
        return mask & 0xFFFFFFFF, mask >> 32

    header = (ctypes.c_uint32 * 2)(_LINUX_CAPABILITY_VERSION_3, 0)
    eff, perm, inh = words(effective), words(permitted), words(inheritable)
    data = (ctypes.c_uint32 * 6)(eff[0], perm[0], inh[0], eff[1], perm[1], inh[1])
    _check(_libc.capset(header, data), "capset")


def set_link_up(name: str = "lo") -> None:
    """Bring a network interface up in the current network namespace (SIOCSIFFLAGS)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        # struct ifreq is 40 bytes: a 16-byte name, then a union whose first short is the flags.
        current = fcntl.ioctl(sock.fileno(), _SIOCGIFFLAGS, struct.pack(_IFREQ, name.encode(), 0))
        flags = struct.unpack(_IFREQ, current)[1]
        fcntl.ioctl(sock.fileno(), _SIOCSIFFLAGS, struct.pack(_IFREQ, name.encode(), flags | _IFF_UP))
