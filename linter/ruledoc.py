"""The rule-doc format: a rule's Markdown doc split at its ``## `` headings, checked, and its examples found.

The one parser of rule docs.  ``plugins`` uses it to check a third-party rule's doc when it
loads, and ``docs`` to render `pylint-image rule CODE`, the docs pages and SARIF texts; so
the dependency runs ``docs -> plugins -> ruledoc`` and never back.  Plain ``re``: this
module is on the plugin-loading path, which runs at every start.
"""

from __future__ import annotations

import re

from .ruleapi import REQUIRED_DOC_HEADINGS
from pylint_image.linter.model.frozen import frozen

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


def code_blocks(body: str | None, language: str | None = "dockerfile") -> tuple[str, ...]:
    """Return the bodies of the fenced blocks in ``body`` whose info string names ``language`` (None: all)."""
    if not body:
        return ()
    blocks = []
    for m in _FENCE_RE.finditer(body):
        info = m.group("info").strip().split()
        if language is None or (info and info[0].casefold() == language.casefold()):
            blocks.append(m.group("body"))
    return tuple(blocks)
