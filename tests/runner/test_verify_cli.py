"""``pylint-image verify`` through the real CLI: build path, build failure, exit codes, no sandbox."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from pylint_image.linter.cli import main
from pylint_image.runner import pipeline
from pylint_image.runner.sandbox import IdMapMode, detect
from tests.support.docker_images import busybox_base, require_docker
from tests.support.verify_images import build_verify_images


def verify_json(tmp_path: Path, *argv: str) -> tuple[int, dict]:
    out = tmp_path / "report.json"
    code = main(["verify", *argv, "--start-window", "2", "--grace", "1", "--cache-dir",
                 str(tmp_path / "cache"), "--format", "json", "--output", str(out)])
    return code, json.loads(out.read_text()) if out.exists() else {}


def built_images() -> set[str]:
    done = subprocess.run(["docker", "images", "--format", "{{.Repository}}"], capture_output=True, text=True)
    return {line for line in done.stdout.splitlines() if line.startswith("pylint-image-verify/")}


@pytest.mark.docker
@pytest.mark.sandbox
def test_build_verify_points_at_the_expose_line(tmp_path, no_leaks):
    base = busybox_base()
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(f"FROM {base}\nUSER 65534\n\nEXPOSE 9091 8080\n"
                                    'CMD ["httpd", "-f", "-p", "9090"]\n')
    before = built_images()
    code, report = verify_json(tmp_path, str(ctx))
    assert code == 1
    found = {(f["code"], (f["location"].get("source") or {}).get("line"),
              (f["location"].get("source") or {}).get("column")) for f in report["findings"]}
    assert ("RT3007", 4, 8) in found and ("RT3007", 4, 13) in found   # each port's own token
    assert ("RT3009", 5, 1) in found                                  # points at the CMD
    assert not [f for f in report["findings"] if f["code"] == "RT3002"]
    assert any(f["code"] == "DF1002" for f in report["findings"])   # static findings included
    assert report["tables"] and built_images() == before            # the built image is removed


@pytest.mark.docker
def test_build_failure_is_a_finding_on_the_failing_line(tmp_path):
    base = busybox_base()
    (tmp_path / "Dockerfile").write_text(f"FROM {base}\nRUN true\nRUN echo broken && exit 3\nCMD [\"true\"]\n")
    code, report = verify_json(tmp_path, str(tmp_path / "Dockerfile"), "--builder", "docker")
    failed = [f for f in report["findings"] if f["code"] == "RT3002"]
    assert code == 1 and len(failed) == 1
    assert failed[0]["location"]["source"]["line"] == 3 and "exit" in failed[0]["message"]


@pytest.mark.skipif(shutil.which("buildah") is not None, reason="buildah is installed here")
def test_missing_builder_exits_3(tmp_path):
    (tmp_path / "Dockerfile").write_text('FROM scratch\nCMD ["x"]\n')
    code, report = verify_json(tmp_path, str(tmp_path), "--builder", "buildah")
    assert code == 3
    assert [n["id"] for n in report["notifications"]] == ["builder-unavailable"]


@pytest.mark.docker
def test_without_sandbox_runtime_rules_are_skipped(tmp_path, monkeypatch):
    require_docker()
    images = build_verify_images()
    unusable = dataclasses.replace(detect(), idmap=IdMapMode.NONE)
    monkeypatch.setattr(pipeline, "detect", lambda: unusable)
    code, report = verify_json(tmp_path, "--image", f"docker-daemon:{images['not-found']}")
    ids = [n["id"] for n in report["notifications"]]
    assert code == 1 and "sandbox-unavailable" in ids and ids.count("skipped-not-applicable") >= 7
    assert {f["code"] for f in report["findings"]} == {"RT3003"}    # the static probe still ran
    code, report = verify_json(tmp_path, "--image", f"docker-daemon:{images['not-found']}",
                               "--require-sandbox")
    assert code == 3


def test_bad_options_are_usage_errors(tmp_path, capsys):
    assert main(["verify", str(tmp_path / "missing")]) == 2
    assert main(["verify", "--image", "x.tar", "--grace", "0"]) == 2
    assert "must be positive" in capsys.readouterr().err


def test_missing_image_archive_is_a_source_error(tmp_path, capsys):
    assert main(["verify", "--image", str(tmp_path / "nope.tar"), "--cache-dir", str(tmp_path)]) == 2
    assert "nope.tar" in capsys.readouterr().err
