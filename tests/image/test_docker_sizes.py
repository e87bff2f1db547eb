"""Sizes as Docker reports them: the layer table and the size rules against ``docker history`` and
``docker image inspect`` (the oracle), and the compressed size against the registry's manifest
(the image pushed with tests/support/registry.py's ``docker_push``).  Figures are printed in
Docker's units (``docker_size``, linter/units.py) by the table and the size rules' messages alike.

Docker's size of a layer is overlay2's ``directory.Size`` of the unpacked layer (files, symlink
target lengths, each inode once; directories and whiteouts nothing), not the tar stream's length.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from pylint_image.linter import docker_size as api_docker_size
from pylint_image.linter.oci import load_image
from pylint_image.linter.units import docker_size
from pylint_image.runner import image_cli
from tests.image.test_image_rules import run_rule
from tests.support import synth_image as synth
from tests.support.debian_base import debian_base
from tests.support.docker_images import busybox_base, docker_build
from tests.support.registry import docker_push

BUSYBOX_IMAGE = """\
FROM scratch
COPY busybox /bin/busybox
COPY payload /data/
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox mkdir -p /d && /bin/busybox ln -s /data/a.bin /d/link \
&& /bin/busybox ln /data/a.bin /d/hard && /bin/busybox mkdir /empty"]
ENV GREETING=hello
RUN ["/bin/busybox", "rm", "/data/b.txt"]
WORKDIR /work
"""

DEBIAN_IMAGE = """\
FROM {base}
RUN mkdir -p /opt/app && dd if=/dev/urandom of=/opt/app/blob bs=1024 count=300 && ln -s blob /opt/app/current
COPY payload /opt/app/payload/
ENV APP_HOME=/opt/app
RUN rm -rf /usr/share/doc/* && touch /etc/marker
"""


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", "image", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600, env={**os.environ, "NO_COLOR": "1"})


def _payload(ctx: Path) -> None:
    payload = ctx / "payload"
    payload.mkdir()
    (payload / "a.bin").write_bytes(os.urandom(70_000))
    (payload / "b.txt").write_text("b" * 1234)


def _docker(*args: str) -> str:
    return subprocess.run(["docker", *args], check=True, capture_output=True, text=True, timeout=120).stdout


def _history_of_layers(tag: str, human: bool = False) -> tuple[list[str], list[str]]:
    """docker history's size per step, oldest first, split into filesystem layers and empty steps."""
    flags = ["--human=false"] if not human else []
    sizes = _docker("history", "--no-trunc", *flags, "--format", "{{.Size}}", tag).split()[::-1]
    history = _config_history(tag)
    assert len(sizes) == len(history)
    empty = [bool(h.get("empty_layer")) for h in history]
    layers = [s for s, e in zip(sizes, empty) if not e]
    assert len(layers) == len(json.loads(_docker("image", "inspect", tag))[0]["RootFS"]["Layers"])
    return layers, [s for s, e in zip(sizes, empty) if e]


def _config_history(tag: str) -> list[dict]:
    """The config blob's history (``docker image inspect`` does not show it), read from docker save."""
    import io
    import tarfile

    data = subprocess.run(["docker", "save", tag], check=True, capture_output=True, timeout=300).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
        config = json.load(tar.extractfile(manifest[0]["Config"]))  # type: ignore[arg-type]
    return config["history"]


def _assert_close(ours: int, docker: int) -> None:
    assert abs(ours - docker) <= docker / 100, (ours, docker)


def _built(tmp_path: Path, text: str, tag: str, with_busybox: bool = False) -> str:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    _payload(ctx)
    if with_busybox:
        busybox = Path("/bin/busybox")
        if not busybox.exists():
            pytest.skip("needs Debian's busybox-static (/bin/busybox)")
        shutil.copy2(busybox, ctx / "busybox")
    (ctx / "Dockerfile").write_text(text)
    docker_build(ctx, tag)
    return tag


def _check_against_docker(tag: str, tmp_path: Path) -> list[list[str]]:
    layers_docker, empty_docker = (list(map(int, part)) for part in _history_of_layers(tag))
    total_docker = int(_docker("image", "inspect", "--format", "{{.Size}}", tag))
    archive = tmp_path / "image.tar"
    subprocess.run(["docker", "save", "-o", str(archive), tag], check=True, timeout=300)
    image = load_image(archive)
    ours = [layer.content_size for layer in image.layers]
    assert len(ours) == len(layers_docker)
    for mine, theirs in zip(ours, layers_docker):
        _assert_close(mine, theirs)
        if theirs == 0:
            assert mine == 0
    assert empty_docker and all(size == 0 for size in empty_docker)
    _assert_close(image.content_size, total_docker)
    # The tar streams are larger (headers, padding): what the table showed before.
    assert image.size > image.content_size
    # The command's table shows the same figures, in docker history's units.
    result = cli(f"docker-daemon:{tag}", "--format", "json", cwd=tmp_path)
    assert result.returncode in (0, 1), result.stderr
    table = json.loads(result.stdout)["tables"][0]
    assert [row[1] for row in table["rows"]] == _history_of_layers(tag, human=True)[0]
    image_ls = _docker("image", "ls", "--format", "{{.Size}}", tag).split()
    assert table["title"].split(": ")[1].split(",")[0] == docker_size(image.content_size) == image_ls[0]
    return table["rows"]


@pytest.mark.docker
def test_busybox_from_scratch_sizes_are_dockers(tmp_path: Path) -> None:
    """Files, a symlink, a hard link, an empty directory, a whiteout-only layer and a WORKDIR layer."""
    busybox_base()  # Docker and busybox are here
    tag = _built(tmp_path, BUSYBOX_IMAGE, f"pylint-image-test/sizes-busybox:{uuid.uuid4().hex[:8]}", True)
    try:
        rows = _check_against_docker(tag, tmp_path)
        assert rows[-2][1] == "0B" and rows[-1][1] == "0B"   # rm and WORKDIR: no content, as docker says
    finally:
        subprocess.run(["docker", "rmi", tag], capture_output=True)


@pytest.mark.docker
def test_debian_base_with_run_copy_env_sizes_are_dockers(tmp_path: Path) -> None:
    tag = _built(tmp_path, DEBIAN_IMAGE.format(base=debian_base()),
                 f"pylint-image-test/sizes-debian:{uuid.uuid4().hex[:8]}")
    try:
        _check_against_docker(tag, tmp_path)
    finally:
        subprocess.run(["docker", "rmi", tag], capture_output=True)


@pytest.mark.docker
def test_size_rules_use_dockers_size(tmp_path: Path) -> None:
    """image-too-large and layer-too-large with a budget between Docker's size and the tar bytes."""
    busybox_base()
    tag = _built(tmp_path, BUSYBOX_IMAGE, f"pylint-image-test/sizes-rules:{uuid.uuid4().hex[:8]}", True)
    try:
        archive = tmp_path / "image.tar"
        subprocess.run(["docker", "save", "-o", str(archive), tag], check=True, timeout=300)
        image = load_image(archive)
        total = int(_docker("image", "inspect", "--format", "{{.Size}}", tag))
        assert image.content_size < image.size
        between = (image.content_size + image.size) // 2
        assert run_rule("IM3001", image, {"max-bytes": between}) == []
        (over,) = run_rule("IM3001", image, {"max-bytes": image.content_size - 1})
        # The figure docker image ls prints, in its words.
        image_ls = _docker("image", "ls", "--format", "{{.Size}}", tag).split()
        assert image_ls == [docker_size(total)]
        assert over.message.startswith(f"image is {image_ls[0]}, over the {docker_size(image.content_size - 1)} "
                                       "budget; its biggest layer adds ")
        first = image.layers[0]
        assert run_rule("IM3003", image, {"max-bytes": (first.content_size + first.uncompressed_size) // 2}) == []
        big = run_rule("IM3003", image, {"max-bytes": first.content_size - 1})
        assert [v.where.layer_digest for v in big] == [first.diff_id]
        # ...and docker history's figure for the layer.
        history = _history_of_layers(tag, human=True)[0]
        assert big[0].message.startswith(f"layer 0 adds {history[0]} (")
    finally:
        subprocess.run(["docker", "rmi", tag], capture_output=True)


@pytest.mark.docker
def test_compressed_sizes_of_a_registry_pull_are_the_manifests(tmp_path: Path, registry_host: str) -> None:  # noqa: F811
    base = busybox_base()
    ref = f"{registry_host}/pylint-image-test/sizes:{uuid.uuid4().hex[:8]}"
    with docker_push(base, ref):
        manifest = _registry_manifest(registry_host, ref)
        result = cli(f"registry:{ref}", "--format", "json", cwd=tmp_path)
        assert result.returncode in (0, 1), result.stderr
        table = json.loads(result.stdout)["tables"][0]
        assert [row[2] for row in table["rows"]] == [docker_size(layer["size"]) for layer in manifest["layers"]]
        stored = sum(layer["size"] for layer in manifest["layers"])
        assert f"({docker_size(stored)} compressed)" in table["title"]
        total = int(_docker("image", "inspect", "--format", "{{.Size}}", base))
        assert table["title"].split(": ")[1].startswith(docker_size(total))


def _registry_manifest(host: str, ref: str) -> dict:
    """The manifest as the registry serves it (the oracle for the compressed sizes)."""
    import urllib.request

    name, _, tag = ref[len(host) + 1:].rpartition(":")
    request = urllib.request.Request(f"http://{host}/v2/{name}/manifests/{tag}", headers={"Accept": ", ".join((
        "application/vnd.docker.distribution.manifest.v2+json", "application/vnd.oci.image.manifest.v1+json"))})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


# --- no Docker needed ----------------------------------------------------------------------


def test_layer_content_size_counts_as_overlay2_does(tmp_path: Path) -> None:
    spec = {"layers": [{"gzip": True, "files": [
        {"path": "/d", "type": "dir"},
        {"path": "/d/a", "size": 1000},
        {"path": "/d/a-again", "type": "hardlink", "target": "/d/a"},   # the same inode: nothing more
        {"path": "/d/link", "type": "symlink", "target": "a"},          # its target's length: 1
        {"path": "/d/abs", "type": "symlink", "target": "/d/a"},        # 4
        {"path": "/d/b", "size": 10},
        {"path": "/d/b", "size": 30},                                  # the last entry wins
        {"path": "/gone", "type": "whiteout"},                         # a 0:0 device: nothing
        {"path": "/emptydir", "type": "dir"},
    ]}, {"files": [{"path": "/only", "type": "dir"}]}]}
    image = load_image(synth.write_oci_layout(spec, tmp_path / "oci"))
    assert [layer.content_size for layer in image.layers] == [1000 + 1 + 4 + 30, 0]
    assert image.content_size == 1035
    assert image.layers[1].uncompressed_size > 0   # the tar of a directory is not empty: Docker says 0B


def test_gzip_layout_shows_compressed_sizes_and_a_plain_one_does_not(tmp_path: Path) -> None:
    spec = {"layers": [{"gzip": True, "files": [{"path": "/z", "size": 100_000}]},
                       {"files": [{"path": "/plain", "size": 5}]}]}
    layout = synth.write_oci_layout(spec, tmp_path / "oci")
    result = cli(str(layout), "--format", "json", cwd=tmp_path)
    table = json.loads(result.stdout)["tables"][0]
    image = load_image(layout)
    assert [row[1] for row in table["rows"]] == ["100kB", "5B"]
    assert [row[2] for row in table["rows"]] == [docker_size(image.layers[0].size), "-"]
    assert image.layers[0].size < 2000   # zeros compress
    assert f"({docker_size(image.layers[0].size)} compressed)" in table["title"]


@pytest.mark.parametrize("size,shown", [
    (0, "0B"), (442, "442B"), (999, "999B"), (1000, "1kB"), (1234, "1.23kB"), (95_000, "95kB"),
    (1_982_698, "1.98MB"), (2_097_152, "2.1MB"), (116_970_977, "117MB"), (274_528_857, "275MB"),
    (999_999, "1e+03kB"), (1_500_000_000, "1.5GB"),
])
def test_sizes_read_as_the_docker_cli_prints_them(size: int, shown: str) -> None:
    # go-units HumanSizeWithPrecision(size, 3): %.3g of the decimal unit (Go's %g, exponent included).
    assert docker_size(size) == shown


def test_the_table_the_rules_and_the_plugin_api_print_sizes_with_one_function() -> None:
    assert api_docker_size is docker_size is image_cli.docker_size


def test_size_messages_are_in_dockers_units(tmp_path: Path) -> None:
    """image-too-large, image-size-regression and layer-too-large print what the table prints."""
    spec = {"layers": [{"files": [{"path": "/opt/a/big", "size": 1_982_698}, {"path": "/opt/a/small", "size": 95_000},
                                  {"path": "/etc/conf", "size": 999_999}]},
                       {"files": [{"path": "/x", "size": 442}]}]}
    image = load_image(synth.write_oci_layout(spec, tmp_path / "oci"))
    assert image.content_size == 3_078_139
    (over,) = run_rule("IM3001", image, {"max-bytes": 2_000_000})
    assert over.message == "image is 3.08MB, over the 2MB budget; its biggest layer adds 3.08MB"
    (grew,) = run_rule("IM3002", image, {"baseline-bytes": 1_500_000})
    assert grew.message == "image grew 105.2% over its baseline (1.5MB -> 3.08MB), more than the 10% allowed"
    (tar,) = run_rule("IM3002", image, {"baseline-bytes": 1_500_000, "baseline-tar-bytes": True})
    assert tar.message.startswith(f"image grew {(image.size - 1_500_000) * 100.0 / 1_500_000:.1f}% over its "
                                  f"baseline (1.5MB -> {docker_size(image.size)} of tar-stream bytes, as the ")
    (layer,) = run_rule("IM3003", image, {"max-bytes": 1_000_000})
    # 999,999 bytes is docker's 1e+03kB (Go's %g), as docker history would print it.
    assert layer.message.startswith("layer 0 adds 3.08MB (100% of the image); top files: /opt/a/big (1.98MB), "
                                    "/etc/conf (1e+03kB), /opt/a/small (95kB); top directories: /opt/a (2.08MB)")
    assert "MiB" not in over.message + grew.message + tar.message + layer.message
