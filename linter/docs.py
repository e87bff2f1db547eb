"""Parse a rule's Markdown docstring into sections, validate it, render it, and write docs pages.

One parse feeds every consumer: `pylint-image rule CODE` (rich Markdown), `pylint-image rules`
(a table), the SARIF `rules[]` descriptions, and `python -m pylint_image.linter.docs --out DIR`
which writes one page per rule plus an index.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TextIO

from .ruleapi import REQUIRED_DOC_HEADINGS, Rule
from pylint_image.linter.model.frozen import frozen

REPO_URL = "https://github.com/pylint-image/pylint-image"
DOCS_BASE_URL = f"{REPO_URL}/blob/main/docs/rules"
OPTIONAL_DOC_HEADINGS = ("Fix", "Options", "References")

_HEADING_RE = re.compile(r"^##[ \t]+(.+?)[ \t]*#*[ \t]*$", re.MULTILINE)
# A fenced block: opening fence of 3+ backticks or tildes, an info string, the body, the same fence.
_FENCE_RE = re.compile(
    r"^(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$",
    re.MULTILINE | re.DOTALL,
)


@frozen
class RuleDoc:
    """A rule doc split at its `## ` headings; ``intro`` is the text before the first one."""

    intro: str
    sections: tuple[tuple[str, str], ...]

    def section(self, heading: str) -> str | None:
        """Return the body of a section (stripped), or None when the heading is absent."""
        for name, body in self.sections:
            if name.casefold() == heading.casefold():
                return body
        return None

    @property
    def headings(self) -> tuple[str, ...]:
        """Headings in document order."""
        return tuple(name for name, _ in self.sections)


@frozen
class Examples:
    """The fenced `dockerfile` blocks of Example (must fire) and Use instead (must not)."""

    bad: tuple[str, ...]
    good: tuple[str, ...]


def clean_doc(text: str) -> str:
    """Dedent a docstring and strip surrounding blank lines (inspect.cleandoc, without inspect)."""
    lines = (text or "").expandtabs().splitlines()
    if not lines:
        return ""
    rest = [line for line in lines[1:] if line.strip()]
    indent = min((len(line) - len(line.lstrip()) for line in rest), default=0)
    cleaned = [lines[0].strip()] + [line[indent:].rstrip() for line in lines[1:]]
    return "\n".join(cleaned).strip("\n")


def parse_doc(text: str) -> RuleDoc:
    """Split a Markdown rule doc into its intro and `## ` sections (fenced code is not scanned)."""
    doc = clean_doc(text)
    # Headings inside fenced blocks (a `## ` line in a Dockerfile example) are not headings.
    fenced = [m.span() for m in _FENCE_RE.finditer(doc)]
    marks = [m for m in _HEADING_RE.finditer(doc) if not any(a <= m.start() < b for a, b in fenced)]
    intro = doc[: marks[0].start()] if marks else doc
    sections = []
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(doc)
        sections.append((mark.group(1), doc[mark.end() : end].strip()))
    return RuleDoc(intro=intro.strip(), sections=tuple(sections))


def missing_headings(doc: str | RuleDoc) -> tuple[str, ...]:
    """Return the required headings the doc lacks (empty when the doc is complete)."""
    parsed = parse_doc(doc) if isinstance(doc, str) else doc
    return tuple(h for h in REQUIRED_DOC_HEADINGS if not parsed.section(h))


def code_blocks(body: str | None, language: str = "dockerfile") -> tuple[str, ...]:
    """Return the bodies of the fenced blocks in ``body`` whose info string names ``language``."""
    if not body:
        return ()
    blocks = []
    for m in _FENCE_RE.finditer(body):
        info = m.group("info").strip().split()
        if info and info[0].casefold() == language.casefold():
            blocks.append(m.group("body"))
    return tuple(blocks)


def examples(rule_or_doc: Rule | str | RuleDoc) -> Examples:
    """Return the `dockerfile` blocks of Example and Use instead, for the doc tests to execute."""
    doc = _as_doc(rule_or_doc)
    return Examples(bad=code_blocks(doc.section("Example")), good=code_blocks(doc.section("Use instead")))


def help_uri(rule: Rule) -> str:
    """Return the stable https URL of the rule's docs page in the project's repository."""
    return f"{DOCS_BASE_URL}/{rule.meta.code}.md"


def full_description(rule: Rule) -> str:
    """Return the text of the `What it does` section (the summary when the section is missing)."""
    return _as_doc(rule).section("What it does") or rule.meta.summary


def help_markdown(rule: Rule) -> str:
    """Return the full rule doc as Markdown, under a `# CODE name` title."""
    return f"# {rule.meta.code} {rule.meta.name}\n\n{clean_doc(rule.doc)}\n"


def help_text(rule: Rule) -> str:
    """Return the full rule doc as plain text (headings become lines, fences are dropped)."""
    lines = []
    for line in help_markdown(rule).splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            continue
        lines.append(re.sub(r"^#{1,6}\s+", "", line))
    return "\n".join(lines).strip() + "\n"


def find_rule(rules: Iterable[Rule], key: str) -> Rule | None:
    """Find a rule by code, name or alias (codes and aliases case-insensitively)."""
    wanted = key.strip().casefold()
    for r in rules:
        names = (r.meta.code, r.meta.name, *r.meta.aliases)
        if any(n.casefold() == wanted for n in names):
            return r
    return None


def rule_page(rule: Rule) -> str:
    """Return the Markdown docs page of one rule: title, metadata table, then its doc."""
    m = rule.meta
    rows = [
        ("Code", f"`{m.code}`"),
        ("Name", f"`{m.name}`"),
        ("Default severity", m.severity.value),
        ("Target", m.target.value),
        ("Status", m.status.value),
        ("Since", m.since),
        ("Fix", m.fix_title or "none"),
    ]
    if m.aliases:
        rows.append(("Aliases", ", ".join(f"`{a}`" for a in m.aliases)))
    if m.tags:
        rows.append(("Tags", ", ".join(f"`{t}`" for t in sorted(m.tags))))
    if m.security_severity is not None:
        rows.append(("Security severity", f"{m.security_severity:g}"))
    table = "\n".join(f"| {k} | {v} |" for k, v in rows)
    body = clean_doc(rule.doc)
    return f"# {m.code} {m.name}\n\n{m.summary}\n\n| Property | Value |\n|---|---|\n{table}\n\n{body}\n"


def index_page(rules: Sequence[Rule]) -> str:
    """Return the Markdown index of all rules (a generated table; do not edit by hand)."""
    lines = [
        "# Rules",
        "",
        "<!-- Generated by `python -m pylint_image.linter.docs`; do not edit. -->",
        "",
        "| Code | Name | Severity | Target | Status | Fix | Summary |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in _sorted(rules):
        m = r.meta
        fix = "yes" if m.fix_title else ""
        lines.append(
            f"| [{m.code}]({m.code}.md) | `{m.name}` | {m.severity.value} | {m.target.value} "
            f"| {m.status.value} | {fix} | {m.summary} |"
        )
    return "\n".join(lines) + "\n"


def write_docs(rules: Sequence[Rule], out: Path) -> list[Path]:
    """Write `<CODE>.md` per rule and `index.md` into ``out``; return the written paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for r in _sorted(rules):
        path = out / f"{r.meta.code}.md"
        path.write_text(rule_page(r), encoding="utf-8")
        written.append(path)
    index = out / "index.md"
    index.write_text(index_page(rules), encoding="utf-8")
    written.append(index)
    return written


