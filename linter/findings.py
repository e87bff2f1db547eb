"""What rules yield (Violation) and what the engine emits (Finding, Notification)."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Union

from .model.span import Span
from pylint_image.linter.model.frozen import frozen


class Severity(enum.Enum):
    """Finding severity; ordered from most to least severe."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    STYLE = "style"

    @property
    def rank(self) -> int:
        """0 for ERROR up to 3 for STYLE (lower is more severe)."""
        return _RANK[self]

    def at_least(self, threshold: Severity) -> bool:
        """True when this severity is as severe as ``threshold`` or more."""
        return self.rank <= threshold.rank

    @property
    def sarif_level(self) -> str:
        """SARIF ``level``: error/warning/note/note (hadolint's mapping)."""
        return {"error": "error", "warning": "warning"}.get(self.value, "note")

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Parse a severity name case-insensitively; raise ValueError when unknown."""
        try:
            return cls(text.strip().lower())
        except ValueError:
            names = ", ".join(s.value for s in cls)
            raise ValueError(f"unknown severity {text!r} (expected one of {names})") from None


_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2, Severity.STYLE: 3}


@frozen
class SourceLocation:
    """A region of a source file (a Dockerfile, a config or spec file)."""

    path: Path
    span: Span


@frozen
class ImageLocation:
    """A place inside an image: optionally a path, the layer and the Dockerfile line that made it."""

    image: str
    path_in_image: str | None = None
    layer_digest: str | None = None
    source: SourceLocation | None = None


@frozen
class RuntimeLocation:
    """A probe run against an image, optionally tied to the Dockerfile line it judges."""

    image: str
    probe: str
    source: SourceLocation | None = None


Location = Union[SourceLocation, ImageLocation, RuntimeLocation]


def source_of(location: Location | None) -> SourceLocation | None:
    """Return the Dockerfile (or other source) location of any location kind, if any."""
    if isinstance(location, SourceLocation):
        return location
    if isinstance(location, (ImageLocation, RuntimeLocation)):
        return location.source
    return None


@frozen
class Edit:
    """Replace the text under ``span`` with ``replacement``."""

    span: Span
    replacement: str


@frozen
class Fix:
    """A set of edits; only ``safe`` fixes are applied by ``--fix``."""

    title: str
    edits: tuple[Edit, ...]
    safe: bool = True


@frozen
class Violation:
    """What a rule yields: where and what; the engine adds code, severity and identity.

    ``where`` is a Span (for Dockerfile rules: a region of the linted file), or a full
    Location (image and runtime rules).  ``tool_ids`` names the finding in other tools'
    vocabularies, exactly (hadolint's ``DL3013`` for a pip package, ShellCheck's ``SC2086``):
    ``--select``/``--ignore``, the config and pragmas that name such an id act on the
    findings carrying it (see selection.py).  ``severity``, when set, is this finding's own
    level (ShellCheck's); the config's severity table still overrides it.
    """

    where: Span | Location
    message: str
    fix: Fix | None = None
    related: tuple[Location, ...] = ()
    tool_ids: tuple[str, ...] = ()
    severity: Severity | None = None


@frozen
class Suppression:
    """Why a finding is suppressed: the pragma that covers it."""

    kind: str  # "inSource" (a pragma) or "external" (config/baseline)
    justification: str
    location: SourceLocation | None = None


@frozen
class Finding:
    """A violation stamped by the engine with the rule's identity and a stable fingerprint."""

    code: str
    name: str
    severity: Severity
    location: Location
    message: str
    fingerprint: str
    fix_hint: str | None = None
    fix: Fix | None = None
    suppressed: Suppression | None = None
    related: tuple[Location, ...] = ()
    tool_ids: tuple[str, ...] = ()  # its ids in other tools: ("DL3013",), ("SC2086",)
    # The rule's foreign aliases, stamped when the finding carries no id of its own and the
    # rule does not declare exact ids: what the formatters show, never used for matching.
    alias_ids: tuple[str, ...] = ()

    @property
    def foreign_ids(self) -> tuple[str, ...]:
        """The other tools' ids for this finding, as shown: its own ids, else its rule's aliases."""
        return self.tool_ids or self.alias_ids

    @property
    def source(self) -> SourceLocation | None:
        """The source-file location of this finding, whatever its kind."""
        return source_of(self.location)

    def sort_key(self) -> tuple:
        """Order by file, line, column, code."""
        src = self.source
        if src is None:
            image = getattr(self.location, "image", "")
            return (image, 0, 0, self.code, self.message)
        return (str(src.path), src.span.start_line, src.span.start_col, self.code, self.message)


@frozen
class Notification:
    """A message about the tool's run rather than the subject (SARIF toolExecutionNotifications).

    Ids in use: ``rule-crashed``, ``input-error``, ``input-skipped``, ``parse-error``, ``plugin-warning``,
    ``source-error``, ``build-error``, ``builder-unavailable``, ``sandbox-unavailable``,
    ``sandbox-required``, ``sandbox-error``, ``sandbox-limited``, ``sandbox-teardown``, ``verify-timeout``,
    ``skipped-not-applicable``, ``tool-unavailable`` (a rule's external program is missing or failed),
    ``baseline`` (what ``--baseline`` hid, and how many recorded findings are gone: linter/baseline.py).
    """

    id: str
    level: str  # "error" | "warning" | "note"
    message: str
    location: Location | None = None
    rule: str | None = None
