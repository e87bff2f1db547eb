"""## What it does
Flags a final stage with no `HEALTHCHECK`, neither in it nor in the stages it is built
`FROM`, reported at the final stage's `FROM`.  `HEALTHCHECK NONE` counts as a deliberate
choice, and a final stage `FROM scratch` with no `CMD`/`ENTRYPOINT` is exempt (an
artifact image, exported with `--output` or copied from, runs no service to probe).

Preview (hadolint's DL3057 is off by default too): many images are run by orchestrators
that probe health themselves.  Enable it with `--preview` or by selecting it.

## Why is this bad?
Without a health check Docker only knows whether the process is alive, not whether it
serves: a hung server stays "running" and is never restarted.
Severity INFO: a hardening recommendation, not a defect.

## Example
```dockerfile
FROM nginx:1.27
COPY site/ /usr/share/nginx/html/
```

## Use instead
```dockerfile
FROM nginx:1.27
COPY site/ /usr/share/nginx/html/
HEALTHCHECK CMD curl -fsS http://localhost/ || exit 1
```

## References
- https://docs.docker.com/reference/dockerfile/#healthcheck
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Status, Target, Violation, rule
from pylint_image.rules._shared.images import stage_chain


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield a violation at the final FROM when no HEALTHCHECK applies to the final stage."""
    final = dockerfile.final_stage
    if final is None:
        return
    chain = list(stage_chain(dockerfile, final))
    keywords = {i.keyword for s in chain for i in s.instructions}
    if "HEALTHCHECK" in keywords:
        return
    if chain[-1].base.is_scratch and not keywords & {"CMD", "ENTRYPOINT"}:
        return  # an artifact image: nothing runs in it, so there is nothing to probe
    yield Violation(final.from_instruction.keyword_span,
                    "the final stage has no HEALTHCHECK (add one, or HEALTHCHECK NONE to opt out)")


RULE = rule(
    meta=RuleMeta(
        code="DF3012", name="missing-healthcheck", severity=Severity.INFO, target=Target.DOCKERFILE,
        summary="The final stage has no HEALTHCHECK", fix_title="Add a HEALTHCHECK (or HEALTHCHECK NONE)",
        tags=frozenset({"reliability"}), status=Status.PREVIEW,
        aliases=("DL3057", "CKV_DOCKER_2", "DS026"),
    ),
    check=check,
)