def render_rule(rule: Rule, stream: TextIO, *, color: bool | None = None) -> None:
    """Render `pylint-image rule CODE`: the docs page as rich Markdown."""
    from rich.markdown import Markdown

    _console(stream, color).print(Markdown(rule_page(rule)))


def render_rules_table(rules: Sequence[Rule], stream: TextIO, *, color: bool | None = None) -> None:
    """Render `pylint-image rules`: code, name, severity, target, status, fix, aliases."""
    from rich.table import Table

    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("Code", "Name", "Severity", "Target", "Status", "Fix", "Aliases"):
        table.add_column(column, no_wrap=column in ("Code", "Name"))
    for r in _sorted(rules):
        m = r.meta
        fix = "yes" if m.fix_title else ""
        table.add_row(m.code, m.name, m.severity.value, m.target.value, m.status.value, fix, ", ".join(m.aliases))
    _console(stream, color).print(table)


def _console(stream: TextIO, color: bool | None):  # -> rich.console.Console (imported lazily)
    """Build a rich Console on ``stream`` honouring the color switch (None = auto)."""
    from rich.console import Console

    from .formatters.base import use_color

    on = use_color(color, stream)
    return Console(
        file=stream,
        color_system="auto" if on else None,
        force_terminal=on,
        no_color=not on,
        highlight=False,
        emoji=False,
        width=None if on else 100,
    )


def _as_doc(value: Rule | str | RuleDoc) -> RuleDoc:
    if isinstance(value, RuleDoc):
        return value
    return parse_doc(value if isinstance(value, str) else value.doc)


def _sorted(rules: Iterable[Rule]) -> list[Rule]:
    return sorted(rules, key=lambda r: r.meta.code)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m pylint_image.linter.docs --out docs/rules/`."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m pylint_image.linter.docs", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("docs/rules"), help="output directory")
    args = parser.parse_args(argv)
    from .plugins import load_registry

    rules = load_registry().rules
    incomplete = {r.meta.code: missing_headings(r.doc) for r in rules if missing_headings(r.doc)}
    if incomplete:
        parser.error("; ".join(f"{code} lacks {', '.join(h)}" for code, h in sorted(incomplete.items())))
    write_docs(rules, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
