"""verify's progress on stderr: the three displays, and the phases of a real run in order."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pylint_image.runner.progress import (SILENT, PlainProgress, RichProgress, build_lines, choose,
                                          counting_saver, shown)
from tests.support.docker_images import busybox_base, docker_build


class _Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, ...]] = []

    def phase(self, name: str, detail: str = "", countdown: float | None = None) -> None:
        self.events.append(("phase", name, detail))

    def update(self, detail: str) -> None:
        self.events.append(("update", detail))

    def done(self) -> None:
        self.events.append(("done",))


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_is_one_escaped_line_per_phase():
    out = io.StringIO()
    progress = PlainProgress(out)
    progress.phase("build", "docker build Dockerfile")
    progress.update("Step 2/3 : RUN make")   # details are for the live display only
    progress.phase("stop", "SIGTERM\x1b[2J", countdown=10)
    progress.done()
    assert out.getvalue().splitlines() == ["pylint-image: verify: build: docker build Dockerfile",
                                           "pylint-image: verify: stop: SIGTERM\\x1b[2J (up to 10 s)"]


def test_auto_is_silent_off_a_terminal_and_live_on_one(monkeypatch):
    monkeypatch.delenv("TERM", raising=False)
    assert choose("auto", io.StringIO()) is SILENT
    assert choose("none", _Tty()) is SILENT
    assert isinstance(choose("plain", io.StringIO()), PlainProgress)
    assert isinstance(choose("auto", _Tty()), RichProgress)
    monkeypatch.setenv("TERM", "dumb")
    assert isinstance(choose("auto", _Tty()), PlainProgress)


def test_rich_shows_each_phase_and_its_duration_on_a_terminal():
    from rich.console import Console

    out = io.StringIO()
    with shown("none") as silent:
        assert silent is SILENT
    progress = RichProgress(Console(file=out, force_terminal=True, width=100))
    progress.phase("lint", "Dockerfile")
    progress.phase("build", "docker build Dockerfile")
    build_lines(progress)("Step 2/3 : RUN make \x1b]0;title\x07")
    progress.phase("stop", "SIGTERM", countdown=10)
    progress.done()
    raw = out.getvalue()
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", raw)   # the terminal's styles and cursor moves
    assert "✓ lint: Dockerfile" in text and "✓ stop: SIGTERM" in text
    assert "✓ build: docker build Dockerfile" in text                  # what the phase was about
    assert "build: Step 2/3 : RUN make \\x1b]0;title\\x07" in text   # while it ran: the latest step, escaped
    assert "\x1b]0;title" not in raw                               # never sent to the terminal raw
    assert "10 s left of 10 s" in text                             # the grace period counts down


def test_build_lines_show_the_current_step_and_its_latest_output():
    seen = _Recorder()
    on_line = build_lines(seen)
    for line in ("Sending build context to Docker daemon  2kB", "Step 2/3 : RUN make", " ---> Running in 1",
                 "cc -o app app.c", "#7 [2/3] RUN apk add x"):
        on_line(line)
    assert seen.events == [("update", "Sending build context to Docker daemon  2kB"),
                           ("update", "Step 2/3 : RUN make"), ("update", "Step 2/3 : RUN make | ---> Running in 1"),
                           ("update", "Step 2/3 : RUN make | cc -o app app.c"), ("update", "#7 [2/3] RUN apk add x")]


def test_counting_saver_reports_the_bytes_read():
    import contextlib

    @contextlib.contextmanager
    def save(ref: str):
        yield io.BytesIO(b"x" * 3000)

    seen = _Recorder()
    with counting_saver(save, seen)("img") as stream:
        assert len(stream.read(1000)) + len(stream.read()) + len(stream.read()) == 3000
    assert seen.events[-1] == ("update", "img: 3 KiB read")


@pytest.mark.docker
@pytest.mark.sandbox
def test_plain_progress_of_a_real_verify_run(tmp_path: Path, no_leaks):
    """``--progress plain``: the phases in order on stderr; stdout is the same parseable JSON."""
    base = busybox_base()
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(f'FROM {base}\nUSER 65534\nEXPOSE 8080\nCMD ["httpd", "-f", "-p", "8080"]\n')
    docker_build(ctx, "pylint-image-test/progress:1")
    runs = {}
    for mode in ("plain", "none"):
        runs[mode] = subprocess.run(
            [sys.executable, "-m", "pylint_image.linter.cli", "verify", str(ctx / "Dockerfile"),
             "--image", "docker-daemon:pylint-image-test/progress:1", "--progress", mode, "--grace", "1",
             "--cache-dir", str(tmp_path / "cache"), "--format", "json"],
            capture_output=True, text=True, timeout=300, cwd=tmp_path, env={**os.environ, "NO_COLOR": "1"})
    plain, none = runs["plain"], runs["none"]
    assert plain.returncode == none.returncode == 1, plain.stderr
    phases = [line.split(": ")[2] for line in plain.stderr.splitlines() if line.startswith("pylint-image: verify: ")]
    assert phases == ["lint", "unpack", "start", "ports", "stop"], plain.stderr
    assert "pylint-image: verify: ports: 8080/tcp\n" in plain.stderr
    assert "pylint-image: verify: stop: SIGTERM, then SIGKILL after the grace period (up to 1 s)\n" in plain.stderr
    assert all(line.startswith("pylint-image: verify: ") for line in plain.stderr.splitlines()), plain.stderr
    assert none.stderr == ""
    report, quiet = json.loads(plain.stdout), json.loads(none.stdout)
    assert [f["code"] for f in report["findings"]] == [f["code"] for f in quiet["findings"]]
    assert report["tables"] and report["targets"] == quiet["targets"]
