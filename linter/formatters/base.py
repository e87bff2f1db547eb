"""The Formatter protocol, and small pure helpers the built-in formatters share.

Contract (what the CLI relies on, and what a third-party formatter must honour):

- A formatter class is registered under the ``pylint_image.formatters`` entry-point group
  and is constructed with keyword arguments only: ``Formatter(color=None, concise=False)``.
  ``color`` None means auto (on when the stream is a TTY and ``NO_COLOR`` is unset or empty);
  a formatter that has no colour or concise mode accepts and ignores the arguments.
- ``render(report, stream)`` is called exactly once per run, after all targets were linted.
  Every formatter receives every finding, suppressed ones included. One whose
  ``keeps_suppressed`` is True must emit those marked as suppressed; one whose
  ``keeps_suppressed`` is False must not show them (it may count them).
- ``render`` writes only to ``stream`` (never to stdout/stderr directly, never to files),
  must not mutate the report, must not filter by severity (the engine and CLI already did),
  and must not raise on any valid Report. Its output must be deterministic for a given
  report (no timestamps, no absolute paths outside ``report.root`` unless unavoidable), so
  golden files can pin it.
- Heavy libraries (rich, sarif_om) are imported inside ``render``, never at module import,
  to keep the CLI's cold start small.
- Text that reaches a terminal or an annotation (every message, path, image label and
  table cell) goes through ``escape_control`` first: messages carry what containers print,
  and file names come from images and repositories.  Formats that encode text themselves
  (JSON, SARIF) carry it raw.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path, PurePath
from typing import ClassVar, Protocol, TextIO, runtime_checkable

from ..findings import Finding, ImageLocation, Location, Notification, RuntimeLocation, SourceLocation, source_of
from ..report import Report


@runtime_checkable
class Formatter(Protocol):
    """Turns a Report into output on a text stream."""

    #: The ``--format`` value (also the entry-point name).
    name: ClassVar[str]
    #: Whether suppressed findings are part of this format's output (sarif, json) or not.
    keeps_suppressed: ClassVar[bool]

    def render(self, report: Report, stream: TextIO) -> None:
        """Write the whole report to ``stream``; called once per run (see the module contract)."""
        ...


_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


@functools.lru_cache(maxsize=4)
def _control_re(keep: str) -> re.Pattern[str]:
    """A pattern of C0 controls (but ``keep``), DEL, C1 controls and bidirectional controls."""
    # The bidirectional overrides and isolates make a terminal or a browser show text in
    # another order than it is in (Trojan Source): as misleading in a message as ESC.
    c0 = "".join(chr(c) for c in range(0x20) if chr(c) not in keep)
    return re.compile(f"[{re.escape(c0)}\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def escape_control(text: str, keep: str = "\t\n") -> str:
    """Return ``text`` with control characters written as escapes (``\\x1b``, ``\\r``), but those in ``keep``."""
    pattern = _control_re(keep)
    if pattern.search(text) is None:
        return text
    return pattern.sub(_escape_one, text)


def _escape_one(match: re.Match[str]) -> str:
    ch = match.group()
    return _NAMED.get(ch) or (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")


def use_color(color: bool | None, stream: TextIO) -> bool:
    """Resolve a color switch: explicit True/False wins; None means TTY and no NO_COLOR."""
    if color is not None:
        return color
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


# Called for every finding, with the same few paths: pathlib's parsing dominated rendering.
@functools.lru_cache(maxsize=1024)
def relative_path(path: PurePath | str, root: Path) -> str:
    """Return ``path`` as a POSIX string relative to ``root`` when under it, else as given."""
    p = PurePath(path)
    if p.is_absolute():
        try:
            p = p.relative_to(root)
        except ValueError:
            return p.as_posix()
    return p.as_posix()


def source_text(report: Report, path: PurePath | str) -> str | None:
    """Return the text of a linted file from ``report.sources``, trying the key spellings."""
    p = PurePath(path)
    for key in (str(p), p.as_posix(), relative_path(p, report.root), str(report.root / p)):
        if key in report.sources:
            return report.sources[key]
    return None


def image_label(location: Location) -> str:
    """Return ``image[:path]`` for an image location, ``image`` (probe) for a runtime one."""
    if isinstance(location, ImageLocation):
        return f"{location.image}:{location.path_in_image}" if location.path_in_image else location.image
    if isinstance(location, RuntimeLocation):
        return f"{location.image} (probe {location.probe})"
    return ""


def location_label(finding: Finding, root: Path) -> str:
    """Return ``path:line:col`` for a finding with a source span, else its image label."""
    src = finding.source
    if src is None:
        return image_label(finding.location)
    return f"{relative_path(src.path, root)}:{src.span.start_line}:{src.span.start_col}"


def location_label_of(location: Location, root: Path) -> str:
    """A related location: its image or probe label, then ``path:line:col`` when it has one."""
    src = source_of(location)
    where = f"{relative_path(src.path, root)}:{src.span.start_line}:{src.span.start_col}" if src else ""
    return " at ".join(part for part in (image_label(location), where) if part)


def notification_where(notification: Notification, root: Path) -> str:
    """Return ``path:line`` or the image label of a notification's location, or ''."""
    loc = notification.location
    src = source_of(loc)
    if src is not None:
        return f"{relative_path(src.path, root)}:{src.span.start_line}"
    return image_label(loc) if loc is not None else ""


def group_key(finding: Finding, root: Path) -> str:
    """Return the heading a finding is grouped under: its file, else its image."""
    src = finding.source
    if src is not None:
        return relative_path(src.path, root)
    return getattr(finding.location, "image", "")


def is_source_only(location: Location) -> bool:
    """True for a plain source location (no image or runtime context to mention)."""
    return isinstance(location, SourceLocation)
