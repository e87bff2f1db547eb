"""``pylint-image verify`` through the real CLI: build path, build failure, exit codes, no sandbox."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
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
    codes = {f["code"] for f in report["findings"]}
    assert {c for c in codes if c.startswith("RT")} == {"RT3003"}    # the static probe still ran
    assert "IM3004" in codes                                         # and so did the image level
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


def test_build_log_excerpt_keeps_the_failing_step_without_banners():
    from pylint_image.runner.build import failure_excerpt

    legacy = ("DEPRECATED: The legacy builder is deprecated and will be removed in a future release.\n"
              "            BuildKit is currently disabled; enable it by removing the DOCKER_BUILDKIT=0\n"
              "            environment-variable.\n\n"
              "Sending build context to Docker daemon  2.048kB\r\r\nStep 1/3 : FROM base\n ---> 26011c5788e5\n"
              "Step 2/3 : RUN echo out && echo err >&2 && false\n ---> Running in a7804b989467\n"
              "\x1b[91merr\n\x1b[0mout\n"
              "The command '/bin/sh -c echo out && echo err >&2 && false' returned a non-zero code: 1\n")
    assert failure_excerpt(legacy).splitlines() == [
        "Step 2/3 : RUN echo out && echo err >&2 && false", "err", "out",
        "The command '/bin/sh -c echo out && echo err >&2 && false' returned a non-zero code: 1"]
    buildkit = ("#0 building with \"default\" instance using docker driver\n\n"
                "#1 [internal] load build definition from Dockerfile\n#1 transferring dockerfile: 140B done\n"
                "#1 DONE 0.0s\n\n#5 [2/2] RUN make\n#5 0.251 cc -o app app.c\n#5 0.301 app.c:1: error\n"
                "#5 ERROR: process \"/bin/sh -c make\" did not complete successfully: exit code: 2\n"
                "------\n > [2/2] RUN make:\n0.251 cc -o app app.c\n0.301 app.c:1: error\n------\n"
                "Dockerfile:2\n--------------------\n   1 |     FROM base\n   2 | >>> RUN make\n"
                "--------------------\n"
                "ERROR: failed to solve: process \"/bin/sh -c make\" did not complete successfully: exit code: 2\n")
    assert failure_excerpt(buildkit).splitlines() == [
        "[2/2] RUN make", "cc -o app app.c", "app.c:1: error",
        "ERROR: failed to solve: process \"/bin/sh -c make\" did not complete successfully: exit code: 2"]
    many = "Step 1/1 : RUN x\n" + "".join(f"line {i}\n" for i in range(100))
    assert failure_excerpt(many, keep=3).splitlines() == ["Step 1/1 : RUN x", "line 97", "line 98", "line 99"]


@pytest.mark.docker
def test_build_failure_shows_the_failing_step_and_its_output_not_the_banner(tmp_path, capsys):
    base = busybox_base()
    (tmp_path / "Dockerfile").write_text(f"FROM {base}\nRUN true\n"
                                         "RUN echo building-step-output && echo to-stderr >&2 && exit 7\n")
    code, report = verify_json(tmp_path, str(tmp_path / "Dockerfile"), "--builder", "docker")
    failed = [f for f in report["findings"] if f["code"] == "RT3002"]
    assert code == 1 and len(failed) == 1 and failed[0]["location"]["source"]["line"] == 3
    left = subprocess.run(["docker", "ps", "-a", "--no-trunc", "--format", "{{.Command}}"],
                          capture_output=True, text=True).stdout
    assert "building-step-output" not in left   # the failed step's container is removed (--force-rm)
    message = failed[0]["message"]
    assert "building-step-output" in message and "to-stderr" in message and "code: 7" in message
    assert "DEPRECATED" not in message and "Sending build context" not in message and "\x1b" not in message
    assert "RUN echo building-step-output" in message.splitlines()[1]   # the failing step leads the excerpt
    # Text output: the headline, then the excerpt on lines of its own.
    code = main(["verify", str(tmp_path / "Dockerfile"), "--no-color", "--cache-dir", str(tmp_path / "cache"),
                 "--progress", "none"])
    text = capsys.readouterr().out
    assert code == 1
    assert "   = note: Step 3/3 : RUN echo building-step-output" in text
    assert "\n           building-step-output\n" in text and "\n           to-stderr\n" in text


def test_unreachable_engine_exits_3_with_its_message_once(tmp_path):
    """An engine that cannot be reached is an infrastructure error (3), said once, in the engine's words."""
    env = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/nonexistent.sock", "NO_COLOR": "1"}
    for argv in (["verify", "--image", "docker-daemon:pylint-image-test/x:1", "--progress", "plain"],
                 ["image", "docker-daemon:pylint-image-test/x:1"]):
        done = subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", *argv], capture_output=True,
                              text=True, timeout=120, cwd=tmp_path, env=env)
        assert done.returncode == 3, (argv, done.stdout, done.stderr)
        both = done.stdout + done.stderr
        if shutil.which("docker"):
            assert both.count("Cannot connect to the Docker daemon at unix://") == 1, both
        assert "Traceback" not in both
        # Said on stderr, the text report does not repeat it.
        assert "engine-unavailable" not in done.stdout and "Cannot connect" not in done.stdout
        as_json = subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", *argv, "-f", "json"],
                                 capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
        assert as_json.returncode == 3
        assert [n["id"] for n in json.loads(as_json.stdout)["notifications"]] == ["engine-unavailable"]
        if shutil.which("docker"):   # stdout is for machines: the CI log still says why, once
            assert as_json.stderr.count("Cannot connect to the Docker daemon") == 1, as_json.stderr


@pytest.mark.docker
def test_a_missing_image_in_a_reachable_engine_stays_an_input_error(tmp_path):
    require_docker()
    code, report = verify_json(tmp_path, "--image", "docker-daemon:pylint-image-test/does-not-exist:0")
    assert code == 2 and [n["id"] for n in report["notifications"]] == ["source-error"]
