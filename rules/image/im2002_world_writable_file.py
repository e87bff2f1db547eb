"""## What it does
Flags world-writable regular files, and world-writable directories without the sticky bit,
in the final image (symlinks are always `0777` and are ignored), at the layer (and
Dockerfile line) that gave them that mode.  With `--dockerfile`, the ones the base image
brought are one finding at the `FROM` line ("inherited from the base image").

Only the final filesystem is judged: a world-writable file that a later layer deletes or
`chmod`s is still in the earlier layer's bytes, but no process in a container can write
it (its wasted bytes are `wasted-space`'s business).

## Why is this bad?
Any user in the container (or any process after a compromise) can replace a world-writable
file, or delete and replace other users' files in a non-sticky world-writable directory:
scripts, configs and binaries run by root become attacker-controlled.

## Example
```dockerfile
FROM debian:12
RUN mkdir /shared && chmod 0777 /shared
```

## Use instead
```dockerfile
FROM debian:12
RUN mkdir /shared && chmod 1777 /shared
```
"""

from __future__ import annotations

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
from pylint_image.rules._shared.layers import INHERITED, at_layer, base_layers, path_list

if TYPE_CHECKING:
    from pylint_image.linter import Image


def check(image: Image, ctx: Context) -> Iterator[Violation]:
    """Yield world-writable files and non-sticky world-writable directories."""
    base = base_layers(ctx)
    inherited: dict[str, int] = {}
    # The few world-writable entries, in walk order: cheaper than walking every entry.
    files = image.files
    for entry in files.in_walk_order(e for e in files.entries.values() if e.mode & 0o002):
        kind = entry.kind.value
        if kind not in ("file", "dir"):
            continue
        if kind == "dir" and entry.mode & 0o1000:
            continue  # sticky: users cannot remove each other's files (/tmp is fine)
        if entry.layer_index in base:
            inherited[f"{entry.path} ({entry.mode & 0o7777:04o})"] = entry.layer_index
            continue
        what = "directory without the sticky bit" if kind == "dir" else "file"
        yield Violation(at_layer(image, ctx, entry.layer_index, entry.path),
                        f"{entry.path} is a world-writable {what} (mode {entry.mode & 0o7777:04o})")
    if inherited:
        count = f"{len(inherited)} world-writable path{'s' if len(inherited) > 1 else ''}"
        yield Violation(at_layer(image, ctx, min(inherited.values())),
                        f"{count} {INHERITED}: {path_list(inherited)}")


RULE = rule(meta=RuleMeta(code="IM2002", name="world-writable-file", severity=Severity.WARNING,
                          target=Target.IMAGE, summary="A file or non-sticky directory is world-writable",
                          fix_title="Drop the world-write bit, or add the sticky bit to directories",
                          tags=frozenset({"security"})),
            check=check)
