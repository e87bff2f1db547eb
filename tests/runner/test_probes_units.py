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


# --- the start wait: a live process is starting, not failing -------------------------------

from pylint_image.runner.probes import lifecycle as lifecycle_module  # noqa: E402
from pylint_image.runner.probes.lifecycle import (DEFAULT_START_LIMIT, PORTS, START, Claims,  # noqa: E402
                                                  Timing, _wait_ready, start_limit)

WANTED = frozenset({START, PORTS})


class FakeBox:
    """A sandbox whose ports open (and whose process exits) at given times on the fake clock."""

    def __init__(self, clock: Clock, opens: dict[tuple[int, str], float], exits_at: float | None = None):
        self.clock, self.opens, self.exits_at = clock, opens, exits_at
        self.t0 = clock.now
        self.looks = 0

    def poll(self) -> int | None:
        return 1 if self.exits_at is not None and self.clock.now - self.t0 >= self.exits_at else None

    def wait(self, seconds: float) -> int | None:
        self.clock.pause(seconds)
        return self.poll()

    def listening_sockets(self):
        self.looks += 1
        return iter([ListeningSocket(proto, 4, "0.0.0.0", port) for (port, proto), at in self.opens.items()
                     if self.clock.now - self.t0 >= at])


@pytest.fixture
def start_clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(lifecycle_module, "time", types.SimpleNamespace(monotonic=lambda: fake.now))
    return fake


def claims(ports=((8080, "tcp"),), start_period: float = 0.0, health=None) -> Claims:
    return Claims(tuple(ports), health, signal.SIGTERM, False, start_period)


def test_a_slow_service_is_waited_for_until_its_port_opens(start_clock):
    box = FakeBox(start_clock, {(8080, "tcp"): 8.0})
    ready = _wait_ready(box, claims(), Timing(), WANTED)
    assert ready.ready_s == pytest.approx(8.0, abs=0.02)
    assert (ready.limit_s, ready.limit_from) == (DEFAULT_START_LIMIT, "default")


def test_the_wait_ends_when_the_process_exits(start_clock):
    box = FakeBox(start_clock, {}, exits_at=3.0)
    ready = _wait_ready(box, claims(), Timing(), WANTED)
    assert ready.ready_s is None and start_clock.now - box.t0 == pytest.approx(3.0, abs=0.02)


def test_a_port_that_never_opens_is_given_the_whole_limit(start_clock):
    box = FakeBox(start_clock, {})
    ready = _wait_ready(box, claims(), Timing(), WANTED)
    assert ready.ready_s is None and start_clock.now - box.t0 == pytest.approx(DEFAULT_START_LIMIT, abs=0.02)


def test_start_period_then_start_window_set_the_limit(start_clock):
    box = FakeBox(start_clock, {})
    ready = _wait_ready(box, claims(start_period=12.0), Timing(), WANTED)
    assert (ready.limit_s, ready.limit_from) == (12.0, "HEALTHCHECK --start-period")
    assert start_clock.now - box.t0 == pytest.approx(12.0, abs=0.02)
    box = FakeBox(start_clock, {(8080, "tcp"): 8.0})
    ready = _wait_ready(box, claims(start_period=12.0), Timing(start_window=2.0), WANTED)
    assert (ready.ready_s, ready.limit_s, ready.limit_from) == (None, 2.0, "--start-window")
    assert start_clock.now - box.t0 == pytest.approx(2.0, abs=0.02)


def test_the_limit_never_passes_verify_deadline(start_clock):
    now = start_clock.now
    assert start_limit(claims(), Timing(deadline=now + 7.0), now) == (7.0, "verify's --timeout")
    assert start_limit(claims(), Timing(deadline=now - 1.0), now) == (0.0, "verify's --timeout")
    assert start_limit(claims(), Timing(deadline=now + 100.0), now) == (DEFAULT_START_LIMIT, "default")
    box = FakeBox(start_clock, {})
    _wait_ready(box, claims(start_period=60.0), Timing(deadline=now + 4.0), WANTED)
    assert start_clock.now - box.t0 == pytest.approx(4.0, abs=0.02)


