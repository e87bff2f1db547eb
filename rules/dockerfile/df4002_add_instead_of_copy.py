"""## What it does
Flags an `ADD` whose sources include a plain local file or folder: one that is neither a
URL, a git repository, nor a tar archive for `ADD` to unpack.

## Why is this bad?
`ADD` has side effects that `COPY` has not: it unpacks archives and fetches URLs, so a
reader cannot tell what it does without looking at the source, and renaming `app.txt` to
`app.tar` silently changes the build.  `COPY` says plainly "copy these files".
Severity WARNING: the build works, but the instruction hides behaviour.

## Example
```dockerfile
FROM alpine:3.20
ADD app.conf /etc/app/
```

## Use instead
```dockerfile
FROM alpine:3.20
COPY app.conf /etc/app/
ADD rootfs.tar.gz /
```

## References
- https://docs.docker.com/build/building/best-practices/#add-or-copy
"""

from __future__ import annotations

from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared import anchor
from pylint_image.rules._shared.copying import is_archive, is_remote, operands, unquote


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per ADD with a plain local source."""
    for instruction in dockerfile.instructions():
        target = instruction.onbuild or instruction
        if target.keyword != "ADD":
            continue
        sources, _ = operands(target)
        plain = [s for s in sources if not is_remote(s.text) and not is_archive(s.text)]
        if plain:
            yield Violation(anchor(instruction, plain[0].span),
                            f"ADD of local '{unquote(plain[0].text)}': use COPY, which only copies")


RULE = rule(
    meta=RuleMeta(
        code="DF4002", name="add-instead-of-copy", severity=Severity.WARNING, target=Target.DOCKERFILE,
        summary="ADD used to copy plain local files", fix_title="Use COPY for local files and folders",
        tags=frozenset({"best-practice"}), aliases=("DL3020", "DS005", "CKV_DOCKER_4"),
    ),
    check=check,
)
