"""## What it does
Flags an `ENV` that uses a variable assigned earlier in the same `ENV` instruction
(`ENV DIR=/opt/app BIN=$DIR/bin`), when no earlier `ARG`/`ENV` of the stage defines it.

## Why is this bad?
All the values of one `ENV` are expanded with the variables as they were *before* the
instruction, so `$DIR` above is empty (or the base image's value), not `/opt/app`:
`BIN` silently becomes `/bin`.  Severity WARNING: the build works, with another value
than the one written.

## Example
```dockerfile
FROM alpine:3.20
ENV APP_HOME=/opt/app APP_BIN=${APP_HOME}/bin
```

## Use instead
```dockerfile
FROM alpine:3.20
ENV APP_HOME=/opt/app
ENV APP_BIN=${APP_HOME}/bin
```

## References
- https://docs.docker.com/reference/dockerfile/#environment-replacement
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared.variables import walk

_REF = re.compile(r"(?<!\\)\$(?:\{([A-Za-z_][A-Za-z0-9_]*)|([A-Za-z_][A-Za-z0-9_]*))")
_SINGLE_QUOTED = re.compile(r"'[^']*'")


def _raw_pairs(text: str) -> list[tuple[str, str]]:
    """``(name, raw value)`` of a ``NAME=value ...`` list, quotes and escapes kept as written."""
    try:
        words = shlex.split(text, posix=False)
    except ValueError:  # unbalanced quote: BuildKit rejects the file; judge the plain words
        words = text.split()
    return [(n, v) for n, sep, v in (w.partition("=") for w in words) if sep]


def _refs(value: str) -> list[str]:
    """Variables a raw value expands (not inside single quotes, not escaped with a backslash)."""
    return [m.group(1) or m.group(2) for m in _REF.finditer(_SINGLE_QUOTED.sub("", value))]


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per ENV that reads a variable it assigns itself."""
    for stage in dockerfile.stages:
        if not any(i.keyword == "ENV" for i in stage.instructions[1:]):
            continue  # no ENV: skip resolving the stage's scope
        for instruction, scope in walk(dockerfile, stage):
            if instruction.keyword != "ENV":
                continue
            assigned: set[str] = set()
            bad: list[str] = []
            for name, value in _raw_pairs(instruction.value_after_flags):
                for ref in _refs(value):
                    if ref in assigned and ref not in scope and ref not in bad:
                        bad.append(ref)
                assigned.add(name)
            if bad:
                names = ", ".join(f"${n}" for n in bad)
                yield Violation(instruction.keyword_span,
                                f"{names} is set by this same ENV: it expands to its value before the "
                                "instruction, not the one assigned here; split the ENV in two")


RULE = rule(
    meta=RuleMeta(
        code="DF3013", name="env-self-reference", severity=Severity.WARNING, target=Target.DOCKERFILE,
        summary="ENV uses a variable it assigns in the same instruction",
        fix_title="Move the dependent assignment to a second ENV",
        tags=frozenset({"correctness"}), aliases=("DL3044",),
    ),
    check=check,
)
