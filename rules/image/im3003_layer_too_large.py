r"""## What it does
Flags a layer that adds more than `max-bytes` (default 256 MiB) or more than
`max-share` of the image (default 0.6, only for images over 64 MiB), and names its
biggest files and directories.  Sizes are Docker's (`docker history`: the layer's files,
not its tar stream's length).

## Why is this bad?
One huge layer is re-downloaded whole whenever anything in it changes, and usually means a
`RUN` that downloads, builds and leaves everything behind in a single step.

## Example
```dockerfile
FROM debian:12
RUN curl -o /opt/sdk.tar.gz https://example.com/sdk.tar.gz && tar -xzf /opt/sdk.tar.gz -C /opt
```

## Use instead
```dockerfile
FROM debian:12
RUN curl -o /tmp/sdk.tar.gz https://example.com/sdk.tar.gz \
    && tar -xzf /tmp/sdk.tar.gz -C /opt && rm /tmp/sdk.tar.gz
```

## Options
- `max-bytes` (default 268435456), `max-share` (default 0.6), `top` (default 3).
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterator
from operator import attrgetter
from typing import TYPE_CHECKING

from pylint_image.linter import (
    Context,
    FileKind,
    ImageLocation,
    RuleMeta,
    Severity,
    Target,
    Violation,
    docker_size,
    rule,
)
from pylint_image.rules._shared import frozen

if TYPE_CHECKING:
    from pylint_image.linter import Image

_MIN_IMAGE_FOR_SHARE = 64 << 20  # shares of tiny images are noise


@frozen
class Options:
    """Settings of layer-too-large."""

    max_bytes: int = 256 << 20
    max_share: float = 0.6
    top: int = 3


def check(image: Image, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per oversized layer with its top files and directories."""
    opts = ctx.options or Options()
    sizes = [layer.content_size for layer in image.layers]
    total = sum(sizes)
    for layer, size in zip(image.layers, sizes):
        share = size / total if total else 0.0
        too_big = size > opts.max_bytes
        if not too_big and not (total > _MIN_IMAGE_FOR_SHARE and share > opts.max_share):
            continue
        # nlargest is sorted(..., reverse=True)[:top], ties in the same order, without the full sort.
        files = heapq.nlargest(opts.top, [e for e in layer.entries if e.kind is FileKind.FILE],
                               key=attrgetter("size"))
        totals: dict[str, int] = {}   # every entry's directory, in first-seen order (0-byte ones too)
        total_of = totals.get
        for e in layer.entries:
            # posixpath.dirname, for the normal absolute paths of the model, at a fraction of its cost
            where = e.path.rpartition("/")[0] or "/"
            totals[where] = total_of(where, 0) + e.size
        dirs = Counter(totals)
        tops = ", ".join(f"{e.path} ({docker_size(e.size)})" for e in files)
        top_dirs = ", ".join(f"{d} ({docker_size(n)})" for d, n in dirs.most_common(opts.top))
        yield Violation(ImageLocation(ctx.image_name or image.ref, None, layer.diff_id),
                        f"layer {layer.index} adds {docker_size(size)} ({share:.0%} of the image); "
                        f"top files: {tops or 'none'}; top directories: {top_dirs or 'none'}")


RULE = rule(meta=RuleMeta(code="IM3003", name="layer-too-large", severity=Severity.INFO,
                          target=Target.IMAGE, summary="One layer adds too much of the image",
                          fix_title="Split the step, or clean up in the same RUN that downloads",
                          tags=frozenset({"image-size"}), options=Options),
            check=check)
