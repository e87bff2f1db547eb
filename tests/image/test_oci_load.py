"""Loading synthesized OCI layouts and docker-save archives into the Image model."""

from __future__ import annotations

import io
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pylint_image.linter.model.image import FileKind
from pylint_image.linter.oci import ContentNeeds, ImageSource, load_image, load_image_stream, parse_platform
from tests.support import synth_image as synth


@dataclass(frozen=True)
class _Needs:
    paths: tuple[str, ...] = ()
    globs: tuple[str, ...] = ()


NEEDS = _Needs(paths=("/etc/passwd",), globs=("/app/*.yml",))


def _assert_app(image: Any, annotated: bool = True) -> None:
    cfg = image.config
    assert cfg.user == "app" and cfg.cmd == ("sh",) and cfg.entrypoint == ("/entry.sh",)
    assert cfg.env_dict() == {"PATH": "/usr/bin:/bin", "A": "1"}
    assert cfg.workdir == "/app" and cfg.exposed_ports == ("8080/tcp",)
    assert cfg.volumes == ("/data",) and cfg.labels == {"maintainer": "me"}
    assert cfg.healthcheck is not None and cfg.healthcheck.test == ("CMD", "true")
    assert cfg.healthcheck.retries == 3 and cfg.stop_signal == "SIGTERM"
    assert (cfg.os, cfg.architecture) == ("linux", "amd64")
    assert len(image.history) == 5 and len(image.layers) == 3
    assert [layer.history_index for layer in image.layers] == [0, 2, 3]
    assert image.layers[1].created_by.startswith("/bin/sh -c rm -rf")
    files = image.files
    passwd = files.stat("/usr/bin/passwd")
    assert passwd is not None and passwd.is_setuid and passwd.layer_index == 0
    sh = files.stat("/bin/sh")
    assert sh is not None and sh.kind is FileKind.SYMLINK and sh.linkname == "/bin/busybox"
    ash = files.stat("/bin/ash")
    assert ash is not None and ash.kind is FileKind.HARDLINK and ash.linkname == "/bin/busybox"
    assert files.stat("/tmp").mode == 0o1777
    # Whiteout and opaque dir remove lower files; the opaque layer's own file survives.
    assert files.stat("/tmp/big") is None
    assert files.stat("/var/cache/apt/pkgcache.bin") is None
    assert files.stat("/var/cache/apt/new.bin") is not None
    assert files.listdir("/var/cache/apt") == ("new.bin",)
    # Contents only for needed paths, from the top-most layer that wrote them.
    assert files.read("/etc/passwd").endswith(b"app:x:1000:\n")
    assert files.read("/app/config.yml") == b"token: abc\n"
    with pytest.raises(KeyError):
        files.read("/entry.sh")
    assert files.layers_touching("/etc/passwd") == (0, 2)
    wasted = {(s.entry.path, s.deleted) for s in files.shadowed}
    assert wasted == {("/etc/passwd", False), ("/tmp/big", True),
                      ("/var/cache/apt/pkgcache.bin", True),
                      ("/var/cache/apt/srcpkgcache.bin", True)}
    # Classic docker archives have no manifest, hence no annotations.
    assert image.base_name == ("docker.io/library/debian:12" if annotated else "")
    assert image.anomalies == ()


def test_oci_layout(tmp_path: Path, app_spec: dict[str, Any]) -> None:
    image = load_image(synth.write_oci_layout(app_spec, tmp_path / "oci"), NEEDS)
    _assert_app(image)
    assert image.ref == "synth/app:1"
    assert image.manifest_digest.startswith("sha256:")
    built = synth.build(app_spec)
    assert [layer.digest for layer in image.layers] == [b.digest for b in built.layers]
    assert [layer.diff_id for layer in image.layers] == list(built.diff_ids)
    gz = image.layers[0]
    assert gz.media_type.endswith("+gzip") and gz.size == len(built.layers[0].data)
    assert gz.uncompressed_size > gz.size
    assert image.digest == built.config.digest


