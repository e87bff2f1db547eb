"""Apply safe fixes to a file's text (``--fix``)."""

from __future__ import annotations

from collections.abc import Iterable

from .findings import Edit, Finding
from .model.span import Span


def _offset(line_starts: list[int], line: int, col: int) -> int:
    return line_starts[line - 1] + col - 1


def apply_fixes(text: str, findings: Iterable[Finding]) -> tuple[str, int]:
    """Apply every safe, non-overlapping edit of unsuppressed findings; return (text, applied count)."""
    lines = text.splitlines(keepends=True) or [""]
    starts = [0]
    for ln in lines:
        starts.append(starts[-1] + len(ln))
    edits: list[tuple[int, int, Edit]] = []
    for f in findings:
        if f.fix is None or not f.fix.safe or f.suppressed is not None:
            continue
        for e in f.fix.edits:
            if not _valid(e.span, len(lines)):
                continue
            edits.append((_offset(starts, e.span.start_line, e.span.start_col),
                          _offset(starts, e.span.end_line, e.span.end_col), e))
    edits.sort(key=lambda t: (t[0], t[1]))
    applied: list[tuple[int, int, Edit]] = []
    last_end = -1
    for start, end, e in edits:
        if start < last_end or (applied and (start, end, e.replacement) == applied[-1][:2] + (applied[-1][2].replacement,)):
            continue  # overlapping edits: keep the first, the next --fix run picks up the rest
        applied.append((start, end, e))
        last_end = max(end, start)
    out = text
    for start, end, e in reversed(applied):
        out = out[:start] + e.replacement + out[end:]
    return out, len(applied)


def _valid(span: Span, n_lines: int) -> bool:
    return 1 <= span.start_line <= n_lines and 1 <= span.end_line <= n_lines + 1 and span.start_col >= 1


def unified_diff(name: str, old: str, new: str) -> str:
    """A unified diff of ``old`` to ``new`` labelled ``name`` (empty when equal), as ``patch -p0`` reads it.

    A last line without a newline gets git's ``\\ No newline at end of file`` marker, so
    the diff still applies.
    """
    import difflib

    out: list[str] = []
    for line in difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                     fromfile=name, tofile=name):
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)
