"""The GitHub Action (action.yml) and the workflows of docs/ci/github.md and README.md.

- action.yml validates with check-jsonschema's built-in (vendored, offline) GitHub Actions schema,
  and each workflow of the docs (a ```yaml block whose first line is ``# .github/workflows/NAME``)
  with its GitHub Workflows schema;
- actionlint lints those workflows, with the action's ``uses:`` pointed at a local copy of
  action.yml so that the ``with:`` keys and the ``steps.<id>.outputs`` they read are checked
  against the action's real inputs and outputs;
- the composite steps run as GitHub runs them: each step's ``run`` under ``bash -eo pipefail``,
  its ``env`` with the ``${{ inputs.* }}`` / ``${{ steps.*.outputs.* }}`` expressions evaluated,
  a GITHUB_OUTPUT file per step, GITHUB_STEP_SUMMARY, RUNNER_TEMP, GITHUB_ACTION_PATH (a copy of
  this checkout) and GITHUB_WORKSPACE as the working directory. The install step really pip
  installs the tool into a venv (once per session); the reports are parsed and the SARIF is
  validated against the SARIF 2.1.0 schema.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from pylint_image.linter import find_tool
from tests.conftest import shared_dir

REPO = Path(__file__).resolve().parent.parent
ACTION = REPO / "action.yml"
GITHUB_DOC = REPO / "docs" / "ci" / "github.md"
README = REPO / "README.md"
# How docs/ci/github.md names this action in its examples (see its second paragraph).
ACTION_PLACEHOLDER = "OWNER/pylint-image@<commit-sha>"

_YAML_BLOCK = re.compile(r"^```ya?ml\n(.*?)^```", re.MULTILINE | re.DOTALL)
_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")

BAD_DOCKERFILE = "FROM python:latest\nRUN apt-get update && apt-get install -y curl\nCMD python app.py\n"
GOOD_DOCKERFILE = 'FROM alpine:3.20\nUSER 1000\nCMD ["sh"]\n'


def _tool(name: str) -> str:
    path = find_tool(name)
    assert path is not None, f"{name} is missing: install the test extra (pip install -e '.[test]')"
    return path


def _load_yaml(text: str) -> Any:
    return YAML(typ="safe").load(text)


def doc_blocks(first_line_prefix: str, docs: tuple[Path, ...] = (GITHUB_DOC, README)) -> dict[str, str]:
    """The ```yaml blocks whose first line is ``# <prefix>...``, by that name (the README's prefixed)."""
    blocks = {}
    for doc in docs:
        for body in _YAML_BLOCK.findall(doc.read_text(encoding="utf-8")):
            first = body.splitlines()[0]
            if first.startswith("# " + first_line_prefix):
                name = first[2:].strip()
                if doc == README:
                    name = name.replace("workflows/", "workflows/readme-")
                blocks[name] = body
    return blocks


def _check_jsonschema(schema: str, *files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_tool("check-jsonschema"), "--builtin-schema", schema, *map(str, files)],
                          capture_output=True, text=True, timeout=120)


# --- schemas and actionlint ------------------------------------------------------------------------


def test_action_yml_is_valid_for_github_actions() -> None:
    result = _check_jsonschema("vendor.github-actions", ACTION)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_action_schema_check_rejects_a_broken_action(tmp_path: Path) -> None:
    """The validator really judges: a composite step without ``shell`` is refused."""
    action = _load_yaml(ACTION.read_text(encoding="utf-8"))
    broken = ACTION.read_text(encoding="utf-8").replace("      shell: bash\n", "", 1)
    assert broken != ACTION.read_text(encoding="utf-8") and action["runs"]["using"] == "composite"
    (tmp_path / "action.yml").write_text(broken, encoding="utf-8")
    result = _check_jsonschema("vendor.github-actions", tmp_path / "action.yml")
    assert result.returncode == 1, result.stdout + result.stderr


def test_the_doc_has_the_workflows_this_test_checks() -> None:
    workflows = doc_blocks(".github/workflows/")
    assert set(workflows) >= {".github/workflows/pylint-image.yml", ".github/workflows/pre-commit.yml",
                              ".github/workflows/readme-pylint-image.yml"}
    for name in (".github/workflows/pylint-image.yml", ".github/workflows/readme-pylint-image.yml"):
        assert ACTION_PLACEHOLDER in workflows[name]
        assert "github/codeql-action/upload-sarif@" in workflows[name]
    assert workflows[".github/workflows/pylint-image.yml"].count(ACTION_PLACEHOLDER) >= 2


def test_doc_workflows_are_valid_for_github_workflows(tmp_path: Path) -> None:
    files = []
    for name, body in doc_blocks(".github/workflows/").items():
        path = tmp_path / Path(name).name
        path.write_text(body, encoding="utf-8")
        files.append(path)
    result = _check_jsonschema("vendor.github-workflows", *files)
    assert result.returncode == 0, result.stdout + result.stderr


def _actionlint_repo(tmp_path: Path, workflows: dict[str, str]) -> Path:
    """A git repository holding action.yml at its root and the workflows, the action used as ``./``."""
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True, capture_output=True, timeout=30)
    shutil.copy(ACTION, repo / "action.yml")
    for name, body in workflows.items():
        (repo / name).write_text(body.replace(ACTION_PLACEHOLDER, "./"), encoding="utf-8")
    return repo


def _actionlint(repo: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_tool("actionlint"), "-no-color", "-oneline"], cwd=repo, capture_output=True,
                          text=True, timeout=120)


def test_actionlint_passes_the_doc_workflows(tmp_path: Path) -> None:
    result = _actionlint(_actionlint_repo(tmp_path, doc_blocks(".github/workflows/")))
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_checks_inputs_and_outputs_against_action_yml(tmp_path: Path) -> None:
    """Pointing ``uses:`` at a copy of action.yml makes actionlint check our inputs and outputs."""
    main = doc_blocks(".github/workflows/pylint-image.yml", (GITHUB_DOC,))[".github/workflows/pylint-image.yml"]
    broken = main.replace("fail-on: warning", "fail-level: warning").replace(
        "steps.lint.outputs.sarif-file", "steps.lint.outputs.sarif-path")
    result = _actionlint(_actionlint_repo(tmp_path, {".github/workflows/pylint-image.yml": broken}))
    assert result.returncode == 1
    assert 'input "fail-level" is not defined' in result.stdout, result.stdout
    assert 'property "sarif-path" is not defined' in result.stdout, result.stdout


def test_every_input_reaches_the_run_step() -> None:
    """Composite actions get no INPUT_* variables: action.yml maps each input itself."""
    action = _load_yaml(ACTION.read_text(encoding="utf-8"))
    mapped = {}
    for step in action["runs"]["steps"]:
        for key, value in (step.get("env") or {}).items():
            mapped[key] = value
        assert "scripts/action-run.sh" in step["run"], step
    for name in action["inputs"]:
        env = "INPUT_" + name.upper().replace("-", "_")
        assert mapped.get(env) == "${{ inputs.%s }}" % name, env
    for name, output in action["outputs"].items():
        assert output["value"] == "${{ steps.run.outputs.%s }}" % name


# --- the composite steps, run with a simulated GITHUB_* environment --------------------------------


@dataclass
class ActionRun:
    returncode: int
    outputs: dict[str, str]
    summary: str
    stdout: str
    stderr: str
    steps: dict[str, dict[str, str]]


def _read_outputs(path: Path) -> dict[str, str]:
    outputs = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        assert "<<" not in line.split("=", 1)[0], line   # no multi-line outputs are written
        name, _, value = line.partition("=")
        outputs[name] = value
    return outputs


class CompositeRunner:
    """Runs action.yml's steps as the GitHub runner does for a composite action (bash, Linux)."""

    def __init__(self, action_path: Path, runner_temp: Path) -> None:
        self.action_path = action_path
        self.runner_temp = runner_temp
        self.action = _load_yaml((action_path / "action.yml").read_text(encoding="utf-8"))

    def _evaluate(self, text: str, inputs: dict[str, str], steps: dict[str, dict[str, str]]) -> str:
        def one(match: re.Match[str]) -> str:
            expr = match.group(1)
            if m := re.fullmatch(r"inputs\.([\w-]+)", expr):
                return inputs[m.group(1)]
            if m := re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expr):
                return steps.get(m.group(1), {}).get(m.group(2), "")
            if expr == "github.action_path":
                return str(self.action_path)
            raise AssertionError(f"expression this simulation does not know: {expr}")
        return _EXPR.sub(one, text)

    def run(self, workspace: Path, with_: dict[str, str] | None = None,
            done: dict[str, dict[str, str]] | None = None) -> ActionRun:
        """Run the steps; ``done`` gives the outputs of steps already run (they are not run again)."""
        declared = self.action["inputs"]
        unknown = set(with_ or {}) - set(declared)
        assert not unknown, f"not inputs of action.yml: {unknown}"
        inputs = {name: str(spec.get("default", "")) for name, spec in declared.items()}
        inputs.update(with_ or {})
        steps: dict[str, dict[str, str]] = dict(done or {})
        summary = self.runner_temp / f"summary-{os.getpid()}-{id(workspace)}"
        summary.write_text("", encoding="utf-8")
        stdout, stderr, returncode = "", "", 0
        for index, step in enumerate(self.action["runs"]["steps"]):
            if step["id"] in steps:
                continue
            assert step["shell"] == "bash"
            output_file = self.runner_temp / f"output-{step['id']}-{index}"
            output_file.write_text("", encoding="utf-8")
            script = self.runner_temp / f"step-{step['id']}.sh"
            script.write_text(self._evaluate(step["run"], inputs, steps), encoding="utf-8")
            env = {
                **{k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_", "PYLINT_IMAGE_"))},
                "GITHUB_ACTIONS": "true", "CI": "true", "NO_COLOR": "1",
                "GITHUB_ACTION_PATH": str(self.action_path), "GITHUB_WORKSPACE": str(workspace),
                "GITHUB_OUTPUT": str(output_file), "GITHUB_STEP_SUMMARY": str(summary),
                "RUNNER_TEMP": str(self.runner_temp),
                **{k: self._evaluate(str(v), inputs, steps) for k, v in (step.get("env") or {}).items()},
            }
            # GitHub's bash: `bash --noprofile --norc -eo pipefail {0}`.
            done_step = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                                       cwd=workspace, env=env, capture_output=True, text=True, timeout=600)
            stdout += done_step.stdout
            stderr += done_step.stderr
            steps[step["id"]] = _read_outputs(output_file)
            if done_step.returncode != 0:
                returncode = done_step.returncode
                break   # a failed step stops the composite action
        outputs = {name: self._evaluate(spec["value"], inputs, steps) for name, spec in self.action["outputs"].items()}
        return ActionRun(returncode, outputs, summary.read_text(encoding="utf-8"), stdout, stderr, steps)


def _checkout_copy(dest: Path) -> Path:
    """The action's own checkout: this working tree's files that git would commit (no build/ or venv)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            check=True, capture_output=True, timeout=60).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():   # a file deleted but not yet committed is listed too
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[CompositeRunner, dict[str, dict[str, str]]]:
    """The install step, run once: pip installs the tool from GITHUB_ACTION_PATH into a venv."""
    base = tmp_path_factory.mktemp("action")
    action_path = _checkout_copy(base / "action-checkout")
    runner_temp = base / "runner-temp"
    runner_temp.mkdir()
    runner = CompositeRunner(action_path, runner_temp)
    workspace = base / "workspace"
    workspace.mkdir()
    # Stop after install: 'run' is marked done with no outputs, so only 'install' executes.
    result = runner.run(workspace, {"python": sys.executable}, done={"run": {}})
    assert result.returncode == 0, result.stdout + result.stderr
    bin_dir = Path(result.steps["install"]["bin-dir"])
    assert bin_dir == runner_temp / "pylint-image-action" / "bin"
    assert (bin_dir / "pylint-image").is_file()
    # The tool comes from the action's checkout, not from the environment running the tests.
    where = subprocess.run([str(bin_dir / "python"), "-c", "import pylint_image.linter as m; print(m.__file__)"],
                           capture_output=True, text=True, check=True, timeout=60).stdout
    assert str(runner_temp / "pylint-image-action") in where, where
    return runner, {"install": {"bin-dir": str(bin_dir)}}


def _sarif_schema() -> dict[str, Any]:
    shared = shared_dir()
    assert shared is not None and (shared / "schemas" / "sarif-schema-2.1.0.json").is_file(), \
        "needs ../shared/schemas/sarif-schema-2.1.0.json"
    return json.loads((shared / "schemas" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def _workspace(tmp_path: Path, dockerfile: str) -> Path:
    workspace = tmp_path / "workspace"
    (workspace / "svc").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(workspace)], check=True, capture_output=True, timeout=30)
    (workspace / "svc" / "Dockerfile").write_text(dockerfile, encoding="utf-8")
    return workspace


def _valid_sarif(path: Path) -> dict[str, Any]:
    import jsonschema

    log = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(_sarif_schema()).validate(log)
    return log


@pytest.mark.slow
@pytest.mark.parametrize(("fail_on", "expected"), [("warning", 1), ("never", 0), ("error", 0)])
def test_lint_writes_sarif_and_outputs_and_exits_per_fail_on(installed, tmp_path: Path, fail_on: str,
                                                             expected: int) -> None:
    runner, done = installed
    workspace = _workspace(tmp_path, BAD_DOCKERFILE)
    result = runner.run(workspace, {"fail-on": fail_on}, done=done)
    assert result.returncode == expected, result.stdout + result.stderr
    sarif = workspace / "pylint-image.sarif"
    log = _valid_sarif(sarif)
    results = log["runs"][0]["results"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert uris == {"svc/Dockerfile"}   # relative to the repository root, as code scanning wants
    assert {r["ruleId"] for r in results} >= {"DF1001", "DF3001"}
    assert all(r["level"] != "error" for r in results)   # so fail-on error passes
    assert result.outputs == {"sarif-file": str(sarif), "report-file": str(sarif), "exit-code": str(expected),
                              "findings": str(len(results))}
    assert f"| {len(results)} | {expected} | {fail_on} | `pylint-image.sarif` |" in result.summary


@pytest.mark.slow
def test_clean_workspace_has_zero_findings(installed, tmp_path: Path) -> None:
    runner, done = installed
    workspace = _workspace(tmp_path, GOOD_DOCKERFILE)
    result = runner.run(workspace, {"output": "reports/lint.sarif"}, done=done)
    assert result.returncode == 0, result.stdout + result.stderr
    log = _valid_sarif(workspace / "reports" / "lint.sarif")
    assert log["runs"][0]["results"] == []
    assert result.outputs["findings"] == "0" and result.outputs["exit-code"] == "0"
    assert result.outputs["sarif-file"] == str(workspace / "reports" / "lint.sarif")


@pytest.mark.slow
def test_paths_args_and_config_inputs(installed, tmp_path: Path) -> None:
    runner, done = installed
    workspace = _workspace(tmp_path, BAD_DOCKERFILE)
    (workspace / "other").mkdir()
    (workspace / "other" / "Containerfile").write_text("FROM ubuntu:latest\nUSER 1000\n", encoding="utf-8")
    (workspace / "skipped").mkdir()
    (workspace / "skipped" / "Dockerfile").write_text("FROM ubuntu:latest\n", encoding="utf-8")
    (workspace / "ci.yaml").write_text("ignore: [DF3002]\n", encoding="utf-8")
    result = runner.run(workspace, {"paths": "svc\n  other/Containerfile", "args": "--select DF1001,DF3002",
                                    "config": "ci.yaml", "format": "json", "output": "report.json"}, done=done)
    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads((workspace / "report.json").read_text(encoding="utf-8"))
    found = sorted((f["location"]["path"], f["code"]) for f in report["findings"])
    assert found == [("other/Containerfile", "DF1001"), ("svc/Dockerfile", "DF1001")]
    assert result.outputs["findings"] == "2"
    assert result.outputs["sarif-file"] == ""   # not a SARIF report
    assert result.outputs["report-file"] == str(workspace / "report.json")


@pytest.mark.slow
def test_image_command_reads_an_oci_layout(installed, tmp_path: Path) -> None:
    from tests.support.synth_image import write_oci_layout

    runner, done = installed
    workspace = _workspace(tmp_path, GOOD_DOCKERFILE)
    write_oci_layout({"ref": "example/app:1", "config": {"User": "root", "Cmd": ["sh"]},
                      "layers": [{"created_by": "/bin/sh -c #(nop) ADD file:abc in / ",
                                  "files": [{"path": "/usr/bin/su", "mode": "04755", "size": 100}]}]},
                     workspace / "layout")
    result = runner.run(workspace, {"command": "image", "paths": "layout", "fail-on": "never"}, done=done)
    assert result.returncode == 0, result.stdout + result.stderr
    log = _valid_sarif(workspace / "pylint-image.sarif")
    rules = {r["ruleId"] for r in log["runs"][0]["results"]}
    assert any(code.startswith("IM") for code in rules), rules
    assert result.outputs["findings"] == str(len(log["runs"][0]["results"]))


@pytest.mark.slow
@pytest.mark.parametrize(("with_", "message"), [
    ({"command": "scan"}, "input 'command' is 'scan': use lint, image or verify"),
    ({"command": "image"}, "input 'paths' must name the image source"),
    ({"format": "nope"}, "exited with code 2"),
])
def test_bad_inputs_fail_with_one_error_line(installed, tmp_path: Path, with_: dict[str, str], message: str) -> None:
    runner, done = installed
    result = runner.run(_workspace(tmp_path, GOOD_DOCKERFILE), with_, done=done)
    assert result.returncode == 2, result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("::error")]
    assert len(errors) == 1 and message in errors[0], result.stderr
    assert "Traceback" not in result.stderr


def test_install_refuses_a_python_older_than_3_11(tmp_path: Path) -> None:
    old = tmp_path / "python3.10"
    old.write_text("#!/bin/sh\ncase \"$2\" in *platform*) echo 3.10.12;; *) exit 1;; esac\n", encoding="utf-8")
    old.chmod(0o755)
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    runner = CompositeRunner(REPO, runner_temp)
    result = runner.run(_workspace(tmp_path, GOOD_DOCKERFILE), {"python": str(old)})
    assert result.returncode == 2
    assert "::error title=pylint-image::pylint-image needs Python 3.11 or newer" in result.stderr
    assert "3.10.12" in result.stderr
    assert not (runner_temp / "pylint-image-action").exists()


def test_doc_links_resolve() -> None:
    text = GITHUB_DOC.read_text(encoding="utf-8")
    links = [target for target in re.findall(r"\]\(([^)\s]+)\)", text) if "://" not in target]
    assert "../../action.yml" in links
    for target in links:
        assert (GITHUB_DOC.parent / target.split("#")[0]).resolve().exists(), target
