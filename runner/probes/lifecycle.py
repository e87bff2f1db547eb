"""Start, watch, inspect and stop the image's real entrypoint in one sandbox: the running probes.

One container run answers every running probe, in the order ``docker run`` + ``docker
stop`` would expose them: the start window (does it stay up, do its ports open), then the
ports, user and healthcheck while it runs, then the stop signal, then the resource
counters of the cgroup.  Only the probes in ``wanted`` are run.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

from pylint_image.linter.model.runtime import (HealthObservation, Observation, PortObservation,
                                               ResourceObservation, StopObservation)

from ..sandbox import RunningSandbox, SandboxResult, SandboxSpec, SandboxSupport, start
from .health import HealthPlan, probe_health
from .ports import all_listening, observe_ports
from pylint_image.linter.model.frozen import frozen

START, PORTS, STOP, HEALTH, RESOURCES, USER = "start", "ports", "stop", "healthcheck", "resources", "user"
RUNNING_PROBES = (START, PORTS, STOP, HEALTH, RESOURCES, USER)
_POLL = 0.01          # longest pause between two looks at the ports while starting
_POLL_FIRST = 0.002   # first pause after the exec
_TAIL = 2000


@frozen
class Claims:
    """What the image claims about its running container."""

    ports: tuple[tuple[int, str], ...]
    health: HealthPlan | None
    stop_signal: int
    shell_form: bool

    @property
    def service(self) -> bool:
        """An image with EXPOSE or HEALTHCHECK is expected to keep running."""
        return bool(self.ports) or self.health is not None


@frozen
class Timing:
    """How long to wait for what (seconds)."""

    start_window: float = 5.0
    grace: float = 10.0
    settle: float = 0.1     # after the ports opened: long enough to catch an immediate crash
    deadline: float | None = None   # time.monotonic() by which the probes must be done


@frozen
class Lifecycle:
    """Everything the running probes saw."""

    start: Observation
    ports: tuple[PortObservation, ...] | None
    stop: StopObservation | None
    health: HealthObservation | None
    resources: ResourceObservation
    uid_seen: int | None
    start_overhead: float | None
    notes: tuple[str, ...] = ()   # where the container was held less tightly than docker run holds it


def parse_signal(name: str) -> int:
    """``SIGTERM``, ``TERM``, ``15``, ``SIGRTMIN+3`` -> number; empty means SIGTERM (Docker's default)."""
    text = name.strip().upper()
    if not text:
        return signal.SIGTERM
    if text.isdigit():
        return int(text)
    text = text if text.startswith("SIG") else "SIG" + text
    base, plus, offset = text.partition("+")
    if base == "SIGRTMIN" and plus:
        return signal.SIGRTMIN + int(offset)
    return int(signal.Signals[text])


def _wait_ready(box: RunningSandbox, claims: Claims, timing: Timing, wanted: frozenset[str]) -> None:
    """Wait until the entrypoint exits, its ports are all open (then settle), or the window ends."""
    deadline = time.monotonic() + timing.start_window
    need_ports = bool(claims.ports) and (PORTS in wanted or START in wanted)
    pause = _POLL_FIRST
    while (left := deadline - time.monotonic()) > 0:
        if box.poll() is not None:
            return
        if claims.service and (not need_ports or all_listening(claims.ports, box.listening_sockets())):
            box.wait(timing.settle)
            return
        # Waiting on the sandbox (not sleeping) notices an exit at once.  Most servers bind
        # within milliseconds, so look again soon, then back off: each look reads the
        # kernel's socket tables, which costs about a millisecond per table.
        box.wait(min(pause, left))
        pause = min(pause * 2, _POLL)


def _uid_of(pid: int) -> int | None:
    """The container uid of host pid ``pid`` (real uid, translated through its user namespace)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        uid_map = Path(f"/proc/{pid}/uid_map").read_text()
    except OSError:
        return None
    host = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("Uid:"))
    for line in uid_map.splitlines():
        inside, outside, count = map(int, line.split())
        if outside <= host < outside + count:
            return inside + host - outside
    return None


def _stop(box: RunningSandbox, claims: Claims, timing: Timing) -> StopObservation:
    """Send the stop signal to PID 1 and time its exit, like ``docker stop -t grace``."""
    try:
        comm = Path(f"/proc/{box.pid}/comm").read_text().strip()
    except OSError:
        comm = ""
    began = time.monotonic()
    box.send_signal(claims.stop_signal)
    exited = box.wait(timing.grace) is not None
    seconds = time.monotonic() - began if exited else timing.grace
    return StopObservation(signal.Signals(claims.stop_signal).name if claims.stop_signal in
                           signal.Signals._value2member_map_ else str(claims.stop_signal),
                           exited, seconds, timing.grace, comm, claims.shell_form)


def _observation(result: SandboxResult, argv: tuple[str, ...], exited_early: bool,
                 uid: int | None) -> Observation:
    usage = result.usage
    return Observation(
        START, argv,
        exit_code=result.exit_code if exited_early else None,
        signal=result.signal if exited_early else None,
        stdout_tail=result.stdout[-_TAIL:].decode(errors="replace"),
        stderr_tail=result.stderr[-_TAIL:].decode(errors="replace"),
        duration_s=result.duration, uid_seen=uid,
        peaks={"memory_bytes": usage.memory_peak} if usage.memory_peak is not None else {},
        events={"oom_kills": usage.oom_kills, "pids_limit_hits": usage.pids_limit_hits},
        timed_out=result.timed_out, setup_error=result.setup_error)


def run_lifecycle(spec: SandboxSpec, claims: Claims, timing: Timing, wanted: frozenset[str],
                  support: SandboxSupport | None = None) -> Lifecycle:
    """Run the entrypoint once and answer the ``wanted`` running probes; nothing is left behind."""
    ports = health = stop = uid = None
    began = time.monotonic()
    with start(spec, support) as box:
        _wait_ready(box, claims, timing, wanted)
        exited_early = box.poll() is not None
        if not exited_early:
            uid = _uid_of(box.pid) if USER in wanted else None
            if PORTS in wanted:
                ports = observe_ports(claims.ports, box.listening_sockets(),
                                      lambda port, host: box.connect_tcp(port, host, 1.0))
            if HEALTH in wanted and claims.health is not None:
                health = probe_health(claims.health,
                                      lambda argv, limit: box.exec_in(argv, timeout=limit),
                                      lambda: box.poll() is None, began, box.wait,
                                      deadline=timing.deadline)
            if STOP in wanted and box.poll() is None:
                stop = _stop(box, claims, timing)
        result = box.close()
    if exited_early and uid is None:
        uid = spec.uid   # it ran, briefly, as the user it was started as
    usage = result.usage
    resources = ResourceObservation(spec.limits.memory_bytes, spec.limits.pids, usage.memory_peak,
                                    usage.oom_kills, usage.pids_limit_hits, usage.enforced_by)
    return Lifecycle(_observation(result, spec.argv, exited_early, uid), ports, stop, health,
                     resources, uid, result.start_overhead, result.notes)
