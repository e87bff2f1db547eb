"""## What it does
Flags regular files in the final image with the setuid or setgid bit, reported at the
layer (and Dockerfile line) that added them.  With `--dockerfile`, the ones the base image
brought are one finding at the `FROM` line ("inherited from the base image") listing them;
a file your own instructions made setuid (or changed) is a finding of its own at that line.

## Why is this bad?
A setuid binary runs with its owner's privileges whatever user starts it: one bug in it is
a privilege escalation to root inside the container.  Most containers need none of them
(`su`, `passwd`, `mount`, `newgrp` come with the base image and are never used).

## Example
```dockerfile
FROM debian:12
COPY --chmod=4755 tool /usr/local/bin/tool
```

## Use instead
```dockerfile
FROM debian:12
COPY --chmod=0755 tool /usr/local/bin/tool
RUN find / -xdev -perm /6000 -type f -exec chmod a-s {} + || true
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
    """Yield one violation per setuid/setgid file the user's layers made, and one for the base's."""
    base = base_layers(ctx)
    inherited: dict[str, int] = {}
    # The few entries with the bits, in walk order: cheaper than walking every entry.
    files = image.files
    for entry in files.in_walk_order(e for e in files.entries.values() if e.mode & 0o6000):
        if entry.kind.value != "file":
            continue
        bits = " and ".join(b for b, m in (("setuid", 0o4000), ("setgid", 0o2000)) if entry.mode & m)
        if entry.layer_index in base:
            inherited[f"{entry.path} ({bits})"] = entry.layer_index
            continue
        yield Violation(at_layer(image, ctx, entry.layer_index, entry.path),
                        f"{entry.path} is {bits} (mode {entry.mode & 0o7777:04o}, owner uid {entry.uid})")
    if inherited:
        count = f"{len(inherited)} setuid/setgid file{'s' if len(inherited) > 1 else ''}"
        yield Violation(at_layer(image, ctx, min(inherited.values())),
                        f"{count} {INHERITED}: {path_list(inherited)}")


RULE = rule(meta=RuleMeta(code="IM2001", name="setuid-file", severity=Severity.WARNING,
                          target=Target.IMAGE, summary="A file in the image has the setuid or setgid bit",
                          fix_title="Remove the setuid/setgid bit (chmod a-s)",
                          tags=frozenset({"security"})),
            check=check)
