"""One problem seen at several levels (Dockerfile, image, run time) is one finding with related locations."""

from __future__ import annotations

import io
import json
from pathlib import Path

from pylint_image.linter.findings import Finding, RuntimeLocation, SourceLocation
from pylint_image.linter.formatters.sarif import build_sarif
from pylint_image.linter.formatters.text import TextFormatter
from pylint_image.linter.model.span import Span
from pylint_image.linter.related import merge_levels
from pylint_image.linter.report import Report
from pylint_image.linter.ruleapi import Severity

DOCKERFILE = Path("Dockerfile")
STATIC = SourceLocation(DOCKERFILE, Span(1, 1, 1, 12))
RUNTIME = RuntimeLocation("img", "user", SourceLocation(DOCKERFILE, Span(1, 1, 1, 12)))


def _finding(code: str, location, message: str, name: str = "runs-as-root") -> Finding:
    return Finding(code, name, Severity.WARNING, location, message, fingerprint=code)


def test_the_dockerfile_finding_carries_the_run_time_evidence():
    static = _finding("DF3002", STATIC, "the final stage has no USER")
    runtime = _finding("RT3001", RUNTIME, "PID 1 ran as uid 0")
    other = _finding("RT3007", RUNTIME, "port 80 is not listening", name="exposed-port-not-listening")
    (merged, kept) = merge_levels([static, runtime, other])
    assert merged.code == "DF3002" and merged.related == (RUNTIME,)
    assert "also seen: RT3001: PID 1 ran as uid 0" in merged.message
    assert kept is other   # a rule seen at one level only is left alone


def test_suppressed_and_single_level_findings_are_untouched():
    static = _finding("DF3002", STATIC, "no USER")
    assert merge_levels([static]) == [static]


def test_related_locations_reach_text_and_sarif():
    merged = merge_levels([_finding("DF3002", STATIC, "no USER"), _finding("RT3001", RUNTIME, "uid 0")])
    report = Report(findings=tuple(merged), notifications=(), rules=(), targets=("Dockerfile",),
                    tool_version="0", root=Path.cwd(), sources={"Dockerfile": "FROM alpine\n"})
    out = io.StringIO()
    TextFormatter(color=False).render(report, out)
    assert "= also: img (probe user) at Dockerfile:1:1" in out.getvalue()
    result = json.loads(json.dumps(build_sarif(report)))["runs"][0]["results"][0]
    (related,) = result["relatedLocations"]
    assert related["id"] == 1 and related["physicalLocation"]["region"]["startLine"] == 1
