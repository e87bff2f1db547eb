"""A SARIF 2.1.0 log built with sarif-om: rules[], results, fingerprints, suppressions, fixes.

GitHub code scanning needs a physical location (uri + startLine) on every result. Image
and runtime findings without a Dockerfile span are anchored to the final `FROM` line of the
linked Dockerfile (the first target whose text is in ``report.sources``) and keep the image
and path as a logical location. With no Dockerfile at all there is no file to point at: such
results carry only the logical location (valid SARIF, but GitHub drops them on upload).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, TextIO
from urllib.parse import quote

from .. import docs
from ..findings import Finding, ImageLocation, Notification, RuntimeLocation, SourceLocation, source_of
from ..model.span import Span, slice_text
from ..report import Report
from ..repository import relative_to_root, source_root
from .base import image_label, relative_path, source_text
from .sarif_serialize import to_json

if TYPE_CHECKING:
    import sarif_om as om

    from ..ruleapi import Rule

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json"
FINGERPRINT_KEY = "pylintImage/v1"
SRCROOT = "%SRCROOT%"
_FROM_RE = re.compile(r"^[ \t]*FROM[ \t]", re.IGNORECASE | re.MULTILINE)


class SarifFormatter:
    """Renders the report as a SARIF 2.1.0 log with one run; suppressed findings are kept."""

    name = "sarif"
    keeps_suppressed = True

    def __init__(self, *, color: bool | None = None, concise: bool = False) -> None:
        self.color = color  # accepted for the common constructor; SARIF has no colour
        self.concise = concise  # compact single-line JSON when True

    def render(self, report: Report, stream: TextIO) -> None:
        """Write the SARIF log as JSON followed by a newline."""
        json.dump(build_sarif(report), stream, indent=None if self.concise else 2, ensure_ascii=False)
        stream.write("\n")


def build_sarif(report: Report) -> dict[str, object]:
    """Return the SARIF log for ``report`` as plain JSON values."""
    import sarif_om as om

    findings = sorted(report.findings, key=Finding.sort_key)
    rules = _rules(report, findings)
    index = {r.meta.code: i for i, r in enumerate(rules)}
    driver = om.ToolComponent(
        name="pylint-image", version=report.tool_version, semantic_version=report.tool_version,
        information_uri=docs.project_url("Homepage", docs.REPO_URL), rules=[_descriptor(om, r) for r in rules],
    )
    notes = [_notification(om, n, report) for n in report.notifications]
    invocation = om.Invocation(
        execution_successful=not any(n.level == "error" for n in report.notifications),
        tool_execution_notifications=notes or None,
    )
    run = om.Run(
        tool=om.Tool(driver=driver), invocations=[invocation], column_kind="unicodeCodePoints",
        original_uri_base_ids={SRCROOT: om.ArtifactLocation(uri=_directory_uri(source_root(report.root)))},
        results=[_result(om, f, index[f.code], report) for f in findings],
    )
    log = om.SarifLog(version=SARIF_VERSION, schema_uri=SARIF_SCHEMA, runs=[run])
    return to_json(log)  # type: ignore[return-value]


def _rules(report: Report, findings: list[Finding]) -> list[Rule]:
    """Return the rules that ran plus stand-ins for codes only seen in findings, sorted by code."""
    from ..ruleapi import RuleMeta, Target, rule

    by_code = {r.meta.code: r for r in report.rules}
    for f in findings:
        if f.code not in by_code:
            meta = RuleMeta(code=f.code, name=f.name, severity=f.severity, target=Target.DOCKERFILE, summary=f.name)
            by_code[f.code] = rule(meta=meta, check=lambda subject, ctx: (), doc=f"## What it does\n\n{f.name}\n")
    return [by_code[c] for c in sorted(by_code)]


def _descriptor(om, r: Rule) -> om.ReportingDescriptor:
    meta = r.meta
    props: dict[str, object] = {"tags": sorted(meta.tags) or None}
    if meta.security_severity is not None:
        props["security-severity"] = f"{meta.security_severity:.1f}"
    if meta.aliases:
        props["aliases"] = list(meta.aliases)
    full = docs.full_description(r)
    return om.ReportingDescriptor(
        id=meta.code, name=meta.name,
        short_description=om.MultiformatMessageString(text=meta.summary),
        full_description=om.MultiformatMessageString(text=full, markdown=full),
        help=om.MultiformatMessageString(text=docs.help_text(r), markdown=docs.help_markdown(r)),
        help_uri=docs.help_uri(r),
        default_configuration=om.ReportingConfiguration(level=meta.severity.sarif_level),
        properties=props if any(v is not None for v in props.values()) else None,
    )


def _result(om, f: Finding, rule_index: int, report: Report) -> om.Result:
    src = f.source or _anchor(report, f)
    message = f.message if f.source is not None else f"{image_label(f.location)}: {f.message}"
    location = om.Location(
        physical_location=_physical(om, src, report) if src is not None else None,
        logical_locations=_logical(om, f),
    )
    suppressions = None
    if f.suppressed is not None:
        suppressions = [om.Suppression(kind=f.suppressed.kind, justification=f.suppressed.justification or None)]
    return om.Result(
        rule_id=f.code, rule_index=rule_index, level=f.severity.sarif_level,
        message=om.Message(text=message), locations=[location],
        related_locations=_related(om, f, report),
        partial_fingerprints={FINGERPRINT_KEY: f.fingerprint},
        suppressions=suppressions, fixes=_fixes(om, f, report),
        # the finding's ids in other tools (hadolint's DL3013, ShellCheck's SC2086), exactly
        properties={"foreignIds": list(f.foreign_ids)} if f.foreign_ids else None,
    )


def _related(om, f: Finding, report: Report) -> list[om.Location] | None:
    """The same problem seen at other levels (the image config, the running container)."""
    found = []
    for number, loc in enumerate(f.related, start=1):
        src = source_of(loc)
        found.append(om.Location(
            id=number, physical_location=_physical(om, src, report) if src is not None else None,
            logical_locations=_logical(om, dataclasses.replace(f, location=loc)),
            message=om.Message(text=image_label(loc) if src is None else str(relative_path(src.path, report.root)))))
    return found or None


def _artifact(om, path: PurePath, report: Report) -> om.ArtifactLocation:
    """``path`` relative to %SRCROOT% (the repository root, whatever the current directory)."""
    rel = relative_to_root(path, report.root, source_root(report.root))
    if rel is None:  # outside the repository: no base id, an absolute file URI
        return om.ArtifactLocation(uri=PurePath(os.path.normpath(report.root / path)).as_uri())
    return om.ArtifactLocation(uri=quote(rel, safe="/"), uri_base_id=SRCROOT)


def _directory_uri(folder: PurePath) -> str:
    """The file:// URI of a folder, ending in '/' as SARIF requires of a base URI."""
    uri = PurePath(folder).as_uri()
    return uri if uri.endswith("/") else uri + "/"


