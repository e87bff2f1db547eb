"""What the runtime probes observed about one image: pure, frozen records (the RUNTIME rules' subject).

The runner fills these in; RUNTIME rules only read them.  Every probe's record is ``None``
when that probe did not run (not needed, not applicable, or the sandbox is unavailable),
so a rule can always tell "not observed" from "observed and fine".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from typing import Literal

from ..findings import SourceLocation
from pylint_image.linter.model.frozen import frozen

EntrypointProblemKind = Literal["not-found", "not-executable", "interpreter-missing"]


def _empty() -> Mapping[str, SourceLocation]:
    return {}


@frozen
class Observation:
    """How one sandboxed process ended (or that it was still running when we looked)."""

    probe: str
    argv: tuple[str, ...]
    exit_code: int | None = None      # None while running or when killed by a signal
    signal: int | None = None         # the terminating signal number
    stdout_tail: str = ""
    stderr_tail: str = ""
    duration_s: float = 0.0
    uid_seen: int | None = None
    peaks: Mapping[str, int] = field(default_factory=dict)    # e.g. memory_bytes
    events: Mapping[str, int] = field(default_factory=dict)   # e.g. oom_kills, pids_limit_hits
    timed_out: bool = False
    setup_error: str | None = None
    ready_s: float | None = None      # seconds from the start until every EXPOSEd port listened
    start_window_s: float = 0.0       # how long a live process was given to open its ports
    start_window_from: str = ""       # what set that: "--start-window", "HEALTHCHECK --start-period", ...

    @property
    def exited(self) -> bool:
        """True when the process ended by itself or by a signal."""
        return self.exit_code is not None or self.signal is not None


@frozen
class EntrypointProblem:
    """Why the image's argv[0] cannot be executed, found on the image's files before starting."""

    kind: EntrypointProblemKind
    path: str          # the in-image path judged (argv[0] resolved, or the missing interpreter)
    detail: str        # one sentence for the finding message


@frozen
class PortObservation:
    """One EXPOSEd or listening port as seen from inside the container's network namespace."""

    port: int
    protocol: str                     # "tcp" | "udp"
    declared: bool                    # EXPOSEd by the image
    addresses: tuple[str, ...] = ()   # addresses it listens on (empty: not listening)
    reachable: bool | None = None     # TCP connect from inside the netns succeeded

    @property
    def listening(self) -> bool:
        """True when something listens on this port/protocol."""
        return bool(self.addresses)

    @property
    def loopback_only(self) -> bool:
        """True when every listener is bound to a loopback address (127/8, ::1, mapped)."""
        import ipaddress

        def loopback(text: str) -> bool:
            ip = ipaddress.ip_address(text)
            return (getattr(ip, "ipv4_mapped", None) or ip).is_loopback

        return self.listening and all(loopback(a) for a in self.addresses)

    @property
    def label(self) -> str:
        """``8080/tcp``."""
        return f"{self.port}/{self.protocol}"


@frozen
class StopObservation:
    """What happened when the image's stop signal was sent to PID 1."""

    signal_name: str        # e.g. SIGTERM
    exited: bool            # PID 1 exited within the grace period
    seconds: float          # time to exit, or the grace period when it did not
    grace: float
    pid1_command: str = ""  # /proc/<pid>/comm of PID 1, to explain why
    shell_form: bool = False


@frozen
class HealthObservation:
    """The image's HEALTHCHECK run inside the container, as Docker's state machine would."""

    argv: tuple[str, ...]
    healthy: bool
    attempts: int
    failures: int
    last_exit: int | None
    last_output: str = ""
    timed_out: bool = False
    capped: tuple[str, ...] = ()   # caps that may have changed the verdict, and a deadline stop
    undecided: bool = False        # time ran out before a verdict: neither healthy nor unhealthy


@frozen
class ResourceObservation:
    """Limits applied and what hit them."""

    memory_limit: int | None
    pids_limit: int | None
    memory_peak: int | None = None
    oom_kills: int = 0
    pids_limit_hits: int = 0
    enforced_by: str = ""


@frozen
class BuildFailure:
    """A failed image build: the failing line (when known) and the log tail."""

    message: str
    line: int | None
    instruction: str | None
    log_tail: str


@frozen
class RuntimeRun:
    """Everything observed about one image; the subject of every RUNTIME rule.

    ``sources`` maps a claim key to the Dockerfile line that made it: ``entrypoint``
    (the ENTRYPOINT or CMD that produced argv[0]), ``cmd``, ``expose:8080/tcp``,
    ``healthcheck``, ``stopsignal``, ``user`` and ``stage`` (the final stage's FROM).
    """

    image: str
    argv: tuple[str, ...] = ()
    service: bool = False               # EXPOSE or HEALTHCHECK: expected to keep running
    start_window: float | None = 0.0    # --start-window as given (None: automatic); see start.start_window_s
    build: BuildFailure | None = None
    entrypoint: EntrypointProblem | None = None
    start: Observation | None = None
    ports: tuple[PortObservation, ...] | None = None
    stop: StopObservation | None = None
    health: HealthObservation | None = None
    resources: ResourceObservation | None = None
    uid_seen: int | None = None
    user: str = ""
    sources: Mapping[str, SourceLocation] = field(default_factory=_empty)

    def source(self, *keys: str) -> SourceLocation | None:
        """The first Dockerfile location found for ``keys``, falling back to the stage's FROM."""
        for key in (*keys, "stage"):
            if key in self.sources:
                return self.sources[key]
        return None
