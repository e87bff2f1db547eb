"""Every runtime finding on real images: one image that makes it fire, and images where it must not."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pylint_image.linter.report import Report
from pylint_image.runner.pipeline import verify
from pylint_image.runner.sandbox import Limits
from pylint_image.runner.spec import VerifySpec
from tests.support.linting import config_for, registry
from tests.support.verify_images import build_verify_images

pytestmark = [pytest.mark.docker, pytest.mark.sandbox]

ALL_RT = {f"RT30{n:02d}" for n in range(1, 14)}


@pytest.fixture(scope="module")
def images() -> dict[str, str]:
    return build_verify_images()


@pytest.fixture(scope="module")
def layer_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("layers")


def run_verify(tag: str, cache: Path, **overrides) -> Report:
    # A 2 s start window keeps the images whose ports never open fast; the slow-start test
    # passes start_window=None, verify's default (the start period, else 30 s).
    settings = {"start_window": 2.0, "grace": 1.5, "limits": Limits(memory_bytes=64 << 20, pids=32, cpus=1.0),
                **overrides}
    spec = VerifySpec(image=f"docker-daemon:{tag}", cache_dir=cache, **settings)
    return verify(spec, registry(), config_for())


def rt_codes(report: Report) -> set[str]:
    """Runtime codes that fired, also those folded into a finding of the same problem at another level."""
    folded = {code for f in report.findings for code in re.findall(r"\b(RT\d{4}): ", f.message)}
    return {f.code for f in report.findings if f.code.startswith("RT")} | folded


def message(report: Report, code: str) -> str:
    return "\n".join(f.message for f in report.findings if f.code == code or f"{code}: " in f.message)


# image -> (codes that must fire, codes that must not); None as "must not" means: nothing else.
CASES = {
    "good": (set(), None),
    "oneshot": (set(), None),
    "good-script": (set(), None),
    "wrong-port": ({"RT3007", "RT3009"}, {"RT3006", "RT3008"}),
    "loopback": ({"RT3008"}, {"RT3007", "RT3009", "RT3006"}),
    "udp": ({"RT3007"}, {"RT3009", "RT3008", "RT3006"}),
    "httpd": ({"RT3001", "RT3010"}, {"RT3007", "RT3008", "RT3009", "RT3006"}),
    "no-handler": ({"RT3001", "RT3010"}, {"RT3006", "RT3007"}),
    "shell-form": ({"RT3010"}, {"RT3006"}),
    "crash": ({"RT3006"}, {"RT3003", "RT3005", "RT3010"}),
    "oneshot-fails": ({"RT3006"}, {"RT3010"}),
    "health-bad": ({"RT3011"}, {"RT3006", "RT3007"}),
    "hog": ({"RT3012"}, {"RT3006"}),
    "forkbomb": ({"RT3012"}, {"RT3006"}),
    "not-found": ({"RT3003"}, ALL_RT - {"RT3003", "RT3001"}),
    "not-found-path": ({"RT3003"}, {"RT3004", "RT3005", "RT3006"}),
    "no-exec": ({"RT3004"}, {"RT3003", "RT3005", "RT3006"}),
    "bad-shebang": ({"RT3005"}, {"RT3003", "RT3004", "RT3006"}),
    "glibc-on-scratch": ({"RT3005"}, {"RT3003", "RT3004", "RT3006"}),
    "env-missing": ({"RT3005"}, {"RT3003", "RT3004", "RT3006"}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_findings_on_real_image(name, images, layer_cache, no_leaks):
    fires, quiet = CASES[name]
    report = run_verify(images[name], layer_cache)
    got = rt_codes(report)
    assert fires <= got, (name, got, [f.message for f in report.findings])
    if quiet is None:
        assert got == fires, (name, [f"{f.code} {f.message}" for f in report.findings])
    else:
        assert not got & quiet, (name, [f"{f.code} {f.message}" for f in report.findings])
    assert not [n for n in report.notifications if n.level == "error"], report.notifications


def test_messages_explain_the_cause(images, layer_cache, no_leaks):
    crash = run_verify(images["crash"], layer_cache)
    assert "exited with code 3" in message(crash, "RT3006") and "boom" in message(crash, "RT3006")
    glibc = run_verify(images["glibc-on-scratch"], layer_cache)
    assert "/lib64/ld-linux-x86-64.so.2" in message(glibc, "RT3005")
    shebang = run_verify(images["bad-shebang"], layer_cache)
    assert "/bin/bash" in message(shebang, "RT3005")
    udp = run_verify(images["udp"], layer_cache)
    assert "5354/tcp" in message(udp, "RT3007") and "5353" not in message(udp, "RT3007")
    shell = run_verify(images["shell-form"], layer_cache)
    assert "shell-form" in message(shell, "RT3010")
    handler = run_verify(images["no-handler"], layer_cache)
    assert "no handler" in message(handler, "RT3010")
    hog = run_verify(images["hog"], layer_cache)
    assert "memory limit" in message(hog, "RT3012")
    env = run_verify(images["env-missing"], layer_cache)
    assert [f.code for f in env.findings if f.code.startswith("RT")] == ["RT3005"]
    assert "#!/usr/bin/env python3" in message(env, "RT3005") and "no executable python3 in PATH" in message(env, "RT3005")


def test_a_slow_service_is_starting_not_failing(images, layer_cache, no_leaks):
    report = run_verify(images["slow-start"], layer_cache, start_window=None)
    assert rt_codes(report) == {"RT3013"}, [f"{f.code} {f.message}" for f in report.findings]
    slow = next(f for f in report.findings if f.code == "RT3013")
    assert slow.severity.value == "info" and "8080/tcp" in slow.message
    rows = {row[0]: row for row in report.tables[0].rows}
    assert rows["start"][1] == "ready" and "30 s" in rows["start"][2]
    ready = float(rows["start"][2].split(" after ")[1].split(" s")[0])
    assert 8.0 <= ready < 12.0
    assert rows["port 8080/tcp"][1] == "listening"
    # --start-window still overrides: 2 s is too short for it, and then the port is not listening.
    hurried = run_verify(images["slow-start"], layer_cache, start_window=2.0)
    assert "RT3007" in rt_codes(hurried) and "RT3013" not in rt_codes(hurried)
    assert "2 s (--start-window) start window" in message(hurried, "RT3007")


def test_probe_table_and_timings(images, layer_cache, no_leaks):
    report = run_verify(images["good"], layer_cache)
    rows = {row[0]: row for row in report.tables[0].rows}
    assert rows["port 8080/tcp"][1] == "listening"
    assert rows["healthcheck"][1] == "healthy"
    assert rows["stop"][1] == "stopped"
    assert rows["user"][2] == "uid 65534"
    assert report.timings["sandbox_start_s"] < 1.0


def test_warm_cache_skips_docker_save(images, tmp_path, no_leaks):
    from pylint_image.runner import source

    cold = run_verify(images["oneshot"], tmp_path)
    calls = []
    original = source._saved

    def spy(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    source._saved = spy
    try:
        warm = run_verify(images["oneshot"], tmp_path)
    finally:
        source._saved = original
    assert calls == [] and rt_codes(warm) == rt_codes(cold) == set()
