"""Healthcheck probe: run the image's HEALTHCHECK inside the running container, as Docker would.

Docker's state machine: each attempt gets ``timeout``; attempts are ``interval`` apart;
failures during ``start_period`` do not count; ``retries`` consecutive failures make the
container unhealthy and one success makes it healthy.  Every field is capped
(``HealthLimits``) so that a 30 s interval or ``--retries=100000`` cannot make verification
take minutes or hang it: the probe's whole run fits a budget of at most 131 s, and the
caps that may have changed the verdict are reported with it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from pylint_image.linter.model.frozen import frozen
from pylint_image.linter.model.image import Healthcheck
from pylint_image.linter.model.runtime import HealthObservation

from ..sandbox.spec import SandboxResult

PROBE = "healthcheck"
_NS = 1e9
# Docker's defaults when the HEALTHCHECK leaves a field at 0.
DEFAULT_INTERVAL, DEFAULT_TIMEOUT, DEFAULT_RETRIES = 30.0, 30.0, 3


@frozen
class HealthLimits:
    """Caps that keep the probe's total time bounded."""

    max_interval: float = 1.0
    max_timeout: float = 10.0
    max_start_period: float = 10.0
    max_retries: int = 10


_LIMITS = HealthLimits()
# The start period, then one more attempt than the retries, each with its timeout and interval.
MAX_BUDGET = (_LIMITS.max_start_period
              + (_LIMITS.max_retries + 1) * (_LIMITS.max_timeout + _LIMITS.max_interval))


@frozen
class HealthPlan:
    """The HEALTHCHECK reduced to what the probe runs."""

    argv: tuple[str, ...]
    interval: float
    timeout: float
    retries: int
    start_period: float
    caps: tuple[tuple[str, str], ...] = ()   # ("retries", "--retries=100000 capped at 10"), ...

    @property
    def budget(self) -> float:
        """The longest the probe may take (seconds), at most ``MAX_BUDGET``."""
        attempts = max(self.retries, 0) + 1
        return min(self.start_period + attempts * (self.timeout + self.interval), MAX_BUDGET)


def _seconds(value: float) -> str:
    return f"{value:g}s"


def _cap(name: str, value: float, cap: float, defaulted: bool) -> tuple[str, str] | None:
    """The report of one capped field, or None when it was within its cap."""
    if value <= cap:
        return None
    shown, limit = (str(int(value)), str(int(cap))) if name == "retries" else (_seconds(value), _seconds(cap))
    default = " (Docker's default)" if defaulted else ""
    return name, f"--{name}={shown}{default} capped at {limit}"


def _command(check: Healthcheck, shell: tuple[str, ...]) -> tuple[str, ...]:
    kind, rest = check.test[0], check.test[1:]
    if kind == "CMD-SHELL":
        return (*shell, " ".join(rest))
    if kind == "CMD":
        return tuple(rest)
    return tuple(check.test)   # an old config that stored the bare command


def plan_health(check: Healthcheck | None, shell: tuple[str, ...],
                limits: HealthLimits = _LIMITS) -> HealthPlan | None:
    """Turn an image's Healthcheck into a plan; None for no check or ``NONE``."""
    if check is None or not check.test or check.test[0] == "NONE":
        return None
    argv = _command(check, shell)
    if not argv:
        return None
    # Zero (or a negative value Docker would refuse) means Docker's default.
    interval = check.interval / _NS if check.interval > 0 else DEFAULT_INTERVAL
    timeout = check.timeout / _NS if check.timeout > 0 else DEFAULT_TIMEOUT
    start_period = max(check.start_period / _NS, 0.0)
    retries = check.retries if check.retries > 0 else DEFAULT_RETRIES
    caps = (_cap("interval", interval, limits.max_interval, check.interval <= 0),
            _cap("timeout", timeout, limits.max_timeout, check.timeout <= 0),
            _cap("start-period", start_period, limits.max_start_period, False),
            _cap("retries", retries, limits.max_retries, False))
    return HealthPlan(argv, min(interval, limits.max_interval), min(timeout, limits.max_timeout),
                      min(retries, limits.max_retries), min(start_period, limits.max_start_period),
                      tuple(cap for cap in caps if cap is not None))


def _output(result: SandboxResult) -> str:
    text = (result.stdout + result.stderr).decode(errors="replace").strip()
    return result.setup_error or text[-400:]


@frozen
class _Tally:
    """How the attempts went."""

    attempts: int
    failures: int
    last: SandboxResult | None
    any_timeout: bool
    stopped: str = ""   # why time ran out before a verdict, if it did


def probe_health(plan: HealthPlan, run: Callable[[tuple[str, ...], float], SandboxResult],
                 alive: Callable[[], bool], started: float,
                 pause: Callable[[float], object] = time.sleep, *,
                 deadline: float | None = None) -> HealthObservation:
    """Run attempts until healthy, ``retries`` counted failures, the container died, or time ran out.

    Time runs out at ``deadline`` (a ``time.monotonic()`` value) or after the plan's budget,
    whichever comes first; an attempt starts only when its whole timeout fits before that.
    ``pause`` waits out the interval; the lifecycle passes one that returns early when the
    container exits, so a dead container is not waited on for a whole interval.
    """
    stop = time.monotonic() + plan.budget
    why = f"the healthcheck's {plan.budget:g} s budget ran out before a verdict"
    if deadline is not None and deadline < stop:
        stop, why = deadline, "verify's deadline came before a verdict"
    attempts = failures = 0
    last: SandboxResult | None = None
    any_timeout = False
    while alive():
        if time.monotonic() + plan.timeout > stop:
            return _observe(plan, _Tally(attempts, failures, last, any_timeout, why))
        last = run(plan.argv, plan.timeout)
        attempts += 1
        any_timeout = any_timeout or last.timed_out
        if last.exit_code == 0 and not last.timed_out:
            break
        if time.monotonic() - started >= plan.start_period:
            failures += 1
        if failures >= plan.retries:
            break
        pause(max(0.0, min(plan.interval, stop - time.monotonic())))
    return _observe(plan, _Tally(attempts, failures, last, any_timeout))


def _observe(plan: HealthPlan, tally: _Tally) -> HealthObservation:
    """The observation, with the caps that may have changed the verdict."""
    last = tally.last
    healthy = last is not None and last.exit_code == 0 and not last.timed_out and not tally.stopped
    wanted = ["retries"]
    if not healthy and tally.attempts:
        wanted += ["interval", "start-period"] + (["timeout"] if tally.any_timeout else [])
    caps = dict(plan.caps)
    capped = tuple(caps[name] for name in wanted if name in caps)
    if tally.stopped:
        capped += (f"{tally.stopped} ({tally.attempts} attempt(s), {tally.failures} counted failure(s))",)
    if last is None:
        output = "no attempt fitted before the deadline" if tally.stopped else \
            "the container exited before the check ran"
    else:
        output = _output(last)
    return HealthObservation(plan.argv, healthy, tally.attempts, tally.failures,
                             0 if healthy else (last.exit_code if last else None), output,
                             bool(last and last.timed_out), capped, bool(tally.stopped))
