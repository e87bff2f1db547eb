"""SARIF formatter: schema-valid, GitHub code-scanning ready, golden output, serializer rules."""

from __future__ import annotations

import io
import json
from functools import cache
from pathlib import Path

import pytest

from pylint_image.linter import Finding, Report, Severity, SourceLocation, Span
from pylint_image.linter.formatters.sarif import FINGERPRINT_KEY, SarifFormatter, build_sarif
from pylint_image.linter.formatters.sarif_serialize import to_json
from tests.support.golden import assert_golden
from tests.support.sample_report import CASES, DOCKERFILE, ROOT, full_report, image_only_report

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMA_CANDIDATES = (REPO_ROOT.parent / "shared" / "schemas", Path("/work/shared/schemas"))


@cache
def _validator():
    import jsonschema

    for folder in SCHEMA_CANDIDATES:
        path = folder / "sarif-schema-2.1.0.json"
        if path.is_file():
            schema = json.loads(path.read_text(encoding="utf-8"))
            return jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    pytest.fail(f"sarif-schema-2.1.0.json not found in {[str(c) for c in SCHEMA_CANDIDATES]}")


def _render(report: Report, **kwargs) -> dict:
    """Render, parse and schema-validate: every SARIF these tests produce goes through here."""
    stream = io.StringIO()
    SarifFormatter(**kwargs).render(report, stream)
    log = json.loads(stream.getvalue())
    errors = sorted(_validator().iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)
    return log


