"""Builders: failure location parsing (pure) and real docker builds, saves and sandbox runs."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from pylint_image.linter.errors import BuildError
from pylint_image.runner.build import (BuildFailed, DockerBuilder, instruction_lines,
                                       locate_failure, podman_builder, select_builder)
from pylint_image.runner.rootfs import LayerCache, assembled_rootfs
from pylint_image.runner.sandbox import SandboxSpec, start
from tests.support.docker_images import busybox_base, require_docker
from tests.support.images_runner_archive import archive_layers

DOCKERFILE = """# syntax=docker/dockerfile:1
FROM base AS build

RUN echo one \\
    # a comment inside a continuation
    two
COPY a b
RUN exit 3
CMD ["sh"]
"""


@pytest.fixture
def dockerfile(tmp_path: Path) -> Path:
    path = tmp_path / "Dockerfile"
    path.write_text(DOCKERFILE)
    return path


def test_instruction_lines_join_continuations():
    assert instruction_lines(DOCKERFILE) == [(2, "FROM base AS build"), (4, "RUN echo one two"),
                                             (7, "COPY a b"), (8, "RUN exit 3"), (9, 'CMD ["sh"]')]


@pytest.mark.parametrize("log", [
    "Step 3/5 : COPY a b\n ---> 1\nStep 4/5 : RUN exit 3\n ---> Running in x\n"
    "The command '/bin/sh -c exit 3' returned a non-zero code: 3",
    "#7 [2/3] RUN exit 3\n#7 ERROR: process \"/bin/sh -c exit 3\" did not complete successfully\n"
    "------\nDockerfile:8\n--------------------\n   8 | >>> RUN exit 3\n",
    "#7 [build 3/3] RUN exit 3\n#7 ERROR: exit code: 3\n",
    "STEP 3/5: COPY a b\nSTEP 4/5: RUN exit 3\nError: building at STEP \"RUN exit 3\": exit status 3",
])
def test_locate_failure_in_each_log_format(log, dockerfile):
    assert locate_failure(log, dockerfile) == (8, "RUN exit 3")


def test_locate_failure_without_a_step_is_unknown(dockerfile):
    assert locate_failure("unable to prepare context: path not found", dockerfile) == (None, None)


def test_unknown_builder_name():
    with pytest.raises(BuildError, match="unknown builder"):
        select_builder("kaniko")


def _fake_podman(bin_dir: Path, body: str, mode: int = 0o755) -> Path:
    """A ``podman`` on a PATH of its own: a shell script that logs its arguments and runs ``body``."""
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / "podman"
    calls = bin_dir / "calls"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" >> "{calls}"\n{body}\n')
    script.chmod(mode)
    return script


def test_podman_is_not_detected_when_absent_from_path(tmp_path, monkeypatch):
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    assert podman_builder().detect() is False
    assert podman_builder().problem() == "not installed"
    with pytest.raises(BuildError, match=r"^no working builder found \(podman: not installed\)$"):
        select_builder("podman")


def test_podman_that_is_not_executable_is_not_installed(tmp_path, monkeypatch):
    _fake_podman(tmp_path / "bin", "exit 0", mode=0o644)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    assert podman_builder().problem() == "not installed"
    assert not (tmp_path / "bin" / "calls").exists()


def test_podman_is_detected_when_its_info_command_succeeds(tmp_path, monkeypatch):
    _fake_podman(tmp_path / "bin", "echo 5.0.3")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    assert podman_builder().detect() is True
    assert select_builder("podman").name == "podman"
    # detect() asked podman itself, with the info command: once for detect, once for select.
    assert (tmp_path / "bin" / "calls").read_text() == "info\n--format\n{{.Version.Version}}\n" * 2


@pytest.mark.parametrize(("stderr", "problem"), [
    # podman without a reachable service: its own words, not the noise before them
    ('time="2026-01-01T00:00:00Z" level=warning msg="The cgroupv2 manager is set to systemd"\n'
     "Error: unable to connect to Podman socket: dial unix /run/podman/podman.sock: connect: no such file",
     "Error: unable to connect to Podman socket: dial unix /run/podman/podman.sock: connect: no such file"),
    ("first line\nError: storage is corrupt", "Error: storage is corrupt"),
    ("", "podman info failed (125)"),
])
def test_podman_whose_info_fails_is_not_detected_and_says_why(tmp_path, monkeypatch, stderr, problem):
    lines = " ".join(shlex.quote(line) for line in stderr.splitlines())
    # Only shell builtins: the fake PATH has nothing else.
    _fake_podman(tmp_path / "bin", (f"printf '%s\\n' {lines} >&2; " if lines else "") + "exit 125")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    assert podman_builder().detect() is False
    assert podman_builder().problem() == problem


@pytest.mark.docker
def test_docker_build_failure_names_the_line(tmp_path):
    base = busybox_base()
    (tmp_path / "Dockerfile").write_text(f"FROM {base}\nRUN echo ok\n\nRUN echo bad \\\n  && exit 3\nCMD [\"sh\"]\n")
    with pytest.raises(BuildFailed) as failed:
        DockerBuilder().build(tmp_path, tmp_path / "Dockerfile")
    assert failed.value.line == 4
    assert "exit 3" in failed.value.instruction
    assert "returned a non-zero code: 3" in failed.value.log_tail or "exit code: 3" in failed.value.log_tail
    assert str(failed.value).startswith(f"{tmp_path / 'Dockerfile'}:4:")


@pytest.mark.docker
@pytest.mark.sandbox
def test_build_save_unpack_and_run_in_sandbox(tmp_path, support, no_leaks):
    base = busybox_base()
    (tmp_path / "index.html").write_text("hello from the image\n")
    (tmp_path / "Dockerfile").write_text(
        f"FROM {base}\nCOPY index.html /www/index.html\nRUN rm /bin/wget\nUSER app\n"
        "EXPOSE 8080\nCMD [\"httpd\", \"-f\", \"-p\", \"8080\", \"-h\", \"/www\"]\n")
    builder = DockerBuilder()
    lines: list[str] = []
    built = builder.build(tmp_path, tmp_path / "Dockerfile", build_args={"X": "1"},
                          on_line=lines.append)
    try:
        archive = tmp_path / "image.tar"
        with builder.save(built.image_ref) as stream, archive.open("wb") as out:
            shutil.copyfileobj(stream, out)
        layers, config = archive_layers(archive)
        cache = LayerCache(tmp_path / "cache")
        with assembled_rootfs(layers, cache, overlay=support.overlay, workdir=tmp_path) as root:
            spec = SandboxSpec(rootfs=root, argv=tuple(config["config"]["Cmd"]), uid=1000, gid=1000,
                               env=tuple(tuple(e.split("=", 1)) for e in config["config"]["Env"]))
            with start(spec) as box:
                deadline = time.monotonic() + 5
                while not box.listening_sockets() and time.monotonic() < deadline:
                    time.sleep(0.02)
                assert [(s.port, s.wildcard) for s in box.listening_sockets()] == [(8080, True)]
                assert box.connect_tcp(8080)
                got = box.exec_in(("wget", "-qO-", "http://127.0.0.1:8080/"))
                assert got.exit_code == 127   # wget was whited out by the RUN rm layer
                page = box.exec_in(("cat", "/www/index.html"))
                assert page.stdout == b"hello from the image\n"
                who = box.exec_in(("id", "-u"))
                assert who.stdout == b"1000\n"
    finally:
        subprocess.run(["docker", "rmi", "-f", built.image_ref], capture_output=True)
    assert any("Step" in line or "#" in line for line in lines)
    assert cache.extractions == len(layers)


@pytest.mark.docker
def test_save_of_a_missing_image_raises(tmp_path):
    require_docker()
    from pylint_image.linter.errors import SourceError
    with pytest.raises(SourceError, match="docker save failed"):
        with DockerBuilder().save("pylint-image-test/does-not-exist:0") as stream:
            stream.read()


def test_a_silent_hung_build_is_killed_at_its_deadline():
    from pylint_image.runner.build import _run_logged

    seen: list[str] = []
    code, log = _run_logged(["sh", "-c", "echo one; echo two; exit 3"], dict(os.environ), 30, seen.append)
    assert (code, log, seen) == (3, "one\ntwo", ["one", "two"])
    with pytest.raises(BuildError, match="build timed out after"):
        _run_logged(["sh", "-c", "echo started; exec sleep 60"], dict(os.environ), 0.5, None)
