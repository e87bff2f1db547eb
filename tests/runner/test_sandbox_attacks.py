"""Issue 8's attacks on a running container, each tried under ``docker run`` and under our sandbox.

Docker is the oracle: every attack runs the same probe (``tests/support/probe.c``) or the same
busybox script in both, the outcomes must be equal, and the host must be unchanged after each.
The hang attacks have no Docker counterpart to wait for: they are bounded by exec_in's deadline.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from pylint_image.runner.sandbox import (Limits, OverlayRoot, SandboxResult, SandboxSpec, SandboxSupport,
                                         run, start)
from tests.support.probe_image import DockerContainer, DockerRun, docker_run, parse_report

pytestmark = [pytest.mark.sandbox, pytest.mark.docker, pytest.mark.usefixtures("no_leaks")]

MIB = 1 << 20
LIMITS = Limits(memory_bytes=256 * MIB, pids=64, cpus=1.0)
DOCKER_LIMITS = ("--network", "none", "--memory", "256m", "--pids-limit", "64", "--cpus", "1")
SLEEPER = ("/bin/sleep", "300")


@pytest.fixture
def root(support: SandboxSupport, probe_root: Path, tmp_path: Path) -> Path | OverlayRoot:
    """The probe rootfs for one test: an overlay as verify mounts images, else a private copy."""
    if support.overlay:
        return OverlayRoot((probe_root,))
    return Path(shutil.copytree(probe_root, tmp_path / "rootfs", symlinks=True))


def both(image: str, root: Path | OverlayRoot, argv: tuple[str, ...], limits: Limits = LIMITS,
         docker_limits: tuple[str, ...] = DOCKER_LIMITS, timeout: float = 60.0) -> tuple[DockerRun, SandboxResult]:
    """Run ``argv`` under ``docker run`` (kept until inspected, then removed) and under the sandbox."""
    docker = docker_run(image, docker_limits, argv, timeout=timeout)
    ours = run(SandboxSpec(rootfs=root, argv=argv, limits=limits, timeout=timeout))
    assert ours.setup_error is None, ours.setup_error
    return docker, ours


def reports(image: str, root: Path | OverlayRoot) -> tuple[dict[str, Any], dict[str, Any]]:
    """The probe's full report under Docker and under the sandbox."""
    docker, ours = both(image, root, ("/probe", "report"))
    assert docker.exit_code == 0 and ours.exit_code == 0, (docker.stderr[-2000:], ours.stderr[-2000:])
    return parse_report(docker.stdout, "docker"), parse_report(ours.stdout, "sandbox")


def shell_outcome(result: DockerRun | SandboxResult) -> tuple[int | None, str, str]:
    """Exit status and output of a busybox script, comparable between Docker and the sandbox."""
    code = result.exit_code
    if isinstance(result, SandboxResult) and result.signal is not None:
        code = 128 + result.signal   # docker run reports a signal death as 128 + N
    return code, result.stdout.decode(errors="replace"), result.stderr.decode(errors="replace")


def host_node(path: str) -> tuple[int, int, int, int, int, int]:
    """What a container must never change about a host device node: inode, mode, rdev, owner, ctime."""
    st = os.stat(path, follow_symlinks=False)
    return st.st_ino, st.st_mode, st.st_rdev, st.st_uid, st.st_gid, st.st_ctime_ns


def test_proc_sys_write_does_not_reach_the_host(probe_image: str, root: Path | OverlayRoot) -> None:
    """A /proc/sys write fails as under Docker (same value and a new one), and the host keeps its value."""
    host = Path("/proc/sys/kernel/printk_ratelimit")
    before = host.read_text()
    script = ("v=$(cat /proc/sys/kernel/printk_ratelimit); echo $((v + 1)) > /proc/sys/kernel/printk_ratelimit;"
              " echo status=$?; echo $v > /proc/sys/kernel/printk_ratelimit; echo status=$?")
    try:
        docker, ours = both(probe_image, root, ("sh", "-c", script))
        assert host.read_text() == before, "the host's kernel.printk_ratelimit changed"
    finally:
        if host.read_text() != before:
            host.write_text(before)
    assert shell_outcome(ours) == shell_outcome(docker)
    docker_report, our_report = reports(probe_image, root)
    assert our_report["sysctl"] == docker_report["sysctl"]
    assert our_report["sysctl"]["printk_ratelimit_open"] != "ok"
    assert host.read_text() == before


def test_mknod_cannot_open_host_devices(probe_image: str, root: Path | OverlayRoot) -> None:
    """mknod of kvm, loop, mem and disk nodes then open: the same errnos as Docker, never an open device."""
    docker, ours = reports(probe_image, root)
    assert ours["mknod"] == docker["mknod"]
    host_devices = [path for path in ours["mknod"] if any(name in path for name in ("kvm", "loop", "mem", "sda", "vda"))]
    assert host_devices and all(ours["mknod"][path].get("open") != "ok" for path in host_devices), ours["mknod"]


