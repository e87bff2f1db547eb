"""Lint one manifest: read its images, link the Dockerfiles that build them, run the MF rules.

Findings point at the scalar (line and column span).  Inline pragmas are YAML comments:
``# pylint-image: ignore=MF1001[,RULE] [-- reason]`` at the end of the reference's line, or
as a whole-line comment on the line above (comments between them allowed);
``# pylint-image: global ignore=...`` anywhere covers the whole file.  hadolint's pragmas
are not read in manifests.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from ..config import Config
from ..engine import Outcome, _run_one, _Stamper, enabled_rules, settings_of
from ..errors import InputError, ParseError
from ..findings import Finding, SourceLocation, Suppression
from ..model.dockerfile import Dockerfile
from ..model.span import Span
from ..plugins import Registry
from ..ruleapi import Context, Target
from ..selection import EXACT, finding_strength
from ..suppressions import parse_pragma
from .model import Manifest, image_use, interpolate
from .refs import detect_kind, documents_of, find_image_refs, looks_like_kubernetes

_COMMENT = re.compile(r"(?:^|\s)#(?P<body>.*)$")
STDIN_DEFAULT_NAME = "Dockerfile"  # --stdin-filename's default


def manifest_kind(path: Path, text: str | None, *, stdin: bool = False) -> str | None:
    """The manifest kind of a file (``text`` when already read); stdin also by content."""
    kind = detect_kind(path.as_posix(), text)
    if kind is None and stdin and text is not None and looks_like_kubernetes(text):
        return "kubernetes"
    return kind


def compose_builds(documents: list[Any], base: Path) -> dict[str, tuple[Path, Any, Any]]:
    """Service name -> (Dockerfile path, service mapping, its ``build`` value) for services with ``build:``.

    ``build: DIR`` or ``build: {context: DIR, dockerfile: FILE}`` (FILE relative to DIR);
    a remote context (a URL, ``git@...``) and an inline ``dockerfile_inline`` are skipped.
    """
    found: dict[str, tuple[Path, Any, Any]] = {}
    for doc in documents:
        services = doc.get("services") if isinstance(doc, dict) else None
        if not isinstance(services, dict):
            continue
        for name, service in services.items():
            build = service.get("build") if isinstance(service, dict) else None
            if isinstance(build, str):
                context, dockerfile = build, "Dockerfile"
            elif isinstance(build, dict) and "dockerfile_inline" not in build:
                context = str(build.get("context", "."))
                dockerfile = str(build.get("dockerfile", "Dockerfile"))
            else:
                continue
            if "://" in context or context.startswith("git@"):
                continue
            found[str(name)] = (base / context / dockerfile, service, build)
    return found


def linked_dockerfile_paths(path: Path, text: str) -> list[Path]:
    """The Dockerfiles a Compose file's ``build:`` sections name (to lint them too); [] for others."""
    if detect_kind(path.as_posix(), text) != "compose":
        return []
    try:
        docs = documents_of(text, str(path))
    except InputError:
        return []
    return [p for p, _, _ in compose_builds(docs, path.parent).values() if p.is_file()]


def _parse_linked(path: Path, cache: dict[str, Dockerfile | None]) -> Dockerfile | None:
    key = os.path.normpath(path)
    if os.path.isabs(key):  # shown relative to the current directory when inside it
        rel = os.path.relpath(key)
        key = key if rel.startswith("..") else rel
    if key not in cache:
        from ..parse import parse_dockerfile

        try:
            cache[key] = parse_dockerfile(key)
        except (InputError, ParseError):
            cache[key] = None  # linted on its own, where the error is reported
    return cache[key]


def build_manifest(path: Path, text: str, kind: str, config: Config) -> Manifest:
    """Parse ``text`` into a Manifest with its images resolved and its Dockerfiles linked."""
    from ..reference import InvalidReference, Reference

    documents = documents_of(text, str(path))
    refs = find_image_refs(text, str(path), kind, documents=documents)
    images = tuple(image_use(r, config.variables) for r in refs)
    cache: dict[str, Dockerfile | None] = {}
    services: dict[str, Dockerfile] = {}
    by_image: dict[str, Dockerfile] = {}
    if kind == "compose":
        for name, (dockerfile_path, service, _) in compose_builds(documents, path.parent).items():
            parsed = _parse_linked(dockerfile_path, cache)
            if parsed is None:
                continue
            services[name] = parsed
            image = service.get("image")
            if isinstance(image, str):
                try:
                    by_image.setdefault(Reference.parse(interpolate(image, config.variables)[0]).name, parsed)
                except InvalidReference:
                    pass
    wanted = {u.reference.name for u in images if u.reference is not None}
    for listed, target in config.images.items():
        try:
            name = Reference.parse(listed).name
        except InvalidReference:
            continue
        if name in wanted and name not in by_image:
            parsed = _parse_linked(Path(target), cache)
            if parsed is not None:
                by_image[name] = parsed
    return Manifest(path=path, kind=kind, text=text, images=images, documents=tuple(documents),
                    dockerfiles=by_image, services=services)


