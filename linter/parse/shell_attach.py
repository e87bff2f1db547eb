"""Attaches parsed shell scripts to RUN instructions (filled in once the shell parser lands)."""

from __future__ import annotations

from ..model.dockerfile import Instruction


def attach_shell(ins: Instruction) -> Instruction:
    """Return ``ins`` with its shell script parsed (placeholder: unchanged)."""
    return ins
