"""The CI report formats (gitlab, codeclimate, checkstyle, junit, sonarqube) and the rule docs links.

Each format is pinned by golden files and read back by a consumer: junitparser for JUnit,
an XML parse with Checkstyle's element contract, and shape checks written from the field
lists GitLab, Code Climate and SonarQube document.  The links: one base URL (docs.rule_url)
feeds SARIF's helpUri and every format's link; changing it changes all of them.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pylint_image.linter import docs
from pylint_image.linter.cli import FORMATS_HELP
from pylint_image.linter.findings import Finding, Notification, Severity, SourceLocation
from pylint_image.linter.formatters import BUILTIN_FORMATTERS
from pylint_image.linter.formatters.checkstyle import CheckstyleFormatter
from pylint_image.linter.formatters.codeclimate import CodeClimateFormatter
from pylint_image.linter.formatters.gitlab import GitlabFormatter
from pylint_image.linter.formatters.junit import JunitFormatter
from pylint_image.linter.formatters.sarif import build_sarif
from pylint_image.linter.formatters.sonarqube import SonarqubeFormatter
from pylint_image.linter.model.span import Span
from pylint_image.linter.report import Report
from tests.support.golden import assert_golden
from tests.support.sample_report import CASES, DISPLAY, DOCKERFILE, DOCKERFILE_TEXT, IMAGE, ROOT, full_report

REPO = Path(__file__).resolve().parent.parent
FORMATTERS = {"gitlab": GitlabFormatter, "codeclimate": CodeClimateFormatter, "checkstyle": CheckstyleFormatter,
              "junit": JunitFormatter, "sonarqube": SonarqubeFormatter}
# The documented vocabularies (docs.gitlab.com "Code Quality report format"; codeclimate/platform
# spec/analyzers/SPEC.md; SonarQube "Generic issue import format", 10.3+).
CODE_QUALITY_SEVERITIES = {"info", "minor", "major", "critical", "blocker"}
CODE_CLIMATE_CATEGORIES = {"Bug Risk", "Clarity", "Compatibility", "Complexity", "Duplication", "Performance",
                           "Security", "Style"}
SONAR_QUALITIES = {"MAINTAINABILITY", "RELIABILITY", "SECURITY"}
SONAR_IMPACT_SEVERITIES = {"HIGH", "MEDIUM", "LOW"}
SONAR_ATTRIBUTES = {"FORMATTED", "CONVENTIONAL", "IDENTIFIABLE", "CLEAR", "LOGICAL", "COMPLETE", "EFFICIENT",
                    "FOCUSED", "DISTINCT", "MODULAR", "TESTED", "LAWFUL", "TRUSTWORTHY", "RESPECTFUL"}
CHECKSTYLE_SEVERITIES = {"error", "warning", "info", "ignore"}
HOSTILE = "bad \x1b[31mred\x1b[0m \x00nul \x0cff \x7fdel \u202eevil <script>&amp;</script> ]]> \"q\" 'a' \ud800 end"


@pytest.fixture(autouse=True)
def _default_docs_url(monkeypatch: pytest.MonkeyPatch):
    """Every test starts from the default docs URL (a developer's PYLINT_IMAGE_DOCS_URL does not reach it)."""
    monkeypatch.delenv(docs.DOCS_URL_ENV, raising=False)
    docs.set_docs_url(None)
    yield
    docs.set_docs_url(None)


def render(name: str, report: Report, **kwargs) -> str:
    stream = io.StringIO()
    FORMATTERS[name](**kwargs).render(report, stream)
    return stream.getvalue()


def gitlab(report: Report) -> list[dict]:
    issues = json.loads(render("gitlab", report))
    check_gitlab(issues)
    return issues


def codeclimate(report: Report) -> list[dict]:
    text = render("codeclimate", report)
    assert not text or text.endswith("\0\n")
    issues = [json.loads(doc) for doc in text.split("\0") if doc.strip()]
    check_codeclimate(issues)
    return issues


def sonar(report: Report) -> dict:
    doc = json.loads(render("sonarqube", report))
    check_sonar(doc, report)
    return doc


def checkstyle(report: Report) -> ET.Element:
    root = ET.fromstring(render("checkstyle", report))
    check_checkstyle(root)
    return root


def junit(report: Report, tmp_path: Path):
    from junitparser import JUnitXml

    path = tmp_path / "junit.xml"
    path.write_text(render("junit", report), encoding="utf-8")
    return JUnitXml.fromfile(str(path))


# -- the documented shapes ---------------------------------------------------------------


def check_gitlab(issues: object) -> None:
    """GitLab's required fields and types (docs.gitlab.com/ci/testing/code_quality, report format)."""
    assert isinstance(issues, list)
    for issue in issues:
        assert isinstance(issue["description"], str) and issue["description"]
        assert isinstance(issue["check_name"], str) and issue["check_name"]
        assert isinstance(issue["fingerprint"], str) and issue["fingerprint"]
        assert issue["severity"] in CODE_QUALITY_SEVERITIES
        location = issue["location"]
        assert isinstance(location["path"], str) and not location["path"].startswith(("/", "./"))
        begin = location["lines"]["begin"] if "lines" in location else location["positions"]["begin"]["line"]
        assert isinstance(begin, int) and begin >= 1
    prints = [i["fingerprint"] for i in issues]
    assert len(prints) == len(set(prints)), "GitLab shows only the first issue of a fingerprint"


def check_codeclimate(issues: list[dict]) -> None:
    """The spec's issue: type, check_name, description, categories, location required; severity values."""
    for issue in issues:
        assert issue["type"] == "issue"
        assert isinstance(issue["check_name"], str) and isinstance(issue["description"], str)
        assert issue["categories"] and set(issue["categories"]) <= CODE_CLIMATE_CATEGORIES
        location = issue["location"]
        assert isinstance(location["path"], str)
        if "positions" in location:
            begin, end = location["positions"]["begin"], location["positions"]["end"]
            assert begin["line"] >= 1 and begin["column"] >= 1 and end["column"] >= 1
            assert (end["line"], end["column"]) >= (begin["line"], begin["column"])
        else:
            assert location["lines"]["begin"] >= 1 and location["lines"]["end"] >= location["lines"]["begin"]
        assert issue["severity"] in CODE_QUALITY_SEVERITIES
        assert isinstance(issue["fingerprint"], str) and isinstance(issue["content"]["body"], str)


def check_sonar(doc: dict, report: Report) -> None:
    """What SonarQube's ExternalIssueReportValidator demands of the 10.3+ format, and valid text ranges."""
    assert set(doc) == {"rules", "issues"}
    ids = [r["id"] for r in doc["rules"]]
    assert len(ids) == len(set(ids)), "duplicate rule ids fail the import"
    for r in doc["rules"]:
        assert r["id"] and r["name"] and r["engineId"] == "pylint-image" and isinstance(r["description"], str)
        assert r["cleanCodeAttribute"] in SONAR_ATTRIBUTES
        assert r["impacts"], "impacts must not be empty"
        for impact in r["impacts"]:
            assert impact["softwareQuality"] in SONAR_QUALITIES and impact["severity"] in SONAR_IMPACT_SEVERITIES
    for issue in doc["issues"]:
        assert issue["ruleId"] in ids
        assert not {"severity", "type"} & set(issue), "deprecated fields in the new format fail the import"
        for loc in [issue["primaryLocation"], *issue.get("secondaryLocations", [])]:
            assert loc["filePath"] and isinstance(loc["message"], str) and loc["message"]
            text_range = loc["textRange"]
            assert text_range["startLine"] >= 1 and text_range["endLine"] >= text_range["startLine"]
            if "startColumn" in text_range:
                text = report.sources.get(loc["filePath"])
                assert text is not None, "columns only where the text shows them valid"
                lines = text.splitlines()
                start_line, end_line = lines[text_range["startLine"] - 1], lines[text_range["endLine"] - 1]
                assert 0 <= text_range["startColumn"] <= len(start_line.encode("utf-16-le")) // 2
                assert 0 <= text_range["endColumn"] <= len(end_line.encode("utf-16-le")) // 2
                if text_range["startLine"] == text_range["endLine"]:
                    assert text_range["startColumn"] < text_range["endColumn"]


def check_checkstyle(root: ET.Element) -> None:
    """The element contract: <checkstyle version><file name><error line column severity message source/>."""
    assert root.tag == "checkstyle" and root.get("version")
    names = []
    for file in root:
        assert file.tag == "file" and file.get("name")
        names.append(file.get("name"))
        for error in file:
            assert error.tag == "error"
            assert set(error.attrib) <= {"line", "column", "severity", "message", "source"}
            assert int(error.get("line")) >= 1
            assert error.get("column") is None or int(error.get("column")) >= 1
            assert error.get("severity") in CHECKSTYLE_SEVERITIES
            assert error.get("message") and error.get("source", "").startswith("pylint-image.")
    assert names == sorted(names) and len(names) == len(set(names))


# -- golden files ------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("name", sorted(FORMATTERS))
def test_golden(name: str, case: str) -> None:
    out = render(name, CASES[case]())
    assert_golden(f"formatters/{name}/{case}.out", out)
    assert render(name, CASES[case]()) == out, "deterministic"


@pytest.mark.parametrize("name", sorted(FORMATTERS))
def test_output_does_not_depend_on_the_order_of_findings(name: str) -> None:
    import dataclasses

    report = full_report()
    reversed_report = dataclasses.replace(report, findings=tuple(reversed(report.findings)))
    assert render(name, reversed_report) == render(name, report)


@pytest.mark.parametrize("name", sorted(FORMATTERS))
def test_registered_and_in_the_help(name: str) -> None:
    cls = FORMATTERS[name]
    assert BUILTIN_FORMATTERS[name] == f"{cls.__module__}:{cls.__name__}" and cls.name == name
    assert cls.keeps_suppressed is False
    assert name in FORMATS_HELP


# -- consumers and shapes ------------------------------------------------------------------


def test_gitlab_shape_and_suppressed_left_out() -> None:
    report = full_report()
    issues = gitlab(report)
    assert len(issues) == len(report.visible())
    assert {i["check_name"] for i in issues} == {f.code for f in report.visible()}
    severities = {i["check_name"]: i["severity"] for i in issues}
    assert severities == {"DF1006": "major", "DF2010": "minor", "DF3001": "info", "IM2001": "critical",
                          "RT3001": "major"}
    assert all(i["location"]["path"] == "app/Dockerfile" for i in issues)  # image findings anchored to FROM
    assert json.loads(render("gitlab", CASES["clean"]())) == []


def test_codeclimate_is_a_nul_separated_stream_of_issues() -> None:
    report = full_report()
    text = render("codeclimate", report)
    # "Each issue must be terminated by the null character, but can additionally be separated by newlines."
    assert text.count("\0\n") == len(report.visible()) and text.endswith("\0\n")
    issues = codeclimate(report)
    assert [i["fingerprint"] for i in issues] == [i["fingerprint"] for i in gitlab(report)]
    one_line = next(i for i in issues if i["check_name"] == "DF1006")
    # 1-based; the end is the last character (our span 2:6-2:12 has its end column exclusive)
    assert one_line["location"]["positions"] == {"begin": {"line": 2, "column": 6}, "end": {"line": 2, "column": 11}}
    assert all("\n" not in i["description"] for i in issues)  # "a single line of text"
    assert render("codeclimate", CASES["clean"]()) == ""


def test_sonar_shape_rules_and_issues() -> None:
    report = full_report()
    doc = sonar(report)
    assert [r["id"] for r in doc["rules"]] == sorted({f.code for f in report.visible()})
    im2001 = next(r for r in doc["rules"] if r["id"] == "IM2001")
    assert im2001["impacts"] == [{"softwareQuality": "SECURITY", "severity": "HIGH"}]
    df1006 = next(i for i in doc["issues"] if i["ruleId"] == "DF1006")
    # 0-based columns: the span 2:6-2:12 (1-based, end exclusive) is offsets 5..11
    assert df1006["primaryLocation"]["textRange"] == {"startLine": 2, "endLine": 2, "startColumn": 5, "endColumn": 11}


def test_sonar_one_rule_per_severity_when_findings_of_a_rule_differ() -> None:
    import dataclasses

    report = full_report()
    first = report.findings[0]
    louder = dataclasses.replace(first, severity=Severity.ERROR, message="louder", fingerprint="x")
    doc = sonar(dataclasses.replace(report, findings=(*report.findings, louder)))
    ids = {r["id"] for r in doc["rules"]}
    assert {"DF1006:error", "DF1006:warning"} <= ids and "DF1006" not in ids
    by_id = {r["id"]: r for r in doc["rules"]}
    assert by_id["DF1006:error"]["impacts"][0]["severity"] == "HIGH"
    assert by_id["DF1006:warning"]["impacts"][0]["severity"] == "MEDIUM"


def test_sonar_columns_only_when_inside_the_line() -> None:
    import dataclasses

    past = Finding("DF3001", "lowercase-instruction", Severity.STYLE, SourceLocation(DOCKERFILE, Span(5, 1, 5, 99)),
                   "past the end", "fp")
    empty = Finding("DF3001", "lowercase-instruction", Severity.STYLE, SourceLocation(DOCKERFILE, Span(5, 3, 5, 3)),
                    "empty", "fp2")
    report = dataclasses.replace(full_report(), findings=(past, empty), notifications=())
    ranges = [i["primaryLocation"]["textRange"] for i in sonar(report)["issues"]]
    assert ranges == [{"startLine": 5, "endLine": 5}, {"startLine": 5, "endLine": 5}]


def test_sonar_columns_count_utf16_units() -> None:
    import dataclasses

    text = "FROM scratch\nLABEL x=\"\U0001F600\" y=1\n"
    finding = Finding("DF3001", "lowercase-instruction", Severity.STYLE, SourceLocation(DOCKERFILE, Span(2, 13, 2, 16)),
                      "after an emoji", "fp")
    report = dataclasses.replace(full_report(), findings=(finding,), notifications=(), sources={DISPLAY: text})
    text_range = sonar(report)["issues"][0]["primaryLocation"]["textRange"]
    assert (text_range["startColumn"], text_range["endColumn"]) == (13, 16)  # the emoji is two UTF-16 units


def test_other_levels_are_a_trace_and_secondary_locations() -> None:
    import dataclasses

    from pylint_image.linter.findings import RuntimeLocation

    seen_at_runtime = RuntimeLocation(IMAGE, "startup", source=SourceLocation(DOCKERFILE, Span(7, 1, 7, 12)))
    f = Finding("RT3001", "runs-as-root", Severity.WARNING, SourceLocation(DOCKERFILE, Span(9, 1, 9, 33)),
                "runs as root", "fp", related=(seen_at_runtime, RuntimeLocation(IMAGE, "no-source")))
    report = dataclasses.replace(full_report(), findings=(f,), notifications=())
    (issue,) = codeclimate(report)
    assert issue["trace"] == {"locations": [{"path": "app/Dockerfile", "lines": {"begin": 7, "end": 7}}]}
    (sonar_issue,) = sonar(report)["issues"]
    (secondary,) = sonar_issue["secondaryLocations"]
    assert secondary["filePath"] == "app/Dockerfile" and secondary["textRange"]["startLine"] == 7
    assert secondary["message"] == f"{IMAGE} (probe startup)"


def test_checkstyle_element_contract() -> None:
    report = full_report()
    root = checkstyle(report)
    errors = root.findall("./file/error")
    located_notes = [n for n in report.notifications if n.location is not None]
    assert len(errors) == len(report.visible()) + len(located_notes)
    first = root.find("./file[@name='app/Dockerfile']/error[@source='pylint-image.DF1006']")
    assert first is not None and (first.get("line"), first.get("column"), first.get("severity")) == ("2", "6", "warning")
    clean = checkstyle(CASES["clean"]())
    assert [f.get("name") for f in clean] == ["app/Dockerfile"] and not clean.findall("./file/error")
    image_only = checkstyle(CASES["image_only"]())
    assert [f.get("name") for f in image_only] == [IMAGE]  # no Dockerfile: the image names the file


def test_junit_read_back_by_junitparser(tmp_path: Path) -> None:
    from junitparser import Error, Failure

    report = full_report()
    xml = junit(report, tmp_path)
    suites = list(xml)
    assert len(suites) == 1
    suite = suites[0]
    cases = list(suite)
    assert [c.name for c in cases] == ["app/Dockerfile"]
    failures = [r for c in cases for r in c.result if isinstance(r, Failure)]
    errors = [r for c in cases for r in c.result if isinstance(r, Error)]
    assert len(failures) == len(report.visible()) and len(errors) == 1
    # the counts the file states are the ones junitparser counts
    assert (suite.tests, suite.failures, suite.errors) == (1, len(failures), 1)
    suite.update_statistics()
    assert (suite.tests, suite.failures, suite.errors) == (1, len(failures), 1)
    assert {f.type for f in failures} == {"error", "warning", "info", "style"}
    assert all(docs.DOCS_BASE_URL in f.text for f in failures)


def test_junit_one_case_per_image_and_clean_cases_pass(tmp_path: Path) -> None:
    from junitparser import JUnitXml

    image = junit(CASES["image_only"](), tmp_path)
    (suite,) = list(image)
    assert [c.name for c in suite] == [IMAGE] and suite.failures == 2
    clean = junit(CASES["clean"](), tmp_path)
    (suite,) = list(clean)
    assert [(c.name, c.is_passed) for c in suite] == [("app/Dockerfile", True)]
    assert isinstance(clean, JUnitXml)


@pytest.mark.parametrize("name", ["checkstyle", "junit"])
def test_hostile_messages_are_valid_xml(name: str) -> None:
    import dataclasses

    f = Finding("DF3001", "lowercase-instruction", Severity.STYLE, SourceLocation(DOCKERFILE, Span(5, 1, 5, 5)),
                HOSTILE, "fp")
    note = Notification("rule-crashed", "error", HOSTILE, SourceLocation(DOCKERFILE, Span(1, 1, 1, 2)), rule="DF9999")
    report = dataclasses.replace(full_report(), findings=(f,), notifications=(note,),
                                 targets=(DISPLAY, "img\x1b]0;title\x07:1"))
    text = render(name, report)
    root = ET.fromstring(text)  # raises on anything XML 1.0 cannot carry
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]", text)
    messages = [e.get("message") for e in root.iter() if e.get("message")]
    assert any("\\x1b[31mred" in m and "<script>&amp;</script> ]]>" in m and "\\x00nul" in m and "\\u202e" in m
               and "\\ud800" in m for m in messages), messages
    names = [e.get("name") for e in root.iter() if e.get("name")]
    assert "img\\x1b]0;title\\x07:1" in names


