"""## What it does
Flags `ENV` and `LABEL` written in the legacy space-separated form, `ENV NAME value`,
instead of `ENV NAME=value`.

## Why is this bad?
The legacy form takes the whole rest of the line as one value, so `ENV A 1 B 2` sets
`A` to `1 B 2`, and it cannot set several variables at once; Docker documents it as
deprecated.  Severity STYLE: the build works, but the form is easy to misread.

## Example
```dockerfile
FROM alpine:3.20
ENV APP_HOME /srv/app
```

## Use instead
```dockerfile
FROM alpine:3.20
ENV APP_HOME=/srv/app
```

## Fix
Safe, on one-line instructions: a one-word value gets `=` in place of the space; a
value of several words without quotes, backslashes or `$` is written `NAME="a b"`.

## References
- https://docs.docker.com/reference/build-checks/legacy-key-value-format/
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, Edit, Fix, Instruction, RuleMeta, Severity, Span, Target, Violation, rule
from pylint_image.rules._shared import anchor
from pylint_image.rules._shared.buildkit import skipped


def _fix(instruction: Instruction) -> Fix | None:
    """Return the ``NAME=value`` rewrite when it cannot change the value, else None."""
    key, first, last = instruction.args[0], instruction.args[1], instruction.args[-1]
    if not instruction.span.single_line or not (key.span.start_line == last.span.end_line):
        return None
    line = key.span.start_line
    if len(instruction.args) == 2:
        edit = Edit(Span(line, key.span.end_col, line, first.span.start_col), "=")
    else:
        value = " ".join(a.text for a in instruction.args[1:])
        if re.search(r"[\"'\\$]", value):
            return None  # quoting could change what the value means
        edit = Edit(Span(line, key.span.end_col, line, last.span.end_col), f'="{value}"')
    return Fix(f"Write {key.text}=...", (edit,), safe=True)


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per ENV/LABEL in the legacy ``NAME value`` form."""
    if skipped(dockerfile, "LegacyKeyValueFormat"):
        return
    for instruction in dockerfile.instructions():
        if instruction.keyword not in ("ENV", "LABEL") or len(instruction.args) < 2:
            continue
        if "=" in instruction.args[0].text:
            continue
        key = instruction.args[0]
        yield Violation(anchor(instruction, key.span),
                        f"legacy '{instruction.keyword} {key.text} value' form: write {key.text}=value",
                        fix=_fix(instruction))


RULE = rule(
    meta=RuleMeta(
        code="DF0005", name="legacy-key-value-format", severity=Severity.STYLE, target=Target.DOCKERFILE,
        summary="ENV or LABEL in the legacy 'NAME value' form", fix_title="Write NAME=value", fixable=True,
        tags=frozenset({"style", "deprecated"}), aliases=("LegacyKeyValueFormat",),
    ),
    check=check,
)
