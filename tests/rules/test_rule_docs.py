"""Docs are code: each Dockerfile rule's Example must fire and its Use instead must not."""

from __future__ import annotations

import pytest

import pylint_image.rules as builtin
from pylint_image.linter.docs import examples
from pylint_image.linter.ruleapi import Target
from tests.support.linting import lint_text

DF_RULES = [r for r in builtin.BUILTIN_RULES if r.meta.target is Target.DOCKERFILE]


@pytest.mark.parametrize("rule", DF_RULES, ids=lambda r: f"{r.meta.code}-{r.meta.name}")
def test_example_fires_and_use_instead_does_not(rule) -> None:
    ex = examples(rule)
    assert ex.bad, "the doc needs a ```dockerfile block under ## Example"
    assert ex.good, "the doc needs a ```dockerfile block under ## Use instead"
    table = {"preview": True}  # a preview rule's doc must hold as much as a stable one's
    for text in ex.bad:
        codes = {f.code for f in lint_text(text, table=table).outcome.findings}
        assert rule.meta.code in codes, f"Example does not trigger {rule.meta.code}:\n{text}"
    for text in ex.good:
        codes = {f.code for f in lint_text(text, table=table).outcome.findings}
        assert rule.meta.code not in codes, f"Use instead triggers {rule.meta.code}:\n{text}"
