"""verify runs all three levels on one image: Dockerfile, image and run time, one finding per problem."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.docker_images import busybox_base

pytestmark = [pytest.mark.docker, pytest.mark.sandbox]


def _verify(tmp_path: Path, *argv: str) -> dict:
    out = tmp_path / "report.json"
    subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", "verify", *argv, "--grace", "1",
                    "--cache-dir", str(tmp_path / "cache"), "--progress", "none", "-f", "json", "-o", str(out)],
                   capture_output=True, text=True, timeout=300, env={**os.environ, "NO_COLOR": "1"})
    return json.loads(out.read_text())


def test_runs_as_root_seen_at_three_levels_is_one_finding(tmp_path):
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(f'FROM {busybox_base()}\nEXPOSE 8080\nCMD ["httpd", "-f", "-p", "8080"]\n')
    report = _verify(tmp_path, str(ctx))
    root = [f for f in report["findings"] if f["name"] == "runs-as-root"]
    assert [f["code"] for f in root] == ["DF3002"]   # not DF3002 + IM3004 + RT3001
    kinds = sorted(r["kind"] for r in root[0]["related"])
    assert kinds == ["image", "runtime"]
    assert "IM3004" in root[0]["message"] and "RT3001" in root[0]["message"]


def test_image_rules_run_on_a_given_image_and_agree_cold_and_warm(tmp_path):
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(f'FROM {busybox_base()}\nRUN chmod u+s /bin/busybox\nUSER 65534\n'
                                    'CMD ["true"]\n')
    tag = f"pylint-image-test/levels:{os.getpid()}"
    subprocess.run(["docker", "build", "-q", "-t", tag, str(ctx)], check=True, capture_output=True, timeout=300)
    try:
        cold = _verify(tmp_path, "--image", f"docker-daemon:{tag}")
        warm = _verify(tmp_path, "--image", f"docker-daemon:{tag}")   # layers and image model cached
    finally:
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True, timeout=60)
    models = list((tmp_path / "cache" / "images").glob("*.pickle"))
    assert len(models) == 1   # the warm run read the model the cold run kept
    subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", "cache", "prune", "--cache-dir",
                    str(tmp_path / "cache")], check=True, capture_output=True, timeout=60)
    assert not models[0].exists()
    codes = {f["code"] for f in cold["findings"]}
    assert "IM2001" in codes   # setuid-file: an image-level finding, with no Dockerfile to map to
    assert [f["code"] for f in cold["findings"]] == [f["code"] for f in warm["findings"]]
