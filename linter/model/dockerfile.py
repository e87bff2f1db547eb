"""The Dockerfile model: frozen, stage-aware, with 1-based spans for everything."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ..reference import Reference, split_reference
from .span import Span
from pylint_image.linter.model.frozen import frozen

if TYPE_CHECKING:
    from ..parse.shell import ShellScript

Form = Literal["shell", "exec", "none"]


@frozen
class Directives:
    """Parser directives read from the top of the file (``# syntax=``, ``# escape=``, ``# check=``)."""

    syntax: str | None = None
    escape: str = "\\"
    check: str | None = None
    spans: Mapping[str, Span] = field(default_factory=dict)


@frozen
class Heredoc:
    """A here-document attached to an instruction: its body is content, never instructions."""

    name: str
    body: str
    strip_tabs: bool  # ``<<-EOF`` strips leading tabs from body lines
    quoted: bool  # ``<<'EOF'`` / ``<<"EOF"`` disables expansion in the body
    span: Span  # from the first body line to the terminator line (inclusive)
    body_start_line: int
    fd: int = 0  # ``3<<EOF`` feeds file descriptor 3
    word_span: Span | None = None  # the ``<<EOF`` word on the instruction line


@frozen
class Comment:
    """A whole-line comment (pragmas and fixture markers are comments)."""

    text: str  # without the leading ``#`` and surrounding whitespace
    span: Span


@frozen
class Flag:
    """An instruction flag such as ``--from=builder`` with its own span."""

    name: str
    value: str | None
    span: Span


@frozen
class Arg:
    """One argument token of an instruction, with its span in the source."""

    text: str
    span: Span


@frozen
class ImageRef:
    """The base image of a FROM, as written and classified after ARG resolution.

    ``reference`` is the parsed image reference (:class:`~pylint_image.linter.reference.Reference`,
    the one parser); it is None for ``scratch``, a stage alias, text with unresolved
    variables, or text that is no valid reference (``FROM Ubuntu``).
    """

    raw: str  # as written, before variable resolution
    resolved: str  # after ARG resolution (equal to raw when nothing to resolve)
    reference: Reference | None
    is_scratch: bool
    is_stage_alias: bool
    has_variables: bool  # something remained unresolved after ARG resolution
    span: Span | None = None  # the image word in the FROM line

    def _parts(self) -> tuple[str | None, str, str | None, str | None]:
        if self.reference is not None:
            ref = self.reference
            return ref.domain, ref.path, ref.tag, ref.digest
        if self.is_scratch or self.is_stage_alias or not self.resolved:
            return None, "", None, None
        # Partly known (``python:${V}``): what the text says, unvalidated, for heuristics.
        return split_reference(self.resolved)

    @property
    def registry(self) -> str | None:
        """The registry domain (``docker.io`` for Docker Hub); None for scratch or a stage alias."""
        return self._parts()[0]

    @property
    def repository(self) -> str:
        """The path within the registry (``library/python`` for ``python``); "" for scratch."""
        return self._parts()[1]

    @property
    def tag(self) -> str | None:
        """The tag, or None."""
        return self._parts()[2]

    @property
    def digest(self) -> str | None:
        """The digest, or None."""
        return self._parts()[3]

    @property
    def is_docker_hub(self) -> bool:
        """True when the image lives on Docker Hub."""
        return self.reference is not None and self.reference.is_docker_hub

    @property
    def is_official(self) -> bool:
        """True for a Docker Official Image (:func:`pylint_image.linter.reference.is_official`)."""
        return self.reference is not None and self.reference.is_official


@frozen
class Instruction:
    """One Dockerfile instruction with spans for the keyword and each argument."""

    keyword: str  # upper-cased
    raw: str  # the source text of the instruction lines (continuations and heredocs included)
    value: str  # arguments with continuation lines joined (heredoc bodies excluded)
    span: Span
    keyword_span: Span
    keyword_as_written: str
    flags: tuple[Flag, ...] = ()
    form: Form = "none"
    args: tuple[Arg, ...] = ()  # exec form: the JSON array items; otherwise whitespace tokens
    heredocs: tuple[Heredoc, ...] = ()
    stage_index: int | None = None  # None for global ARGs before the first FROM
    onbuild: Instruction | None = None  # the trigger instruction of ONBUILD
    index: int = 0  # position among all instructions of the file
    shell: ShellScript | None = None  # parsed once for shell-form RUN (and RUN heredoc scripts)
    rest: str | None = None  # the text after the flags, as BuildKit splits it
    heredoc_shells: tuple[ShellScript | None, ...] = ()  # one per heredoc, for RUN heredoc bodies

    def flag(self, name: str) -> str | None:
        """Return the value of flag ``--name`` (last wins), or None when absent."""
        value = None
        for f in self.flags:
            if f.name == name:
                value = f.value if f.value is not None else ""
        return value

    def has_flag(self, name: str) -> bool:
        """True when flag ``--name`` is present."""
        return any(f.name == name for f in self.flags)

    @property
    def arg_text(self) -> str:
        """The argument text after the flags (shell command, JSON array, or key/value list)."""
        return self.value_after_flags

    @property
    def value_after_flags(self) -> str:
        """``value`` with leading ``--flag`` tokens removed."""
        if self.rest is not None:
            return self.rest
        rest = self.value.lstrip()
        for _ in self.flags:
            parts = rest.split(None, 1)
            rest = parts[1].lstrip() if len(parts) > 1 else ""
        return rest

    def scripts(self) -> tuple[ShellScript, ...]:
        """The parsed shell scripts this RUN executes: its shell form and its shell heredocs."""
        found = [self.shell] if self.shell is not None else []
        found.extend(s for s in self.heredoc_shells if s is not None)
        return tuple(found)

    @property
    def line(self) -> int:
        """The first line of the instruction."""
        return self.span.start_line


@frozen
class Stage:
    """A build stage: the FROM instruction and everything up to the next FROM."""

    index: int
    name: str | None  # the ``AS name``, as written
    base: ImageRef
    platform: str | None
    from_instruction: Instruction
    instructions: tuple[Instruction, ...]  # including the FROM
    span: Span


@frozen
class Dockerfile:
    """A parsed Dockerfile: directives, global ARGs, stages and comments."""

    path: Path
    text: str
    directives: Directives
    global_args: tuple[Instruction, ...]
    stages: tuple[Stage, ...]
    comments: tuple[Comment, ...]
    lines: tuple[str, ...]  # the file split into lines, without line terminators
    build_args: Mapping[str, str] = field(default_factory=dict)  # --build-arg overrides

    def instructions(self) -> Iterator[Instruction]:
        """Yield every instruction in file order (global ARGs first)."""
        yield from self.global_args
        for stage in self.stages:
            yield from stage.instructions

    @property
    def final_stage(self) -> Stage | None:
        """The last stage (the one ``docker build`` without ``--target`` produces)."""
        return self.stages[-1] if self.stages else None

    def stage(self, name_or_index: str | int) -> Stage | None:
        """Find a stage by name (case-insensitive, as BuildKit does) or by index."""
        for s in self.stages:
            if isinstance(name_or_index, int) and s.index == name_or_index:
                return s
            if isinstance(name_or_index, str) and s.name and s.name.lower() == name_or_index.lower():
                return s
        return None

    def line(self, n: int) -> str:
        """Return line ``n`` (1-based) of the source, or '' when out of range."""
        return self.lines[n - 1] if 1 <= n <= len(self.lines) else ""
