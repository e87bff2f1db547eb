"""## What it does
Flags `ln` that (re)points `/bin/sh` (`ln -sf /bin/bash /bin/sh`) to change the shell
`RUN` uses.

## Why is this bad?
Replacing `/bin/sh` changes the shell of every script and package hook in the image, not
only your `RUN` steps, and it is invisible in the image config.  The `SHELL` instruction
changes the build shell explicitly and only for the build.  Severity WARNING: a hidden,
image-wide behaviour change.

## Example
```dockerfile
FROM debian:12
RUN ln -sf /bin/bash /bin/sh
```

## Use instead
```dockerfile
FROM debian:12
SHELL ["/bin/bash", "-c"]
```
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared.shell import commands_of, locate, positional, program_args, run_instructions


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per ``ln`` whose target is /bin/sh."""
    for instruction, run in run_instructions(dockerfile):
        for script, command in commands_of(run):
            name, args = program_args(command)
            operands = positional(args)
            # ``ln SRC DEST``: only the last operand is created; /bin/sh as a source is harmless
            if name == "ln" and len(operands) >= 2 and operands[-1] in ("/bin/sh", "/usr/bin/sh"):
                yield Violation(locate(instruction, run, script, command),
                                "replacing /bin/sh changes every script in the image: use SHELL for the build shell")


RULE = rule(
    meta=RuleMeta(
        code="DF2017", name="bin-sh-replaced-with-ln", severity=Severity.WARNING, target=Target.DOCKERFILE,
        summary="A RUN re-links /bin/sh instead of using SHELL", fix_title="Use the SHELL instruction",
        tags=frozenset({"shell"}), aliases=("DL4005",),
    ),
    check=check,
)
