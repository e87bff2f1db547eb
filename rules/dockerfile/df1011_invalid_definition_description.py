"""## What it does
Flags a comment directly above a named `FROM ... AS name` or an `ARG` (no blank line in
between) whose first word is not the stage or argument name.  BuildKit reads such a
comment as the definition's description (`docker buildx build --call=outline`) and
expects `# <name> <description>`.  Tool pragmas (`# hadolint ignore=...`,
`# pylint-image: ignore=...`, `# noqa`, `# checkov:skip=...`) and parser directives are
not descriptions and are not judged.

Preview, as the BuildKit check is experimental.

## Why is this bad?
Build front-ends show the comment as the description of the stage or argument; a
comment about something else becomes a wrong description.  Severity STYLE: only
documentation is affected.

## Example
```dockerfile
# pin the version here
ARG NODE_VERSION=22
FROM node:${NODE_VERSION} AS web
```

## Use instead
```dockerfile
# NODE_VERSION is the Node.js release the site is built with
ARG NODE_VERSION=22
FROM node:${NODE_VERSION} AS web
```

## References
- https://docs.docker.com/reference/build-checks/invalid-definition-description/
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Status, Target, Violation, rule
from pylint_image.rules._shared.buildkit import skipped
from pylint_image.rules._shared.variables import parse_assignments

_PRAGMA = re.compile(r"^(?:hadolint\b|pylint-image\b|noqa\b|checkov:|trivy:|tfsec:|kics |nosec\b)", re.IGNORECASE)


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per FROM AS / ARG whose description comment does not start with its name."""
    if skipped(dockerfile, "InvalidDefinitionDescription"):
        return
    directive_lines = {s.start_line for s in dockerfile.directives.spans.values()}
    comments = {c.span.start_line: c.text for c in dockerfile.comments if c.span.start_line not in directive_lines}
    if not comments:
        return
    for instruction in dockerfile.instructions():
        text = comments.get(instruction.line - 1)
        if text is None or _PRAGMA.match(text):
            continue
        if instruction.keyword == "ARG":
            keys = [name for name, _ in parse_assignments(instruction)]
            what = "ARG"
        elif instruction.keyword == "FROM":
            args = instruction.args
            keys = [args[2].text.lower()] if len(args) == 3 and args[1].text.lower() == "as" else []
            what = "build stage"
        else:
            continue
        if keys and text.split(" ")[0] not in keys:
            example = keys[0] if len(keys) == 1 else "<arg_key>"
            yield Violation(instruction.keyword_span,
                            f"Comment for {what} should follow the format: `# {example} <description>` "
                            "(or put a blank line between an unrelated comment and the instruction)")


RULE = rule(
    meta=RuleMeta(
        code="DF1011", name="invalid-definition-description", severity=Severity.STYLE, target=Target.DOCKERFILE,
        summary="The comment above a named stage or ARG does not start with its name",
        fix_title="Start the comment with the name, or separate it with a blank line",
        tags=frozenset({"style"}), status=Status.PREVIEW, aliases=("InvalidDefinitionDescription",),
    ),
    check=check,
)
