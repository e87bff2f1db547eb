"""## What it does
Flags an entrypoint the kernel cannot load although the file exists and is executable:
a script whose `#!` interpreter is missing (or has a CRLF line ending), a dynamically
linked ELF whose program interpreter (PT_INTERP, e.g. `/lib64/ld-linux-x86-64.so.2`) the
image lacks, an ELF built for another CPU architecture, or a file that is neither.

## Why is this bad?
Docker reports all of these as `exec /app: no such file or directory` (or `exec format
error`), which sends people looking for the wrong file.  Severity ERROR: it never starts.

## Example
```dockerfile
FROM scratch
COPY server-built-with-glibc /server
CMD ["/server"]
```

## Use instead
```dockerfile
FROM scratch
COPY server-built-with-gcc-static /server
CMD ["/server"]
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pylint_image.linter import Context, Needs, RuleMeta, RuntimeLocation, Severity, Target, Violation, rule

if TYPE_CHECKING:
    from pylint_image.linter import RuntimeRun


def check(run: RuntimeRun, ctx: Context) -> Iterator[Violation]:
    """Yield a violation when argv[0]'s interpreter, loader or architecture is wrong."""
    problem = run.entrypoint
    if problem is None or problem.kind != "interpreter-missing":
        return
    yield Violation(RuntimeLocation(run.image, "entrypoint", run.source("entrypoint")),
                    f"the entrypoint cannot start: {problem.detail}")


RULE = rule(
    meta=RuleMeta(
        code="RT3005", name="entrypoint-interpreter-missing", severity=Severity.ERROR, target=Target.RUNTIME,
        summary="The entrypoint's interpreter or ELF loader is missing, or it is built for another CPU",
        fix_title="Install the interpreter, link statically, or build for this platform",
        needs=Needs(probes=("entrypoint",)),
    ),
    check=check,
)
