"""GitHub formatter: escaping, column rules, severity mapping, image findings, golden output."""

from __future__ import annotations

import io

import pytest

from pylint_image.linter import Finding, Report, Severity, SourceLocation, Span
from pylint_image.linter.formatters.github import GithubFormatter, command, escape_data, escape_property
from tests.support.golden import assert_golden
from tests.support.sample_report import CASES, ROOT, full_report


def _render(report: Report) -> str:
    stream = io.StringIO()
    GithubFormatter().render(report, stream)
    return stream.getvalue()


@pytest.mark.parametrize("case", sorted(CASES))
def test_github_golden(case: str) -> None:
    assert_golden(f"formatters/github/{case}.out", _render(CASES[case]()))


def test_escape_data_and_property() -> None:
    assert escape_data("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext: a,b"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    assert command("error", [("file", "x,y:z"), ("title", "T")], "m%") == "::error file=x%2Cy%3Az,title=T::m%25"


def test_columns_only_on_single_line_spans() -> None:
    lines = _render(full_report()).splitlines()
    single = next(line for line in lines if "DF1006" in line)
    multi = next(line for line in lines if "DF2010" in line)
    assert "line=2,endLine=2,col=6,endColumn=12," in single
    assert "line=3,endLine=4,title=" in multi and "col=" not in multi


def test_severity_mapping_and_suppressed_hidden() -> None:
    lines = _render(full_report()).splitlines()
    assert next(line for line in lines if "DF2010" in line).startswith("::notice ")  # INFO
    assert next(line for line in lines if "DF3001" in line).startswith("::notice ")  # STYLE
    assert next(line for line in lines if "IM2001" in line).startswith("::error ")
    assert not any("fp-df1006-2" in line or "`debian`" in line for line in lines)


def test_finding_without_source_names_the_image() -> None:
    line = next(line for line in _render(full_report()).splitlines() if "/bin/su" in line)
    assert line == "::error title=IM2001 setuid-binary::example:1.0:/bin/su: /bin/su is setuid root (mode 4755)"


def test_every_line_is_one_command() -> None:
    path = ROOT / "odd, name:1" / "Dockerfile"
    finding = Finding("DF1006", "unpinned-image-tag", Severity.WARNING, SourceLocation(path, Span(1, 1, 1, 5)),
                      "line one\nline two", "fp")
    report = Report(findings=(finding,), notifications=(), rules=(), targets=(), tool_version="0.1.0", root=ROOT)
    out = _render(report)
    assert out == ("::warning file=odd%2C name%3A1/Dockerfile,line=1,endLine=1,col=1,endColumn=5,"
                   "title=DF1006 unpinned-image-tag::line one%0Aline two\n")


def test_control_characters_are_escaped_before_the_toolkit_escaping() -> None:
    assert command("error", [("file", "a\x1bb")], "x\x1b[31m\r\ny\tz") == "::error file=a\\x1bb::x\\x1b[31m\\r%0Ay\tz"