def test_user_namespaces_cannot_be_created(probe_image: str, root: Path | OverlayRoot) -> None:
    """unshare/clone/clone3 with CLONE_NEWUSER and busybox ``unshare -U`` fail as under Docker."""
    docker, ours = reports(probe_image, root)
    calls = ("unshare_user", "clone_newuser", "clone3_newuser", "unshare_ns", "setns_mnt")
    assert {c: ours["syscalls"][c] for c in calls} == {c: docker["syscalls"][c] for c in calls}
    assert all(ours["syscalls"][c] != "ok" for c in calls), ours["syscalls"]
    docker_sh, ours_sh = both(probe_image, root, ("unshare", "-U", "-r", "id", "-u"))
    assert shell_outcome(ours_sh) == shell_outcome(docker_sh)
    assert ours_sh.exit_code != 0


def test_cgroup_cannot_be_remounted_nor_its_limits_lifted(probe_image: str, root: Path | OverlayRoot) -> None:
    """Writes to the container's own limit files and cgroup (re)mounts fail as under Docker; limits stay."""
    docker, ours = reports(probe_image, root)
    attempts = {key: (value["write"], value["value_after"] == value["value"]) if isinstance(value, dict) else value
                for key, value in ours["cgroup"].items()}
    oracle = {key: (value["write"], value["value_after"] == value["value"]) if isinstance(value, dict) else value
              for key, value in docker["cgroup"].items()}
    assert attempts == oracle
    assert all(outcome != "ok" and outcome != ("ok", False) for outcome in attempts.values()), attempts
    limits = {path: value["value"] for path, value in ours["cgroup"].items()
              if isinstance(value, dict) and ("limit_in_bytes" in path or path.endswith((".max", "quota_us")))}
    assert str(LIMITS.memory_bytes) in limits.values() and str(LIMITS.pids) in limits.values(), limits


def test_memory_hog_that_lifts_its_limit_is_oom_killed_within_it(probe_image: str, root: Path | OverlayRoot) -> None:
    """A hog that first tries to lift its memory limit is OOM-killed as under Docker; the peak stays within."""
    limits = Limits(memory_bytes=64 * MIB, pids=64, cpus=1.0)
    docker, ours = both(probe_image, root, ("/probe", "lift-hog"), limits,
                        ("--network", "none", "--memory", "64m", "--pids-limit", "64", "--cpus", "1"))
    assert (docker.exit_code, docker.oom_killed) == (128 + signal.SIGKILL, True), docker.stderr[-500:]
    assert (ours.signal, ours.oom_killed, ours.timed_out) == (signal.SIGKILL, True, False)
    assert ours.usage.memory_peak is not None and ours.usage.memory_peak <= limits.memory_bytes


def test_fork_bomb_that_lifts_its_limit_stays_within_pids(probe_image: str, root: Path | OverlayRoot) -> None:
    """A fork loop that first tries to lift pids.max forks exactly as many children as under Docker."""
    docker, ours = both(probe_image, root, ("/probe", "lift-fork", "1000"))
    assert docker.exit_code == 0 and ours.exit_code == 0, (docker.stderr[-500:], ours.stderr[-500:])
    forked = json.loads(ours.stdout)
    assert forked == json.loads(docker.stdout)
    assert forked["forked"] + 1 <= LIMITS.pids and forked["errno"] != "none", forked
    assert ours.pids_limited


def test_cpu_limit_cannot_be_lifted(probe_image: str, root: Path | OverlayRoot) -> None:
    """Two spinning processes that first try to lift the CPU quota get the quota, as under Docker."""
    cpus = 0.3   # well below what this host gives two spinners, so that the limit is what holds them
    argv = ("/probe", "lift-spin", "2")
    docker, ours = both(probe_image, root, argv, Limits(256 * MIB, 64, cpus),
                        ("--network", "none", "--memory", "256m", "--pids-limit", "64", "--cpus", str(cpus)))
    free = run(SandboxSpec(rootfs=root, argv=argv, limits=Limits(256 * MIB, 64, None)))
    rate = {who: _cpu_rate(result.stdout) for who, result in (("docker", docker), ("ours", ours), ("free", free))}
    assert rate["free"] > cpus + 0.3, f"the host itself gives less than the limit: {rate}"
    assert abs(rate["ours"] - rate["docker"]) <= 0.1, rate
    assert rate["ours"] <= cpus + 0.1, rate


def _cpu_rate(stdout: bytes) -> float:
    """CPU seconds per wall second from the probe's ``lift-spin`` line."""
    report = json.loads(stdout)
    return round(report["cpu_seconds"] / report["wall_seconds"], 2)


def test_keyctl_cannot_add_keys(probe_image: str, root: Path | OverlayRoot) -> None:
    """add_key, request_key and joining a session keyring fail as under Docker; the host has no probe key."""
    docker, ours = reports(probe_image, root)
    calls = ("add_key_session", "add_key_user", "keyctl_join_session", "request_key")
    assert {c: ours["syscalls"][c] for c in calls} == {c: docker["syscalls"][c] for c in calls}
    assert all(ours["syscalls"][c] != "ok" for c in calls), ours["syscalls"]
    assert "pylint-image-probe" not in Path("/proc/keys").read_text()


