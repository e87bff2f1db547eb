"""## What it does
Flags a stage that downloads with both `curl` and `wget`: the `RUN` that brings in the
second tool is reported.  Each stage is judged on its own, since a builder's tools do not
reach the final image.

## Why is this bad?
Two tools that do the same job mean two packages to install, patch and audit, and two
sets of flags (TLS, retries, redirects) to get right.  Severity INFO: a size and
consistency matter.

## Example
```dockerfile
FROM debian:12
RUN curl -fsSLO https://example.com/a.tgz
RUN wget -q https://example.com/b.tgz
```

## Use instead
```dockerfile
FROM debian:12
RUN curl -fsSLO https://example.com/a.tgz
RUN curl -fsSLO https://example.com/b.tgz
```
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared.shell import commands_of, locate, program

_TOOLS = ("curl", "wget")


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per RUN that uses curl or wget once the stage has used both."""
    for stage in dockerfile.stages:
        seen: set[str] = set()
        for instruction in stage.instructions:
            run = instruction.onbuild if instruction.keyword == "ONBUILD" else instruction
            if run is None or run.keyword != "RUN":
                continue
            here = [(s, c, name) for s, c in commands_of(run) if (name := program(c)[1]) in _TOOLS]
            seen.update(tool for _, _, tool in here)
            if len(seen) == 2 and here:
                script, command, tool = here[-1]
                yield Violation(locate(instruction, run, script, command),
                                f"this stage uses both curl and wget ({tool} here): pick one")


RULE = rule(
    meta=RuleMeta(
        code="DF2015", name="curl-and-wget", severity=Severity.INFO, target=Target.DOCKERFILE,
        summary="A stage uses both curl and wget", fix_title="Use only one of curl and wget",
        tags=frozenset({"image-size", "maintainability"}), aliases=("DL4001", "DS014"),
    ),
    check=check,
)
