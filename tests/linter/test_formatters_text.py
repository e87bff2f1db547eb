"""Text formatter: golden output in plain mode, colour switches, concise mode."""

from __future__ import annotations

import io
import re

import pytest

from pylint_image.linter.formatters.text import TextFormatter
from tests.support.golden import assert_golden
from tests.support.sample_report import CASES, full_report


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _render(report, stream=None, **kwargs) -> str:
    stream = stream if stream is not None else io.StringIO()
    TextFormatter(**kwargs).render(report, stream)
    return stream.getvalue()


@pytest.mark.parametrize("case", sorted(CASES))
def test_text_golden(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert_golden(f"formatters/text/{case}.out", _render(CASES[case]()))


def test_text_concise_golden() -> None:
    assert_golden("formatters/text/full_concise.out", _render(full_report(), concise=True))


def test_text_is_plain_when_not_a_tty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert "\x1b[" not in _render(full_report())


def test_text_is_coloured_on_a_tty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert "\x1b[" in _render(full_report(), _Tty())


def test_no_color_env_wins_over_a_tty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in _render(full_report(), _Tty())


def test_color_false_and_true_are_explicit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    assert "\x1b[" not in _render(full_report(), _Tty(), color=False)
    assert "\x1b[" in _render(full_report(), color=True)


def test_text_hides_suppressed_findings_but_counts_them() -> None:
    out = _render(full_report())
    assert "`debian` has no tag" not in out
    assert "1 suppressed" in out


def test_text_plain_frame_underlines_the_span() -> None:
    lines = _render(full_report()).splitlines()
    frame = lines.index(" 2 | FROM python AS build")
    assert lines[frame + 1] == "   |      ^^^^^^"


def test_concise_is_one_line_per_finding() -> None:
    out = _render(full_report(), concise=True)
    finding_lines = [line for line in out.splitlines() if re.match(r"^\S+( \(probe \w+\))?: [A-Z]{2}\d{4} \[", line)]
    assert len(finding_lines) == len(full_report().visible())
    assert "app/Dockerfile:2:6: DF1006 [unpinned-image-tag]" in out
    assert "example:1.0:/bin/su: IM2001" in out


def test_suppressed_findings_are_counted_not_shown() -> None:
    report = full_report()
    assert len(report.findings) - len(report.visible()) == 1
    out = _render(report)
    assert "; 1 suppressed." in out


def test_a_long_line_is_framed_as_a_window_with_carets_under_the_span() -> None:
    import dataclasses

    report = full_report()
    long_line = "FROM python AS build" + " " * 300 + "# " + "x" * 5000
    text = report.sources["app/Dockerfile"].replace("FROM python AS build", long_line, 1)
    lines = _render(dataclasses.replace(report, sources={"app/Dockerfile": text})).splitlines()
    frame = next(i for i, line in enumerate(lines) if line.startswith(" 2 | FROM python AS build"))
    assert lines[frame].endswith("...") and len(lines[frame]) < 200
    assert lines[frame + 1] == "   |      ^^^^^^"


def test_control_characters_in_messages_are_escaped() -> None:
    import dataclasses

    report = full_report()
    first = dataclasses.replace(report.findings[0], message="tail: \x1b[2Jgone\rback")
    out = _render(dataclasses.replace(report, findings=(first, *report.findings[1:])))
    assert "tail: \\x1b[2Jgone\\rback" in out and "\x1b" not in out and "\r" not in out


def test_concise_prints_findings_and_nothing_else() -> None:
    # A table, the summary and the note-level notifications are not printed; a problem of
    # the run itself (an error or warning notification) is one line, so exit 3 is explained.
    report = full_report()
    assert report.tables and report.notifications
    lines = _render(report, concise=True).splitlines()
    headline = re.compile(r"^\S+( \(probe \w+\))?: [A-Z]{2}\d{4} \[[a-z0-9-]+\] \S")
    findings = [line for line in lines if headline.match(line)]
    rest = [line for line in lines if not headline.match(line)]
    assert len(findings) == len(report.visible())
    assert rest == [
        "app/Dockerfile:1: error rule-crashed: DF9999 crashed on app/Dockerfile: ZeroDivisionError",
        "warning sandbox-unavailable: user namespaces are unavailable: probes skipped",
    ]
    assert all(line == line.rstrip() for line in lines)


def test_concise_without_findings_prints_nothing() -> None:
    import dataclasses

    report = dataclasses.replace(full_report(), findings=(), notifications=())
    assert _render(report, concise=True) == ""
    assert "No findings" in _render(report)


def test_concise_on_a_tty_is_one_coloured_line_per_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    report = dataclasses.replace(full_report(), notifications=())
    out = _render(report, _Tty(), concise=True)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out)
    assert "\x1b[" in out
    assert len(plain.splitlines()) == len(report.visible())
    assert "Layers of" not in plain and "Found" not in plain
