"""## What it does
Flags secrets in the final image, by content: private keys (a `PRIVATE KEY` PEM block, so
certificates never match), `.env` files with values, cloud/registry/git credentials,
`.npmrc`/`.pypirc` with tokens or passwords; and `.git` directories.

## Why is this bad?
Anyone who can pull the image can read every layer; a key or token in it is published,
even when a later layer deletes the file.

## Example
```dockerfile
FROM node:20
COPY . /app
RUN echo "//registry.npmjs.org/:_authToken=$NPM_TOKEN" > /root/.npmrc && npm ci
```

## Use instead
```dockerfile
FROM node:20
COPY . /app
RUN --mount=type=secret,id=npmrc,target=/root/.npmrc npm ci
```
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from pylint_image.linter import (
    Context,
    ImageLocation,
    Needs,
    RuleMeta,
    Severity,
    Target,
    Violation,
    rule,
)

if TYPE_CHECKING:
    from pylint_image.linter import Image

_PRIVATE_KEY = re.compile(rb"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")
_CONTENT_RULES = (
    (re.compile(r"/\.npmrc$"), re.compile(rb"(_authToken|_auth|_password)\s*=\s*[^\s$]"), "npm token"),
    (re.compile(r"/\.pypirc$"), re.compile(rb"(?m)^\s*password\s*[=:]\s*\S"), "PyPI password"),
    (re.compile(r"/\.aws/credentials$"), re.compile(rb"aws_secret_access_key\s*=\s*\S"), "AWS secret key"),
    (re.compile(r"/\.docker/config\.json$"), re.compile(rb'"auth"\s*:\s*"[^"]+'), "registry credential"),
    (re.compile(r"/\.git-credentials$"), re.compile(rb"://[^:/\s]+:[^@\s]+@"), "git credential"),
    (re.compile(r"/\.netrc$"), re.compile(rb"\bpassword\s+\S"), "netrc password"),
    (re.compile(r"/\.env(\.(?!example$|sample$|template$|dist$)[\w.-]+)?$"),
     re.compile(rb"(?m)^\s*(export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=\s*\S"), ".env file with values"),
)
_BY_NAME = re.compile(r"/application_default_credentials\.json$")
_KEY_FILES = re.compile(r"(\.pem|\.key|/id_(rsa|dsa|ecdsa|ed25519))$")
# Test fixtures inside installed packages ship throwaway keys; Debian's snakeoil key is
# generated per machine by ssl-cert and is not a credential of the image's author.
_EXEMPT = re.compile(r"/(site|dist)-packages/.*/tests?/|/node_modules/.*/tests?/|ssl-cert-snakeoil\.key$")

NEEDS = Needs(globs=("*.pem", "*.key", "*/id_rsa", "*/id_dsa", "*/id_ecdsa", "*/id_ed25519",
                     "*/.npmrc", "*/.pypirc", "*/.aws/credentials", "*/.docker/config.json",
                     "*/.git-credentials", "*/.netrc", "*/.env", "*/.env.*"))


def _secret(image: Image, path: str) -> str | None:
    """Return what kind of secret ``path`` holds, or None."""
    if _BY_NAME.search(path):
        return "gcloud credentials"
    if not image.files.has_content(path) or _EXEMPT.search(path):
        return None
    data = image.files.read(path)
    if _KEY_FILES.search(path) and _PRIVATE_KEY.search(data):
        return "private key"
    for name, content, label in _CONTENT_RULES:
        if name.search(path) and content.search(data):
            return label
    return None


def check(image: Image, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per secret-bearing file and per `.git` directory."""
    name = ctx.image_name or image.ref
    for entry in image.files.walk("/"):
        layer = image.layers[entry.layer_index] if entry.layer_index >= 0 else None
        digest = layer.diff_id if layer else None
        if entry.path.endswith("/.git/HEAD"):
            # HEAD, not the directory entry: tars may omit directory entries.
            repo = posixpath.dirname(entry.path)
            yield Violation(ImageLocation(name, repo, digest),
                            f"{repo}: a git repository (history, remotes, maybe credentials)")
        elif entry.kind.value == "file":
            label = _secret(image, entry.path)
            if label:
                yield Violation(ImageLocation(name, entry.path, digest), f"{entry.path}: {label}")


RULE = rule(meta=RuleMeta(code="IM2003", name="secret-in-image", severity=Severity.ERROR,
                          target=Target.IMAGE, summary="A private key, token or credential file is in the image",
                          fix_title="Use build secrets (RUN --mount=type=secret) and .dockerignore",
                          tags=frozenset({"security"}), needs=NEEDS,
                          security_severity=8.0),
            check=check)
