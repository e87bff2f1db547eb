"""The Report: the one object every formatter consumes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING

from .findings import Finding, Notification
from pylint_image.linter.model.frozen import frozen

if TYPE_CHECKING:
    from .ruleapi import Rule


def tool_version() -> str:
    """The installed pylint-image's version, which every Report states."""
    from .plugins import dist_version  # lazily: building or rendering a Report needs no plugin machinery

    return dist_version("pylint-image") or "0+unknown"


@frozen
class Table:
    """A titled table a command wants shown (image layers, probe results); rows are strings."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    # Optional per-row numeric value in [0, 1] the text formatter draws as a bar.
    bars: tuple[float, ...] = ()


@frozen
class Report:
    """Findings, notifications, the rules that ran and the targets that were examined."""

    findings: tuple[Finding, ...]
    notifications: tuple[Notification, ...]
    rules: tuple[Rule, ...]
    targets: tuple[str, ...]
    tool_version: str
    root: Path = field(default_factory=Path.cwd)  # paths are shown relative to this
    timings: Mapping[str, float] = field(default_factory=dict)
    tables: Sequence[Table] = ()
    sources: Mapping[str, str] = field(default_factory=dict)  # path -> text, for code frames

    def visible(self) -> tuple[Finding, ...]:
        """Findings that are not suppressed."""
        return tuple(f for f in self.findings if f.suppressed is None)

    def rule_by_code(self, code: str) -> Rule | None:
        """Find a rule that ran, by code."""
        for r in self.rules:
            if r.meta.code == code:
                return r
        return None
