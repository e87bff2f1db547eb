"""The container's argv exactly as Docker computes it from ENTRYPOINT, CMD and SHELL.

Two halves: what the builder writes into the image config from the Dockerfile
(:func:`config_from_instructions`), and what the engine then runs (:func:`container_argv`).
Keeping both lets the runner explain a finding in terms of the line that caused it.
"""

from __future__ import annotations

from collections.abc import Iterable

from pylint_image.linter.model.dockerfile import Instruction
from pylint_image.linter.model.frozen import frozen

DEFAULT_SHELL = ("/bin/sh", "-c")


@frozen
class CommandConfig:
    """The image config's Entrypoint and Cmd plus where each came from (None: not set)."""

    entrypoint: tuple[str, ...] | None = None
    cmd: tuple[str, ...] | None = None
    shell: tuple[str, ...] = DEFAULT_SHELL
    entrypoint_from: Instruction | None = None
    cmd_from: Instruction | None = None

    @property
    def argv(self) -> tuple[str, ...]:
        """The argv the engine runs for this config."""
        return container_argv(self.entrypoint, self.cmd)

    @property
    def shell_form(self) -> bool:
        """True when argv[0] is the SHELL wrapping a shell-form ENTRYPOINT or CMD."""
        source = self.entrypoint_from if self.entrypoint is not None else self.cmd_from
        return source is not None and source.form == "shell"


def container_argv(entrypoint: Iterable[str] | None, cmd: Iterable[str] | None) -> tuple[str, ...]:
    """Entrypoint followed by Cmd as its arguments (Docker's rule; either may be empty).

    A shell-form ENTRYPOINT is ``SHELL + [text]`` in the config, so CMD's words land after
    ``sh -c text`` as ``$0 $1 ...`` which the script never reads: that is how "ENTRYPOINT
    shell form ignores CMD" happens, without any special case here.
    """
    return (*(entrypoint or ()), *(cmd or ()))


def _words(instruction: Instruction, shell: tuple[str, ...]) -> tuple[str, ...]:
    """Exec form: the JSON array; shell form: SHELL plus the command text as one word."""
    if instruction.form == "exec":
        return tuple(arg.text for arg in instruction.args)
    return (*shell, instruction.value_after_flags.strip())


def config_from_instructions(instructions: Iterable[Instruction],
                             base: CommandConfig | None = None) -> CommandConfig:
    """Replay SHELL, ENTRYPOINT and CMD in build order onto ``base`` (the parent image's config).

    ENTRYPOINT resets a CMD inherited from the base image but keeps a CMD set earlier in
    the same build (BuildKit's ``cmdSet``); SHELL changes only later shell-form lines.
    """
    state = base or CommandConfig()
    entrypoint, cmd, shell = state.entrypoint, state.cmd, state.shell
    entrypoint_from, cmd_from = state.entrypoint_from, state.cmd_from
    cmd_set_here = False
    for instruction in instructions:
        if instruction.keyword == "SHELL" and instruction.form == "exec":
            shell = tuple(arg.text for arg in instruction.args)
        elif instruction.keyword == "CMD":
            cmd, cmd_from, cmd_set_here = _words(instruction, shell), instruction, True
        elif instruction.keyword == "ENTRYPOINT":
            entrypoint, entrypoint_from = _words(instruction, shell), instruction
            if not cmd_set_here:
                cmd, cmd_from = None, None
    return CommandConfig(entrypoint, cmd, shell, entrypoint_from, cmd_from)
