"""## What it does
Flags commands that make no sense in an image build: interactive or system-management
programs (`ssh`, `vim`, `shutdown`, `service`, `ps`, `free`, `top`, `kill`, `mount`,
`ifconfig`).  A `RUN` step has no terminal, no init system and no long-lived processes.

## Why is this bad?
These commands either need a person (`vim`, `top`), act on processes that do not survive
the step (`service x start`, `kill`), or change the build host's view of the system
(`mount`, `shutdown`).  Their effect is lost or surprising; the intent belongs in `CMD`, an
entrypoint script or the orchestrator.  Severity INFO: usually dead code, rarely harmful.

## Example
```dockerfile
FROM debian:12
RUN service nginx start
```

## Use instead
```dockerfile
FROM debian:12
CMD ["nginx", "-g", "daemon off;"]
```
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared.shell import commands_of, locate, program, run_instructions

_POINTLESS = frozenset({"ssh", "vim", "shutdown", "service", "ps", "free", "top", "kill", "mount", "ifconfig"})


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per RUN that runs an interactive or system-management command."""
    for instruction, run in run_instructions(dockerfile):
        for script, command in commands_of(run):
            name = program(command)[1]
            if name in _POINTLESS:
                yield Violation(locate(instruction, run, script, command),
                                f"'{name}' has no useful effect in a build step (no terminal, init or lasting process)")
                break


RULE = rule(
    meta=RuleMeta(
        code="DF2016", name="interactive-command-in-run", severity=Severity.INFO, target=Target.DOCKERFILE,
        summary="A RUN calls an interactive or system-management command",
        fix_title="Move the intent to CMD or an entrypoint script", tags=frozenset({"maintainability"}),
        aliases=("DL3001",),
    ),
    check=check,
)
