"""Map an image's runtime claims (argv, EXPOSE, HEALTHCHECK, STOPSIGNAL, USER) to Dockerfile lines.

The built stage is the ``--target`` stage or the last one; instructions are replayed from
the stage's ancestors (``FROM <alias>``) down, so an inherited CMD or EXPOSE points at the
line that really set it.
"""

from __future__ import annotations

from pathlib import Path

from pylint_image.linter.findings import SourceLocation
from pylint_image.linter.model.dockerfile import Dockerfile, Instruction, Stage

from .argv import CommandConfig, config_from_instructions
from .probes.ports import parse_exposed


def built_stage(dockerfile: Dockerfile, target: str | None) -> Stage | None:
    """The stage ``docker build [--target]`` produces."""
    return dockerfile.stage(target) if target else dockerfile.final_stage


def stage_instructions(dockerfile: Dockerfile, stage: Stage) -> list[Instruction]:
    """The stage's instructions preceded by those of its alias ancestors, in build order."""
    chain = [stage]
    while chain[-1].base.is_stage_alias and len(chain) <= len(dockerfile.stages):
        parent = dockerfile.stage(chain[-1].base.resolved)
        if parent is None or parent in chain:
            break
        chain.append(parent)
    return [i for s in reversed(chain) for i in s.instructions]


def claim_sources(dockerfile: Dockerfile, target: str | None) -> tuple[dict[str, SourceLocation], CommandConfig]:
    """Claim keys (see ``RuntimeRun.sources``) -> locations, plus the replayed command config."""
    stage = built_stage(dockerfile, target)
    if stage is None:
        return {}, CommandConfig()
    path = Path(dockerfile.path)
    instructions = stage_instructions(dockerfile, stage)
    commands = config_from_instructions(instructions)
    found: dict[str, SourceLocation] = {"stage": SourceLocation(path, stage.from_instruction.span)}
    made_argv0 = commands.entrypoint_from if commands.entrypoint else commands.cmd_from
    if made_argv0 is not None:
        found["entrypoint"] = SourceLocation(path, made_argv0.span)
    if commands.cmd_from is not None:
        found["cmd"] = SourceLocation(path, commands.cmd_from.span)
    for instruction in instructions:
        key = {"HEALTHCHECK": "healthcheck", "STOPSIGNAL": "stopsignal", "USER": "user"}.get(
            instruction.keyword)
        if key:
            found[key] = SourceLocation(path, instruction.span)
        elif instruction.keyword == "EXPOSE":
            for arg in instruction.args:
                for port, protocol in parse_exposed([arg.text]):
                    found[f"expose:{port}/{protocol}"] = SourceLocation(path, arg.span)
    return found, commands
