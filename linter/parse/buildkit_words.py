"""Word-level helpers that follow BuildKit: keyword split, builder flags, JSON arrays, words."""

from __future__ import annotations

import json
import re

_WS = " \t\v\f\r"  # BuildKit's reWhitespace class
_SPACE = " \t\n\r\v\f\x85\xa0"
_DECODER = json.JSONDecoder()


class NotStringArray(ValueError):
    """A JSON array with a non-string item: BuildKit rejects the whole Dockerfile."""


def split_keyword(line: str) -> tuple[str, int]:
    """Return (keyword, offset of the text after it), as BuildKit's splitCommand does."""
    start = len(line) - len(line.lstrip(_SPACE))
    end = start
    n = len(line)
    while end < n and line[end] not in _WS:
        end += 1
    rest = end
    while rest < n and line[rest] in _SPACE:
        rest += 1
    return line[start:end], rest


def extract_flags(line: str, pos: int) -> tuple[list[tuple[int, int, str]], int]:
    """Read leading ``--flag`` words from ``line[pos:]``.

    Returns ``[(start, end, word)]`` (word with quotes and backslashes processed) and the offset
    where the arguments start, following BuildKit's extractBuilderFlags (``--`` ends the flags).
    """
    words: list[tuple[int, int, str]] = []
    n = len(line)
    while True:
        while pos < n and line[pos] in _SPACE:
            pos += 1
        if pos >= n or not line.startswith("--", pos):
            return words, pos
        start = pos
        buf: list[str] = []
        quote = ""
        blank_ok = False
        while pos < n:
            ch = line[pos]
            if quote:
                if ch == quote:
                    quote = ""
                    pos += 1
                    continue
                if ch == "\\":
                    if pos + 1 == n:
                        quote = ""
                        pos += 1
                        continue
                    pos += 1
                    ch = line[pos]
                buf.append(ch)
                pos += 1
                continue
            if ch in _SPACE:
                break
            if ch in "'\"":
                quote = ch
                blank_ok = True
                pos += 1
                continue
            if ch == "\\":
                if pos + 1 == n:
                    pos += 1
                    continue
                pos += 1
                ch = line[pos]
            buf.append(ch)
            pos += 1
        word = "".join(buf)
        if word == "--":
            return words, pos
        if blank_ok or word:
            words.append((start, pos, word))


def parse_json_array(rest: str) -> list[tuple[int, int, str]] | None:
    """Parse ``rest`` as BuildKit does: the first JSON value must be an array of strings.

    Returns ``[(start, end, item)]`` with offsets of each string literal in ``rest``, or None
    when it is not a JSON array (shell form). Raises NotStringArray for ``["a", 1]``.
    """
    lead = len(rest) - len(rest.lstrip(_SPACE))
    if not rest.startswith("[", lead):
        return None
    try:
        value, end = _DECODER.raw_decode(rest, lead)
    except ValueError:
        return None
    if not isinstance(value, list):
        return None
    if any(not isinstance(v, str) for v in value):
        if _has_nonstandard_constant(rest[lead:end]):
            return None  # Go's decoder rejects NaN/Infinity: shell form, not an error
        raise NotStringArray("when using JSON array syntax, arrays must be comprised of strings only")
    out: list[tuple[int, int, str]] = []
    pos = lead + 1
    for item in value:
        start = rest.index('"', pos)
        pos = start + 1
        while rest[pos] != '"':
            pos += 2 if rest[pos] == "\\" else 1
        pos += 1
        out.append((start, pos, item))
    return out


def _has_nonstandard_constant(text: str) -> bool:
    try:
        json.loads(text, parse_constant=_reject)
    except ValueError:
        return True
    return False


def _reject(name: str) -> None:
    raise ValueError(name)


def is_json_form(rest: str) -> bool:
    """True when ``rest`` starts with a JSON array of strings."""
    try:
        return parse_json_array(rest) is not None
    except NotStringArray:
        return False


def _word_re(escape: str) -> re.Pattern[str]:
    e = re.escape(escape)
    # alternatives start with distinct characters, so matching is linear (no backtracking blowup)
    return re.compile(
        rf"(?:[^\s'\"{e}]+|{e}[\s\S]?|'[^']*'?|\"(?:[^\"{e}]|{e}[\s\S]?)*\"?)+"
    )


_WORD_RES = {"\\": _word_re("\\"), "`": _word_re("`")}


def split_words(text: str, escape: str = "\\") -> list[tuple[int, int, str]]:
    """Split on unquoted whitespace keeping quotes in the words (BuildKit's parseWords)."""
    return [(m.start(), m.end(), m.group()) for m in _WORD_RES[escape].finditer(text)]


def unquote(word: str, escape: str = "\\") -> str:
    """Remove shell-style quotes and escapes from one word (no variable expansion)."""
    if "'" not in word and '"' not in word and escape not in word:
        return word
    out: list[str] = []
    quote = ""
    i = 0
    n = len(word)
    while i < n:
        ch = word[i]
        if quote == "'":
            if ch == "'":
                quote = ""
            else:
                out.append(ch)
        elif ch == escape and i + 1 < n and (not quote or word[i + 1] in f'"{escape}$`'):
            i += 1
            out.append(word[i])
        elif ch == quote:
            quote = ""
        elif not quote and ch in "'\"":
            quote = ch
        else:
            out.append(ch)
        i += 1
    return "".join(out)
