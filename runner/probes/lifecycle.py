"""Start, watch, inspect and stop the image's real entrypoint in one sandbox: the running probes.

One container run answers every running probe, in the order ``docker run`` + ``docker
stop`` would expose them: the start window (does it stay up, do its ports open), then the
ports, user and healthcheck while it runs, then the stop signal, then the resource
counters of the cgroup.  Only the probes in ``wanted`` are run.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
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
DEFAULT_START_LIMIT = 30.0   # how long a live service may take to open its ports (no start period)
EXIT_WATCH = 5.0             # how long an image that claims no port is watched for an early exit
PARTIAL_PATIENCE = 5.0       # some EXPOSEd ports open, the rest still closed: wait this much longer


@frozen
class Claims:
    """What the image claims about its running container."""

    ports: tuple[tuple[int, str], ...]
    health: HealthPlan | None
    stop_signal: int
    shell_form: bool
    start_period: float = 0.0   # the HEALTHCHECK's --start-period (seconds, uncapped); 0: none

    @property
    def service(self) -> bool:
        """An image with EXPOSE or HEALTHCHECK is expected to keep running."""
        return bool(self.ports) or self.health is not None


@frozen
class Timing:
    """How long to wait for what (seconds)."""

    start_window: float | None = None   # --start-window: overrides the start limit when given
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


@frozen
class Readiness:
    """How the start went: when the declared ports were all open, and how long we were ready to wait."""

    ready_s: float | None    # seconds from the start until every EXPOSEd port listened; None: never
    limit_s: float           # the start limit that applied (seconds)
    limit_from: str          # what set it: "--start-window", "HEALTHCHECK --start-period", ...


def start_limit(claims: Claims, timing: Timing, now: float) -> tuple[float, str]:
    """How long a live process may take to open its EXPOSEd ports, and what set that limit.

    ``--start-window`` when given; else the HEALTHCHECK's ``--start-period`` (the image's
    own word on how long it takes to start); else 30 s for a service and 5 s for an image
    that claims no port (only an early exit is watched for).  Never past verify's deadline.
    """
    if timing.start_window is not None:
        limit, source = timing.start_window, "--start-window"
    elif claims.start_period > 0:
        limit, source = claims.start_period, "HEALTHCHECK --start-period"
    elif claims.ports:
        limit, source = DEFAULT_START_LIMIT, "default"
    else:
        limit, source = EXIT_WATCH, "default"
    if timing.deadline is not None and now + limit > timing.deadline:
        limit, source = max(timing.deadline - now, 0.0), "verify's --timeout"
    return limit, source


def _wait_ready(box: RunningSandbox, claims: Claims, timing: Timing, wanted: frozenset[str]) -> Readiness:
    """Wait until the entrypoint exits, its ports are all open (then settle), or the start limit passes.

    A live process whose EXPOSEd ports are still closed is starting, not failing: it is
    waited for up to the start limit.  When some of its ports are open and the others stay
    closed for ``PARTIAL_PATIENCE`` seconds, the wait ends early: the rest are most likely
    never opened (one of the image's EXPOSE lines is wrong), and the probes can say so.
    """
    began = time.monotonic()
    limit, source = start_limit(claims, timing, began)
    deadline = began + limit
    need_ports = bool(claims.ports) and (PORTS in wanted or START in wanted)
    pause = _POLL_FIRST
    opened: frozenset = frozenset()
    changed = began
    while (left := deadline - time.monotonic()) > 0:
        if box.poll() is not None:
            return Readiness(None, limit, source)
        if claims.service and not need_ports:
            box.wait(timing.settle)
            return Readiness(None, limit, source)
        if need_ports:
            sockets = list(box.listening_sockets())
            if all_listening(claims.ports, sockets):
                ready = time.monotonic() - began
                box.wait(timing.settle)
                return Readiness(ready, limit, source)
            seen = {(sock.port, sock.protocol) for sock in sockets}
            now_open = frozenset(key for key in claims.ports if key in seen)
            if now_open != opened:
                opened, changed = now_open, time.monotonic()
            elif opened and time.monotonic() - changed >= PARTIAL_PATIENCE:
                return Readiness(None, limit, source)
        # Waiting on the sandbox (not sleeping) notices an exit at once.  Most servers bind
        # within milliseconds, so look again soon, then back off: each look reads the
        # kernel's socket tables, which costs about a millisecond per table.
        box.wait(min(pause, left))
        pause = min(pause * 2, _POLL)
    return Readiness(None, limit, source)


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


def _signal_name(number: int) -> str:
    return signal.Signals(number).name if number in signal.Signals._value2member_map_ else str(number)


def _observation(result: SandboxResult, argv: tuple[str, ...], exited_early: bool,
                 uid: int | None, readiness: Readiness | None = None) -> Observation:
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
        timed_out=result.timed_out, setup_error=result.setup_error,
        ready_s=readiness.ready_s if readiness else None,
        start_window_s=readiness.limit_s if readiness else 0.0,
        start_window_from=readiness.limit_from if readiness else "")


def run_lifecycle(spec: SandboxSpec, claims: Claims, timing: Timing, wanted: frozenset[str],
                  support: SandboxSupport | None = None,
                  on_phase: Callable[[str, str, float | None], None] | None = None) -> Lifecycle:
    """Run the entrypoint once and answer the ``wanted`` running probes; nothing is left behind.

    ``on_phase(name, detail, limit_s)`` is told each phase as it begins: start, ports, health, stop.
    """
    tell = on_phase or (lambda name, detail, limit: None)
    ports = health = stop = uid = None
    began = time.monotonic()
    tell(START, " ".join(spec.argv), start_limit(claims, timing, began)[0])
    with start(spec, support) as box:
        readiness = _wait_ready(box, claims, timing, wanted)
        exited_early = box.poll() is not None
        if not exited_early:
            uid = _uid_of(box.pid) if USER in wanted else None
            if PORTS in wanted:
                tell(PORTS, " ".join(f"{port}/{proto}" for port, proto in claims.ports), None)
                ports = observe_ports(claims.ports, box.listening_sockets(),
                                      lambda port, host: box.connect_tcp(port, host, 1.0), box.address)
            if HEALTH in wanted and claims.health is not None:
                tell("health", " ".join(claims.health.argv), claims.health.budget)
                health = probe_health(claims.health,
                                      lambda argv, limit: box.exec_in(argv, timeout=limit),
                                      lambda: box.poll() is None, began, box.wait,
                                      deadline=timing.deadline)
            if STOP in wanted and box.poll() is None:
                tell(STOP, f"{_signal_name(claims.stop_signal)}, then SIGKILL after the grace period", timing.grace)
                stop = _stop(box, claims, timing)
        result = box.close()
    if exited_early and uid is None:
        uid = spec.uid   # it ran, briefly, as the user it was started as
    usage = result.usage
    resources = ResourceObservation(spec.limits.memory_bytes, spec.limits.pids, usage.memory_peak,
                                    usage.oom_kills, usage.pids_limit_hits, usage.enforced_by)
    return Lifecycle(_observation(result, spec.argv, exited_early, uid, readiness), ports, stop, health,
                     resources, uid, result.start_overhead, result.notes)
