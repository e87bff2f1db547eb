"""``--shard K/N`` and ``pylint-image merge``: N shards run as N processes, merged, equal one run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pylint_image.linter import merge, shard
from pylint_image.linter.errors import UsageError
from tests.linter.test_formatters_sarif import _validator as sarif_validator
from tests.support import synth_image as synth

N = 3
BASES = ["python:latest", "alpine", "node:20", "debian:bookworm", "ruby", "golang:1.22", "nginx:latest"]


def cli(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(command(*args), cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "NO_COLOR": "1", **(env or {})})


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "pylint_image.linter.cli", *args]


@pytest.fixture(scope="module")
def monorepo(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("monorepo")
    (root / ".git").mkdir()
    for i in range(14):
        folder = root / "services" / f"svc{i:02d}"
        folder.mkdir(parents=True)
        base = BASES[i % len(BASES)]
        (folder / "Dockerfile").write_text(f"FROM {base}\nRUN apt-get update && apt-get install -y curl{i}\n"
                                           f"RUN pip install pkg{i}\nEXPOSE {8000 + i}\n")
    (root / "services" / "svc03" / "worker.Dockerfile").write_text("FROM alpine:latest\nUSER 1000\n")
    return root


def _run_shards(root: Path, fmt: str, env_style: bool = False) -> list[Path]:
    """N shards as N concurrent processes, each writing its report."""
    procs, outputs = [], []
    for k in range(1, N + 1):
        out = root / f"shard{k}.{fmt}"
        if env_style:  # a Kubernetes Indexed Job's pods
            argv = command(".", "--shard", "auto", "-f", fmt, "-o", str(out))
            env = {**os.environ, "JOB_COMPLETION_INDEX": str(k - 1), "JOB_COMPLETION_COUNT": str(N)}
        else:
            argv, env = command(".", "--shard", f"{k}/{N}", "-f", fmt, "-o", str(out)), None
        procs.append(subprocess.Popen(argv, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE))
        outputs.append(out)
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode in (0, 1), err
    return outputs


@pytest.mark.parametrize("fmt,env_style", [("sarif", False), ("json", False), ("sarif", True)])
def test_n_shards_merged_equal_one_run(monorepo: Path, fmt: str, env_style: bool) -> None:
    shards = _run_shards(monorepo, fmt, env_style)
    single = cli(".", "-f", fmt, "-o", f"single.{fmt}", cwd=monorepo)
    merged = cli("merge", *map(str, shards), "-o", f"merged.{fmt}", cwd=monorepo)
    assert merged.returncode == single.returncode == 1, merged.stderr
    docs = [json.loads(p.read_text()) for p in shards]
    one = json.loads((monorepo / f"single.{fmt}").read_text())
    both = json.loads((monorepo / f"merged.{fmt}").read_text())
    if fmt == "sarif":
        per_shard = [{r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                      for r in d["runs"][0]["results"]} for d in docs]
        assert sum(len(s) for s in per_shard) == len(set().union(*per_shard)) == 15  # disjoint, complete
        assert sum(1 for s in per_shard if s) >= 2  # the work really was split
        assert both["runs"][0]["results"] == one["runs"][0]["results"]
        assert both == json.loads(cli("merge", f"single.{fmt}", cwd=monorepo).stdout)  # byte-identical document
        assert not sorted(sarif_validator().iter_errors(both), key=str)
        rules = both["runs"][0]["tool"]["driver"]["rules"]
        assert [r["id"] for r in rules] == sorted({r["id"] for r in rules})  # deduplicated
        assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in both["runs"][0]["results"])
        assert len(both["runs"][0]["invocations"]) == 1
    else:
        per_shard = [{f["location"]["path"] for f in d["findings"]} for d in docs]
        assert sum(len(s) for s in per_shard) == len(set().union(*per_shard)) == 15
        assert both["findings"] == one["findings"] and sorted(both["targets"]) == sorted(one["targets"])


def test_shards_split_by_repository_path_from_any_directory(monorepo: Path) -> None:
    """The same Dockerfile lands in the same shard whether named from the root or a subdirectory."""
    key_root = shard.key_of_path("services/svc05/Dockerfile", monorepo)
    key_sub = shard.key_of_path("svc05/Dockerfile", monorepo / "services")
    assert key_root == key_sub == "services/svc05/Dockerfile"
    k = shard.shard_of(key_root, N)
    inside = cli("svc05", "--shard", f"{k}/{N}", "-f", "json", cwd=monorepo / "services")
    outside = cli("svc05", "--shard", f"{k % N + 1}/{N}", "-f", "json", cwd=monorepo / "services")
    assert json.loads(inside.stdout)["findings"] and json.loads(outside.stdout)["findings"] == []
    assert outside.returncode == 0


def test_the_hash_is_stable_across_processes_and_machines() -> None:
    # SHA-256 of the key, pinned: Python's hash() would change with PYTHONHASHSEED.
    assert [shard.shard_of(f"services/svc{i:02d}/Dockerfile", 4) for i in range(6)] == \
        [shard.shard_of(f"services/svc{i:02d}/Dockerfile", 4) for i in range(6)]
    assert shard.shard_of("Dockerfile", 1000) == int.from_bytes(
        __import__("hashlib").sha256(b"Dockerfile").digest()[:8], "big") % 1000 + 1
    other = subprocess.run([sys.executable, "-c", "from pylint_image.linter.shard import shard_of;"
                            "print(shard_of('a/Dockerfile', 7))"], capture_output=True, text=True,
                           env={**os.environ, "PYTHONHASHSEED": "123"}, check=True)
    assert int(other.stdout) == shard.shard_of("a/Dockerfile", 7)


@pytest.mark.parametrize("value,expected", [("1/1", (1, 1)), ("2/4", (2, 4)), (" 3/3 ", (3, 3))])
def test_shard_values(value: str, expected: tuple[int, int]) -> None:
    s = shard.parse(value)
    assert (s.index, s.count) == expected


@pytest.mark.parametrize("value", ["0/3", "4/3", "1/0", "a/b", "3", "", "-1/2", "1/2/3"])
def test_bad_shards_are_usage_errors(value: str, tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        shard.parse(value)
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\n")
    for argv in (["Dockerfile"], ["image", "x.tar"], ["verify", "--image", "x.tar"]):
        result = cli(*argv, f"--shard={value}", cwd=tmp_path)
        assert result.returncode == 2 and len(result.stderr.splitlines()) == 1, (argv, result.stderr)
        assert result.stderr.startswith("pylint-image: error: ") and "Traceback" not in result.stderr


@pytest.mark.parametrize("env,ok", [
    ({"JOB_COMPLETION_INDEX": "0", "JOB_COMPLETION_COUNT": "2"}, (1, 2)),
    ({"JOB_COMPLETION_INDEX": "1", "JOB_COMPLETION_COUNT": "2"}, (2, 2)),
    ({"JOB_COMPLETION_INDEX": "2", "JOB_COMPLETION_COUNT": "2"}, None),
    ({"JOB_COMPLETION_INDEX": "0"}, None),
    ({"JOB_COMPLETION_COUNT": "2"}, None),
    ({"JOB_COMPLETION_INDEX": "x", "JOB_COMPLETION_COUNT": "2"}, None),
])
def test_shard_auto_reads_the_indexed_job_environment(env: dict, ok: tuple[int, int] | None) -> None:
    if ok is None:
        with pytest.raises(UsageError):
            shard.parse("auto", env)
    else:
        s = shard.parse("auto", env)
        assert (s.index, s.count) == ok


def test_shard_auto_without_the_environment_exits_2(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOB_COMPLETION")}
    result = subprocess.run(command("Dockerfile", "--shard", "auto"), cwd=tmp_path, capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode == 2 and "JOB_COMPLETION_INDEX" in result.stderr


def test_image_shards_split_a_fleet_by_reference(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    images = []
    for i in range(5):
        spec = {"config": {"User": "1000"}, "layers": [{"files": [{"path": f"/usr/bin/s{i}", "mode": "04755",
                                                                   "size": 10}]}]}
        synth.write_oci_layout(spec, tmp_path / f"img{i}")
        images.append(f"img{i}")
    owners: dict[str, list[int]] = {}
    for image in images:
        for k in range(1, N + 1):
            result = cli("image", image, "--shard", f"{k}/{N}", "-f", "json", cwd=tmp_path)
            doc = json.loads(result.stdout)
            if doc["findings"]:
                owners.setdefault(image, []).append(k)
                assert result.returncode == 1
            else:
                assert result.returncode == 0 and "nothing to do" in result.stderr
    assert owners == {image: [shard.shard_of(shard.key_of_image(image, tmp_path), N)] for image in images}


# --- merge ---------------------------------------------------------------------------------


def _sarif(results: list[dict], rules: list[str], notes: list[dict] | None = None, ok: bool = True) -> dict:
    return {"version": "2.1.0", "$schema": "x", "runs": [{
        "tool": {"driver": {"name": "pylint-image", "rules": [{"id": r} for r in rules]}},
        "invocations": [{"executionSuccessful": ok, **({"toolExecutionNotifications": notes} if notes else {})}],
        "results": results}]}


def _result(rule: str, index: int, uri: str, line: int, level: str = "warning", **extra) -> dict:
    return {"ruleId": rule, "ruleIndex": index, "level": level, "message": {"text": f"{rule} here"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri}, "region": {"startLine": line}}}],
            **extra}


def test_merge_renumbers_rules_orders_results_and_merges_invocations() -> None:
    a = _sarif([_result("DF2001", 1, "b/Dockerfile", 3), _result("DF1001", 0, "b/Dockerfile", 1)], ["DF1001", "DF2001"],
               notes=[{"message": {"text": "x missing"}, "level": "error"}], ok=False)
    b = _sarif([_result("DF0003", 0, "a/Dockerfile", 9, level="note")], ["DF0003", "DF2001"])
    merged = merge.merge_sarif([a, b])
    run = merged["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["DF0003", "DF1001", "DF2001"]
    assert [(r["ruleId"], r["ruleIndex"]) for r in run["results"]] == [("DF0003", 0), ("DF1001", 1), ("DF2001", 2)]
    assert run["invocations"] == [{"executionSuccessful": False,
                                   "toolExecutionNotifications": [{"message": {"text": "x missing"}, "level": "error"}]}]
    assert merge.merge_sarif([b, a]) == merged  # the shards' order does not matter
    assert merge.exit_code("sarif", merged, "warning") == 1
    assert merge.exit_code("sarif", merge.merge_sarif([b]), "warning") == 0   # a note is info
    assert merge.exit_code("sarif", merge.merge_sarif([b]), "info") == 1
    suppressed = _sarif([_result("DF1001", 0, "x", 1, suppressions=[{"kind": "external"}])], ["DF1001"])
    assert merge.exit_code("sarif", suppressed, "style") == 0


def test_merge_command_files_formats_and_exit_codes(tmp_path: Path) -> None:
    (tmp_path / "a.sarif").write_text(json.dumps(_sarif([_result("DF1001", 0, "Dockerfile", 1)], ["DF1001"])))
    (tmp_path / "b.sarif").write_text(json.dumps(_sarif([], ["DF1001"])))
    (tmp_path / "c.json").write_text(json.dumps({"schema": 1, "tool": {"name": "pylint-image", "version": "0"},
                                                 "targets": [], "findings": [], "notifications": [], "tables": []}))
    (tmp_path / "broken.sarif").write_text('{"version": "2.1.0",\n "runs": [\n')
    ok = cli("merge", "a.sarif", "b.sarif", "-o", "out.sarif", "--format", "sarif", cwd=tmp_path)
    assert ok.returncode == 1 and ok.stdout == "" and json.loads((tmp_path / "out.sarif").read_text())["runs"]
    assert cli("merge", "a.sarif", "b.sarif", "--fail-on", "never", cwd=tmp_path).returncode == 0
    assert cli("merge", "a.sarif", "b.sarif", "--fail-on", "error", cwd=tmp_path).returncode == 0
    assert cli("merge", "c.json", cwd=tmp_path).returncode == 0
    for argv, needle in [(["a.sarif", "c.json"], "cannot merge SARIF with JSON"),
                         (["a.sarif", "--format", "json"], "merge does not convert"),
                         (["broken.sarif"], "broken.sarif:3: not a SARIF or JSON report"),
                         (["missing.sarif"], "missing.sarif: cannot read report"),
                         ([], "the following arguments are required")]:
        result = cli("merge", *argv, cwd=tmp_path)
        assert result.returncode == 2 and needle in result.stderr and len(result.stderr.splitlines()) == 1, argv
    (tmp_path / "other.json").write_text('{"a": 1}')
    assert "not a SARIF 2.1.0 log" in cli("merge", "other.json", cwd=tmp_path).stderr
    assert "REPORT" in cli("merge", "--help", cwd=tmp_path).stdout


@pytest.mark.parametrize("argv", [[], ["image"], ["verify"]])
def test_help_names_shard_and_baseline(argv: list[str], tmp_path: Path) -> None:
    text = " ".join(cli(*argv, "--help", cwd=tmp_path).stdout.split())
    assert "--shard K/N" in text and "JOB_COMPLETION_INDEX" in text
    assert "--baseline FILE" in text and "--write-baseline FILE" in text


def test_verify_does_only_its_shard(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    synth.write_oci_layout({"config": {"User": "1000", "Cmd": ["sh"]}, "layers": [{"files": [
        {"path": "/usr/bin/su", "mode": "04755", "size": 10}]}]}, tmp_path / "img")
    owner = shard.shard_of(shard.key_of_image("img", tmp_path), N)
    for k in range(1, N + 1):
        result = cli("verify", "--image", "img", "--progress", "none", "--shard", f"{k}/{N}", "-f", "json", cwd=tmp_path)
        findings = json.loads(result.stdout)["findings"]
        if k == owner:
            assert result.returncode == 1 and {f["code"] for f in findings} >= {"IM2001"}, result.stderr
        else:
            assert result.returncode == 0 and findings == [] and "nothing to verify in shard" in result.stderr


@pytest.mark.docker
@pytest.mark.sandbox
def test_verify_shards_of_a_monorepo_merged_equal_one_run(tmp_path: Path) -> None:
    """verify DIR in 2 shards (2 processes, building and running their own images), merged, vs one run."""
    from tests.runner.test_verify_many import _monorepo

    (tmp_path / ".git").mkdir()
    _monorepo(tmp_path)
    common = ["--start-window", "2", "--grace", "1", "--progress", "none", "-f", "json"]
    procs = [subprocess.Popen(command("verify", "svc", "--shard", f"{k}/2", "--cache-dir", str(tmp_path / f"cache{k}"), *common,
                                      "-o", f"v{k}.json"), cwd=tmp_path, stderr=subprocess.PIPE, text=True)
             for k in (1, 2)]
    for p in procs:
        _, err = p.communicate(timeout=600)
        assert p.returncode in (0, 1), err
    single = cli("verify", "svc", "--cache-dir", str(tmp_path / "cache"), *common, "-o", "single.json", cwd=tmp_path)
    merged = cli("merge", "v1.json", "v2.json", "-o", "merged.json", cwd=tmp_path)
    assert merged.returncode == single.returncode == 1, single.stderr + merged.stderr

    def seen(name: str) -> set[tuple]:
        doc = json.loads((tmp_path / name).read_text())
        return {(f["code"], (f["location"].get("source") or f["location"]).get("path"),
                 (f["location"].get("source") or f["location"]).get("line")) for f in doc["findings"]}

    assert seen("merged.json") == seen("single.json") and len(seen("merged.json")) >= 3
    assert len(json.loads((tmp_path / "merged.json").read_text())["tables"]) == 3  # one probe table per image
    per_shard = [{path for _, path, _ in seen(f"v{k}.json")} for k in (1, 2)]
    assert not per_shard[0] & per_shard[1]  # each Dockerfile verified by one shard only
