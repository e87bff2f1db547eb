"""Hand-built Reports and fake rules for formatter and docs tests (no engine involved)."""

from __future__ import annotations

from pathlib import Path

from pylint_image.linter import (
    Edit,
    Finding,
    Fix,
    ImageLocation,
    Notification,
    Report,
    RuleMeta,
    RuntimeLocation,
    Severity,
    SourceLocation,
    Span,
    Status,
    Suppression,
    Table,
    Target,
    rule,
)

ROOT = Path("/repo")
DOCKERFILE = ROOT / "app" / "Dockerfile"
DISPLAY = "app/Dockerfile"  # how the CLI keys report.sources and names targets
IMAGE = "example:1.0"

DOCKERFILE_TEXT = """\
# syntax=docker/dockerfile:1
FROM python AS build
RUN apt-get update && \\
    apt-get install -y curl
from alpine:3.19
# pylint-image: ignore=DF1006 -- pinned by renovate
FROM debian
COPY --from=build /app /app
CMD ["/app/run", "--name=a,b:c"]
"""

_DOC = """Flags {what}.

## What it does
Checks for {what}.

## Why is this bad?
Because {what} makes builds `unreproducible`, 100% of the time.

## Example
```dockerfile
FROM python
```

## Use instead
```dockerfile
FROM python:3.12
```
"""


def _never(subject, ctx):
    return ()


def fake_rule(code: str, name: str, severity: Severity, target: Target = Target.DOCKERFILE, **meta) -> object:
    """Return a rule object with a complete doc and a check that never fires."""
    doc = meta.pop("doc", None) or _DOC.format(what=name.replace("-", " "))
    summary = meta.pop("summary", f"{name.replace('-', ' ').capitalize()}")
    return rule(meta=RuleMeta(code=code, name=name, severity=severity, target=target, summary=summary, **meta),
                check=_never, doc=doc)


RULES = (
    fake_rule("DF1006", "unpinned-image-tag", Severity.WARNING, fix_title="Pin the image tag",
              tags=frozenset({"reproducibility"}), aliases=("DL3006",)),
    fake_rule("DF2010", "missing-no-install-recommends", Severity.INFO, status=Status.PREVIEW),
    fake_rule("DF3001", "lowercase-instruction", Severity.STYLE, fix_title="Uppercase the instruction"),
    fake_rule("IM2001", "setuid-binary", Severity.ERROR, Target.IMAGE, security_severity=7.5,
              tags=frozenset({"security", "external/cwe/cwe-250"})),
    fake_rule("RT3001", "runs-as-root", Severity.WARNING, Target.RUNTIME, tags=frozenset({"security"})),
)


def _src(span: Span) -> SourceLocation:
    return SourceLocation(DOCKERFILE, span)


def full_findings() -> tuple[Finding, ...]:
    """Every kind of finding the formatters must handle."""
    upper = Fix("Uppercase the instruction", (Edit(Span(5, 1, 5, 5), "FROM"),), safe=True)
    return (
        Finding("DF1006", "unpinned-image-tag", Severity.WARNING, _src(Span(2, 6, 2, 12)),
                "Base image `python` has no tag; it floats with every push", "fp-df1006-1",
                fix_hint="Pin the image tag"),
        Finding("DF2010", "missing-no-install-recommends", Severity.INFO, _src(Span(3, 5, 4, 28)),
                "apt-get install without --no-install-recommends", "fp-df2010-1", tool_ids=("DL3015",)),
        Finding("DF3001", "lowercase-instruction", Severity.STYLE, _src(Span(5, 1, 5, 5)),
                "Instruction `from` is not upper case", "fp-df3001-1", fix_hint="Uppercase the instruction",
                fix=upper),
        Finding("DF1006", "unpinned-image-tag", Severity.WARNING, _src(Span(7, 6, 7, 12)),
                "Base image `debian` has no tag; it floats with every push", "fp-df1006-2",
                fix_hint="Pin the image tag", suppressed=Suppression("inSource", "pinned by renovate")),
        Finding("IM2001", "setuid-binary", Severity.ERROR,
                ImageLocation(IMAGE, "/app/bin/helper", "sha256:" + "a" * 64, source=_src(Span(8, 1, 8, 28))),
                "/app/bin/helper is setuid root (mode 4755)", "fp-im2001-1"),
        Finding("IM2001", "setuid-binary", Severity.ERROR, ImageLocation(IMAGE, "/bin/su", "sha256:" + "b" * 64),
                "/bin/su is setuid root (mode 4755)", "fp-im2001-2"),
        Finding("RT3001", "runs-as-root", Severity.WARNING, RuntimeLocation(IMAGE, "startup"),
                "The entrypoint runs as uid 0:\nwhoami said root, 100%", "fp-rt3001-1"),
    )


def full_report() -> Report:
    """A report with source, multi-line, suppressed, image, runtime findings, notes and a table."""
    notes = (
        Notification("rule-crashed", "error", "DF9999 crashed on app/Dockerfile: ZeroDivisionError",
                     _src(Span(1, 1, 1, 2)), rule="DF9999"),
        Notification("sandbox-unavailable", "warning", "user namespaces are unavailable: probes skipped"),
    )
    table = Table(
        title=f"Layers of {IMAGE}", columns=("#", "Size", "Created by"),
        rows=(("0", "72.8 MB", "FROM debian"), ("1", "18.2 MB", "COPY --from=build /app /app"),
              ("2", "0 B", 'CMD ["/app/run"]')),
        bars=(1.0, 0.25, 0.0),
    )
    return Report(findings=full_findings(), notifications=notes, rules=RULES, targets=(DISPLAY,),
                  tool_version="0.1.0", root=ROOT, sources={DISPLAY: DOCKERFILE_TEXT}, tables=(table,))


def clean_report() -> Report:
    """A report of one clean file: no findings, no notifications."""
    return Report(findings=(), notifications=(), rules=RULES, targets=(DISPLAY,), tool_version="0.1.0",
                  root=ROOT, sources={DISPLAY: DOCKERFILE_TEXT})


def image_only_report() -> Report:
    """An image scan with no Dockerfile linked: findings have no source at all."""
    image_findings = tuple(f for f in full_findings() if f.source is None)
    return Report(findings=image_findings, notifications=(), rules=RULES, targets=(IMAGE,), tool_version="0.1.0",
                  root=ROOT)


CASES = {"full": full_report, "clean": clean_report, "image_only": image_only_report}
