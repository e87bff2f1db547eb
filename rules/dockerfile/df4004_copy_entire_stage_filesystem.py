"""## What it does
Flags `COPY --from=<stage or image> / /`: copying the whole filesystem of another stage
or image over the root of this one.

## Why is this bad?
The copy drags along everything the other stage contains (package databases, caches,
`/etc/passwd`, device nodes) and silently overwrites this stage's own files, so the
result depends on both bases in ways no one reviews.  Copy the directories you need, or
build `FROM` that stage.  Severity WARNING: the build works but the image is unpredictable.

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

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared.copying import operands, unquote


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per COPY --from that copies / onto /."""
    for instruction in dockerfile.instructions():
        if instruction.keyword != "COPY" or not instruction.has_flag("from"):
            continue
        sources, dest = operands(instruction)
        if dest is not None and unquote(dest.text) == "/" and any(unquote(s.text) == "/" for s in sources):
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
