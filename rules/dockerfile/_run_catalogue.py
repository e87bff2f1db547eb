"""RUN, package-manager and security rules of the catalogue (issue 5): an explicit tuple, merged into BUILTIN_RULES."""

from __future__ import annotations

RUN_RULES: tuple = ()
