"""## What it does
Flags bytes that ship in the image but are invisible in its final filesystem: files that a
later layer overwrites or deletes (dive's "wasted space").  It fires when the wasted bytes
exceed `max-wasted-bytes` (default 20 MB) or the efficiency (1 - wasted / all bytes the
layers add) drops under `min-efficiency` (default 0.9), like dive's CI mode, and names the
top wasted paths at the layer that added most of them.

## Why is this bad?
A file deleted in a later `RUN` is still in the earlier layer: every pull downloads it.
Clean-up only saves space in the same instruction that created the files.

## Example
```dockerfile
FROM debian:12
RUN apt-get update && apt-get install -y curl
RUN rm -rf /var/lib/apt/lists/*
```

## Use instead
```dockerfile
FROM debian:12
RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*
```

## Options
- `max-wasted-bytes` (default 20000000), `min-efficiency` (default 0.9), `top` (default 5).
"""

from __future__ import annotations

from collections import Counter
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
    """Settings of wasted-space (dive's CI defaults)."""

    max_wasted_bytes: int = 20_000_000
    min_efficiency: float = 0.9
    top: int = 5


def check(image: Image, ctx: Context) -> Iterator[Violation]:
    """Yield one violation when overwritten/deleted bytes exceed the thresholds."""
    opts = ctx.options or Options()
    waste = image.waste()
    wasted_bytes, efficiency = waste.wasted_bytes, waste.efficiency
    if not wasted_bytes:
        return
    if wasted_bytes <= opts.max_wasted_bytes and efficiency >= opts.min_efficiency:
        return
    by_layer: Counter[int] = Counter()
    for s in waste.files:
        by_layer[s.entry.layer_index] += s.entry.size
    origin = image.layers[by_layer.most_common(1)[0][0]]
    top = waste.files[: opts.top]
    paths = ", ".join(f"{s.entry.path} ({s.entry.size / 2**20:.2f} MiB, "
                      f"{'deleted' if s.deleted else 'overwritten'} in layer {s.by_layer})" for s in top)
    yield Violation(ImageLocation(ctx.image_name or image.ref, None, origin.diff_id),
                    f"{wasted_bytes / 2**20:.2f} MiB wasted by later overwrites or deletes "
                    f"(efficiency {efficiency:.1%}); top: {paths}")


RULE = rule(meta=RuleMeta(code="IM2006", name="wasted-space", severity=Severity.WARNING,
                          target=Target.IMAGE, summary="Later layers overwrite or delete bytes that still ship",
                          fix_title="Delete files in the same RUN that creates them",
                          tags=frozenset({"image-size"}), options=Options),
            check=check)
