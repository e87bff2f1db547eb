"""Hostile inputs (issue 8): bounded variable expansion, special files, symlinks out of the tree."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pylint_image.linter import (ExpansionBudget, ExpansionCut, Finding, ImageLocation, Notification, Report,
                                 RuntimeLocation, Severity, SourceLocation, Span, Table, expansion_limit)
from pylint_image.linter.formatters.base import escape_control
from pylint_image.linter.formatters.codeframe import MAX_FRAME_WIDTH, SourceLines, clip
from pylint_image.linter.formatters.text import TextFormatter
from pylint_image.linter.parse import parse_dockerfile
from pylint_image.rules._shared.commands import run_commands
from pylint_image.rules._shared.variables import expand, global_scope, walk
from tests.support.linting import lint_file

DOUBLINGS = "ARG A0=aaaaaaaaaa\n" + "".join(f"ARG A{i}=${{A{i - 1}}}${{A{i - 1}}}\n" for i in range(1, 41))
BOMB = DOUBLINGS + "FROM alpine:3.20\nARG A40\nENV E=$A40\nUSER $A40\nRUN echo $A40\n"


def test_forty_doublings_are_cut_and_reported(tmp_path: Path) -> None:
    """The 10 TB ARG chain of the issue lints in bounded memory, with DF0008 naming what was cut."""
    assert 800 <= len(DOUBLINGS.encode()) <= 900  # the 836-byte file, give or take the newlines
    path = tmp_path / "Dockerfile"
    path.write_text(BOMB)
    result = lint_file(path)
    assert not result.outcome.notifications  # no rule crashed (MemoryError before the budget)
    cut = [f for f in result.outcome.findings if f.code == "DF0008"]
    assert cut and cut[0].source.span.start_line == 13 and "ARG A12" in cut[0].message
    scope = global_scope(parse_dockerfile(path))
    assert sum(len(v or "") for v in scope.values()) <= expansion_limit(len(DOUBLINGS))


def test_parse_level_expansion_is_bounded() -> None:
    """The parser's own expander (global ARGs, FROM) stops at the file's budget."""
    df = parse_dockerfile("Dockerfile", DOUBLINGS + "FROM img:${A40}\n")
    assert "$" in df.stages[0].base.resolved  # left as written: unknown, not 10 TB
    assert len(df.stages[0].base.resolved) < expansion_limit(len(df.text))


def test_an_expansion_the_budget_cannot_pay_stays_as_written() -> None:
    budget = ExpansionBudget(10)
    assert expand("${A}${A}", {"A": "12345"}, budget=budget) == "1234512345"
    assert budget.left == 0
    assert expand("x$A", {"A": "1"}, budget=budget) == "x$A"
    assert expand("$A$A$A", {"A": "x" * expansion_limit(12)}) == "$A$A$A"
    assert expand("'a' $A", {"A": "x" * expansion_limit(12)}) == "'a' $A"  # quotes too stay as written


def test_deep_default_nesting_is_left_as_written() -> None:
    """``${A:-${A:-...}}`` 5000 deep used to raise RecursionError in the parser."""
    text = "${A:-" * 5000 + "x" + "}" * 5000
    df = parse_dockerfile("Dockerfile", f"ARG X={text}\nFROM alpine:${{X}}\n")
    assert df.stages[0].base.raw == "alpine:${X}"


def test_shell_doubling_in_run_is_bounded() -> None:
    """``a=$a$a`` forty times in one RUN: the words stay bounded by the stage's budget."""
    run = "RUN a=aaaaaaaaaa; " + "; ".join(["a=$a$a"] * 40) + '; echo "$a"'
    df = parse_dockerfile("Dockerfile", f"FROM alpine:3.20\n{run}\n")
    stage = df.stages[0]
    for instruction, scope in walk(df, stage):
        if instruction.keyword == "RUN":
            words = [w.text for c in run_commands(instruction, scope) for w in c.words]
            assert sum(map(len, words)) <= expansion_limit(len(df.text)) + len(run)


@pytest.mark.parametrize("limit", [0, 1, 100])
def test_a_budget_charge_is_refused_whole(limit: int) -> None:
    budget = ExpansionBudget(limit)
    with pytest.raises(ExpansionCut):
        budget.charge(limit + 1)
    assert budget.left == limit


# --- special files and symlinks: run as a subprocess, so that a hang fails on the timeout ---

CLEAN = "FROM alpine:3.20\nUSER 1000\nCMD [\"sh\"]\n"
FLAGGED = "FROM alpine:3.20\nCMD [\"sh\"]\n"  # DF3002: exit code 1 when linted


def _cli(*args: str, cwd: Path, stdin: object = subprocess.DEVNULL) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", *args], cwd=cwd, stdin=stdin,
                          capture_output=True, text=True, timeout=60, env=env)


