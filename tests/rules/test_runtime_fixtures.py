"""Every RUNTIME rule on canned observations: tests/fixtures/runtime/<CODE>/<case>.json in, exact findings out.

No Docker and no sandbox: each case is a recorded (``recorded-*``) or written observation,
loaded strictly into the real model (tests/support/runtime_fixtures.py) and judged by
verify's own ``judge``, so suppressions and configuration apply as in a real run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pylint_image.linter.ruleapi import Target
from tests.support.linting import registry
from tests.support.runtime_fixtures import (FixtureError, all_cases, expected_of, findings_of, judge_case,
                                            load_case, run_from_json, run_to_json)

CASES = all_cases()
RUNTIME_CODES = sorted(r.meta.code for r in registry().rules if r.meta.target is Target.RUNTIME
                       and r.meta.code.startswith("RT"))


@pytest.mark.parametrize("path", CASES, ids=[f"{p.parent.name}/{p.stem}" for p in CASES])
def test_runtime_fixture_findings_are_exactly_the_expected(path: Path) -> None:
    case = load_case(path)
    outcome = judge_case(case)
    crashed = [n.message for n in outcome.notifications if n.id == "rule-crashed"]
    assert not crashed, crashed   # every RUNTIME rule ran on the case, not only the checked ones
    assert findings_of(case, outcome) == expected_of(case)


@pytest.mark.parametrize("path", CASES, ids=[f"{p.parent.name}/{p.stem}" for p in CASES])
def test_runtime_fixture_round_trips_through_json(path: Path) -> None:
    """The recorder's writer and the loader agree: what is written is what is read back."""
    case = load_case(path)
    again = run_from_json(json.loads(json.dumps(run_to_json(case.run))), case.run.sources)
    assert again == case.run


def test_every_runtime_rule_has_a_positive_and_a_negative_fixture() -> None:
    assert len(RUNTIME_CODES) == 13, RUNTIME_CODES
    cases = [load_case(p) for p in CASES]
    folders = {p.parent.name for p in CASES}
    assert folders <= set(RUNTIME_CODES), f"fixture folders that name no runtime rule: {folders - set(RUNTIME_CODES)}"
    unknown = sorted({code for c in cases for code in c.check} - set(RUNTIME_CODES))
    assert not unknown, f"'check' names codes that are no runtime rule: {unknown}"
    for code in RUNTIME_CODES:
        checking = [c for c in cases if code in c.check]
        fires = [c for c in checking if any(e["code"] == code for e in c.expected)]
        quiet = [c for c in checking if not any(e["code"] == code for e in c.expected)]
        assert fires, f"{code}: no fixture where it fires"
        assert quiet, f"{code}: no fixture where it must stay quiet"


def test_the_cases_judge_in_milliseconds() -> None:
    import time

    cases = [load_case(p) for p in CASES]
    began = time.perf_counter()
    for case in cases:
        judge_case(case)
    assert (time.perf_counter() - began) / len(cases) < 0.05


# --- the loader is strict ----------------------------------------------------------------------

_GOOD = {"about": "x", "dockerfile": ["FROM busybox", "USER root"], "run": {"image": "img", "uid_seen": 0},
         "expected": []}


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "RT3001" / "case.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(data))
    return path


def test_a_well_formed_case_loads_into_the_real_model(tmp_path: Path) -> None:
    case = load_case(_write(tmp_path, _GOOD))
    assert case.check == ("RT3001",)
    assert case.run.uid_seen == 0 and case.run.image == "img"
    assert sorted(case.run.sources) == ["stage", "user"]   # from the Dockerfile, by claim_sources
    assert case.run.sources["user"].span.start_line == 2


@pytest.mark.parametrize(("change", "message"), [
    ({"exepcted": []}, r"RT3001/case\.json: unknown key\(s\) 'exepcted'"),
    ({"run": {"image": "img", "uid": 0}}, r"\.run: unknown key\(s\) 'uid'"),
    ({"run": {"uid_seen": 0}}, r"\.run: missing key\(s\) 'image'"),
    ({"run": {"image": "img", "uid_seen": "0"}}, r"\.run\.uid_seen: expected an integer, got '0'"),
    ({"run": {"image": "img", "uid_seen": True}}, r"\.run\.uid_seen: expected an integer, got True"),
    ({"run": {"image": "img", "sources": {}}}, r"\.run\.sources: not written in a fixture"),
    ({"run": {"image": "img", "start": {"probe": "start", "argv": "sh"}}},
     r"\.run\.start\.argv: expected a list, got str"),
    ({"run": {"image": "img", "ports": [{"port": 80, "protocol": "tcp", "declared": True, "open": True}]}},
     r"\.run\.ports\[0\]: unknown key\(s\) 'open'"),
    ({"run": {"image": "img", "entrypoint": {"kind": "missing", "path": "/a", "detail": "d"}}},
     r"\.run\.entrypoint\.kind: 'missing' is not one of"),
    ({"run": {"image": "img", "start": {"probe": "start", "argv": [], "peaks": {"memory_bytes": 1.5}}}},
     r"\.run\.start\.peaks\.memory_bytes: expected an integer"),
    ({"expected": [{"code": "RT3001", "severity": "warning", "message": "m",
                    "location": {"image": "img", "probe": "user", "span": [2, 1]}}]},
     r"\.expected\[0\]\.location\.span: expected null or \[line, col, end_line, end_col\]"),
    ({"expected": [{"code": "RT3001", "severity": "fatal", "message": "m",
                    "location": {"image": "img", "probe": "user", "span": None}}]},
     r"\.expected\[0\]\.severity: 'fatal' is not a severity"),
    ({"expected": [{"code": "RT3001", "severity": "warning", "message": "m", "line": 2,
                    "location": {"image": "img", "probe": "user", "span": None}}]},
     r"\.expected\[0\]: unknown key\(s\) 'line'"),
    ({"expected": [{"code": "RT3007", "severity": "error", "message": "m",
                    "location": {"image": "img", "probe": "ports", "span": None}}]},
     r"\.expected: RT3007 not in 'check'"),
    ({"dockerfile": None, "target": "build"}, r"\.target: needs a dockerfile"),
    ({"dockerfile": "FROM busybox"}, r"\.dockerfile: expected null or a list of lines"),
    ({"about": " "}, r"\.about: say in one sentence"),
])
def test_a_malformed_case_is_refused_with_its_json_path(tmp_path: Path, change: dict, message: str) -> None:
    with pytest.raises(FixtureError, match=message):
        load_case(_write(tmp_path, {**_GOOD, **change}))
