"""Config per linted file (the nearest above it, up to the repository root), hadolint's config on the
command line, and ``pylint-image config --from-hadolint``."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from pylint_image.linter.cli import main

# DF3004 (MAINTAINER, DL4000, style) and DF3007 (relative WORKDIR, DL3000, warning); USER keeps runs-as-root quiet.
DOCKERFILE = "FROM alpine:3.20\nMAINTAINER me\nWORKDIR tmp\nUSER 1000\n"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository (a bare ``.git`` folder is what marks the top) with no hadolint settings around."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    for name in [k for k in __import__("os").environ if k.startswith("HADOLINT_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("NO_COLOR", "1")
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    for sub in ("svc/a", "svc/b", "svc/a/deep"):
        (root / sub).mkdir(parents=True, exist_ok=True)
        (root / sub / "Dockerfile").write_text(DOCKERFILE)
    monkeypatch.chdir(root)
    return root


def lint(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, set[str]], str]:
    code = main(["--format", "json", *args])
    out, err = capsys.readouterr()
    found: dict[str, set[str]] = {}
    for f in json.loads(out)["findings"]:
        if f["suppressed"] is None:
            found.setdefault(f["location"]["path"], set()).add(f["code"])
    return code, found, err


def test_each_file_uses_the_nearest_config_above_it(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "pyproject.toml").write_text('[tool.pylint-image]\nignore = ["DF3007"]\n')
    (repo / "svc/a/.pylint-image.yaml").write_text("ignore: [DF3004]\n")
    code, found, _ = lint(capsys, "svc")
    assert found == {"svc/a/Dockerfile": {"DF3007"}, "svc/a/deep/Dockerfile": {"DF3007"},
                     "svc/b/Dockerfile": {"DF3004"}}
    assert code == 1
    # The same from inside a service folder: discovery goes by the file, not the current directory.
    import os

    os.chdir(repo / "svc/b")
    _, found, _ = lint(capsys, "../a/Dockerfile", "Dockerfile")
    assert found == {"../a/Dockerfile": {"DF3007"}, "Dockerfile": {"DF3004"}}


def test_config_option_applies_to_every_file(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "svc/a/.pylint-image.yaml").write_text("ignore: [DF3004]\n")
    (repo / "ci.yaml").write_text("ignore: [DF3007]\n")
    _, found, _ = lint(capsys, "--config", "ci.yaml", "svc")
    assert set(map(frozenset, found.values())) == {frozenset({"DF3004"})} and len(found) == 3


def test_discovery_stops_at_the_repository_root(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A config above the repository (in its parent folder) belongs to something else.
    (repo.parent / ".pylint-image.yaml").write_text("ignore: [DF3004, DF3007]\n")
    _, found, _ = lint(capsys, "svc/b")
    assert found == {"svc/b/Dockerfile": {"DF3004", "DF3007"}}


def test_fail_on_is_each_files_own(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / ".pylint-image.yaml").write_text("fail-on: never\n")
    code, _, _ = lint(capsys, "svc/b")
    assert code == 0
    (repo / "svc/a/.pylint-image.yaml").write_text("fail-on: warning\n")
    code, _, _ = lint(capsys, "svc/b", "svc/a/Dockerfile")
    assert code == 1  # svc/a fails by its own threshold, whatever svc/b's says
    code, _, _ = lint(capsys, "--fail-on", "never", "svc")
    assert code == 0  # the command line overrides every file's


def test_stdin_takes_the_config_of_its_stdin_filename(repo: Path, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    (repo / "svc/a/.pylint-image.yaml").write_text("ignore: [DF3004]\n")
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(DOCKERFILE.encode())))
    _, found, _ = lint(capsys, "--stdin-filename", "svc/a/Dockerfile", "-")
    assert found == {"svc/a/Dockerfile": {"DF3007"}}


def test_hadolint_config_only_where_none_of_ours_applies(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / ".hadolint.yaml").write_text("ignored: [DL4000]\nfailure-threshold: error\nbogus: 1\n")
    (repo / "svc/a/.pylint-image.yaml").write_text("ignore: [DF3004]\n")
    code, found, err = lint(capsys, "svc/a/Dockerfile", "svc/b")
    assert found == {"svc/a/Dockerfile": {"DF3007"}, "svc/b/Dockerfile": {"DF3007"}}
    assert code == 1  # svc/a: our default fail-on warning; svc/b alone would pass hadolint's "error"
    assert err.count("unknown hadolint key 'bogus'") == 1
    code, _, _ = lint(capsys, "svc/b")
    assert code == 0


def test_hadolint_disable_ignore_pragma_and_output_format(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "svc/b/Dockerfile").write_text("FROM alpine:3.20\n# hadolint ignore=DL4000\nMAINTAINER me\nUSER 1000\n")
    _, found, _ = lint(capsys, "svc/b")
    assert found == {}
    (repo / ".hadolint.yaml").write_text("disable-ignore-pragma: true\n")
    _, found, _ = lint(capsys, "svc/b")
    assert found == {"svc/b/Dockerfile": {"DF3004"}}
    # hadolint's "format" chooses the report format when --format is not given; -f still wins.
    (repo / ".hadolint.yaml").write_text("format: json\nverbose: true\n")
    assert main(["svc/b"]) == 0
    out, err = capsys.readouterr()
    assert [f["code"] for f in json.loads(out)["findings"] if not f["suppressed"]] == [] and f"hadolint configuration: {repo / '.hadolint.yaml'}" in err
    main(["-f", "tty", "svc/b"])
    assert not capsys.readouterr().out.lstrip().startswith("{")


def test_hadolint_environment_is_read(repo: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HADOLINT_IGNORE", "DL4000,DL3000")
    code, found, _ = lint(capsys, "svc/b")
    assert found == {} and code == 0
    (repo / ".pylint-image.yaml").write_text("select: [ALL]\n")
    _, found, _ = lint(capsys, "svc/b")
    assert found == {"svc/b/Dockerfile": {"DF3004", "DF3007"}}  # ours applies: HADOLINT_* is not read


def test_config_from_hadolint_prints_our_table(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / ".hadolint.yaml").write_text(
        "ignored: [DL3008, DL9999]\noverride:\n  error: [DL3000]\ntrustedRegistries: docker.io\n"
        "failure-threshold: warning\n")
    assert main(["config", "--from-hadolint"]) == 0
    out, err = capsys.readouterr()
    table = tomllib.loads(out)["tool"]["pylint-image"]
    assert table == {"shellcheck": True, "select": ["ALL", "disallowed-registry"], "ignore": ["DL3008"],
                     "severity": {"DL3000": "error"}, "fail-on": "warning",
                     "rules": {"disallowed-registry": {"allowed": ["docker.io"]}}}
    assert "'ignored' names DL9999, which no rule of ours reports: left out" in err
    # The printed table does what the hadolint file did.
    (repo / "pyproject.toml").write_text(out)
    (repo / ".hadolint.yaml").unlink()
    _, found, _ = lint(capsys, "svc/b")
    assert found == {"svc/b/Dockerfile": {"DF3004", "DF3007"}}
    assert main(["config", "--from-hadolint", "missing.yaml"]) == 2
    assert "config file not found" in capsys.readouterr().err


def test_config_from_hadolint_without_any(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "--from-hadolint"]) == 2
    assert "no hadolint configuration found" in capsys.readouterr().err
    assert main(["config"]) == 2


def test_readme_configuration_example_is_a_valid_config() -> None:
    from pylint_image.linter.config import build_config
    from pylint_image.linter.plugins import load_registry

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Configuration", 1)[1].split("```toml\n", 1)[1].split("```", 1)[0]
    config = build_config(tomllib.loads(block)["tool"]["pylint-image"], load_registry().rules)
    assert config.selection.shellcheck and config.output_format == "text" and not config.disable_ignore_pragma


def test_warnings_are_one_escaped_line(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / ".hadolint.yaml").write_text('"bad\\e[31mkey\\nline": 1\n')
    _, _, err = lint(capsys, "svc/b")
    warnings = [line for line in err.splitlines() if "unknown hadolint key" in line]
    assert len(warnings) == 1 and "\x1b" not in err, err


def test_image_and_verify_take_the_config_nearest_their_dockerfile(repo: Path) -> None:
    """`image --dockerfile svc/a/Dockerfile` and `verify svc/a` use svc/a's config, as lint does for that file."""
    import argparse

    from pylint_image.linter.cli import _command_config, _config_anchor
    from pylint_image.rules import DOCKERFILE_RULES

    (repo / "pyproject.toml").write_text('[tool.pylint-image]\nignore = ["DF3007"]\n')
    (repo / "svc/a/.pylint-image.yaml").write_text("ignore: [DF3004]\n")
    cases = {
        "image --dockerfile": argparse.Namespace(dockerfile=Path("svc/a/Dockerfile")),
        "verify PATH (a folder)": argparse.Namespace(path=Path("svc/a"), file=None),
        "verify --file": argparse.Namespace(path=Path("."), file=Path("svc/a/deep/Dockerfile")),
    }
    for what, args in cases.items():
        config = _command_config(None, _config_anchor(args), DOCKERFILE_RULES)
        assert config.selection.ignore == ("DF3004",), what
    # Without a Dockerfile (an image alone) the current directory's config applies, and --config wins.
    alone = _command_config(None, _config_anchor(argparse.Namespace(dockerfile=None)), DOCKERFILE_RULES)
    assert alone.selection.ignore == ("DF3007",)
    forced = _command_config(repo / "pyproject.toml", _config_anchor(cases["verify --file"]), DOCKERFILE_RULES)
    assert forced.selection.ignore == ("DF3007",)
