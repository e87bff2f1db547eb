"""## What it does
Flags a `FROM` whose image reference is invalid when the build is run without
`--build-arg`: a global `ARG` with no default leaves `FROM busybox:${TAG}` as `busybox:`.
An `ARG` that may be empty (`FROM busybox:stable${VARIANT}`) or that has a fallback
(`${TAG:-3.20}`) is fine.

## Why is this bad?
A plain `docker build .` fails with "invalid reference format", so the Dockerfile only
works with flags that nothing in the repository records.
Severity WARNING: the default build fails, the documented one works.

## Example
```dockerfile
ARG TAG
FROM busybox:${TAG}
```

## Use instead
```dockerfile
ARG TAG=1.36
FROM busybox:${TAG}
```

## References
- https://docs.docker.com/reference/build-checks/invalid-default-arg-in-from/
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import (Context, Dockerfile, InvalidReference, Reference, RuleMeta, Severity, Target,
                                 Violation, rule)
from pylint_image.rules._shared.buildkit import skipped
from pylint_image.rules._shared.variables import expand, global_scope, has_variables


def _valid(image: str) -> bool:
    """True when ``image`` is a reference BuildKit accepts (the linter's one reference parser)."""
    try:
        Reference.parse(image)
    except InvalidReference:
        return False
    return True


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per FROM whose image is invalid with the ARG defaults."""
    if skipped(dockerfile, "InvalidDefaultArgInFrom"):
        return
    scope = global_scope(dockerfile)
    # Only ARGs without a default are replaced by "": that is what a plain build sees.
    empty = {k: ("" if v is None else v) for k, v in scope.items()}
    for stage in dockerfile.stages:
        raw = stage.base.raw
        if not has_variables(raw) or not any(scope.get(name) is None for name in scope if name in raw):
            continue
        image = expand(raw, empty)
        if has_variables(image):
            continue  # an undeclared variable is undefined-arg-in-from's concern
        if not _valid(image):
            yield Violation(stage.from_instruction.keyword_span,
                            f"with the ARG defaults, FROM {raw} becomes '{image}', not a valid image: "
                            "give the ARG a default")


RULE = rule(
    meta=RuleMeta(
        code="DF1010", name="invalid-default-arg-in-from", severity=Severity.WARNING, target=Target.DOCKERFILE,
        summary="FROM image is invalid unless --build-arg is given", fix_title="Give the ARG a valid default",
        tags=frozenset({"correctness"}), aliases=("InvalidDefaultArgInFrom",),
    ),
    check=check,
)
