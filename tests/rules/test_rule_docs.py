"""Docs are code: each Dockerfile rule's Example must fire and its Use instead must not."""

from __future__ import annotations

from pathlib import Path

import pytest

import pylint_image.rules as builtin
from pylint_image.linter.docs import code_blocks, examples, parse_doc
from pylint_image.linter.ruleapi import Target
from tests.support.linting import lint_file

DF_RULES = [r for r in builtin.BUILTIN_RULES if r.meta.target is Target.DOCKERFILE]


def _codes(text: str, context: tuple[str, ...], folder: Path, table: dict) -> set[str]:
    """Lint ``text`` as ``folder/Dockerfile``, with a ```dockerignore block as its context's ignore file."""
    folder.mkdir()
    (folder / "Dockerfile").write_text(text)
    if context:
        (folder / ".dockerignore").write_text(context[0])
    return {f.code for f in lint_file(folder / "Dockerfile", table=table).outcome.findings}


@pytest.mark.parametrize("rule", DF_RULES, ids=lambda r: f"{r.meta.code}-{r.meta.name}")
def test_example_fires_and_use_instead_does_not(rule, tmp_path: Path) -> None:
    ex = examples(rule)
    doc = parse_doc(rule.doc)
    bad_ctx = code_blocks(doc.section("Example"), "dockerignore")
    good_ctx = code_blocks(doc.section("Use instead"), "dockerignore")
    assert ex.bad, "the doc needs a ```dockerfile block under ## Example"
    assert ex.good, "the doc needs a ```dockerfile block under ## Use instead"
    table = {"preview": True}  # a preview rule's doc must hold as much as a stable one's
    for n, text in enumerate(ex.bad):
        codes = _codes(text, bad_ctx, tmp_path / f"bad{n}", table)
        assert rule.meta.code in codes, f"Example does not trigger {rule.meta.code}:\n{text}"
    for n, text in enumerate(ex.good):
        codes = _codes(text, good_ctx, tmp_path / f"good{n}", table)
        assert rule.meta.code not in codes, f"Use instead triggers {rule.meta.code}:\n{text}"