def _region(om, span: Span, text: str | None = None) -> om.Region:
    snippet = None
    if text is not None:
        snippet = om.ArtifactContent(text=slice_text(text.splitlines(), span))
    return om.Region(
        start_line=span.start_line, start_column=span.start_col,
        end_line=span.end_line, end_column=span.end_col, snippet=snippet,
    )


def _physical(om, src: SourceLocation, report: Report) -> om.PhysicalLocation:
    text = source_text(report, src.path)
    return om.PhysicalLocation(artifact_location=_artifact(om, src.path, report), region=_region(om, src.span, text))


def _logical(om, f: Finding) -> list[om.LogicalLocation] | None:
    loc = f.location
    if isinstance(loc, ImageLocation):
        props = {"image": loc.image, "layer": loc.layer_digest}
        return [om.LogicalLocation(name=loc.path_in_image or loc.image, fully_qualified_name=image_label(loc),
                                   kind="resource", properties=props)]
    if isinstance(loc, RuntimeLocation):
        return [om.LogicalLocation(name=loc.probe, fully_qualified_name=f"{loc.image}#{loc.probe}",
                                   kind="function", properties={"image": loc.image})]
    return None


def _anchor(report: Report, f: Finding) -> SourceLocation | None:
    """Return the final FROM line of the linked Dockerfile for a finding without a span."""
    for target in report.targets:
        text = source_text(report, target)
        if text is None:
            continue
        froms = list(_FROM_RE.finditer(text))
        line = text.count("\n", 0, froms[-1].start()) + 1 if froms else 1
        line_text = text.splitlines()[line - 1] if text else ""
        return SourceLocation(Path(target), Span(line, 1, line, len(line_text) + 1))
    return None


def _fixes(om, f: Finding, report: Report) -> list[om.Fix] | None:
    if f.fix is None or not f.fix.safe or not f.fix.edits or f.source is None:
        return None
    replacements = [
        om.Replacement(deleted_region=_region(om, e.span), inserted_content=om.ArtifactContent(text=e.replacement))
        for e in f.fix.edits
    ]
    change = om.ArtifactChange(artifact_location=_artifact(om, f.source.path, report), replacements=replacements)
    return [om.Fix(description=om.Message(text=f.fix.title), artifact_changes=[change])]


def _notification(om, n: Notification, report: Report) -> om.Notification:
    locations = None
    src = n.location if isinstance(n.location, SourceLocation) else getattr(n.location, "source", None)
    if src is not None:
        locations = [om.Location(physical_location=_physical(om, src, report))]
    return om.Notification(
        message=om.Message(text=n.message), level=n.level, locations=locations,
        descriptor=om.ReportingDescriptorReference(id=n.id),
        associated_rule=om.ReportingDescriptorReference(id=n.rule) if n.rule else None,
    )
