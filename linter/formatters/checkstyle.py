"""Checkstyle XML: ``<checkstyle version><file name><error line column severity message source/></file></checkstyle>``.

The element contract the consumers (Jenkins' warnings-ng, reviewdog, Bitbucket and GitLab
plug-ins, SonarQube's checkstyle import) read: one ``<file>`` per linted target (a clean one
too, with no ``<error>``), its ``name`` relative to the repository root; one ``<error>`` per
visible finding with its 1-based ``line`` and ``column``, ``severity`` (error, warning, info),
``message`` (``CODE name: text``) and ``source`` (``pylint-image.CODE``).  Notifications with a
file location (a rule that crashed) are ``<error>`` elements too, with ``source``
``pylint-image.<notification id>``.  Text XML 1.0 cannot carry (ESC, NUL...) is written as
visible escapes.  Version 4.3, as hadolint and ESLint write it.
"""

from __future__ import annotations

from typing import TextIO

from ..findings import source_of
from ..report import Report
from . import _ci

CHECKSTYLE_VERSION = "4.3"
_NOTIFICATION_SEVERITY = {"error": "error", "warning": "warning", "note": "info"}


class CheckstyleFormatter:
    """Renders the visible findings as a Checkstyle XML report."""

    name = "checkstyle"
    keeps_suppressed = False

    def __init__(self, *, color: bool | None = None, concise: bool = False) -> None:
        self.color = color  # accepted for the common constructor; XML has no colour
        self.concise = concise

    def render(self, report: Report, stream: TextIO) -> None:
        """Write the XML document followed by a newline."""
        import xml.etree.ElementTree as ET

        files: dict[str, list[tuple[tuple[int, int, str, str], dict[str, str]]]] = {}
        for target in report.targets:
            files.setdefault(_ci.target_name(target, report), [])
        for p in _ci.shown(report):
            f = p.finding
            col = p.span.start_col if p.span is not None else 0
            attrs = {"line": str(p.line)}
            if col:
                attrs["column"] = str(col)
            attrs.update(severity=_ci.SEVERITY_CHECKSTYLE[f.severity], message=_ci.xml_text(f"{f.code} {f.name}: {p.message}"),
                         source=f"pylint-image.{f.code}")
            files.setdefault(p.path, []).append(((p.line, col, f.code, p.message), attrs))
        for n in report.notifications:
            src = source_of(n.location)
            if src is None:
                continue
            attrs = {"line": str(src.span.start_line), "column": str(src.span.start_col),
                     "severity": _NOTIFICATION_SEVERITY.get(n.level, "warning"), "message": _ci.xml_text(n.message),
                     "source": f"pylint-image.{n.id}"}
            files.setdefault(_ci.repo_path(src.path, report), []).append(
                ((src.span.start_line, src.span.start_col, n.id, n.message), attrs))
        root = ET.Element("checkstyle", version=CHECKSTYLE_VERSION)
        for name in sorted(files):
            node = ET.SubElement(root, "file", name=_ci.xml_text(name))
            for _, attrs in sorted(files[name], key=lambda item: item[0]):
                ET.SubElement(node, "error", attrs)
        if not self.concise:
            ET.indent(root)
        stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        stream.write(ET.tostring(root, encoding="unicode"))
        stream.write("\n")

