"""## What it does
Flags an image whose argv[0] (from `ENTRYPOINT`, else `CMD`) does not exist in the image:
a bare name is looked up through the image's own `PATH`, a relative path from `WORKDIR`,
symlinks are followed inside the image.  Also flags an image with neither.

## Why is this bad?
The container cannot start; Docker only says `exec: "app": executable file not found in
$PATH` or `no such file or directory`.  Severity ERROR.

## Example
```dockerfile
FROM busybox
COPY server /usr/local/bin/
CMD ["/app/server"]
```

## Use instead
```dockerfile
FROM busybox
COPY server /usr/local/bin/
CMD ["server"]
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pylint_image.linter import Context, Needs, RuleMeta, RuntimeLocation, Severity, Target, Violation, rule

if TYPE_CHECKING:
    from pylint_image.linter import RuntimeRun


def check(run: RuntimeRun, ctx: Context) -> Iterator[Violation]:
    """Yield a violation when argv[0] is missing."""
    problem = run.entrypoint
    if problem is None or problem.kind != "not-found":
        return
    yield Violation(RuntimeLocation(run.image, "entrypoint", run.source("entrypoint")),
                    f"the entrypoint cannot start: {problem.detail}")


RULE = rule(
    meta=RuleMeta(
        code="RT3003", name="entrypoint-not-found", severity=Severity.ERROR, target=Target.RUNTIME,
        summary="The ENTRYPOINT/CMD executable does not exist in the image",
        fix_title="Point ENTRYPOINT/CMD at a file the image contains", needs=Needs(probes=("entrypoint",)),
    ),
    check=check,
)
