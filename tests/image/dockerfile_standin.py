"""A tiny stand-in Dockerfile reader for provenance tests (no continuations inside JSON).

It yields objects with the shape of ``model.dockerfile`` (keyword, value, form, span,
stages/from_instruction/instructions) so provenance is tested without the real parser.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    start_line: int
    end_line: int


@dataclass(frozen=True)
class Inst:
    keyword: str
    value: str
    form: str
    span: Span


@dataclass(frozen=True)
class Stage:
    from_instruction: Inst
    instructions: tuple[Inst, ...]


@dataclass(frozen=True)
class Dockerfile:
    stages: tuple[Stage, ...]


def parse(text: str) -> Dockerfile:
    """Split ``text`` into instructions (joining ``\\`` continuations) and stages."""
    insts: list[Inst] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        start, line = i + 1, lines[i]
        while line.rstrip().endswith("\\") and i + 1 < len(lines):
            i += 1
            line = line.rstrip()[:-1] + " " + lines[i]
        i += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        keyword, _, value = line.strip().partition(" ")
        form = "exec" if value.lstrip().startswith("[") else "shell"
        insts.append(Inst(keyword.upper(), value.strip(), form, Span(start, i)))
    stages: list[Stage] = []
    for inst in insts:
        if inst.keyword == "FROM":
            stages.append(Stage(inst, (inst,)))
        elif stages:
            stages[-1] = Stage(stages[-1].from_instruction, stages[-1].instructions + (inst,))
    return Dockerfile(tuple(stages))
