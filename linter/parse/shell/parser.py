"""A small, forgiving recursive-descent parser for POSIX/bash shell: ``parse_shell(text)``.

It never raises: at anything it does not understand it records an error string and goes
on, treating the character as part of a word, because rules would rather see approximate
commands than none.
"""

from __future__ import annotations

import re

from ..buildkit_words import split_words
from .ast import Command, Group, Pipeline, Redirect, ShellList, ShellScript, Word
from .words import matching_close, read_word

_BLANK = " \t\r\v\f"
_META = set(" \t\r\v\f\n|&;()<>")
_PLAIN = re.compile(r"[^\s'\"\\$`|&;()<>]+")
_ASSIGN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=")
_REDIR = re.compile(r"(\d+|\{[A-Za-z_][A-Za-z0-9_]*\})?(<<<|<<-|<<|<>|<&|<|>>|>&|>\||>|&>>|&>)")
_OPENERS = {"if": "fi", "while": "done", "until": "done", "for": "done", "select": "done", "case": "esac"}
_SKIP_WORDS = frozenset({"then", "else", "elif", "do", "!"})


class ShellParser:
    """Parses one script; ``comments`` and ``errors`` are filled in as a side product."""

    def __init__(self, text: str) -> None:
        self.s = text
        self.n = len(text)
        self.pos = 0
        self.comments: list[tuple[int, str]] = []
        self.errors: list[str] = []
        self.pending: list[tuple[str, bool, int]] = []  # heredocs waiting for a newline
        self.heredoc_bodies: list[tuple[int, str]] = []  # (redirect offset, body)
        self.in_backtick = 0  # inside `...`, a backtick ends words and lists

    def parse(self) -> ShellList:
        """Parse the whole text."""
        result = self.parse_list(top=True)
        return result

    # -- lists and pipelines -------------------------------------------------------------
    def skip_blanks(self) -> None:
        """Skip blanks, line continuations and comments (not newlines)."""
        s, n = self.s, self.n
        while self.pos < n:
            ch = s[self.pos]
            if ch in _BLANK:
                self.pos += 1
            elif ch == "\\" and s.startswith("\n", self.pos + 1):
                self.pos += 2
            elif ch == "#":
                end = s.find("\n", self.pos)
                end = n if end < 0 else end
                self.comments.append((self.pos, s[self.pos + 1 : end].strip()))
                self.pos = end
            else:
                break

    def newline(self) -> None:
        """Consume a newline and any heredoc bodies that were announced on its line."""
        self.pos += 1
        pending, self.pending = self.pending, []
        for delim, strip, at in pending:
            body = []
            while self.pos < self.n:
                end = self.s.find("\n", self.pos)
                end = self.n if end < 0 else end
                line = self.s[self.pos : end]
                self.pos = min(end + 1, self.n)
                check = line.lstrip("\t") if strip else line
                if check.rstrip("\r") == delim:
                    break
                body.append(line + "\n")
            self.heredoc_bodies.append((at, "".join(body)))

    def at_word(self, *words: str) -> str | None:
        """Return the reserved word at the cursor when it is one of ``words``."""
        m = _PLAIN.match(self.s, self.pos)
        if m and m.group() in words:
            end = m.end()
            if end >= self.n or self.s[end] in _META:
                return m.group()
        return None

    def parse_list(self, top: bool = False, stop: frozenset[str] = frozenset(), close: str = "") -> ShellList:
        """Parse pipelines until EOF, ``close`` (``)``/backtick) or a reserved word in ``stop``."""
        items: list[Pipeline] = []
        ops: list[str] = []
        background = False
        while True:
            self.skip_blanks()
            if self.pos >= self.n:
                break
            ch = self.s[self.pos]
            if ch == "\n":
                self.newline()
                if items and len(ops) < len(items):
                    ops.append(";")
                continue
            if close and self.s.startswith(close, self.pos):
                break
            if stop and self.at_word(*stop):
                break
            if ch == ";" and self.s.startswith(";;", self.pos) and "esac" in stop:
                break
            if ch in ";&|)":
                op = self.s[self.pos : self.pos + 2] if self.s[self.pos : self.pos + 2] in ("&&", "||") else ch
                self.pos += len(op)
                if ch == ")" and not close:
                    self.errors.append(f"unexpected ')' at {self.pos - 1}")
                    continue
                if items and len(ops) < len(items):
                    ops.append(op)
                else:
                    self.errors.append(f"unexpected {op!r} at {self.pos - len(op)}")
                continue
            if items and len(ops) < len(items):
                ops.append(";")  # two commands with nothing between (after a group)
            start = self.pos
            pipeline = self.parse_pipeline(stop, close)
            if self.pos == start:  # defensive: always make progress
                self.errors.append(f"stuck at {self.pos}")
                self.pos += 1
            if _is_empty(pipeline):
                if len(ops) == len(items) and ops:
                    ops.pop()  # a bare ``do``/``then`` line joins nothing
                continue
            items.append(pipeline)
        if len(ops) == len(items) and ops:
            background = ops[-1] == "&"
            ops.pop()
        return ShellList(tuple(items), tuple(ops), background)

    def parse_pipeline(self, stop: frozenset[str], close: str) -> Pipeline:
        """Parse ``[!] cmd [| cmd]...``."""
        negated = False
        if self.at_word("!"):
            negated = True
            self.pos += 1
            self.skip_blanks()
        commands = [self.parse_command(stop, close)]
        while True:
            self.skip_blanks()
            if self.s.startswith("||", self.pos) or not self.s.startswith("|", self.pos):
                break
            self.pos += 2 if self.s.startswith("|&", self.pos) else 1
            while True:
                self.skip_blanks()
                if self.pos < self.n and self.s[self.pos] == "\n":
                    self.newline()
                    continue
                break
            commands.append(self.parse_command(stop, close))
        return Pipeline(tuple(commands), negated)

    # -- commands -------------------------------------------------------------------------
    def parse_command(self, stop: frozenset[str], close: str) -> Command | Group:
        """Parse a simple command, a subshell, a brace group or a compound command."""
        self.skip_blanks()
        start = self.pos
        if self.pos < self.n and self.s[self.pos] == "(" and not self.s.startswith("((", self.pos):
            self.pos += 1
            body = self.parse_list(close=")")
            if self.s.startswith(")", self.pos):
                self.pos += 1
            else:
                self.errors.append("unterminated (")
            return Group("(", body, self.trailing_redirects(), start, self.pos)
        if self.at_word("{"):
            self.pos += 1
            body = self.parse_list(stop=frozenset({"}"}), close=close)
            if self.at_word("}"):
                self.pos += 1
            return Group("{", body, self.trailing_redirects(), start, self.pos)
        if self.s.startswith("((", self.pos):  # arithmetic command: no words to lint
            self.pos = matching_close(self.s, self.pos + 2, "(", ")", 2)
            return Command((), (), (), start, self.pos, "((")
        opener = self.at_word(*_OPENERS)
        if opener:
            return self.parse_compound(opener, start, close)
        while True:
            kw = self.at_word(*_SKIP_WORDS)
            if not kw:
                break
            self.pos += len(kw)
            self.skip_blanks()
        return self.parse_simple(stop, close)

    def parse_compound(self, opener: str, start: int, close: str) -> Group:
        """Parse ``if``/``while``/``until``/``for``/``select``/``case`` up to its closing word."""
        self.pos += len(opener)
        closer = _OPENERS[opener]
        header: list[Word] = []
        if opener in ("for", "select", "case"):
            # the header (``NAME in words`` / ``WORD in``) holds words, not commands
            while True:
                self.skip_blanks()
                if self.pos >= self.n or self.s[self.pos] in ";\n" or self.at_word("do", "in" if opener == "case" else "\0"):
                    break
                w = self.read_word()
                if w is None:
                    self.pos += 1
                    continue
                header.append(w)
            if opener == "case":
                if self.at_word("in"):
                    self.pos += 2
                body = self.parse_case_items()
            else:
                while self.pos < self.n and self.s[self.pos] in ";\n" + _BLANK:
                    if self.s[self.pos] == "\n":
                        self.newline()
                    else:
                        self.pos += 1
                body = self.parse_list(stop=frozenset({closer}), close=close)
        else:
            body = self.parse_list(stop=frozenset({closer}), close=close)
        if self.at_word(closer):
            self.pos += len(closer)
        else:
            self.errors.append(f"missing {closer!r}")
        return Group(opener, body, self.trailing_redirects(), start, self.pos, tuple(header))

    def parse_case_items(self) -> ShellList:
        """Parse ``pattern) list ;;`` items until ``esac``; the lists are concatenated."""
        items: list[Pipeline] = []
        ops: list[str] = []
        while True:
            self.skip_blanks()
            while self.pos < self.n and self.s[self.pos] == "\n":
                self.newline()
                self.skip_blanks()
            if self.pos >= self.n or self.at_word("esac"):
                break
            depth = 0
            while self.pos < self.n:  # the pattern, up to its unnested ``)``
                ch = self.s[self.pos]
                if ch in "'\"":
                    end = self.s.find(ch, self.pos + 1)
                    self.pos = self.n if end < 0 else end + 1
                    continue
                self.pos += 1
                if ch == "(":
                    depth += 1
                elif ch == ")":
                    if depth <= 1 and not (depth == 1 and self.s.startswith(")", self.pos)):
                        if depth == 0:
                            break
                    depth -= 1
            sub = self.parse_list(stop=frozenset({"esac"}))
            if sub.items:
                if items:
                    ops.append(";")
                items.extend(sub.items)
                ops.extend(sub.operators)
            if self.s.startswith(";;", self.pos) or self.s.startswith(";&", self.pos):
                self.pos += 3 if self.s.startswith(";;&", self.pos) else 2
            elif not self.at_word("esac"):
                if self.pos < self.n:
                    self.pos += 1
        return ShellList(tuple(items), tuple(ops))

    def trailing_redirects(self) -> tuple[Redirect, ...]:
        """Redirections after a group: ``( ... ) > file``."""
        out: list[Redirect] = []
        while True:
            self.skip_blanks()
            r = self.read_redirect()
            if r is None:
                return tuple(out)
            out.append(r)

    def parse_simple(self, stop: frozenset[str], close: str) -> Command | Group:
        """Parse assignments, words and redirections up to an operator."""
        start = self.pos
        argv: list[Word] = []
        assigns: list[Word] = []
        redirects: list[Redirect] = []
        while True:
            self.skip_blanks()
            if self.pos >= self.n:
                break
            ch = self.s[self.pos]
            if ch in "\n;&|)" and not self.s.startswith("&>", self.pos):
                break
            if close and self.s.startswith(close, self.pos):
                break
            # a reserved word ends the list only in command position; later it is an argument
            if not argv and not assigns and stop and self.at_word(*stop):
                break
            r = self.read_redirect()
            if r is not None:
                redirects.append(r)
                continue
            if ch == "(":
                if argv and self.s.startswith("()", self.pos):  # ``name() { ...; }``
                    self.pos += 2
                    self.skip_blanks()
                    body = self.parse_command(stop, close)
                    names = tuple(w for w in argv if w.text != "function")
                    return Group("function", ShellList((Pipeline((body,)),)), (), start, self.pos, names)
                self.errors.append(f"unexpected '(' at {self.pos}")
                self.pos += 1
                continue
            w = self.read_word()
            if w is None:
                self.pos += 1
                continue
            if not argv and _ASSIGN.match(w.raw):
                assigns.append(w)
            else:
                argv.append(w)
        end = max([start] + [w.end for w in argv] + [w.end for w in assigns] + [r.end for r in redirects])
        return Command(tuple(argv), tuple(assigns), tuple(redirects), start, end)

    def read_redirect(self) -> Redirect | None:
        """Read a redirection operator and its target at the cursor, if there is one."""
        m = _REDIR.match(self.s, self.pos)
        if not m:
            return None
        if m.group(2) in ("<", ">") and self.s.startswith("(", m.end()):
            return None  # ``<( cmd )`` is a process substitution word, not a redirect
        start = self.pos
        op = m.group(0)
        self.pos = m.end()
        if m.group(2) in (">&", "<&") and self.s.startswith("-", self.pos):
            self.pos += 1
            return Redirect(op + "-", None, start, self.pos)
        self.skip_blanks()
        target = self.read_word()
        if m.group(2) in ("<<", "<<-") and target is not None:
            # the body follows the next newline; it is recorded in ``heredoc_bodies`` by offset
            self.pending.append((target.text, m.group(2) == "<<-", start))
        return Redirect(op, target, start, self.pos)

    def read_word(self) -> Word | None:
        """Read one word (quotes, escapes, ``$( )``, ``${ }``, backticks) at the cursor."""
        return read_word(self)


def _is_empty(pipeline: Pipeline) -> bool:
    """True for the empty command left by a line holding only ``then``/``do``."""
    if len(pipeline.commands) != 1 or pipeline.negated:
        return False
    c = pipeline.commands[0]
    return isinstance(c, Command) and not (c.argv or c.assignments or c.redirects or c.keyword)


def parse_shell(text: str, anchors: tuple[tuple[int, int, int], ...] = ((0, 1, 1),)) -> ShellScript:
    """Parse ``text`` into a ShellScript; never raises."""
    parser = ShellParser(text)
    try:
        body = parser.parse()
    except RecursionError:
        # pathological nesting (thousands of ``$(`` or ``(``): keep the words, drop the structure
        words = tuple(Word(t, t, s, e) for s, e, t in split_words(text))
        body = ShellList((Pipeline((Command(words, start=0, end=len(text)),)),))
        parser.errors.append("nesting too deep; parsed as plain words")
    return ShellScript(
        text, body, tuple(parser.comments), anchors, tuple(parser.errors), tuple(parser.heredoc_bodies)
    )
