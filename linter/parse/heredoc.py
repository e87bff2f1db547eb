"""Finds ``<<EOF`` / ``<<-EOF`` / ``<<'EOF'`` words on a RUN/COPY/ADD line, as BuildKit does.

dockerfile-parse does not know heredocs and reports their bodies as instructions; BuildKit
splits the instruction line into shell words (quotes kept) and treats every word of the form
``[fd]<<[-]NAME`` as a heredoc whose body follows the instruction, in order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .buildkit_words import split_words, unquote

# ``<<<`` (a here-string) is excluded by ``[^<]``, as in BuildKit.
_HEREDOC_RE = re.compile(r"(\d*)<<(-?)([^<]*)\Z")


@dataclass(slots=True)
class RawHeredoc:
    """A heredoc announced on an instruction line; the scanner fills in its body."""

    name: str
    chomp: bool
    quoted: bool
    fd: int
    word_start: int  # offset of the ``<<`` word in the logical line
    word_end: int
    content: str = ""
    body_start_line: int = 0
    end_line: int = 0


class HeredocError(ValueError):
    """A heredoc word that BuildKit cannot lex (an unterminated quote)."""


def heredoc_words(line: str) -> list[RawHeredoc]:
    """Return the heredocs announced on ``line`` in order."""
    docs: list[RawHeredoc] = []
    for start, end, word in split_words(line, "\\"):
        if "<<" not in word:
            continue
        m = _HEREDOC_RE.match(word)
        if not m or not m.group(3):
            continue
        rest = m.group(3)
        name = unquote(rest, "\\")
        raw_quotes = rest.count("'") + rest.count('"')
        quotes = name.count("'") + name.count('"')
        docs.append(
            RawHeredoc(
                name=name,
                chomp=m.group(2) == "-",
                quoted=raw_quotes != quotes,
                fd=int(m.group(1) or 0),
                word_start=start,
                word_end=end,
            )
        )
    return docs
