"""The OCI bundle's ``config.json``: what ``docker run`` with default settings generates for an image.

Pure: :func:`build_config` turns a :class:`SandboxSpec` plus this host's support into the
runtime spec. The defaults below were read off a container Docker 20.10 started on this
project's CI machine, not written from memory, and ``tests/runner/test_containment_parity.py``
keeps what a container can see and do equal to Docker's: capabilities, masked and read-only
paths, the device allow-list, the mounts, the sysctls and the seccomp profile.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pylint_image.linter.model.frozen import frozen

from .seccomp import DOCKER_DEFAULT_CAPS as DOCKER_CAPS
from .spec import Limits, SandboxSpec
from .support import IdMapMode, SandboxSupport

OCI_VERSION = "1.0.2-dev"
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
CPU_PERIOD_US = 100_000
MASKED_PATHS = ("/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
                "/sys/firmware")
READONLY_PATHS = ("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger")
SYSCTLS = {"net.ipv4.ip_unprivileged_port_start": "0", "net.ipv4.ping_group_range": "0 2147483647"}
# Deny everything, then allow null, zero, full, random, urandom, tty, the pty master and
# slaves; /dev/net/tun (10:229) is denied explicitly, as Docker does.
_DEVICES = ((True, "c", 1, 5), (True, "c", 1, 3), (True, "c", 1, 9), (True, "c", 1, 8),
            (True, "c", 5, 0), (True, "c", 5, 1), (False, "c", 10, 229))
_NOSUID_NOEXEC_NODEV = ["nosuid", "noexec", "nodev"]


@frozen
class BundleParts:
    """What the runtime spec points at outside itself: rootfs, generated /etc files, cgroup."""

    rootfs: Path
    etc_dir: Path                 # holds hosts, hostname and resolv.conf, bind-mounted read-write
    hostname: str
    cgroups_path: str | None      # None: no cgroup (rootless without delegation)
    seccomp: Mapping[str, Any] | None
    netns: Path | None = None     # a prepared network namespace to join; None: the runtime makes one


def device_rules() -> list[dict[str, Any]]:
    """Docker's default cgroup device allow-list."""
    rules: list[dict[str, Any]] = [{"allow": False, "access": "rwm"}]
    rules += [{"allow": allow, "type": kind, "major": major, "minor": minor, "access": "rwm"}
              for allow, kind, major, minor in _DEVICES]
    return rules


def environment(spec: SandboxSpec, hostname: str) -> list[str]:
    """The image's ENV with Docker's additions: PATH when missing, then HOSTNAME."""
    env = dict(spec.env)
    env.setdefault("PATH", DEFAULT_PATH)
    env["HOSTNAME"] = hostname
    return [f"{key}={value}" for key, value in env.items()]


def user_of(spec: SandboxSpec, rootless: bool) -> dict[str, Any]:
    """uid, gid and groups; Docker lists the primary gid among the additional ones."""
    user: dict[str, Any] = {"uid": spec.uid, "gid": spec.gid}
    # A single-id user namespace has setgroups denied: runc refuses any additional group.
    if not rootless:
        user["additionalGids"] = list(dict.fromkeys((*spec.groups, spec.gid)))
    return user


def capabilities(uid: int) -> dict[str, list[str]]:
    """Docker's capability sets for a process of ``uid``: inheritable and ambient stay empty."""
    caps: dict[str, list[str]] = {"bounding": list(DOCKER_CAPS)}
    if uid == 0:
        # Docker gives a non-root user only the bounding set; the kernel would clear the
        # others at setuid anyway. No inheritable set: CVE-2022-24769.
        caps |= {"effective": list(DOCKER_CAPS), "permitted": list(DOCKER_CAPS)}
    return caps


def _process(spec: SandboxSpec, parts: BundleParts, rootless: bool,
             rootless_limits: bool) -> dict[str, Any]:
    """argv, env, cwd, user, capabilities and rlimits of PID 1."""
    process: dict[str, Any] = {
        "user": user_of(spec, rootless),
        "args": list(spec.argv), "env": environment(spec, parts.hostname), "cwd": spec.cwd,
        "capabilities": capabilities(spec.uid), "oomScoreAdj": 0, "terminal": False,
    }
    if spec.confinement.no_new_privileges:
        process["noNewPrivileges"] = True
    if rootless_limits:
        process["rlimits"] = _rlimits(spec.limits)
    return process


