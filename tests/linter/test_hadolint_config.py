"""hadolint's configuration read with hadolint's meaning: discovery order, HADOLINT_*, merge, translation."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from pylint_image.linter import hadolint_config as hc
from pylint_image.linter.config import Config, build_config, load_config
from pylint_image.linter.errors import ConfigError
from pylint_image.linter.findings import Severity
from pylint_image.linter.plugins import load_registry

RULES = load_registry().rules


def _env(home: Path, **more: str) -> dict[str, str]:
    return {"HOME": str(home), **more}


def test_discovery_follows_hadolints_order(tmp_path: Path) -> None:
    home, cwd, xdg = tmp_path / "home", tmp_path / "work", tmp_path / "xdg"
    for d in (home / ".hadolint", home / ".config", cwd, xdg):
        d.mkdir(parents=True, exist_ok=True)
    env = _env(home)
    # Created from the last place hadolint looks to the first: each new one must win.
    order = [home / ".hadolint.yml", home / ".hadolint.yaml", home / ".hadolint" / "config.yml",
             home / ".hadolint" / "config.yaml", home / ".hadolint" / "hadolint.yml",
             home / ".hadolint" / "hadolint.yaml", home / ".config" / "hadolint.yml",
             home / ".config" / "hadolint.yaml", cwd / ".hadolint.yml", cwd / ".hadolint.yaml"]
    assert hc.find_hadolint_config(cwd, env) is None
    for path in order:
        path.write_text("ignored: [DL3008]\n")
        assert hc.find_hadolint_config(cwd, env) == path
    # $XDG_CONFIG_HOME replaces ~/.config, and comes after the current directory.
    (xdg / "hadolint.yaml").write_text("{}\n")
    assert hc.find_hadolint_config(cwd, _env(home, XDG_CONFIG_HOME=str(xdg))) == cwd / ".hadolint.yaml"
    (cwd / ".hadolint.yaml").unlink()
    (cwd / ".hadolint.yml").unlink()
    assert hc.find_hadolint_config(cwd, _env(home, XDG_CONFIG_HOME=str(xdg))) == xdg / "hadolint.yaml"


def test_only_the_current_directory_not_its_parents(tmp_path: Path) -> None:
    (tmp_path / ".hadolint.yaml").write_text("ignored: [DL3008]\n")
    sub = tmp_path / "sub"
    sub.mkdir()
    assert hc.find_hadolint_config(sub, _env(tmp_path / "nohome")) is None


FULL = """\
ignored: [DL3008, SC2086]
override:
  error: [DL3001, DL3002]
  warning: [DL3042]
  info: [DL3032]
  style: [DL3015, DL3002]
trustedRegistries: [docker.io, "*.gcr.io"]
failure-threshold: warning
label-schema:
  author: text
  created: rfc3339
