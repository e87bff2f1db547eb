"""Source positions: 1-based lines and columns, end column exclusive (the SARIF convention)."""

from __future__ import annotations

from pylint_image.linter.model.frozen import frozen


@frozen(order=True)
class Span:
    """A region of a text file; ``end_col`` is exclusive, all values are 1-based."""

    start_line: int
    start_col: int
    end_line: int
    end_col: int

    @property
    def single_line(self) -> bool:
        """True when the span starts and ends on the same line."""
        return self.start_line == self.end_line

    @classmethod
    def line(cls, line: int, text: str = "") -> Span:
        """Return a span covering one whole line of ``text`` (or just its first column)."""
        return cls(line, 1, line, max(len(text), 1) + 1 if text else 2)


def slice_text(lines: list[str] | tuple[str, ...], span: Span) -> str:
    """Return the text a span covers, given the file split into lines (without newlines)."""
    if span.start_line < 1 or span.start_line > len(lines):
        return ""
    if span.single_line:
        return lines[span.start_line - 1][span.start_col - 1 : span.end_col - 1]
    parts = [lines[span.start_line - 1][span.start_col - 1 :]]
    parts.extend(lines[span.start_line : span.end_line - 1])
    if span.end_line <= len(lines):
        parts.append(lines[span.end_line - 1][: span.end_col - 1])
    return "\n".join(parts)
