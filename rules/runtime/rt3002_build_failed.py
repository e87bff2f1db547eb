"""## What it does
Reports that the image could not be built, at the instruction whose step failed (read
from the builder's log: BuildKit, the legacy builder, podman or buildah), with that
step's last output lines and the builder's error; the builder's banners (such as the
legacy builder's deprecation notice) and progress lines are left out.  Nothing can be
verified without an image.

## Why is this bad?
A Dockerfile that does not build is broken for everyone who uses it.  Severity ERROR.

## Example
```dockerfile
FROM busybox
RUN wget -q https://example.invalid/app -O /app
```

## Use instead
```dockerfile
FROM busybox
COPY app /app
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pylint_image.linter import (Context, RuleMeta, RuntimeLocation, Severity, SourceLocation, Span,
                                 Target, Violation, rule)

if TYPE_CHECKING:
    from pylint_image.linter import RuntimeRun

MAX_LINES = 16   # of the build log excerpt in the message


def check(run: RuntimeRun, ctx: Context) -> Iterator[Violation]:
    """Yield a violation when the build failed."""
    failure = run.build
    if failure is None:
        return
    source = run.source()
    if failure.line is not None and ctx.dockerfile is not None:
        line = failure.line
        source = SourceLocation(ctx.dockerfile.path, Span(line, 1, line, len(ctx.dockerfile.line(line)) + 1))
    # The runner keeps the failing step, its last output lines and the builder's error (no
    # banners, no progress noise); a longer log from elsewhere is cut to its end.
    lines = [line.rstrip() for line in failure.log_tail.strip().splitlines() if line.strip()]
    tail = "\n".join(lines if len(lines) <= MAX_LINES else lines[:1] + ["..."] + lines[-(MAX_LINES - 2):])
    yield Violation(RuntimeLocation(run.image, "build", source),
                    f"the image build failed: {failure.message}" + (f"\n{tail}" if tail else ""))


RULE = rule(
    meta=RuleMeta(
        code="RT3002", name="build-failed", severity=Severity.ERROR, target=Target.RUNTIME,
        summary="The image does not build", fix_title="Fix the failing instruction",
    ),
    check=check,
)
