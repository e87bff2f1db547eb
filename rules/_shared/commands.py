"""The simple commands of a RUN instruction, as argv word lists with source spans where known.

Heredoc bodies fed to a shell (``RUN <<EOF``, ``RUN bash <<EOF``) are analysed as scripts;
other heredocs (``cat <<EOF > file``) are data.  Words are expanded with the variables in
scope; references that cannot be resolved stay as written (``${VER}``).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass

from pylint_image.linter import Instruction, Span

from .variables import expand

_SUBST_RE = re.compile(r"\$\([^()]*\)|`[^`]*`")
_HEREDOC_RE = re.compile(r"^\d*<<-?(['\"]?)[A-Za-z_][A-Za-z0-9_]*\1$|^\d*<<-?$")
_REDIRECT_RE = re.compile(r"^\d*(?:>>?|<|&>|>&)(?:&?\d*)$")
_REDIRECT_GLUED_RE = re.compile(r"^\d*(?:>>?|<|&>)\S+$")
_SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "/bin/sh", "/bin/bash", "/bin/ash", "/usr/bin/env"})
_SEPARATOR_CHARS = set(";&|()")


@dataclass(frozen=True, slots=True)
class Word:
    """One word of a simple command: its expanded text and, when known, its source span."""

    text: str
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class Command:
    """A simple command (the words between ``&&``, ``||``, ``;``, ``|`` and newlines)."""

    words: tuple[Word, ...]

    @property
    def argv(self) -> list[str]:
        """The command's words as plain strings."""
        return [w.text for w in self.words]


def _tokenize_line(line: str) -> list[list[str]]:
    """Split one logical shell line into simple commands (a tolerant fallback tokenizer)."""
    previous = None
    while previous != line:  # innermost command substitutions first: they are unknown values
        previous, line = line, _SUBST_RE.sub("${__subst__}", line)
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|()")
    lexer.whitespace_split = True
    try:
        tokens = list(lexer)
    except ValueError:  # unbalanced quotes: BuildKit passes them to sh, which would fail too
        tokens = line.split()
    commands: list[list[str]] = [[]]
    skip = False
    for token in tokens:
        if skip:
            skip = False
        elif token and set(token) <= _SEPARATOR_CHARS:
            commands.append([])
        elif _HEREDOC_RE.match(token):
            commands[-1].append(token)  # kept: run_commands decides whether the body is a script
        elif _REDIRECT_RE.match(token):
            skip = True  # the redirection target is not an argument
        elif not _REDIRECT_GLUED_RE.match(token):
            commands[-1].append(token)
    return [c for c in commands if c]


def split_script(script: str) -> list[list[str]]:
    """Split a shell script into simple commands (continuations joined, one line at a time)."""
    script = re.sub(r"\\\r?\n", " ", script)
    return [cmd for line in script.splitlines() for cmd in _tokenize_line(line)]


def _is_heredoc_token(word: str) -> bool:
    return bool(_HEREDOC_RE.match(word))


def _locate(words: list[str], args: list[tuple[str, Span]], scope: Mapping[str, str | None]) -> list[Word]:
    """Attach spans by finding each word, in order, among the instruction's argument tokens."""
    located: list[Word] = []
    cursor = 0
    for text in words:
        span = None
        for j in range(cursor, len(args)):
            token = args[j][0].strip("\"'")
            if token == text:
                span, cursor = args[j][1], j + 1
                break
        located.append(Word(expand(text, scope), span))
    return located


def _body_words(body: str, first_line: int, scope: Mapping[str, str | None]) -> list[list[Word]]:
    """Tokenize a heredoc script, giving each word a span on its body line."""
    result: list[list[Word]] = []
    for offset, line in enumerate(body.splitlines()):
        cursor = 0
        for command in _tokenize_line(line):
            words = []
            for text in command:
                col = line.find(text, cursor)
                span = Span(first_line + offset, col + 1, first_line + offset, col + 1 + len(text)) if col >= 0 else None
                cursor = col + len(text) if col >= 0 else cursor
                words.append(Word(expand(text, scope), span))
            result.append(words)
    return result


def run_commands(instruction: Instruction, scope: Mapping[str, str | None] | None = None) -> tuple[Command, ...]:
    """Return the simple commands a RUN instruction executes (empty for exec form)."""
    scope = scope or {}
    if instruction.keyword != "RUN" or instruction.form == "exec":
        return ()
    args = [(a.text, a.span) for a in instruction.args]
    raw = split_script(instruction.value_after_flags)
    commands: list[Command] = []
    body_is_script = False
    for argv in raw:
        if any(_is_heredoc_token(w) for w in argv):
            rest = [w for w in argv if not _is_heredoc_token(w) and not w.startswith("-")]
            body_is_script = body_is_script or not rest or rest[0] in _SHELLS
            argv = [w for w in argv if not _is_heredoc_token(w)]
        if argv:
            commands.append(Command(tuple(_locate(argv, args, scope))))
    if body_is_script:
        for heredoc in instruction.heredocs:
            for words in _body_words(heredoc.body, heredoc.body_start_line, scope):
                commands.append(Command(tuple(words)))
    return tuple(commands)


def has_cache_mount(instruction: Instruction, targets: tuple[str, ...]) -> bool:
    """True when the RUN has a ``--mount=type=cache`` whose target is under one of ``targets``."""
    for flag in instruction.flags:
        if flag.name != "mount" or not flag.value:
            continue
        fields = dict(part.partition("=")[::2] for part in flag.value.split(","))
        target = fields.get("target") or fields.get("dst") or fields.get("destination") or ""
        if fields.get("type") == "cache" and any(target.rstrip("/").startswith(t) or t.startswith(target.rstrip("/") + "/")
                                                  for t in targets if target):
            return True
    return False


def removes_path(commands: tuple[Command, ...], prefixes: tuple[str, ...]) -> bool:
    """True when some ``rm`` command removes a path under one of ``prefixes``."""
    for command in commands:
        argv = command.argv
        i = _command_index(argv)
        if i < len(argv) and argv[i].rsplit("/", 1)[-1] == "rm" and any(w.startswith(prefixes) for w in argv[i + 1 :]):
            return True
    return False


def _command_index(argv: list[str]) -> int:
    """Index of the command name after leading assignments and ``sudo``."""
    i = 0
    while i < len(argv) and (argv[i] == "sudo" or re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", argv[i])):
        i += 1
    return i
