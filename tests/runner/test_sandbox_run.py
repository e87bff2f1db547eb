"""Real sandbox runs on this host (root + cgroup v1 here; rootless elsewhere)."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from pylint_image.linter.errors import SandboxError
from pylint_image.runner.sandbox import Confinement, Limits, SandboxSpec, run, start
from tests.support.sandbox_leaks import leftovers

pytestmark = [pytest.mark.sandbox, pytest.mark.usefixtures("no_leaks")]


def sh(rootfs: Path, script: str, **kw) -> SandboxSpec:
    return SandboxSpec(rootfs=rootfs, argv=("sh", "-c", script), **kw)


def test_echo_output_is_captured(rootfs):
    result = run(sh(rootfs, "echo hello; echo oops >&2"))
    assert (result.exit_code, result.signal) == (0, None)
    assert result.stdout == b"hello\n"
    assert result.stderr == b"oops\n"
    assert result.start_overhead is not None and 0 < result.start_overhead < result.duration


def test_exit_code_and_signal_are_reported(rootfs):
    assert run(sh(rootfs, "exit 7")).exit_code == 7
    killed = run(sh(rootfs, "kill -SEGV $$; sleep 0.2"))
    # PID 1 ignores signals it has no handler for, even SEGV sent by itself: Docker behaves alike.
    assert killed.exit_code == 0 and killed.signal is None
    child = run(sh(rootfs, "sh -c 'kill -SEGV $$'; echo status=$?"))
    assert child.stdout == b"status=139\n"


def test_user_switch_and_groups(rootfs):
    result = run(SandboxSpec(rootfs=rootfs, argv=("id",), uid=1000, gid=1000, groups=(1000,)))
    assert result.stdout == b"uid=1000(app) gid=1000(app) groups=1000(app)\n"


def _status(result) -> dict[str, str]:
    return dict(line.split(":\t", 1) for line in result.stdout.decode().splitlines() if ":\t" in line)


def test_root_keeps_only_docker_default_capabilities(rootfs):
    status = _status(run(sh(rootfs, "cat /proc/self/status")))
    assert int(status["CapBnd"], 16) == 0xA80425FB   # Docker's default set
    assert int(status["CapEff"], 16) == 0xA80425FB
    assert int(status["CapInh"], 16) == 0 and int(status["CapAmb"], 16) == 0
    assert (status["NoNewPrivs"], status["Seccomp"]) == ("0", "2")   # docker run's defaults
    tight = _status(run(sh(rootfs, "cat /proc/self/status",
                           confinement=Confinement(no_new_privileges=True))))
    assert tight["NoNewPrivs"] == "1"
    loose = _status(run(sh(rootfs, "cat /proc/self/status", confinement=Confinement(unconfined=True))))
    assert loose["Seccomp"] == "0"


def test_default_hostname_is_twelve_hex_digits(rootfs):
    name = run(sh(rootfs, "hostname; cat /etc/hostname")).stdout.decode().split()
    assert name[0] == name[1] and len(name[0]) == 12 and int(name[0], 16) >= 0


def test_hostname_etc_and_workdir(rootfs):
    result = run(sh(rootfs, "hostname; cat /etc/hostname; pwd; cat /etc/hosts", hostname="web-1",
                    cwd="/home/app", env=(("FOO", "bar"),)))
    lines = result.stdout.decode().splitlines()
    assert lines[:3] == ["web-1", "web-1", "/home/app"]
    assert "127.0.0.1\tlocalhost" in lines


def test_environment_is_exactly_the_spec_plus_docker_defaults(rootfs):
    result = run(SandboxSpec(rootfs=rootfs, argv=("env",), env=(("FOO", "bar"),), hostname="h"))
    assert sorted(result.stdout.decode().split()) == sorted(
        ["FOO=bar", "HOSTNAME=h", "HOME=/root",   # HOME from the image's passwd, as runc does
         "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"])


def test_proc_shows_only_the_container(rootfs):
    result = run(sh(rootfs, "ls /proc | grep -E '^[0-9]+$' | wc -l; echo $$"))
    count, own = result.stdout.decode().split()
    assert own == "1"
    assert int(count) <= 4   # sh, ls, grep-less wc pipeline members: never the host's hundreds


def test_network_has_its_own_address_and_no_way_out(rootfs, support):
    up = run(sh(rootfs, "cat /proc/net/dev; cat /proc/net/route"))
    lines = up.stdout.decode().splitlines()
    interfaces = sorted(l.split(":")[0].strip() for l in lines[2:] if ":" in l and "|" not in l)
    # Root: lo plus eth0 (a veth whose peer is in the same namespace); rootless: lo only.
    assert interfaces == (["eth0", "eth0-peer", "lo"] if support.is_root else ["lo"])
    assert not any(line.split()[1] == "00000000" for line in lines if line.startswith("eth"))   # no default route
    script = ("httpd -p 127.0.0.1:81 && echo | nc 127.0.0.1 81 && echo connected; "
              "echo | nc -w 1 192.0.2.1 80 || echo unreachable")
    out = run(sh(rootfs, script)).stdout
    assert b"connected" in out and b"unreachable" in out


def test_hostname_resolves_to_the_containers_own_address(rootfs, support):
    if not support.is_root:
        pytest.skip("the container's own address needs root (rootless has lo only)")
    with start(sh(rootfs, 'exec httpd -f -p "$(hostname -i):8080"')) as box:
        deadline = time.monotonic() + 5
        while not box.listening_sockets() and time.monotonic() < deadline:
            time.sleep(0.02)
        (sock,) = box.listening_sockets()
        assert (sock.address, sock.port, sock.loopback) == (box.address, 8080, False)
        assert box.connect_tcp(8080, box.address) and not box.connect_tcp(8080, "127.0.0.1")
    hosts = run(sh(rootfs, "cat /etc/hosts")).stdout.decode().splitlines()
    assert hosts[0] == "127.0.0.1\tlocalhost" and hosts[-1].startswith("172.17.0.2\t")


def test_missing_entrypoint_is_a_setup_error(rootfs):
    result = run(SandboxSpec(rootfs=rootfs, argv=("/app/server",)))
    assert result.exit_code == 127
    assert "no such file or directory" in result.setup_error.lower()
    assert result.start_overhead is None


def test_missing_workdir_is_created(rootfs):
    result = run(SandboxSpec(rootfs=rootfs, argv=("pwd",), cwd="/nope/deeper"))
    assert (result.exit_code, result.stdout) == (0, b"/nope/deeper\n")


def test_timeout_kills_the_tree(rootfs):
    result = run(sh(rootfs, "sleep 60 & sleep 60", timeout=0.5))
    assert result.timed_out and result.signal == signal.SIGKILL


def test_memory_hog_is_oom_killed(rootfs):
    result = run(sh(rootfs, "x=0123456789abcdef; while :; do x=$x$x; done",
                    limits=Limits(memory_bytes=32 * 1024 * 1024)))
    assert result.signal == signal.SIGKILL and not result.timed_out
    if result.usage.enforced_by != "rlimit":
        assert result.oom_killed
        assert result.usage.memory_peak >= 30 * 1024 * 1024


def test_fork_bomb_is_contained(rootfs):
    result = run(sh(rootfs, "b(){ b | b & }; b; sleep 1; echo survived", limits=Limits(pids=40),
                    timeout=10))
    assert result.pids_limited
    assert b"can't fork" in result.stderr
    assert run(sh(rootfs, "echo fine")).stdout == b"fine\n"   # the host still forks fine


def test_output_is_bounded_to_its_tail(rootfs):
    result = run(sh(rootfs, "i=0; while [ $i -lt 3000 ]; do echo line$i; i=$((i+1)); done",
                    capture_bytes=100))
    assert result.truncated and len(result.stdout) == 100
    assert result.stdout.endswith(b"line2999\n")


def test_running_sandbox_ports_exec_and_stop(rootfs):
    spec = sh(rootfs, "httpd -p 0.0.0.0:8080; httpd -p 127.0.0.1:9090; exec sleep 300")
    with start(spec) as box:
        deadline = time.monotonic() + 5
        while len(box.listening_sockets()) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        sockets = {(s.port, s.wildcard, s.loopback) for s in box.listening_sockets()}
        assert sockets == {(8080, True, False), (9090, False, True)}
        assert box.connect_tcp(8080) and box.connect_tcp(9090)
        assert not box.connect_tcp(8081)
        inside = box.exec_in(("sh", "-c", "hostname; ps -o pid,comm"))
        assert inside.exit_code == 0 and box.hostname.encode() in inside.stdout
        assert b"sleep" in inside.stdout
        assert box.stats().pids_current >= 3
        box.send_signal(signal.SIGTERM)   # PID 1 (sleep) has no handler: ignored
        assert box.wait(0.3) is None
        assert box.poll() is None
    result = box.close()
    assert result.signal == signal.SIGKILL


def test_pid1_with_handler_stops_on_signal(rootfs):
    with start(sh(rootfs, "trap 'exit 0' TERM; while :; do sleep 0.05; done")) as box:
        time.sleep(0.1)
        box.send_signal(signal.SIGTERM)
        result = box.wait(5)
    assert result is not None and result.exit_code == 0


def test_readonly_rootfs(rootfs):
    result = run(sh(rootfs, "touch /x 2>&1; touch /dev/shm/y && echo shm-ok", readonly_rootfs=True))
    assert b"Read-only file system" in result.stdout and b"shm-ok" in result.stdout


def test_bad_spec_raises_before_anything_runs(rootfs):
    with pytest.raises(SandboxError, match="not a directory"):
        run(SandboxSpec(rootfs=rootfs / "missing", argv=("true",)))


def test_exec_in_timeout_and_failure(rootfs):
    with start(sh(rootfs, "exec sleep 300")) as box:
        slow = box.exec_in(("sleep", "30"), timeout=0.3)
        assert slow.timed_out and slow.signal == signal.SIGKILL
        missing = box.exec_in(("/no/such/probe",))
        assert missing.exit_code == 127 and "no such file" in missing.setup_error.lower()
        assert box.poll() is None   # the container itself is unaffected


def test_exec_ends_with_its_command_even_when_a_child_holds_its_output(rootfs):
    with start(sh(rootfs, "exec sleep 300")) as box:
        # The command's exit status counts, as with docker exec, whoever still holds stdout.
        holding = box.exec_in(("sh", "-c", "sleep 1000 & echo hi; exit 4"), timeout=60)
        assert (holding.exit_code, holding.stdout, holding.timed_out) == (4, b"hi\n", False)
        assert holding.duration < 30   # the 2 s drain after the exit, not the child's 1000 s
        hung = box.exec_in(("sh", "-c", "sleep 2000 & exec sleep 3000"), timeout=0.5)
        assert hung.timed_out and hung.signal == signal.SIGKILL
        ps = box.exec_in(("ps", "-o", "args")).stdout.decode()
        assert "sleep 3000" not in ps and "sleep 2000" not in ps   # the hung command's tree is gone
        assert "sleep 1000" in ps      # a finished command's orphan lives on, as under Docker
        assert box.poll() is None      # the container itself is unaffected


def test_leftovers_sees_a_live_sandbox_and_nothing_after_close(rootfs):
    box = start(sh(rootfs, "exec sleep 300"))
    try:
        live = leftovers(box)
        assert {f"container PID 1 {box.pid}", f"bundle {box.run_dir}"} <= live
        assert any(item.startswith("cgroup ") for item in live) or box.cgroup is None
    finally:
        box.close()
    assert leftovers(box) == set()
