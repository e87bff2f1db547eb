"""## What it does
Flags a second (or later) `CMD`, `ENTRYPOINT` or `HEALTHCHECK` in one stage.  `ONBUILD`
triggers are not counted: they run in a child build.  Each finding names the shadowed
instruction and carries the id of its kind: hadolint `DL4003` (CMD), `DL4004` (ENTRYPOINT),
`DL3012` (HEALTHCHECK); Trivy `DS016`, `DS007`, `DS023`.

## Why is this bad?
Only the last of these instructions takes effect; the earlier ones are dead code that
misleads the reader about how the container starts or is probed, and often hide a
merge mistake.  Severity WARNING: the build works, but not as the earlier line says.

## Example
```dockerfile
FROM python:3.12-slim
CMD ["python", "-m", "http.server"]
CMD ["python", "app.py"]
```

## Use instead
```dockerfile
FROM python:3.12-slim
CMD ["python", "app.py"]
```

## References
- https://docs.docker.com/reference/dockerfile/#cmd
- https://docs.docker.com/reference/build-checks/multiple-instructions-disallowed/
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, Instruction, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared.buildkit import skipped

# each kind's ids: hadolint, Trivy (BuildKit's MultipleInstructionsDisallowed covers all three)
_IDS = {"CMD": ("DL4003", "DS016"), "ENTRYPOINT": ("DL4004", "DS007"), "HEALTHCHECK": ("DL3012", "DS023")}


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per CMD/ENTRYPOINT/HEALTHCHECK after the first of its kind in a stage."""
    if skipped(dockerfile, "MultipleInstructionsDisallowed"):
        return
    for stage in dockerfile.stages:
        previous: dict[str, Instruction] = {}
        for instruction in stage.instructions:
            keyword = instruction.keyword
            if keyword not in _IDS:
                continue
            if keyword in previous:
                yield Violation(instruction.keyword_span,
                                f"{keyword} repeated in one stage: the {keyword} at line "
                                f"{previous[keyword].line} has no effect, only the last one counts",
                                tool_ids=(*_IDS[keyword], "MultipleInstructionsDisallowed"))
            previous[keyword] = instruction


RULE = rule(
    meta=RuleMeta(
        code="DF3005", name="overridden-instruction", severity=Severity.WARNING, target=Target.DOCKERFILE,
        summary="CMD, ENTRYPOINT or HEALTHCHECK repeated in one stage",
        fix_title="Keep only the last CMD/ENTRYPOINT/HEALTHCHECK of the stage",
        tags=frozenset({"correctness"}),
        aliases=("DL4003", "DL4004", "DL3012", "MultipleInstructionsDisallowed", "DS007", "DS016", "DS023"), exact_tool_ids=True,
    ),
    check=check,
)
