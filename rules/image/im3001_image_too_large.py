"""## What it does
Flags an image whose size is over a budget, 1 GiB by default (option `max-bytes`).  The
size is Docker's (what `docker image ls` shows: the files of every layer, not the tar
streams' length, as `pylint-image image` shows it in its layer table).  The message gives
sizes in Docker's units, the figures those two print (`1.2GB`, where 1 GB is 1000^3 bytes).

## Why is this bad?
Every pull, push, cold start and vulnerability scan pays for every byte.  Big images
usually carry build toolchains, caches or a full OS that the application never uses.

## Example
```dockerfile
FROM python:3.12
RUN apt-get update && apt-get install -y build-essential
COPY . /app
```

## Use instead
```dockerfile
FROM python:3.12 AS build
RUN pip wheel --wheel-dir /wheels -r requirements.txt
FROM python:3.12-slim
COPY --from=build /wheels /wheels
```

## Options
- `max-bytes` (default 1073741824): the budget in bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pylint_image.linter import (
    Context,
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


@frozen
class Options:
    """Settings of image-too-large."""

    max_bytes: int = 1 << 30


def check(image: Image, ctx: Context) -> Iterator[Violation]:
    """Yield one violation when the image is over budget, naming its biggest layer."""
    budget = (ctx.options or Options()).max_bytes
    size = image.content_size
    if size <= budget or not image.layers:
        return
    sizes = [layer.content_size for layer in image.layers]
    biggest = max(range(len(sizes)), key=lambda i: (sizes[i], -i))
    yield Violation(ImageLocation(ctx.image_name or image.ref, None, image.layers[biggest].diff_id),
                    f"image is {docker_size(size)}, over the {docker_size(budget)} budget; "
                    f"its biggest layer adds {docker_size(sizes[biggest])}")


RULE = rule(meta=RuleMeta(code="IM3001", name="image-too-large", severity=Severity.WARNING,
                          target=Target.IMAGE, summary="The image is larger than its size budget",
                          fix_title="Use a smaller base image or a multi-stage build",
                          tags=frozenset({"image-size"}), options=Options),
            check=check)
