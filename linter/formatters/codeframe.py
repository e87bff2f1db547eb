"""The text formatter's code frame: a few source lines under a finding, at most a screen wide.

Everything here costs what it shows, not what the file holds: a file is looked up and
split into lines once per report (``SourceLines``), and a frame cuts each line to a window of
``MAX_FRAME_WIDTH`` columns around the span, so a 20 MB one-line file (or a binary one)
with a thousand findings renders in linear time.  Control characters in the shown text
are escaped, and the carets move with the escapes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from ..model.span import Span
from ..report import Report
from .base import escape_control, source_text

if TYPE_CHECKING:
    from rich.text import Text

MAX_FRAME_LINES = 6  # longer spans show their first lines and an ellipsis
MAX_FRAME_WIDTH = 120  # columns of a line shown around the span
FRAME_CONTEXT = 40  # columns shown before the span when a line is cut
_MORE = "..."


class SourceLines:
    """Each linted file's lines, looked up and split once per report."""

    def __init__(self, report: Report) -> None:
        self._report = report
        self._split: dict[str, list[str] | None] = {}

    def of(self, path: PurePath | str) -> list[str] | None:
        """The lines of the file at ``path`` in ``report.sources``, or None when it is not there."""
        key = str(path)
        if key not in self._split:
            text = source_text(self._report, path)
            self._split[key] = None if text is None else split_lines(text)
        return self._split[key]


def split_lines(text: str) -> list[str]:
    """Split at ``\\n`` only, dropping a CRLF's ``\\r``: the lines as the parser numbers them."""
    lines = text.split("\n")
    return [line.rstrip("\r") for line in lines] if "\r" in text else lines


def frame(lines: Sequence[str], span: Span, style: str, Text: Any) -> list[Text]:
    """Return the gutter-numbered source lines of ``span`` with ``^`` under the covered columns."""
    last = min(span.end_line, span.start_line + MAX_FRAME_LINES - 1, len(lines))
    width = len(str(last))
    gutter = " " * (width + 2)
    out = [Text(f"{gutter}|", style="blue")]
    for n in range(span.start_line, last + 1):
        line = lines[n - 1]
        start = span.start_col if n == span.start_line else _indent(line) + 1
        end = span.end_col if n == span.end_line else len(line) + 1
        shown, lead, carets = clip(line, start, end)
        out.append(Text.assemble((f" {n:>{width}} |", "blue"), f" {shown}" if shown else ""))
        out.append(Text.assemble((f"{gutter}|", "blue"), " " * lead, ("^" * carets, style)))
    if last < span.end_line:
        out.append(Text(f"{gutter}| ...", style="blue"))
    return out


def _indent(line: str) -> int:
    """Leading blanks of ``line``, counted within the first MAX_FRAME_WIDTH columns."""
    head = line[:MAX_FRAME_WIDTH]
    return len(head) - len(head.lstrip())


def clip(line: str, start: int, end: int) -> tuple[str, int, int]:
    """Cut ``line`` to what a frame shows of columns ``[start, end)``: (text, caret lead, caret count).

    Tabs become one space and control characters escapes, so the carets stay under the
    columns they mark; a line longer than MAX_FRAME_WIDTH keeps a window around ``start``.
    """
    left = 0
    if len(line) > MAX_FRAME_WIDTH:
        left = max(0, min(start - 1, len(line)) - FRAME_CONTEXT)
    right = min(len(line), left + MAX_FRAME_WIDTH)
    a = min(max(start - 1, left), right)
    b = min(max(end - 1, a), right)
    head, mid, tail = (_shown(line[i:j]) for i, j in ((left, a), (a, b), (b, right)))
    prefix = _MORE if left else ""
    suffix = _MORE if right < len(line) else ""
    lead, carets = 1 + len(prefix) + len(head), len(mid)
    if right == len(line):  # a span may reach past the end of its line (a missing token): keep it so
        lead += min(max(start - 1 - right, 0), MAX_FRAME_WIDTH)
        carets += min(max(end - 1 - max(start - 1, right), 0), MAX_FRAME_WIDTH)
    return prefix + head + mid + tail + suffix, lead, max(carets, 1)


def _shown(text: str) -> str:
    return escape_control(text.replace("\t", " "), keep="")