def _assert_code_scanning_ready(log: dict, *, physical_required: bool = True) -> None:
    """GitHub's rules: rules have short/full description and help; results have uri + startLine."""
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    for r in rules:
        assert r["shortDescription"]["text"] and r["fullDescription"]["text"], r["id"]
        assert r["help"]["text"] and r["help"]["markdown"], r["id"]
        assert r["helpUri"].startswith("https://"), r["id"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note")
        assert result["partialFingerprints"][FINGERPRINT_KEY]
        if physical_required:
            physical = result["locations"][0]["physicalLocation"]
            assert physical["artifactLocation"]["uri"]
            assert physical["region"]["startLine"] >= 1


@pytest.mark.parametrize("case", sorted(CASES))
def test_sarif_golden_and_valid(case: str) -> None:
    log = _render(CASES[case]())
    _assert_code_scanning_ready(log, physical_required=case != "image_only")
    stream = io.StringIO()
    SarifFormatter().render(CASES[case](), stream)
    assert_golden(f"formatters/sarif/{case}.out", stream.getvalue())


def test_sarif_header_and_driver() -> None:
    log = _render(full_report())
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-schema-2.1.0.json")
    assert len(log["runs"]) == 1
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "pylint-image" and driver["version"] == "0.1.0"
    assert driver["informationUri"].startswith("https://")
    im = next(r for r in driver["rules"] if r["id"] == "IM2001")
    assert im["properties"]["security-severity"] == "7.5"
    assert im["properties"]["tags"] == ["external/cwe/cwe-250", "security"]
    assert im["defaultConfiguration"]["level"] == "error"
    df = next(r for r in driver["rules"] if r["id"] == "DF1006")
    assert df["defaultConfiguration"]["level"] == "warning"  # the schema default, still written
    assert df["fullDescription"]["text"] == "Checks for unpinned image tag."


def test_sarif_results_locations_suppressions_fixes() -> None:
    results = {r["partialFingerprints"][FINGERPRINT_KEY]: r for r in _render(full_report())["runs"][0]["results"]}
    first = results["fp-df1006-1"]
    assert first["ruleIndex"] == 0 and first["level"] == "warning"
    physical = first["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": "app/Dockerfile", "uriBaseId": "%SRCROOT%"}
    assert physical["region"] == {"startLine": 2, "startColumn": 6, "endLine": 2, "endColumn": 12,
                                  "snippet": {"text": "python"}}
    multi = results["fp-df2010-1"]["locations"][0]["physicalLocation"]["region"]
    assert (multi["startLine"], multi["endLine"], multi["endColumn"]) == (3, 4, 28)
    assert results["fp-df1006-2"]["suppressions"] == [{"kind": "inSource", "justification": "pinned by renovate"}]
    assert "suppressions" not in first
    fix = results["fp-df3001-1"]["fixes"][0]
    assert fix["description"]["text"] == "Uppercase the instruction"
    replacement = fix["artifactChanges"][0]["replacements"][0]
    assert replacement["insertedContent"] == {"text": "FROM"}
    assert replacement["deletedRegion"] == {"startLine": 5, "startColumn": 1, "endLine": 5, "endColumn": 5}
    both = results["fp-im2001-1"]["locations"][0]
    assert both["logicalLocations"][0]["fullyQualifiedName"] == "example:1.0:/app/bin/helper"
    assert both["physicalLocation"]["region"]["startLine"] == 8


def test_image_finding_without_source_is_anchored_to_the_final_from() -> None:
    results = _render(full_report())["runs"][0]["results"]
    su = next(r for r in results if r["partialFingerprints"][FINGERPRINT_KEY] == "fp-im2001-2")
    assert su["locations"][0]["physicalLocation"]["region"]["startLine"] == 7  # `FROM debian`
    assert su["locations"][0]["logicalLocations"][0]["name"] == "/bin/su"
    assert su["message"]["text"].startswith("example:1.0:/bin/su: ")


def test_image_only_scan_has_logical_locations_only() -> None:
    for result in _render(image_only_report())["runs"][0]["results"]:
        location = result["locations"][0]
        assert "physicalLocation" not in location and location["logicalLocations"]


def test_notifications_and_execution_status() -> None:
    invocation = _render(full_report())["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False  # a rule crashed
    notes = invocation["toolExecutionNotifications"]
    assert [n["descriptor"]["id"] for n in notes] == ["rule-crashed", "sandbox-unavailable"]
    assert notes[0]["associatedRule"] == {"id": "DF9999"}
    assert _render(image_only_report())["runs"][0]["invocations"] == [{"executionSuccessful": True}]


def test_unknown_code_gets_a_stand_in_rule() -> None:
    finding = Finding("XX0001", "mystery", Severity.ERROR, SourceLocation(DOCKERFILE, Span(1, 1, 1, 2)), "boom", "fp")
    report = Report(findings=(finding,), notifications=(), rules=(), targets=(), tool_version="0.1.0", root=ROOT)
    log = _render(report)
    _assert_code_scanning_ready(log)
    assert log["runs"][0]["tool"]["driver"]["rules"][0]["id"] == "XX0001"


def test_paths_outside_root_and_special_characters() -> None:
    inside = Finding("DF1006", "unpinned-image-tag", Severity.WARNING,
                     SourceLocation(ROOT / "my dir" / "Dockerfile", Span(1, 1, 1, 2)), "m", "fp1")
    outside = Finding("DF1006", "unpinned-image-tag", Severity.WARNING,
                      SourceLocation(Path("/elsewhere/Dockerfile"), Span(1, 1, 1, 2)), "m", "fp2")
    report = Report(findings=(inside, outside), notifications=(), rules=(), targets=(), tool_version="0.1.0", root=ROOT)
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in _render(report)["runs"][0]["results"]]
    assert uris == [{"uri": "file:///elsewhere/Dockerfile"}, {"uri": "my%20dir/Dockerfile", "uriBaseId": "%SRCROOT%"}]


def test_serializer_drops_none_and_defaults_but_keeps_level_and_rule_index() -> None:
    import sarif_om as om

    result = om.Result(message=om.Message(text="x"), rule_id="A", rule_index=0, level="warning")
    assert to_json(result) == {"message": {"text": "x"}, "level": "warning", "ruleId": "A", "ruleIndex": 0}
    assert to_json(om.Run(tool=om.Tool(driver=om.ToolComponent(name="t")))) == {"tool": {"driver": {"name": "t"}}}
    assert to_json(om.Region(start_line=1, char_offset=0)) == {"charOffset": 0, "startLine": 1}


def test_build_sarif_equals_rendered_output() -> None:
    assert build_sarif(full_report()) == _render(full_report())
    assert _render(full_report(), concise=True) == _render(full_report())
