"""One problem seen at several levels is one finding: the Dockerfile's, with the others as related locations.

A rule name may span targets (``runs-as-root`` is DF3002 in the Dockerfile, IM3004 in the
image config and RT3001 at run time). When ``verify`` sees the same problem at more than
one level, the user gets one finding, not three: the one nearest the fix (the Dockerfile's,
else the image's) carries the others as related locations and names the evidence.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from .findings import Finding

# Where a fix is made: the Dockerfile first, then the image, then what was seen running.
_LEVEL = {"DF": 0, "IM": 1, "RT": 2}


def _level(finding: Finding) -> int:
    return _LEVEL.get(finding.code[:2], len(_LEVEL))


def merge_levels(findings: Iterable[Finding]) -> list[Finding]:
    """Fold findings of one rule name seen at several levels into the one nearest the fix."""
    findings = list(findings)
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.suppressed is None and finding.code[:2] in _LEVEL:
            groups.setdefault(finding.name, []).append(finding)
    folded: dict[int, Finding] = {}
    dropped: set[int] = set()
    for group in groups.values():
        if len({_level(f) for f in group}) < 2:
            continue
        group.sort(key=_level)
        primary, others = group[0], [f for f in group[1:] if _level(f) != _level(group[0])]
        evidence = "; ".join(f"{f.code}: {f.message}" for f in others)
        folded[id(primary)] = dataclasses.replace(
            primary, message=f"{primary.message} (also seen: {evidence})",
            related=(*primary.related, *(f.location for f in others)))
        dropped |= {id(f) for f in others}
    return [folded.get(id(f), f) for f in findings if id(f) not in dropped]
