"""## What it does
Flags a `RUN` that changes directory with `cd` (anywhere in its script, heredoc bodies
included) instead of setting the working directory with `WORKDIR`.

## Why is this bad?
`cd` lasts only for that one `RUN`: later instructions are back in the previous directory,
which is easy to forget, and a long `cd a && ... && cd b && ...` chain is hard to read.
`WORKDIR` states the directory once and creates it if needed.  Severity WARNING: a common
source of commands running in the wrong directory.

## Example
```dockerfile
FROM debian:12
RUN cd /usr/src/app && make install
```

## Use instead
```dockerfile
FROM debian:12
WORKDIR /usr/src/app
RUN make install
```
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared.shell import commands_of, locate, run_instructions


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per RUN that runs ``cd``."""
    for instruction, run in run_instructions(dockerfile):
        for script, command in commands_of(run):
            if command.name == "cd":
                yield Violation(locate(instruction, run, script, command),
                                "'cd' only lasts for this RUN: use WORKDIR to change directory")
                break


RULE = rule(
    meta=RuleMeta(
        code="DF2006", name="cd-in-run", severity=Severity.WARNING, target=Target.DOCKERFILE,
        summary="A RUN changes directory with cd instead of WORKDIR",
        fix_title="Use WORKDIR to change directory",
        tags=frozenset({"style", "maintainability"}), aliases=("DL3003", "DS013"),
    ),
    check=check,
)
