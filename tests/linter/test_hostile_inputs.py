"""Hostile inputs (issue 8): bounded variable expansion, special files, symlinks out of the tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from pylint_image.linter import ExpansionBudget, ExpansionCut, expansion_limit
from pylint_image.linter.parse import parse_dockerfile, resolve_vars
from pylint_image.linter.provenance import expand as provenance_expand
from pylint_image.rules._shared.commands import run_commands
from pylint_image.rules._shared.variables import expand, global_scope, walk
from tests.support.linting import lint_file

DOUBLINGS = "ARG A0=aaaaaaaaaa\n" + "".join(f"ARG A{i}=${{A{i - 1}}}${{A{i - 1}}}\n" for i in range(1, 41))
BOMB = DOUBLINGS + "FROM alpine:3.20\nARG A40\nENV E=$A40\nUSER $A40\nRUN echo $A40\n"


def test_forty_doublings_are_cut_and_reported(tmp_path: Path) -> None:
    """The 10 TB ARG chain of the issue lints in bounded memory, with DF0008 naming what was cut."""
    assert 800 <= len(DOUBLINGS.encode()) <= 900  # the 836-byte file, give or take the newlines
    path = tmp_path / "Dockerfile"
    path.write_text(BOMB)
    result = lint_file(path)
    assert not result.outcome.notifications  # no rule crashed (MemoryError before the budget)
    cut = [f for f in result.outcome.findings if f.code == "DF0008"]
    assert cut and cut[0].source.span.start_line == 13 and "ARG A12" in cut[0].message
    scope = global_scope(parse_dockerfile(path))
    assert sum(len(v or "") for v in scope.values()) <= expansion_limit(len(DOUBLINGS))


def test_parse_level_expansion_is_bounded() -> None:
    """The parser's own expander (global ARGs, FROM) stops at the file's budget."""
    df = parse_dockerfile("Dockerfile", DOUBLINGS + "FROM img:${A40}\n")
    assert "$" in df.stages[0].base.resolved  # left as written: unknown, not 10 TB
    assert len(df.stages[0].base.resolved) < expansion_limit(len(df.text))


def test_an_expansion_the_budget_cannot_pay_stays_as_written() -> None:
    budget = ExpansionBudget(10)
    assert resolve_vars("${A}${A}", {"A": "12345"}, budget) == "1234512345"
    assert budget.left == 0
    assert resolve_vars("x$A", {"A": "1"}, budget) == "x$A"
    assert expand("$A$A$A", {"A": "x" * expansion_limit(12)}) == "$A$A$A"
    assert provenance_expand("$A$A$A", {"A": "x" * expansion_limit(6)}) == "$A$A$A"


def test_deep_default_nesting_is_left_as_written() -> None:
    """``${A:-${A:-...}}`` 5000 deep used to raise RecursionError in the parser."""
    text = "${A:-" * 5000 + "x" + "}" * 5000
    df = parse_dockerfile("Dockerfile", f"ARG X={text}\nFROM alpine:${{X}}\n")
    assert df.stages[0].base.raw == "alpine:${X}"


def test_shell_doubling_in_run_is_bounded() -> None:
    """``a=$a$a`` forty times in one RUN: the words stay bounded by the stage's budget."""
    run = "RUN a=aaaaaaaaaa; " + "; ".join(["a=$a$a"] * 40) + '; echo "$a"'
    df = parse_dockerfile("Dockerfile", f"FROM alpine:3.20\n{run}\n")
    stage = df.stages[0]
    for instruction, scope in walk(df, stage):
        if instruction.keyword == "RUN":
            words = [w.text for c in run_commands(instruction, scope) for w in c.words]
            assert sum(map(len, words)) <= expansion_limit(len(df.text)) + len(run)


@pytest.mark.parametrize("limit", [0, 1, 100])
def test_a_budget_charge_is_refused_whole(limit: int) -> None:
    budget = ExpansionBudget(limit)
    with pytest.raises(ExpansionCut):
        budget.charge(limit + 1)
    assert budget.left == limit
