"""Healthcheck probe: run the image's HEALTHCHECK inside the running container, as Docker would.

Docker's state machine: each attempt gets ``timeout``; attempts are ``interval`` apart;
failures during ``start_period`` do not count; ``retries`` consecutive failures make the
container unhealthy and one success makes it healthy.  Intervals and timeouts are capped
(``HealthLimits``) so that a 30 s interval does not make verification take minutes.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from pylint_image.linter.model.image import Healthcheck
from pylint_image.linter.model.runtime import HealthObservation

from ..sandbox import SandboxResult
from pylint_image.linter.model.frozen import frozen

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


@frozen
class HealthPlan:
    """The HEALTHCHECK reduced to what the probe runs."""

    argv: tuple[str, ...]
    interval: float
    timeout: float
    retries: int
    start_period: float


def plan_health(check: Healthcheck | None, shell: tuple[str, ...],
                limits: HealthLimits = HealthLimits()) -> HealthPlan | None:
    """Turn an image's Healthcheck into a plan; None for no check or ``NONE``."""
    if check is None or not check.test or check.test[0] == "NONE":
        return None
    kind, rest = check.test[0], check.test[1:]
    if kind == "CMD-SHELL":
        argv = (*shell, " ".join(rest))
    elif kind == "CMD":
        argv = tuple(rest)
    else:
        argv = tuple(check.test)   # an old config that stored the bare command
    if not argv:
        return None
    return HealthPlan(argv,
                      min(check.interval / _NS or DEFAULT_INTERVAL, limits.max_interval),
                      min(check.timeout / _NS or DEFAULT_TIMEOUT, limits.max_timeout),
                      check.retries or DEFAULT_RETRIES,
                      min(check.start_period / _NS, limits.max_start_period))


def _output(result: SandboxResult) -> str:
    text = (result.stdout + result.stderr).decode(errors="replace").strip()
    return result.setup_error or text[-400:]


def probe_health(plan: HealthPlan, run: Callable[[tuple[str, ...], float], SandboxResult],
                 alive: Callable[[], bool], started: float,
                 pause: Callable[[float], object] = time.sleep) -> HealthObservation:
    """Run attempts until healthy, ``retries`` counted failures, or the container died.

    ``pause`` waits out the interval; the lifecycle passes one that returns early when the
    container exits, so a dead container is not waited on for a whole interval.
    """
    attempts = failures = 0
    last: SandboxResult | None = None
    while alive():
        last = run(plan.argv, plan.timeout)
        attempts += 1
        if last.exit_code == 0 and not last.timed_out:
            return HealthObservation(plan.argv, True, attempts, failures, 0, _output(last))
        if time.monotonic() - started >= plan.start_period:
            failures += 1
        if failures >= plan.retries:
            break
        pause(plan.interval)
    code = last.exit_code if last is not None else None
    return HealthObservation(plan.argv, False, attempts, failures, code,
                             _output(last) if last else "the container exited before the check ran",
                             bool(last and last.timed_out))
