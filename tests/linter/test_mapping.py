"""The generated rules mapping (docs/rules-mapping.md) is current and covers every foreign check."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pylint_image.linter import RuleMeta, Severity, Target, rule
from pylint_image.linter.mapping import (
    BUILDKIT_CHECKS,
    CHECKOV_CHECKS,
    HADOLINT_RULES,
    NOT_CARRIED_OVER,
    TRIVY_CHECKS,
    classify,
    covered,
    missing,
    normalize,
    render,
)
from pylint_image.linter.plugins import load_registry

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "rules-mapping.md"


@pytest.fixture(scope="module")
def rules():
    return load_registry().rules


def test_committed_doc_is_generated_from_current_rules(rules) -> None:
    assert DOC.is_file(), "run: python -m pylint_image.linter.mapping"
    assert DOC.read_text(encoding="utf-8") == render(rules), (
        "docs/rules-mapping.md is stale: run python -m pylint_image.linter.mapping")


def test_every_foreign_check_has_a_rule_or_a_reason(rules) -> None:
    gaps = missing(rules)
    assert not gaps, "foreign checks with neither an equivalent rule (alias) nor a NOT_CARRIED_OVER reason:\n" + (
        "\n".join(f"{kind} ({len(ids)}): {', '.join(ids)}" for kind, ids in gaps.items()))


def test_not_carried_over_is_not_also_carried_over(rules) -> None:
    both = {i: codes for i, codes in covered(rules).items() if i in NOT_CARRIED_OVER}
    assert not both, f"in NOT_CARRIED_OVER but an alias of a rule (drop the entry): {both}"
    assert all(classify(i) and why.strip() for i, why in NOT_CARRIED_OVER.items())


def test_known_foreign_lists() -> None:
    assert len(HADOLINT_RULES) == len(set(HADOLINT_RULES)) == 71  # hadolint 2.15.1, removed rules excluded
    assert len(BUILDKIT_CHECKS) == len(set(BUILDKIT_CHECKS)) == 22
    assert sorted(CHECKOV_CHECKS) == sorted(f"CKV_DOCKER_{n}" for n in range(1, 12))
    assert all(re.fullmatch(r"DS\d{3}", i) for i in TRIVY_CHECKS)
    for kind, ids in (("hadolint", HADOLINT_RULES), ("buildkit", BUILDKIT_CHECKS),
                      ("trivy", TRIVY_CHECKS), ("checkov", CHECKOV_CHECKS)):
        assert {classify(i) for i in ids} == {kind}


@pytest.mark.parametrize(("alias", "kind"), [
    ("DL3008", "hadolint"), ("JSONArgsRecommended", "buildkit"), ("FromAsCasing", "buildkit"),
    ("DS001", "trivy"), ("DS-0029", "trivy"), ("AVD-DS-0029", "trivy"), ("CKV_DOCKER_7", "checkov"),
    ("CKV2_DOCKER_1", "checkov"), ("DF1001", None), ("IM2001", None),
])
def test_classify(alias: str, kind: str | None) -> None:
    assert classify(alias) == kind


def test_normalize_trivy_spellings() -> None:
    assert normalize("DS-0029") == normalize("AVD-DS-0029") == normalize("DS029") == "DS029"
    assert normalize("DL3008") == "DL3008"


def test_every_alias_is_a_known_kind_or_an_old_code_of_ours(rules) -> None:
    rules = [r for r in rules if r.meta.target is Target.DOCKERFILE]  # image rules carry e.g. Dockle ids
    odd = [(r.meta.code, a) for r in rules for a in r.meta.aliases
           if classify(a) is None and not re.fullmatch(r"(DF|IM|RT)\d{4}", a)]
    assert not odd, f"aliases of no known shape (typo?): {odd}"
    known = set(HADOLINT_RULES) | {"DL1000"} | set(BUILDKIT_CHECKS) | set(TRIVY_CHECKS) | set(CHECKOV_CHECKS)
    unknown = [(r.meta.code, a) for r in rules for a in r.meta.aliases
               if classify(a) in ("hadolint", "buildkit", "checkov") and not a.startswith("CKV2_")
               and normalize(a) not in known]
    assert not unknown, f"aliases naming no current check of that tool: {unknown}"


def test_render_is_pure_and_sorts_columns() -> None:
    def check(dockerfile, ctx):  # pragma: no cover - never run
        return iter(())

    fake = rule(meta=RuleMeta(code="DF9999", name="fake-rule", severity=Severity.INFO, target=Target.DOCKERFILE,
                              summary="x", aliases=("CKV_DOCKER_1", "DS004", "DL3011", "ExposeInvalidFormat")),
                check=check)
    text = render([fake])
    assert "| `DF9999` | fake-rule | info | `DL3011` | `ExposeInvalidFormat` | `DS004` | `CKV_DOCKER_1` |" in text
    assert render([fake]) == text