def test_fifo_and_devices_are_refused_in_one_line_and_other_files_linted(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.Dockerfile")  # nobody ever writes to it: reading would block forever
    (tmp_path / "Dockerfile").write_text(FLAGGED)
    result = _cli("fifo.Dockerfile", "/dev/zero", "Dockerfile", "-f", "json", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "pylint-image: error: fifo.Dockerfile: not a regular file (a FIFO)",
        "pylint-image: error: /dev/zero: not a regular file (a character device)",
    ]
    assert [f["code"] for f in json.loads(result.stdout)["findings"]] == ["DF3002"]


def test_dev_stdin_as_a_pipe_is_refused_but_dash_reads_it(tmp_path: Path) -> None:
    piped = subprocess.PIPE
    env = {**os.environ, "NO_COLOR": "1"}
    cmd = [sys.executable, "-m", "pylint_image.linter.cli"]
    named = subprocess.run([*cmd, "/dev/stdin"], input=CLEAN, stdout=piped, stderr=piped, text=True,
                           timeout=60, env=env, cwd=tmp_path)
    assert named.returncode == 2 and "/dev/stdin: not a regular file (a FIFO)" in named.stderr
    dash = subprocess.run([*cmd, "-"], input=CLEAN, stdout=piped, stderr=piped, text=True, timeout=60,
                          env=env, cwd=tmp_path)
    assert dash.returncode == 0, dash.stderr


def test_walk_does_not_follow_symlinks_out_of_the_tree(tmp_path: Path) -> None:
    tree, outside = tmp_path / "tree", tmp_path / "outside"
    (tree / "svc").mkdir(parents=True)
    outside.mkdir()
    (outside / "Dockerfile").write_text("FROM alpine:3.20\nRUN echo secret-outside\n")
    (tree / "Dockerfile").symlink_to("/etc/passwd")
    (tree / "svc" / "Dockerfile").symlink_to("../../outside/Dockerfile")
    (tree / "svc" / "real.Dockerfile").write_text(FLAGGED)
    (tree / "svc" / "inside.Dockerfile").symlink_to("real.Dockerfile")  # stays in the tree: linted
    result = _cli("tree", cwd=tmp_path)
    assert result.returncode == 1  # a warning, not an input error: the other files decide
    warnings = [line for line in result.stderr.splitlines() if line.startswith("pylint-image: warning:")]
    assert len(warnings) == 2 and all("not followed" in w for w in warnings)
    assert "tree/Dockerfile: symlink to /etc/passwd, outside tree" in warnings[0]
    assert "root:x:0" not in result.stdout and "secret-outside" not in result.stdout
    assert "svc/inside.Dockerfile" in result.stdout and "svc/real.Dockerfile" in result.stdout
    assert "input-skipped" not in result.stdout   # said once, on stderr; JSON and SARIF keep it


def test_a_symlink_named_on_the_command_line_is_followed(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "Dockerfile").write_text(FLAGGED)
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "Dockerfile").symlink_to("../elsewhere/Dockerfile")
    result = _cli("Dockerfile", cwd=tmp_path / "work")
    assert result.returncode == 1 and "DF3002" in result.stdout
    (tmp_path / "work" / "dev.Dockerfile").symlink_to("/dev/zero")  # followed, then refused
    result = _cli("dev.Dockerfile", cwd=tmp_path / "work")
    assert result.returncode == 2 and "not a regular file (a character device)" in result.stderr


