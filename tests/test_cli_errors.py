"""Exit codes and error messages of every command (issue 11, part 5).

0 nothing at or above --fail-on; 1 findings; 2 the user's mistake (usage, config, input);
3 the host's (a plugin or tool, the engine, the builder, the sandbox): the same for every
command, one line on stderr, and a closed stdout keeps the code the findings deserve.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from pylint_image.linter import cli, errors, plugins

FINDINGS = "FROM alpine\nRUN apt-get install curl\n"   # warnings: exit code 1


def run(*args: str, cwd: Path, env: dict | None = None, stdout=subprocess.PIPE) -> subprocess.CompletedProcess:
    environment = {**os.environ, "NO_COLOR": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", *args], cwd=cwd, stdout=stdout,
                          stderr=subprocess.PIPE, text=True, timeout=120, env=environment)


# --- every command x every error class --------------------------------------------------------

ERROR_CLASSES = [
    (cli.UsageError, 2), (errors.ConfigError, 2), (errors.InputError, 2), (errors.SourceError, 2),
    (errors.PluginLoadError, 3), (cli.ToolUnavailable, 3), (errors.EngineUnavailable, 3),
    (errors.BuildError, 3), (errors.SandboxUnavailable, 3), (errors.SandboxError, 3),
]
# Each command's argv, and the function on its path that the error is raised from.
COMMANDS = {
    "lint": (["Dockerfile"], "pylint_image.linter.plugins.load_registry"),
    "check": (["check", "Dockerfile"], "pylint_image.linter.plugins.load_registry"),
    "image": (["image", "some.tar"], "pylint_image.linter.plugins.load_registry"),
    "verify": (["verify", "--image", "docker-daemon:x"], "pylint_image.linter.plugins.load_registry"),
    "rules": (["rules"], "pylint_image.linter.plugins.load_registry"),
    "rule": (["rule", "DF0001"], "pylint_image.linter.plugins.load_registry"),
    "cache": (["cache", "prune", "--cache-dir", "cache"], "pylint_image.runner.cache.prune"),
    "config": (["config", "--from-hadolint"], "pylint_image.linter.hadolint_config.load_settings"),
    "merge": (["merge", "shard1.sarif"], "pylint_image.linter.merge.read"),
    "pin": (["pin", "Dockerfile"], "pylint_image.runner.pin_cli.pin_file"),
}


def test_the_table_covers_every_command() -> None:
    assert set(COMMANDS) - {"lint"} == set(cli.SUBCOMMANDS)


@pytest.mark.parametrize("error,code", ERROR_CLASSES, ids=[c.__name__ for c, _ in ERROR_CLASSES])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_maps_every_error_class_to_its_exit_code(command, error, code, tmp_path, monkeypatch,
                                                               capsys) -> None:
    argv, target = COMMANDS[command]
    module, _, name = target.rpartition(".")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "Dockerfile").write_text(FINDINGS)

    def fail(*args, **kwargs):
        raise error("the underlying message", "where")

    monkeypatch.setattr(sys.modules[module] if module in sys.modules else __import__(module, fromlist=[name]),
                        name, fail)
    assert cli.main(argv) == code
    out, err = capsys.readouterr()
    assert err == "pylint-image: error: where: the underlying message\n" and out == ""


def test_the_exit_code_table_of_errors_py() -> None:
    assert {cls: cls.exit_code for cls, _ in ERROR_CLASSES} == dict(ERROR_CLASSES)
    assert errors.PylintImageError("x").exit_code == 2


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_bad_option_is_a_usage_error_for_every_command(command, tmp_path) -> None:
    argv = [a for a in COMMANDS[command][0]]
    result = run(*argv, "--no-such-option", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stdout == "" and result.stderr.splitlines() == [
        "pylint-image: error: unrecognized arguments: --no-such-option"]


@pytest.mark.parametrize("argv", [["Dockerfile"], ["image", "x.tar"], ["verify", "--image", "x.tar"]])
def test_an_unknown_format_is_a_usage_error_for_every_report_command(argv, tmp_path) -> None:
    (tmp_path / "Dockerfile").write_text(FINDINGS)
    result = run(*argv, "--format", "jsn", cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    from pylint_image.linter.formatters import BUILTIN_FORMATTERS

    supported = ", ".join(sorted(BUILTIN_FORMATTERS) + ["gitlab_codeclimate", "tty"])   # as test_cli's
    assert result.stderr.splitlines() == [f"pylint-image: error: unknown format 'jsn' (supported: {supported})"]


@pytest.mark.parametrize("argv", [["image", "docker-daemon:pylint-image-test/x:1"],
                                  ["verify", "--image", "docker-daemon:pylint-image-test/x:1", "--progress", "none"]])
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_an_unreachable_engine_is_exit_3_with_its_message_for_image_and_verify(argv, fmt, tmp_path) -> None:
    result = run(*argv, "--format", fmt, cwd=tmp_path,
                 env={"DOCKER_HOST": f"unix://{tmp_path}/nonexistent.sock", "PATH": os.environ["PATH"]})
    assert result.returncode == 3, result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("pylint-image: error: docker-daemon:pylint-image-test/x:1: ")
    assert "Traceback" not in result.stderr
    if fmt == "text":
        assert result.stdout == ""    # said once, on stderr
    else:
        assert [n["id"] for n in json.loads(result.stdout)["notifications"]] == ["engine-unavailable"]


# --- a closed pipe -------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_closed_stdout_keeps_the_exit_code_of_the_findings(fmt, tmp_path) -> None:
    (tmp_path / "Dockerfile").write_text(FINDINGS)
    read_end, write_end = os.pipe()
    os.close(read_end)   # the reader is gone before anything is written: every write is EPIPE
    try:
        result = run("--format", fmt, "Dockerfile", cwd=tmp_path, stdout=write_end)
    finally:
        os.close(write_end)
    assert result.returncode == 1, result.stderr
    assert result.stderr == ""   # no traceback, no "Exception ignored" at exit


def test_head_dash_1_in_a_shell_keeps_the_exit_code(tmp_path) -> None:
    (tmp_path / "Dockerfile").write_text(FINDINGS)
    for i in range(200):   # more than a pipe buffer of report: head leaves while it is written
        (tmp_path / f"{i}.Dockerfile").write_text(FINDINGS)
    script = f"{sys.executable} -m pylint_image.linter.cli . | head -1; echo \"rc=${{PIPESTATUS[0]}}\" >&2"
    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "NO_COLOR": "1"})
    assert done.stderr.splitlines()[-1] == "rc=1" and "Traceback" not in done.stderr, done.stderr
    assert len(done.stdout.splitlines()) == 1


def test_a_closed_stdout_after_rules_is_exit_0_without_traceback(tmp_path) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = run("rules", cwd=tmp_path, stdout=write_end)
    finally:
        os.close(write_end)
    assert result.returncode == 0 and result.stderr == ""


# --- messages ------------------------------------------------------------------------------------

def test_a_missing_input_is_one_line_on_stderr_and_nothing_on_stdout(tmp_path) -> None:
    result = run("nope", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == "pylint-image: error: nope: no such file or directory\n"
    # A machine format still gets its document, with the error in it.
    as_json = run("--format", "json", "nope", cwd=tmp_path)
    assert as_json.returncode == 2
    assert [n["id"] for n in json.loads(as_json.stdout)["notifications"]] == ["input-error"]


def test_a_missing_input_beside_a_good_file_leaves_the_report_of_the_good_one(tmp_path) -> None:
    (tmp_path / "Dockerfile").write_text(FINDINGS)
    result = run("nope", "Dockerfile", cwd=tmp_path)
    assert result.returncode == 2
    assert "DF2001" in result.stdout and "nope" not in result.stdout
    assert result.stderr == "pylint-image: error: nope: no such file or directory\n"


@pytest.mark.parametrize("word,command", [("imagee", "image"), ("verfy", "verify"), ("rulez", "rules"),
                                          ("ruel", "rule"), ("chekc", "check")])
def test_a_mistyped_command_is_a_usage_error_with_a_suggestion(word, command, tmp_path) -> None:
    result = run(word, "foo", cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == f"pylint-image: error: unknown command '{word}': did you mean '{command}'?\n"


def test_a_file_named_like_a_mistyped_command_is_linted(tmp_path) -> None:
    (tmp_path / "imagee").write_text(FINDINGS)
    result = run("imagee", cwd=tmp_path)
    assert result.returncode == 1 and "imagee:2" in result.stdout, result.stderr
    # A word far from every command stays a missing file.
    assert run("Dockerfil", cwd=tmp_path).stderr == "pylint-image: error: Dockerfil: no such file or directory\n"


def test_image_of_a_reference_that_is_no_file_suggests_registry(tmp_path) -> None:
    result = run("image", "myimage:1", cwd=tmp_path, env={"DOCKER_HOST": f"unix://{tmp_path}/none.sock"})
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == ("pylint-image: error: myimage:1: no such file or directory; "
                             "did you mean registry:myimage:1?\n")
    # Not a reference (upper case), an archive name: no suggestion.
    for source in ("MyImage:1", "missing.tar"):
        said = run("image", source, cwd=tmp_path, env={"DOCKER_HOST": f"unix://{tmp_path}/none.sock"}).stderr
        assert said == f"pylint-image: error: {source}: no such file or directory\n"


class _FakeEngine:
    """A unix socket answering ``GET /images/NAME/json`` as dockerd does: 200 for the names it has."""

    def __init__(self, path: Path, images: set[str]) -> None:
        self.images, self.requests = images, []
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        self.server.listen()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                request = conn.recv(65536).decode()
                name = request.split()[1].removeprefix("/images/").removesuffix("/json")
                self.requests.append(name)
                if name in self.images:
                    body = json.dumps({"Id": "sha256:" + "a" * 64}).encode()
                    conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                                 + str(len(body)).encode() + b"\r\n\r\n" + body)
                else:
                    conn.sendall(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n")


def test_image_of_a_local_engine_image_suggests_docker_daemon(tmp_path, monkeypatch) -> None:
    from pylint_image.runner.image_cli import suggestion

    engine = _FakeEngine(tmp_path / "docker.sock", {"myapp:1.2"})
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/docker.sock")
    monkeypatch.delenv("DOCKER_CONTEXT", raising=False)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "no-config"))
    monkeypatch.chdir(tmp_path)
    assert suggestion("myapp:1.2") == "; did you mean docker-daemon:myapp:1.2?"
    assert suggestion("other:1") == "; did you mean registry:other:1?"
    assert engine.requests == ["myapp:1.2", "other:1"]
    assert suggestion("docker-daemon:myapp:1.2") == "" and suggestion("registry:x:1") == ""
    (tmp_path / "present").write_text("")
    assert suggestion("present") == ""   # a file that exists is not a typo of an image


def test_image_help_is_for_users(tmp_path) -> None:
    result = run("image", "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "Analyse a built image" in result.stdout
    assert "source.acquire" not in result.stdout and "``" not in result.stdout


def test_concise_prints_no_tables(tmp_path) -> None:
    from tests.support import synth_image as synth

    layout = synth.write_oci_layout({"layers": [{"files": [{"path": "/a", "content": "x"}]}]}, tmp_path / "l")
    full = run("image", str(layout), cwd=tmp_path)
    assert "Layers of" in full.stdout, full.stdout + full.stderr
    concise = run("image", str(layout), "--concise", cwd=tmp_path)
    assert concise.returncode == full.returncode
    assert "Layers of" not in concise.stdout and "Wasted space" not in concise.stdout


def test_formatter_names_are_checked_against_the_installed_formatters() -> None:
    names = {p.name for p in plugins.find(plugins.FORMATTERS_GROUP)}
    assert {"text", "json", "sarif", "github"} <= names
    assert cli.resolve_format("tty") == "text" and cli.resolve_format("json") == "json"


def test_lint_jobs_must_be_positive(tmp_path) -> None:
    import subprocess
    import sys

    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    for jobs in ("0", "-1"):
        done = subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", "--jobs", jobs, "Dockerfile"],
                              capture_output=True, text=True, cwd=tmp_path)
        assert done.returncode == 2 and done.stdout == ""
        assert done.stderr == "pylint-image: error: --jobs must be at least 1\n"
