"""## What it does
Flags a `COPY` or `ADD` with several sources whose destination does not end with `/`
(`COPY a.txt b.txt /app`).  `.` and paths ending in `/.` name a directory and are fine;
a destination holding an unresolved variable is not judged.

## Why is this bad?
With more than one source the destination must be a directory, and BuildKit only
treats it as one when it ends with `/`: otherwise the build fails, or a later edit that
drops a source turns the directory into a file name.  Severity ERROR: the build fails.

## Example
```dockerfile
FROM alpine:3.20
COPY a.txt b.txt /app
```

## Use instead
```dockerfile
FROM alpine:3.20
COPY a.txt b.txt /app/
```

## References
- https://docs.docker.com/reference/dockerfile/#destination
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared import anchor
from pylint_image.rules._shared.copying import unquote
from pylint_image.rules._shared.variables import has_variables


def _is_directory(dest: str) -> bool:
    return dest.endswith(("/", "\\")) or dest in (".", "..") or dest.endswith(("/.", "/.."))


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per multi-source COPY/ADD whose destination is not a directory."""
    for instruction in dockerfile.instructions():
        target = instruction.onbuild or instruction
        # Heredoc words count as sources too: each becomes a file.
        if target.keyword not in ("COPY", "ADD") or len(target.args) <= 2:
            continue
        dest = target.args[-1]
        text = unquote(dest.text)
        if not _is_directory(text) and not has_variables(text):
            yield Violation(anchor(instruction, dest.span),
                            f"{len(target.args) - 1} sources copied to '{text}': end the destination with /")


RULE = rule(
    meta=RuleMeta(
        code="DF4005", name="copy-multiple-sources-to-file", severity=Severity.ERROR, target=Target.DOCKERFILE,
        summary="COPY/ADD of several sources to a destination not ending with /",
        fix_title="End the destination with /", tags=frozenset({"correctness"}), aliases=("DL3021", "DS011"),
    ),
    check=check,
)
