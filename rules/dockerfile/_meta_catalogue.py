"""Instruction, stage, metadata and COPY/ADD rules of the catalogue (issue 5): an explicit tuple, merged into BUILTIN_RULES."""

from __future__ import annotations

from . import (
    df4002_add_instead_of_copy,
)

META_RULES: tuple = (
    df4002_add_instead_of_copy.RULE,
)
