"""Human output with rich: findings grouped by file with a code frame, tables, then a summary.

With ``concise`` (``--concise``): one line per finding and nothing else (see ``_print_concise``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from itertools import groupby
from typing import TYPE_CHECKING, Any, TextIO

from ..findings import Finding, Severity
from ..report import Report, Table
from .base import (escape_control, group_key, image_label, location_label, location_label_of, notification_where,
                   use_color)
from .codeframe import SourceLines, frame

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "blue", Severity.STYLE: "cyan"}
_NOTE_STYLE = {"error": "bold red", "warning": "yellow"}
BAR_WIDTH = 20
PLAIN_WIDTH = 100  # fixed width when not a terminal, so logs and golden files are stable


class TextFormatter:
    """Renders findings for people (rich when colour is on, plain text otherwise)."""

    name = "text"
    keeps_suppressed = False

    def __init__(self, *, color: bool | None = None, concise: bool = False) -> None:
        self.color = color
        self.concise = concise

    def render(self, report: Report, stream: TextIO) -> None:
        """Write findings, tables and the summary to ``stream``."""
        on = use_color(self.color, stream)
        self._plain = not on
        # Plain output needs no rich: importing it costs ~30 ms of a ~60 ms cold start.  Its
        # tables are drawn as rich would draw them (ascii_table), unless only rich can.
        drawn = None if on or self.concise else _ascii_tables(report.tables)
        if not on and (self.concise or drawn is not None):
            console: Console = _PlainConsole(stream)  # type: ignore[assignment]
            self._Text: Any = _PlainText   # or rich.text.Text: the same interface
        else:
            from rich.console import Console
            from rich.text import Text

            console = Console(
                file=stream, color_system="auto" if on else None, force_terminal=on, no_color=not on,
                highlight=False, emoji=False, markup=False, width=None if on else PLAIN_WIDTH,
            )
            self._Text = Text
        self._lines = SourceLines(report)
        findings = sorted(report.visible(), key=Finding.sort_key)
        if self.concise:
            self._print_concise(console, report, findings)
            return
        for path, group in groupby(findings, key=lambda f: group_key(f, report.root)):
            console.print(self._t(path, "bold underline"), soft_wrap=True)
            for f in group:
                self._print_finding(console, f, report)
        for index, table in enumerate(report.tables):
            # The title is printed apart: rich pads a table title to the table width.
            console.print(self._t(table.title, "bold"), soft_wrap=True)
            console.print(drawn[index].removesuffix("\n") if drawn is not None else self._table(table))
        self._print_summary(console, report, len(findings))

    def _print_concise(self, console: Console, report: Report, findings: list[Finding]) -> None:
        """One line per finding, and nothing else: no frames, tables or summary.

        Only a problem of the run itself (an error or warning notification: a crashed rule,
        no sandbox) gets a line too, so that a failing exit code is never left unexplained.
        """
        for f in findings:
            console.print(self._headline(f, report), soft_wrap=True)
        for n in report.notifications:
            if n.level != "note":
                where = notification_where(n, report.root)
                text = f"{where + ': ' if where else ''}{n.level} {n.id}: {' '.join(n.message.splitlines())}"
                console.print(self._t(text, _NOTE_STYLE.get(n.level, "")), soft_wrap=True)

    def _t(self, value: str, style: str = "") -> Text:
        """A text object of the active backend, control characters escaped (one line)."""
        return self._Text(escape_control(value, keep=""), style=style)

    def _headline(self, f: Finding, report: Report, first_line: bool = False) -> Text:
        # One line per finding; with ``first_line`` the message's other lines are printed below it.
        message = f.message.split("\n", 1)[0] if first_line else " ".join(f.message.split("\n"))
        # The finding's ids in other tools after our code and name, so that ``CODE [name]`` stays
        # what scripts match: ``DF2001 [unpinned-package-version] (DL3013) ...``.
        foreign = f" ({escape_control(', '.join(f.foreign_ids), keep='')})" if f.foreign_ids else ""
        return self._Text.assemble(
            (escape_control(location_label(f, report.root), keep=""), "bold"), ": ", (f.code, _STYLE[f.severity]),
            " ", (f"[{escape_control(f.name, keep='')}]", "dim"), foreign, " ", escape_control(message, keep="\t"),
        )

    def _print_finding(self, console: Console, f: Finding, report: Report) -> None:
        out = [self._headline(f, report, first_line=True)]
        src = f.source
        lines = self._lines.of(src.path) if src is not None else None
        if src is not None and lines is not None:
            out.extend(frame(lines, src.span, _STYLE[f.severity], self._Text))
        # A message's further lines (a build log excerpt, a crashed entrypoint's stderr), each escaped.
        more = [line.rstrip() for line in f.message.split("\n")[1:] if line.strip()]
        out.extend(self._Text(("   = note: " if i == 0 else "           ") + escape_control(line, keep="\t"), style="dim")
                   for i, line in enumerate(more))
        if src is not None and f.location is not src:
            out.append(self._t(f"   = at: {image_label(f.location)}", "dim"))
        for related in f.related:   # the same problem seen at another level
            out.append(self._t(f"   = also: {location_label_of(related, report.root)}", "dim"))
        if f.fix_hint:
            safe = " (fix available)" if f.fix is not None and f.fix.safe else ""
            out.append(self._t(f"   = help: {f.fix_hint}{safe}", "green"))
        out.append(self._t(""))
        # One print of one text per finding: each rich print and each renderable costs a
        # terminal-size query and a render pass, which made rich output 20x slower than plain.
        console.print(self._Text("\n").join(out), soft_wrap=True)

    def _table(self, table: Table):  # -> rich.table.Table
        from rich import box
        from rich.table import Table as RichTable

        out = RichTable(box=box.ASCII if self._plain else box.SIMPLE_HEAD)
        columns, rows = _cells(table, plain=self._plain)
        for column in columns:
            out.add_column(column)
        for row in rows:
            out.add_row(*row)
        return out

    def _print_summary(self, console: Console, report: Report, shown: int) -> None:
        counts = Counter(f.severity for f in report.visible())
        suppressed = len(report.findings) - len(report.visible())
        if shown:
            parts = ", ".join(f"{counts[s]} {s.value}" for s in Severity if counts[s])
            noun = "finding" if shown == 1 else "findings"
            line = self._t(f"Found {shown} {noun} ({parts})", "bold")
        else:
            line = self._t("No findings", "bold green")
        if suppressed:
            line.append(f"; {suppressed} suppressed")
        line.append(".")
        console.print(line, soft_wrap=True)
        if report.notifications:
            console.print(self._t(f"{len(report.notifications)} notification(s):", "bold"), soft_wrap=True)
        for n in report.notifications:
            where = notification_where(n, report.root)
            text = f"  {n.level} {n.id}: {n.message}" + (f" ({where})" if where else "")
            console.print(self._t(text, "dim" if n.level == "note" else ""), soft_wrap=True)


class _PlainText:
    """The sliver of rich.text.Text the plain path uses: assemble, append, str."""

    def __init__(self, value: str = "", style: str = "") -> None:
        self.parts = [value]

    @classmethod
    def assemble(cls, *parts: str | tuple[str, str]) -> _PlainText:
        out = cls()
        out.parts = [p if isinstance(p, str) else p[0] for p in parts]
        return out

    def append(self, value: str) -> None:
        self.parts.append(value)

    def join(self, lines: list[_PlainText]) -> _PlainText:
        """Lines joined with this text (a newline)."""
        out = _PlainText()
        out.parts = [self.parts[0].join(str(line) for line in lines)]
        return out

    def __str__(self) -> str:
        return "".join(self.parts)


class _PlainConsole:
    """Writes plain lines to a stream with the rich Console.print calls this module makes."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def print(self, value: object = "", soft_wrap: bool = False) -> None:
        self.stream.write("\n".join(line.rstrip() for line in str(value).split("\n")) + "\n")


def _cells(table: Table, *, plain: bool) -> tuple[list[str], list[list[str]]]:
    """The header and the rows as drawn: control characters escaped, the bars as a last column."""
    columns = [escape_control(column, keep="") for column in table.columns]
    if table.bars:
        columns.append("")
    rows = []
    for i, row in enumerate(table.rows):
        cells = [escape_control(cell, keep="") for cell in row]
        if table.bars:
            cells.append(_bar(table.bars[i] if i < len(table.bars) else 0.0, plain=plain))
        rows.append(cells)
    return columns, rows


def _ascii_tables(tables: Sequence[Table]) -> list[str] | None:
    """Each table as rich draws it in plain text, or None when one of them needs rich (ascii_table.render)."""
    from .ascii_table import render

    drawn = []
    for table in tables:
        text = render(*_cells(table, plain=True), PLAIN_WIDTH)
        if text is None:
            return None
        drawn.append(text)
    return drawn


def _bar(value: float, *, plain: bool) -> str:
    filled = round(max(0.0, min(1.0, value)) * BAR_WIDTH)
    return ("#" if plain else "\u2588") * filled
