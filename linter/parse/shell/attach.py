"""Parses RUN heredoc bodies that a shell runs, so rules see them as scripts, not text."""

from __future__ import annotations

from dataclasses import replace

from ...model.dockerfile import Heredoc, Instruction
from .ast import Command, ShellScript
from .parser import parse_shell

SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh", "mksh", "busybox"})


def attach_heredoc_shells(ins: Instruction) -> Instruction:
    """Return ``ins`` with ``heredoc_shells`` filled for a RUN whose heredocs feed a shell."""
    if ins.keyword != "RUN" or not ins.heredocs:
        return ins
    scripts = tuple(_script_for(ins, doc) for doc in ins.heredocs)
    return replace(ins, heredoc_shells=scripts)


def _script_for(ins: Instruction, doc: Heredoc) -> ShellScript | None:
    consumer = _consumer(ins.shell, doc.name) if ins.shell else None
    if ins.shell is not None and consumer is None and any(c.argv for c in ins.shell.commands()):
        # the heredoc word was not a redirect we recognised; only a bare ``RUN <<EOF`` is a script
        return None
    if not interpreter_is_shell(consumer, doc.body):
        return None
    body = doc.body
    anchors = []
    offset = 0
    for k, line in enumerate(body.split("\n")):
        anchors.append((offset, doc.body_start_line + k, 1))
        offset += len(line) + 1
    return parse_shell(body, tuple(anchors))


def _consumer(script: ShellScript, name: str) -> Command | None:
    """The command whose ``<<NAME`` redirect reads heredoc ``name``."""
    for c in script.commands():
        for r in c.redirects:
            if r.op.lstrip("0123456789").startswith("<<") and r.target is not None and r.target.text == name:
                return c
    return None


def interpreter_is_shell(command: Command | None, body: str) -> bool:
    """True when a heredoc body is run by a shell (bare ``RUN <<EOF`` or ``sh``/``bash <<EOF``)."""
    if command is None or not command.argv:
        if body.startswith("#!"):
            first = body.split("\n", 1)[0][2:].strip().split()
            prog = first[0].rsplit("/", 1)[-1] if first else ""
            if prog == "env" and len(first) > 1:
                prog = first[1]
            return prog in SHELLS
        return True
    return command.argv[0].text.rsplit("/", 1)[-1] in SHELLS
