"""The budget that keeps ``$VAR`` expansion linear in its input, shared by every expander.

A hostile Dockerfile can ask for exponential output from a few lines: 40 doublings of a
10-byte ARG (``ARG A1=${A0}${A0}`` ... ``ARG A40=${A39}${A39}``, 836 bytes) would expand to
10 TB.  Each expander therefore charges what it substitutes to a budget shared by one pass
over a file (or stage); a substitution the budget cannot pay is refused, the text being
expanded stays as written (so it still reads as "has variables": unknown to every rule),
and the pass records what it cut so that a rule (DF0008) can say so.
"""

from __future__ import annotations

EXPANSION_FLOOR = 64 * 1024  # characters any pass may substitute, however short its input
EXPANSION_FACTOR = 16  # and this many per character of input: real files stay far below
MAX_NESTING = 32  # ``${A:-${B:-...}}`` deeper than this is left as written (no RecursionError)


def expansion_limit(input_chars: int) -> int:
    """Characters a pass over ``input_chars`` characters of text may substitute."""
    return EXPANSION_FLOOR + EXPANSION_FACTOR * max(input_chars, 0)


class ExpansionCut(Exception):
    """Raised inside an expander when a substitution would overdraw its budget."""


class ExpansionBudget:
    """What expansion may still substitute in one pass.

    Contract for expanders: call ``charge(len(value))`` *before* appending a variable's value,
    so that a refused expansion has cost no more than its input; catch ``ExpansionCut`` at
    the outermost call and return the text as written.  Charges are never refunded: a pass
    costs at most its input plus ``limit``.
    """

    __slots__ = ("limit", "left")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.left = limit

    @classmethod
    def for_text(cls, text: str) -> ExpansionBudget:
        """A budget for one expansion of ``text`` when no pass-wide budget is at hand."""
        return cls(expansion_limit(len(text)))

    def charge(self, chars: int) -> None:
        """Spend ``chars``; raise ExpansionCut (spending nothing) when fewer are left."""
        if chars > self.left:
            raise ExpansionCut
        self.left -= chars
