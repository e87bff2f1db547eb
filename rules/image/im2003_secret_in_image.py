"""## What it does
Flags secrets in every layer of the image, by content: private keys (a `PRIVATE KEY` PEM
block, so certificates never match), `.env` files with values, cloud/registry/git
credentials, `.npmrc`/`.pypirc` with tokens or passwords; and `.git` directories.

Each finding names the layer (and, with `--dockerfile`, the line) that added the file, and
says when a later layer deleted or overwrote it: the bytes are still in the earlier layer.
With `--dockerfile`, secrets the base image brought are one finding at the `FROM` line
("inherited from the base image").

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
    Needs,
    RuleMeta,
    Severity,
    Target,
    Violation,
    rule,
)
from pylint_image.rules._shared.layers import INHERITED, at_layer, base_layers, path_list, still_shipped

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


def _secret(image: Image, layer: int, path: str) -> str | None:
    """Return what kind of secret layer ``layer``'s copy of ``path`` holds, or None."""
    if _BY_NAME.search(path):
        return "gcloud credentials"
    if not image.has_content_in_layer(layer, path) or _EXEMPT.search(path):
        return None
    data = image.read_in_layer(layer, path)
    if _KEY_FILES.search(path) and _PRIVATE_KEY.search(data):
        return "private key"
    for name, content, label in _CONTENT_RULES:
        if name.search(path) and content.search(data):
            return label
    return None


def _found(image: Image) -> Iterator[tuple[int, str, str, str]]:
    """(layer, path reported, path of the copy, what) for every secret of every layer."""
    for layer in image.layers:
        seen: set[str] = set()
        contents = layer.contents
        for entry in layer.entries:
            # A cheap test first: only a file whose bytes were loaded (NEEDS), a git HEAD or
            # gcloud's file can be a finding, and a layer holds thousands of other files.
            if (entry.path not in contents and "/.git/HEAD" not in entry.path
                    and "application_default_credentials.json" not in entry.path):
                continue
            if entry.path in seen:
                continue  # a duplicate entry: the layer's last copy is the one loaded
            seen.add(entry.path)
            if entry.path.endswith("/.git/HEAD"):
                # HEAD, not the directory entry: tars may omit directory entries.
                repo = posixpath.dirname(entry.path)
                yield layer.index, repo, entry.path, "a git repository (history, remotes, maybe credentials)"
            elif entry.kind.value == "file":
                label = _secret(image, layer.index, entry.path)
                if label:
                    yield layer.index, entry.path, entry.path, label


def check(image: Image, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per secret-bearing file and `.git` directory of each layer."""
    base = base_layers(ctx)
    fates = image.files.fates()
    inherited: dict[str, int] = {}
    for layer, path, copy, label in _found(image):
        fate = fates.get((layer, copy))
        fate = fate if fate is not None and fate.by_layer != layer else None
        if layer in base:
            gone = f", {'deleted' if fate.deleted else 'overwritten'} by layer {fate.by_layer}" if fate else ""
            inherited[f"{path} ({label}{gone})"] = layer
            continue
        where = still_shipped(fate, layer) or f" (added by layer {layer})"
        yield Violation(at_layer(image, ctx, layer, path), f"{path}: {label}{where}")
    if inherited:
        count = f"{len(inherited)} secret{'s' if len(inherited) > 1 else ''}"
        yield Violation(at_layer(image, ctx, min(inherited.values())),
                        f"{count} {INHERITED}: {path_list(inherited)}")


RULE = rule(meta=RuleMeta(code="IM2003", name="secret-in-image", severity=Severity.ERROR,
                          target=Target.IMAGE, summary="A private key, token or credential file is in the image",
                          fix_title="Use build secrets (RUN --mount=type=secret) and .dockerignore",
                          tags=frozenset({"security"}), needs=NEEDS,
                          security_severity=8.0),
            check=check)
