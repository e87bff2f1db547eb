"""``pylint-image image``: real images from the Docker engine, archives and OCI layouts, end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import synth_image as synth
from tests.support.docker_images import busybox_base, docker_build, require_docker

HOSTILE = """\
FROM {base}
RUN dd if=/dev/zero of=/big.bin bs=1024 count=2048
RUN cp /bin/busybox /usr/bin/suid && chmod 4755 /usr/bin/suid
RUN mkdir -p /root/.ssh && printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\\nb3BlbnNzaC1rZXktdjEAAAAA\\n-----END OPENSSH PRIVATE KEY-----\\n' > /root/.ssh/id_rsa
RUN rm /big.bin
USER 1000
CMD ["sh"]
"""


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", "image", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300, env={**os.environ, "NO_COLOR": "1"})


@pytest.fixture(scope="module")
def hostile_image(tmp_path_factory) -> tuple[str, Path]:
    require_docker()
    ctx = tmp_path_factory.mktemp("hostile")
    (ctx / "Dockerfile").write_text(HOSTILE.format(base=busybox_base()))
    docker_build(ctx, "pylint-image-test/hostile:1")
    return "pylint-image-test/hostile:1", ctx


@pytest.mark.docker
def test_daemon_image_findings_land_on_the_dockerfile_lines(hostile_image) -> None:
    tag, ctx = hostile_image
    result = cli(f"docker-daemon:{tag}", "--dockerfile", "Dockerfile", "--format", "json", cwd=ctx)
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    found = {(f["code"], f["location"].get("source", {}).get("line")) for f in data["findings"]}
    assert {("IM2006", 2), ("IM2001", 3), ("IM2003", 4)} <= found, found
    paths = {f["location"].get("path_in_image") for f in data["findings"]}
    assert {"/usr/bin/suid", "/root/.ssh/id_rsa"} <= paths
    layer_table = data["tables"][0]
    assert layer_table["columns"] == ["#", "size", "compressed", "Dockerfile", "created by"]
    assert len(layer_table["rows"]) == 6 and layer_table["rows"][2][3] == "line 2"
    # Docker's sizes: 2 MiB of zeros is docker history's 2.1MB; rm makes a 0B layer; a
    # docker-daemon: image has no compressed blobs.
    assert [row[1] for row in layer_table["rows"][2:]] == ["2.1MB", "1.98MB", "95B", "0B"]
    assert {row[2] for row in layer_table["rows"]} == {"-"}
    waste = data["tables"][1]
    assert waste["title"].startswith("Wasted space: 2.1MB, efficiency")
    assert waste["rows"][0] == ["/big.bin", "2.1MB", "deleted", "2 -> 5"]


@pytest.mark.docker
def test_docker_save_archive_and_sarif_without_dockerfile(hostile_image, tmp_path: Path) -> None:
    tag, _ = hostile_image
    archive = tmp_path / "image.tar"
    subprocess.run(["docker", "save", "-o", str(archive), tag], check=True, timeout=300)
    result = cli(str(archive), "--format", "sarif", cwd=tmp_path)
    log = json.loads(result.stdout)
    results = log["runs"][0]["results"]
    assert {r["ruleId"] for r in results} >= {"IM2001", "IM2003", "IM2006"}
    suid = next(r for r in results if r["ruleId"] == "IM2001")
    # No Dockerfile: the finding still names the image and the path inside it.
    logical = suid["locations"][0]["logicalLocations"][0]
    assert logical["fullyQualifiedName"] == f"{archive}:/usr/bin/suid"
    assert logical["properties"]["image"] == str(archive)


def test_oci_layout_with_baseline_regression(tmp_path: Path) -> None:
    spec = {"config": {"User": "1000"}, "layers": [{"created_by": "/bin/sh -c #(nop) ADD file:x in /",
                        "files": [{"path": "/data.bin", "size": 300_000}]}]}
    layout = synth.write_oci_layout(spec, tmp_path / "layout")
    baseline = tmp_path / "baseline.json"
    first = cli(str(layout), "--write-baseline", str(baseline), "--format", "json", cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    # The findings baseline records the size: Docker's (the file's bytes), not the tar stream's.
    assert list(json.loads(baseline.read_text())["images"].values()) == [300_000]
    bigger = {"config": spec["config"], "layers": spec["layers"] + [{"created_by": "/bin/sh -c cp", "files": [{"path": "/more.bin", "size": 200_000}]}]}
    layout2 = synth.write_oci_layout(bigger, tmp_path / "layout2")
    second = cli(str(layout2), "--baseline", str(baseline), "--format", "json", cwd=tmp_path)
    codes = [f["code"] for f in json.loads(second.stdout)["findings"]]
    assert codes.count("IM3002") == 1 and second.returncode == 1


@pytest.mark.parametrize("source,needle", [
    ("no-such-dir", "no-such-dir: no such file or directory"),
    ("docker-daemon:pylint-image-test/does-not-exist:0", "docker-daemon:pylint-image-test/does-not-exist:0"),
])
def test_bad_sources_are_one_line_errors(tmp_path: Path, source: str, needle: str) -> None:
    if source.startswith("docker-daemon:"):
        require_docker()
    result = cli(source, cwd=tmp_path)
    assert result.returncode == 2
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and needle in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_digest_mismatch_is_a_clear_error(tmp_path: Path) -> None:
    layout = synth.write_oci_layout({"layers": [{"files": [{"path": "/a", "content": "x"}]}]}, tmp_path / "l")
    blobs = sorted((layout / "blobs" / "sha256").iterdir(), key=lambda p: p.stat().st_size)
    layer = max(blobs, key=lambda p: p.stat().st_size)
    layer.write_bytes(layer.read_bytes()[:-1] + b"\x01")
    result = cli(str(layout), cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "digest" in result.stderr.lower() or "mismatch" in result.stderr.lower(), result.stderr


def test_unreachable_engine_is_exit_3_with_the_engines_message_once(tmp_path: Path) -> None:
    import shutil

    env = {**os.environ, "NO_COLOR": "1", "DOCKER_HOST": f"unix://{tmp_path}/nonexistent.sock"}
    result = subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", "image",
                             "docker-daemon:pylint-image-test/x:1"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120, env=env)
    assert result.returncode == 3, result.stdout + result.stderr
    said = result.stdout + result.stderr
    needle = "Cannot connect to the Docker daemon" if shutil.which("docker") else "cannot run docker save"
    # One line on stderr, in the engine's words; no text report around it.
    assert said.count(needle) == 1 and result.stdout == "" and "Traceback" not in said, said
    assert len(result.stderr.splitlines()) == 1, said


def test_image_command_loads_neither_the_sandbox_nor_the_layer_cache(tmp_path: Path) -> None:
    layout = synth.write_oci_layout({"layers": [{"files": [{"path": "/a", "content": "x"}]}]}, tmp_path / "l")
    script = ("import sys\nfrom pylint_image.linter.cli import main\ncode = main(['image', sys.argv[1], '-f', 'json'])\n"
              "print(code, sorted(m for m in sys.modules if m.startswith(('pylint_image.runner.sandbox', "
              "'pylint_image.runner.rootfs', 'pylint_image.runner.build', 'pylint_image.runner.registry'))))\n")
    done = subprocess.run([sys.executable, "-c", script, str(layout)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, check=False)
    code, _, loaded = done.stdout.strip().splitlines()[-1].partition(" ")
    assert code in ("0", "1") and loaded == "[]", done.stdout + done.stderr


def test_help_names_the_dive_ci_and_progress_options(tmp_path: Path) -> None:
    result = cli("--help", cwd=tmp_path)
    text = " ".join(result.stdout.split())
    assert result.returncode == 0
    assert "--dive-ci FILE" in text and "a .dive-ci next to --dockerfile, else in the current directory" in text
    assert "--progress {auto,plain,none}" in text and "one line per layer (plain)" in text
