"""## What it does
Flags an image whose container hit the sandbox's resource limits while it ran: a
process killed by the memory limit (cgroup OOM kill; default 512 MiB, `--memory`), or a
fork refused by the pids limit (default 512, `--pids`).

## Why is this bad?
The same happens in production under a memory or pids limit, usually as an unexplained
restart loop: an unbounded cache, a leak, or a fork loop.  Severity WARNING: the limits
are the verifier's defaults, not necessarily the deployment's.

## Example
```dockerfile
FROM busybox
CMD ["sh", "-c", "dd if=/dev/zero of=/dev/null bs=1G count=1"]
```

## Use instead
```dockerfile
FROM busybox
CMD ["sh", "-c", "dd if=/dev/zero of=/dev/null bs=1M count=1024"]
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pylint_image.linter import Context, Needs, RuleMeta, RuntimeLocation, Severity, Target, Violation, rule

if TYPE_CHECKING:
    from pylint_image.linter import RuntimeRun

_MIB = 1024 * 1024


def check(run: RuntimeRun, ctx: Context) -> Iterator[Violation]:
    """Yield a violation per limit that was hit."""
    res = run.resources
    if res is None:
        return
    where = RuntimeLocation(run.image, "resources", run.source("entrypoint"))
    if res.oom_kills:
        limit = f"{res.memory_limit // _MIB} MiB" if res.memory_limit else "the memory limit"
        yield Violation(where, f"{res.oom_kills} process(es) killed by the memory limit ({limit})")
    if res.pids_limit_hits:
        yield Violation(where, f"{res.pids_limit_hits} fork(s) refused by the pids limit ({res.pids_limit})")


RULE = rule(
    meta=RuleMeta(
        code="RT3012", name="resource-limit-hit", severity=Severity.WARNING, target=Target.RUNTIME,
        summary="The container hit the memory (OOM) or pids limit",
        fix_title="Bound the memory use or the number of processes", needs=Needs(probes=("resources",)),
    ),
    check=check,
)