def _rlimits(limits: Limits) -> list[dict[str, Any]]:
    """Without a cgroup, bound the process count with RLIMIT_NPROC (weaker, but something).

    Memory stays unbounded there: an RLIMIT_AS would also bind the runtime's own init (a Go
    program that reserves gigabytes of address space), which then cannot even load seccomp.
    """
    if limits.pids is None:
        return []
    return [{"type": "RLIMIT_NPROC", "hard": limits.pids, "soft": limits.pids}]


def _mounts(parts: BundleParts, rootless: bool) -> list[dict[str, Any]]:
    """Docker's default mounts, plus the generated hosts, hostname and resolv.conf."""
    pts_options = ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]
    sysfs: dict[str, Any] = {"destination": "/sys", "type": "sysfs", "source": "sysfs",
                             "options": [*_NOSUID_NOEXEC_NODEV, "ro"]}
    if rootless:
        # An unprivileged user namespace may not set gid=5 on devpts, and runc's own
        # rootless spec binds /sys rather than mounting a sysfs.
        sysfs = {"destination": "/sys", "type": "none", "source": "/sys",
                 "options": ["rbind", *_NOSUID_NOEXEC_NODEV, "ro"]}
    else:
        pts_options.append("gid=5")
    mounts = [
        {"destination": "/proc", "type": "proc", "source": "proc", "options": list(_NOSUID_NOEXEC_NODEV)},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": pts_options},
        sysfs,
        {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
         "options": ["ro", *_NOSUID_NOEXEC_NODEV]},
        {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
         "options": list(_NOSUID_NOEXEC_NODEV)},
        {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
         "options": [*_NOSUID_NOEXEC_NODEV, "mode=1777", "size=67108864"]},
    ]
    mounts += [{"destination": f"/etc/{name}", "type": "bind", "source": str(parts.etc_dir / name),
                "options": ["rbind", "rprivate"]} for name in ("resolv.conf", "hostname", "hosts")]
    return mounts


def _resources(limits: Limits, with_cgroup: bool) -> dict[str, Any]:
    """The device allow-list and our memory, pids and CPU limits."""
    if not with_cgroup:
        return {}
    resources: dict[str, Any] = {"devices": device_rules()}
    if limits.memory_bytes is not None:
        # As docker run --memory without --memory-swap: as much swap again (memory+swap = 2x).
        resources["memory"] = {"limit": limits.memory_bytes, "swap": 2 * limits.memory_bytes}
    if limits.pids is not None:
        resources["pids"] = {"limit": limits.pids}
    if limits.cpus is not None:
        resources["cpu"] = {"quota": int(limits.cpus * CPU_PERIOD_US), "period": CPU_PERIOD_US}
    return resources


def _linux(spec: SandboxSpec, support: SandboxSupport, parts: BundleParts) -> dict[str, Any]:
    """Namespaces, id maps, sysctls, resources, seccomp, masked and read-only paths."""
    namespaces: list[dict[str, str]] = [{"type": t} for t in ("mount", "network", "uts", "pid", "ipc", "cgroup")]
    if parts.netns is not None:
        namespaces[1]["path"] = str(parts.netns)
    sysctls = dict(SYSCTLS)
    if support.idmap is IdMapMode.SINGLE:
        # The kernel takes only groups mapped into the user namespace: here just gid 0.
        sysctls["net.ipv4.ping_group_range"] = "0 0"
    linux: dict[str, Any] = {"sysctl": sysctls,
                             "resources": _resources(spec.limits, parts.cgroups_path is not None),
                             "namespaces": namespaces,
                             "maskedPaths": list(MASKED_PATHS), "readonlyPaths": list(READONLY_PATHS)}
    if parts.cgroups_path is not None:
        linux["cgroupsPath"] = parts.cgroups_path
    if support.idmap is IdMapMode.SINGLE:
        namespaces.append({"type": "user"})
        linux["uidMappings"] = [{"containerID": 0, "hostID": os.geteuid(), "size": 1}]
        linux["gidMappings"] = [{"containerID": 0, "hostID": os.getegid(), "size": 1}]
    if parts.seccomp is not None:
        linux["seccomp"] = dict(parts.seccomp)
    return linux


def build_config(spec: SandboxSpec, support: SandboxSupport, parts: BundleParts) -> dict[str, Any]:
    """The runtime spec for ``spec``: ``docker run``'s defaults, our limits, a loopback-only network."""
    rootless = support.idmap is IdMapMode.SINGLE
    return {
        "ociVersion": OCI_VERSION,
        "process": _process(spec, parts, rootless, rootless_limits=parts.cgroups_path is None),
        "root": {"path": str(parts.rootfs), "readonly": spec.readonly_rootfs},
        "hostname": parts.hostname,
        "mounts": _mounts(parts, rootless),
        "linux": _linux(spec, support, parts),
    }
