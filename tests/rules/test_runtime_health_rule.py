"""RT3011 healthcheck-failing judges only a decided verdict and names the caps that bore on it."""

from __future__ import annotations

from pylint_image.linter.model.runtime import HealthObservation, RuntimeRun
from pylint_image.rules.runtime.rt3011_healthcheck_failing import check


def _messages(health: HealthObservation) -> list[str]:
    return [v.message for v in check(RuntimeRun(image="img", health=health), None)]


def test_unhealthy_is_reported_with_its_caps():
    health = HealthObservation(("probe",), healthy=False, attempts=11, failures=11, last_exit=1,
                               capped=("--retries=100000 capped at 10",))
    (message,) = _messages(health)
    assert "failed 11 time(s) in 11 attempt(s)" in message
    assert "--retries=100000 capped at 10" in message


def test_undecided_or_healthy_is_not_a_failure():
    undecided = HealthObservation(("probe",), healthy=False, attempts=2, failures=2, last_exit=1,
                                  undecided=True)
    healthy = HealthObservation(("probe",), healthy=True, attempts=1, failures=0, last_exit=0)
    assert _messages(undecided) == [] and _messages(healthy) == []
