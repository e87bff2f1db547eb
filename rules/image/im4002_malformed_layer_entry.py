"""## What it does
Flags layer entries that no ordinary build makes and that tools read differently: sparse
members (`sparse-file`: the declared size is not what is stored), the same path twice in
one layer (`duplicate-entry`: which copy wins depends on the tool), hard links to a path
no layer has (`hardlink-missing-target`) and whiteouts that delete a path no lower layer
has (`whiteout-of-missing-path`).  Each finding names the kind, the layer and the path, at
the Dockerfile line that made the layer when `--dockerfile` is given.

## Why is this bad?
Tools that disagree about a layer see different files: a scanner can pass what the
runtime unpacks differently, and a sparse member can declare terabytes that fill the disk
of whoever expands it.  At best the layer was written by a broken tool.

## Example
```dockerfile
FROM scratch
# odd.tar holds etc/passwd twice and a hard link to a file it does not contain
ADD odd.tar /
```

## Use instead
```dockerfile
FROM scratch
# a tar made with `tar -C rootfs -cf rootfs.tar .`
ADD rootfs.tar /
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pylint_image.linter import Context, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared.anomalies import anomaly_violations

if TYPE_CHECKING:
    from pylint_image.linter import Image

WORDING = {
    "sparse-file": "a sparse tar member (the size it declares is not stored)",
    "duplicate-entry": "the same path twice in one layer (tools disagree on which copy wins)",
    "hardlink-missing-target": "a hard link to a path no layer up to this one has",
    "whiteout-of-missing-path": "a whiteout deleting a path no lower layer has",
}


def check(image: Image, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per malformed entry the reader recorded."""
    yield from anomaly_violations(image, ctx, WORDING)


RULE = rule(meta=RuleMeta(code="IM4002", name="malformed-layer-entry", severity=Severity.WARNING,
                          target=Target.IMAGE,
                          summary="A layer has an entry tools read differently (duplicate, sparse, dangling)",
                          fix_title="Rebuild the layer with an ordinary builder or tar",
                          tags=frozenset({"security"})),
            check=check)
