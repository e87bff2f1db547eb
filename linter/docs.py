"""Render rule docs and write the docs pages (the parsing of a rule doc is ``ruledoc``'s).

One parse (``ruledoc.parse_doc``) feeds every consumer: `pylint-image rule CODE` (rich Markdown
on a terminal, the page as written when piped), `pylint-image rules` (a table), the SARIF
`rules[]` descriptions, and `python -m pylint_image.linter.docs --out DIR` which writes one
page per rule plus an index.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TextIO

from .ruledoc import RuleDoc, clean_doc, code_blocks, missing_headings, parse_doc
from .ruleapi import Rule
from pylint_image.linter.model.frozen import frozen

# The project's links come from its [project.urls] (pyproject.toml, read back from the installed
# metadata); these copies serve a source tree without metadata.  The repository URL is a
# placeholder until the project is published: whoever publishes sets it there, and a user points
# the links elsewhere with `docs-url` (config) or PYLINT_IMAGE_DOCS_URL (docs/formats.md).
REPO_URL = "https://github.com/pylint-image/pylint-image"
DOCS_BASE_URL = f"{REPO_URL}/blob/main/docs/rules"
DOCS_URL_LABEL = "Rule docs"  # the [project.urls] key of the default docs base URL
DOCS_URL_ENV = "PYLINT_IMAGE_DOCS_URL"
_docs_url: str | None = None  # the config's docs-url, set by the CLI for this run


@frozen
class Examples:
    """The fenced `dockerfile` blocks of Example (must fire) and Use instead (must not)."""

    bad: tuple[str, ...]
    good: tuple[str, ...]


def examples(rule_or_doc: Rule | str | RuleDoc) -> Examples:
    """Return the `dockerfile` blocks of Example and Use instead, for the doc tests to execute."""
    doc = _as_doc(rule_or_doc)
    return Examples(bad=code_blocks(doc.section("Example")), good=code_blocks(doc.section("Use instead")))


def help_uri(rule: Rule) -> str:
    """Return the URL of the rule's docs page (SARIF ``helpUri``; every format's docs link)."""
    return rule_url(rule.meta.code)


def rule_url(code: str) -> str:
    """The one builder of a rule's docs link: ``{base}/{CODE}.md``, or the base with ``{code}`` filled in."""
    base = docs_base_url()
    return base.replace("{code}", code) if "{code}" in base else f"{base.rstrip('/')}/{code}.md"


def docs_base_url() -> str:
    """The base URL of the rule docs: $PYLINT_IMAGE_DOCS_URL, else the config's ``docs-url``, else [project.urls]."""
    return os.environ.get(DOCS_URL_ENV) or _docs_url or project_url(DOCS_URL_LABEL, DOCS_BASE_URL)


def set_docs_url(url: str | None) -> None:
    """Use ``url`` (the config's ``docs-url``; None: the default) as the docs base URL of this run."""
    global _docs_url
    _docs_url = url


def check_docs_url(url: str) -> str | None:
    """Why ``url`` cannot be a docs base URL (not an absolute http(s) URL), or None when it can."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
        return f"docs URL must be an absolute http(s) URL, got {url!r}"
    return None


def project_url(label: str, default: str) -> str:
    """The installed distribution's ``[project.urls]`` entry ``label`` (``Homepage``...), else ``default``."""
    return _project_urls().get(label.casefold(), default)


_PROJECT_URLS: dict[str, str] | None = None


def _project_urls() -> dict[str, str]:
    # Read once, from the metadata file itself: importlib.metadata costs ~30 ms of imports.
    global _PROJECT_URLS
    if _PROJECT_URLS is None:
        from .plugins import metadata_values

        urls = (entry.partition(",") for entry in metadata_values("pylint-image", "Project-URL"))
        _PROJECT_URLS = {label.strip().casefold(): url.strip() for label, _, url in urls if url.strip()}
    return _PROJECT_URLS


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
        ("Autofix", "yes (`--fix`)" if m.fixable else "no"),
        ("How to fix", m.fix_title or "-"),
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
        fix = "yes" if m.fixable else ""
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
    """Render `pylint-image rule CODE`: rich Markdown on a terminal, else the docs page as it is.

    Piped or redirected, the page is written verbatim (code blocks can be copied, nothing is
    wrapped or padded), as `ruff rule` does.
    """
    page = rule_page(rule)
    if not _rich_wanted(stream, color):
        stream.write(page)
        return
    from rich.markdown import Markdown

    _console(stream, color).print(Markdown(page))


def render_rules_table(rules: Sequence[Rule], stream: TextIO, *, color: bool | None = None) -> None:
    """Render `pylint-image rules`: code, name, severity, target, status, fix, aliases.

    Fix is "yes" for a rule with an autofix (``RuleMeta.fixable``).  Piped or redirected,
    the columns are aligned with spaces and no line has trailing blanks or is wrapped.
    """
    header = ("Code", "Name", "Severity", "Target", "Status", "Fix", "Aliases")
    rows = [(m.code, m.name, m.severity.value, m.target.value, m.status.value, "yes" if m.fixable else "",
             ", ".join(m.aliases)) for m in (r.meta for r in _sorted(rules))]
    if not _rich_wanted(stream, color):
        widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
        for row in (header, *rows):
            stream.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() + "\n")
        return
    from rich.table import Table

    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in header:
        table.add_column(column, no_wrap=column in ("Code", "Name"))
    for row in rows:
        table.add_row(*row)
    _console(stream, color).print(table)


def _rich_wanted(stream: TextIO, color: bool | None) -> bool:
    """True on a terminal (coloured or not) or when colour is forced; False when piped."""
    from .formatters.base import use_color

    if color is True or use_color(color, stream):
        return True
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


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
