"""``verify DIR`` builds and verifies every Dockerfile under DIR, --jobs at a time, into one report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.docker_images import busybox_base

pytestmark = [pytest.mark.docker, pytest.mark.sandbox]


def _monorepo(root: Path) -> None:
    base = busybox_base()
    services = {
        "web": f'FROM {base}\nUSER 65534\nEXPOSE 8080\nCMD ["httpd", "-f", "-p", "8080"]\n',
        "worker": f'FROM {base}\nUSER 65534\nEXPOSE 9000\nCMD ["sleep", "300"]\n',   # 9000 never listens
        "job": f'FROM {base}\nUSER 65534\nCMD ["false"]\n',                          # exits 1
    }
    for name, text in services.items():
        (root / "svc" / name).mkdir(parents=True)
        (root / "svc" / name / "Dockerfile").write_text(text)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_every_dockerfile_is_verified_into_one_report(tmp_path, jobs):
    _monorepo(tmp_path)
    out = tmp_path / "report.json"
    done = subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", "verify", str(tmp_path / "svc"),
                           "--jobs", jobs, "--start-window", "2", "--grace", "1", "--cache-dir",
                           str(tmp_path / "cache"), "--format", "json", "--output", str(out)],
                          capture_output=True, text=True, timeout=300, env={**os.environ, "NO_COLOR": "1"})
    report = json.loads(out.read_text())
    by_file: dict[str, set[str]] = {}
    for finding in report["findings"]:
        path = (finding["location"].get("source") or {}).get("path", "")
        by_file.setdefault(Path(path).parent.name, set()).add(finding["code"])
    assert done.returncode == 1, done.stderr
    assert "RT3007" in by_file["worker"] and "RT3007" not in by_file.get("web", set())
    assert "RT3006" in by_file["job"]
    progress = [line for line in done.stderr.splitlines() if line.startswith("pylint-image: verified")]
    assert len(progress) == 3 and all("finding(s)" in line for line in progress)
    assert len(report["tables"]) == 3   # one probe table per image


def test_jobs_must_be_positive(tmp_path):
    _monorepo(tmp_path)
    done = subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", "verify", str(tmp_path / "svc"),
                           "--jobs", "0"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--jobs must be at least 1" in done.stderr
