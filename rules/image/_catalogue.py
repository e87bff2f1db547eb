"""Image rules (target IMAGE): an explicit tuple, merged into BUILTIN_RULES."""

from __future__ import annotations

IMAGE_RULES: tuple = ()
