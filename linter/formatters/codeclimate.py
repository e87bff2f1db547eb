"""Code Climate issues (the engine spec's ``issue`` documents), as a NUL-separated stream.

The spec (codeclimate/platform ``spec/analyzers/SPEC.md``) has an engine print each issue
as a JSON document followed by a NUL character; each document here also ends in a newline,
so the stream reads in a terminal.  GitLab reads the same issues as one JSON array: that is
``--format gitlab`` (gitlab.py).  Fields: ``type`` ("issue"), ``check_name`` (the rule code),
``description``, ``categories``, ``location`` (repository-relative ``path`` and 1-based
``positions`` with columns, or ``lines`` when there is no column), ``severity``,
``fingerprint`` (stable: no line number) and ``content.body`` (the rule's summary and docs link).
Suppressed findings are left out.  docs/formats.md describes every field.
"""

from __future__ import annotations

from typing import TextIO

from .. import docs
from ..report import Report
from . import _ci


class CodeClimateFormatter:
    """Renders each visible finding as a Code Climate issue, NUL-separated."""

    name = "codeclimate"
    keeps_suppressed = False

    def __init__(self, *, color: bool | None = None, concise: bool = False) -> None:
        self.color = color  # accepted for the common constructor; JSON has no colour
        self.concise = concise

    def render(self, report: Report, stream: TextIO) -> None:
        """Write one JSON document and a newline per issue, NUL between them."""
        documents = [_ci.json_dumps(issue, indent=None) + "\n" for issue in issues(report, positions=True)]
        stream.write("\0".join(documents))


def issues(report: Report, *, positions: bool) -> list[dict[str, object]]:
    """The Code Climate issue of every visible finding; ``positions`` gives line and column, else lines only."""
    prints = _ci.fingerprints(report)
    return [issue(p, report, prints[id(p.finding)], positions=positions) for p in _ci.shown(report)]


def issue(p: _ci.Placed, report: Report, fingerprint: str, *, positions: bool) -> dict[str, object]:
    """One issue document."""
    f = p.finding
    location: dict[str, object] = {"path": p.path}
    span = p.span
    if positions and span is not None:
        location["positions"] = {"begin": {"line": span.start_line, "column": span.start_col},
                                 "end": {"line": span.end_line, "column": span.end_col}}
    else:
        location["lines"] = {"begin": p.line, "end": p.end_line}
    url = docs.rule_url(f.code)
    return {
        "type": "issue",
        "check_name": f.code,
        "description": f"{f.code} {f.name}: {p.message}",
        "categories": _ci.categories(report, f.code),
        "location": location,
        "severity": _ci.SEVERITY_CODE_QUALITY[f.severity],
        "fingerprint": fingerprint,
        "content": {"body": f"{_ci.rule_name(report, f.code, f.name)}: [{f.code} {f.name}]({url})"},
    }
