"""## What it does
Flags layer entries that attack whoever unpacks the image: tar names that climb out of
the root with `..` (`path-traversal`) or are absolute (`absolute-path`), hard links whose
target is above the root (`hardlink-escapes-root`), relative symlinks that climb above it
(`symlink-escapes-root`), device nodes (`device-file`; the standard ones every container
gets anyway, `/dev/null` 1:3, `zero` 1:5, `full` 1:7, `random` 1:8, `urandom` 1:9, `tty`
5:0, `console` 5:1 and `ptmx` 5:2, are not flagged) and entries of no known tar type
(`unknown-type`).  Each finding names the kind, the layer and the path, at the Dockerfile
line that made the layer when `--dockerfile` is given.  Nothing is ever extracted to find
them: the layers are read as streams.

## Why is this bad?
No builder makes these entries: they are crafted.  Docker confines them, but other tools
that unpack image layers (CI scripts running `tar -x`, scanners, older runtimes) can be
made to overwrite files outside their target directory, follow a link onto the host, or
create a node giving raw access to a disk or to kernel memory.

## Example
```dockerfile
FROM scratch
# evil.tar holds ../../etc/cron.d/job and dev/sda (block 8:0)
ADD evil.tar /
```

## Use instead
```dockerfile
FROM scratch
# a tar made with `tar -C rootfs -cf rootfs.tar .`: relative names, no devices
ADD rootfs.tar /
```
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pylint_image.linter import Context, RuleMeta, Severity, Target, Violation, rule
from pylint_image.rules._shared.anomalies import anomaly_violations

if TYPE_CHECKING:
    from pylint_image.linter import Image

WORDING = {
    "path-traversal": "the tar name climbs out of the image root (a tool that trusts it writes "
                      "outside its target; this entry is left out of the image's files)",
    "absolute-path": "the tar name is absolute (a tool that trusts it writes outside its target)",
    "hardlink-escapes-root": "a hard link to a target above the image root",
    "symlink-escapes-root": "a relative symlink that climbs above the image root",
    "device-file": "a device node (raw access to whatever device it names)",
    "unknown-type": "a tar entry of no known type (left out of the image's files)",
}
# The nodes every container gets from its runtime: one in the image grants nothing more.
_STANDARD = frozenset({("char", 1, 3), ("char", 1, 5), ("char", 1, 7), ("char", 1, 8),
                       ("char", 1, 9), ("char", 5, 0), ("char", 5, 1), ("char", 5, 2)})
_DEVICE = re.compile(r"^(char|block) (\d+):(\d+)$")


def _hostile(anomaly: Any) -> bool:
    if anomaly.kind != "device-file":
        return True
    match = _DEVICE.match(anomaly.detail)
    return not match or (match[1], int(match[2]), int(match[3])) not in _STANDARD


def check(image: Image, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per hostile entry the reader recorded."""
    yield from anomaly_violations(image, ctx, WORDING, _hostile)


RULE = rule(meta=RuleMeta(code="IM4001", name="hostile-layer-entry", severity=Severity.ERROR,
                          target=Target.IMAGE,
                          summary="A layer has an entry crafted to escape whoever unpacks it",
                          fix_title="Rebuild the layer from a clean tar (relative names, no devices)",
                          tags=frozenset({"security"}), security_severity=7.5),
            check=check)
