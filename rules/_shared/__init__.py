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
    """Return ``span`` when it starts on the instruction's first line, else the keyword's span.

    Findings start on the instruction's first line so that pragmas and fixture markers,
    which bind to an instruction, cover them; a token on a continuation or heredoc line
    would start elsewhere.
    """
    if span is not None and span.start_line == instruction.span.start_line:
        return span
    return instruction.keyword_span
