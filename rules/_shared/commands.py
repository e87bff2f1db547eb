"""The simple commands of a RUN instruction, as argv word lists with source spans where known.

Heredoc bodies fed to a shell (``RUN <<EOF``, ``RUN bash <<EOF``) are analysed as scripts;
other heredocs (``cat <<EOF > file``) are data.  Words are expanded with the variables in
scope; references that cannot be resolved stay as written (``${VER}``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from pylint_image.linter import Instruction, Span

from .packages import command_name
from .variables import expand, fork
from pylint_image.rules._shared import frozen

_SUBST_RE = re.compile(r"\$\([^()]*\)|`[^`]*`")
_ASSIGN_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


@frozen
class Word:
    """One word of a simple command: its expanded text and, when known, its source span."""

    text: str
    span: Span | None = None


@frozen
class Command:
    """A simple command (the words between ``&&``, ``||``, ``;``, ``|`` and newlines)."""

    words: tuple[Word, ...]

    @property
    def argv(self) -> list[str]:
        """The command's words as plain strings."""
        return [w.text for w in self.words]


def _unsubstituted(text: str) -> str:
    """Replace ``$( )`` and backtick substitutions by an unknown variable reference."""
    previous = None
    while previous != text:  # innermost first: nested substitutions unwrap one level per pass
        previous, text = text, _SUBST_RE.sub("${__subst__}", text)
    return _scan_substitutions(text) if "$(" in text else text


def _scan_substitutions(text: str) -> str:
    """Replace the ``$( )`` the regex leaves (parentheses or quotes inside, as in an awk script).

    Parentheses are counted outside quotes; an unterminated substitution runs to the end.
    """
    out: list[str] = []
    i = 0
    while (start := text.find("$(", i)) >= 0:
        out.append(text[i:start])
        depth, j, quote = 1, start + 2, ""
        while j < len(text) and depth:
            ch = text[j]
            if quote:
                quote = "" if ch == quote else quote
            elif ch in "'\"":
                quote = ch
            elif ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            j += 1
        out.append("${__subst__}")
        i = j
    out.append(text[i:])
    return "".join(out)





Located = list[tuple[str, "Span | None", bool]]  # text, span, may split (unquoted)





def _expanded(text: str, span: Span | None, split: bool, scope: Mapping[str, str | None]) -> list[Word]:
    """Expand a word; an unquoted variable holding spaces splits into several words."""
    value = expand(text, scope, quotes=False, escape="")  # the shell parser removed quotes and escapes
    if value == text or not split:
        return [Word(value, span)]
    return [Word(part, span) for part in value.split()]


def _assignments(words: Located) -> list[tuple[str, str]] | None:
    """Return the ``NAME=value`` pairs of an assignment-only (or ``export``) command, else None."""
    texts = [t for t, _, _ in words]
    if texts and texts[0] in ("export", "local", "readonly"):
        texts = texts[1:]
    if not texts or not all(_ASSIGN_RE.match(t) for t in texts):
        return None
    return [(t.partition("=")[0], t.partition("=")[2]) for t in texts]


def _parsed_words(instruction: Instruction) -> list[Located] | None:
    """Words of each simple command from the parser's shell scripts, or None when not parsed."""
    script = getattr(instruction, "shell", None)
    if script is None:
        return None
    located: list[Located] = []
    for current in (script, *(s for s in getattr(instruction, "heredoc_shells", ()) if s is not None)):
        for command in current.commands():
            parts = command.argv or command.assignments  # bare assignments set shell variables
            words = [(_unsubstituted(w.text), current.span_of(w), not w.quoted) for w in parts]
            if words:
                located.append(words)
    return located



def run_commands(instruction: Instruction, scope: Mapping[str, str | None] | None = None) -> tuple[Command, ...]:
    """Return the simple commands a RUN instruction executes (empty for exec form).

    Uses the parser's shell scripts (parsed once for all rules).  Shell
    variables assigned by the script (``deps='gcc make'; apt-get install $deps``) are
    expanded in the commands that follow them.
    """
    if instruction.keyword != "RUN" or instruction.form == "exec":
        return ()
    located = _parsed_words(instruction)
    if located is None:  # nothing to run (an empty RUN): the parser attaches no script
        return ()
    local = fork(scope, instruction.raw)  # shell assignments share the scope's expansion budget
    commands: list[Command] = []
    for words in located:
        assigned = _assignments(words)
        for name, value in assigned or ():
            local[name] = expand(value, local, quotes=False, escape="")
        if assigned is None and words:
            expanded = (w for text, span, split in words for w in _expanded(text, span, split, local))
            commands.append(Command(tuple(expanded)))
    return tuple(commands)


def has_cache_mount(instruction: Instruction, targets: tuple[str, ...], types: tuple[str, ...] = ("cache",)) -> bool:
    """True when the RUN has a ``--mount=type=cache`` whose target is under one of ``targets``.

    ``types=("cache", "tmpfs")`` also accepts a tmpfs mount: what is written there is not
    committed to the layer either.
    """
    for flag in instruction.flags:
        if flag.name != "mount" or not flag.value:
            continue
        fields = dict(part.partition("=")[::2] for part in flag.value.split(","))
        target = (fields.get("target") or fields.get("dst") or fields.get("destination") or "").rstrip("/")
        # the mount covers the cache when it is the cache dir, inside it, or one of its parents
        if fields.get("type") in types and target and any(
                target.startswith(t) or t.startswith(target + "/") for t in targets):
            return True
    return False


def removes_path(commands: tuple[Command, ...], prefixes: tuple[str, ...]) -> bool:
    """True when some ``rm`` command removes a path under one of ``prefixes``."""
    for command in commands:
        i, name = command_name(command.argv)
        if name == "rm" and any(w.startswith(prefixes) for w in command.argv[i + 1 :]):
            return True
    return False
