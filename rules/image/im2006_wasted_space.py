"""## What it does
Flags bytes that ship in the image but are invisible in its final filesystem: files that a
later layer overwrites or deletes (dive's "wasted space").  It judges dive's three CI
figures with dive's thresholds and defaults, and fails exactly when `dive --ci` would:

- efficiency under `min-efficiency` (dive's `lowestEfficiency`, default 0.9): the sum over
  paths of their smallest copy / the sum of all copies of every path in every layer;
- wasted bytes over `max-wasted-bytes` (dive's `highestWastedBytes`, default disabled):
  all copies of every path that more than one layer holds or deletes;
- wasted bytes / the bytes of every layer but the first over `max-user-wasted-percent`
  (dive's `highestUserWastedPercent`, default 0.1, a ratio).

The finding names the top wasted paths, at the layer that added most of them.  A `.dive-ci`
file sets these thresholds with dive's syntax (`pylint-image image --dive-ci FILE`, or
`.dive-ci` found next to `--dockerfile` or in the current directory, as dive finds it).

dive does not count a deleted directory (`rm -rf /dir` leaves one whiteout for `/dir`) nor an
opaque directory (emptied and re-made in one layer): its files still ship.  By default this
rule counts them as deleted files (`count-deleted-directories`); with a `.dive-ci` it counts
as dive does, so that the verdict is dive's.

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
- `min-efficiency` (default 0.9; 0 disables), `max-wasted-bytes` (default -1: disabled),
  `max-user-wasted-percent` (default 0.1, a ratio; negative disables), as dive's CI rules.
- `count-deleted-directories` (default true): count files under deleted and opaque
  directories as wasted (dive does not; a `.dive-ci` turns it off).
- `top` (default 5): how many paths the message names.

## References
- [dive's CI integration](https://github.com/wagoodman/dive#ci-integration)
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

    min_efficiency: float = 0.9
    max_wasted_bytes: int = -1
    max_user_wasted_percent: float = 0.1
    count_deleted_directories: bool = True
    top: int = 5


def check(image: Image, ctx: Context) -> Iterator[Violation]:
    """Yield one violation when dive's CI rules would fail on this image."""
    from pylint_image.linter import dive_analysis

    opts = ctx.options or Options()
    dive = dive_analysis(image, opts.count_deleted_directories)
    failed = []
    # The comparisons are dive's: a NaN threshold (or figure) never fails.
    if opts.min_efficiency > dive.efficiency:
        failed.append(f"efficiency {dive.efficiency:.1%} < {opts.min_efficiency:g}")
    if opts.max_wasted_bytes >= 0 and dive.wasted_bytes > opts.max_wasted_bytes:
        failed.append(f"wasted bytes {dive.wasted_bytes} > {opts.max_wasted_bytes}")
    if opts.max_user_wasted_percent >= 0 and dive.wasted_user_percent > opts.max_user_wasted_percent:
        failed.append(f"user wasted {dive.wasted_user_percent:.1%} > {opts.max_user_wasted_percent:g}")
    if not failed or not dive.inefficiencies:
        return
    by_layer: Counter[int] = Counter()
    for item in dive.inefficiencies:
        for index, size in zip(item.layers, item.sizes):
            by_layer[index] += size
    origin = image.layers[max(by_layer, key=lambda i: (by_layer[i], -i))]
    paths = ", ".join(f"{s.path} ({s.size / 2**20:.2f} MiB, {'deleted' if s.deleted else 'overwritten'} "
                      f"in layer {s.layers[-1]})" for s in dive.inefficiencies[: opts.top])
    yield Violation(ImageLocation(ctx.image_name or image.ref, None, origin.diff_id),
                    f"{dive.wasted_bytes / 2**20:.2f} MiB wasted by later overwrites or deletes "
                    f"(efficiency {dive.efficiency:.1%}, {_percent(dive.wasted_user_percent)} of the bytes "
                    f"added after the first layer); fails {'; '.join(failed)}; top: {paths}")


def _percent(value: float) -> str:
    return "all" if value == float("inf") else f"{value:.1%}"


RULE = rule(meta=RuleMeta(code="IM2006", name="wasted-space", severity=Severity.WARNING,
                          target=Target.IMAGE, summary="Later layers overwrite or delete bytes that still ship",
                          fix_title="Delete files in the same RUN that creates them",
                          tags=frozenset({"image-size"}), options=Options),
            check=check)
