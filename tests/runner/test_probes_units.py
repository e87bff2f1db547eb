"""Pure parts of the running probes: EXPOSE parsing, port verdicts, signals, healthcheck state machine."""

from __future__ import annotations

import signal

import pytest

from pylint_image.linter.model.image import Healthcheck
from pylint_image.runner.probes.health import HealthPlan, plan_health, probe_health
from pylint_image.runner.probes.lifecycle import parse_signal
from pylint_image.runner.probes.plan import looks_shell_form
from pylint_image.runner.probes.ports import all_listening, observe_ports, parse_exposed
from pylint_image.runner.sandbox import ListeningSocket, ResourceUsage, SandboxResult


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


def result(code: int) -> SandboxResult:
    return SandboxResult(code, None, b"out", b"", 0.0, 0.0, ResourceUsage())


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
