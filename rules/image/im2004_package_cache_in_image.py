"""## What it does
Flags package-manager caches left in the final image (apt lists and archives, apk cache,
pip, npm and yarn caches, `__pycache__` directories), one finding per cache with the bytes
it costs, at the layer that added most of it.  Caches under `min-bytes` (default 512 KiB)
are ignored.

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
    ImageLocation,
    RuleMeta,
    Severity,
    Target,
    Violation,
    rule,
)
from pylint_image.rules._shared import frozen

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


@frozen
class Options:
    """Settings of package-cache-in-image."""

    min_bytes: int = 512 << 10


def check(image: Image, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per cache kind over the size floor."""
    floor = (ctx.options or Options()).min_bytes
    sizes: Counter[str] = Counter()
    layers: dict[str, Counter[int]] = defaultdict(Counter)
    for entry in image.files.walk("/"):
        if entry.kind.value != "file":
            continue
        for label, pattern in _CACHES:
            if pattern.search(entry.path):
                sizes[label] += entry.size
                layers[label][entry.layer_index] += entry.size
                break
    for label, size in sizes.items():
        if size < floor or size == 0:
            continue
        layer = image.layers[layers[label].most_common(1)[0][0]]
        yield Violation(ImageLocation(ctx.image_name or image.ref, None, layer.diff_id),
                        f"{label} left in the image: {size / 2**20:.2f} MiB")


RULE = rule(meta=RuleMeta(code="IM2004", name="package-cache-in-image", severity=Severity.WARNING,
                          target=Target.IMAGE, summary="Package-manager caches are left in the image",
                          fix_title="Clean the cache in the same RUN (or use --no-cache)",
                          tags=frozenset({"image-size"}), options=Options),
            check=check)
