"""image-size-regression and the baseline's image sizes are Docker's (``docker image inspect
--format '{{.Size}}'``), and an old baseline's tar-stream bytes are compared only with tar bytes.

The oracle for Docker's size is the engine itself (an image built here, overlay2's figure); the
verdict is checked on both sides of the configured threshold, to the last float.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from pylint_image.linter.oci import load_image
from pylint_image.runner.image_cli import docker_size
from tests.image.test_image_rules import run_rule
from tests.support import synth_image as synth
from tests.support.docker_images import busybox_base, docker_build

SPEC = {"config": {"User": "1000"}, "layers": [
    {"created_by": "/bin/sh -c #(nop) ADD file:x in /", "files": [
        {"path": "/app", "type": "dir"}, {"path": "/app/data.bin", "size": 100_000},
        {"path": "/app/current", "type": "symlink", "target": "data.bin"}]},
    {"created_by": "/bin/sh -c #(nop) WORKDIR /app", "files": [{"path": "/app", "type": "dir"}]},
    {"created_by": "/bin/sh -c cp", "files": [{"path": "/app/more.bin", "size": 9_992}]}]}


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", "image", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600, env={**os.environ, "NO_COLOR": "1"})


def _codes(result: subprocess.CompletedProcess[str]) -> list[str]:
    assert result.returncode in (0, 1), result.stdout + result.stderr
    return [f["code"] for f in json.loads(result.stdout)["findings"] if f.get("suppressed") is None]


def _notes(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [n["message"] for n in json.loads(result.stdout)["notifications"]]


def _baseline(path: Path, image: str, size: int, *, docker_sizes: bool = True) -> Path:
    doc: dict[str, object] = {"pylint-image-baseline": 1}
    if docker_sizes:
        doc["image-sizes"] = "docker"
    doc.update({"images": {image: size}, "findings": []})
    path.write_text(json.dumps(doc))
    return path


# --- no Docker needed ------------------------------------------------------------------------


def test_the_rule_compares_dockers_size_and_allows_exactly_the_threshold(tmp_path: Path) -> None:
    image = load_image(synth.write_oci_layout(SPEC, tmp_path / "oci"))
    size = image.content_size
    assert size == 100_000 + len("data.bin") + 9_992 == 110_000 and image.size > size  # the tar streams are larger
    # 10% growth is allowed, a byte less of baseline is over it.
    at = 100_000
    assert run_rule("IM3002", image, {"baseline-bytes": at, "max-growth-percent": 10}) == []
    [found] = run_rule("IM3002", image, {"baseline-bytes": at - 1, "max-growth-percent": 10})
    assert found.where.layer_digest == image.layers[-1].diff_id and "tar-stream" not in found.message
    assert "grew 10.0% over its baseline" in found.message
    # The same figure read as tar bytes is compared with the tar streams' length.
    tar_at = math.floor(image.size / 1.1)
    assert run_rule("IM3002", image, {"baseline-bytes": tar_at + 1}) == []  # Docker's size: far under 10%
    [old] = run_rule("IM3002", image, {"baseline-bytes": tar_at - 1, "baseline-tar-bytes": True})
    assert "of tar-stream bytes, as the baseline recorded them" in old.message


def test_write_baseline_records_dockers_size_with_its_marker(tmp_path: Path) -> None:
    synth.write_oci_layout(SPEC, tmp_path / "img")
    image = load_image(tmp_path / "img")
    result = cli("img", "--write-baseline", "b.json", "-f", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    doc = json.loads((tmp_path / "b.json").read_text())
    assert doc["image-sizes"] == "docker" and doc["images"] == {"img": image.content_size}
    # The layer table's total is the same figure, in Docker's units.
    title = json.loads(result.stdout)["tables"][0]["title"]
    assert title.startswith(f"Layers of synth/image:1: {docker_size(image.content_size)},"), title
    # Read back, nothing grew: no finding and no note about tar bytes.
    again = cli("img", "--baseline", "b.json", "-f", "json", cwd=tmp_path)
    assert _codes(again) == [] and not any("tar-stream" in n for n in _notes(again))


def test_an_old_baseline_of_tar_bytes_is_compared_with_tar_bytes_and_says_so(tmp_path: Path) -> None:
    synth.write_oci_layout(SPEC, tmp_path / "img")
    image = load_image(tmp_path / "img")
    # Under 10% below Docker's size, over 10% below the tar streams' length: which figure is
    # compared decides the verdict.
    figure = math.floor(image.size / 1.1) - 1
    assert (image.content_size - figure) * 100 / figure <= 10
    new = cli("img", "--baseline", str(_baseline(tmp_path / "new.json", "img", figure)), "-f", "json", cwd=tmp_path)
    assert _codes(new) == []
    for old in (_baseline(tmp_path / "old.json", "img", figure, docker_sizes=False),
                tmp_path / "size-only.json"):
        if old.name == "size-only.json":
            old.write_text(json.dumps({"image": "img", "size": figure}))
        result = cli("img", "--baseline", str(old), "-f", "json", cwd=tmp_path)
        assert _codes(result) == ["IM3002"], result.stdout
        [finding] = json.loads(result.stdout)["findings"]
        assert "of tar-stream bytes, as the baseline recorded them" in finding["message"]
        assert any(n.startswith(f"{old}: records image sizes as tar-stream bytes") and "--write-baseline" in n
                   for n in _notes(result)), _notes(result)
    # Writing it again records Docker's size and marks it.
    cli("img", "--baseline", "old.json", "--write-baseline", "old.json", "-f", "json", cwd=tmp_path)
    doc = json.loads((tmp_path / "old.json").read_text())
    assert doc["image-sizes"] == "docker" and doc["images"] == {"img": image.content_size}


@pytest.mark.parametrize("table", ["IM3002", "im3002", "image-size-regression"])
def test_the_threshold_set_under_the_code_or_the_name_keeps_the_baselines_size(tmp_path: Path, table: str) -> None:
    synth.write_oci_layout(SPEC, tmp_path / "img")
    _baseline(tmp_path / "b.json", "img", 100_000)   # the image is 110_000 bytes: 10% over
    for allowed, codes in ((10, []), (9.99, ["IM3002"])):
        (tmp_path / "pyproject.toml").write_text(f"[tool.pylint-image.rules.{table}]\nmax-growth-percent = {allowed}\n")
        result = cli("img", "--baseline", "b.json", "--select", "IM3002", "-f", "json", cwd=tmp_path)
        assert _codes(result) == codes, (table, allowed, result.stdout)


def test_an_unknown_sizes_marker_is_one_line_naming_the_file_and_line(tmp_path: Path) -> None:
    synth.write_oci_layout(SPEC, tmp_path / "img")
    (tmp_path / "b.json").write_text('{"pylint-image-baseline": 1,\n "image-sizes": "tar",\n'
                                     ' "images": {"img": 1},\n "findings": []}\n')
    result = cli("img", "--baseline", "b.json", cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == "", result.stdout
    assert result.stderr.splitlines() == [
        "pylint-image: error: b.json:2: 'image-sizes' is 'tar': this pylint-image reads 'docker' "
        "(or no marker: tar-stream bytes)"]


def test_a_lint_baseline_has_no_sizes_marker(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM alpine:latest\n")
    subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", "Dockerfile", "--write-baseline", "b.json"],
                   cwd=tmp_path, capture_output=True, timeout=120)
    doc = json.loads((tmp_path / "b.json").read_text())
    assert "image-sizes" not in doc and doc["images"] == {} and doc["findings"]


# --- Docker: the engine's own figure -----------------------------------------------------------

DOCKERFILE = """\
FROM {base}
COPY payload /opt/app/
RUN ln -s a.bin /opt/app/current && ln /opt/app/a.bin /opt/app/hard && mkdir /opt/empty
WORKDIR /opt/app
RUN rm /opt/app/b.txt
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    base = busybox_base()
    ctx = tmp_path_factory.mktemp("size-ctx")
    (ctx / "payload").mkdir()
    (ctx / "payload" / "a.bin").write_bytes(os.urandom(150_000))
    (ctx / "payload" / "b.txt").write_text("b" * 4321)
    (ctx / "Dockerfile").write_text(DOCKERFILE.format(base=base))
    tag = f"pylint-image-test/size-baseline:{uuid.uuid4().hex[:8]}"
    docker_build(ctx, tag)
    try:
        size = subprocess.run(["docker", "image", "inspect", "--format", "{{.Size}}", tag], check=True,
                              capture_output=True, text=True, timeout=60).stdout
        yield tag, int(size)
    finally:
        subprocess.run(["docker", "rmi", tag], capture_output=True, timeout=120)


