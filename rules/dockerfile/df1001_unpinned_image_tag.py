"""## What it does
Flags a `FROM` whose image has no tag, or the tag `latest`, once `ARG` defaults and
`--build-arg` overrides are applied (`ARG TAG=latest` + `FROM python:${TAG}` is caught).
No tag is hadolint's `DL3006`, `latest` its `DL3007` (Trivy's `DS001` and Checkov's
`CKV_DOCKER_7` cover both).

## Why is this bad?
An untagged or `latest` base changes under you: two builds of the same commit can get a
different OS, interpreter or libc, and a rebuild can break with no change of yours.
Severity WARNING: builds stay working today but are not reproducible.

## Example
```dockerfile
FROM python
RUN python --version
```

## Use instead
```dockerfile
FROM python:3.12-slim
RUN python --version
```

## Options
- `require-digest` (bool, default `false`): also flag every base without an `@sha256:` digest.

## References
- https://docs.docker.com/build/building/best-practices/#from
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared import anchor
from pylint_image.rules._shared.image_options import PinOptions, pin_problem
from pylint_image.rules._shared.images import unpinned_tag

# One class for DF1001 and MF1001: [tool.pylint-image.rules.unpinned-image-tag] governs both.
Options = PinOptions

# Trivy's and Checkov's checks cover both no tag and latest
_OTHER_IDS = ("DS001", "CKV_DOCKER_7")


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per FROM whose base image is not pinned."""
    for stage in dockerfile.stages:
        base = stage.base
        # scratch is empty and a stage alias is pinned by its own FROM; neither has a tag.
        if base.is_scratch or base.is_stage_alias:
            continue
        # An unresolved variable (ARG without default) is supplied at build time: unknown.
        if base.has_variables:
            continue
        image = base.reference
        if image is None:
            continue  # not a reference BuildKit could pull
        problem = pin_problem(image, ctx)
        if problem is None:
            continue
        name = base.resolved or base.raw
        via = f" (resolved from {base.raw})" if base.resolved and base.resolved != base.raw else ""
        floating = unpinned_tag(image) is not None  # hadolint's ids; require-digest is ours alone
        ids = (("DL3007",) if image.tag else ("DL3006",)) + _OTHER_IDS if floating else ()
        yield Violation(anchor(stage.from_instruction, base.span), f"base image '{name}'{via} {problem}",
                        tool_ids=ids)


RULE = rule(
    meta=RuleMeta(
        code="DF1001", name="unpinned-image-tag", severity=Severity.WARNING, target=Target.DOCKERFILE,
        summary="Base image has no tag, or the tag 'latest'", fix_title="Pin a version tag or a digest",
        tags=frozenset({"reproducibility", "supply-chain"}), options=Options,
        aliases=("DL3006", "DL3007", "DS001", "CKV_DOCKER_7"),
    ),
    check=check,
)
