"""## What it does
Flags world-writable regular files, and world-writable directories without the sticky bit,
in the final image (symlinks are always `0777` and are ignored).

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
    ImageLocation,
    RuleMeta,
    Severity,
    Target,
    Violation,
    rule,
)

if TYPE_CHECKING:
    from pylint_image.linter import Image


def check(image: Image, ctx: Context) -> Iterator[Violation]:
    """Yield world-writable files and non-sticky world-writable directories."""
    for entry in image.files.walk("/"):
        kind = entry.kind.value
        if not entry.mode & 0o002 or kind not in ("file", "dir"):
            continue
        if kind == "dir" and entry.mode & 0o1000:
            continue  # sticky: users cannot remove each other's files (/tmp is fine)
        what = "directory without the sticky bit" if kind == "dir" else "file"
        layer = image.layers[entry.layer_index] if entry.layer_index >= 0 else None
        yield Violation(ImageLocation(ctx.image_name or image.ref, entry.path,
                                      layer.diff_id if layer else None),
                        f"{entry.path} is a world-writable {what} (mode {entry.mode:04o})")


RULE = rule(meta=RuleMeta(code="IM2002", name="world-writable-file", severity=Severity.WARNING,
                          target=Target.IMAGE, summary="A file or non-sticky directory is world-writable",
                          fix_title="Drop the world-write bit, or add the sticky bit to directories",
                          tags=frozenset({"security"})),
            check=check)
