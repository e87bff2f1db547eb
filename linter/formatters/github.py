"""GitHub Actions workflow commands (`::error file=…::message`), escaped as the Actions toolkit does."""

from __future__ import annotations

from typing import TextIO

from ..findings import Finding, Severity
from ..report import Report
from ..repository import relative_to_root, source_root
from .base import escape_control, image_label, notification_where, relative_path

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice", Severity.STYLE: "notice"}
_NOTIFICATION_COMMAND = {"error": "error", "warning": "warning", "note": "notice"}


def escape_data(value: str) -> str:
    """Escape a command's message (actions/toolkit `escapeData`)."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """Escape a property value (actions/toolkit `escapeProperty`: also `:` and `,`)."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def command(name: str, properties: list[tuple[str, str]], message: str) -> str:
    """Return one `::name k=v,…::message` line with everything escaped.

    Control characters other than newline and tab (ESC sequences a container printed, a
    ``\r``) are written as visible escapes first: the log viewer would act on them.
    """
    props = ",".join(f"{k}={escape_property(escape_control(v, keep=''))}" for k, v in properties)
    data = escape_data(escape_control(message))
    return f"::{name} {props}::{data}" if props else f"::{name}::{data}"


class GithubFormatter:
    """Renders each visible finding as an annotation; notifications as plain annotations."""

    name = "github"
    keeps_suppressed = False

    def __init__(self, *, color: bool | None = None, concise: bool = False) -> None:
        self.color = color  # accepted for the common constructor; annotations have no colour
        self.concise = concise

    def render(self, report: Report, stream: TextIO) -> None:
        """Write one workflow command per line."""
        for f in sorted(report.visible(), key=Finding.sort_key):
            stream.write(finding_command(f, report) + "\n")
        for n in report.notifications:
            where = notification_where(n, report.root)
            message = f"{where}: {n.message}" if where else n.message
            stream.write(command(_NOTIFICATION_COMMAND.get(n.level, "warning"), [("title", n.id)], message) + "\n")


def finding_command(f: Finding, report: Report) -> str:
    """Return the annotation of one finding; columns only when the span is on one line (ruff)."""
    props: list[tuple[str, str]] = []
    message = f.message
    src = f.source
    if src is None:
        # No file to annotate: GitHub shows it on the run summary; name the image in the text.
        message = f"{image_label(f.location)}: {message}"
    else:
        span = src.span
        # Annotations name files from the repository root (GITHUB_WORKSPACE), not from the cwd.
        path = relative_to_root(src.path, report.root, source_root(report.root))
        props += [("file", path if path is not None else relative_path(src.path, report.root)),
                  ("line", str(span.start_line)),
                  ("endLine", str(span.end_line))]
        if span.single_line:
            props += [("col", str(span.start_col)), ("endColumn", str(span.end_col))]
    props.append(("title", f"{f.code} {f.name}"))
    return command(_COMMAND[f.severity], props, message)
