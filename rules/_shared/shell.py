"""Walk the commands a RUN executes, on the parser's ShellScript (each RUN is parsed once).

``instruction.scripts()`` holds the shell-form script and the heredoc bodies a shell runs;
these helpers add what most RUN rules need on top: the program a command runs (past
``sudo``/``env``/assignments), hadolint-compatible flag tests, and where to anchor a
finding.  Spans: a word in the shell-form script is anchored on the instruction's first
line (pragmas, fixture markers and hadolint all name that line); a word in a heredoc body
keeps its real line, since the body is a script of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol, cast

from pylint_image.linter import Dockerfile, Instruction, Span

from . import anchor
from .packages import command_name

SHELL_NAMES = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh", "mksh", "busybox"})


class ShellNode(Protocol):
    """What the parser's Word/Command/Group nodes share: script offsets (read-only)."""

    @property
    def start(self) -> int: ...

    @property
    def end(self) -> int: ...


class ShellCommand(ShellNode, Protocol):
    """The parser's simple command (``linter.parse.shell.Command``), as rules use it."""

    @property
    def argv(self) -> tuple[Any, ...]: ...  # Words: .text, .substitutions (parsed ShellLists)

    @property
    def assignments(self) -> tuple[Any, ...]: ...

    @property
    def args(self) -> tuple[str, ...]: ...

    @property
    def name(self) -> str | None: ...

    def sets_pipefail(self) -> bool: ...


class Script(Protocol):
    """The parser's ShellScript, as rules use it."""

    @property
    def source(self) -> str: ...

    def commands(self) -> Iterator[ShellCommand]: ...

    def pipelines(self) -> Iterator[Any]: ...  # Pipelines: .commands (simple ones and groups), .is_pipe

    def span_of(self, node: Any) -> Span: ...


def simple_commands(nodes: Iterable[object]) -> list[ShellCommand]:
    """The simple commands among a pipeline's nodes (a group, ``( )``, ``{ }``, ``if``..., has no argv)."""
    return [cast("ShellCommand", node) for node in nodes if hasattr(node, "argv")]


def run_instructions(dockerfile: Dockerfile) -> Iterator[tuple[Instruction, Instruction]]:
    """Yield ``(instruction, run)`` for each RUN, and for each ``ONBUILD RUN`` (run = the trigger)."""
    for instruction in dockerfile.instructions():
        if instruction.keyword == "RUN":
            yield instruction, instruction
        elif instruction.keyword == "ONBUILD" and instruction.onbuild is not None \
                and instruction.onbuild.keyword == "RUN":
            yield instruction, instruction.onbuild


def commands_of(run: Instruction) -> Iterator[tuple[Script, ShellCommand]]:
    """Every simple command of a RUN (shell form and shell heredocs), nested ones included."""
    for script in run.scripts():
        for command in script.commands():
            yield script, command


def program(command: ShellCommand) -> tuple[int, str]:
    """Return ``(index in argv, basename)`` of the program run, past ``sudo``/``env``/assignments."""
    return command_name(command.args)


def program_args(command: ShellCommand) -> tuple[str, tuple[str, ...]]:
    """Return the program's basename and the words after it."""
    index, name = program(command)
    return name, tuple(command.args[index + 1 :])


def locate(instruction: Instruction, run: Instruction, script: Script, node: ShellNode) -> Span:
    """Where a finding about ``node`` is: its own span (a continuation line, a heredoc body line)."""
    span = script.span_of(node)
    if script is run.shell:
        return anchor(instruction, span)
    return span


def locate_word(instruction: Instruction, run: Instruction, script: Script, command: ShellCommand, text: str) -> Span:
    """Where a finding about the argument ``text`` of ``command`` is: that word, else the command."""
    index, _ = program(command)
    for word in command.argv[index + 1 :]:
        if word.text == text:
            return locate(instruction, run, script, word)
    return locate(instruction, run, script, command)


def flags(args: Sequence[str]) -> set[str]:
    """Option names as hadolint sees them: ``--name[=v]`` gives ``name``, ``-abc`` gives a, b, c."""
    found: set[str] = set()
    for word in args:
        if word in ("-", "--"):
            continue
        if word.startswith("--"):
            found.add(word[2:].partition("=")[0])
        elif word.startswith("-"):
            found.update(word[1:])
    return found


def has_any_flag(args: Sequence[str], *names: str) -> bool:
    """True when any of ``names`` (single letters or long names, without dashes) is among ``flags``."""
    return not flags(args).isdisjoint(names)


def positional(args: Sequence[str]) -> list[str]:
    """The words that are not options (a rough split: option values count as positional)."""
    return [w for w in args if not w.startswith("-")]
