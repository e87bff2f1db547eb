"""Stage names as written in ``FROM ... AS name``, with the spans of the ``AS`` word and the name."""

from __future__ import annotations


from pylint_image.linter import Arg, Dockerfile, Instruction
from pylint_image.rules._shared import frozen


@frozen
class StageName:
    """The ``AS`` keyword and the stage name of one FROM instruction."""

    instruction: Instruction
    as_word: Arg
    name: Arg


def stage_names(dockerfile: Dockerfile) -> list[StageName]:
    """Return the named stages in file order (FROM lines without ``AS name`` are left out)."""
    found = []
    for stage in dockerfile.stages:
        args = stage.from_instruction.args
        if len(args) == 3 and args[1].text.lower() == "as":
            found.append(StageName(stage.from_instruction, args[1], args[2]))
    return found
