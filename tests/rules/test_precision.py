"""Issue 11 precision: runs-as-root's foreign ids and exemptions, Windows detection, go install
pins, the verified-publishers list and option (the exact (line, code) sets are in the fixtures)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from pylint_image.linter import Reference
from pylint_image.linter.parse import parse_dockerfile
from pylint_image.linter.reference import verified_publisher, verified_publishers
from pylint_image.rules._shared.publishers import judge
from pylint_image.rules._shared.windows import is_windows, is_windows_stage
from tests.support.linting import lint_text

ROOT = Path(__file__).resolve().parents[2]


def _findings(text: str, code: str, table: dict | None = None):
    result = lint_text(text, table=table)
    assert result.error is None, result.error
    assert not [n for n in result.outcome.notifications if n.id == "rule-crashed"]
    return [f for f in result.outcome.findings if f.code == code]


# --- runs-as-root (DF3002) --------------------------------------------------------------

@pytest.mark.parametrize("user", ["root", "0", "root:root", "0:0", "00"])
def test_explicit_root_is_hadolints_dl3002(user: str) -> None:
    [finding] = _findings(f"FROM debian:12\nUSER app\nUSER {user}\n", "DF3002")
    assert finding.tool_ids == ("DL3002", "CKV_DOCKER_8", "DS002")
    assert finding.source is not None and finding.source.span.start_line == 3


def test_missing_user_keeps_only_trivy_and_checkov_ids() -> None:
    [finding] = _findings("FROM debian:12\nCMD [\"sh\"]\n", "DF3002")
    assert finding.tool_ids == ("DS002", "CKV_DOCKER_3")
    assert "DL3002" not in finding.tool_ids


def test_container_administrator_gets_a_windows_message_and_no_linux_id() -> None:
    [finding] = _findings("FROM mcr.microsoft.com/windows/servercore:ltsc2022\nUSER ContainerAdministrator\n",
                          "DF3002")
    assert "Windows' administrator" in finding.message and "ContainerUser" in finding.message
    assert "root" not in finding.message
    assert finding.tool_ids == ()


@pytest.mark.parametrize("text", [
    "FROM mcr.microsoft.com/windows/servercore:ltsc2022\nCMD [\"cmd\"]\n",
    "FROM mcr.microsoft.com/windows/nanoserver:ltsc2022\nCMD [\"cmd\"]\n",
    "FROM python:3.12-windowsservercore-ltsc2022\nCMD [\"python\"]\n",
    "FROM mcr.microsoft.com/dotnet/framework/aspnet:4.8\nCMD [\"w3svc\"]\n",
    "FROM stefanscherer/node-windows:6.0.0\nCMD [\"node\"]\n",
    "FROM --platform=windows/amd64 example.com/app:1\nCMD [\"app\"]\n",
    "FROM example.com/app:1\nSHELL [\"powershell\", \"-Command\"]\nCMD [\"app\"]\n",
    "ARG BASE\nFROM $BASE\nWORKDIR C:\\\\app\nCMD [\"app\"]\n",
])
def test_windows_final_stage_without_user_is_not_flagged(text: str) -> None:
    assert _findings(text, "DF3002") == []


@pytest.mark.parametrize("text", [
    "FROM scratch\nCOPY app /\n",
    "FROM scratch\nCOPY app /\nLABEL a=b\nEXPOSE 80\n",
    "FROM golang:1.22 AS b\nRUN go build -o /app\nFROM scratch AS out\nCOPY --from=b /app /\nFROM out\nADD x /\n",
])
def test_export_only_scratch_stage_is_not_flagged(text: str) -> None:
    assert _findings(text, "DF3002") == []


@pytest.mark.parametrize("text", [
    "FROM scratch\nCOPY app /\nENTRYPOINT [\"/app\"]\n",
    "FROM scratch\nCOPY app /\nCMD [\"/app\"]\n",
    "FROM scratch\nCOPY busybox /bin/\nRUN [\"/bin/busybox\", \"--install\"]\n",
    "FROM scratch\nCOPY app /\nONBUILD CMD [\"/app\"]\n",
    "FROM scratch AS out\nCOPY app /\nCMD [\"/app\"]\nFROM out\nCOPY x /\n",
])
def test_scratch_stage_that_runs_something_is_flagged(text: str) -> None:
    assert len(_findings(text, "DF3002")) == 1


# --- Windows detection ------------------------------------------------------------------

@pytest.mark.parametrize(("text", "windows"), [
    ("FROM mcr.microsoft.com/windows/servercore:ltsc2022\n", True),
    ("FROM mcr.microsoft.com/windows:2009\n", True),
    ("FROM mcr.microsoft.com/windows/servercore-insider\n", True),
    ("FROM mcr.microsoft.com/windows/servercore:$tag\n", True),
    ("FROM microsoft/windowsservercore\n", True),
    ("FROM microsoft/iis:windowsservercore-10.0.14393.693\n", True),
    ("FROM golang:1.22-nanoserver-ltsc2022\n", True),
    ("FROM mcr.microsoft.com/powershell:nanoserver-1809\n", True),
    ("FROM stefanscherer/xterm:windows\n", True),
    ("FROM microsoft/mssql-server-windows-express:2016-sp1\n", True),
    ("ARG B=mcr.microsoft.com/windows/nanoserver:ltsc2022\nFROM ${B}\n", True),
    ("FROM example.com/app:1\nSHELL [\"cmd\", \"/S\", \"/C\"]\n", True),
    ("# escape=`\nFROM example.com/app:1\nCOPY app C:\\app\\\n", True),
    ("FROM mcr.microsoft.com/windows/servercore:ltsc2022 AS w\nFROM w\n", True),
    # Linux images
    ("FROM debian:12\n", False),
    ("FROM mcr.microsoft.com/powershell:7.4-alpine-3.17\nSHELL [\"pwsh\", \"-Command\"]\n", False),
    ("FROM mcr.microsoft.com/dotnet/aspnet:8.0\n", False),
    ("FROM dockcross/windows-static-x64:latest\n", False),
    ("FROM r.j3ss.co/wine\n", False),
    ("# escape=`\nFROM debian:12\nRUN echo hi\n", False),
    ("FROM debian:12\nCOPY a b\n", False),
])
def test_windows_detection(text: str, windows: bool) -> None:
    assert is_windows(parse_dockerfile(Path("Dockerfile"), text)) is windows


def test_windows_is_judged_per_stage() -> None:
    dockerfile = parse_dockerfile(Path("Dockerfile"), "FROM mcr.microsoft.com/windows/nanoserver:ltsc2022 AS w\n"
                                                      "FROM debian:12 AS l\nFROM w AS again\n")
    assert [is_windows_stage(dockerfile, s) for s in dockerfile.stages] == [True, False, True]
    assert is_windows(dockerfile)


def test_non_numeric_user_is_still_judged_on_linux_stages_of_a_mixed_file() -> None:
    text = ("FROM mcr.microsoft.com/windows/nanoserver:ltsc2022 AS w\nUSER ContainerUser\n"
            "FROM debian:12\nUSER app\n")
    assert [f.source.span.start_line for f in _findings(text, "DF3006") if f.source] == [4]


# --- unpinned-go-install (DF2011) ------------------------------------------------------

def test_latest_is_not_a_version() -> None:
    [finding] = _findings("FROM golang:1.22\nRUN go install golang.org/x/tools/gopls@latest\n", "DF2011")
    assert "`@latest` is not a version" in finding.message
    assert finding.tool_ids == ()  # hadolint's DL3062 accepts any '@'


def test_go_get_without_version_is_dl3062() -> None:
    [finding] = _findings("FROM golang:1.22\nRUN go get github.com/x/y\n", "DF2011")
    assert "github.com/x/y has no version" in finding.message
    assert finding.tool_ids == ("DL3062",)


@pytest.mark.parametrize("cmd", ["go install tool", "go install -v tool", "go install example.com/cmd/x",
                                 "go install tool example.com/a example.com/b", "go install x.org/y@v1.2.3"])
def test_go_install_pinned_by_go_mod_is_not_flagged(cmd: str) -> None:
    assert _findings(f"FROM golang:1.24\nRUN {cmd}\n", "DF2011") == []


# --- copy-entire-stage-filesystem (DF4004) -------------------------------------------------

def test_copy_onto_empty_scratch_is_quiet_and_onto_a_base_is_not() -> None:
    head = "FROM golang:1.23 AS build\nRUN go build -o /out/app\n"
    assert _findings(head + "FROM scratch\nCOPY --from=build / /\n", "DF4004") == []
    assert len(_findings(head + "FROM alpine:3.20\nCOPY --from=build / /\n", "DF4004")) == 1
    assert len(_findings(head + "FROM scratch\nRUN [\"/x\"]\nCOPY --from=build / /\n", "DF4004")) == 1


# --- unofficial-base-image: mirrors and verified publishers -----------------------------------

@pytest.mark.parametrize("name", ["mirror.gcr.io/library/python:3.12", "mirror.gcr.io/python:3.12",
                                  "public.ecr.aws/docker/library/node:20", "docker.io/library/debian:12"])
def test_official_images_are_official_on_their_mirrors(name: str) -> None:
    assert Reference.parse(name).is_official
    assert _findings(f"FROM {name}\n", "DF1002") == []


@pytest.mark.parametrize(("name", "publisher"), [
    ("gcr.io/distroless/static-debian12:nonroot", "Google (distroless)"),
    ("mcr.microsoft.com/dotnet/aspnet:8.0", "Microsoft"),
    ("nvcr.io/nvidia/pytorch:24.01-py3", "NVIDIA"),
    ("cgr.dev/chainguard/static", "Chainguard"),
    ("registry.access.redhat.com/ubi9/ubi-minimal:9.4", "Red Hat (UBI)"),
    ("registry.access.redhat.com/ubi8", "Red Hat (UBI)"),
    ("registry.access.redhat.com/rhel7/rhel", "Red Hat"),
    ("bitnami/redis:7.2", "Bitnami (Broadcom)"),
    ("docker.io/bitnami/redis:7.2", "Bitnami (Broadcom)"),
    ("mirror.gcr.io/bitnami/redis:7.2", "Bitnami (Broadcom)"),
    ("nvidia/cuda:12.4.0-base-ubuntu22.04", "NVIDIA"),
    ("MCR.Microsoft.com/windows/servercore:ltsc2022", "Microsoft"),
    ("nvcr.io/partner/tool:1", None),
    ("bitnami-labs/sealed-secrets", None),
    ("gcr.io/distroless-evil/x", None),
    ("registry.access.redhat.com.evil.io/ubi9", None),
    ("someuser/tools:1.0", None),
    ("python:3.12", None),
])
def test_verified_publisher(name: str, publisher: str | None) -> None:
    assert verified_publisher(Reference.parse(name)) == publisher


def test_verified_publisher_finding_names_the_publisher_by_default() -> None:
    [finding] = _findings("FROM gcr.io/distroless/static-debian12:nonroot\n", "DF1002")
    assert "verified publisher (Google (distroless))" in finding.message
    assert finding.severity.value == "info"
    [plain] = _findings("FROM someuser/tools:1.0\n", "DF1002")
    assert "verified" not in plain.message


@pytest.mark.parametrize(("choice", "count", "verified_words"), [("info", 1, True), ("ignore", 0, False),
                                                                 ("warn", 1, False)])
def test_verified_publishers_option(choice: str, count: int, verified_words: bool) -> None:
    table = {"rules": {"unofficial-base-image": {"verified-publishers": choice}}}
    found = _findings("FROM nvcr.io/nvidia/cuda:12.4.0-base-ubuntu22.04\n", "DF1002", table)
    assert len(found) == count
    assert all(("verified publisher" in f.message) is verified_words for f in found)
    # Unknown images are reported whatever the choice.
    assert len(_findings("FROM someuser/tools:1.0\n", "DF1002", table)) == 1


def test_an_unknown_choice_is_refused() -> None:
    with pytest.raises(ValueError, match="verified-publishers must be one of info, ignore, warn"):
        judge(Reference.parse("someuser/tools"), (), "error")


@pytest.mark.parametrize("code", ["DF1002", "IM1001"])
def test_an_unknown_choice_in_the_config_is_a_config_error(code: str) -> None:
    from pylint_image.linter.errors import ConfigError
    from tests.support.linting import config_for, registry

    rule = next(r for r in registry().rules if r.meta.code == code)
    config = config_for({"rules": {"unofficial-base-image": {"verified-publishers": "error"}}})
    with pytest.raises(ConfigError, match=f"invalid options for {code}: option verified-publishers must be one of"):
        config.options_for(rule)
    good = config_for({"rules": {"unofficial-base-image": {"verified-publishers": "warn", "trusted": ["a.io"]}}})
    assert good.options_for(rule).verified_publishers == "warn" and good.options_for(rule).trusted == ("a.io",)


def test_the_shipped_list_is_well_formed_and_packaged() -> None:
    text = (ROOT / "linter" / "verified_publishers.txt").read_text(encoding="utf-8")
    entries = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    assert len(entries) == len(verified_publishers()) >= 10
    for line in entries:
        prefix, publisher, source = (part.strip() for part in line.split("|"))
        assert prefix == prefix.lower() and "." in prefix.split("/")[0], line  # a domain first
        assert publisher and source.startswith("https://"), line
        # An entry must not make an official image "verified": official wins anyway, but say so.
        assert not prefix.startswith("docker.io/library"), line
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "verified_publishers.txt" in data["tool"]["setuptools"]["package-data"]["pylint_image.linter"]


# --- selection by foreign id acts on exactly these findings -----------------------------------

_ROOT_FILE = "FROM debian:12 AS a\nUSER root\nFROM debian:12\nCMD [\"sh\"]\n"  # final stage: no USER


@pytest.mark.parametrize(("table", "kept"), [
    ({"select": ["DL3002"]}, []),                    # no USER is not hadolint's DL3002
    ({"select": ["DS002"]}, [3]),
    ({"select": ["CKV_DOCKER_3"]}, [3]),
    ({"select": ["CKV_DOCKER_8"]}, []),
    ({"ignore": ["DL3002"]}, [3]),
    ({"ignore": ["CKV_DOCKER_3"]}, []),
])
def test_foreign_ids_select_only_their_own_runs_as_root_findings(table: dict, kept: list[int]) -> None:
    found = _findings(_ROOT_FILE, "DF3002", table)
    assert [f.source.span.start_line for f in found if f.source and f.suppressed is None] == kept


def test_dl3002_selects_the_explicit_root_user() -> None:
    found = _findings("FROM debian:12\nUSER 0:0\n", "DF3002", {"select": ["DL3002"]})
    assert [f.source.span.start_line for f in found if f.source] == [2]
    assert _findings("FROM debian:12\nUSER 0:0\n", "DF3002", {"ignore": ["DL3002"]}) == []


def test_windows_administrator_is_no_foreign_check() -> None:
    text = "FROM mcr.microsoft.com/windows/servercore:ltsc2022\nUSER ContainerAdministrator\n"
    assert len(_findings(text, "DF3002")) == 1
    assert _findings(text, "DF3002", {"select": ["DL3002"]}) == []
    assert len(_findings(text, "DF3002", {"ignore": ["DL3002", "DS002"]})) == 1


def test_dl3062_is_the_missing_version_not_latest() -> None:
    text = "FROM golang:1.22\nRUN go install x.org/a@latest\nRUN go get x.org/b\n"
    assert [f.source.span.start_line for f in _findings(text, "DF2011", {"select": ["DL3062"]}) if f.source] == [3]
    assert [f.source.span.start_line for f in _findings(text, "DF2011", {"ignore": ["DL3062"]}) if f.source] == [2]
