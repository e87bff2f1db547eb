"""## What it does
Flags a `COPY` or `ADD` of a build-context path that the context's `.dockerignore`
excludes (`<Dockerfile>.dockerignore` next to the Dockerfile first, then `.dockerignore`,
as BuildKit reads them; the context is assumed to be the Dockerfile's directory).  No
ignore file, or one that cannot be read, gives no finding.  `COPY --from`, URLs,
heredocs, wildcards and the whole context (`.`) are not judged.

Preview, as the BuildKit check is experimental.  This rule reads the ignore file from
disk, once per linted Dockerfile.

## Why is this bad?
An excluded path is not sent to the builder: the `COPY` fails with "not found", or (for
a directory) silently copies less than written.  Severity ERROR: the build breaks or
the image misses files.

## Example
```dockerignore
.env
```

```dockerfile
FROM alpine:3.20
COPY .env /app/.env
```

## Use instead
```dockerfile
FROM alpine:3.20
RUN --mount=type=secret,id=env,target=/app/.env ./configure
```

## References
- https://docs.docker.com/reference/build-checks/copy-ignored-file/
- https://docs.docker.com/build/concepts/context/#dockerignore-files
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Status, Target, Violation, rule
from pylint_image.rules._shared.buildkit import skipped
from pylint_image.rules._shared.dockerignore import ignored_sources


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per excluded source of a COPY/ADD."""
    if skipped(dockerfile, "CopyIgnoredFile"):
        return
    for instruction, source in ignored_sources(dockerfile):
        verb = instruction.keyword.capitalize()
        yield Violation(instruction.keyword_span,
                        f"Attempting to {verb} file '{source}' that is excluded by .dockerignore")


RULE = rule(
    meta=RuleMeta(
        code="DF4008", name="copy-ignored-file", severity=Severity.ERROR, target=Target.DOCKERFILE,
        summary="COPY/ADD of a path the .dockerignore excludes",
        fix_title="Stop excluding the path, or do not copy it", tags=frozenset({"correctness"}),
        status=Status.PREVIEW, aliases=("CopyIgnoredFile",),
    ),
    check=check,
)