@pytest.mark.parametrize("fmt", ["classic", "oci"])
@pytest.mark.parametrize("manifest_first", [False, True])
def test_docker_archive_on_disk(tmp_path: Path, app_spec: dict[str, Any], fmt: str,
                                manifest_first: bool) -> None:
    path = synth.write_docker_archive(app_spec, tmp_path / "img.tar", fmt, manifest_first)
    image = load_image(path, NEEDS)
    _assert_app(image, annotated=fmt == "oci")
    assert image.ref == "synth/app:1"
    assert image.digest == synth.build(app_spec).config.digest


@pytest.mark.parametrize("fmt", ["classic", "oci"])
@pytest.mark.parametrize("manifest_first", [False, True])
def test_docker_save_stream(app_spec: dict[str, Any], fmt: str, manifest_first: bool) -> None:
    data = synth.tar_bytes(synth.docker_archive_members(synth.build(app_spec), fmt,
                                                        manifest_first))
    _assert_app(load_image_stream(_OneWay(data), NEEDS, ref="synth/app:1"), fmt == "oci")


class _OneWay(io.RawIOBase):
    """A pipe-like stream: no seek, no tell, short reads."""

    def __init__(self, data: bytes) -> None:
        self._buf = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        chunk = self._buf.read(min(len(b), 7000))
        b[: len(chunk)] = chunk
        return len(chunk)


def test_open_layer_returns_verified_uncompressed_tar(tmp_path: Path,
                                                      app_spec: dict[str, Any]) -> None:
    source = ImageSource(synth.write_oci_layout(app_spec, tmp_path / "oci"))
    built = synth.build(app_spec)
    with source.open_layer(built.diff_ids[0]) as stream:
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            names = [m.name for m in tar]
    assert "usr/bin/passwd" in names


def test_index_picks_the_wanted_platform_over_others_and_attestations(tmp_path: Path,
                                                                       app_spec: dict[str, Any]) -> None:
    built = synth.build(app_spec)
    other = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "size": 1,
             "digest": "sha256:" + "0" * 64, "platform": {"os": "linux", "architecture": "s390x"}}
    attest = dict(other, platform={"os": "unknown", "architecture": "unknown"},
                  annotations={"vnd.docker.reference.type": "attestation-manifest"})
    root = tmp_path / "oci"
    for rel, data in synth.oci_files(built, [other, attest]).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    assert load_image(root, platform=parse_platform("linux/amd64")).manifest_digest == built.manifest.digest


def test_needs_respect_size_cap_and_globs(tmp_path: Path) -> None:
    spec = {"layers": [{"files": [
        {"path": "/root/.ssh/id_rsa", "content": "-----BEGIN OPENSSH PRIVATE KEY-----"},
        {"path": "/root/.ssh/big", "size": 70000},
        {"path": "/srv/.env", "content": "A=1"},
    ]}]}
    needs = ContentNeeds.of([_Needs(globs=("/root/.ssh/*",)), _Needs(globs=("**/.env",))])
    image = load_image(synth.write_oci_layout(spec, tmp_path / "o"), needs)
    assert image.files.read("/root/.ssh/id_rsa").startswith(b"-----BEGIN")
    assert image.files.read("/srv/.env") == b"A=1"
    assert not image.files.has_content("/root/.ssh/big")
    assert image.files.stat("/root/.ssh/big").size == 70000


def test_walk_is_sorted_and_includes_implicit_parents(tmp_path: Path,
                                                       app_spec: dict[str, Any]) -> None:
    image = load_image(synth.write_oci_layout(app_spec, tmp_path / "oci"))
    paths = [e.path for e in image.files.walk("/")]
    assert paths == sorted(paths, key=lambda p: p.split("/"))
    assert "/usr/bin/passwd" in paths and "/app/config.yml" in paths
    assert [e.path for e in image.files.walk("/var")] == ["/var/cache/apt/new.bin"]
    assert image.size == sum(layer.uncompressed_size for layer in image.layers)


def test_replacing_directory_with_file_drops_children(tmp_path: Path) -> None:
    spec = {"layers": [
        {"files": [{"path": "/opt/x/a", "size": 5}, {"path": "/opt/x", "type": "dir"}]},
        {"files": [{"path": "/opt/x", "content": "now a file"}]},
    ]}
    files = load_image(synth.write_oci_layout(spec, tmp_path / "o")).files
    assert files.stat("/opt/x").kind is FileKind.FILE
    assert files.stat("/opt/x/a") is None and files.listdir("/opt/x") == ()


