"""## What it does
Flags a `$VAR` in an instruction the builder expands (`ADD`, `COPY`, `ENV`, `ARG`,
`EXPOSE`, `LABEL`, `STOPSIGNAL`, `USER`, `VOLUME`, `WORKDIR`) that no `ARG` or `ENV` in
scope defines.  `RUN`, `CMD` and `ENTRYPOINT` are left to the shell, as BuildKit does.
A global `ARG` (before the first `FROM`) or a predefined platform argument such as
`TARGETARCH` is only visible in a stage after an `ARG NAME` there.

A linter cannot see the base image's `ENV`, so on an image it reports only what the image
cannot define: lower-case names, platform arguments, names declared elsewhere in the file
(unless named after the image: `PYTHON_VERSION` on `python`) and near-misses (`$PAHT`).
On `scratch` all are reported; `${VAR:-default}` never is.

## Why is this bad?
An undefined variable expands to an empty string: `COPY app-$TARGETARCH /app` copies
`app-`, and `WORKDIR /srv/$APP_NAME` becomes `/srv/`.  Severity WARNING: the build
usually works, with other paths or values than the ones written.

## Example
```dockerfile
ARG VERSION=1.4.2
FROM alpine:3.20
COPY dist/app-${VERSION}.tar.gz /tmp/
```

## Use instead
```dockerfile
ARG VERSION=1.4.2
FROM alpine:3.20
ARG VERSION
COPY dist/app-${VERSION}.tar.gz /tmp/
```

## References
- https://docs.docker.com/reference/build-checks/undefined-var/
- https://docs.docker.com/reference/dockerfile/#scope
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, Instruction, RuleMeta, Severity, Stage, Target, Violation, rule
from pylint_image.rules._shared.buildkit import skipped
from pylint_image.rules._shared.images import stage_chain
from pylint_image.rules._shared.spelling import suggest
from pylint_image.rules._shared.variables import parse_assignments, walk

EXPANDED = frozenset({"ADD", "COPY", "ENV", "ARG", "EXPOSE", "LABEL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"})
PLATFORM = frozenset({"BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT", "TARGETPLATFORM", "TARGETOS",
                      "TARGETARCH", "TARGETVARIANT", "TARGETSTAGE"})
# Proxy args are passed by many CI setups without a declaration; BuildKit's SBOM args are never env;
# PATH is set in every image (BuildKit adds a default one to images without it).
_EXEMPT = frozenset({p for n in ("HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY")
                     for p in (n, n.lower())} | {"BUILDKIT_SBOM_SCAN_CONTEXT", "BUILDKIT_SBOM_SCAN_STAGE", "PATH"})
_QUOTED = re.compile(r"'[^']*'")
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"


def _ref_re(escape: str) -> re.Pattern[str]:
    """``$X`` / ``${X}`` not preceded by the escape character; group ``mod`` marks ``${X:-d}`` forms."""
    braced = rf"\{{(?P<braced>{_NAME})(?P<mod>[:?+-][^}}]*)?\}}"
    return re.compile(rf"(?<!{re.escape(escape)})\$(?:{braced}|(?P<bare>{_NAME}))")


def _elsewhere(dockerfile: Dockerfile, stage: Stage) -> set[str]:
    """Names declared by global ARGs and by ARG/ENV of stages outside ``stage``'s chain."""
    chain = {s.index for s in stage_chain(dockerfile, stage)}
    names = {n for i in dockerfile.global_args for n, _ in parse_assignments(i)}
    names.update(n for s in dockerfile.stages if s.index not in chain for i in s.instructions
                 if i.keyword in ("ARG", "ENV") for n, _ in parse_assignments(i))
    return names


def _message(name: str, scope: dict, stage: Stage, dockerfile: Dockerfile, known_env: bool) -> str | None:
    """The finding's text, or None when the base image may define ``name``."""
    hint = suggest(name, (*scope, "PATH"))
    if hint:
        return f"Usage of undefined variable '${name}' (did you mean ${hint}?)"
    if name in PLATFORM:
        return f"Usage of undefined variable '${name}': declare 'ARG {name}' in this stage to use it"
    root = list(stage_chain(dockerfile, stage))[-1]
    prefix = root.base.repository.rsplit("/", 1)[-1].upper().replace("-", "_") + "_"
    if name in _elsewhere(dockerfile, stage) and (known_env or not name.startswith(prefix)):
        return f"Usage of undefined variable '${name}': it is declared elsewhere, add 'ARG {name}' to this stage"
    if known_env or name != name.upper():
        return f"Usage of undefined variable '${name}'"
    return None  # an upper-case name may come from the base image's ENV, which we cannot see


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per instruction and undefined variable."""
    if skipped(dockerfile, "UndefinedVar"):
        return
    refs = _ref_re(dockerfile.directives.escape)
    for stage in dockerfile.stages:
        if not any(i.keyword in EXPANDED and "$" in i.value for i in stage.instructions):
            continue  # nothing expanded: skip resolving the stage's scope
        known_env = list(stage_chain(dockerfile, stage))[-1].base.is_scratch
        for instruction, scope in walk(dockerfile, stage):
            if instruction.keyword not in EXPANDED or "$" not in instruction.value:
                continue
            yield from _judge(instruction, scope, stage, dockerfile, known_env, refs)


def _judge(instruction: Instruction, scope: dict, stage: Stage, dockerfile: Dockerfile, known_env: bool,
           refs: re.Pattern[str]) -> Iterator[Violation]:
    own = {n for n, _ in parse_assignments(instruction)} if instruction.keyword == "ARG" else set()
    seen: set[str] = set()
    for match in refs.finditer(_QUOTED.sub("", instruction.value)):
        name = match.group("braced") or match.group("bare")
        if match.group("mod") or name in scope or name in _EXEMPT or name in own or name in seen:
            continue  # a ${X:-d} form expects X unset; an ARG may use a name it declares before
        seen.add(name)
        message = _message(name, scope, stage, dockerfile, known_env)
        if message:
            yield Violation(instruction.keyword_span, message)


RULE = rule(
    meta=RuleMeta(
        code="DF0006", name="undefined-variable", severity=Severity.WARNING, target=Target.DOCKERFILE,
        summary="An instruction uses a variable no ARG or ENV in scope defines",
        fix_title="Declare the variable with ARG (or ENV) in this stage",
        tags=frozenset({"correctness"}), aliases=("UndefinedVar",),
    ),
    check=check,
)
