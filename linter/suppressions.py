"""Inline pragmas: ``# pylint-image: [stage|global] ignore=RULE[,RULE] -- reason`` and hadolint's.

A pragma is a whole-line comment.  Scopes:
- next instruction (default): the first instruction that starts after the comment;
- ``stage``: from the comment to the end of the current stage;
- ``global``: the whole file.
``# hadolint ignore=DL3008`` and ``# hadolint global ignore=...`` are honoured, so a project
switching from hadolint keeps its pragmas.  A token covers a finding as selection.py's
``finding_strength`` says: the rule's code or name, or a foreign id the finding carries
(``DL3013`` covers DF2001's pip finding, not the apt one beside it), or a rule alias when
the finding carries no id of that tool.

BuildKit's ``# check=skip=A,B`` (or ``skip=all``) parser directive drops the findings of
those BuildKit checks, per finding in the same way (``buildkit_skipped``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .model.dockerfile import Dockerfile
from .model.span import Span
from .ruleapi import Rule
from .selection import family, finding_strength

_PRAGMA = re.compile(
    r"^(?P<tool>pylint-image|hadolint)\s*:?\s*(?:(?P<scope>stage|global)\s+)?ignore\s*=\s*(?P<codes>.+)$",
    re.IGNORECASE,
)


@dataclass(slots=True)
class Pragma:
    """One parsed pragma and the line range it covers; ``used`` records which tokens fired."""

    tool: str
    scope: str  # "next" | "stage" | "global"
    tokens: tuple[str, ...]
    justification: str
    span: Span
    first_line: int
    last_line: int
    used: set[str] = field(default_factory=set)

    def covers(self, line: int) -> bool:
        """True when a finding starting on ``line`` is inside this pragma's scope."""
        return self.first_line <= line <= self.last_line


def parse_pragma(text: str) -> tuple[str, str, tuple[str, ...], str] | None:
    """Parse a comment's text (without '#'); return (tool, scope, tokens, why) or None."""
    head, _, why = text.strip().partition(" -- ")
    m = _PRAGMA.match(head.strip())
    if not m:
        return None
    scope = (m.group("scope") or "next").lower()
    tokens = tuple(t for t in re.split(r"[\s,]+", m.group("codes")) if t)
    return m.group("tool").lower(), scope, tokens, why.strip()


def collect_pragmas(dockerfile: Dockerfile) -> list[Pragma]:
    """Find every pragma in the file and compute the lines it covers."""
    starts = sorted(i.span for i in dockerfile.instructions())
    stage_ends = [(s.span.start_line, s.span.end_line) for s in dockerfile.stages]
    last_line = max(len(dockerfile.lines), 1)
    pragmas: list[Pragma] = []
    for comment in dockerfile.comments:
        parsed = parse_pragma(comment.text)
        if parsed is None:
            continue
        tool, scope, tokens, why = parsed
        line = comment.span.start_line
        if scope == "global":
            first, last = 1, last_line
        elif scope == "stage":
            first = line
            last = next((end for start, end in stage_ends if start <= line <= end), last_line)
            if line < (stage_ends[0][0] if stage_ends else 1):
                last = last_line
        else:
            nxt = next((s for s in starts if s.start_line > line), None)
            if nxt is None:
                first, last = line + 1, line  # covers nothing; reported as unused
            else:
                first, last = nxt.start_line, nxt.end_line
        pragmas.append(Pragma(tool, scope, tokens, why, comment.span, first, last))
    return pragmas


def buildkit_skips(dockerfile: Dockerfile) -> frozenset[str]:
    """The lower-cased check names in the file's ``# check=skip=...`` directive (``all`` included as is)."""
    directive = dockerfile.directives.check
    for part in (directive or "").split(";"):
        key, _, value = part.partition("=")
        if key.strip().lower() == "skip":
            return frozenset(name.strip().lower() for name in value.split(",") if name.strip())
    return frozenset()


def buildkit_skipped(skips: frozenset[str], rule: Rule, tool_ids: tuple[str, ...]) -> bool:
    """True when ``skips`` switch off the BuildKit check a finding of ``rule`` (carrying ``tool_ids``) is."""
    if not skips:
        return False
    names = {n.lower() for n in (*rule.meta.aliases, *tool_ids) if family(n) == "buildkit"}
    if not names:
        return False  # no BuildKit check: ``skip=all`` does not concern it
    if "all" in skips:
        return True
    return any(finding_strength(name, rule, tool_ids) for name in skips & names)
