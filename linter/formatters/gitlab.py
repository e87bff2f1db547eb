"""GitLab Code Quality: one JSON array of issues, for ``artifacts: reports: codequality:``.

GitLab reads a subset of the Code Climate issue (docs.gitlab.com, "Code Quality report
format"): ``description``, ``check_name``, ``fingerprint``, ``severity`` (info, minor, major,
critical, blocker) and ``location.path`` with ``location.lines.begin``, and ignores the rest
of the spec's fields, which are kept (``type``, ``categories``, ``content`` with the docs link).
Paths are relative to the repository root, as GitLab resolves them; the fingerprint has no
line number, so a finding that only moved is not "new" in a merge request.  An empty report
is ``[]``.  Suppressed findings are left out.  See docs/ci/gitlab.md.
"""

from __future__ import annotations

from typing import TextIO

from ..report import Report
from . import _ci
from .codeclimate import issues


class GitlabFormatter:
    """Renders the visible findings as a GitLab Code Quality report."""

    name = "gitlab"
    keeps_suppressed = False

    def __init__(self, *, color: bool | None = None, concise: bool = False) -> None:
        self.color = color  # accepted for the common constructor; JSON has no colour
        self.concise = concise  # compact single-line JSON when True

    def render(self, report: Report, stream: TextIO) -> None:
        """Write the array followed by a newline."""
        stream.write(_ci.json_dumps(issues(report, positions=False), indent=None if self.concise else 2))
        stream.write("\n")
