r"""## What it does
Compares the image's size with a stored baseline (option `baseline-bytes`, which the CLI
fills from `--baseline FILE`) and flags growth over `max-growth-percent` (default 10%).
Without a baseline it does nothing.  The size is Docker's, as `docker image ls` and
`docker image inspect --format '{{.Size}}'` show it and as `image-too-large` (IM3001) and
the layer table count it: the files of every layer, not the tar streams' length (1-2%
more, and 3-6 KiB for a layer Docker calls 0B).

A baseline file written before sizes were Docker's recorded the tar streams' length
(docs/baseline.md): the CLI then sets `baseline-tar-bytes`, the rule compares that figure
with this image's tar bytes (never a tar figure with a Docker one), the finding says so,
and a note asks to write the file again.

## Why is this bad?
Images grow a few megabytes at a time until pulls are slow and storage costs add up; a
size budget relative to the last release catches the change that caused it in review.

## Example
```dockerfile
FROM debian:12-slim
RUN apt-get update && apt-get install -y curl vim git
```

## Use instead
```dockerfile
FROM debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*
```

## Options
- `baseline-bytes` (default 0: no baseline): the size of the reference image, in bytes, as
  Docker counts it (`docker image inspect --format '{{.Size}}'`).
- `max-growth-percent` (default 10): allowed growth over the baseline; growth of exactly
  this much is allowed.
- `baseline-tar-bytes` (default false): `baseline-bytes` is the length of the layers' tar
  streams (what baseline files recorded before), compared with this image's tar bytes.
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
    """Settings of image-size-regression."""

    baseline_bytes: int = 0
    max_growth_percent: float = 10.0
    baseline_tar_bytes: bool = False  # an old baseline's figure: the tar streams' length, not Docker's size


def check(image: Image, ctx: Context) -> Iterator[Violation]:
    """Yield one violation when the image grew more than allowed over the baseline."""
    opts = ctx.options or Options()
    if opts.baseline_bytes <= 0 or not image.layers:
        return
    # Like with like: Docker's size, or the tar bytes an old baseline file recorded.
    size = image.size if opts.baseline_tar_bytes else image.content_size
    growth = (size - opts.baseline_bytes) * 100.0 / opts.baseline_bytes
    if growth <= opts.max_growth_percent:
        return
    measure = " of tar-stream bytes, as the baseline recorded them" if opts.baseline_tar_bytes else ""
    top = image.layers[-1]
    yield Violation(ImageLocation(ctx.image_name or image.ref, None, top.diff_id),
                    f"image grew {growth:.1f}% over its baseline ({docker_size(opts.baseline_bytes)} "
                    f"-> {docker_size(size)}{measure}), more than the "
                    f"{opts.max_growth_percent:g}% allowed")


RULE = rule(meta=RuleMeta(code="IM3002", name="image-size-regression", severity=Severity.WARNING,
                          target=Target.IMAGE, summary="The image grew more than allowed over its baseline",
                          fix_title="Find the layer that grew (see the layer table) and slim it",
                          tags=frozenset({"image-size"}), options=Options),
            check=check)
