"""Sizes in the words of Docker: what ``docker image ls`` and ``docker history`` print.

The docker CLI formats both with go-units ``HumanSizeWithPrecision(size, 3)``: decimal units
(1 kB = 1000 B), three significant digits with Go's ``%g`` (``1.98MB``, ``117MB``, and
``1e+03kB`` for 999,999 bytes, as Go prints it), no space.  The layer table of
``pylint-image image`` and the image-size rules' messages use this one function, so a figure
reads the same there as in Docker's own output.
"""

from __future__ import annotations

__all__ = ["docker_size"]

_UNITS = ("B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")


def docker_size(n: float) -> str:
    """A size as the docker CLI prints it (go-units ``HumanSizeWithPrecision(n, 3)``): ``1.98MB``, ``0B``."""
    value, unit = float(n), 0
    # go-units getSizeAndUnit: divide while at least one unit more, up to the last unit.
    while value >= 1000.0 and unit < len(_UNITS) - 1:
        value /= 1000.0
        unit += 1
    # Python's "g" and Go's %g agree: precision 3, exponent form below 1e-4 or at 1e3 and up.
    return f"{value:.3g}{_UNITS[unit]}"
