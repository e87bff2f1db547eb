"""SonarQube generic external issues, the format of SonarQube 10.3 and later (``rules`` and ``issues``).

Imported with ``sonar.externalIssuesReportPaths``.  Each rule object: ``id`` (the code),
``name``, ``description`` (its summary and docs link), ``engineId`` ("pylint-image"),
``cleanCodeAttribute`` and ``impacts`` (one per software quality, the severity HIGH, MEDIUM or
LOW); only the rules with a visible finding are listed.  Each issue: ``ruleId`` and a
``primaryLocation`` (``message``, ``filePath`` relative to the repository root, ``textRange``),
with the finding's other levels as ``secondaryLocations``.  Issues carry no severity or type:
that format rejects them there.  Severity lives on the rule, so a rule whose findings differ
in severity (ShellCheck's levels, a config's override) gets one rule per severity,
``CODE:severity``.  Columns are 0-based offsets as Sonar counts them, given only when the
file's text shows they are inside their lines (an offset past a line's end fails the whole
import).  docs/formats.md describes every field.
"""

from __future__ import annotations

from typing import TextIO

from .. import docs
from ..findings import Finding, Severity, source_of
from ..model.span import Span
from ..report import Report
from . import _ci
from .base import image_label, source_text

ENGINE_ID = "pylint-image"


class SonarqubeFormatter:
    """Renders the visible findings as a SonarQube generic issue report."""

    name = "sonarqube"
    keeps_suppressed = False

    def __init__(self, *, color: bool | None = None, concise: bool = False) -> None:
        self.color = color  # accepted for the common constructor; JSON has no colour
        self.concise = concise  # compact single-line JSON when True

    def render(self, report: Report, stream: TextIO) -> None:
        """Write the document followed by a newline."""
        stream.write(_ci.json_dumps(build(report), indent=None if self.concise else 2))
        stream.write("\n")


def build(report: Report) -> dict[str, object]:
    """The report as plain JSON values."""
    placed = _ci.shown(report)
    levels: dict[str, set[Severity]] = {}
    for p in placed:
        levels.setdefault(p.finding.code, set()).add(p.finding.severity)

    def rule_id(f: Finding) -> str:
        return f.code if len(levels[f.code]) == 1 else f"{f.code}:{f.severity.value}"

    rules: dict[str, dict[str, object]] = {}
    for p in placed:
        rules.setdefault(rule_id(p.finding), _rule(report, p.finding, rule_id(p.finding)))
    issues = []
    for p in placed:
        issue: dict[str, object] = {"ruleId": rule_id(p.finding), "primaryLocation": _location(report, p.path, p.span,
                                                                                               p.message)}
        secondary = [_location(report, _ci.repo_path(src.path, report), src.span, image_label(loc) or p.message)
                     for loc in p.finding.related if (src := source_of(loc)) is not None]
        if secondary:
            issue["secondaryLocations"] = secondary
        issues.append(issue)
    return {"rules": [rules[k] for k in sorted(rules)], "issues": issues}


def _rule(report: Report, f: Finding, rule_id: str) -> dict[str, object]:
    attribute = _ci.kind(report, f.code)[3]
    rule = report.rule_by_code(f.code)
    qualities = {_ci.kind(report, f.code)[2]}
    if rule is not None:
        qualities |= {entry[2] for entry in _ci.KINDS if entry[0] in rule.meta.tags}
    summary = _ci.rule_name(report, f.code, f.name)
    return {
        "id": rule_id,
        "name": f"{f.code} {f.name}",
        "description": f"{summary.rstrip('.')}. Docs: {docs.rule_url(f.code)}",
        "engineId": ENGINE_ID,
        "cleanCodeAttribute": attribute,
        "impacts": [{"softwareQuality": q, "severity": _ci.SEVERITY_SONAR[f.severity]} for q in sorted(qualities)],
    }


def _location(report: Report, path: str, span: Span | None, message: str) -> dict[str, object]:
    location: dict[str, object] = {"message": message, "filePath": path}
    if span is not None:
        location["textRange"] = _text_range(report, path, span)
    return location


def _text_range(report: Report, path: str, span: Span) -> dict[str, int]:
    """Lines always; 0-based columns only when they are inside their lines and the range is not empty."""
    text_range = {"startLine": span.start_line, "endLine": span.end_line}
    text = source_text(report, path) or _text_by_repo_path(report, path)
    if text is None:
        return text_range
    lines = text.splitlines()
    if span.end_line > len(lines):
        return text_range
    start, end = span.start_col - 1, span.end_col - 1
    # Sonar counts UTF-16 units: a character past the BMP is two.
    start_line, end_line = lines[span.start_line - 1], lines[span.end_line - 1]
    start_units = _utf16_len(start_line[:start])
    end_units = _utf16_len(end_line[:end])
    inside = 0 <= start <= len(start_line) and 0 <= end <= len(end_line)
    if inside and (span.end_line > span.start_line or end_units > start_units):
        text_range.update(startColumn=start_units, endColumn=end_units)
    return text_range


def _text_by_repo_path(report: Report, path: str) -> str | None:
    for target in report.targets:
        if _ci.repo_path(target, report) == path:
            return source_text(report, target)
    return None


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
