"""Run enabled rules on one subject, stamp violations into findings, apply suppressions.

Rules yield ``Violation``s (and a ``Notification`` when they could not judge, such as a
missing tool); code, severity, location, fingerprint and suppression state are added here,
so a rule can never misreport its own identity.  A rule that raises becomes a
``rule-crashed`` notification and the other rules still run.

Selection acts per finding where a foreign id is involved (``--ignore DL3013`` keeps
DF2001's apt findings): a rule runs when the selection may keep some finding of it, and
its findings are then filtered by their ``tool_ids`` (selection.py).  Findings are
filtered after stamping so that fingerprints do not depend on the selection.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import Config
from .errors import ConfigError, ParseError
from .findings import (Finding, ImageLocation, Location, Notification, RuntimeLocation, SourceLocation,
                       Suppression, Violation, source_of)
from .model.dockerfile import Dockerfile
from .model.span import Span
from .plugins import Registry
from .ruleapi import Context, Rule, Settings, Target
from .selection import EXACT, family, finding_strength
from .suppressions import Pragma, buildkit_skipped, buildkit_skips, collect_pragmas

if TYPE_CHECKING:
    from .provenance import Provenance

PARSE_ERROR = "DF0001"
_SHELLCHECK_ID = re.compile(r"^SC\d{4}$", re.IGNORECASE)
UNUSED_SUPPRESSION = "DF0002"


@dataclass(slots=True)
class Outcome:
    """Findings and notifications for one subject."""

    findings: list[Finding] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)


def enabled_rules(registry: Registry, config: Config, target: Target) -> list[Rule]:
    """Rules of ``target`` that the configuration enables, in code order."""
    return [r for r in registry.by_target(target) if config.selection.enabled(r)]


def fingerprint(code: str, path: str, text: str, occurrence: int) -> str:
    """A line-number-free identity: code, path, normalized instruction text, occurrence index."""
    norm = " ".join(text.split())
    digest = hashlib.sha256(f"{code}\0{path}\0{norm}\0{occurrence}".encode("utf-8", "surrogateescape")).hexdigest()
    return digest[:32]


def _context_text(location: Location, dockerfile: Dockerfile | None) -> str:
    """The text a fingerprint is based on: the source lines under the span, else image path."""
    src = source_of(location)
    if src is not None and dockerfile is not None:
        span = src.span
        return "\n".join(dockerfile.lines[span.start_line - 1 : span.end_line])
    if isinstance(location, ImageLocation):
        return f"{location.path_in_image or ''}"
    if isinstance(location, RuntimeLocation):
        return location.probe
    return ""


class _Stamper:
    """Turns violations of one subject into findings with stable fingerprints."""

    def __init__(self, display: str, dockerfile: Dockerfile | None, config: Config) -> None:
        self.display = display
        self.dockerfile = dockerfile
        self.config = config
        self.seen: dict[tuple[str, str], int] = {}

    def stamp(self, rule: Rule, v: Violation, location: Location) -> Finding:
        meta = rule.meta
        text = _context_text(location, self.dockerfile)
        occurrence = self.seen.get((meta.code, text), 0)
        self.seen[(meta.code, text)] = occurrence + 1
        return Finding(
            code=meta.code, name=meta.name, severity=self.config.selection.severity_of(rule, v.tool_ids, v.severity),
            location=location, message=v.message, fingerprint=fingerprint(meta.code, self.display, text, occurrence),
            fix_hint=meta.fix_title, fix=v.fix, related=v.related, tool_ids=v.tool_ids,
            alias_ids=() if v.tool_ids or meta.exact_tool_ids else meta.aliases,
        )


def _run_one(rule: Rule, subject: Any, ctx: Context, where: str) -> tuple[list[Violation], list[Notification]]:
    try:
        items = list(rule.check(subject, ctx))
    except ConfigError:
        raise
    except Exception as exc:  # a crashing rule must not abort the others (§4.10)
        msg = f"rule {rule.meta.code} ({rule.meta.name}) crashed on {where}: {type(exc).__name__}: {exc}"
        return [], [Notification("rule-crashed", "error", msg, rule=rule.meta.code)]
    # A notification is about this rule's run, whatever the rule wrote in ``rule``.
    notes = [dataclasses.replace(n, rule=rule.meta.code) for n in items if isinstance(n, Notification)]
    return [v for v in items if not isinstance(v, Notification)], notes


def settings_of(config: Config, build_args: Mapping[str, str] | None = None) -> Settings:
    """The cross-rule settings for one run."""
    return Settings(trusted_registries=config.trusted_registries, build_args=dict(build_args or {}))


def lint_dockerfile(dockerfile: Dockerfile, display: str, registry: Registry, config: Config) -> Outcome:
    """Run every enabled Dockerfile rule on a parsed file and apply its pragmas."""
    out = Outcome()
    stamper = _Stamper(display, dockerfile, config)
    settings = settings_of(config, dockerfile.build_args)
    rules = enabled_rules(registry, config, Target.DOCKERFILE)
    skips = buildkit_skips(dockerfile)
    for rule in rules:
        ctx = Context(options=config.options_for(rule), settings=settings, dockerfile=dockerfile)
        violations, notes = _run_one(rule, dockerfile, ctx, display)
        out.notifications.extend(notes)
        keep = config.selection.finding_filter(rule)
        for v in violations:
            loc = v.where if not isinstance(v.where, Span) else SourceLocation(dockerfile.path, v.where)
            finding = stamper.stamp(rule, v, loc)  # stamped even when dropped: fingerprints count every finding
            if (keep is None or keep(v.tool_ids)) and not buildkit_skipped(skips, rule, v.tool_ids):
                out.findings.append(finding)
    out.findings = apply_pragmas(out.findings, dockerfile, registry, config, stamper)
    return out


def parse_error_outcome(error: ParseError, path: Path, display: str, registry: Registry, config: Config) -> Outcome:
    """Turn a ParseError into a ``parse-error`` finding at the offending line."""
    out = Outcome()
    rules = [r for r in registry.lookup(PARSE_ERROR) if config.selection.enabled(r)]
    line = error.line or 1
    loc = SourceLocation(path, Span(line, 1, line, 2))
    violation = Violation(loc, error.message, tool_ids=error.tool_ids)
    for rule in rules:
        keep = config.selection.finding_filter(rule)
        if keep is None or keep(violation.tool_ids):
            out.findings.append(_Stamper(display, None, config).stamp(rule, violation, loc))
    if not rules:
        out.notifications.append(Notification("parse-error", "error", error.format()))
    return out


def apply_pragmas(findings: Sequence[Finding], dockerfile: Dockerfile, registry: Registry, config: Config,
                  stamper: _Stamper) -> list[Finding]:
    """Mark findings covered by a pragma as suppressed and report unused or unknown pragmas."""
    # disable-ignore-pragma (hadolint's too): inline ignores are not honoured, nor judged unused
    pragmas = [] if config.disable_ignore_pragma else collect_pragmas(dockerfile)
    by_code = {r.meta.code: r for r in registry.rules}
    result = [_suppress(f, pragmas, by_code, dockerfile) for f in findings]
    result.extend(_unused(pragmas, dockerfile, registry, config, stamper))
    return result


def _suppress(f: Finding, pragmas: list[Pragma], by_code: Mapping[str, Rule], dockerfile: Dockerfile) -> Finding:
    """Mark ``f`` suppressed when a pragma covers its line (and record the pragma as used)."""
    src = f.source
    rule = by_code.get(f.code)
    if src is None or rule is None:
        return f
    pragma, token = _covering(pragmas, f, rule, src.span.start_line)
    if pragma is None or token is None:
        return f
    pragma.used.add(token)
    return dataclasses.replace(f, suppressed=Suppression("inSource", pragma.justification,
                                                         SourceLocation(dockerfile.path, pragma.span)))


def _covering(pragmas: Iterable[Pragma], f: Finding, rule: Rule, line: int) -> tuple[Pragma | None, str | None]:
    for p in pragmas:
        if not p.covers(line):
            continue
        for token in p.tokens:
            # Exact tokens only (no prefixes); ``# hadolint ignore=SC2086`` or ``=DL3013`` names
            # the findings carrying that id, not our whole rule.
            if finding_strength(token, rule, f.tool_ids) >= EXACT:
                return p, token
    return None, None


def _unused(pragmas: Iterable[Pragma], dockerfile: Dockerfile, registry: Registry, config: Config,
            stamper: _Stamper) -> Iterable[Finding]:
    rules = [r for r in registry.lookup(UNUSED_SUPPRESSION) if config.selection.enabled(r)]
    if not rules:
        return
    for p in pragmas:
        for token in p.tokens:
            if token in p.used:
                continue
            named = registry.lookup(token)
            if not named:
                if p.tool == "hadolint" or _SHELLCHECK_ID.match(token):
                    # hadolint codes we do not carry over, and ShellCheck ids (judged only when
                    # --shellcheck runs): nothing to call unused or unknown
                    continue
                message = f"suppression names unknown rule '{token}'"
            else:
                # Only Dockerfile rules run here; an image rule sharing the name is judged elsewhere.
                here = [r for r in named if r.meta.target is Target.DOCKERFILE]
                if not here or not all(config.selection.enabled(r) for r in here):
                    continue  # a disabled rule cannot prove the pragma useless
                if family(token) and not all(config.selection.keeps(r, (token,)) for r in here):
                    continue  # nor can one whose findings of this id the selection drops
                message = f"unused suppression: '{token}' reports nothing here"
            loc = SourceLocation(dockerfile.path, p.span)
            yield stamper.stamp(rules[0], Violation(loc, message), loc)


def run_rules(subject: Any, target: Target, registry: Registry, config: Config, *, display: str,
              dockerfile: Dockerfile | None = None, image_name: str = "",
              provenance: Mapping[str, SourceLocation] | None = None,
              origins: Provenance | None = None) -> Outcome:
    """Run IMAGE or RUNTIME rules on ``subject``; fill Dockerfile lines from ``provenance``.

    ``provenance`` maps layer digests (diff ids or blob digests) to the instruction that
    made the layer.  Pragmas of a linked Dockerfile apply to findings that land on it.
    ``origins`` is the image's mapping to ``dockerfile`` (``map_provenance``) when the
    caller has it already; else it is computed here when ``provenance`` is given.
    """
    out = Outcome()
    stamper = _Stamper(display, dockerfile, config)
    settings = settings_of(config, dockerfile.build_args if dockerfile else None)
    if target is not Target.IMAGE or dockerfile is None or provenance is None:
        origins = None
    elif origins is None:
        from .provenance import map_provenance  # which layers the base made, for the rules

        origins = map_provenance(subject, dockerfile)
    for rule in enabled_rules(registry, config, target):
        ctx = Context(options=config.options_for(rule), settings=settings, dockerfile=dockerfile,
                      image_name=image_name, provenance=origins)
        violations, notes = _run_one(rule, subject, ctx, display)
        out.notifications.extend(notes)
        keep = config.selection.finding_filter(rule)
        for v in violations:
            finding = stamper.stamp(rule, v, _locate(v, image_name, dockerfile, provenance))
            if keep is None or keep(v.tool_ids):
                out.findings.append(finding)
    if dockerfile is not None:
        pragmas = [] if config.disable_ignore_pragma else collect_pragmas(dockerfile)
        by_code = {r.meta.code: r for r in registry.rules}
        out.findings = [_suppress(f, pragmas, by_code, dockerfile) for f in out.findings]
    return out


def _locate(v: Violation, image: str, dockerfile: Dockerfile | None,
            provenance: Mapping[str, SourceLocation] | None) -> Location:
    where = v.where
    if isinstance(where, Span):
        src = SourceLocation(dockerfile.path, where) if dockerfile else None
        return ImageLocation(image, source=src)
    if isinstance(where, ImageLocation) and where.source is None and provenance and where.layer_digest:
        src = provenance.get(where.layer_digest)
        if src is not None:
            return dataclasses.replace(where, source=src)
    return where