@pytest.mark.parametrize("name", ["gitlab", "sonarqube", "codeclimate"])
def test_hostile_messages_survive_json(name: str) -> None:
    import dataclasses

    f = Finding("DF3001", "lowercase-instruction", Severity.STYLE, SourceLocation(DOCKERFILE, Span(5, 1, 5, 5)),
                HOSTILE, "fp")
    report = dataclasses.replace(full_report(), findings=(f,), notifications=())
    text = render(name, report)
    text.encode("utf-8")  # a lone surrogate (an image's non-UTF-8 file name) cannot be written as UTF-8
    doc = json.loads(text.replace("\0", ""))
    strings: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            strings.append(value)
        elif isinstance(value, dict | list):
            for v in value.values() if isinstance(value, dict) else value:
                walk(v)

    walk(doc)
    # JSON carries every control exactly; a lone surrogate becomes its visible escape
    assert any(HOSTILE.replace("\ud800", "\\ud800") in s for s in strings), strings


# -- through the CLI: paths from the repository root, stable fingerprints --------------------


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != docs.DOCS_URL_ENV}
    return subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", *args], cwd=cwd, capture_output=True,
                           text=True, timeout=120, env={**environ, "NO_COLOR": "1", **(env or {})})


def _repo(tmp_path: Path, dockerfile: str = "FROM alpine\nRUN apk add curl\n") -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "svc" / "api").mkdir(parents=True)
    (tmp_path / "svc" / "api" / "Dockerfile").write_text(dockerfile)
    return tmp_path


