"""End-to-end CLI behaviour: exit codes, input discovery, bad input, config errors, formats."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CLEAN = "FROM alpine:3.20\nUSER 1000\nCMD [\"sh\"]\n"


def run(*args: str, cwd: Path, stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, "NO_COLOR": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", *args], cwd=cwd, input=stdin,
                          capture_output=True, text=True, timeout=120, env=environment)


def test_clean_file_exits_0_and_bad_file_exits_1(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(CLEAN)
    assert run("Dockerfile", cwd=tmp_path).returncode == 0
    (tmp_path / "Dockerfile").write_text("FROM alpine\nRUNN x\n")
    result = run("Dockerfile", cwd=tmp_path)
    assert result.returncode == 1
    assert "Dockerfile:2:1" in result.stdout and "DF0001" in result.stdout


def test_fail_on_never_and_error_thresholds(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\n# pylint-image: ignore=DF1001\nUSER 1000\n")
    # DF0002 (unused suppression) is INFO: below the default 'warning' threshold.
    assert run("Dockerfile", cwd=tmp_path).returncode == 0
    assert run("--fail-on", "info", "Dockerfile", cwd=tmp_path).returncode == 1
    assert run("--fail-on", "never", "--select", "DF0002", "Dockerfile", cwd=tmp_path).returncode == 0


@pytest.mark.parametrize("name,content,needle", [
    ("bin.Dockerfile", b"FROM alpine\x00\x01\x02", "binary"),
    ("latin.Dockerfile", b"FROM alpine\nRUN echo \xff\n", "UTF-8"),
])
def test_unreadable_files_give_one_line_and_exit_2_while_others_are_linted(tmp_path: Path, name, content, needle) -> None:
    (tmp_path / name).write_bytes(content)
    (tmp_path / "Dockerfile").write_text("FROM alpine\nRUNN x\n")
    result = run(name, "Dockerfile", cwd=tmp_path)
    assert result.returncode == 2
    errors = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(errors) == 1 and name in errors[0] and needle in errors[0], result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "DF0001" in result.stdout  # the good file was still linted


def test_missing_path_and_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = run("nope", "empty", cwd=tmp_path)
    assert result.returncode == 2
    assert "nope: no such file or directory" in result.stderr
    assert "empty: no Dockerfiles found" in result.stderr
    assert "Traceback" not in result.stderr


def test_parse_errors_are_findings_with_lines(tmp_path: Path) -> None:
    (tmp_path / "a.Dockerfile").write_text("FROM alpine\nRUN <<EOF\necho hi\n")
    (tmp_path / "b.Dockerfile").write_text("FROM alpine\nFOO bar\n")
    result = run("--format", "json", "a.Dockerfile", "b.Dockerfile", cwd=tmp_path)
    data = json.loads(result.stdout)
    found = {(f["location"]["path"], f["location"]["line"], f["code"]) for f in data["findings"]}
    assert ("a.Dockerfile", 2, "DF0001") in found and ("b.Dockerfile", 2, "DF0001") in found
    assert result.returncode == 1


@pytest.mark.parametrize("content", ["", "# only a comment\n\n"])
def test_empty_file_is_a_parse_error_like_buildkit_says(tmp_path: Path, content: str) -> None:
    (tmp_path / "Dockerfile").write_text(content)
    result = run("--concise", "Dockerfile", cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "Dockerfile:1:1: DF0001 [parse-error] (DL1000) file with no instructions" in result.stdout


def test_directory_discovery_finds_every_naming_convention(tmp_path: Path) -> None:
    names = ["Dockerfile", "Dockerfile.prod", "api.Dockerfile", "web.dockerfile", "Containerfile",
             "Containerfile.dev", "sub/Dockerfile"]
    for n in names + ["README.md", "node_modules/Dockerfile"]:
        (tmp_path / n).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / n).write_text("FROM alpine\nRUNN x\n")
    data = json.loads(run("--format", "json", ".", cwd=tmp_path).stdout)
    paths = {f["location"]["path"] for f in data["findings"]}
    assert paths == set(names)


def test_stdin_with_stdin_filename(tmp_path: Path) -> None:
    result = run("--format", "json", "--stdin-filename", "svc/Dockerfile", "-", cwd=tmp_path,
                 stdin="FROM alpine\nRUNN x\n")
    data = json.loads(result.stdout)
    assert [f["location"]["path"] for f in data["findings"]] == ["svc/Dockerfile"]


def test_config_error_points_at_yaml_line(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".pylint-image.yaml").write_text("select:\n  - DF0001\nfail-on: sometimes\n")
    (tmp_path / "Dockerfile").write_text(CLEAN)
    result = run("Dockerfile", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"pylint-image: error: {tmp_path / '.pylint-image.yaml'}:3: 'fail-on' must be one of error, warning, info, style, never"]


def test_config_unknown_rule_option_in_pyproject(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text(
        "[project]\nname='x'\n\n[tool.pylint-image]\nfail-on = 'error'\n\n"
        "[tool.pylint-image.rules.DF0001]\nbogus = 1\n")
    (tmp_path / "Dockerfile").write_text(CLEAN)
    result = run("Dockerfile", cwd=tmp_path)
    assert result.returncode == 2
    assert "pyproject.toml:" in result.stderr and "DF0001" in result.stderr and "bogus" in result.stderr


def test_invalid_yaml_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "cfg.yaml").write_text("select: [DF0001\n")
    (tmp_path / "Dockerfile").write_text(CLEAN)
    result = run("--config", "cfg.yaml", "Dockerfile", cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "cfg.yaml:" in lines[0] and "invalid YAML" in lines[0]


def test_unknown_select_token_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(CLEAN)
    result = run("--select", "XX9999", "Dockerfile", cwd=tmp_path)
    assert result.returncode == 2 and "XX9999" in result.stderr


def test_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(CLEAN)
    from pylint_image.linter.formatters import BUILTIN_FORMATTERS

    result = run("--format", "jsn", "Dockerfile", cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    supported = ", ".join(sorted(BUILTIN_FORMATTERS) + ["gitlab_codeclimate", "tty"])
    assert result.stderr.splitlines() == [f"pylint-image: error: unknown format 'jsn' (supported: {supported})"]


def test_output_file_and_version(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM alpine\nRUNN x\n")
    assert run("--format", "sarif", "--output", "out.sarif", "Dockerfile", cwd=tmp_path).returncode == 1
    assert json.loads((tmp_path / "out.sarif").read_text())["version"] == "2.1.0"
    version = run("--version", cwd=tmp_path)
    assert version.returncode == 0 and "pylint-image" in version.stdout and "[builtin]" in version.stdout


def test_rule_and_rules_commands(tmp_path: Path) -> None:
    table = run("rules", cwd=tmp_path)
    assert table.returncode == 0 and "DF0001" in table.stdout and "parse-error" in table.stdout
    doc = run("rule", "parse-error", cwd=tmp_path)
    assert doc.returncode == 0 and "What it does" in doc.stdout
    assert run("rule", "no-such-rule", cwd=tmp_path).returncode == 2


def test_many_files_are_linted_in_parallel_with_the_same_result(tmp_path: Path) -> None:
    for i in range(60):
        (tmp_path / f"{i:02}.Dockerfile").write_text(f"FROM alpine\nRUNN {i}\n")
    serial = json.loads(run("--format", "json", "--jobs", "1", ".", cwd=tmp_path).stdout)
    parallel = json.loads(run("--format", "json", "--jobs", "2", ".", cwd=tmp_path).stdout)
    assert len(serial["findings"]) == 60
    assert serial["findings"] == parallel["findings"]


def test_config_may_name_image_rules_when_linting_dockerfiles(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text('[tool.pylint-image]\nignore = ["IM2003", "setuid-file"]\n')
    (tmp_path / "Dockerfile").write_text(CLEAN)
    result = run("Dockerfile", cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def test_shellcheck_flag_without_the_binary_is_a_tool_error(tmp_path: Path, monkeypatch, capsys) -> None:
    # In-process: shellcheck is looked up beside the interpreter too, which a child's PATH cannot hide.
    from pylint_image.linter import tools
    from pylint_image.linter.cli import main

    monkeypatch.setattr(tools, "scripts_dirs", lambda: ())
    monkeypatch.setenv("PATH", "/nonexistent")
    (tmp_path / "Dockerfile").write_text(CLEAN)
    assert main(["--shellcheck", str(tmp_path / "Dockerfile")]) == 3
    assert "shellcheck" in capsys.readouterr().err


def test_fix_rewrites_safe_fixes_and_reports_what_is_left(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("from alpine:3.20\nMAINTAINER me@example.com\nUSER 1000\ncmd [\"sh\"]\n")
    result = run("--fix", "--format", "json", "Dockerfile", cwd=tmp_path)
    assert (tmp_path / "Dockerfile").read_text() == (
        'FROM alpine:3.20\nLABEL maintainer="me@example.com"\nUSER 1000\nCMD ["sh"]\n')
    assert "fixed 3 finding(s)" in result.stderr
    assert json.loads(result.stdout)["findings"] == [] and result.returncode == 0
