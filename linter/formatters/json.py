"""A versioned JSON document of findings, notifications and tables (schema: docs/json-format.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TextIO

from ..findings import Finding, Fix, ImageLocation, Location, Notification, RuntimeLocation, SourceLocation
from ..model.span import Span
from ..report import Report, Table
from .base import relative_path

#: Bumped on any breaking change to the document (a field removed, renamed or retyped).
SCHEMA_VERSION = 1
JsonValue = object  # the JSON-compatible values built below (dict, list, str, int, float, bool, None)


class JsonFormatter:
    """Renders the report as one JSON object; suppressed findings are kept and marked."""

    name = "json"
    keeps_suppressed = True

    def __init__(self, *, color: bool | None = None, concise: bool = False) -> None:
        self.color = color  # accepted for the common constructor; JSON has no colour
        self.concise = concise  # compact single-line output when True

    def render(self, report: Report, stream: TextIO) -> None:
        """Write the document followed by a newline."""
        indent = None if self.concise else 2
        json.dump(report_to_json(report), stream, indent=indent, ensure_ascii=False)
        stream.write("\n")


def report_to_json(report: Report) -> dict[str, JsonValue]:
    """Return the whole JSON document for ``report`` as plain Python values."""
    root = report.root
    return {
        "schema": SCHEMA_VERSION,
        "tool": {"name": "pylint-image", "version": report.tool_version},
        "targets": [relative_path(t, root) for t in report.targets],
        "findings": [finding_to_json(f, root) for f in sorted(report.findings, key=Finding.sort_key)],
        "notifications": [notification_to_json(n, root) for n in report.notifications],
        "tables": [table_to_json(t) for t in report.tables],
    }


def finding_to_json(f: Finding, root: Path) -> dict[str, JsonValue]:
    """Return one finding as a JSON object."""
    return {
        "code": f.code,
        "name": f.name,
        "foreign_ids": list(f.foreign_ids),
        "severity": f.severity.value,
        "message": f.message,
        "location": location_to_json(f.location, root),
        "fingerprint": f.fingerprint,
        "suppressed": None if f.suppressed is None else {
            "kind": f.suppressed.kind, "justification": f.suppressed.justification,
        },
        "fix_hint": f.fix_hint,
        "fix": None if f.fix is None else fix_to_json(f.fix),
        "related": [location_to_json(r, root) for r in f.related],
    }


def location_to_json(location: Location, root: Path) -> dict[str, JsonValue]:
    """Return a location object whose ``kind`` is ``source``, ``image`` or ``runtime``."""
    if isinstance(location, SourceLocation):
        return {"kind": "source", "path": relative_path(location.path, root), **span_to_json(location.span)}
    source = None if location.source is None else location_to_json(location.source, root)
    if isinstance(location, ImageLocation):
        return {
            "kind": "image", "image": location.image, "path_in_image": location.path_in_image,
            "layer": location.layer_digest, "source": source,
        }
    if isinstance(location, RuntimeLocation):
        return {"kind": "runtime", "image": location.image, "probe": location.probe, "source": source}
    raise TypeError(f"unknown location type {type(location).__name__}")


def span_to_json(span: Span) -> dict[str, int]:
    """Return 1-based ``line``/``column``/``endLine``/``endColumn`` (end column exclusive)."""
    return {"line": span.start_line, "column": span.start_col, "endLine": span.end_line, "endColumn": span.end_col}


def fix_to_json(fix: Fix) -> dict[str, JsonValue]:
    """Return a fix with its edits."""
    return {
        "title": fix.title,
        "safe": fix.safe,
        "edits": [{**span_to_json(e.span), "replacement": e.replacement} for e in fix.edits],
    }


def notification_to_json(n: Notification, root: Path) -> dict[str, JsonValue]:
    """Return a notification as a JSON object."""
    return {
        "id": n.id,
        "level": n.level,
        "message": n.message,
        "rule": n.rule,
        "location": None if n.location is None else location_to_json(n.location, root),
    }


def table_to_json(table: Table) -> dict[str, JsonValue]:
    """Return a table with its rows as lists of strings."""
    return {
        "title": table.title,
        "columns": list(table.columns),
        "rows": [list(r) for r in table.rows],
        "bars": list(table.bars),
    }
