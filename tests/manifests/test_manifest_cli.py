"""The manifest target through the command line: discovery, stdin, --var, shared options, every format."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def run(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", *args], cwd=cwd, input=stdin,
                          capture_output=True, text=True, timeout=120, check=False)


COMPOSE = "services:\n  web:\n    image: nginx:latest\n  db:\n    image: postgres:16\n"
POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: a\n      image: busybox\n"


def _findings(done: subprocess.CompletedProcess) -> list[tuple[str, str, int, int, int]]:
    report = json.loads(done.stdout)
    return sorted((f["code"], f["location"]["path"], f["location"]["line"], f["location"]["column"],
                   f["location"]["endColumn"]) for f in report["findings"])


def test_directory_walk_finds_manifests_and_dockerfiles(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\nUSER 1000\n", encoding="utf-8")
    (tmp_path / "compose.yaml").write_text(COMPOSE, encoding="utf-8")
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "pod.yaml").write_text(POD, encoding="utf-8")
    (tmp_path / "k8s" / "values.yaml").write_text("image: nginx\n", encoding="utf-8")  # not a manifest
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "ci.yml").write_text(
        "on: push\njobs:\n  a:\n    runs-on: x\n    container: node\n", encoding="utf-8")
    (tmp_path / ".gitlab-ci.yml").write_text("image: ruby:latest\n", encoding="utf-8")
    done = run("-f", "json", "--select", "MF1001", ".", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert _findings(done) == [
        ("MF1001", ".github/workflows/ci.yml", 5, 16, 20),
        ("MF1001", ".gitlab-ci.yml", 1, 8, 19),
        ("MF1001", "compose.yaml", 3, 12, 24),
        ("MF1001", "k8s/pod.yaml", 7, 14, 21),
    ]
    assert sorted(json.loads(done.stdout)["targets"]) == [
        ".github/workflows/ci.yml", ".gitlab-ci.yml", "Dockerfile", "compose.yaml", "k8s/pod.yaml"]


def test_helm_template_on_stdin_is_detected(tmp_path: Path) -> None:
    done = run("-f", "json", "-", cwd=tmp_path, stdin="---\n# Source: chart/templates/pod.yaml\n" + POD)
    assert done.returncode == 1, done.stderr
    assert _findings(done) == [("MF1001", "-", 9, 14, 21)]
    # a Dockerfile on stdin is still a Dockerfile
    done = run("-f", "json", "-", cwd=tmp_path, stdin="FROM alpine\n")
    assert "DF1001" in [f["code"] for f in json.loads(done.stdout)["findings"]]


def test_var_resolves_compose_variables_and_has_help(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  a:\n    image: nginx:${TAG}\n", encoding="utf-8")
    assert [f[0] for f in _findings(run("-f", "json", "compose.yaml", cwd=tmp_path))] == ["MF1000"]
    assert [f[0] for f in _findings(run("-f", "json", "--var", "TAG=latest", "compose.yaml", cwd=tmp_path))] == [
        "MF1001"]
    assert _findings(run("-f", "json", "--var", "TAG=1.27", "compose.yaml", cwd=tmp_path)) == []
    bad = run("--var", "=x", "compose.yaml", cwd=tmp_path)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "--var" in bad.stderr
    assert "--var K=V" in run("--help", cwd=tmp_path).stdout


def test_one_setting_governs_the_dockerfile_and_the_manifest_rule(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\nUSER 1000\n", encoding="utf-8")
    (tmp_path / "compose.yaml").write_text("services:\n  a:\n    image: alpine:3.20\n", encoding="utf-8")
    select = ("--select", "DF1001,MF1001,DF1012,MF1003", "--preview")
    assert _findings(run("-f", "json", *select, ".", cwd=tmp_path)) == []
    (tmp_path / "pyproject.toml").write_text(
        "[tool.pylint-image.rules.unpinned-image-tag]\nrequire-digest = true\n"
        "[tool.pylint-image.rules.disallowed-registry]\nallowed = [\"ghcr.io\"]\n", encoding="utf-8")
    codes = sorted(f[0] for f in _findings(run("-f", "json", *select, ".", cwd=tmp_path)))
    assert codes == ["DF1001", "DF1012", "MF1001", "MF1003"]


def test_trusted_registries_govern_unofficial_images_in_both(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM acme/base:1\nUSER 1000\n", encoding="utf-8")
    (tmp_path / "compose.yaml").write_text("services:\n  a:\n    image: acme/base:1\n", encoding="utf-8")
    assert sorted(f[0] for f in _findings(run("-f", "json", "--select", "unofficial-base-image", ".",
                                              cwd=tmp_path))) == ["DF1002", "MF1002"]
    (tmp_path / "pyproject.toml").write_text("[tool.pylint-image]\ntrusted-registries = [\"acme\"]\n",
                                             encoding="utf-8")
    assert _findings(run("-f", "json", "--select", "unofficial-base-image", ".", cwd=tmp_path)) == []


@pytest.mark.parametrize("fmt", ["sarif", "github", "text"])
def test_other_formats_point_at_the_scalar(tmp_path: Path, fmt: str) -> None:
    (tmp_path / "compose.yaml").write_text(COMPOSE, encoding="utf-8")
    done = run("-f", fmt, "--no-color", "--select", "MF1001", "compose.yaml", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    if fmt == "sarif":
        [result] = json.loads(done.stdout)["runs"][0]["results"]
        loc = result["locations"][0]["physicalLocation"]
        assert result["ruleId"] == "MF1001" and loc["artifactLocation"]["uri"] == "compose.yaml"
        assert {k: loc["region"][k] for k in ("startLine", "startColumn", "endColumn")} == {
            "startLine": 3, "startColumn": 12, "endColumn": 24}
        assert loc["region"]["snippet"]["text"] == "nginx:latest"
    elif fmt == "github":
        assert done.stdout.startswith("::warning file=compose.yaml,line=3,endLine=3,col=12,endColumn=24,"
                                      "title=MF1001 unpinned-image-tag::")
    else:
        assert "compose.yaml:3:12: MF1001 [unpinned-image-tag]" in done.stdout
        assert " 3 |     image: nginx:latest" in done.stdout and "^^^^^^^^^^^^" in done.stdout


def test_bad_yaml_and_unknown_yaml_are_one_line_errors(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  a:\n    image: [oops\n", encoding="utf-8")
    (tmp_path / "other.yaml").write_text("a: 1\n", encoding="utf-8")
    done = run("compose.yaml", "other.yaml", cwd=tmp_path)
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if line.startswith("pylint-image: error:")]
    assert len(errors) == 2 and "Traceback" not in done.stderr
    assert errors[0].startswith("pylint-image: error: compose.yaml:4: invalid YAML") or "compose.yaml:" in errors[0]
    assert "other.yaml" in errors[1] and "not a Compose file" in errors[1]


def test_linting_a_dockerfile_loads_no_manifest_module(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\n", encoding="utf-8")
    script = ("import sys\nfrom pylint_image.linter.cli import main\nmain(['Dockerfile', '--jobs', '1'])\n"
              "print(sorted(m for m in sys.modules if m.startswith(('ruamel', 'pylint_image.linter.manifests',"
              " 'pylint_image.rules.manifest'))))\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout + done.stderr


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  template:
    spec:
      securityContext:
        runAsNonRoot: true
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4
"""


