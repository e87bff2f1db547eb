"""Runtime rules (target RUNTIME): an explicit tuple, merged into BUILTIN_RULES."""

from __future__ import annotations

RUNTIME_RULES: tuple = ()
