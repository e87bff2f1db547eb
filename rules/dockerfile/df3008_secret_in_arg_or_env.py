r"""## What it does
Flags an `ARG` or `ENV` whose name says it holds a secret: a word such as `PASSWORD`,
`PASSWD`, `SECRET`, `TOKEN`, `APIKEY`, `CREDENTIALS`, or `KEY` after `API`, `ACCESS`,
`PRIVATE`, `CLIENT`, `SECRET` or `SIGNING`.  Names that point at a secret rather than
hold it (`*_FILE`, `*_PATH`, `*_URL`...) and public keys (`GPG_KEY`) are not flagged.

## Why is this bad?
`ENV` values are stored in the image config and `ARG` values in its build history:
anyone who can pull the image can read them with `docker history` or `docker inspect`.
Secret mounts (`RUN --mount=type=secret`) give the build the value without keeping it.
Severity WARNING: a likely leak, but the name alone cannot prove the value is secret.

## Example
```dockerfile
FROM alpine:3.20
ARG GITHUB_TOKEN
RUN wget --header="Authorization: token $GITHUB_TOKEN" https://example.com/f
```

## Use instead
```dockerfile
FROM alpine:3.20
RUN --mount=type=secret,id=github_token,env=GITHUB_TOKEN \
    wget --header="Authorization: token $GITHUB_TOKEN" https://example.com/f
```

## References
- https://docs.docker.com/reference/build-checks/secrets-used-in-arg-or-env/
- https://docs.docker.com/build/building/secrets/
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pylint_image.linter import Context, Dockerfile, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared import anchor
from pylint_image.rules._shared.buildkit import skipped
from pylint_image.rules._shared.variables import parse_assignments

_SECRET_WORDS = frozenset({"password", "passwd", "pwd", "secret", "token", "apikey", "credential",
                           "credentials", "passphrase"})
_KEY_QUALIFIERS = frozenset({"api", "access", "private", "client", "secret", "signing", "encryption", "master"})
# The name refers to where the secret lives, or describes it, rather than holding it.
_POINTER_WORDS = frozenset({"file", "path", "dir", "url", "uri", "endpoint", "name", "length", "type", "env"})


def is_secret_name(name: str) -> bool:
    """True when a variable name says it holds a secret value."""
    words = [w for w in re.split(r"[^a-z0-9]+", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()) if w]
    if not words or words[-1] in _POINTER_WORDS or "public" in words:
        return False
    if _SECRET_WORDS & set(words):
        return True
    return any(w == "key" and i > 0 and words[i - 1] in _KEY_QUALIFIERS for i, w in enumerate(words))


def check(dockerfile: Dockerfile, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per ARG/ENV instruction that names a secret (the first such name)."""
    if skipped(dockerfile, "SecretsUsedInArgOrEnv"):
        return
    for instruction in dockerfile.instructions():
        target = instruction.onbuild or instruction
        if target.keyword not in ("ARG", "ENV"):
            continue
        names = [name for name, _ in parse_assignments(target) if is_secret_name(name)]
        if names:
            arg = next((a for a in target.args if a.text.split("=", 1)[0] == names[0]), None)
            yield Violation(anchor(instruction, arg.span if arg else None),
                            f"{target.keyword} {names[0]} looks like a secret, and is kept in the image: "
                            "use a secret mount")


RULE = rule(
    meta=RuleMeta(
        code="DF3008", name="secret-in-arg-or-env", severity=Severity.WARNING, target=Target.DOCKERFILE,
        summary="ARG or ENV named like a secret", fix_title="Pass the secret with RUN --mount=type=secret",
        tags=frozenset({"security"}), aliases=("DL3064", "SecretsUsedInArgOrEnv", "DS031"),
    ),
    check=check,
)
