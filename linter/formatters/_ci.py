"""What the CI report formats share (gitlab, codeclimate, checkstyle, junit, sonarqube).

- **Where.** Every finding is placed on a file named relative to the repository root (as SARIF
  and GitHub annotations name it), whatever directory the tool ran in.  An image or runtime
  finding without a Dockerfile line is anchored to the final ``FROM`` line of the linked
  Dockerfile, as SARIF does, and its message names the image; with no Dockerfile at all,
  the image reference stands in for the path (the CI shows it, but cannot open it).
- **Severity.** One table per vocabulary, each keeping our order (error > warning > info > style).
- **Identity.** Fingerprints are ``baseline.fingerprints``: no line number, the same ones the
  baseline and SARIF use; equal keys are numbered, so they are unique within a report.
- **Kind.** A rule's tags say which category (Code Climate) or software quality (Sonar) it is.
- **Text.** ``xml_text`` makes any message safe for XML 1.0, which cannot carry most controls.
"""

from __future__ import annotations

import os
import re
from pathlib import PurePath

from ..findings import Finding, Severity, SourceLocation
from ..model.frozen import frozen
from ..model.span import Span
from ..report import Report
from ..repository import relative_to_root, source_root
from .base import escape_control, image_label, relative_path, source_text

#: GitLab Code Quality and Code Climate: info, minor, major, critical, blocker (blocker unused).
SEVERITY_CODE_QUALITY = {Severity.ERROR: "critical", Severity.WARNING: "major", Severity.INFO: "minor",
                         Severity.STYLE: "info"}
#: Checkstyle: error, warning, info (and ignore, unused).
SEVERITY_CHECKSTYLE = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "info",
                       Severity.STYLE: "info"}
#: Sonar impacts: HIGH, MEDIUM, LOW (what every server since 10.3 accepts; INFO and BLOCKER came later).
SEVERITY_SONAR = {Severity.ERROR: "HIGH", Severity.WARNING: "MEDIUM", Severity.INFO: "LOW", Severity.STYLE: "LOW"}

#: Rule tags, most telling first: (tag, Code Climate category, Sonar software quality, Sonar clean code attribute).
KINDS = (
    ("security", "Security", "SECURITY", "TRUSTWORTHY"),
    ("supply-chain", "Security", "SECURITY", "TRUSTWORTHY"),
    ("correctness", "Bug Risk", "RELIABILITY", "LOGICAL"),
    ("reliability", "Bug Risk", "RELIABILITY", "LOGICAL"),
    ("stability", "Bug Risk", "RELIABILITY", "LOGICAL"),
    ("runtime", "Bug Risk", "RELIABILITY", "LOGICAL"),
    ("signals", "Bug Risk", "RELIABILITY", "LOGICAL"),
    ("shell", "Bug Risk", "RELIABILITY", "LOGICAL"),
    ("reproducibility", "Bug Risk", "RELIABILITY", "COMPLETE"),
    ("portability", "Compatibility", "RELIABILITY", "CONVENTIONAL"),
    ("image-size", "Performance", "MAINTAINABILITY", "EFFICIENT"),
    ("size", "Performance", "MAINTAINABILITY", "EFFICIENT"),
    ("cache", "Performance", "MAINTAINABILITY", "EFFICIENT"),
    ("performance", "Performance", "MAINTAINABILITY", "EFFICIENT"),
    ("style", "Style", "MAINTAINABILITY", "CONVENTIONAL"),
    ("deprecated", "Style", "MAINTAINABILITY", "CONVENTIONAL"),
)
_DEFAULT_KIND = ("", "Clarity", "MAINTAINABILITY", "CLEAR")
_RUNTIME_KIND = ("", "Bug Risk", "RELIABILITY", "LOGICAL")  # a sandbox probe proved the image misbehaves


@frozen
class Placed:
    """A finding as the CI formats show it: a repository-relative path, its span (None: the file), a message."""

    finding: Finding
    path: str  # a file relative to the repository root; the image reference when there is no file
    span: Span | None
    message: str  # the finding's message, after its image when its place is not its own

    @property
    def line(self) -> int:
        """The first line (1 when the finding has no line)."""
        return self.span.start_line if self.span is not None else 1

    @property
    def end_line(self) -> int:
        """The last line (the first line when the finding has no span)."""
        return self.span.end_line if self.span is not None else self.line