# --- the fast paths of the layer scan (issue 12) ---------------------------------------------


def test_entries_built_by_slot_setters_equal_constructed_ones(tmp_path: Path,
                                                              app_spec: dict[str, Any]) -> None:
    from dataclasses import fields

    from pylint_image.linter.model.image import FileEntry
    from pylint_image.linter.oci import layer

    image = load_image(synth.write_oci_layout(app_spec, tmp_path / "oci"))
    names = [f.name for f in fields(FileEntry)]
    entries = [e for lay in image.layers for e in lay.entries]
    assert len(entries) >= 10
    for entry in entries:
        twin = FileEntry(*(getattr(entry, n) for n in names))
        assert entry == twin and hash(entry) == hash(twin) and repr(entry) == repr(twin)
    # While FileEntry keeps its eight fields the setters are used (else the constructor is).
    assert (layer._NEW_ENTRY is not None) == (tuple(names) == layer._ENTRY_FIELDS)


@pytest.mark.parametrize("gzip_layers", [False, True])
def test_a_failed_scan_leaves_no_worker_thread(tmp_path: Path, gzip_layers: bool) -> None:
    import threading
    import time

    from pylint_image.linter.errors import SourceError

    built = synth.build({"layers": [{"gzip": gzip_layers, "files": [
        {"path": f"/f{i}", "size": 3000} for i in range(400)]}]})
    root = synth.write_oci_layout(built, tmp_path / "oci")
    blob = root / "blobs/sha256" / built.layers[0].hex
    data = bytearray(blob.read_bytes())
    # Same size as the descriptor says, so only the scan can tell.
    if gzip_layers:
        data[len(data) // 2:len(data) // 2 + 64] = bytes(64)  # corrupt deflate: the worker fails
    else:
        data[(512 + 3072) * 40 + 3] ^= 0x55    # a header's name: the parser fails (checksum)
    blob.write_bytes(bytes(data))
    before = threading.active_count()
    with pytest.raises(SourceError, match=r"corrupt gzip data|unreadable layer tar \(bad header checksum"):
        load_image(root)
    deadline = time.monotonic() + 5
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() == before


def test_docker_save_stream_with_big_layers_in_one_way_pipe(tmp_path: Path) -> None:
    # Layers larger than the 1 MiB buffers, read from a pipe that returns short reads.
    spec = {"layers": [{"files": [{"path": f"/big{i}", "content": bytes([i]) * 1_500_000}
                                  for i in range(3)] + [{"path": "/etc/passwd", "content": "root\n"}]},
                       {"gzip": True, "files": [{"path": "/g", "content": b"g" * 2_100_000}]}]}
    built = synth.build(spec)
    data = synth.tar_bytes(synth.docker_archive_members(built, "oci"))
    image = load_image_stream(_OneWay(data), _Needs(paths=("/etc/passwd",)), ref="x")
    assert [layer.diff_id for layer in image.layers] == list(built.diff_ids)
    assert image.files.read("/etc/passwd") == b"root\n"
    assert image.files.stat("/g").size == 2_100_000 and image.files.stat("/big2").size == 1_500_000
    # A streamed layer learns its index after its scan: every entry is stamped with it.
    assert [{e.layer_index for e in layer.entries} for layer in image.layers] == [{0}, {1}]
    assert image.files.stat("/g").layer_index == 1


def test_the_switch_interval_is_restored_after_scans_even_nested_and_failing(tmp_path: Path,
                                                                           app_spec: dict[str, Any]) -> None:
    import sys

    from pylint_image.linter.oci.hashio import SWITCH_INTERVAL, short_switch_interval

    before = sys.getswitchinterval()
    load_image(synth.write_oci_layout(app_spec, tmp_path / "oci"))
    assert sys.getswitchinterval() == before
    with short_switch_interval():
        assert sys.getswitchinterval() == min(before, SWITCH_INTERVAL)
        with pytest.raises(RuntimeError), short_switch_interval():
            raise RuntimeError("a scan that fails inside another")
        assert sys.getswitchinterval() == min(before, SWITCH_INTERVAL)  # the outer one still runs
    assert sys.getswitchinterval() == before
