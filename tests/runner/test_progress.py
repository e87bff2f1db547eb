"""verify's progress on stderr: the three displays, and the phases of a real run in order."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pylint_image.runner.progress import (SILENT, PlainProgress, RichProgress, build_lines, choose,
                                          counting_saver, shown)
from tests.support.docker_images import busybox_base, docker_build
from tests.support.progress_log import RecordingBytes
from tests.support.terminal import run_on_a_pty


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


# --- the image command: bytes read per layer and of the docker save stream ----------------------


def _layout(tmp_path: Path) -> Path:
    from tests.support import synth_image as synth

    spec = {"layers": [{"gzip": True, "files": [{"path": "/a.bin", "size": 300_000}]},
                       {"files": [{"path": "/b.txt", "content": "b" * 5000}]}]}
    return synth.write_oci_layout(spec, tmp_path / "oci")


def test_each_layer_read_is_counted_against_its_stored_size(tmp_path: Path) -> None:
    from pylint_image.linter.oci import ImageSource
    from pylint_image.runner.source import acquire

    layout = _layout(tmp_path)
    sizes = [layer.size for layer in ImageSource(layout).parts.layers]
    seen = RecordingBytes()
    with acquire(str(layout), progress=seen) as acquired:
        image = acquired.model([])
    assert [e for e in seen.events if e[0] == "start"] == [("start", "layer 1/2", sizes[0]),
                                                           ("start", "layer 2/2", sizes[1])]
    # Each layer ends with its whole blob read, then finished; the model is the same as without.
    ends = [seen.events[i - 1] for i, e in enumerate(seen.events) if e == ("finish",)]
    assert ends == [("advance", sizes[0]), ("advance", sizes[1])]
    with acquire(str(layout)) as plain:
        assert plain.model([]).layers == image.layers


def test_the_docker_save_stream_is_counted_without_a_total():
    import contextlib

    from pylint_image.runner.progress import counted_saver

    @contextlib.contextmanager
    def save(ref: str):
        yield io.BytesIO(b"x" * 3000)

    seen = RecordingBytes()
    with counted_saver(save, seen)("img:1") as stream:
        assert len(stream.read(1000)) + len(stream.read()) + len(stream.read()) == 3000
    assert seen.events[0] == ("start", "docker save img:1", None)
    assert seen.events[-2:] == [("advance", 3000), ("finish",)]


def test_byte_displays_are_chosen_as_the_phase_displays_are(monkeypatch):
    from pylint_image.runner.progress import SILENT_BYTES, PlainBytes, RichBytes, choose_bytes

    monkeypatch.delenv("TERM", raising=False)
    assert choose_bytes("auto", io.StringIO()) is SILENT_BYTES
    assert choose_bytes("none", _Tty()) is SILENT_BYTES
    assert isinstance(choose_bytes("plain", io.StringIO()), PlainBytes)
    assert isinstance(choose_bytes("auto", _Tty()), RichBytes)
    monkeypatch.setenv("TERM", "dumb")
    assert isinstance(choose_bytes("auto", _Tty()), PlainBytes)


def test_plain_bytes_is_one_line_per_layer():
    from pylint_image.runner.progress import PlainBytes

    out = io.StringIO()
    shown = PlainBytes(out)
    for label, size in (("layer 1/2", 3 * 2**20), ("layer 2/2\x1b[2J", 2048)):
        shown.start(label, size)
        shown.advance(size)
        shown.finish()
    shown.done()
    lines = out.getvalue().splitlines()
    assert [re.sub(r" in [\d.]+ s$", "", line) for line in lines] == [
        "pylint-image: image: layer 1/2: 3.0 MiB", "pylint-image: image: layer 2/2\\x1b[2J: 2 KiB"]


def test_rich_bytes_shows_read_of_total_and_the_rate_and_goes_away():
    from rich.console import Console

    from pylint_image.runner.progress import RichBytes

    out = io.StringIO()
    shown = RichBytes(Console(file=out, force_terminal=True, width=100))
    shown.start("layer 1/2", 2_000_000)
    shown.advance(1_000_000)
    shown._progress.refresh()
    shown.advance(2_000_000)
    shown.finish()
    shown.start("docker save img", None)   # an unknown total: bytes and rate only
    shown.advance(2_500_000)
    time.sleep(0.05)
    shown.advance(5_000_000)
    shown._progress.refresh()
    shown.done()
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.getvalue())
    assert "layer 1/2" in text and "1.0/2.0 MB" in text
    assert re.search(r"docker save img .* 5\.0/\? MB +[\d.]+ [kMG]?B/s", text), text


def _image_cli(args: list[str], cwd: Path, stderr=subprocess.PIPE, env: dict | None = None):
    return subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", "image", *args], cwd=cwd,
                          stdout=subprocess.PIPE, stderr=stderr, timeout=300,
                          env={**os.environ, "NO_COLOR": "1", **(env or {})})


def _on_a_pty(args: list[str], cwd: Path) -> tuple[bytes, bytes, int]:
    """Run the image command with stderr on a pseudo-terminal: its stdout, what the terminal got, the code."""
    return run_on_a_pty([sys.executable, "-m", "pylint_image.linter.cli", "image", *args], cwd,
                        {**os.environ, "NO_COLOR": "1", "TERM": "xterm", "COLUMNS": "120"})


def test_off_a_terminal_nothing_changes_and_on_one_a_bar_per_layer_shows(tmp_path: Path) -> None:
    layout = _layout(tmp_path)
    auto = _image_cli([str(layout)], tmp_path)
    none = _image_cli([str(layout), "--progress", "none"], tmp_path)
    assert auto.returncode == none.returncode and auto.stdout == none.stdout and auto.stderr == none.stderr == b""
    plain = _image_cli([str(layout), "--progress", "plain"], tmp_path)
    assert plain.stdout == auto.stdout
    assert [line.split(": ")[2] for line in plain.stderr.decode().splitlines()] == ["layer 1/2", "layer 2/2"]
    out, terminal, code = _on_a_pty([str(layout)], tmp_path)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", terminal.decode(errors="replace"))
    assert code == auto.returncode and out == auto.stdout    # the report is the same
    assert "layer 1/2" in text and "layer 2/2" in text and " kB" in text, text


@pytest.mark.docker
def test_a_daemon_image_shows_the_docker_save_stream_on_a_terminal(tmp_path: Path) -> None:
    tag = busybox_base()
    out, terminal, code = _on_a_pty([f"docker-daemon:{tag}"], tmp_path)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", terminal.decode(errors="replace"))
    assert f"docker save {tag}" in text and "MB" in text, text
    off = _image_cli([f"docker-daemon:{tag}"], tmp_path)
    assert off.stderr == b"" and off.stdout == out and off.returncode == code
