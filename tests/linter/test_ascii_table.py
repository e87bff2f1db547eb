"""ascii_table draws a table exactly as rich's box.ASCII table does (the text report's plain tables)."""

from __future__ import annotations

import io
import random

import pytest

from pylint_image.linter.formatters import ascii_table, text
from pylint_image.linter.report import Report, Table


def rich_table(columns: list[str], rows: list[list[str]], width: int) -> str:
    from rich import box
    from rich.console import Console
    from rich.table import Table as RichTable

    out = io.StringIO()
    console = Console(file=out, color_system=None, force_terminal=False, no_color=True, highlight=False,
                      emoji=False, markup=False, width=width)
    table = RichTable(box=box.ASCII)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    console.print(table)
    return out.getvalue()


WORDS = ["a", "ab", "sh", "-c", "/bin/sh", "#(nop)", "COPY", "file:73e2b2d48642b21b357384b0cb81cafe", "->", "-",
         "1.98MB", "0B", "line 3 (base)", "x" * 40, "y" * 95, "/usr/share/bulk1/d0000/f000000.dat", "deleted"]


def random_cell(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.1:
        return ""
    if kind < 0.15:
        return " " * rng.randint(1, 4)
    words = [rng.choice(WORDS) for _ in range(rng.randint(1, 12))]
    cell = "".join(w + " " * rng.choice((1, 1, 1, 2, 0)) for w in words)
    if rng.random() < 0.2:
        cell = " " * rng.randint(1, 3) + cell
    return cell if rng.random() < 0.5 else cell.rstrip(" ")


@pytest.mark.parametrize("seed", range(8))
def test_random_tables_as_rich_draws_them(seed: int) -> None:
    rng = random.Random(seed)
    drawn = 0
    for _ in range(250):
        columns = [rng.choice(["#", "size", "compressed", "Dockerfile", "created by", "", "path", "by", "layers"])
                   for _ in range(rng.randint(1, 7))]
        rows = [[random_cell(rng) for _ in columns] for _ in range(rng.choice((0, 1, 2, 3, 8)))]
        width = rng.choice((30, 50, 80, 100, 100, 100, 140))
        ours = ascii_table.render(columns, rows, width)
        if ours is None:   # only for columns narrower than 3: rich draws those
            continue
        drawn += 1
        assert ours == rich_table(columns, rows, width), (columns, rows, width)
    assert drawn >= 150


@pytest.mark.parametrize("cell", ["caf\u00e9", "\u4e2d\u6587", "tab\there", "e\u0301"])
def test_anything_but_printable_ascii_is_left_to_rich(cell: str) -> None:
    assert ascii_table.render(["path", "size"], [[cell, "1B"]], 100) is None
    assert ascii_table.render(["path", "size"], [["/a", "1B"], ["/b"]], 100) is None   # a short row


def report_with_tables(rows: int) -> Report:
    layers = Table("Layers of x: 407MB, 3 layers", ("#", "size", "compressed", "Dockerfile", "created by"),
                   tuple((str(i), f"{i * 7}.1MB", "-", f"line {i + 1}",
                          "/bin/sh -c #(nop) COPY file:73e2b2d48642b21b357384b0cb81c0ffee in /usr/share/bulk")
                         for i in range(rows)), tuple(i / max(rows, 1) for i in range(rows)))
    waste = Table("Wasted space: 0B", ("path", "size", "by", "layers"), ())
    return Report(findings=(), notifications=(), rules=(), targets=("x",), tool_version="0",
                  tables=(layers, waste))


@pytest.mark.parametrize("rows", [0, 1, 5])
def test_text_report_with_tables_is_what_rich_printed(rows: int, monkeypatch) -> None:
    report = report_with_tables(rows)
    ours = io.StringIO()
    text.TextFormatter(color=False).render(report, ours)
    monkeypatch.setattr(text, "_ascii_tables", lambda tables: None)   # rich draws everything
    theirs = io.StringIO()
    text.TextFormatter(color=False).render(report, theirs)
    assert ours.getvalue() == theirs.getvalue()
    assert "+---" in ours.getvalue()
