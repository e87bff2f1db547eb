"""Helpers that more than one rule needs; nothing here is a rule.

- ``images``: parse and classify image references (official, trusted, stage chains).
- ``variables``: ARG/ENV scope at an instruction and ``$VAR`` expansion.
- ``commands``: the simple commands (argv words with spans) a RUN instruction executes.
- ``packages``: recognize package-manager installs in an argv and judge version pins.
"""

from __future__ import annotations

from pylint_image.linter import Instruction, Span
from pylint_image.linter.model.frozen import frozen  # internal; plugins use dataclasses

__all__ = ["anchor", "frozen"]


def anchor(instruction: Instruction, span: Span | None) -> Span:
    """Return ``span`` when it lies in the instruction's text, else the keyword's span.

    A finding points at the word it is about, also on a continuation line of a multi-line
    RUN (line 3, column 5), as an editor or a code-scanning alert should show it.  Pragmas
    cover every line of the instruction they precede, so they still cover such a finding.
    A span from elsewhere (a variable's definition) or none falls back to the keyword.
    """
    if span is not None and instruction.span.start_line <= span.start_line <= instruction.span.end_line:
        return span
    return instruction.keyword_span
