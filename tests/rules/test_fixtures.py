"""The single fixture harness: every tests/fixtures/rules/*.Dockerfile must produce exactly its markers."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from pylint_image.linter.fixes import apply_fixes
from tests.support.linting import lint_file, registry
from tests.support.markers import parse_markers

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "rules"
CASES = sorted(p for p in FIXTURES.glob("*.Dockerfile") if not p.name.endswith(".fixed.Dockerfile"))


def _table(exp) -> dict:
    table: dict = {"preview": True}  # preview rules are tested like any other
    if exp.config:
        options = tomllib.loads(f"opts = {exp.config}")["opts"]
        table["rules"] = {code: options for code in exp.codes}
    return table


def _continuation_starts(fixture: Path) -> dict[int, int]:
    """Map each later line of an instruction (continuations, heredoc bodies) to its first line."""
    from pylint_image.linter.errors import PylintImageError
    from pylint_image.linter.parse import parse_dockerfile

    try:
        dockerfile = parse_dockerfile(fixture)
    except PylintImageError:  # the parse-error fixtures: findings sit on the line itself
        return {}
    starts: dict[int, int] = {}
    for ins in dockerfile.instructions():
        starts.update((line, ins.span.start_line) for line in range(ins.span.start_line + 1, ins.span.end_line + 1))
    return starts


@pytest.mark.parametrize("fixture", CASES, ids=[p.name for p in CASES])
def test_fixture_findings_are_exactly_the_markers(fixture: Path) -> None:
    exp = parse_markers(fixture)
    assert exp.expect, "every fixture needs at least one '# expect:' marker"
    assert exp.ok, "every fixture needs at least one '# ok:' marker (a negative case)"
    result = lint_file(fixture, table=_table(exp), build_args=exp.build_args)
    assert result.error is None, result.error
    marked = exp.expect | exp.ok | exp.todo_expect | exp.todo_ok
    starts = _continuation_starts(fixture)
    # A finding on a continuation or heredoc line (the offending word) counts for the marker
    # above its instruction, unless a marker inside the instruction names that very line.
    got = {(line if (line, f.code) in marked else starts.get(line, line), f.code)
           for f in result.outcome.findings if f.code in exp.codes and f.suppressed is None and f.source is not None
           for line in (f.source.span.start_line,)}
    crashed = [n.message for n in result.outcome.notifications if n.id == "rule-crashed"]
    assert not crashed, crashed
    # Known false negatives must still be missed and known false positives still be hit:
    # when one starts passing, the marker must be updated (strict xfail semantics).
    assert not (exp.todo_expect & got), f"todo-expect now fires, promote it to expect: {exp.todo_expect & got}"
    assert exp.todo_ok <= got, f"todo-ok no longer fires, promote it to ok: {exp.todo_ok - got}"
    assert got - exp.todo_ok == exp.expect, (
        f"unexpected: {sorted(got - exp.todo_ok - exp.expect)}; missing: {sorted(exp.expect - got)}")
    assert not (exp.ok & got)


@pytest.mark.parametrize("fixture", [p for p in CASES if p.with_name(p.name.replace(".Dockerfile", ".fixed.Dockerfile")).exists()],
                         ids=lambda p: p.name)
def test_safe_fixes_produce_the_fixed_fixture(fixture: Path) -> None:
    exp = parse_markers(fixture)
    result = lint_file(fixture, table=_table(exp), build_args=exp.build_args)
    mine = [f for f in result.outcome.findings if f.code in exp.codes]
    fixed, count = apply_fixes(fixture.read_text(encoding="utf-8"), mine)
    assert count > 0
    assert fixed == fixture.with_name(fixture.name.replace(".Dockerfile", ".fixed.Dockerfile")).read_text(encoding="utf-8")


def test_every_dockerfile_rule_has_a_fixture() -> None:
    stems = {p.name.split(".")[0].split("_")[0] for p in CASES}
    for p in CASES:
        stems.update(parse_markers(p).codes)
    missing = [r.meta.code for r in registry().rules
               if r.meta.target.value == "dockerfile" and r.meta.code not in stems]
    assert not missing, f"rules without a fixture: {missing}"
