"""One self-contained HTML page: the report's tables as bars, the findings, each linked to its line.

Made for ``pylint-image image SRC --format html -o report.html`` (a bar per layer with its
share of the image, the wasted-space table, the findings on their Dockerfile lines), and
generic over any Report: ``lint`` and ``verify`` reports render the same way.

The page has no external asset and no script: CSS is inline, bars are CSS widths, and a
Content-Security-Policy forbids every script, frame, font and remote load, so that even a
string that escaped escaping could not run.  Every string of the report (``created_by``,
paths inside the image, messages, which the image's author or a container controls) is
HTML-escaped, and its control and bidirectional characters are shown as escapes, as on a
terminal.  The output is deterministic: no timestamps, no timings.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import PurePath
from typing import TextIO

from ..findings import Finding, ImageLocation, Location, Notification, RuntimeLocation, Severity, source_of
from ..report import Report, Table
from .base import escape_control, image_label, relative_path
from .codeframe import split_lines

#: No script, no remote anything: only the inline stylesheet and style attributes (the bars).
CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
MAX_LINE_CHARS = 2000  # a source line longer than this is cut (a minified or binary-ish file)
_LINE_CELL = re.compile(r"line (\d+)\b")
_SEVERITY_ORDER = tuple(Severity)

_CSS = """\
:root{--fg:#1d232a;--muted:#5f6b76;--bg:#fff;--panel:#f5f7f9;--line:#dde3e8;--hit:#fff4d6;--target:#ffe08a;
--error:#c62828;--warning:#a65c00;--info:#1565c0;--style:#00796b;--note:#5f6b76}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{padding:16px 24px;background:var(--panel);border-bottom:1px solid var(--line)}
h1{font-size:20px;margin:0 0 4px}
h2{font-size:16px;margin:24px 0 8px}
h2.mono{font-size:14px}
main{padding:0 24px 24px}
code,.mono,.src{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
a{color:#0b5cad}
.muted{color:var(--muted)}
.summary{font-weight:600}
nav a{margin-right:12px}
table{border-collapse:collapse;width:100%;margin:4px 0 8px}
th,td{text-align:left;vertical-align:top;padding:4px 8px;border-bottom:1px solid var(--line)}
th{background:var(--panel);font-weight:600}
td.cell{overflow-wrap:anywhere}
tr:target,.line:target{background:var(--target)}
.stack{display:flex;height:22px;border:1px solid var(--line);border-radius:4px;overflow:hidden;margin:6px 0 10px}
.seg{display:block;height:100%;min-width:1px}
.bar-cell{width:24%;min-width:140px}
.track{display:inline-block;width:calc(100% - 56px);height:12px;background:var(--panel);border:1px solid var(--line);
border-radius:3px;vertical-align:middle;overflow:hidden}
.fill{height:100%}
.pct{display:inline-block;width:52px;text-align:right;font-variant-numeric:tabular-nums;color:var(--muted)}
.c0{background:#4e79a7}.c1{background:#f28e2b}.c2{background:#59a14f}.c3{background:#e15759}
.c4{background:#76b7b2}.c5{background:#edc948}.c6{background:#b07aa1}.c7{background:#9c755f}
.sev{display:inline-block;padding:0 6px;border-radius:3px;color:#fff;font-size:12px;font-weight:600}
.sev-error{background:var(--error)}.sev-warning{background:var(--warning)}.sev-info{background:var(--info)}
.sev-style{background:var(--style)}.sev-note{background:var(--note)}
.msg{white-space:pre-wrap;overflow-wrap:anywhere}
.help{color:#2e7d32}
.at{color:var(--muted);overflow-wrap:anywhere}
.src{border:1px solid var(--line);border-radius:4px;overflow-x:auto;background:#fbfcfd}
.line{display:flex;white-space:pre}
.line.hit{background:var(--hit)}
.hit-error{box-shadow:inset 3px 0 var(--error)}.hit-warning{box-shadow:inset 3px 0 var(--warning)}
.hit-info{box-shadow:inset 3px 0 var(--info)}.hit-style{box-shadow:inset 3px 0 var(--style)}
.ln{flex:none;width:4.5em;padding-right:8px;text-align:right;color:var(--muted);text-decoration:none;user-select:none}
.text{flex:1 1 auto;tab-size:4}
.badges{flex:none;padding:0 8px}
.badge{margin-left:4px;padding:0 4px;border-radius:3px;color:#fff;font-size:11px;text-decoration:none}
.badge.layer{background:#4e79a7}
ul.notes{padding-left:18px}
footer{padding:12px 24px;color:var(--muted);border-top:1px solid var(--line)}
"""


class HtmlFormatter:
    """Renders the whole report as one self-contained HTML page (suppressed findings are counted only)."""

    name = "html"
    keeps_suppressed = False

    def __init__(self, *, color: bool | None = None, concise: bool = False) -> None:
        self.color = color  # accepted for the common constructor; the page has its own colours
        self.concise = concise

    def render(self, report: Report, stream: TextIO) -> None:
        """Write the page, ending with a newline."""
        stream.write(render_page(report))


def _e(text: str, keep: str = "") -> str:
    """Escaped for HTML text and attribute values, control characters shown as escapes."""
    return html.escape(escape_control(text, keep=keep), quote=True)


class _Sources:
    """The report's source files, each with a stable anchor prefix: ``L3`` for the first, ``S1-L3``..."""

    def __init__(self, report: Report) -> None:
        self.root = report.root
        self.items: list[tuple[str, str, list[str]]] = []   # (shown path, anchor prefix, lines)
        self._by_path: dict[str, int] = {}
        for i, key in enumerate(sorted(report.sources)):
            lines = split_lines(report.sources[key])
            if lines and lines[-1] == "":
                lines.pop()
            shown = relative_path(key, self.root)
            self.items.append((shown, "" if i == 0 else f"S{i}-", lines))
            self._by_path.setdefault(shown, i)

    def anchor(self, path: PurePath | str, line: int) -> str | None:
        """``L<line>`` (or ``S<k>-L<line>``) when ``path`` is a shown source that has that line."""
        i = self._by_path.get(relative_path(path, self.root))
        if i is None or not 1 <= line <= max(len(self.items[i][2]), 1):
            return None
        return f"{self.items[i][1]}L{line}"

    def only_anchor(self, line: int) -> str | None:
        """The anchor of ``line`` in the one source, when there is exactly one (table cells name no file)."""
        if len(self.items) != 1 or not 1 <= line <= len(self.items[0][2]):
            return None
        return f"L{line}"


def render_page(report: Report) -> str:
    """Return the whole HTML document for ``report``."""
    sources = _Sources(report)
    findings = sorted(report.visible(), key=Finding.sort_key)
    suppressed = len(report.findings) - len(findings)
    badges: dict[str, list[str]] = {}    # line anchor -> badge links shown on that source line
    hits: dict[str, str] = {}            # line anchor -> the most severe severity covering it
    finding_rows = [_finding_row(i, f, report, sources, badges, hits) for i, f in enumerate(findings)]
    table_parts = [_table(i, t, sources, badges) for i, t in enumerate(report.tables)]

    title = "pylint-image: " + ", ".join(relative_path(t, report.root) for t in report.targets)
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="pylint-image {_e(report.tool_version)}">',
        f"<title>{_e(title)}</title>",
        f"<style>\n{_CSS}</style>",
        "</head>",
        "<body>",
        "<header>",
        "<h1>pylint-image report</h1>",
        f'<div class="targets mono">{_e(", ".join(relative_path(t, report.root) for t in report.targets))}</div>',
        f'<p class="summary" id="summary">{_e(_summary(findings, suppressed, report.notifications))}</p>',
        _nav(report, sources, bool(findings)),
        "</header>",
        "<main>",
    ]
    out.extend(table_parts)
    out.append('<section id="findings">')
    out.append(f"<h2>Findings ({len(findings)})</h2>")
    if finding_rows:
        out.append('<table class="findings"><thead><tr><th>severity</th><th>rule</th><th>where</th>'
                   "<th>message</th></tr></thead><tbody>")
        out.extend(finding_rows)
        out.append("</tbody></table>")
    else:
        out.append('<p class="muted">No findings.</p>')
    out.append("</section>")
    if report.notifications:
        out.append('<section id="notifications">')
        out.append(f"<h2>Notifications ({len(report.notifications)})</h2>")
        out.append('<ul class="notes">')
        out.extend(_notification(n, report, sources) for n in report.notifications)
        out.append("</ul></section>")
    for k, (shown, prefix, lines) in enumerate(sources.items):
        out.append(_source(k, shown, prefix, lines, badges, hits))
    out.append("</main>")
    out.append(f'<footer>pylint-image {_e(report.tool_version)}</footer>')
    out.append("</body>")
    out.append("</html>")
    return "\n".join(out) + "\n"


def _summary(findings: list[Finding], suppressed: int, notes: Iterable[Notification]) -> str:
    counts = Counter(f.severity for f in findings)
    if findings:
        parts = ", ".join(f"{counts[s]} {s.value}" for s in _SEVERITY_ORDER if counts[s])
        text = f"Found {len(findings)} finding{'s' if len(findings) != 1 else ''} ({parts})"
    else:
        text = "No findings"
    if suppressed:
        text += f"; {suppressed} suppressed"
    n = len(tuple(notes))
    if n:
        text += f"; {n} notification{'s' if n != 1 else ''}"
    return text + "."


def _nav(report: Report, sources: _Sources, any_findings: bool) -> str:
    links = [f'<a href="#table-{i}">{_e(_short(t.title))}</a>' for i, t in enumerate(report.tables)]
    links.append('<a href="#findings">Findings</a>')
    if report.notifications:
        links.append('<a href="#notifications">Notifications</a>')
    links.extend(f'<a href="#source-{k}">{_e(shown)}</a>' for k, (shown, _, _) in enumerate(sources.items))
    return "<nav>" + " ".join(links) + "</nav>"


def _short(title: str) -> str:
    """A table's title up to its first colon (``Layers of x:1: 3 MiB`` -> ``Layers of x``... kept short)."""
    head = title.split(": ", 1)[0]
    return head if len(head) <= 40 else head[:37] + "..."


def _table(i: int, table: Table, sources: _Sources, badges: dict[str, list[str]]) -> str:
    """A report table: a stacked bar of the rows' shares (when it has bars), then the rows with a bar each."""
    row_id = f"table-{i}-row-"
    bars = [max(0.0, min(1.0, b)) for b in table.bars] + [0.0] * max(0, len(table.rows) - len(table.bars))
    total = sum(bars[:len(table.rows)])
    shares = [(b / total if total else 0.0) for b in bars]
    link_columns = {c for c, name in enumerate(table.columns) if "dockerfile" in name.lower()}
    out = [f'<section class="report-table" id="table-{i}">', f"<h2>{_e(table.title)}</h2>"]
    if table.bars and table.rows:
        segs = []
        for r, row in enumerate(table.rows):
            if shares[r] <= 0:
                continue
            label = f"{' · '.join(row)} ({shares[r]:.1%})"
            segs.append(f'<a class="seg c{r % 8}" href="#{row_id}{r}" style="width:{shares[r] * 100:.3f}%" '
                        f'title="{_e(label)}"></a>')
        out.append(f'<div class="stack" role="img" aria-label="{_e("share of each row: " + table.title)}">'
                   + "".join(segs) + "</div>")
    out.append('<table class="data"><thead><tr>' + "".join(f"<th>{_e(c)}</th>" for c in table.columns)
               + ('<th class="bar-cell">share</th>' if table.bars else "") + "</tr></thead><tbody>")
    if not table.rows:
        span = len(table.columns) + (1 if table.bars else 0)
        out.append(f'<tr><td class="muted" colspan="{span}">(none)</td></tr>')
    for r, row in enumerate(table.rows):
        cells = []
        for c, cell in enumerate(row):
            anchor = None
            m = _LINE_CELL.match(cell) if c in link_columns else None
            if m is not None:
                anchor = sources.only_anchor(int(m.group(1)))
            if anchor is not None:
                cells.append(f'<td class="cell"><a href="#{anchor}">{_e(cell)}</a></td>')
                what = f"layer {row[0]}" if table.columns and table.columns[0] == "#" else f"row {r + 1}"
                badges.setdefault(anchor, []).append(f'<a class="badge layer" href="#{row_id}{r}">{_e(what)}</a>')
            else:
                cells.append(f'<td class="cell">{_e(cell)}</td>')
        if table.bars:
            cells.append(f'<td class="bar-cell"><span class="track"><span class="fill c{r % 8}" style="display:block;'
                         f'width:{bars[r] * 100:.3f}%"></span></span><span class="pct">{shares[r]:.1%}</span></td>')
        out.append(f'<tr id="{row_id}{r}" class="{"bar-row" if table.bars else "row"}">' + "".join(cells) + "</tr>")
    out.append("</tbody></table></section>")
    return "\n".join(out)


def _where(location: Location | None, report: Report, sources: _Sources) -> tuple[str, str | None]:
    """The HTML of a location (a link to its line when the source is shown) and that line's anchor."""
    if location is None:
        return "", None
    parts = []
    anchor = None
    src = source_of(location)
    if src is not None:
        label = f"{relative_path(src.path, report.root)}:{src.span.start_line}:{src.span.start_col}"
        anchor = sources.anchor(src.path, src.span.start_line)
        parts.append(f'<a class="mono" href="#{anchor}">{_e(label)}</a>' if anchor
                     else f'<span class="mono">{_e(label)}</span>')
    if isinstance(location, (ImageLocation, RuntimeLocation)):
        at = image_label(location)
        if isinstance(location, ImageLocation) and location.layer_digest:
            digest = location.layer_digest
            at += f" (layer {digest.partition(':')[2][:12] or digest})"
        parts.append(f'<div class="at mono">{_e(at)}</div>')
    return "".join(parts), anchor


def _finding_row(i: int, f: Finding, report: Report, sources: _Sources,
                 badges: dict[str, list[str]], hits: dict[str, str]) -> str:
    where, anchor = _where(f.location, report, sources)
    src = f.source
    if anchor is not None and src is not None:
        badges.setdefault(anchor, []).append(
            f'<a class="badge sev-{f.severity.value}" href="#finding-{i}" title="{_e(f.name)}">{_e(f.code)}</a>')
        for line in range(src.span.start_line, src.span.end_line + 1):
            key = sources.anchor(src.path, line)
            if key is not None and (key not in hits or Severity(hits[key]).rank > f.severity.rank):
                hits[key] = f.severity.value
    rule = f'<span class="mono">{_e(f.code)}</span> {_e(f.name)}'
    if f.foreign_ids:
        rule += f' <span class="muted">({_e(", ".join(f.foreign_ids))})</span>'
    message = [f'<div class="msg">{_e(f.message, keep=chr(9) + chr(10))}</div>']
    for related in f.related:
        html_where, _ = _where(related, report, sources)
        message.append(f'<div class="at">also: {html_where}</div>')
    if f.fix_hint:
        safe = " (fix available)" if f.fix is not None and f.fix.safe else ""
        message.append(f'<div class="help">help: {_e(f.fix_hint + safe)}</div>')
    return (f'<tr id="finding-{i}" class="finding sev-row-{f.severity.value}">'
            f'<td><span class="sev sev-{f.severity.value}">{f.severity.value}</span></td>'
            f"<td>{rule}</td><td>{where}</td><td>{''.join(message)}</td></tr>")


def _notification(n: Notification, report: Report, sources: _Sources) -> str:
    where, _ = _where(n.location, report, sources)
    level = n.level if n.level in ("error", "warning") else "note"
    return (f'<li class="notification"><span class="sev sev-{level}">{_e(n.level)}</span> '
            f'<span class="mono">{_e(n.id)}</span>: <span class="msg">{_e(n.message, keep=chr(9) + chr(10))}</span>'
            + (f" {where}" if where else "") + "</li>")


def _source(k: int, shown: str, prefix: str, lines: list[str], badges: dict[str, list[str]],
            hits: dict[str, str]) -> str:
    out = [f'<section class="source" id="source-{k}">', f'<h2 class="mono">{_e(shown)}</h2>', '<div class="src">']
    for n, line in enumerate(lines, start=1):
        anchor = f"{prefix}L{n}"
        if len(line) > MAX_LINE_CHARS:
            line = line[:MAX_LINE_CHARS] + " ..."
        hit = hits.get(anchor)
        cls = f"line hit hit-{hit}" if hit else "line"
        marks = "".join(badges.get(anchor, ()))
        out.append(f'<div class="{cls}" id="{anchor}"><a class="ln" href="#{anchor}">{n}</a>'
                   f'<span class="text">{_e(line, keep=chr(9))}</span>'
                   + (f'<span class="badges">{marks}</span>' if marks else "") + "</div>")
    out.append("</div></section>")
    return "\n".join(out)
