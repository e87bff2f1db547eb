"""## What it does
Starts the image and watches its network namespace (`/proc/<pid>/net/tcp`, `tcp6`, `udp`,
`udp6`, read from inside the sandbox): flags each `EXPOSE`d port/protocol on which nothing
listens by the end of the start window.  A TCP port must also accept a connection made
from inside the namespace.  A live process is starting, not failing: it gets the
HEALTHCHECK's `--start-period`, else 30 s, to open its ports (`--start-window` overrides).

## Why is this bad?
`EXPOSE` documents where the service answers; a published port with nothing behind it
gives "connection refused" and a dead load-balancer target.  Usually the service uses
another port, or the UDP/TCP protocol differs.  Severity ERROR.

## Example
```dockerfile
FROM busybox
EXPOSE 8080
CMD ["httpd", "-f", "-p", "80"]
```

## Use instead
```dockerfile
FROM busybox
EXPOSE 8080
CMD ["httpd", "-f", "-p", "8080"]
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pylint_image.linter import Context, Needs, RuleMeta, RuntimeLocation, Severity, Target, Violation, rule

if TYPE_CHECKING:
    from pylint_image.linter import RuntimeRun


def _window(run: RuntimeRun) -> str:
    """The start window that applied: ``30 s`` (and what set it, when not the default)."""
    start = run.start
    if start is None or not start.start_window_s:
        return f"{run.start_window or 0:g} s"
    source = start.start_window_from
    return f"{start.start_window_s:g} s" + (f" ({source})" if source and source != "default" else "")


def check(run: RuntimeRun, ctx: Context) -> Iterator[Violation]:
    """Yield a violation per declared port without a (reachable) listener."""
    for port in run.ports or ():
        if not port.declared:
            continue
        where = RuntimeLocation(run.image, "ports", run.source(f"expose:{port.label}"))
        if not port.listening:
            others = [p.label for p in run.ports or () if p.listening and not p.declared]
            hint = f" (it listens on {', '.join(others)})" if others else ""
            yield Violation(where, f"nothing listens on EXPOSEd port {port.label} within the "
                                   f"{_window(run)} start window{hint}")
        elif port.reachable is False:
            yield Violation(where, f"port {port.label} is in LISTEN state but refuses connections")


RULE = rule(
    meta=RuleMeta(
        code="RT3007", name="exposed-port-not-listening", severity=Severity.ERROR, target=Target.RUNTIME,
        summary="Nothing listens on an EXPOSEd port",
        fix_title="EXPOSE the port the service really uses (or configure the service)",
        needs=Needs(probes=("ports",)),
    ),
    check=check,
)
