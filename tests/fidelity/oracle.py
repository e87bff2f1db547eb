"""Ground truth: run a case's image under Docker and record what really happens.

The sequence is the one a user sees with ``docker run`` + ``docker stop``: start the image
with verify's limits, wait until it exits, its declared ports listen (read inside its network
namespace with ``nsenter -t PID -n``) or the case's readiness deadline passes, read PID 1's
uid, env and cwd from /proc, wait for the HEALTHCHECK to decide, then time ``docker stop``
and read the exit code and OOMKilled from ``docker inspect``.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
import uuid
from pathlib import Path

from .cases import Case
from .verdicts import loopback, port_verdicts

GRACE = 3            # docker stop -t GRACE; verify --grace GRACE
NON_SERVICE_WAIT = 5.0   # what verify waits for an image with no EXPOSE/HEALTHCHECK (its start window)
LIMITS = ("--memory", "512m", "--memory-swap", "1g", "--pids-limit", "512", "--cpus", "1")   # verify's defaults
CONTAINER_PREFIX = "pylint-image-test-fidelity-"

_TCP_LISTEN, _UDP_UNCONNECTED = "0A", "07"


def _docker(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)


def _inspect(name: str) -> dict:
    out = _docker("inspect", name)
    return json.loads(out.stdout)[0] if out.returncode == 0 else {}


def _hex_address(text: str) -> str:
    """/proc/net address (little-endian 32-bit words) to dotted or colon form."""
    raw = bytes.fromhex(text)
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    if len(words) == 4:
        return ".".join(str(b) for b in words)
    import ipaddress
    return str(ipaddress.IPv6Address(words))


def parse_proc_net(text: str, protocol: str) -> list[tuple[str, int, str]]:
    """(address, port, protocol) of listening TCP and unconnected UDP sockets in a /proc/net table."""
    found = []
    for line in text.splitlines()[1:]:
        parts = line.split()
        if len(parts) < 4:
            continue
        address, _, port = parts[1].rpartition(":")
        if parts[3] == (_TCP_LISTEN if protocol == "tcp" else _UDP_UNCONNECTED):
            found.append((_hex_address(address), int(port, 16), protocol))
    return found


def sockets_of(pid: int) -> list[tuple[str, int, str]]:
    """The listening sockets in PID's network namespace, read inside it (nsenter -t PID -n)."""
    script = "for t in tcp tcp6 udp udp6; do echo \"== $t\"; cat /proc/net/$t 2>/dev/null; done"
    out = subprocess.run(["nsenter", "-t", str(pid), "-n", "sh", "-c", script],
                         capture_output=True, text=True, timeout=20)
    found = []
    for chunk in out.stdout.split("== ")[1:]:
        table, _, body = chunk.partition("\n")
        found += parse_proc_net(body, "udp" if table.startswith("udp") else "tcp")
    return found


def _pid1(pid: int) -> dict:
    """uid/gid, env and cwd of PID 1 from /proc (host view of the container's process)."""
    proc = Path(f"/proc/{pid}")
    try:
        status = (proc / "status").read_text()
        environ = (proc / "environ").read_bytes().split(b"\0")
        cwd = str((proc / "cwd").readlink())
        comm = (proc / "comm").read_text().strip()
    except OSError:
        return {}
    ids = {line.split(":")[0]: line.split()[1] for line in status.splitlines()
           if line.startswith(("Uid:", "Gid:"))}
    env = dict(e.decode(errors="replace").split("=", 1) for e in environ if b"=" in e)
    return {"uid": int(ids["Uid"]), "gid": int(ids["Gid"]), "env": env, "cwd": cwd, "comm": comm}


def _entrypoint(state: dict, logs: str) -> str:
    """The entrypoint verdict from Docker's own words (runc's error, or env's)."""
    error = state.get("Error", "")
    if error:
        if "permission denied" in error:
            return "not-executable"
        if "no such file or directory" in error or "executable file not found" in error:
            return "not-found"
        if "exec format error" in error:
            return "interpreter-missing"
        return "error: " + error
    # The file exists (runc's pre-exec stat passed) but the kernel's execve failed: runc 1.1
    # prints "exec /start.sh: no such file or directory", older runc "standard_init_linux.go:NNN:
    # exec user process caused: no such file or directory"; either way exit code 1.
    if re.search(r"^(exec .*: |.*exec user process caused:? \"?)(no such file or directory|exec format error)\"?$",
                 logs, re.M | re.I):
        return "interpreter-missing"
    if state.get("ExitCode") == 127 and re.search(r"^/usr/bin/env: .*No such file or directory", logs, re.M):
        return "interpreter-missing"
    return "ok"


