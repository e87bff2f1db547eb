"""Assembles the stage-aware Dockerfile model from the scanner's logical lines."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ..errors import ParseError
from ..model.dockerfile import Comment, Directives, Dockerfile, Instruction, Stage
from ..model.span import Span
from .images import parse_image_ref
from .instructions import KNOWN, InstructionBuilder
from .scanner import scan
from ..expansion import ExpansionBudget, expansion_limit
from .variables import declare_globals, expand
from .buildkit_words import split_keyword


def build_dockerfile(
    path: Path, text: str, build_args: Mapping[str, str] | None = None
) -> Dockerfile:
    """Parse ``text`` (the content of ``path``) into a Dockerfile; raise ParseError when malformed."""
    text = text.removeprefix("\ufeff")  # BuildKit drops a UTF-8 byte-order mark on line 1
    where = str(path)
    result = scan(text, where)
    builder = InstructionBuilder(result.lines, where, result.escape)
    build_args = dict(build_args or {})

    global_args: list[Instruction] = []
    stages: list[tuple[Instruction, list[Instruction]]] = []
    index = 0
    for node in result.logical:
        is_from = split_keyword(node.text)[0].upper() == "FROM"
        stage_index = len(stages) if is_from else (len(stages) - 1 if stages else None)
        ins = builder.build(node, 0, stage_index, index)
        _check_instruction(ins, where)
        if ins.keyword == "FROM":
            stages.append((ins, []))
        elif not stages:
            if ins.keyword != "ARG":
                # BuildKit's instructions.Parse: only ARG may precede the first FROM
                raise ParseError("no build stage in current context", where, ins.line, tool_ids=("DL3061",))
        index += 1
        if stage_index is None:
            global_args.append(ins)
        else:
            stages[-1][1].append(ins)

    budget = ExpansionBudget(expansion_limit(len(text)))  # one pass: the global ARGs and every FROM share it
    scope = declare_globals(global_args, build_args or {}, result.escape)
    built: list[Stage] = []
    names: list[str] = []
    for i, (from_ins, body) in enumerate(stages):
        built.append(_stage(i, body[0], body, scope, names, budget))
        if built[-1].name:
            names.append(built[-1].name.lower())
    return Dockerfile(
        path=path,
        text=text,
        directives=_directives(result.directives, result.escape),
        global_args=tuple(global_args),
        stages=tuple(built),
        comments=tuple(Comment(t, Span(line, sc, line, ec)) for t, line, sc, ec in result.comments),
        lines=tuple(result.lines),
        build_args=build_args,
    )


def _check_instruction(ins: Instruction, path: str) -> None:
    """Reject what BuildKit's instruction layer rejects before any build step runs."""
    if ins.keyword not in KNOWN:
        raise ParseError(f"unknown instruction: {ins.keyword_as_written}", path, ins.line)
    if ins.keyword == "FROM":
        words = [a.text for a in ins.args]
        if not (len(words) == 1 or (len(words) == 3 and words[1].lower() == "as")):
            raise ParseError("FROM requires either one or three arguments", path, ins.line)
    if ins.onbuild is not None:
        sub = ins.onbuild.keyword
        if sub in ("ONBUILD", "FROM", "MAINTAINER"):
            raise ParseError(f"{sub} isn't allowed as an ONBUILD trigger", path, ins.line, tool_ids=("DL3043",))
        _check_instruction(ins.onbuild, path)


def _stage(
    index: int, from_ins: Instruction, body: list[Instruction], scope: Mapping[str, str | None], names: list[str],
    budget: ExpansionBudget,
) -> Stage:
    words = [a.text for a in from_ins.args]
    name = words[2] if len(words) == 3 else None
    platform = from_ins.flag("platform")
    if platform is not None:
        platform = expand(platform, scope, budget=budget)
    base = parse_image_ref(words[0], scope, names, budget, from_ins.args[0].span)
    last = body[-1].span
    span = Span(from_ins.span.start_line, from_ins.span.start_col, last.end_line, last.end_col)
    return Stage(index, name, base, platform, from_ins, tuple(body), span)


def _directives(found: Mapping[str, tuple[str, int, int, int]], escape: str) -> Directives:
    spans = {k: Span(line, sc, line, ec) for k, (_, line, sc, ec) in found.items()}
    return Directives(
        syntax=found["syntax"][0] if "syntax" in found else None,
        escape=escape,
        check=found["check"][0] if "check" in found else None,
        spans=spans,
    )
