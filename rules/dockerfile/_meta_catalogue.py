"""Instruction, stage, metadata and COPY/ADD rules of the catalogue (issue 5): an explicit tuple, merged into BUILTIN_RULES."""

from __future__ import annotations

META_RULES: tuple = ()