def _exit_state(state: dict) -> str:
    code = state.get("ExitCode", 0)
    return f"signal {code - 128}" if code > 128 else f"exit {code}"


def ground_truth(case: Case, tag: str, config: dict) -> dict:
    """Run ``tag`` under Docker and return the verdicts plus what was recorded."""
    name = CONTAINER_PREFIX + case.name + "-" + uuid.uuid4().hex[:8]
    declared = config.get("ExposedPorts") or {}
    service = bool(declared) or bool(config.get("Healthcheck"))
    began = time.monotonic()
    try:
        return _observe(case, tag, name, declared, service, began)
    finally:
        _docker("rm", "-f", name)


def _observe(case: Case, tag: str, name: str, declared: dict, service: bool, began: float) -> dict:
    run = _docker("run", "-d", "--name", name, *LIMITS, tag)
    record: dict = {"docker_run_rc": run.returncode}
    info = _inspect(name)
    pid = info.get("State", {}).get("Pid", 0)
    sockets: list = []
    ready_s = None
    deadline = began + (case.ready_s if service else NON_SERVICE_WAIT)
    while pid and time.monotonic() < deadline:
        if not Path(f"/proc/{pid}").exists() or _inspect(name)["State"]["Status"] != "running":
            break
        if service and declared:
            sockets = sockets_of(pid)
            listening = {f"{port}/{proto}" for _, port, proto in sockets}
            if set(declared) <= listening:
                ready_s = round(time.monotonic() - began, 2)
                break
        time.sleep(0.1)
    state = _inspect(name).get("State", {})
    running = state.get("Status") == "running"
    verdict: dict = {}
    if running:
        record["pid1"] = _pid1(pid)
        sockets = sockets_of(pid)
        verdict["state"] = "running"
        verdict["uid"] = record["pid1"].get("uid")
        verdict["ports"] = port_verdicts(declared, sockets)
        record["sockets"] = sorted(f"{a}:{p}/{t}" for a, p, t in sockets)
        record["ready_s"] = ready_s
        if "Health" in state:
            record["health_log"], verdict["health"] = _health(name)
        stop_began = time.monotonic()
        _docker("stop", "-t", str(GRACE), name, timeout=GRACE + 60)
        record["stop_s"] = round(time.monotonic() - stop_began, 2)
        state = _inspect(name).get("State", {})
        # Docker's own account, not the clock: a container it had to kill after the grace
        # period exits 137 (SIGKILL); one that ended on the stop signal exits as it chose.  On
        # a loaded machine a handler that exits 0 can take the whole grace period to run
        # (seen in CI: exit 0 after 3.08 s), and a timing threshold then called it ignored.
        verdict["stop"] = "ignored" if state.get("ExitCode") == 128 + 9 else "stopped"
    logs = _docker("logs", name)
    record["logs"] = (logs.stdout + logs.stderr)[-1500:]
    verdict["entrypoint"] = _entrypoint(state, record["logs"])
    if verdict["entrypoint"] != "ok":
        verdict["state"] = "not started"
    elif not running:
        verdict["state"] = _exit_state(state)
    verdict["oom"] = "oom-killed" if state.get("OOMKilled") else "no"
    record["exit_code"] = state.get("ExitCode")
    record["oom_killed"] = state.get("OOMKilled")
    record["error"] = state.get("Error", "")
    record["seconds"] = round(time.monotonic() - began, 2)
    return {"verdict": verdict, "record": record}


def _health(name: str) -> tuple[list, str]:
    """Wait for Docker's health status to leave ``starting``."""
    deadline = time.monotonic() + 30
    health: dict = {}
    while time.monotonic() < deadline:
        health = _inspect(name).get("State", {}).get("Health", {})
        if health.get("Status") not in (None, "starting"):
            break
        time.sleep(0.2)
    log = [(entry.get("ExitCode"), entry.get("Output", "")[-200:]) for entry in health.get("Log", [])]
    return log, health.get("Status", "none")


def image_config(tag: str) -> dict:
    return _inspect(tag).get("Config", {})


def docker_version() -> str:
    out = _docker("version", "--format", "{{.Server.Version}}")
    runc = subprocess.run(["runc", "--version"], capture_output=True, text=True)
    first = runc.stdout.splitlines()[0] if runc.returncode == 0 and runc.stdout else "runc ?"
    return f"docker {out.stdout.strip()}, {first}"


__all__ = ["GRACE", "ground_truth", "image_config", "docker_version", "loopback"]
