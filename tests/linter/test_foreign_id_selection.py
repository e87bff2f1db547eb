"""Foreign ids act per finding: select/ignore, severity, pragmas and BuildKit's check=skip.

A small test rule (DF9101) says per finding which hadolint id it is (apt -> DL3008, pip ->
DL3013) and which BuildKit check (FakeApt, FakePip); a ``legacy`` command gives a finding
that names no id, as rules not yet converted do.  So these tests do not depend on how the
built-in rules tag their findings.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pylint_image.linter import RuleMeta, Severity, Span, Target, Violation, rule
from pylint_image.linter.config import UnknownRuleError, build_config
from pylint_image.linter.lint import lint_one
from pylint_image.linter.plugins import Registry
from pylint_image.linter.selection import Selection, family, finding_strength
from tests.support.linting import registry as real_registry

_DOC = """## What it does
Test rule.

## Why is this bad?
Test rule.

## Example
```dockerfile
FROM debian:12
```

## Use instead
```dockerfile
FROM debian:12
```
"""

_WORDS = {"apt-get": ("DL3008", "FakeApt"), "pip": ("DL3013", "FakePip"), "legacy": ()}


def _check(dockerfile, ctx):
    for instruction in dockerfile.instructions():
        if instruction.keyword != "RUN":
            continue
        for word, ids in _WORDS.items():
            col = instruction.raw.find(word)
            if col >= 0:
                line = instruction.span.start_line
                yield Violation(Span(line, col + 1, line, col + 1 + len(word)), f"{word} package unpinned",
                                tool_ids=ids)


PACKAGES = rule(meta=RuleMeta(code="DF9101", name="fake-unpinned-package", severity=Severity.WARNING,
                              target=Target.DOCKERFILE, summary="Fake",
                              aliases=("DL3008", "DL3013", "FakeApt", "FakePip")),
                check=_check, doc=_DOC)
TEXT = "FROM debian:12\nRUN apt-get install curl && pip install flask\n"


def _registry() -> Registry:
    unused = [r for r in real_registry().rules if r.meta.code == "DF0002"]
    return Registry(rules=(PACKAGES, *unused), origins={}, plugins=())


def _lint(text: str = TEXT, **table):
    reg = _registry()
    config = build_config(table, reg.rules)
    outcome = lint_one(Path("Dockerfile"), Path.cwd(), reg, config, {}, text=text).outcome
    assert not outcome.notifications, outcome.notifications
    return outcome.findings


def _words(findings, *, suppressed: bool | None = None) -> list[str]:
    """The command word of each DF9101 finding (optionally only the (un)suppressed ones)."""
    return sorted(f.message.split()[0] for f in findings if f.code == "DF9101"
                  and (suppressed is None or (f.suppressed is not None) == suppressed))


def test_ignore_a_foreign_id_drops_only_the_findings_carrying_it() -> None:
    assert _words(_lint()) == ["apt-get", "pip"]
    assert _words(_lint(ignore=["DL3013"])) == ["apt-get"]
    assert _words(_lint(ignore=["dl3008"])) == ["pip"]  # ids are case-insensitive


def test_select_a_foreign_id_runs_the_rule_and_keeps_only_its_findings() -> None:
    assert _words(_lint(select=["DL3008"])) == ["apt-get"]
    assert _words(_lint(select=["DL3008", "DL3013"])) == ["apt-get", "pip"]
    assert _words(_lint(select=["DF9101"], ignore=["DL3008"])) == ["pip"]
    # the id a finding carries is more specific than the rule's code, either way round
    assert _words(_lint(select=["DL3013"], ignore=["DF9101"])) == ["pip"]
    assert _words(_lint(select=["DL3013", "DL3008"], ignore=["fake-unpinned-package", "DL3008"])) == ["pip"]


def test_a_finding_naming_no_id_is_matched_through_the_aliases() -> None:
    text = "FROM debian:12\nRUN legacy install x\nRUN pip install flask\n"
    assert _words(_lint(text)) == ["legacy", "pip"]
    # ``legacy`` says no hadolint id: the rule's aliases stand for it, as before findings had ids
    assert _words(_lint(text, ignore=["DL3008"])) == ["pip"]
    assert _words(_lint(text, select=["DL3008"])) == ["legacy"]


def test_every_hadolint_id_ignored_means_the_rule_does_not_run() -> None:
    selection = Selection(ignore=("DL3008", "DL3013"))
    assert not selection.enabled(PACKAGES)
    assert Selection(ignore=("DL3008",)).enabled(PACKAGES)
    assert _lint(ignore=["DL3008", "DL3013"]) == []


def test_selection_without_foreign_tokens_keeps_the_fast_path() -> None:
    assert Selection().finding_filter(PACKAGES) is None
    assert Selection(select=("DF9",), ignore=("DF91", "fake-unpinned-package")).finding_filter(PACKAGES) is None
    keep = Selection(ignore=("DL3013",)).finding_filter(PACKAGES)
    assert keep is not None and keep(("DL3008",)) and not keep(("DL3013",)) and not keep(())


def test_strength_and_families() -> None:
    assert [family(i) for i in ("DL3008", "sc2086", "DS001", "CKV_DOCKER_1", "CKV2_DOCKER_7", "CIS-DI-0001",
                                "FromAsCasing", "DF2001", "unpinned-image-tag", "ALL")] == [
        "hadolint", "shellcheck", "trivy", "checkov", "checkov", "dockle", "buildkit", None, None, None]
    assert finding_strength("DL3013", PACKAGES, ("DL3013", "FakePip")) == 1001  # above the rule's code
    assert finding_strength("DL3008", PACKAGES, ("DL3013", "FakePip")) == 0
    # Another tool's alias still matches: this finding names no Trivy id, say
    assert finding_strength("FakeApt", PACKAGES, ("DL3008",)) == 1000
    assert finding_strength("DF9101", PACKAGES, ("DL3013",)) == 1000
    assert finding_strength("DF91", PACKAGES, ("DL3013",)) == 5


def test_severity_table_with_a_foreign_id_changes_only_those_findings() -> None:
    found = {f.message.split()[0]: f.severity for f in _lint(severity={"DL3013": "error"})}
    assert found == {"apt-get": Severity.WARNING, "pip": Severity.ERROR}
    # the most specific entry wins: the id beats the rule code
    found = {f.message.split()[0]: f.severity for f in _lint(severity={"DL3013": "info", "DF9101": "error"})}
    assert found == {"apt-get": Severity.ERROR, "pip": Severity.INFO}


@pytest.mark.parametrize("pragma", ["# hadolint ignore=DL3013", "# pylint-image: ignore=DL3013",
                                    "# pylint-image: ignore=FakePip -- BuildKit's name works too"])
def test_pragma_with_a_foreign_id_hides_only_that_finding_of_the_instruction(pragma: str) -> None:
    text = f"FROM debian:12\n{pragma}\nRUN apt-get install curl && pip install flask\n"
    found = _lint(text)
    assert _words(found, suppressed=True) == ["pip"]
    assert _words(found, suppressed=False) == ["apt-get"]
    assert not [f for f in found if f.code == "DF0002"]  # the pragma was used


def test_pragma_naming_an_id_no_finding_carries_is_unused() -> None:
    text = "FROM debian:12\n# pylint-image: ignore=DL3013\nRUN apt-get install curl\n"
    found = _lint(text)
    assert _words(found, suppressed=False) == ["apt-get"]
    assert [f.message for f in found if f.code == "DF0002"] == ["unused suppression: 'DL3013' reports nothing here"]
    # ... unless the selection drops those findings anyway: then nothing proves it useless
    assert not [f for f in _lint(text, select=["DL3008", "DF0002"]) if f.code == "DF0002"]


def test_buildkit_check_skip_drops_the_findings_of_that_check_only() -> None:
    assert _words(_lint("# check=skip=FakePip\n" + TEXT)) == ["apt-get"]
    assert _words(_lint("# check=skip=fakeapt;error=true\n" + TEXT)) == ["pip"]
    assert _words(_lint("# check=skip=all\n" + TEXT)) == []
    assert _words(_lint("# check=skip=DL3013\n" + TEXT)) == ["apt-get", "pip"]  # not a BuildKit check


def test_fingerprints_do_not_depend_on_the_selection() -> None:
    every = {f.message: f.fingerprint for f in _lint()}
    some = {f.message: f.fingerprint for f in _lint(ignore=["DL3008"])}
    assert some == {"pip package unpinned": every["pip package unpinned"]}


def test_unknown_foreign_ids_are_still_config_errors() -> None:
    with pytest.raises(UnknownRuleError, match="DL9999"):
        build_config({"ignore": ["DL9999"]}, _registry().rules)


def test_an_exact_rule_is_matched_only_by_the_ids_its_findings_carry() -> None:
    import dataclasses

    exact = rule(meta=dataclasses.replace(PACKAGES.meta, exact_tool_ids=True), check=_check, doc=_DOC)
    text = "FROM debian:12\nRUN legacy install x\nRUN pip install flask\n"
    reg = Registry(rules=(exact,), origins={}, plugins=())

    def words(**table) -> list[str]:
        config = build_config(table, reg.rules)
        return _words(lint_one(Path("Dockerfile"), Path.cwd(), reg, config, {}, text=text).outcome.findings)

    # ``legacy`` carries no id: with an exact rule no alias stands in for it
    assert words(ignore=["DL3008"]) == ["legacy", "pip"]
    assert words(select=["DL3008"]) == []
    assert words(select=["DL3013"]) == ["pip"]
    assert Selection(ignore=("DL3008", "DL3013")).enabled(exact)  # ``legacy`` is neither
    assert finding_strength("DL3013", exact, ()) == 0 and finding_strength("DF9101", exact, ()) == 1000
