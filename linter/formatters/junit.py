"""JUnit XML: one ``<testcase>`` per linted file (per image for ``image`` and ``verify``), a ``<failure>`` per finding.

For CI test-report views (GitLab ``artifacts: reports: junit:``, Jenkins, Azure): a clean
file is a passing test case; each visible finding of a file is one ``<failure>`` in its
test case (``type`` the severity, ``message`` ``CODE name: text``, the body its place, message
and docs link).  ``tests`` counts test cases, ``failures`` and ``errors`` count those elements,
as junitparser and Jenkins count them.  An error notification (a file that could not be read,
a rule that crashed) is an ``<error>`` in its file's test case, or in a ``pylint-image`` test
case when it names no file; warnings and notes go to the suite's ``<system-err>``.  No
timestamps or durations: the output depends on the findings alone.  Text XML 1.0 cannot carry
is written as visible escapes.
"""

from __future__ import annotations

from typing import TextIO

from .. import docs
from ..findings import source_of
from ..report import Report
from . import _ci

RUN_CASE = "pylint-image"  # the test case of error notifications that name no file


class JunitFormatter:
    """Renders the report as a JUnit XML document with one test suite."""

    name = "junit"
    keeps_suppressed = False

    def __init__(self, *, color: bool | None = None, concise: bool = False) -> None:
        self.color = color  # accepted for the common constructor; XML has no colour
        self.concise = concise

    def render(self, report: Report, stream: TextIO) -> None:
        """Write the XML document followed by a newline."""
        import xml.etree.ElementTree as ET

        cases: dict[str, list[tuple[str, dict[str, str], str]]] = {}
        files: set[str] = set()
        for target in report.targets:
            name = _ci.target_name(target, report)
            cases.setdefault(name, [])
            if _ci.is_file_target(target, report):
                files.add(name)
        for p in _ci.shown(report):
            f = p.finding
            where = f"{p.path}:{p.line}:{p.span.start_col}" if p.span is not None else p.path
            body = f"{where}: {f.code} {f.name}: {p.message}\nDocs: {docs.rule_url(f.code)}"
            attrs = {"message": _ci.xml_text(f"{f.code} {f.name}: {p.message}"), "type": f.severity.value}
            cases.setdefault(_case_of(p, cases, report), []).append(("failure", attrs, _ci.xml_text(body)))
        log = []
        for n in report.notifications:
            if n.level != "error":
                log.append(f"{n.level}: {n.id}: {n.message}")
                continue
            src = source_of(n.location)
            name = _ci.repo_path(src.path, report) if src is not None else RUN_CASE
            attrs = {"message": _ci.xml_text(n.message), "type": n.id}
            cases.setdefault(name, []).append(("error", attrs, _ci.xml_text(n.message)))
        failures = sum(kind == "failure" for entries in cases.values() for kind, _, _ in entries)
        errors = sum(kind == "error" for entries in cases.values() for kind, _, _ in entries)
        counts = {"tests": str(len(cases)), "failures": str(failures), "errors": str(errors), "skipped": "0"}
        root = ET.Element("testsuites", {"name": "pylint-image", **counts})
        suite = ET.SubElement(root, "testsuite", {"name": "pylint-image", **counts})
        for name in sorted(cases):
            case = ET.SubElement(suite, "testcase", name=_ci.xml_text(name), classname="pylint-image")
            if name in files:
                case.set("file", _ci.xml_text(name))
            for kind, attrs, text in cases[name]:
                ET.SubElement(case, kind, attrs).text = text
        if log:
            ET.SubElement(suite, "system-err").text = _ci.xml_text("\n".join(log))
        if not self.concise:
            ET.indent(root)
        stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        stream.write(ET.tostring(root, encoding="unicode"))
        stream.write("\n")


def _case_of(p: _ci.Placed, cases: dict[str, list], report: Report) -> str:
    """The test case of a finding: its file's, else its image's, else the one target's, else its own."""
    if p.path in cases:
        return p.path
    image = str(getattr(p.finding.location, "image", ""))
    if image in cases:
        return image
    if len(report.targets) == 1 and len(cases) == 1:
        return next(iter(cases))
    return p.path