def test_an_image_without_ports_is_watched_for_an_early_exit_only(start_clock):
    assert start_limit(claims(ports=()), Timing(), start_clock.now) == (lifecycle_module.EXIT_WATCH, "default")
    box = FakeBox(start_clock, {})
    ready = _wait_ready(box, claims(ports=()), Timing(), WANTED)
    assert ready.ready_s is None and start_clock.now - box.t0 == pytest.approx(lifecycle_module.EXIT_WATCH,
                                                                               abs=0.02)
    assert box.looks == 0   # no socket tables read for an image that claims no port


def test_some_ports_open_and_the_rest_stay_closed_ends_the_wait_early(start_clock):
    box = FakeBox(start_clock, {(8080, "tcp"): 1.0})
    ready = _wait_ready(box, claims(ports=((8080, "tcp"), (9090, "tcp"))), Timing(), WANTED)
    waited = start_clock.now - box.t0
    assert ready.ready_s is None
    assert waited == pytest.approx(1.0 + lifecycle_module.PARTIAL_PATIENCE, abs=0.05)
    # A second port that opens later (within the patience) is waited for.
    box = FakeBox(start_clock, {(8080, "tcp"): 1.0, (9090, "tcp"): 4.0})
    ready = _wait_ready(box, claims(ports=((8080, "tcp"), (9090, "tcp"))), Timing(), WANTED)
    assert ready.ready_s == pytest.approx(4.0, abs=0.02)


def test_a_fast_service_is_ready_at_once(start_clock):
    box = FakeBox(start_clock, {(8080, "tcp"): 0.0})
    ready = _wait_ready(box, claims(), Timing(), WANTED)
    assert ready.ready_s == 0.0 and start_clock.now - box.t0 == pytest.approx(Timing().settle)


def test_claims_of_keeps_the_uncapped_start_period():
    from pylint_image.linter.model.image import ImageConfig
    from pylint_image.runner.argv import CommandConfig
    from pylint_image.runner.probes.plan import claims_of

    config = ImageConfig(cmd=("serve",), healthcheck=Healthcheck(("CMD", "probe"), start_period=60 * S))
    found = claims_of(config, CommandConfig())
    assert found.start_period == 60.0 and found.health.start_period == 10.0   # the probe's copy is capped
    assert claims_of(ImageConfig(cmd=("serve",)), CommandConfig()).start_period == 0.0


def test_slow_start_rule_and_probe_table():
    from pylint_image.linter.model.runtime import Observation, PortObservation, RuntimeRun
    from pylint_image.rules.runtime.rt3013_slow_start import RULE, SLOW_START_S
    from pylint_image.runner.probes.table import probe_table

    def run(ready, source="default"):
        start = Observation("start", ("serve",), ready_s=ready, start_window_s=30.0, start_window_from=source)
        return RuntimeRun("img", ("serve",), True, None, start=start,
                          ports=(PortObservation(8080, "tcp", True, ("0.0.0.0",), True),))

    slow = list(RULE.check(run(8.2), None))
    assert len(slow) == 1 and "8.2 s" in slow[0].message and "8080/tcp" in slow[0].message
    assert "--start-period" in slow[0].message
    assert list(RULE.check(run(SLOW_START_S), None)) == [] and list(RULE.check(run(None), None)) == []
    covered = list(RULE.check(run(8.2, "HEALTHCHECK --start-period"), None))
    assert "within its HEALTHCHECK --start-period of 30 s" in covered[0].message
    rows = {row[0]: row for row in probe_table(run(8.2)).rows}
    assert rows["start"][1] == "ready" and "8.20 s" in rows["start"][2] and "30 s" in rows["start"][2]
    waiting = {row[0]: row for row in probe_table(run(None)).rows}
    assert waiting["start"][1] == "running" and "not every EXPOSEd port" in waiting["start"][2]
