"""## What it does
Flags a `RUN` that directly follows another `RUN` (comments in between do not separate
them) when each runs a single command and have the same flags
(`--mount`, `--network`, `--security`).  `RUN`s with several commands, or ones with different flags, are
taken as a deliberate split: each layer is then a cache unit of its own.

## Why is this bad?
Each `RUN` makes a layer; a chain of tiny `RUN`s adds layers and metadata without giving
useful cache boundaries, and files deleted in a later layer still ship in the earlier one.
Severity INFO: a size and readability matter, never a broken build.

## Example
```dockerfile
FROM debian:12
RUN mkdir -p /app
RUN chown nobody /app
```

## Use instead
```dockerfile
FROM debian:12
RUN mkdir -p /app && chown nobody /app
```
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, Instruction, RuleMeta, Severity, Target, Violation, rule

# A RUN with more commands is taken as a deliberate cache split.  (hadolint's threshold reads
# "more than 2" but its ShellCheck walk counts each simple command twice: the same cut-off.)
_MAX_COMMANDS = 1


def _size(instruction: Instruction) -> int:
    """Commands that run a program (bare assignments are not commands)."""
    scripts = instruction.scripts()
    if instruction.form == "exec" or any(s.errors for s in scripts):
        return 1  # no shell, or not sh syntax (PowerShell, cmd): one opaque command
    # ``[``/``[[`` tests are conditions, not commands (ShellCheck's view, which hadolint counts)
    return sum(1 for s in scripts for c in s.commands() if c.argv and c.name not in ("[", "[["))


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per single-command RUN that follows another with the same flags."""
    previous: tuple[frozenset, int] | None = None
    for instruction in dockerfile.instructions():
        if instruction.keyword != "RUN":
            previous = None  # any other instruction (FROM included) separates RUNs
            continue
        flags = frozenset((f.name, f.value) for f in instruction.flags)
        size = _size(instruction)
        if previous is not None and previous[0] == flags and size <= _MAX_COMMANDS and previous[1] <= _MAX_COMMANDS:
            yield Violation(instruction.keyword_span,
                            "consecutive single-command RUN instructions: join them with && into one layer")
            continue  # like hadolint, the earlier RUN stays the reference for the next one
        previous = (flags, size)


RULE = rule(
    meta=RuleMeta(
        code="DF2005", name="consecutive-run-instructions", severity=Severity.INFO, target=Target.DOCKERFILE,
        summary="Single-command RUN instructions follow each other instead of being joined",
        fix_title="Join the commands into one RUN with &&",
        tags=frozenset({"image-size", "style"}), aliases=("DL3059",),
    ),
    check=check,
)