strict-labels: true
disable-ignore-pragma: true
format: json
no-color: true
verbose: false
"""


def test_every_documented_key_is_translated(tmp_path: Path) -> None:
    (tmp_path / ".hadolint.yaml").write_text(FULL)
    settings = hc.load_settings(tmp_path, _env(tmp_path))
    assert settings is not None and settings.warnings == []
    table = hc.to_table(settings)
    assert table == {
        "shellcheck": True,
        "select": ["ALL", "disallowed-registry"],
        "ignore": ["DL3008", "SC2086"],
        # DL3002 is in error and style: hadolint applies error last, so error wins
        "severity": {"DL3015": "style", "DL3002": "error", "DL3032": "info", "DL3042": "warning", "DL3001": "error"},
        "fail-on": "warning",
        "disable-ignore-pragma": True,
        "output-format": "json",
        "no-color": True,
        "verbose": False,
        "rules": {"disallowed-registry": {"allowed": ["docker.io", "*.gcr.io"]},
                  "label-schema-violation": {"schema": {"author": "text", "created": "rfc3339"},
                                             "required": ["author", "created"], "strict": True}},
    }
    config = load_config(None, tmp_path, RULES, _env(tmp_path))
    assert config.from_hadolint and config.path == tmp_path / ".hadolint.yaml"
    assert config.fail_on == "warning" and config.disable_ignore_pragma and config.no_color
    assert config.output_format == "json"
    by_code = {r.meta.code: r for r in RULES}
    assert config.selection.enabled(by_code["DF1012"])  # preview, on because trustedRegistries is set
    assert config.options_for(by_code["DF1012"]).allowed == ("docker.io", "*.gcr.io")
    labels = config.options_for(by_code["DF3014"])
    assert labels.required == ("author", "created") and labels.strict is True
    assert config.selection.severity["DL3002"] is Severity.ERROR


@pytest.mark.parametrize("text, fail_on", [
    ("ignored: []\n", "info"),              # hadolint's default threshold
    ("failure-threshold: style\n", "style"),
    ("failure-threshold: none\n", "style"),  # hadolint fails on every finding below "none" too
    ("failure-threshold: ignore\n", "style"),
    ("failure-threshold: error\nno-fail: true\n", "never"),
])
def test_failure_threshold_and_no_fail(tmp_path: Path, text: str, fail_on: str) -> None:
    (tmp_path / ".hadolint.yaml").write_text(text)
    assert load_config(None, tmp_path, RULES, _env(tmp_path)).fail_on == fail_on


def test_without_any_hadolint_setting_the_defaults_stay(tmp_path: Path) -> None:
    config = load_config(None, tmp_path, RULES, _env(tmp_path / "nohome", PATH="/bin"))
    assert config == Config()


def test_unknown_keys_and_ids_are_warnings_naming_them(tmp_path: Path) -> None:
    (tmp_path / ".hadolint.yaml").write_text(
        "ignored: [DL9999, DL3005, DL3008]\noverride:\n  fatal: [DL3008]\n  error: [DL9998]\ncolour: true\n")
    config = load_config(None, tmp_path, RULES, _env(tmp_path))
    path = tmp_path / ".hadolint.yaml"
    assert config.warnings == (
        f"{path}:3: unknown hadolint key 'override.fatal' is ignored (hadolint knows: error, warning, info, style)",
        f"{path}:5: unknown hadolint key 'colour' is ignored (hadolint knows: {', '.join(hc.KNOWN_KEYS)})",
        f"{path}: 'ignored' names DL9999, which no rule of ours reports: left out",
        f"{path}: 'override' names DL9998, which no rule of ours reports: left out",
    )  # DL3005 was removed from hadolint: the rules mapping says why, no warning
    assert config.selection.ignore == ("DL3008",) and config.selection.severity == {}


@pytest.mark.parametrize("text, line, needle", [
    ("ignored: DL3008\n", 1, "'ignored' must be a list of strings"),
    ("no-fail: yes please\n", 1, "'no-fail' must be true or false"),
    ("failure-threshold: fatal\n", 1, "'failure-threshold' must be one of"),
    ("ignored: []\nlabel-schema:\n  author: name\n", 3, "label 'author' has type 'name'"),
    ("format: xml\n", 1, "'format' must be one of"),
    ("ignored: [\n", 2, "invalid YAML"),
])
def test_wrong_values_are_config_errors_with_the_line(tmp_path: Path, text: str, line: int, needle: str) -> None:
    (tmp_path / ".hadolint.yaml").write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(None, tmp_path, RULES, _env(tmp_path))
    assert needle in str(info.value) and info.value.line == line, str(info.value)


def test_environment_variables_with_hadolints_meaning() -> None:
    env = {"HADOLINT_NOFAIL": "no", "HADOLINT_VERBOSE": "Yes", "HADOLINT_FORMAT": "json,gnu",
           "HADOLINT_FAILURE_THRESHOLD": "error", "HADOLINT_OVERRIDE_ERROR": "DL3008,DL3009",
           "HADOLINT_OVERRIDE_STYLE": "DL3015", "HADOLINT_IGNORE": "DL3013,SC2086",
           "HADOLINT_TRUSTED_REGISTRIES": "docker.io,ghcr.io", "HADOLINT_REQUIRE_LABELS": "maintainer:text,org.x:url",
           "HADOLINT_STRICT_LABELS": "1", "HADOLINT_DISABLE_IGNORE_PRAGMA": "on", "HADOLINT_IGNORED": "DL3000"}
    s = hc.from_environment(env)
    assert s is not None
    assert (s.no_fail, s.verbose, s.strict_labels, s.disable_ignore_pragma) == (False, True, True, True)
    assert s.formats == ["json", "gnu"] and s.failure_threshold == "error"
    assert s.override == {"error": ["DL3008", "DL3009"], "warning": [], "info": [], "style": ["DL3015"]}
    assert s.ignored == ["DL3013", "SC2086"] and s.trusted_registries == ["docker.io", "ghcr.io"]
    assert s.label_schema == {"maintainer": "text", "org.x": "url"}
    assert s.warnings == [f"unknown hadolint variable HADOLINT_IGNORED is ignored (hadolint knows: {', '.join(hc.ENV_VARS)})"]
    assert hc.conversion_warnings(s) == [
        "output format 'gnu' is not one of ours: not carried over",
        "several output formats (json, gnu): we write one report, in the last one given"]
    assert hc.from_environment({"PATH": "/bin"}) is None


def test_the_file_wins_over_the_environment_and_lists_are_joined(tmp_path: Path) -> None:
    (tmp_path / ".hadolint.yaml").write_text(
        "ignored: [DL3008]\nfailure-threshold: style\nlabel-schema:\n  a: url\n  b: text\n")
    env = _env(tmp_path, HADOLINT_IGNORE="DL3013", HADOLINT_FAILURE_THRESHOLD="error",
               HADOLINT_REQUIRE_LABELS="a:email")
    s = hc.load_settings(tmp_path, env)
    assert s is not None
    assert s.ignored == ["DL3013", "DL3008"] and s.failure_threshold == "style"
    assert s.label_schema == {"a": "email", "b": "text"}  # Data.Map's union keeps the environment's


def test_environment_alone_is_a_hadolint_config(tmp_path: Path) -> None:
    config = load_config(None, tmp_path, RULES, _env(tmp_path / "nohome", HADOLINT_IGNORE="DL3008"))
    assert config.from_hadolint and config.path is None
    assert config.selection.ignore == ("DL3008",) and config.fail_on == "info"


def test_our_own_config_beats_hadolints(tmp_path: Path) -> None:
    (tmp_path / ".hadolint.yaml").write_text("ignored: [DL3008]\n")
    (tmp_path / ".pylint-image.yaml").write_text("ignore: [DF3004]\n")
    config = load_config(None, tmp_path, RULES, _env(tmp_path, HADOLINT_IGNORE="DL3013"))
    assert not config.from_hadolint and config.selection.ignore == ("DF3004",) and config.fail_on == "warning"


def test_explicit_config_may_name_a_hadolint_file(tmp_path: Path) -> None:
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "hadolint.yaml").write_text("ignored: [DL3008]\n")
    config = load_config(tmp_path / "ci" / "hadolint.yaml", tmp_path, RULES, _env(tmp_path))
    assert config.from_hadolint and config.selection.ignore == ("DL3008",)


def test_printed_toml_reads_back_as_the_same_config(tmp_path: Path) -> None:
    (tmp_path / ".hadolint.yaml").write_text(FULL)
    settings = hc.load_settings(tmp_path, _env(tmp_path))
    assert settings is not None
    table = hc.to_table(settings)
    text = hc.render_toml(table)
    back = tomllib.loads(text)["tool"]["pylint-image"]
    assert back == table
    ours = build_config(back, RULES)
    theirs = load_config(None, tmp_path, RULES, _env(tmp_path))
    assert ours.selection == theirs.selection and ours.rule_options == theirs.rule_options
    assert ours.fail_on == theirs.fail_on and ours.disable_ignore_pragma == theirs.disable_ignore_pragma
    from pylint_image.linter.yaml_file import read_yaml

    assert read_yaml(tmp_path / "x.yaml", hc.render_yaml(table))[0] == table


def test_toml_strings_are_escaped() -> None:
    text = hc.render_toml({"ignore": ['a"b\\c\n'], "rules": {"x.y": {"k": True}}})
    assert tomllib.loads(text)["tool"]["pylint-image"] == {"ignore": ['a"b\\c\n'], "rules": {"x.y": {"k": True}}}


@pytest.mark.parametrize(("theirs", "ours"), [("checkstyle", "checkstyle"), ("codeclimate", "codeclimate"),
                                              ("gitlab_codeclimate", "gitlab"), ("sonarqube", "sonarqube")])
def test_hadolints_ci_formats_are_carried_over(tmp_path: Path, theirs: str, ours: str) -> None:
    (tmp_path / ".hadolint.yaml").write_text(f"format: {theirs}\n")
    config = load_config(None, tmp_path, RULES, _env(tmp_path))
    assert config.output_format == ours and not config.warnings
