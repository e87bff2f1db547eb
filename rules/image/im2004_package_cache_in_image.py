"""## What it does
Flags package-manager caches in the image (apt lists and archives, apk cache, pip, npm and
yarn caches, `__pycache__` directories): one finding per cache and layer, at the layer (and
Dockerfile line) that added it, with the bytes that layer added.  Caches a later layer
deleted are counted too: deleting them later does not remove them from the earlier layer.
With `--dockerfile`, what the base image brought is one finding per cache at the `FROM`
line ("inherited from the base image"), so your `RUN` line is blamed only for the bytes its
own layer added.  Findings under `min-bytes` (default 512 KiB) are ignored.

## Why is this bad?
Caches are only useful while building; in the image they are dead weight on every pull,
and stale apt lists can make later `apt-get install` layers install outdated packages.

## Example
```dockerfile
FROM python:3.12-slim
RUN pip install -r requirements.txt
```

## Use instead
```dockerfile
FROM python:3.12-slim
RUN pip install --no-cache-dir -r requirements.txt
```

## Options
- `min-bytes` (default 524288).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import TYPE_CHECKING

from pylint_image.linter import (
    Context,
    RuleMeta,
    Severity,
    Target,
    Violation,
    rule,
)
from pylint_image.rules._shared import frozen
from pylint_image.rules._shared.layers import INHERITED, at_layer, base_layers

if TYPE_CHECKING:
    from pylint_image.linter import Image

_CACHES = (
    ("apt lists", re.compile(r"^/var/lib/apt/lists/(?!lock$|partial/?$)")),
    ("apt archives", re.compile(r"^/var/cache/apt/")),
    ("apk cache", re.compile(r"^/var/cache/apk/")),
    ("pip cache", re.compile(r"^/(root|home/[^/]+)/\.cache/pip/")),
    ("npm cache", re.compile(r"^/(root|home/[^/]+)/\.npm/")),
    ("yarn cache", re.compile(r"^(/usr/local/share/\.cache/yarn/|/(root|home/[^/]+)/\.cache/yarn/)")),
    ("__pycache__", re.compile(r"/__pycache__/")),
)
# A path can match one of the patterns only if it starts with one of these or holds
# /__pycache__/: a cheap test first, as most of an image's files match none.
_ROOTS = ("/var/", "/root/", "/home/", "/usr/local/share/")


@frozen
class Options:
    """Settings of package-cache-in-image."""

    min_bytes: int = 512 << 10


def _label(path: str) -> str | None:
    return next((label for label, pattern in _CACHES if pattern.search(path)), None)


def check(image: Image, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per cache kind and layer (the base's layers as one) over the size floor."""
    floor = (ctx.options or Options()).min_bytes
    base = base_layers(ctx)
    fates = image.files.fates()
    sizes: Counter[tuple[int, str]] = Counter()
    gone: Counter[tuple[int, str]] = Counter()
    removers: dict[tuple[int, str], set[int]] = defaultdict(set)
    first: dict[tuple[int, str], int] = {}
    for layer in image.layers:
        group = -1 if layer.index in base else layer.index
        for entry in layer.entries:
            path = entry.path
            if not (path.startswith(_ROOTS) or "/__pycache__/" in path) or entry.kind.value != "file":
                continue
            label = _label(path)
            if label is None:
                continue
            key = (group, label)
            first.setdefault(key, layer.index)
            sizes[key] += entry.size
            fate = fates.get((layer.index, entry.path))
            if fate is not None and fate.by_layer != layer.index:
                gone[key] += entry.size
                removers[key].add(fate.by_layer)
    for (group, label), size in sizes.items():
        if size < floor or size == 0:
            continue
        at = first[(group, label)]
        if group < 0:
            message = f"{label} {INHERITED}: {_mib(size)}"
        else:
            message = f"{label} left in the image: {_mib(size)} added by layer {at}"
        if gone[(group, label)]:
            by = sorted(removers[(group, label)])
            later = ("layer " if len(by) == 1 else "layers ") + ", ".join(str(i) for i in by)
            where = "the base image's layers" if group < 0 else f"layer {at}"
            message += (f" ({_mib(gone[(group, label)])} of it deleted or overwritten by "
                        f"{later} but still in {where}: deleting it later does not remove it "
                        "from the image)")
        yield Violation(at_layer(image, ctx, at), message)


def _mib(size: int) -> str:
    return f"{size / 2**20:.2f} MiB"


RULE = rule(meta=RuleMeta(code="IM2004", name="package-cache-in-image", severity=Severity.WARNING,
                          target=Target.IMAGE, summary="Package-manager caches are left in the image",
                          fix_title="Clean the cache in the same RUN (or use --no-cache)",
                          tags=frozenset({"image-size"}), options=Options),
            check=check)
