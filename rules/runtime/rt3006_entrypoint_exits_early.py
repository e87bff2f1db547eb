"""## What it does
Starts the image's real ENTRYPOINT/CMD in the sandbox and flags it when a service image
(one with `EXPOSE` or `HEALTHCHECK`) exits during the start window, or when any image
exits with a non-zero code or a signal.  The message has the exit code or signal and the
last lines of stderr.  A one-shot image without `EXPOSE` that exits 0 is fine.  An exit
after the memory or pids limit was hit is left to `resource-limit-hit`, which names the
cause.

## Why is this bad?
A service that exits at once restarts in a loop or is never ready; a tool that fails on
its default arguments fails for every user.  Severity ERROR.

## Example
```dockerfile
FROM busybox
EXPOSE 8080
CMD ["httpd", "-p", "8080"]
```

## Use instead
```dockerfile
FROM busybox
EXPOSE 8080
CMD ["httpd", "-f", "-p", "8080"]
```
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from typing import TYPE_CHECKING

from pylint_image.linter import Context, Needs, RuleMeta, RuntimeLocation, Severity, Target, Violation, rule

if TYPE_CHECKING:
    from pylint_image.linter import Observation, RuntimeRun


def _how(start: Observation) -> str:
    if start.exit_code is not None:
        return f"exited with code {start.exit_code}"
    try:
        return f"was killed by {signal.Signals(start.signal or 0).name}"
    except ValueError:
        return f"was killed by signal {start.signal}"


def check(run: RuntimeRun, ctx: Context) -> Iterator[Violation]:
    """Yield a violation for an early exit of a service, or any failing exit."""
    start = run.start
    if start is None or not start.exited:
        return
    res = run.resources
    if res is not None and (res.oom_kills or res.pids_limit_hits):
        return   # a limit killed it or broke it: resource-limit-hit says so more precisely
    if start.exit_code == 0 and not run.service:
        return   # a one-shot command that succeeded
    why = "although the image is a service (EXPOSE/HEALTHCHECK)" if run.service else ""
    tail = "\n".join((start.setup_error or start.stderr_tail).strip().splitlines()[-5:])
    window = start.start_window_s or run.start_window or 0
    message = f"the entrypoint {_how(start)} within the {window:g} s start window {why}".rstrip()
    yield Violation(RuntimeLocation(run.image, "start", run.source("entrypoint")),
                    message + (f"; stderr:\n{tail}" if tail else ""))


RULE = rule(
    meta=RuleMeta(
        code="RT3006", name="entrypoint-exits-early", severity=Severity.ERROR, target=Target.RUNTIME,
        summary="The entrypoint exits during the start window or fails",
        fix_title="Run the service in the foreground and fix the error on stderr",
        needs=Needs(probes=("start",)),
    ),
    check=check,
)