@pytest.mark.parametrize("name", sorted(FORMATTERS))
def test_cli_paths_are_relative_to_the_repository_root(name: str, tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    out = repo / "report.out"
    done = run_cli("--format", name, "--output", str(out), "api", cwd=repo / "svc")
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    text = out.read_text(encoding="utf-8")
    assert "svc/api/Dockerfile" in text
    assert str(repo) not in text  # no absolute path


def test_cli_gitlab_fingerprints_survive_lines_inserted_above(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "FROM alpine\nRUN apk add curl\nRUN apk add curl\n")
    before = json.loads(run_cli("-f", "gitlab", ".", cwd=repo).stdout)
    check_gitlab(before)
    (repo / "svc" / "api" / "Dockerfile").write_text(
        "# syntax=docker/dockerfile:1\n# a comment\n\nFROM alpine\nRUN apk add curl\nRUN apk add curl\n")
    after = json.loads(run_cli("-f", "gitlab", ".", cwd=repo).stdout)
    assert sorted(i["fingerprint"] for i in after) == sorted(i["fingerprint"] for i in before)
    assert [i["location"]["lines"]["begin"] for i in after] != [i["location"]["lines"]["begin"] for i in before]


def test_cli_junit_counts_match_the_json_report(tmp_path: Path) -> None:
    from junitparser import Failure, JUnitXml

    repo = _repo(tmp_path)
    (repo / "svc" / "web").mkdir()
    (repo / "svc" / "web" / "Dockerfile").write_text("FROM alpine:3.19@sha256:" + "a" * 64 + "\nUSER 1000\n")
    run_cli("-f", "junit", "-o", "junit.xml", ".", cwd=repo)
    report = json.loads(run_cli("-f", "json", ".", cwd=repo).stdout)
    visible = [f for f in report["findings"] if not f["suppressed"]]
    xml = JUnitXml.fromfile(str(repo / "junit.xml"))
    (suite,) = list(xml)
    assert sorted(c.name for c in suite) == ["svc/api/Dockerfile", "svc/web/Dockerfile"]
    assert sum(isinstance(r, Failure) for c in suite for r in c.result) == len(visible) == suite.failures


# -- links: one base URL -------------------------------------------------------------------

OTHER = "https://docs.example.test/pylint-image/rules"


def _links(report: Report) -> dict[str, str]:
    """The text of every format that carries rule links, keyed by format."""
    out = {name: render(name, report) for name in ("gitlab", "codeclimate", "junit", "sonarqube")}
    out["sarif"] = json.dumps(build_sarif(report))
    return out


def test_the_default_base_url_is_the_one_in_pyproject() -> None:
    urls = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["urls"]
    assert urls[docs.DOCS_URL_LABEL] == docs.DOCS_BASE_URL == docs.docs_base_url()
    assert urls["Homepage"] == docs.REPO_URL
    assert docs.rule_url("DF1001") == f"{urls[docs.DOCS_URL_LABEL]}/DF1001.md"


def test_changing_the_base_url_changes_every_link(monkeypatch: pytest.MonkeyPatch) -> None:
    report = full_report()
    codes = {f.code for f in report.visible()}
    before = _links(report)
    for name, text in before.items():
        assert docs.DOCS_BASE_URL in text, name
    monkeypatch.setenv(docs.DOCS_URL_ENV, OTHER)
    after = _links(report)
    for name, text in after.items():
        assert docs.DOCS_BASE_URL not in text, name
        assert all(f"{OTHER}/{code}.md" in text for code in codes), name
    log = build_sarif(report)
    assert {r["helpUri"] for r in log["runs"][0]["tool"]["driver"]["rules"]} == {
        f"{OTHER}/{r.meta.code}.md" for r in report.rules}


def test_a_code_placeholder_shapes_the_link(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(docs.DOCS_URL_ENV, "https://docs.example.test/rules/{code}.html")
    assert docs.rule_url("DF1001") == "https://docs.example.test/rules/DF1001.html"


def test_no_other_module_builds_a_docs_link() -> None:
    """Every rule link goes through docs.rule_url: nothing else spells the docs folder's URL."""
    offenders = [str(p.relative_to(REPO)) for folder in ("linter", "rules", "runner") for p in (REPO / folder).rglob("*.py")
                 if p.name != "docs.py" and re.search(r"blob/\w+/docs/rules|pylint-image/pylint-image", p.read_text())]
    assert offenders == []


def test_cli_docs_url_from_config_and_env_override(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / "pyproject.toml").write_text('[tool.pylint-image]\ndocs-url = "https://mirror.example.test/rules"\n')
    from_config = json.loads(run_cli("-f", "sarif", ".", cwd=repo).stdout)
    uris = {r["helpUri"] for r in from_config["runs"][0]["tool"]["driver"]["rules"]}
    assert uris and all(u.startswith("https://mirror.example.test/rules/") for u in uris)
    gl = json.loads(run_cli("-f", "gitlab", ".", cwd=repo).stdout)
    assert all("https://mirror.example.test/rules/" in i["content"]["body"] for i in gl)
    from_env = json.loads(run_cli("-f", "sarif", ".", cwd=repo, env={docs.DOCS_URL_ENV: OTHER}).stdout)
    uris = {r["helpUri"] for r in from_env["runs"][0]["tool"]["driver"]["rules"]}
    assert uris and all(u.startswith(OTHER + "/") for u in uris)


def test_bad_docs_url_is_a_one_line_error(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / "pyproject.toml").write_text('[tool.pylint-image]\nselect = ["ALL"]\ndocs-url = "ftp://x"\n')
    done = run_cli(".", cwd=repo)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "pyproject.toml:3" in done.stderr and "docs-url" not in done.stdout
    (repo / "pyproject.toml").write_text("[tool.pylint-image]\n")
    done = run_cli(".", cwd=repo, env={docs.DOCS_URL_ENV: "not a url"})
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and docs.DOCS_URL_ENV in done.stderr, done.stderr


# -- docs ------------------------------------------------------------------------------------


def test_formats_doc_names_every_format_and_field() -> None:
    text = (REPO / "docs" / "formats.md").read_text()
    for name in FORMATTERS:
        assert f"`{name}`" in text, name
    report = full_report()
    fields: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, dict):
            fields.update(value)
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(gitlab(report))
    walk(codeclimate(report))
    walk(json.loads(render("sonarqube", report)))
    missing = sorted(f for f in fields if f"`{f}`" not in text)
    assert missing == [], f"docs/formats.md does not name {missing}"
    assert docs.DOCS_URL_ENV in text and "docs-url" in text


def _gitlab_ci_yaml() -> str:
    text = (REPO / "docs" / "ci" / "gitlab.md").read_text()
    blocks = re.findall(r"^```yaml\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    assert len(blocks) == 1
    return blocks[0]


def _check_jsonschema(path: Path) -> subprocess.CompletedProcess:
    exe = shutil.which("check-jsonschema") or str(Path(sys.executable).parent / "check-jsonschema")
    # No network: the builtin schema is vendored in the package; a dead proxy proves nothing is fetched.
    dead = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""}
    return subprocess.run([exe, "--builtin-schema", "vendor.gitlab-ci", str(path)], capture_output=True, text=True,
                          timeout=120, env={**os.environ, **dead})


def test_gitlab_ci_example_validates_with_gitlabs_schema(tmp_path: Path) -> None:
    yaml_text = _gitlab_ci_yaml()
    path = tmp_path / ".gitlab-ci.yml"
    path.write_text(yaml_text)
    done = _check_jsonschema(path)
    assert done.returncode == 0, done.stdout + done.stderr
    # The same check fails on a broken file: the schema really is applied.
    path.write_text(yaml_text.replace("codequality:", "codequalty:"))
    done = _check_jsonschema(path)
    assert done.returncode == 1 and "codequalty" in done.stdout, done.stdout + done.stderr


def test_gitlab_ci_example_uploads_the_report_it_writes() -> None:
    from ruamel.yaml import YAML

    doc = YAML(typ="safe").load(_gitlab_ci_yaml())
    job = doc["dockerfile-lint"]
    script = " ".join(job["script"])
    report = job["artifacts"]["reports"]["codequality"]
    assert re.search(rf"--format gitlab --output {re.escape(report)}\b", script)
    junit_report = job["artifacts"]["reports"]["junit"]
    assert re.search(rf"--format junit --output {re.escape(junit_report)}\b", script)
    assert job["artifacts"]["when"] == "always"
    for line in job["script"]:
        args = line.split()[1:]
        assert args[0].startswith("-") and args[-1] == "."
        from pylint_image.linter.cli import lint_parser

        parsed = lint_parser().parse_args(args)  # the options exist as written
        assert parsed.format in FORMATTERS


# -- image reports (no daemon: a synthesized OCI layout) ----------------------------------

IMAGE_SPEC = {
    "ref": "acme/app:1", "config": {"User": "1000", "Cmd": ["sh"]},
    "layers": [
        {"created_by": "/bin/sh -c #(nop) ADD file:abc in / ", "files": [
            {"path": "/bin/busybox", "size": 30_000, "mode": "0755"}]},
        {"created_by": "/bin/sh -c chmod 4755 /usr/bin/helper", "files": [
            {"path": "/usr/bin/helper", "size": 2_000, "mode": "04755"},
            {"path": "/usr/bin/\x1bevil", "size": 2_000, "mode": "04755"}]},
    ],
}


def _image_report(tmp_path: Path, name: str, *, dockerfile: bool, spec: dict = IMAGE_SPEC) -> str:
    from tests.support import synth_image

    (tmp_path / ".git").mkdir(exist_ok=True)
    synth_image.write_oci_layout(spec, tmp_path / "layout")
    args = ["image", "layout", "--format", name, "--output", f"{name}.out"]
    if dockerfile:
        (tmp_path / "Dockerfile").write_text("FROM busybox:1.36\nRUN chmod 4755 /usr/bin/helper\nUSER 1000\n")
        args += ["--dockerfile", "Dockerfile"]
    done = run_cli(*args, cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    return (tmp_path / f"{name}.out").read_text(encoding="utf-8")


@pytest.mark.parametrize("dockerfile", [True, False], ids=["with-dockerfile", "image-only"])
def test_image_command_junit_has_one_case_per_image(tmp_path: Path, dockerfile: bool) -> None:
    from junitparser import Failure, JUnitXml

    (tmp_path / "junit.xml").write_text(_image_report(tmp_path, "junit", dockerfile=dockerfile), encoding="utf-8")
    (suite,) = list(JUnitXml.fromfile(str(tmp_path / "junit.xml")))
    cases = list(suite)
    assert [c.name for c in cases] == (["Dockerfile"] if dockerfile else ["layout"])
    failures = [r for r in cases[0].result if isinstance(r, Failure)]
    assert failures and suite.failures == len(failures)
    assert any("\\x1bevil" in f.message for f in failures)  # the hostile file name, inert


NOT_UTF8_SPEC = {**IMAGE_SPEC, "layers": [IMAGE_SPEC["layers"][0], {
    "created_by": "/bin/sh -c chmod 4755 /x", "files": [{"path": "/usr/bin/\udcffname", "size": 10, "mode": "04755"}]}]}


@pytest.mark.parametrize("dockerfile", [True, False], ids=["with-dockerfile", "image-only"])
def test_image_file_name_not_utf8_is_written_as_an_escape(tmp_path: Path, dockerfile: bool) -> None:
    text = _image_report(tmp_path, "gitlab", dockerfile=dockerfile, spec=NOT_UTF8_SPEC)
    assert any("\\udcffname" in i["description"] for i in json.loads(text))


@pytest.mark.parametrize("dockerfile", [True, False], ids=["with-dockerfile", "image-only"])
def test_image_command_gitlab_and_sonar_place_image_findings(tmp_path: Path, dockerfile: bool) -> None:
    issues = json.loads(_image_report(tmp_path, "gitlab", dockerfile=dockerfile))
    check_gitlab(issues)
    setuid = [i for i in issues if "/usr/bin/helper" in i["description"]]
    assert setuid
    if dockerfile:  # on the RUN line that made the layer
        assert all((i["location"]["path"], i["location"]["lines"]["begin"]) == ("Dockerfile", 2) for i in setuid)
    else:  # nothing to point at but the image
        assert all(i["location"]["path"] == "layout" for i in setuid)
    doc = json.loads(_image_report(tmp_path, "sonarqube", dockerfile=dockerfile))
    ids = {r["id"] for r in doc["rules"]}
    assert doc["issues"] and all(i["ruleId"] in ids for i in doc["issues"])
    assert all(not {"severity", "type"} & set(i) for i in doc["issues"])
