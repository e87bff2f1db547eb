"""A table drawn in plain text exactly as rich draws it with ``box.ASCII``, without importing rich.

The text report of ``image`` (and of ``verify``) always has tables; importing and running
rich for them cost ~40 ms of CPU per run, a tenth of all that happens around the analysis.
Off a terminal (no colour) the layout is plain characters, so it is drawn here: the same
column widths as rich's table (each column measured from its cells, the widest wrappable
columns narrowed first until the table fits, then all evenly), the same word wrapping (words
that fit move to the next line, a word longer than the column ends in an ellipsis) and the
same box.  Only cells of printable ASCII with columns at least 3 wide are drawn here;
:func:`render` returns None for anything else (wide or combining characters, degenerate
widths) and the caller lets rich draw it.  ``tests/linter/test_ascii_table.py`` compares both
on many tables.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_PRINTABLE = re.compile(r"[ -~]*\Z")   # one cell per character, ' ' the only white space
_WORD = re.compile(r" *[^ ]+ *")       # a word and the spaces around it, as rich splits lines
ELLIPSIS = "\u2026"


def render(columns: Sequence[str], rows: Sequence[Sequence[str]], width: int) -> str | None:
    """The table's lines (each ending in a newline) at most ``width`` wide, or None when rich must draw it."""
    count = len(columns)
    cells = [list(columns), *(list(row) for row in rows)]
    if not count or any(len(row) != count for row in cells) or not all(
            _PRINTABLE.match(cell) for row in cells for cell in row):
        return None
    by_column = [[row[i] for row in cells] for i in range(count)]
    available = width - (count + 1)   # the edges and the dividers
    widths = [_measure(texts, available)[1] or 1 for texts in by_column]
    if sum(widths) > available:
        widths = _collapse(widths, available)
        if sum(widths) > available:
            widths = _reduce(sum(widths) - available, [1] * count, widths, widths)
        widths = [_measure(texts, w)[1] for texts, w in zip(by_column, widths)]
    if min(widths) < 3:
        return None
    out = ["+" + "-".join("-" * w for w in widths) + "+"]
    for index, row in enumerate(cells):
        rendered = [_cell(text, w) for text, w in zip(row, widths)]
        height = max(len(lines) for lines in rendered)
        for lines, w in zip(rendered, widths):
            blank = [" " * w] * (height - len(lines))
            # The header row sits at the bottom of its height, the others at the top.
            lines[:] = blank + lines if index == 0 else lines + blank
        out.extend("|" + "|".join(line) + "|" for line in zip(*rendered))
        if index == 0:
            out.append("|" + "+".join("-" * w for w in widths) + "|")
    out.append("+" + "-".join("-" * w for w in widths) + "+")
    return "".join(line + "\n" for line in out)


def _measure(texts: Sequence[str], limit: int) -> tuple[int, int]:
    """A column's (narrowest, widest) width within ``limit``, one space of padding on each side."""
    if limit < 1:
        return 0, 0
    low = high = 0
    for text in texts:
        if limit - 2 < 1:
            cell = (limit, limit)
        else:
            longest = len(text)
            word = max((len(w) for w in text.split()), default=longest)   # the longest word
            inner_low, inner_high = min(word, limit), min(longest, limit)
            if inner_high < 1:
                inner_low = inner_high = 0
            cell = (min(inner_low + 2, limit), min(inner_high + 2, limit))
        low, high = max(low, cell[0]), max(high, cell[1])
    return min(low, limit), min(high, limit)


def _collapse(widths: list[int], limit: int) -> list[int]:
    """Narrow the widest columns, down to the next widest each round, until the table fits (or they are even)."""
    excess = sum(widths) - limit
    while sum(widths) and excess > 0:
        widest = max(widths)
        runner_up = max((w for w in widths if w != widest), default=0)
        if not widest - runner_up:
            break
        ratios = [1 if w == widest else 0 for w in widths]
        widths = _reduce(excess, ratios, [min(excess, widest - runner_up)] * len(widths), widths)
        excess = sum(widths) - limit
    return widths


def _reduce(total: int, ratios: list[int], maximums: list[int], values: list[int]) -> list[int]:
    """Take ``total`` off ``values`` in proportion to ``ratios``, at most ``maximums`` each (rounded as rich rounds)."""
    ratios = [ratio if most else 0 for ratio, most in zip(ratios, maximums)]
    remaining_ratio, remaining = sum(ratios), total
    if not remaining_ratio:
        return list(values)
    result = []
    for ratio, most, value in zip(ratios, maximums, values):
        if ratio and remaining_ratio > 0:
            taken = min(most, round(ratio * remaining / remaining_ratio))
            result.append(value - taken)
            remaining -= taken
            remaining_ratio -= ratio
        else:
            result.append(value)
    return result


def _cell(text: str, width: int) -> list[str]:
    """The lines of one cell ``width`` wide: one space, the wrapped text padded, the rest spaces."""
    inner = min(len(text), width - 2)
    return [(" " + line + " ").ljust(width) for line in _wrap(text, inner)]


def _wrap(text: str, width: int) -> list[str]:
    """``text`` wrapped at spaces into lines exactly ``width`` long; a word too long is cut with an ellipsis."""
    breaks: list[int] = []
    offset = 0
    for match in _WORD.finditer(text):
        start, word = match.start(), match.group(0)
        length = len(word.rstrip(" "))
        if width - offset >= length:
            offset += len(word)
        elif length > width:   # on a line of its own, cut below
            if start:
                breaks.append(start)
            offset = len(word)
        elif offset and start:
            breaks.append(start)
            offset = len(word)
    edges = [0, *breaks, len(text)]
    lines = []
    for start, end in zip(edges, edges[1:]):
        line = text[start:end]
        if len(line) > width:   # trailing spaces beyond the width go first
            spaces = len(line) - len(line.rstrip(" "))
            line = line[:len(line) - min(spaces, len(line) - width)]
        if len(line) > width:
            line = line[:max(width - 1, 0)] + ELLIPSIS
        lines.append(line.ljust(width))
    return lines
