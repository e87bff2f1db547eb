"""BuildKit's ``# check=`` parser directive: which build checks a Dockerfile switched off.

``# check=skip=FromAsCasing,StageNameCasing;error=true`` skips the named checks;
``skip=all`` skips every check.  Rules that carry a BuildKit check name as an alias
ask ``skipped`` so that a file tuned for ``docker build --check`` stays quiet here too.
"""

from __future__ import annotations

from pylint_image.linter import Dockerfile


def _skip_list(directive: str) -> frozenset[str]:
    """Return the lower-cased names in the ``skip=`` part of a check directive."""
    for part in directive.split(";"):
        key, _, value = part.partition("=")
        if key.strip().lower() == "skip":
            return frozenset(name.strip().lower() for name in value.split(",") if name.strip())
    return frozenset()


def skipped(dockerfile: Dockerfile, check_name: str) -> bool:
    """True when the file's ``# check=skip=...`` directive switches off BuildKit check ``check_name``."""
    directive = dockerfile.directives.check
    if not directive:
        return False
    names = _skip_list(directive)
    return "all" in names or check_name.lower() in names
