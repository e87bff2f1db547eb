"""verify's hard limits through the real CLI: the --timeout deadline and the seccomp profile's absence."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.docker_images import require_docker
from tests.support.sandbox_leaks import leak_snapshot
from tests.support.verify_images import build_verify_images

pytestmark = [pytest.mark.docker, pytest.mark.sandbox]


def _verify(tmp_path: Path, *argv: str, env: dict[str, str] | None = None) -> tuple[int, dict]:
    """Run ``pylint-image verify`` in a child process with its own TMPDIR; exit code and report."""
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir(exist_ok=True)
    out = tmp_path / "report.json"
    done = subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", "verify", *argv,
                           "--cache-dir", str(tmp_path / "cache"), "--format", "json", "--output", str(out)],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "TMPDIR": str(private_tmp), **(env or {})})
    assert list(private_tmp.iterdir()) == []   # bundle, saved archive, copied rootfs: all gone
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(out.read_text()) if out.exists() else {}


def test_timeout_stops_a_run_that_would_outlast_it(tmp_path, support):
    require_docker()
    image = build_verify_images()["no-handler"]   # ignores SIGTERM: the stop probe waits --grace
    before = leak_snapshot(support, os.getpid())
    code, report = _verify(tmp_path, "--image", f"docker-daemon:{image}", "--grace", "60", "--timeout", "4")
    ids = [n["id"] for n in report["notifications"]]
    assert code == 3 and "verify-timeout" in ids
    assert not any(f["code"].startswith("RT") for f in report["findings"])   # nothing judged after it
    leaked = {i for i in leak_snapshot(support, os.getpid()) - before if not i.startswith("tempdir")}
    assert leaked == set()


def test_without_a_seccomp_profile_verify_refuses_to_run_unconfined(tmp_path, support):
    require_docker()
    image = build_verify_images()["good"]
    missing = {"PYLINT_IMAGE_SECCOMP_PROFILE": str(tmp_path / "no-such-profile.json")}
    code, report = _verify(tmp_path, "--image", f"docker-daemon:{image}", "--start-window", "2", env=missing)
    errors = [n for n in report["notifications"] if n["id"] == "sandbox-error"]
    assert code == 3 and len(errors) == 1
    assert "no-such-profile.json" in errors[0]["message"] and "--unconfined" in errors[0]["message"]
    code, report = _verify(tmp_path, "--image", f"docker-daemon:{image}", "--start-window", "2",
                           "--unconfined", env=missing)
    assert code == 0, report
    limited = [n["message"] for n in report["notifications"] if n["id"] == "sandbox-limited"]
    assert any("seccomp disabled" in text for text in limited)   # the weaker run is said out loud