@pytest.mark.parametrize(("user", "fires"), [("", True), ("USER root\n", True), ("USER app\n", True),
                                             ("USER 10001\n", False), ("USER 10001:10001\n", False)])
def test_run_as_non_root_deployment_against_the_mapped_dockerfile(tmp_path: Path, user: str, fires: bool) -> None:
    (tmp_path / "services" / "api").mkdir(parents=True)
    (tmp_path / "services" / "api" / "Dockerfile").write_text(
        f"FROM python:3.12-slim\nRUN useradd -u 10001 app\n{user}CMD [\"python\"]\n", encoding="utf-8")
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "api.yaml").write_text(DEPLOYMENT, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pylint-image]\nimages = {"ghcr.io/acme/api" = "services/api/Dockerfile"}\n', encoding="utf-8")
    done = run("-f", "json", "--select", "MF2003", "api.yaml", cwd=tmp_path / "deploy")
    report = json.loads(done.stdout)
    found = [(f["code"], f["severity"], f["location"]["line"], f["location"]["column"]) for f in report["findings"]]
    if fires:
        assert done.returncode == 1 and found == [("MF2003", "error", 11, 18)], done.stdout
        assert "kubelet" in report["findings"][0]["message"]
    else:
        assert done.returncode == 0 and found == [], done.stdout


def test_images_table_must_map_strings(tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(POD, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text("[tool.pylint-image]\nimages = [\"x\"]\n", encoding="utf-8")
    done = run("pod.yaml", cwd=tmp_path)
    assert done.returncode == 2 and "'images' must be a table" in done.stderr and "pyproject.toml:2" in done.stderr


def test_compose_build_links_and_lints_the_dockerfile(tmp_path: Path) -> None:
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "Dockerfile").write_text(
        "FROM python:3.12-slim\nEXPOSE 8000\nHEALTHCHECK CMD true\nUSER 10001\n", encoding="utf-8")
    (tmp_path / "compose.yaml").write_text(
        "services:\n  api:\n    build: ./api\n    ports: [\"8080:80\"]\n    healthcheck:\n      disable: true\n",
        encoding="utf-8")
    done = run("-f", "json", "compose.yaml", cwd=tmp_path)
    report = json.loads(done.stdout)
    got = sorted((f["code"], f["location"]["path"], f["location"]["line"]) for f in report["findings"])
    assert ("MF2001", "compose.yaml", 4) in got and ("MF2002", "compose.yaml", 6) in got
    assert report["targets"] == ["compose.yaml", "api/Dockerfile"]  # the linked Dockerfile is linted too
    related = [f for f in report["findings"] if f["code"] == "MF2002"][0]
    assert "api/Dockerfile:3" in related["message"]
