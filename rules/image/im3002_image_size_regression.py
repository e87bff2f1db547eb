r"""## What it does
Compares the image's uncompressed size with a stored baseline (option `baseline-bytes`,
which the CLI fills from `--baseline FILE`) and flags growth over `max-growth-percent`
(default 10%).  Without a baseline it does nothing.

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
- `baseline-bytes` (default 0: no baseline): the size of the reference image.
- `max-growth-percent` (default 10): allowed growth over the baseline.
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


def check(image: Image, ctx: Context) -> Iterator[Violation]:
    """Yield one violation when the image grew more than allowed over the baseline."""
    opts = ctx.options or Options()
    if opts.baseline_bytes <= 0 or not image.layers:
        return
    growth = (image.size - opts.baseline_bytes) * 100.0 / opts.baseline_bytes
    if growth <= opts.max_growth_percent:
        return
    top = image.layers[-1]
    yield Violation(ImageLocation(ctx.image_name or image.ref, None, top.diff_id),
                    f"image grew {growth:.1f}% over its baseline ({opts.baseline_bytes / 2**20:.1f} "
                    f"-> {image.size / 2**20:.1f} MiB), more than the "
                    f"{opts.max_growth_percent:g}% allowed")


RULE = rule(meta=RuleMeta(code="IM3002", name="image-size-regression", severity=Severity.WARNING,
                          target=Target.IMAGE, summary="The image grew more than allowed over its baseline",
                          fix_title="Find the layer that grew (see the layer table) and slim it",
                          tags=frozenset({"image-size"}), options=Options),
            check=check)
