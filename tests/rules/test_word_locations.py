"""A finding about a word of a multi-line RUN points at that word's line and column, not at RUN."""

from __future__ import annotations

from tests.support.linting import lint_text

MULTI_LINE = """FROM debian:12.5
RUN set -e; \\
    apt-get update && \\
    apt-get install curl && \\
    cd /tmp && \\
      sudo   pip install flask && \\
    rm -rf /var/lib/apt/lists/*
"""


def _spans(text: str, codes: tuple[str, ...]) -> dict[str, set[tuple[int, int, int, int]]]:
    result = lint_text(text, table={"select": list(codes)})
    found: dict[str, set[tuple[int, int, int, int]]] = {}
    for f in result.outcome.findings:
        if f.code in codes and f.suppressed is None:
            s = f.source.span
            found.setdefault(f.code, set()).add((s.start_line, s.start_col, s.end_line, s.end_col))
    return found


def test_words_on_continuation_lines_are_located_exactly() -> None:
    spans = _spans(MULTI_LINE, ("DF2001", "DF2003", "DF2006", "DF2012"))
    assert (4, 21, 4, 25) in spans["DF2001"]  # `curl`, the unpinned apt package, line 4 column 21
    assert spans["DF2003"] == {(4, 13, 4, 20)}  # the `install` verb
    assert spans["DF2006"] == {(5, 5, 5, 12)}  # `cd /tmp`
    assert {s[:2] for s in spans["DF2012"]} == {(6, 7)}  # `sudo`, after its indentation


def test_located_word_text_is_the_word() -> None:
    lines = MULTI_LINE.splitlines()
    line, col, _, end = next(iter(_spans(MULTI_LINE, ("DF2003",))["DF2003"]))
    assert lines[line - 1][col - 1:end - 1] == "install"


def test_a_pragma_above_the_run_still_covers_a_finding_on_line_three() -> None:
    text = MULTI_LINE.replace("RUN set -e;", "# pylint-image: ignore=DF2003 -- tested\nRUN set -e;")
    result = lint_text(text, table={"select": ["DF2003"]})
    [finding] = [f for f in result.outcome.findings if f.code == "DF2003"]
    assert finding.source.span.start_line == 5  # one line lower: the pragma was inserted above
    assert finding.suppressed is not None
    assert not [f for f in result.outcome.findings if f.code == "DF0002"]  # the pragma counts as used


def test_a_heredoc_body_finding_points_into_the_body() -> None:
    text = "FROM debian:12.5\nRUN <<EOF\nset -e\napt-get install -y make\nEOF\n"
    assert _spans(text, ("DF2003",))["DF2003"] == {(4, 9, 4, 16)}


def test_an_unpinned_rpm_package_is_located_at_the_package() -> None:
    text = "FROM fedora:40\nRUN dnf -y update && \\\n    dnf install -y \\\n        curl-8.6.0 git\n"
    assert _spans(text, ("DF2008",))["DF2008"] == {(4, 20, 4, 23)}  # `git`, line 4 column 20