def test_host_dev_null_and_full_stay_unchanged(probe_image: str, root: Path | OverlayRoot) -> None:
    """A container that chmods, writes, removes and replaces /dev/null and /dev/full leaves the host's alone."""
    before = {path: host_node(path) for path in ("/dev/null", "/dev/full")}
    script = ("chmod 0600 /dev/null /dev/full; echo x > /dev/null; echo status=$?; echo x > /dev/full;"
              " echo status=$?; stat -c '%n %F %t:%T %a %u:%g' /dev/null /dev/full;"
              " rm -f /dev/null /dev/full; echo status=$?; mknod /dev/null c 1 7; echo status=$?;"
              " stat -c '%n %F %t:%T %a' /dev/null; ls /dev")
    docker, ours = both(probe_image, root, ("sh", "-c", script))
    assert shell_outcome(ours) == shell_outcome(docker)
    assert {path: host_node(path) for path in before} == before
    docker_report, our_report = reports(probe_image, root)
    assert our_report["dev"] == docker_report["dev"]
    assert our_report["dev"]["fstype"] == "tmpfs"


def test_timer_list_reads_as_masked(probe_image: str, root: Path | OverlayRoot) -> None:
    """/proc/timer_list and the other masked paths read as under Docker: empty."""
    docker, ours = reports(probe_image, root)
    assert ours["masked"] == docker["masked"]
    assert ours["masked"]["/proc/timer_list"].get("content") is False, ours["masked"]["/proc/timer_list"]
    docker_sh, ours_sh = both(probe_image, root, ("sh", "-c", "cat /proc/timer_list | wc -c"))
    assert shell_outcome(ours_sh) == shell_outcome(docker_sh)
    assert ours_sh.stdout.strip() == b"0"


def test_inheritable_and_ambient_capabilities_are_empty(probe_image: str, root: Path | OverlayRoot) -> None:
    """CapInh and CapAmb equal Docker's (empty since CVE-2022-24769) for PID 1 and for exec."""
    docker, ours = reports(probe_image, root)
    with DockerContainer(probe_image, DOCKER_LIMITS, SLEEPER) as container:
        docker_exec = parse_report(container.exec(("/probe", "report")).stdout, "docker exec")
    with start(SandboxSpec(rootfs=root, argv=SLEEPER, limits=LIMITS)) as box:
        our_exec = parse_report(box.exec_in(("/probe", "report")).stdout, "sandbox exec")
    for name in ("CapInh", "CapAmb"):
        assert (ours["status"][name], our_exec["status"][name]) == (docker["status"][name],
                                                                      docker_exec["status"][name])
        assert int(ours["status"][name], 16) == 0 and int(our_exec["status"][name], 16) == 0


def test_exec_leaving_a_background_child_returns_with_its_status(probe_image: str,
                                                                 root: Path | OverlayRoot) -> None:
    """A HEALTHCHECK-like exec whose background child holds stdout ends with the command, as docker exec."""
    argv = ("sh", "-c", "sleep 1000 & echo hi; exit 3")
    with DockerContainer(probe_image, DOCKER_LIMITS, SLEEPER) as container:
        docker = container.exec(argv, timeout=60)
    with start(SandboxSpec(rootfs=root, argv=SLEEPER, limits=LIMITS)) as box:
        ours = box.exec_in(argv, timeout=60)
    assert (ours.exit_code, ours.stdout) == (docker.returncode, docker.stdout) == (3, b"hi\n")
    # Both wait a short, fixed drain after the exit (moby: 2 s), never the child's 1000 s.
    assert not ours.timed_out and ours.duration < 30, (ours.timed_out, ours.signal, ours.duration)


def test_exec_that_never_ends_is_killed_with_its_children(root: Path | OverlayRoot) -> None:
    """An exec still running at its timeout is SIGKILLed with every child; the container lives on."""
    with start(SandboxSpec(rootfs=root, argv=SLEEPER, limits=LIMITS)) as box:
        started = time.monotonic()
        ours = box.exec_in(("sh", "-c", "sleep 1001 & sleep 1002 & sleep 1003"), timeout=1)
        elapsed = time.monotonic() - started
        left = _pids_running(("sleep", "1001"), ("sleep", "1002"), ("sleep", "1003"))
        assert box.poll() is None
    assert ours.timed_out and ours.signal == signal.SIGKILL, (ours.exit_code, ours.signal)
    assert elapsed < 3, elapsed
    assert left == [], f"exec children survived its timeout: {left}"


def _pids_running(*argvs: tuple[str, ...]) -> list[int]:
    """Host pids whose command line is one of ``argvs``."""
    wanted = {"\0".join(argv) + "\0" for argv in argvs}
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "cmdline").read_text() in wanted:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found
