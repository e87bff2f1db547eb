"""## What it does
Flags a `FROM ... AS name` whose `AS` is not cased like its `FROM`: `FROM x as y` or
`from x AS y`.  A mixed-case `FROM` keyword is left to `lowercase-instruction`.

## Why is this bad?
Keywords are case-insensitive, but one line mixing both casings reads as a typo and
makes the stage names harder to spot.  Severity STYLE: no effect on the build.

## Example
```dockerfile
FROM golang:1.23 as build
```

## Use instead
```dockerfile
FROM golang:1.23 AS build
```

## Fix
Safe: re-cases `AS` to match `FROM`.

## References
- https://docs.docker.com/reference/build-checks/from-as-casing/
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, Edit, Fix, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared.buildkit import skipped
from pylint_image.rules._shared.stages import stage_names


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per FROM whose AS keyword is cased differently."""
    if skipped(dockerfile, "FromAsCasing"):
        return
    for named in stage_names(dockerfile):
        keyword, as_word = named.instruction.keyword_as_written, named.as_word.text
        if keyword.isupper():
            wanted = "AS"
        elif keyword.islower():
            wanted = "as"
        else:
            continue
        if as_word != wanted:
            fix = Fix(f"Write {wanted}", (Edit(named.as_word.span, wanted),), safe=True)
            yield Violation(named.as_word.span, f"'{as_word}' should be cased like '{keyword}': {wanted}", fix=fix)


RULE = rule(
    meta=RuleMeta(
        code="DF1008", name="from-as-casing", severity=Severity.STYLE, target=Target.DOCKERFILE,
        summary="AS keyword cased differently from its FROM", fix_title="Case AS like FROM", fixable=True,
        tags=frozenset({"style"}), aliases=("FromAsCasing",),
    ),
    check=check,
)
