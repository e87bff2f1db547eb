"""The built-in rules: an explicit tuple sorted by code, exposed as the ``pylint_image.rules`` entry point."""

from __future__ import annotations

from .dockerfile import df0001_parse_error, df0002_unused_suppression

BUILTIN_RULES = (
    df0001_parse_error.RULE,
    df0002_unused_suppression.RULE,
)

# Tombstones: codes that were removed, with the version and the reason; never reuse them.
REMOVED_CODES: dict[str, str] = {}
