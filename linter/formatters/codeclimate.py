"""Code Climate issues (the engine spec's ``issue`` documents), as an engine streams them.

The spec (codeclimate/platform ``spec/analyzers/SPEC.md``, "Output") has an engine terminate
each issue, a JSON document, with a NUL character, optionally followed by a newline: each one
here is one line, ``{...}\\0\\n``.  GitLab reads the same issues as one JSON array: that is
``--format gitlab`` (gitlab.py).  Fields: ``type`` ("issue"), ``check_name`` (the rule code),
``description`` (one line, as the spec requires), ``categories``, ``location`` (repository-relative
``path``, and 1-based ``positions`` whose ``end`` is the last character, or ``lines``),
``severity``, ``fingerprint`` (stable: no line number), ``content.body`` (the rule's summary
and docs link) and ``trace`` (the finding's other levels that have a Dockerfile line).
Suppressed findings are left out.  docs/formats.md describes every field.
"""

from __future__ import annotations

import re
from typing import TextIO

from .. import docs
from ..findings import source_of
from ..model.span import Span
from ..report import Report
from . import _ci

_NEWLINES = re.compile(r"\r\n|[\r\n]")


class CodeClimateFormatter:
    """Renders each visible finding as a Code Climate issue, NUL-terminated."""

    name = "codeclimate"
    keeps_suppressed = False

    def __init__(self, *, color: bool | None = None, concise: bool = False) -> None:
        self.color = color  # accepted for the common constructor; JSON has no colour
        self.concise = concise

    def render(self, report: Report, stream: TextIO) -> None:
        """Write each issue as one line of JSON, terminated by NUL and a newline."""
        for issue in issues(report, positions=True):
            stream.write(_ci.json_dumps(issue, indent=None) + "\0\n")


def issues(report: Report, *, positions: bool) -> list[dict[str, object]]:
    """The Code Climate issue of every visible finding; ``positions`` gives line and column, else lines only."""
    prints = _ci.fingerprints(report)
    return [issue(p, report, prints[id(p.finding)], positions=positions) for p in _ci.shown(report)]


def issue(p: _ci.Placed, report: Report, fingerprint: str, *, positions: bool) -> dict[str, object]:
    """One issue document."""
    f = p.finding
    url = docs.rule_url(f.code)
    found: dict[str, object] = {
        "type": "issue",
        "check_name": f.code,
        # "Descriptions must be a single line of text" (the spec)
        "description": _NEWLINES.sub(" ", f"{f.code} {f.name}: {p.message}"),
        "categories": _ci.categories(report, f.code),
        "location": location(p.path, p.span, positions=positions),
        "severity": _ci.SEVERITY_CODE_QUALITY[f.severity],
        "fingerprint": fingerprint,
        "content": {"body": f"{_ci.rule_name(report, f.code, f.name)}: [{f.code} {f.name}]({url})"},
    }
    related = [location(_ci.repo_path(src.path, report), src.span, positions=False)
               for loc in f.related if (src := source_of(loc)) is not None]
    if related:
        found["trace"] = {"locations": related}
    return found


def location(path: str, span: Span | None, *, positions: bool) -> dict[str, object]:
    """A location: ``positions`` (1-based; ``end`` the last character, inclusive) when asked and known, else ``lines``."""
    if span is None:
        return {"path": path, "lines": {"begin": 1, "end": 1}}
    last = span.end_col - 1  # our end column is exclusive
    if positions and last >= 1 and (span.end_line > span.start_line or last >= span.start_col):
        return {"path": path, "positions": {"begin": {"line": span.start_line, "column": span.start_col},
                                            "end": {"line": span.end_line, "column": last}}}
    return {"path": path, "lines": {"begin": span.start_line, "end": span.end_line}}