@pytest.mark.docker
def test_the_recorded_size_is_docker_image_inspects(built, tmp_path: Path) -> None:
    tag, engine_size = built
    result = cli(f"docker-daemon:{tag}", "--write-baseline", "b.json", "-f", "json", cwd=tmp_path)
    assert result.returncode in (0, 1), result.stderr
    doc = json.loads((tmp_path / "b.json").read_text())
    # overlay2's directory.Size, which the engine reports, counted from the layers' entries:
    # equal to the byte (each hard link once, a symlink as its target's length).
    assert doc["images"] == {f"docker-daemon:{tag.split(':')[0]}": engine_size}
    assert doc["image-sizes"] == "docker"
    # The same figure from a docker save archive of it.
    archive = tmp_path / "image.tar"
    subprocess.run(["docker", "save", "-o", str(archive), tag], check=True, timeout=300)
    image = load_image(archive)
    assert image.content_size == engine_size < image.size


@pytest.mark.docker
def test_the_verdict_flips_at_the_configured_threshold(built, tmp_path: Path) -> None:
    tag, engine_size = built
    source = f"docker-daemon:{tag}"
    recorded = engine_size - 1000  # the image grew 1000 bytes over its baseline
    _baseline(tmp_path / "b.json", source, recorded)
    growth = (engine_size - recorded) * 100.0 / recorded   # the rule's own arithmetic
    for threshold, codes in ((growth, []), (math.nextafter(growth, 0.0), ["IM3002"])):
        (tmp_path / "pyproject.toml").write_text(
            f"[tool.pylint-image.rules.image-size-regression]\nmax-growth-percent = {threshold!r}\n")
        result = cli(source, "--baseline", "b.json", "--select", "IM3002", "-f", "json", cwd=tmp_path)
        assert _codes(result) == codes, (threshold, result.stdout, result.stderr)
        assert result.returncode == (1 if codes else 0)
    # The finding names Docker's figures in Docker's units (as image-too-large does): docker image ls's.
    [finding] = json.loads(result.stdout)["findings"]
    assert f"({docker_size(recorded)} -> {docker_size(engine_size)})" in finding["message"]
    image_ls = subprocess.run(["docker", "image", "ls", "--format", "{{.Size}}", tag], check=True,
                              capture_output=True, text=True, timeout=60).stdout.split()
    assert image_ls == [docker_size(engine_size)]
