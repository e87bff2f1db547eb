"""Pure parts of the running probes: EXPOSE parsing, port verdicts, signals, healthcheck state machine."""

from __future__ import annotations

import signal
import time
import types

import pytest

from pylint_image.linter.model.image import Healthcheck
from pylint_image.runner.probes import health as health_module
from pylint_image.runner.probes.health import MAX_BUDGET, HealthPlan, plan_health, probe_health
from pylint_image.runner.probes.lifecycle import parse_signal
from pylint_image.runner.probes.plan import looks_shell_form
from pylint_image.runner.probes.ports import all_listening, observe_ports, parse_exposed
from pylint_image.runner.sandbox.net import ListeningSocket
from pylint_image.runner.sandbox.spec import ResourceUsage, SandboxResult


def test_parse_exposed():
    assert parse_exposed(["8080/tcp", "53/UDP", "9000", "7000-7002/tcp", "$PORT", "0", "70000"]) == (
        (8080, "tcp"), (53, "udp"), (9000, "tcp"), (7000, "tcp"), (7001, "tcp"), (7002, "tcp"))


def test_port_verdicts():
    sockets = [ListeningSocket("tcp", 6, "::", 8080), ListeningSocket("tcp", 4, "127.0.0.1", 9000),
               ListeningSocket("udp", 4, "0.0.0.0", 53), ListeningSocket("tcp", 4, "0.0.0.0", 7777)]
    tried = []
    ports = observe_ports([(8080, "tcp"), (9000, "tcp"), (53, "udp"), (81, "tcp")], sockets,
                          lambda port, host: tried.append((port, host)) or True)
    by = {p.label: p for p in ports}
    assert by["8080/tcp"].listening and not by["8080/tcp"].loopback_only   # IPv6 wildcard
    assert by["9000/tcp"].loopback_only
    assert by["53/udp"].listening and by["53/udp"].reachable is None
    assert not by["81/tcp"].listening
    assert not by["7777/tcp"].declared
    assert (8080, "127.0.0.1") in tried and (9000, "127.0.0.1") in tried
    assert all_listening([(8080, "tcp"), (53, "udp")], sockets)
    assert not all_listening([(53, "tcp")], sockets)


@pytest.mark.parametrize("name, number", [
    ("", signal.SIGTERM), ("SIGINT", signal.SIGINT), ("quit", signal.SIGQUIT), ("9", 9),
    ("SIGRTMIN+3", signal.SIGRTMIN + 3)])
def test_parse_signal(name, number):
    assert parse_signal(name) == number


def test_shell_form_heuristic():
    assert looks_shell_form(("/bin/sh", "-c", "sleep 1"))
    assert not looks_shell_form(("sleep", "1"))


def test_plan_health_defaults_caps_and_forms():
    plan = plan_health(Healthcheck(("CMD-SHELL", "curl -f x || exit 1")), ("/bin/sh", "-c"))
    assert plan.argv == ("/bin/sh", "-c", "curl -f x || exit 1")
    assert (plan.interval, plan.retries, plan.start_period) == (1.0, 3, 0.0)   # 30 s capped
    assert plan_health(Healthcheck(("CMD", "probe", "80"), interval=2 * 10**8), ()).interval == 0.2
    assert plan_health(Healthcheck(("NONE",)), ()) is None
    assert plan_health(None, ()) is None


def result(code: int | None, timed_out: bool = False) -> SandboxResult:
    return SandboxResult(code, None, b"out", b"", 0.0, 0.0, ResourceUsage(), timed_out=timed_out)


def test_health_state_machine():
    plan = HealthPlan(("x",), interval=0.0, timeout=1.0, retries=2, start_period=0.0)
    codes = iter([1, 1, 0])
    bad = probe_health(plan, lambda argv, limit: result(next(codes)), lambda: True, 0.0)
    assert (bad.healthy, bad.attempts, bad.failures, bad.last_exit) == (False, 2, 2, 1)
    codes = iter([1, 0])
    good = probe_health(plan, lambda argv, limit: result(next(codes)), lambda: True, 0.0)
    assert (good.healthy, good.attempts) == (True, 2)
    gone = probe_health(plan, lambda argv, limit: result(0), lambda: False, 0.0)
    assert (gone.healthy, gone.attempts) == (False, 0)


S = 10**9


