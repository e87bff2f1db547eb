"""## What it does
Flags an `EXPOSE` entry that is not `PORT[/PROTOCOL]` or `START-END[/PROTOCOL]` with ports
in 0-65535 and protocol `tcp`, `udp` or `sctp` (any case): e.g. `80000`, `http`, `80/tpc`,
`9000-8000`, or a publish mapping such as `8080:80` or `0.0.0.0:80:80`.  Variables are
resolved from ARG/ENV; an entry that still holds an unresolved variable is skipped.

## Why is this bad?
Docker fails the build on a malformed port or protocol, and for a host mapping BuildKit
warns and drops the host part: the image does not say what the author meant.  Publishing
belongs in `docker run -p`, never in the image.  Severity ERROR: the instruction is wrong, not merely a habit.

## Example
```dockerfile
FROM nginx:1.27
EXPOSE 8080:80
```

## Use instead
```dockerfile
FROM nginx:1.27
EXPOSE 80/tcp
```

## References
- https://docs.docker.com/reference/dockerfile/#expose
- https://docs.docker.com/reference/build-checks/expose-invalid-format/
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared import anchor
from pylint_image.rules._shared.variables import expand, has_variables, walk

_ENTRY_RE = re.compile(r"^(\d+)(?:-(\d+))?(?:/([A-Za-z]+))?$")
_PROTOCOLS = frozenset({"tcp", "udp", "sctp"})


def problem(entry: str) -> str | None:
    """Return why an EXPOSE entry is invalid, or None when it is valid."""
    if ":" in entry:
        return "a host mapping is not allowed in EXPOSE (publish with 'docker run -p')"
    match = _ENTRY_RE.match(entry)
    if match is None:
        return "expected PORT[/tcp|udp|sctp] or START-END[/PROTOCOL]"
    start, end, protocol = match.groups()
    if any(int(p) > 65535 for p in (start, end) if p is not None):
        return "port out of range 0-65535"
    if end is not None and int(end) < int(start):
        return "port range ends before it starts"
    if protocol is not None and protocol.lower() not in _PROTOCOLS:
        return f"unknown protocol '{protocol}' (tcp, udp or sctp)"
    return None


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per invalid EXPOSE entry."""
    for stage in dockerfile.stages:
        for instruction, scope in walk(dockerfile, stage):
            if instruction.keyword != "EXPOSE":
                continue
            for arg in instruction.args:
                for entry in expand(arg.text.strip("\"'"), scope).split():
                    # A variable we cannot resolve is supplied at build time: not judged.
                    if has_variables(entry):
                        continue
                    reason = problem(entry)
                    if reason is not None:
                        yield Violation(anchor(instruction, arg.span), f"invalid EXPOSE entry '{entry}': {reason}")


RULE = rule(
    meta=RuleMeta(
        code="DF3003", name="invalid-expose-port", severity=Severity.ERROR, target=Target.DOCKERFILE,
        summary="EXPOSE entry is not a valid port, range or protocol",
        fix_title="Write PORT[/tcp|udp|sctp] with 0 <= PORT <= 65535",
        tags=frozenset({"correctness"}), aliases=("DL3011", "ExposeInvalidFormat", "DS008"),
    ),
    check=check,
)
