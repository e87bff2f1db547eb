"""## What it does
Flags an image whose argv[0] exists but has no execute permission bit (or is not a
regular file, e.g. a directory), as checked on the image's files before starting it.

## Why is this bad?
`execve` fails with "permission denied" and the container never starts: the usual cause
is a script copied from a checkout without `chmod +x`.  Severity ERROR.

## Example
```dockerfile
FROM busybox
COPY start.sh /start.sh
CMD ["/start.sh"]
```

## Use instead
```dockerfile
FROM busybox
COPY --chmod=0755 start.sh /start.sh
CMD ["/start.sh"]
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pylint_image.linter import Context, Needs, RuleMeta, RuntimeLocation, Severity, Target, Violation, rule

if TYPE_CHECKING:
    from pylint_image.linter import RuntimeRun


def check(run: RuntimeRun, ctx: Context) -> Iterator[Violation]:
    """Yield a violation when argv[0] is not executable."""
    problem = run.entrypoint
    if problem is None or problem.kind != "not-executable":
        return
    yield Violation(RuntimeLocation(run.image, "entrypoint", run.source("entrypoint")),
                    f"the entrypoint cannot start: {problem.detail}")


RULE = rule(
    meta=RuleMeta(
        code="RT3004", name="entrypoint-not-executable", severity=Severity.ERROR, target=Target.RUNTIME,
        summary="The ENTRYPOINT/CMD file is not executable",
        fix_title="COPY --chmod=0755 (or RUN chmod +x) the entrypoint", needs=Needs(probes=("entrypoint",)),
    ),
    check=check,
)
