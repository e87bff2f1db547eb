"""## What it does
Flags `COPY --from=<name>` where the name is not a stage defined earlier in the file:
a later stage, the current stage, or a bare name (`--from=builder`) that no stage has.
A stage index (`--from=0`) must point at an earlier stage.  An explicit image
reference (with a registry, namespace, tag or digest) is an image, not a stage, and is
not flagged; a name built from an unresolved variable is not judged.  The current stage
is hadolint's `DL3023` (Trivy `DS006`); an unknown name or a later stage is `DL3022`.

## Why is this bad?
A bare name that matches no earlier stage is taken as a Docker Hub image: a typo in a
stage name pulls whatever image happens to have that name.  Referring to a later stage
or to the stage itself is a cycle BuildKit rejects.  (A bare name may also be a named
build context passed with `docker build --build-context NAME=...`, which the Dockerfile
cannot show: suppress the finding on that line.)
Severity ERROR: the build fails or copies from an unintended image.

## Example
```dockerfile
FROM golang:1.23 AS build
RUN go build -o /out/app .
FROM alpine:3.20
COPY --from=biuld /out/app /usr/local/bin/app
```

## Use instead
```dockerfile
FROM golang:1.23 AS build
RUN go build -o /out/app .
FROM alpine:3.20
COPY --from=build /out/app /usr/local/bin/app
```
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared.variables import expand, global_scope, has_variables


_OWN = ("DL3023", "DS006")  # hadolint's and Trivy's "COPY --from refers to the current stage"
_UNKNOWN = ("DL3022",)  # hadolint's "COPY --from should reference a previously defined FROM alias"


def _problem(source: str, index: int, names: dict[str, int]) -> tuple[str, tuple[str, ...]] | None:
    """Return why ``--from=source`` in stage ``index`` is wrong and the matching foreign ids, or None."""
    if source.isdigit():
        found = int(source)
    elif source.lower() in names:
        found = names[source.lower()]
    elif any(c in source for c in "/:@."):
        return None  # an explicit image reference: BuildKit pulls it
    else:
        return ("is no stage defined before it (unless it is a named build context, a typo pulls a Docker Hub "
                "image)", _UNKNOWN)
    if found < index:
        return None
    return ("refers to its own stage", _OWN) if found == index else ("refers to a later stage", _UNKNOWN)


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per COPY --from that does not name an earlier stage or an image."""
    names = {s.name.lower(): s.index for s in reversed(dockerfile.stages) if s.name}
    scope = global_scope(dockerfile)
    for stage in dockerfile.stages:
        for instruction in stage.instructions:
            flag = next((f for f in instruction.flags if f.name == "from"), None) if instruction.keyword == "COPY" else None
            if flag is None or not flag.value:
                continue
            source = expand(flag.value.strip("\"'"), scope)
            if has_variables(source):
                continue  # chosen at build time
            problem = _problem(source, stage.index, names)
            if problem is not None:
                yield Violation(flag.span, f"COPY --from={source} {problem[0]}", tool_ids=problem[1])


RULE = rule(
    meta=RuleMeta(
        code="DF4006", name="copy-from-unknown-stage", severity=Severity.ERROR, target=Target.DOCKERFILE,
        summary="COPY --from names no earlier stage", fix_title="Name a stage defined earlier, or a full image reference",
        tags=frozenset({"correctness"}), aliases=("DL3022", "DL3023", "DS006"), exact_tool_ids=True,
    ),
    check=check,
)