def test_a_file_name_with_escapes_is_one_escaped_error_line(tmp_path: Path) -> None:
    result = _cli("evil\x1b[2J\nname", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == "pylint-image: error: evil\\x1b[2J\\nname: no such file or directory\n"


# --- container output: escaped for terminals and annotations, raw in JSON and SARIF ---

NASTY = "exited 1: \x1b]0;pwned\x07\x1b[2J\rERROR\x9b31m \u202egnp.exe\x00 done\tok"


def _container_report() -> Report:
    """A report whose text came from a container and an image: a tail, a file name, a table cell."""
    from tests.support.sample_report import RULES

    runtime = RuntimeLocation("evil:1", "entrypoint", SourceLocation(Path("/repo/Dockerfile"), Span(2, 1, 2, 4)))
    image = ImageLocation("evil:1", path_in_image="/bin/\x1b[31mls")
    findings = (
        Finding("RT3006", "entrypoint-exits-early", Severity.ERROR, runtime, NASTY + "\nsecond line", "f1"),
        Finding("IM2001", "setuid-file", Severity.WARNING, image, "setuid \x1b[5mfile", "f2"),
    )
    notes = (Notification("sandbox-error", "error", "probe said \x1b[1mhi\r\n"),)
    table = Table("Layers", ("path",), (("/etc/\x1b[8mhidden",),))
    return Report(findings=findings, notifications=notes, rules=RULES, targets=("evil:1",), tool_version="0.1.0",
                  root=Path("/repo"), sources={"Dockerfile": "FROM evil:1\nRUN \x1b[31m red\n"}, tables=(table,))


def _render(name: str, color: bool = False) -> str:
    from pylint_image.linter.plugins import load_formatter

    stream = io.StringIO()
    load_formatter(name)(color=color, concise=False).render(_container_report(), stream)
    return stream.getvalue()


@pytest.mark.parametrize(("fmt", "color"), [("text", False), ("text", True), ("github", False)])
def test_terminal_and_annotation_output_never_carries_control_characters(fmt: str, color: bool) -> None:
    out = _render(fmt, color)
    if color:  # rich's own styling is ESC sequences: take them out, what is left must be clean
        out = re.sub(r"\x1b\[[0-9;]*m", "", out)
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", out), repr(out)
    assert "\\x1b]0;pwned\\x07\\x1b[2J\\rERROR\\x9b31m \\u202egnp.exe\\x00" in out
    assert "/bin/\\x1b[31mls" in out and "probe said \\x1b[1mhi" in out
    if fmt == "text":
        assert "/etc/\\x1b[8mhidden" in out and "RUN \\x1b[31m red" in out
        assert re.search(r"done\s+ok\n", out)  # a tab stays (rich expands it)
        assert "\n   = note: second line\n" in out   # a message's further lines below its headline, escaped


def test_github_keeps_multiline_messages_and_tabs() -> None:
    line = next(x for x in _render("github").splitlines() if "RT3006" in x)
    assert line.endswith("done\tok%0Asecond line")


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_json_and_sarif_carry_the_raw_text(fmt: str) -> None:
    out = _render(fmt)
    assert "\x1b" not in out  # JSON writes C0 controls as \u001b itself
    strings = _strings(json.loads(out))
    assert NASTY + "\nsecond line" in strings and "/bin/\x1b[31mls" in "".join(strings)


def _strings(node: object) -> list[str]:
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return [node] if isinstance(node, str) else []


# --- the code frame is linear in the file: it shows a window, not the line ---

def test_huge_single_line_frames_show_a_window(tmp_path: Path) -> None:
    """A thousand findings on one 2 MB line: output stays a few hundred bytes per finding."""
    from tests.support.sample_report import RULES

    line = "RUN " + "a\x1b" * 1_000_000
    findings = tuple(Finding("DF9999", "x", Severity.WARNING, SourceLocation(Path("/repo/Dockerfile"),
                                                                           Span(1, c, 1, c + 3)), "m", str(c))
                     for c in range(1, 2_000_000, 2000))
    report = Report(findings=findings, notifications=(), rules=RULES, targets=("Dockerfile",), tool_version="0",
                    root=Path("/repo"), sources={"Dockerfile": line})
    stream = io.StringIO()
    TextFormatter(color=False).render(report, stream)
    out = stream.getvalue()
    assert len(findings) == 1000 and len(out) < 1000 * 700
    assert "\x1b" not in out
    middle = out.split("Dockerfile:1:2001:", 1)[1].splitlines()
    shown, carets = middle[2], middle[3]
    assert shown.startswith(" 1 | ...") and shown.endswith("...")
    assert shown[carets.index("^"):].startswith(escape_control(line[2000:2003], keep=""))  # under the span


def test_source_lines_are_split_once_per_file() -> None:
    report = Report(findings=(), notifications=(), rules=(), targets=(), tool_version="0", root=Path("/repo"),
                    sources={"Dockerfile": "FROM a\r\nRUN b\n"})
    lines = SourceLines(report)
    assert lines.of("Dockerfile") is lines.of("Dockerfile")
    assert lines.of(Path("/repo/Dockerfile")) == ["FROM a", "RUN b", ""]
    assert lines.of("other") is None


@pytest.mark.parametrize(("line", "start", "end", "expected"), [
    ("RUN echo", 1, 4, ("RUN echo", 1, 3)),
    ("RUN\techo", 5, 9, ("RUN echo", 5, 4)),
    ("RUN \x1b[31m", 5, 10, ("RUN \\x1b[31m", 5, 8)),
    ("FROM a", 7, 9, ("FROM a", 7, 2)),  # past the end of the line: carets where the token is missing
])
def test_clip_keeps_carets_under_their_columns(line: str, start: int, end: int, expected: tuple) -> None:
    assert clip(line, start, end) == expected


def test_clip_windows_a_long_line_around_the_span() -> None:
    line = "x" * 10_000 + "TARGET" + "y" * 10_000
    shown, lead, carets = clip(line, 10_001, 10_007)
    assert len(shown) <= MAX_FRAME_WIDTH + 6
    assert shown[lead - 1: lead - 1 + carets] == "TARGET"


def test_endless_stdin_and_oversized_files_are_refused_in_one_line(tmp_path: Path) -> None:
    huge = tmp_path / "Dockerfile"
    with huge.open("wb") as out:   # sparse: 65 MiB that costs no disk
        out.truncate(65 * 1024 * 1024)
    with open("/dev/zero", "rb") as zero:
        endless = _cli("-", cwd=tmp_path, stdin=zero)
    too_big = _cli(str(huge), cwd=tmp_path)
    for done, name in ((endless, "<stdin>"), (too_big, "Dockerfile")):
        assert done.returncode == 2
        (line,) = done.stderr.strip().splitlines()
        assert name in line and "larger than 64 MiB" in line
