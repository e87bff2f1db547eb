"""## What it does
Flags `COPY --from=<stage or image> / /`: copying the whole filesystem of another stage
or image over the root of this one.

## Why is this bad?
The copy drags along everything the other stage contains (package databases, caches,
`/etc/passwd`, device nodes) and silently overwrites this stage's own files, so the
result depends on both bases in ways no one reviews.  Copy the directories you need, or
build `FROM` that stage.  Severity WARNING: the build works but the image is unpredictable.

Not flagged when nothing can be overwritten: the copy is the first change to an empty
filesystem (`FROM scratch`, or a stage built on one that added nothing), the usual way
to flatten or export a stage's result.

## Example
```dockerfile
FROM golang:1.23 AS build
RUN go build -o /out/app ./...
FROM alpine:3.20
COPY --from=build / /
```

## Use instead
```dockerfile
FROM golang:1.23 AS build
RUN go build -o /out/app ./...
FROM alpine:3.20
COPY --from=build /out/app /usr/local/bin/app
```
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, Instruction, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared.copying import operands, unquote
from pylint_image.rules._shared.images import stage_chain

# Instructions that put files into the image; WORKDIR's empty directory cannot be overwritten.
_CHANGES = frozenset({"COPY", "ADD", "RUN"})


def _onto_empty(dockerfile: Dockerfile, copy: Instruction) -> bool:
    """True when ``copy`` is the first file change on top of ``scratch`` (via stage aliases too)."""
    stage = dockerfile.stage(copy.stage_index) if copy.stage_index is not None else None
    if stage is None:
        return False
    chain = list(stage_chain(dockerfile, stage))
    if not chain[-1].base.is_scratch:
        return False
    return not any(i.keyword in _CHANGES and i.index < copy.index for s in chain for i in s.instructions)


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per COPY --from that copies / onto /."""
    for instruction in dockerfile.instructions():
        if instruction.keyword != "COPY" or not instruction.has_flag("from"):
            continue
        sources, dest = operands(instruction)
        if dest is None or unquote(dest.text) != "/" or not any(unquote(s.text) == "/" for s in sources):
            continue
        if not _onto_empty(dockerfile, instruction):
            yield Violation(instruction.keyword_span,
                            f"COPY --from={instruction.flag('from')} / / copies another filesystem "
                            "over this one: copy only the paths you need")


RULE = rule(
    meta=RuleMeta(
        code="DF4004", name="copy-entire-stage-filesystem", severity=Severity.WARNING,
        target=Target.DOCKERFILE, summary="COPY --from copies a whole filesystem onto /",
        fix_title="Copy only the paths you need", tags=frozenset({"best-practice"}), aliases=("DL3067",),
    ),
    check=check,
)
