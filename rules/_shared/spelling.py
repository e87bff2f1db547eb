"""Near-miss names (``PAHT`` for ``PATH``), for "did you mean" hints."""

from __future__ import annotations

from collections.abc import Iterable


def close(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by one edit or one swap of neighbours (and are not tiny)."""
    if a == b or min(len(a), len(b)) < 4 or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def suggest(name: str, candidates: Iterable[str]) -> str | None:
    """The first candidate that is a near-miss of ``name``, if any."""
    return next((c for c in candidates if close(name, c)), None)