class _Lines:
    """What the stamper reads of a subject: its lines (for fingerprints)."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()


def lint_manifest(path: Path, text: str, kind: str, display: str, registry: Registry, config: Config) -> Outcome:
    """Run every enabled manifest rule on the file and apply its pragmas.  InputError on bad YAML."""
    manifest = build_manifest(path, text, kind, config)
    out = Outcome()
    stamper = _Stamper(display, cast(Any, _Lines(path, text)), config)
    settings = settings_of(config)
    for rule in enabled_rules(registry, config, Target.MANIFEST):
        ctx = Context(options=config.options_for(rule), settings=settings)
        violations, notes = _run_one(rule, manifest, ctx, display)
        out.notifications.extend(notes)
        keep = config.selection.finding_filter(rule)
        for v in violations:
            loc = v.where if not isinstance(v.where, Span) else SourceLocation(path, v.where)
            finding = stamper.stamp(rule, v, loc)
            if keep is None or keep(v.tool_ids):
                out.findings.append(finding)
    if not config.disable_ignore_pragma:
        out.findings = _apply_pragmas(out.findings, path, text, registry)
    return out


def _pragmas(text: str) -> list[tuple[int, bool, str, tuple[str, ...], str]]:
    """(line, whole-line comment, scope, tokens, reason) of every ``# pylint-image: ... ignore=`` comment."""
    found = []
    for n, line in enumerate(text.splitlines(), 1):
        if "pylint-image" not in line:
            continue
        m = _COMMENT.search(line)
        if m is None:
            continue
        parsed = parse_pragma(m.group("body"))
        if parsed is None or parsed[0] != "pylint-image":
            continue
        _, scope, tokens, why = parsed
        found.append((n, not line[: m.start()].strip(), scope, tokens, why))
    return found


def _covered_lines(text: str, line: int, whole: bool, scope: str) -> range:
    lines = text.splitlines()
    if scope == "global":
        return range(1, len(lines) + 1)
    if not whole:
        return range(line, line + 1)
    nxt = line + 1
    while nxt <= len(lines) and (not lines[nxt - 1].strip() or lines[nxt - 1].lstrip().startswith("#")):
        nxt += 1
    return range(nxt, nxt + 1)


def _apply_pragmas(findings: list[Finding], path: Path, text: str, registry: Registry) -> list[Finding]:
    pragmas = _pragmas(text)
    if not pragmas:
        return findings
    by_code = {r.meta.code: r for r in registry.rules}
    result = []
    for f in findings:
        src, rule = f.source, by_code.get(f.code)
        hit = None
        if src is not None and rule is not None:
            for line, whole, scope, tokens, why in pragmas:
                if src.span.start_line in _covered_lines(text, line, whole, scope) and any(
                        finding_strength(t, rule, f.tool_ids) >= EXACT for t in tokens):
                    hit = (line, why)
                    break
        if hit is not None:
            where = SourceLocation(path, Span.line(hit[0], text.splitlines()[hit[0] - 1]))
            f = dataclasses.replace(f, suppressed=Suppression("inSource", hit[1], where))
        result.append(f)
    return result


def variables_of(values: list[str] | tuple[str, ...]) -> Mapping[str, str]:
    """``--var K=V`` values (``K`` alone: from the environment, as ``--build-arg`` does)."""
    from ..errors import UsageError

    result: dict[str, str] = {}
    for item in values:
        key, sep, val = item.partition("=")
        if not key:
            raise UsageError(f"--var needs K=V, got {item!r}")
        if sep:
            result[key] = val
        elif key in os.environ:
            result[key] = os.environ[key]
    return result


def lint_manifest_file(result: Any, text: str | None, registry: Registry, config: Config) -> Any:
    """Fill ``result`` (a lint.FileResult) when its file is a manifest; None when it is not one.

    ``text`` is stdin's text (detected by content too: ``helm template . | pylint-image -``),
    else the file is read.  A ``.yml``/``.yaml`` file of no known kind is an input error.
    """
    path: Path = result.path
    stdin = text is not None
    if not stdin:
        from ..parse.reader import read_dockerfile_text

        try:
            text = read_dockerfile_text(path)
        except InputError as exc:
            result.error = exc.format()
            return result
    assert text is not None
    kind = manifest_kind(path, text, stdin=stdin)
    if kind is None:
        if stdin and not path.name.lower().endswith((".yml", ".yaml")):
            return None  # a Dockerfile on stdin that mentions apiVersion and kind
    if kind is not None and stdin and path.name == STDIN_DEFAULT_NAME:
        result.display = "-"  # a manifest piped in without --stdin-filename is not "Dockerfile"
    if kind is None:
        result.error = InputError("YAML file that is not a Compose file, a Kubernetes manifest, "
                                  "a GitHub Actions workflow or a GitLab CI file", path).format()
        return result
    result.text = text
    try:
        where = Path(result.display) if stdin else path  # findings of a piped manifest point at "-"
        result.outcome = lint_manifest(where, text, kind, result.display, registry, config)
    except InputError as exc:
        result.error = exc.format()
    return result


def with_linked_dockerfiles(files: list[Path]) -> list[Path]:
    """``files`` and, after each Compose file, the Dockerfiles its ``build:`` sections name (once each)."""
    seen = {os.path.realpath(f) for f in files}
    result: list[Path] = []
    for f in files:
        result.append(f)
        if detect_kind(f.as_posix()) != "compose":
            continue
        try:
            text = f.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # reported when the file itself is linted
        for linked in linked_dockerfile_paths(f, text):
            real = os.path.realpath(linked)
            if real not in seen:
                seen.add(real)
                result.append(Path(os.path.relpath(linked)) if not f.is_absolute() else linked)
    return result
