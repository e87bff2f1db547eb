"""Reads one shell word: quotes, escapes, ``$VAR``/``${ }``/``$( )``/``$(( ))``, backticks, ``<( )``."""

from __future__ import annotations

import re
from typing import Protocol

from .ast import ShellList, Word

_PLAIN = re.compile(r"[^\s'\"\\$`|&;()<>]+")
_DQ_PLAIN = re.compile(r'[^"\\$`]+')
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[0-9]|[@*#?$!-]")
_WORD_END = frozenset(" \t\r\v\f\n|&;()<>")


class WordSource(Protocol):
    """What ``read_word`` needs of the parser: the text, a cursor, and a way back in for ``$( )``.

    A protocol rather than an import of ``ShellParser``, so that this module depends only on
    the AST and the parser depends on it, never the other way round.
    """

    s: str
    n: int
    pos: int
    in_backtick: int
    errors: list[str]

    def parse_list(self, top: bool = False, stop: frozenset[str] = frozenset(), close: str = "") -> ShellList:
        """Parse a list up to ``close`` (a substitution body)."""
        ...


def read_word(p: WordSource) -> Word | None:
    """Read the word at ``p.pos``; return None when there is none (an operator or EOF)."""
    s, n = p.s, p.n
    start = p.pos
    buf: list[str] = []
    subs: list[ShellList] = []
    quoted = False
    expands = False
    while p.pos < n:
        ch = s[p.pos]
        if ch in _WORD_END:
            if ch in "<>" and s.startswith("(", p.pos + 1):  # process substitution
                buf.append(_substitution(p, p.pos + 2, subs))
                expands = True
                continue
            break
        m = _PLAIN.match(s, p.pos)
        if m:
            buf.append(m.group())
            p.pos = m.end()
            continue
        if ch == "'":
            end = s.find("'", p.pos + 1)
            if end < 0:
                p.errors.append(f"unterminated ' at {p.pos}")
                end = n
            buf.append(s[p.pos + 1 : end])
            p.pos = min(end + 1, n)
            quoted = True
        elif ch == '"':
            p.pos += 1
            expands |= _double_quoted(p, buf, subs)
            quoted = True
        elif ch == "\\":
            if s.startswith("\n", p.pos + 1):
                p.pos += 2  # line continuation
                continue
            if p.pos + 1 < n:
                buf.append(s[p.pos + 1])
                quoted = True
            p.pos += 2
            p.pos = min(p.pos, n)
        elif ch == "$":
            got, is_quote = _dollar(p, subs)
            buf.append(got)
            quoted |= is_quote
            expands |= not is_quote
        elif ch == "`":
            if p.in_backtick:
                break
            buf.append(_backtick(p, subs))
            expands = True
        else:  # pragma: no cover - _PLAIN covers every other character
            buf.append(ch)
            p.pos += 1
    if p.pos == start:
        return None
    return Word("".join(buf), s[start : p.pos], start, p.pos, quoted, expands, tuple(subs))


def _double_quoted(p: WordSource, buf: list[str], subs: list[ShellList]) -> bool:
    """Read up to the closing ``"``; return True when it contains an expansion."""
    s, n = p.s, p.n
    expands = False
    while p.pos < n:
        ch = s[p.pos]
        if ch == '"':
            p.pos += 1
            return expands
        m = _DQ_PLAIN.match(s, p.pos)
        if m:
            buf.append(m.group())
            p.pos = m.end()
        elif ch == "\\":
            nxt = s[p.pos + 1 : p.pos + 2]
            if nxt == "\n":
                pass
            elif nxt in ('"', "\\", "$", "`"):
                buf.append(nxt)
            else:
                buf.append("\\" + nxt)
            p.pos += 2
        elif ch == "$":
            got, _ = _dollar(p, subs)
            buf.append(got)
            expands = True
        else:  # backtick
            buf.append(_backtick(p, subs))
            expands = True
    p.errors.append('unterminated "')
    p.pos = n
    return expands


def _dollar(p: WordSource, subs: list[ShellList]) -> tuple[str, bool]:
    """Read a ``$`` construct; return (raw text, whether it was ``$'...'`` quoting)."""
    s, n = p.s, p.n
    start = p.pos
    nxt = s[p.pos + 1 : p.pos + 2]
    if s.startswith("$((", p.pos):
        p.pos = matching_close(s, p.pos + 3, "(", ")", 2)
        return s[start : p.pos], False
    if nxt == "(":
        return _substitution(p, p.pos + 2, subs), False
    if nxt == "{":
        p.pos = matching_close(s, p.pos + 2, "{", "}", 1)
        return s[start : p.pos], False
    if nxt == "'":
        j = p.pos + 2
        while j < n and s[j] != "'":
            j += 2 if s[j] == "\\" else 1
        p.pos = min(j + 1, n)
        return s[start + 2 : min(j, n)], True
    m = _NAME.match(s, p.pos + 1)
    if m:
        p.pos = m.end()
        return s[start : p.pos], False
    p.pos += 1
    return "$", True


def _substitution(p: WordSource, body_start: int, subs: list[ShellList]) -> str:
    """Parse ``$( ... )`` / ``<( ... )`` whose body starts at ``body_start``; return its raw text."""
    start = p.pos
    p.pos = body_start
    saved = p.in_backtick
    p.in_backtick = 0
    subs.append(p.parse_list(close=")"))
    p.in_backtick = saved
    if p.s.startswith(")", p.pos):
        p.pos += 1
    else:
        p.errors.append(f"unterminated $( at {start}")
    return p.s[start : p.pos]


def _backtick(p: WordSource, subs: list[ShellList]) -> str:
    """Parse a backtick substitution with the same parser; return its raw text."""
    start = p.pos
    p.pos += 1
    p.in_backtick += 1
    subs.append(p.parse_list(close="`"))
    p.in_backtick -= 1
    if p.s.startswith("`", p.pos):
        p.pos += 1
    else:
        p.errors.append(f"unterminated ` at {start}")
    return p.s[start : p.pos]


def matching_close(s: str, pos: int, open_: str, close: str, depth: int) -> int:
    """Return the offset just past the ``close`` that balances ``depth`` open brackets."""
    n = len(s)
    quote = ""
    while pos < n:
        ch = s[pos]
        if quote:
            if ch == quote:
                quote = ""
            elif ch == "\\" and quote == '"':
                pos += 1
        elif ch in "'\"":
            quote = ch
        elif ch == "\\":
            pos += 1
        elif ch == open_:
            depth += 1
        elif ch == close:
            depth -= 1
            if depth == 0:
                return pos + 1
        pos += 1
    return n