def test_plan_health_caps_every_field():
    check = Healthcheck(("CMD", "probe"), interval=60 * S, timeout=45 * S, start_period=300 * S, retries=100000)
    plan = plan_health(check, ())
    assert (plan.interval, plan.timeout, plan.start_period, plan.retries) == (1.0, 10.0, 10.0, 10)
    assert dict(plan.caps) == {"interval": "--interval=60s capped at 1s", "timeout": "--timeout=45s capped at 10s",
                               "start-period": "--start-period=300s capped at 10s",
                               "retries": "--retries=100000 capped at 10"}
    assert plan.budget == MAX_BUDGET == 131.0
    small = plan_health(Healthcheck(("CMD", "probe"), interval=S // 2, timeout=2 * S, retries=2), ())
    assert small.caps == () and small.budget == 0.0 + 3 * 2.5
    defaults = dict(plan_health(Healthcheck(("CMD", "probe")), ()).caps)
    assert defaults["interval"] == "--interval=30s (Docker's default) capped at 1s" and "retries" not in defaults
    hostile = plan_health(Healthcheck(("CMD", "p"), interval=-S, timeout=-S, start_period=-S, retries=-4), ())
    assert (hostile.interval, hostile.timeout, hostile.start_period, hostile.retries) == (1.0, 10.0, 0.0, 3)


def test_retries_cap_is_reported_whatever_the_verdict():
    plan = plan_health(Healthcheck(("CMD", "probe"), interval=S // 100, retries=100000), ())
    good = probe_health(plan, lambda argv, limit: result(0), lambda: True, 0.0)
    assert good.healthy and good.capped == ("--retries=100000 capped at 10",) and not good.undecided
    bad = probe_health(plan, lambda argv, limit: result(1), lambda: True, 0.0, lambda seconds: None)
    assert not bad.healthy and bad.attempts == 10 and not bad.undecided
    # The timeout was capped too, but no attempt timed out: that cap changed nothing.
    assert bad.capped == ("--retries=100000 capped at 10",)


def test_unhealthy_reports_interval_start_period_and_timeout_caps():
    plan = plan_health(Healthcheck(("CMD", "probe"), start_period=60 * S, retries=2), ())
    codes = iter([result(1), result(None, timed_out=True)])
    bad = probe_health(plan, lambda argv, limit: next(codes), lambda: True, -100.0, lambda seconds: None)
    assert (bad.healthy, bad.attempts, bad.timed_out) == (False, 2, True)
    assert bad.capped == ("--interval=30s (Docker's default) capped at 1s", "--start-period=60s capped at 10s",
                          "--timeout=30s (Docker's default) capped at 10s")


class Clock:
    """A fake monotonic clock: runs and pauses advance it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.pauses: list[float] = []

    def pause(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(health_module, "time", types.SimpleNamespace(monotonic=lambda: fake.now, sleep=fake.pause))
    return fake


def test_deadline_before_a_verdict_is_undecided(clock):
    plan = HealthPlan(("x",), interval=1.0, timeout=10.0, retries=5, start_period=0.0)

    def run(argv, limit):
        clock.now += limit   # every attempt times out
        return result(None, timed_out=True)

    seen = probe_health(plan, run, lambda: True, clock.now, clock.pause, deadline=clock.now + 25)
    # Two attempts (20 s) and their pauses fit; a third would end after the deadline.
    assert (seen.attempts, seen.failures, seen.healthy, seen.undecided) == (2, 2, False, True)
    assert "deadline" in seen.capped[-1]
    assert clock.now <= 1025 and all(p <= 1.0 for p in clock.pauses)
    none = probe_health(plan, run, lambda: True, clock.now, clock.pause, deadline=clock.now + 5)
    assert (none.attempts, none.undecided, none.last_exit) == (0, True, None)


def test_the_probe_stops_at_its_own_budget(clock):
    plan = HealthPlan(("x",), interval=1.0, timeout=10.0, retries=100000, start_period=10.0)
    began = clock.now

    def run(argv, limit):
        clock.now += limit
        return result(None, timed_out=True)

    seen = probe_health(plan, run, lambda: True, began, clock.pause, deadline=began + 1000)
    assert seen.undecided and "budget" in seen.capped[-1]
    assert clock.now - began <= plan.budget == MAX_BUDGET
    assert seen.attempts == 12   # the last one ends exactly at the budget


def test_pauses_never_outlast_the_time_left(clock):
    plan = HealthPlan(("x",), interval=1.0, timeout=0.5, retries=100, start_period=0.0)

    def run(argv, limit):
        clock.now += 0.1
        return result(1)

    seen = probe_health(plan, run, lambda: True, clock.now, clock.pause, deadline=clock.now + 1.75)
    assert seen.undecided and seen.attempts == 2
    assert clock.pauses == [1.0, pytest.approx(0.55)]
    assert time.monotonic() > 0   # the real clock is untouched
