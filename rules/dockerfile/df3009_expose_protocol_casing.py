"""## What it does
Flags an `EXPOSE` protocol not written in lower case (`80/TCP`).

## Why is this bad?
Docker accepts any case but records the protocol as written, so `80/TCP` and `80/tcp`
look like two different ports to tools comparing image configs.
Severity STYLE: no effect on the build.

## Example
```dockerfile
FROM nginx:1.27
EXPOSE 80/TCP
```

## Use instead
```dockerfile
FROM nginx:1.27
EXPOSE 80/tcp
```

## Fix
Safe: lower-cases the protocol.

## References
- https://docs.docker.com/reference/build-checks/expose-proto-casing/
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, Edit, Fix, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared import anchor
from pylint_image.rules._shared.buildkit import skipped


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per EXPOSE entry whose protocol is not lower-case."""
    if skipped(dockerfile, "ExposeProtoCasing"):
        return
    for instruction in dockerfile.instructions():
        if instruction.keyword != "EXPOSE":
            continue
        for arg in instruction.args:
            port, sep, protocol = arg.text.partition("/")
            if sep and protocol != protocol.lower() and "$" not in protocol:
                fix = Fix("Lower-case the protocol", (Edit(arg.span, arg.text.lower()),), safe=True) \
                    if arg.text == f"{port}/{protocol}" and "$" not in port else None
                yield Violation(anchor(instruction, arg.span),
                                f"protocol '{protocol}' should be lower-case: {arg.text.lower()}", fix=fix)


RULE = rule(
    meta=RuleMeta(
        code="DF3009", name="expose-protocol-casing", severity=Severity.STYLE, target=Target.DOCKERFILE,
        summary="EXPOSE protocol not in lower case", fix_title="Write the protocol in lower case", fixable=True,
        tags=frozenset({"style"}), aliases=("ExposeProtoCasing",),
    ),
    check=check,
)
