"""Unit tests for rules/_shared helpers (package recognizers, variables, images, commands)
and for rule behaviour that a single-final-stage fixture cannot show."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from pylint_image.linter.parse import parse_dockerfile
from pylint_image.rules._shared.commands import run_commands
from pylint_image.rules._shared.images import shipped_stages
from pylint_image.rules._shared.packages import command_name, recognize_install, recognize_invocation
from pylint_image.rules._shared.variables import expand, scope_at
from tests.support.linting import lint_text


def install(cmd: str):
    return recognize_install(shlex.split(cmd))


def unpinned(cmd: str) -> list[str]:
    found = install(cmd)
    assert found is not None, cmd
    return [p.text for p in found.unpinned]


@pytest.mark.parametrize(("cmd", "expected"), [
    ("apt-get install -y curl git", ["curl", "git"]),
    ("apt-get install -y curl=7.88 git=1:2.39", []),
    ("apt-get install -y curl=", ["curl="]),
    ("apt-get install -y curl=${VER}", []),
    ("apt-get install -y $PACKAGES", []),
    ("apt-get install -y ./chrome.deb /tmp/x_1.0_all.deb", []),
    ("apt-get install -y -t bookworm-backports curl", ["curl"]),
    ("apt-get install -y --target-release=bookworm-backports curl=8.1", []),
    ("apt-get -o Dpkg::Options::=--force-confnew install -y curl=1", []),
    ("apt-get -qq install -y --no-install-recommends vim", ["vim"]),
    ("apt install -y jq", ["jq"]),
    ("sudo DEBIAN_FRONTEND=noninteractive apt-get install -y vim", ["vim"]),
    ("/usr/bin/apt-get install -y vim", ["vim"]),
    ("apk add --no-cache curl", ["curl"]),
    ("apk add --no-cache curl=8.9.1-r0 git~2.45 bash>5.2 zlib<2", []),
    ("apk add --virtual .build-deps gcc~13", []),
    ("apk add -t .deps gcc", ["gcc"]),
    ("apk add -X http://dl-cdn/edge/testing foo=1", []),
    ("apk add --allow-untrusted /tmp/foo-1.0.apk", []),
    ("pip install flask", ["flask"]),
    ("pip install flask==3.0 'requests>=2' urllib3<3 six~=1.16 a!=1 b===2", []),
    ("pip install 'uvicorn[standard]==0.30'", []),
    ("pip install 'uvicorn[standard]'", ["uvicorn[standard]"]),
    ("pip install -r requirements.txt", []),
    ("pip install --requirement=requirements.txt", []),
    ("pip install -e .", []),
    ("pip install . ./wheels/app-1.0-py3-none-any.whl dist/app-1.0.tar.gz", []),
    ("pip install git+https://github.com/org/repo@v1 https://example.com/x.whl", []),
    ("pip install pkg @ https://example.com/pkg.whl", []),
    ("pip install -i https://pypi.example/simple --trusted-host pypi.example gunicorn", ["gunicorn"]),
    ("pip3 install --upgrade pip setuptools", ["pip", "setuptools"]),
    ("pip3.11 install --user black==24.1", []),
    ("python -m pip install django", ["django"]),
    ("python3.12 -m pip install --no-cache-dir django==5", []),
    ("uv pip install --system httpx", ["httpx"]),
    ("npm install -g typescript", ["typescript"]),
    ("npm install -g typescript@5.4.5 @angular/cli@17", []),
    ("npm install -g @angular/cli", ["@angular/cli"]),
    ("npm i -g pnpm@latest", ["pnpm@latest"]),
    ("npm install", []),
    ("npm ci", []),
    ("npm install --prefix /app ./local-pkg https://x/y.tgz", []),
    ("yarn add react@18.2.0", []),
    ("yarn global add serve", ["serve"]),
    ("yarn add left-pad", ["left-pad"]),
    ("gem install bundler", ["bundler"]),
    ("gem install bundler -v 2.5.10", []),
    ("gem install bundler --version=2.5", []),
    ("gem install rails:7.1.3", []),
    ("gem install --local ./pups-1.4.0.gem", []),
    ("gem install -N --source https://rubygems.org rake", ["rake"]),
])
def test_unpinned_packages(cmd: str, expected: list[str]) -> None:
    assert unpinned(cmd) == expected


@pytest.mark.parametrize("cmd", [
    "apt-get update", "apt-get remove -y curl", "apk del curl", "pip list", "pip download x",
    "npm run build", "yarn build", "gem list", "echo apt-get install curl", "python app.py",
    "python -m venv /venv", "dpkg -i x.deb",
])
def test_not_an_install(cmd: str) -> None:
    assert install(cmd) is None


def test_install_options_and_verb() -> None:
    found = install("apt-get -y -o APT::Install-Recommends=false install --no-install-recommends curl")
    assert found is not None and found.manager == "apt" and found.tool == "apt-get"
    assert found.verb == "install" and found.verb_index == 4
    assert found.has_option("--no-install-recommends") and found.option_values("-o") == ["APT::Install-Recommends=false"]
    found = install("pip --no-cache-dir install flask")
    assert found is not None and found.has_option("--no-cache-dir")
    req = install("pip install -r a.txt -c c.txt")
    assert req is not None and [(p.kind, p.text) for p in req.packages] == [("requirements", "a.txt"), ("requirements", "c.txt")]


def test_invocation_finds_verb_after_options() -> None:
    inv = recognize_invocation(["apt-get", "-y", "update"])
    assert inv is not None and inv.verb == "update"
    assert recognize_invocation(["ls"]) is None
    assert command_name(["FOO=1", "sudo", "-u", "app", "/usr/bin/pip", "install"]) == (4, "pip")


def _parse(text: str, build_args: dict[str, str] | None = None):
    return parse_dockerfile(Path("Dockerfile"), text, build_args=build_args or {})


def test_run_commands_expand_args_env_and_shell_variables() -> None:
    df = _parse("ARG V=1.0\nFROM debian:12\nARG V\nENV DEPS='gcc make'\n"
                "RUN deps='curl wget'; apt-get install -y $deps pkg=$V $DEPS\n")
    run = df.stages[0].instructions[-1]
    commands = run_commands(run, scope_at(df, run))
    assert commands[-1].argv == ["apt-get", "install", "-y", "curl", "wget", "pkg=1.0", "gcc", "make"]
    assert commands[-1].words[1].span is not None and commands[-1].words[1].span.start_line == 5


def test_run_commands_heredoc_script_and_data() -> None:
    df = _parse("FROM debian:12\nRUN <<EOF\napt-get install -y \\\n  vim\nEOF\nRUN cat <<EOF > /f\napt-get install x\nEOF\n")
    script, data = df.stages[0].instructions[1:]
    commands = run_commands(script)
    assert [c.argv for c in commands] == [["apt-get", "install", "-y", "vim"]]
    assert commands[0].words[3].span.start_line == 4
    assert [c.argv for c in run_commands(data)] == [["cat"]]


def test_variables_scope_and_expand() -> None:
    df = _parse("ARG A=1\nARG B\nFROM x:1\nARG A\nARG C=${A}-c\nENV A=env\nARG A=ignored\nRUN true\n",
                build_args={"B": "b"})
    run = df.stages[0].instructions[-1]
    scope = scope_at(df, run)
    assert scope["A"] == "env" and scope["C"] == "1-c"
    assert expand("${A}/${MISSING}/${MISSING:-d}/${A:+alt}/$A", scope) == "env/${MISSING}/d/alt/env"


def test_env_is_inherited_from_the_parent_stage() -> None:
    df = _parse("FROM python:3.12 AS base\nENV PIP_NO_CACHE_DIR=1\nFROM base\nRUN pip install -r r.txt\n")
    run = df.stages[1].instructions[-1]
    assert scope_at(df, run)["PIP_NO_CACHE_DIR"] == "1"


def test_shipped_stages_follow_aliases() -> None:
    df = _parse("FROM a:1 AS one\nFROM b:1 AS two\nFROM two AS three\nFROM three\n")
    assert shipped_stages(df) == {1, 2, 3}


def _codes(text: str, code: str) -> list[int]:
    return sorted(f.source.span.start_line for f in lint_text(text).outcome.findings if f.code == code)


def test_runs_as_root_exemptions() -> None:
    assert _codes("FROM debian:12\nRUN apt-get install -y gosu\n", "DF3002") == []
    assert _codes("FROM gcr.io/distroless/static:nonroot\n", "DF3002") == []
    assert _codes("FROM debian:12\nARG UID\nUSER ${UID}\n", "DF3002") == []
    assert _codes("FROM debian:12\nUSER app\nUSER 0\n", "DF3002") == [3]
    assert _codes("FROM debian:12\n", "DF3002") == [1]


def test_missing_no_install_recommends_fix_inserts_after_install() -> None:
    findings = [f for f in lint_text("FROM debian:12\nRUN apt-get install -y curl\n").outcome.findings
                if f.code == "DF2003"]
    assert len(findings) == 1 and findings[0].fix is not None and findings[0].fix.safe
    edit = findings[0].fix.edits[0]
    assert (edit.span.start_line, edit.span.start_col, edit.replacement) == (2, 20, " --no-install-recommends")


def test_run_without_a_parsed_script_has_no_commands() -> None:
    run = _parse("FROM debian:12\nRUN apt-get install -y curl\n").stages[0].instructions[1]
    import dataclasses

    assert run_commands(run)[0].argv[:2] == ["apt-get", "install"]
    assert run_commands(dataclasses.replace(run, shell=None, heredoc_shells=())) == ()
