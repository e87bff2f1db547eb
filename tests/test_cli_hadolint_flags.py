"""hadolint's command-line flags, as CI scripts pass them (issue 11, part 3): one test per flag.

Each flag lands on the setting the config file fills (trusted registries, severity overrides,
fail-on, rule options, disable-ignore-pragma), so a flag and the config say the same thing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PINNED = "RUN apt-get install -y --no-install-recommends curl=8.0\n"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    (cwd / ".git").mkdir(exist_ok=True)   # no config from above the test directory
    return subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "NO_COLOR": "1"})


def findings(result: subprocess.CompletedProcess) -> list[dict]:
    assert "Traceback" not in result.stderr, result.stderr
    return json.loads(result.stdout)["findings"]


def codes(result: subprocess.CompletedProcess, *, visible: bool = True) -> set[str]:
    return {f["code"] for f in findings(result) if not visible or not f.get("suppressed")}


def test_trusted_registry_enables_disallowed_registry_and_trusts_the_registry(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM ghcr.io/me/base:1\nUSER 1000\n")
    (tmp_path / "other.Dockerfile").write_text("FROM evil.example.com/x:1\nUSER 1000\n")
    plain = run("-f", "json", "Dockerfile", "other.Dockerfile", cwd=tmp_path)
    assert "DF1012" not in codes(plain)   # a preview rule: hadolint runs DL3026 only with registries
    flagged = run("-f", "json", "--trusted-registry", "ghcr.io", "--trusted-registry", "quay.io",
                  "Dockerfile", "other.Dockerfile", cwd=tmp_path)
    by_file = {(f["location"]["path"], f["code"]) for f in findings(flagged)}
    assert ("other.Dockerfile", "DF1012") in by_file and ("Dockerfile", "DF1012") not in by_file
    # The same list is the trusted list of unofficial-base-image.
    assert ("Dockerfile", "DF1002") in {(p, c) for p, c in
                                        {(f["location"]["path"], f["code"]) for f in findings(plain)}}
    assert ("Dockerfile", "DF1002") not in by_file


@pytest.mark.parametrize("flag,level", [("--error", "error"), ("--warning", "warning"), ("--info", "info"),
                                        ("--style", "style")])
def test_severity_override_flags_take_foreign_ids_and_our_codes(flag: str, level: str, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\nRUN apt-get install -y --no-install-recommends curl\n"
                                         "USER 1000\n")
    for token in ("DL3008", "DF2001", "unpinned-package-version"):
        result = run("-f", "json", flag, token, "Dockerfile", cwd=tmp_path)
        assert [f["severity"] for f in findings(result) if f["code"] == "DF2001"] == [level], token
    unknown = run(flag, "DL9999", "Dockerfile", cwd=tmp_path)
    assert unknown.returncode == 2 and unknown.stderr == f"pylint-image: error: {flag} names unknown rule 'DL9999'\n"


@pytest.mark.parametrize("level,code", [("error", 0), ("warning", 1), ("info", 1), ("style", 1), ("none", 1),
                                        ("ignore", 1), ("ERROR", 0)])
def test_failure_threshold_is_fail_on_with_hadolints_level_names(level: str, code: int, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM alpine\nUSER 1000\n")   # one warning: DF1001
    assert run("--failure-threshold", level, "Dockerfile", cwd=tmp_path).returncode == code


def test_failure_threshold_none_fails_on_a_style_finding_as_hadolint_does(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\nUSER 1000\n")
    assert run("--style", "DF1002", "--select", "DF1002", "Dockerfile", cwd=tmp_path).returncode == 0
    assert run("--style", "DF1002", "--select", "DF1002", "--failure-threshold", "none", "Dockerfile",
               cwd=tmp_path).returncode == 0   # alpine is official: nothing to fail on
    (tmp_path / "Dockerfile").write_text("FROM me/alpine:3.20\nUSER 1000\n")
    assert run("--style", "DF1002", "--select", "DF1002", "Dockerfile", cwd=tmp_path).returncode == 0
    assert run("--style", "DF1002", "--select", "DF1002", "--failure-threshold", "none", "Dockerfile",
               cwd=tmp_path).returncode == 1
    bad = run("--failure-threshold", "sometimes", "Dockerfile", cwd=tmp_path)
    assert bad.returncode == 2 and "sometimes" in bad.stderr and len(bad.stderr.splitlines()) == 1


def test_no_fail_exits_0_with_findings(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM alpine\nRUNN x\n")
    assert run("Dockerfile", cwd=tmp_path).returncode == 1
    result = run("--no-fail", "Dockerfile", cwd=tmp_path)
    assert result.returncode == 0 and "DF0001" in result.stdout


def test_disable_ignore_pragma_reports_what_pragmas_would_hide(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\n# hadolint ignore=DL3008\n"
                                         "RUN apt-get install -y --no-install-recommends curl\nUSER 1000\n")
    honoured = run("-f", "json", "Dockerfile", cwd=tmp_path)
    assert "DF2001" not in codes(honoured) and "DF2001" in codes(honoured, visible=False)
    disabled = run("-f", "json", "--disable-ignore-pragma", "Dockerfile", cwd=tmp_path)
    assert "DF2001" in codes(disabled) and disabled.returncode == 1
    assert "DF0002" not in codes(disabled)   # an ignored pragma is not judged unused either


def test_require_label_requires_the_label_in_its_format(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\nUSER 1000\n")
    plain = run("-f", "json", "Dockerfile", cwd=tmp_path)
    assert "DF3014" not in codes(plain)
    missing = run("-f", "json", "--require-label", "maintainer:email", "Dockerfile", cwd=tmp_path)
    assert [f["foreign_ids"] for f in findings(missing) if f["code"] == "DF3014"] == [["DL3049"]]
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\nLABEL maintainer=nobody\nUSER 1000\n")
    wrong = run("-f", "json", "--require-label", "maintainer:email", "Dockerfile", cwd=tmp_path)
    assert [f["message"] for f in findings(wrong) if f["code"] == "DF3014"] == [
        "label 'maintainer' is not a valid e-mail address: 'nobody'"]
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\nLABEL maintainer=me@example.com\nUSER 1000\n")
    good = run("-f", "json", "--require-label", "maintainer:email", "Dockerfile", cwd=tmp_path)
    assert "DF3014" not in codes(good)
    for bad in ("maintainer", "maintainer:phone", ":email"):
        result = run("--require-label", bad, "Dockerfile", cwd=tmp_path)
        assert result.returncode == 2 and "--require-label needs LABEL:FORMAT" in result.stderr


def test_strict_labels_reports_labels_outside_the_schema(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\nLABEL maintainer=me@example.com other=x\nUSER 1000\n")
    loose = run("-f", "json", "--require-label", "maintainer:email", "Dockerfile", cwd=tmp_path)
    assert "DF3014" not in codes(loose)
    strict = run("-f", "json", "--require-label", "maintainer:email", "--strict-labels", "Dockerfile", cwd=tmp_path)
    assert [f["message"] for f in findings(strict) if f["code"] == "DF3014"] == [
        "label 'other' is not in the label schema"]


@pytest.mark.parametrize("name", ["tty", "json", "sarif"])
def test_format_takes_hadolints_names(name: str, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM alpine\nUSER 1000\n")
    result = run("-f", name, "Dockerfile", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    if name == "tty":
        assert "Dockerfile:1:6" in result.stdout and "DF1001" in result.stdout
    elif name == "json":
        assert findings(result)[0]["code"] == "DF1001"
    else:
        assert json.loads(result.stdout)["version"] == "2.1.0"


@pytest.mark.parametrize("name", ["gnu", "codacy"])
def test_hadolints_other_formats_are_a_clear_usage_error(name: str, tmp_path: Path) -> None:
    from pylint_image.linter.formatters import BUILTIN_FORMATTERS

    (tmp_path / "Dockerfile").write_text("FROM alpine\n")
    result = run("--format", name, "Dockerfile", cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    supported = ", ".join(sorted(BUILTIN_FORMATTERS) + ["gitlab_codeclimate", "tty"])
    assert result.stderr == (f"pylint-image: error: format '{name}' is hadolint's and not supported "
                             f"(supported: {supported})\n")


@pytest.mark.parametrize("name", ["checkstyle", "codeclimate", "gitlab_codeclimate", "sonarqube"])
def test_hadolints_ci_formats_are_ours(name: str, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM alpine\n")
    result = run("--format", name, "Dockerfile", cwd=tmp_path)
    assert result.returncode == 1 and "DF1001" in result.stdout, result.stderr


def test_ignore_and_select_repeat_as_hadolints_ignore_does(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM alpine\nRUN apt-get install curl\n")
    both = run("-f", "json", "--ignore", "DF1001", "--ignore", "DL3008,DL3015", "Dockerfile", cwd=tmp_path)
    assert not {"DF1001", "DF2001", "DF2003"} & codes(both)
    picked = run("-f", "json", "--select", "DF1001", "--select", "DL3015", "Dockerfile", cwd=tmp_path)
    assert codes(picked) == {"DF1001", "DF2003"}


def test_the_flags_are_documented_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("## Command line")[1].split("## Rules")[0]
    for flag in ("--trusted-registry", "--error", "--warning", "--info", "--style", "--failure-threshold",
                 "--no-fail", "--disable-ignore-pragma", "--require-label", "--strict-labels", "`tty`"):
        assert flag in section, flag
