"""One multi-platform choice: ``image`` and ``verify`` read the same image of an index, the host's or ``--platform``'s."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pylint_image.linter.errors import ConfigError, SourceError
from pylint_image.linter.oci import load_image, load_image_stream
from pylint_image.linter.oci.multiarch import Platform, host_platform, parse_platform, pick_manifest
from pylint_image.runner.rootfs import LayerCache
from pylint_image.runner.source import acquire
from tests.support import synth_image as synth

# The arm64 image has a setuid tool (IM2001); the amd64 one does not: the findings say which was read.
AMD64 = {"architecture": "amd64", "ref": "synth/multi:1", "config": {"User": "1000"},
         "layers": [{"files": [{"path": "/usr/local/bin/tool", "content": "amd64 build", "mode": "0755"}]}]}
ARM64 = {"architecture": "arm64", "ref": "synth/multi:1", "config": {"User": "1000"},
         "layers": [{"files": [{"path": "/usr/local/bin/tool", "content": "arm64 build", "mode": "4755"}]}]}
INDEX = "application/vnd.oci.image.index.v1+json"


def _descriptor(built: synth.Built, platform: dict[str, str], annotations: dict[str, str] | None = None) -> dict:
    desc = {"mediaType": built.manifest.media_type, "digest": built.manifest.digest,
            "size": len(built.manifest.data), "platform": platform}
    if annotations:
        desc["annotations"] = annotations
    return desc


def multiarch_layout(root: Path) -> dict[str, synth.Built]:
    """An OCI layout whose index lists linux/amd64, linux/arm64/v8 and a BuildKit attestation."""
    images = {"amd64": synth.build(AMD64), "arm64": synth.build(ARM64)}
    attestation = synth.build({"architecture": "unknown", "os": "unknown", "layers": []})
    index = {"schemaVersion": 2, "mediaType": INDEX, "manifests": [
        _descriptor(images["amd64"], {"os": "linux", "architecture": "amd64"}),
        _descriptor(images["arm64"], {"os": "linux", "architecture": "arm64", "variant": "v8"}),
        _descriptor(attestation, {"os": "unknown", "architecture": "unknown"},
                    {"vnd.docker.reference.type": "attestation-manifest"}),
    ]}
    files = {"oci-layout": b'{"imageLayoutVersion": "1.0.0"}', "index.json": json.dumps(index).encode()}
    for built in (*images.values(), attestation):
        for blob in (*built.layers, built.config, built.manifest):
            files[f"blobs/sha256/{blob.hex}"] = blob.data
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return images


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300, env={**os.environ, "NO_COLOR": "1"})


# --- the choice itself ------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("linux/amd64", Platform("linux", "amd64")),
    ("linux/x86_64", Platform("linux", "amd64")),
    ("Linux/AArch64", Platform("linux", "arm64")),
    ("linux/arm64/v8", Platform("linux", "arm64")),
    ("linux/arm/7", Platform("linux", "arm", "v7")),
    ("linux/armhf", Platform("linux", "arm", "v7")),
    ("linux/s390x", Platform("linux", "s390x")),
])
def test_platforms_are_named_as_containerd_names_them(text: str, expected: Platform) -> None:
    assert parse_platform(text) == expected


@pytest.mark.parametrize("text", ["linux", "linux/", "/amd64", "linux/arm/v7/extra", ""])
def test_a_malformed_platform_is_a_usage_error(text: str) -> None:
    with pytest.raises(ConfigError, match="expected os/arch"):
        parse_platform(text)


def test_without_a_platform_the_hosts_image_is_picked(tmp_path: Path) -> None:
    multiarch_layout(tmp_path)
    index = json.loads((tmp_path / "index.json").read_text())
    host = host_platform()
    if host.architecture not in ("amd64", "arm64"):
        # A host this index has no image for: an error naming what it has, never the first image.
        with pytest.raises(SourceError, match="no manifest for"):
            pick_manifest(index, "index.json")
        return
    assert pick_manifest(index, "index.json")["platform"]["architecture"] == host.architecture
    assert pick_manifest(index, "index.json") == pick_manifest(index, "index.json", host)


def test_an_index_without_the_wanted_platform_names_what_it_has(tmp_path: Path) -> None:
    multiarch_layout(tmp_path)
    with pytest.raises(SourceError) as caught:
        load_image(tmp_path, platform=parse_platform("linux/s390x"))
    assert str(caught.value) == (f"{tmp_path}:index.json: no manifest for linux/s390x in the index "
                                 "(has linux/amd64, linux/arm64)")


def test_a_single_image_of_another_platform_is_refused_only_when_a_platform_is_asked_for(tmp_path: Path) -> None:
    archive = synth.write_docker_archive(AMD64, tmp_path / "amd64.tar")   # docker save: no platform in an index
    assert load_image(archive).config.architecture == "amd64"
    assert load_image(archive, platform=parse_platform("linux/amd64")).config.architecture == "amd64"
    with pytest.raises(SourceError, match=r"the image is linux/amd64, not linux/arm64$"):
        load_image(archive, platform=parse_platform("linux/arm64"))


@pytest.mark.parametrize("wanted", ["linux/amd64", "linux/arm64"])
def test_a_docker_save_stream_makes_the_same_choice(tmp_path: Path, wanted: str) -> None:
    images = multiarch_layout(tmp_path / "layout")
    members = [(str(p.relative_to(tmp_path / "layout")), p.read_bytes())
               for p in sorted((tmp_path / "layout").rglob("*")) if p.is_file()]
    stream = (tmp_path / "save.tar")
    stream.write_bytes(synth.tar_bytes(members))
    with stream.open("rb") as handle:
        image = load_image_stream(handle, platform=parse_platform(wanted))
    assert image.manifest_digest == images[wanted.split("/")[1]].manifest.digest


# --- image and verify get it through the one acquire ----------------------------------------

@pytest.mark.parametrize("wanted", ["linux/amd64", "linux/arm64"])
def test_image_and_verify_acquire_the_same_image(tmp_path: Path, wanted: str) -> None:
    images = multiarch_layout(tmp_path / "layout")
    built = images[wanted.split("/")[1]]
    platform = parse_platform(wanted)
    with acquire(str(tmp_path / "layout"), platform=platform) as for_image:   # what `image` does
        model = for_image.model([])
    cache = LayerCache(tmp_path / "cache")
    with acquire(str(tmp_path / "layout"), cache, platform=platform) as for_verify:   # what `verify` does
        assert for_verify.config.architecture == platform.architecture
        assert for_verify.image_id == model.digest == built.config.digest
        # verify's layers are in the cache, verified, before anything runs; image's never are.
        assert all(cache.get(d) is not None for d in built.diff_ids)
    assert model.manifest_digest == built.manifest.digest


def test_acquire_without_a_cache_writes_nothing(tmp_path: Path) -> None:
    multiarch_layout(tmp_path / "layout")
    before = sorted(p for p in tmp_path.rglob("*"))
    with acquire(str(tmp_path / "layout")) as acquired:
        acquired.model([])
    assert sorted(p for p in tmp_path.rglob("*")) == before


@pytest.mark.parametrize(("wanted", "setuid"), [("linux/arm64", True), ("linux/amd64", False)])
def test_image_command_reads_the_platform_asked_for(tmp_path: Path, wanted: str, setuid: bool) -> None:
    multiarch_layout(tmp_path / "layout")
    result = cli("image", "layout", "--platform", wanted, "--format", "json", cwd=tmp_path)
    assert result.returncode == (1 if setuid else 0), result.stdout + result.stderr
    findings = json.loads(result.stdout)["findings"]
    paths = {(f["code"], f["location"].get("path_in_image")) for f in findings}
    assert (("IM2001", "/usr/local/bin/tool") in paths) is setuid, paths


def test_image_command_without_platform_reads_the_hosts(tmp_path: Path) -> None:
    multiarch_layout(tmp_path / "layout")
    default = cli("image", "layout", "--format", "json", cwd=tmp_path)
    host = cli("image", "layout", "--platform", str(host_platform()), "--format", "json", cwd=tmp_path)
    assert default.returncode == host.returncode and default.returncode in (0, 1), default.stderr
    assert json.loads(default.stdout)["findings"] == json.loads(host.stdout)["findings"]


@pytest.mark.parametrize("command", [["image", "layout"], ["verify", "--image", "layout", "--no-static"]])
def test_image_and_verify_refuse_a_missing_platform_in_the_same_words(tmp_path: Path, command: list[str]) -> None:
    multiarch_layout(tmp_path / "layout")
    result = cli(*command, "--platform", "linux/s390x", cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.splitlines() == [
        "pylint-image: error: layout:index.json: no manifest for linux/s390x in the index "
        "(has linux/amd64, linux/arm64)"], result.stderr


@pytest.mark.parametrize("command", [["image", "layout"], ["verify", "--image", "layout"]])
def test_a_malformed_platform_option_is_one_usage_line(tmp_path: Path, command: list[str]) -> None:
    multiarch_layout(tmp_path / "layout")
    result = cli(*command, "--platform", "amd64", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "pylint-image: error: --platform 'amd64': expected os/arch[/variant], e.g. linux/arm64"], result.stderr


def test_verify_platform_applies_to_image_sources_only(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    result = cli("verify", ".", "--platform", "linux/arm64", cwd=tmp_path)
    assert result.returncode == 2
    assert "--platform picks the image of a multi-platform --image SOURCE" in result.stderr, result.stderr


@pytest.mark.docker
@pytest.mark.parametrize("command", [["image"], ["verify", "--no-static", "--image"]])
def test_a_daemon_image_of_another_platform_is_refused_when_one_is_asked_for(tmp_path: Path,
                                                                              command: list[str]) -> None:
    from tests.support.docker_images import busybox_base

    base = busybox_base()   # this host's platform, as the engine built it
    other = "linux/s390x" if host_platform().architecture != "s390x" else "linux/amd64"
    result = cli(*command, f"docker-daemon:{base}", "--platform", other, cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.splitlines() == [
        f"pylint-image: error: docker-daemon:{base}: the image is {host_platform()}, not {other}"], result.stderr
    same = cli("image", f"docker-daemon:{base}", "--platform", str(host_platform()), "-f", "json", cwd=tmp_path)
    assert same.returncode in (0, 1) and json.loads(same.stdout)["targets"], same.stderr
