"""Every tests/fixtures/manifests/{compose,k8s,github,gitlab}/*.yaml produces exactly its ``# expect:`` markers.

The markers are the Dockerfile fixtures' (tests/support/markers.py): a whole-line
``# expect: CODE`` or ``# ok: CODE`` binds to the next line that is not blank or a comment.
Headers: ``# check: CODE, ...`` (the rules under test), ``# config: {option = value}``
(their options), ``# vars: K=V, ...`` (``--var``) and ``# images: IMAGE=PATH, ...`` (the
config's ``images`` table, paths relative to the fixture).  GitHub and GitLab fixtures are
linted under the names their kinds need (``.github/workflows/NAME``, ``.gitlab-ci.yml``).
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

import pytest

from pylint_image.linter.lint import lint_one
from tests.support.linting import config_for, registry
from tests.support.markers import parse_markers

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "manifests"
KINDS = ("compose", "k8s", "github", "gitlab")
CASES = sorted(p for kind in KINDS for p in (FIXTURES / kind).glob("*.yaml"))
_HEADER = re.compile(r"^#\s*(vars|images)\s*:\s*(.+?)\s*$", re.MULTILINE)


def _pairs(text: str, key: str) -> dict[str, str]:
    found = {}
    for m in _HEADER.finditer(text):
        if m.group(1) == key:
            found.update(kv.strip().split("=", 1) for kv in m.group(2).split(",") if "=" in kv)
    return found


def lint_fixture(fixture: Path):
    """Lint a fixture as the kind its folder says, with its headers' options, vars and images."""
    exp = parse_markers(fixture)
    text = fixture.read_text(encoding="utf-8")
    table: dict = {"preview": True}
    if exp.config:
        options = tomllib.loads(f"opts = {exp.config}")["opts"]
        table["rules"] = {code: options for code in exp.codes}
    images = _pairs(text, "images")
    if images:
        table["images"] = {k: str(fixture.parent / v) for k, v in images.items()}
    config = dataclasses.replace(config_for(table), variables=_pairs(text, "vars"))
    kind = fixture.parent.name
    if kind == "github":
        return exp, lint_one(fixture.parent / ".github" / "workflows" / fixture.name, Path.cwd(), registry(), config,
                             {}, text=text)
    if kind == "gitlab":
        return exp, lint_one(fixture.parent / ".gitlab-ci.yml", Path.cwd(), registry(), config, {}, text=text)
    return exp, lint_one(fixture, Path.cwd(), registry(), config, {})


@pytest.mark.parametrize("fixture", CASES, ids=[f"{p.parent.name}/{p.name}" for p in CASES])
def test_manifest_fixture_findings_are_exactly_the_markers(fixture: Path) -> None:
    exp, result = lint_fixture(fixture)
    assert exp.expect and exp.ok, "every fixture needs '# expect:' and '# ok:' markers"
    assert result.error is None, result.error
    crashed = [n.message for n in result.outcome.notifications if n.id == "rule-crashed"]
    assert not crashed, crashed
    got = {(f.source.span.start_line, f.code) for f in result.outcome.findings
           if f.code in exp.codes and f.suppressed is None and f.source is not None}
    assert got == exp.expect, f"unexpected: {sorted(got - exp.expect)}; missing: {sorted(exp.expect - got)}"
    assert not (exp.ok & got)


def test_every_kind_has_fixtures_and_every_mf_rule_is_covered() -> None:
    assert all(any(p.parent.name == kind for p in CASES) for kind in KINDS)
    covered = {code for p in CASES for _, code in parse_markers(p).expect}
    mf = {r.meta.code for r in registry().rules if r.meta.code.startswith("MF")}
    assert mf <= covered, f"MF rules without an expect marker: {sorted(mf - covered)}"


def test_findings_point_at_the_scalar() -> None:
    fixture = FIXTURES / "compose" / "compose.images.yaml"
    _, result = lint_fixture(fixture)
    lines = fixture.read_text(encoding="utf-8").splitlines()
    spans = {lines[f.source.span.start_line - 1][f.source.span.start_col - 1 : f.source.span.end_col - 1]
             for f in result.outcome.findings if f.code == "MF1001" and f.source is not None and f.suppressed is None}
    assert spans == {"postgres:${DB_TAG}", "'redis'"}


def test_inline_pragmas_suppress_on_the_line_and_above() -> None:
    _, result = lint_fixture(FIXTURES / "compose" / "compose.images.yaml")
    suppressed = sorted((f.source.span.start_line, f.suppressed.justification) for f in result.outcome.findings
                        if f.suppressed is not None and f.source is not None)
    assert suppressed == [(30, "a throwaway debugging service"), (33, "")]