def repo_path(path: PurePath | str, report: Report) -> str:
    """A file as SARIF names it: POSIX, relative to the repository root (else as the report shows it)."""
    rel = relative_to_root(path, report.root, source_root(report.root))
    return rel if rel is not None else relative_path(path, report.root)


def is_file_target(target: str, report: Report) -> bool:
    """True for a linted file (its text is in the report, or it is on disk), False for an image reference."""
    return source_text(report, target) is not None or os.path.lexists(report.root / target)


def target_name(target: str, report: Report) -> str:
    """A target as the reports name it: a file relative to the repository root, an image as given."""
    return repo_path(target, report) if is_file_target(target, report) else target


def place(finding: Finding, report: Report) -> Placed:
    """Where a finding is shown; image and runtime findings name their image in the message."""
    src = finding.source
    if src is not None:
        return Placed(finding, repo_path(src.path, report), src.span, finding.message)
    message = f"{image_label(finding.location)}: {finding.message}"
    from .sarif import _anchor  # the final FROM line of the linked Dockerfile, as SARIF anchors it

    anchor: SourceLocation | None = _anchor(report, finding)
    if anchor is not None:
        return Placed(finding, repo_path(anchor.path, report), anchor.span, message)
    return Placed(finding, getattr(finding.location, "image", "") or "<image>", None, message)


def shown(report: Report) -> list[Placed]:
    """The visible findings (suppressed ones are left out), placed, in a stable order."""
    placed = [place(f, report) for f in report.visible()]
    placed.sort(key=lambda p: (p.path, p.line, p.span.start_col if p.span else 0, p.finding.code, p.message))
    return placed


def fingerprints(report: Report) -> dict[int, str]:
    """``id(finding) -> fingerprint`` of every finding of the report (suppressed ones count in the numbering)."""
    from ..baseline import fingerprints as stable, report_text_of

    findings = list(report.findings)
    return {id(f): fp for f, fp in zip(findings, stable(findings, report_text_of(report), report.root))}


def kind(report: Report, code: str) -> tuple[str, str, str, str]:
    """(tag, Code Climate category, Sonar software quality, Sonar clean code attribute) of a rule."""
    rule = report.rule_by_code(code)
    tags = rule.meta.tags if rule is not None else frozenset()
    for entry in KINDS:
        if entry[0] in tags:
            return entry
    if rule is not None and rule.meta.target.value == "runtime":
        return _RUNTIME_KIND
    return _DEFAULT_KIND


def categories(report: Report, code: str) -> list[str]:
    """Every Code Climate category a rule's tags name (at least one), in the spec's order."""
    rule = report.rule_by_code(code)
    tags = rule.meta.tags if rule is not None else frozenset()
    found = {entry[1] for entry in KINDS if entry[0] in tags} or {kind(report, code)[1]}
    return sorted(found)


def rule_name(report: Report, code: str, fallback: str) -> str:
    """The rule's one-line summary (its name when the rule is unknown)."""
    rule = report.rule_by_code(code)
    return rule.meta.summary if rule is not None else fallback


# XML 1.0 (section 2.2) allows tab, LF, CR and the rest from U+0020, but for the surrogates and
# U+FFFE/U+FFFF; escape_control already writes the C0/C1 controls and DEL as visible escapes.
_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """``text`` as XML 1.0 can carry it: controls written as visible escapes (``\\x1b``), newlines and tabs kept."""
    text = escape_control(text)
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


_SURROGATE = re.compile("[\ud800-\udfff]")


def json_dumps(value: object, *, indent: int | None) -> str:
    """JSON as UTF-8 can carry it: a lone surrogate (a file name in an image that is not UTF-8) becomes the text ``\\udcff``."""
    import json

    text = json.dumps(value, indent=indent, ensure_ascii=False)
    return _SURROGATE.sub(lambda m: f"\\\\u{ord(m.group()):04x}", text) if _SURROGATE.search(text) else text
