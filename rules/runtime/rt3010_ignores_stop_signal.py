"""## What it does
Sends the image's `STOPSIGNAL` (default SIGTERM) to the container's PID 1, as `docker
stop` does, and flags the image when PID 1 is still running after the grace period
(default 10 s, `--grace`).  The message names the likely cause.

## Why is this bad?
PID 1 of a PID namespace gets no default signal actions: without a handler, SIGTERM is
ignored.  Then every stop waits the full grace period and ends in SIGKILL, with no
clean shutdown (lost writes, dropped connections).  A shell-form CMD makes `/bin/sh`
PID 1, and it neither handles nor forwards the signal.  Severity WARNING.

## Example
```dockerfile
FROM busybox
CMD sleep 3600
```

## Use instead
```dockerfile
FROM busybox
RUN apk add --no-cache tini
ENTRYPOINT ["/sbin/tini", "--"]
CMD ["sleep", "3600"]
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pylint_image.linter import Context, Needs, RuleMeta, RuntimeLocation, Severity, Target, Violation, rule

if TYPE_CHECKING:
    from pylint_image.linter import RuntimeRun


def check(run: RuntimeRun, ctx: Context) -> Iterator[Violation]:
    """Yield a violation when PID 1 outlived the grace period."""
    stop = run.stop
    if stop is None or stop.exited:
        return
    pid1 = f" ({stop.pid1_command})" if stop.pid1_command else ""
    if stop.shell_form:
        cause = ("the shell-form command makes a shell PID 1, which does not forward it: "
                 "use the exec form (JSON array)")
    else:
        cause = ("PID 1 installs no handler for it, and PID 1 gets no default action: handle the "
                 "signal, run an init such as tini (docker run --init), or set STOPSIGNAL")
    yield Violation(RuntimeLocation(run.image, "stop", run.source("stopsignal", "entrypoint")),
                    f"PID 1{pid1} ignored {stop.signal_name} for {stop.grace:g} s and would be "
                    f"SIGKILLed by docker stop: {cause}")


RULE = rule(
    meta=RuleMeta(
        code="RT3010", name="ignores-stop-signal", severity=Severity.WARNING, target=Target.RUNTIME,
        summary="PID 1 does not exit on the stop signal within the grace period",
        fix_title="Use exec form, an init (tini), or handle the stop signal", needs=Needs(probes=("stop",)),
    ),
    check=check,
)
