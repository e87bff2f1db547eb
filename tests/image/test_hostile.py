"""Hostile images (issue 3 item 6): each gives an anomaly on the model or a one-line SourceError.

Every test also checks that loading wrote nothing next to the image.
"""

from __future__ import annotations

import gzip
import json
import resource
import tarfile
from pathlib import Path
from typing import Any

import pytest

from pylint_image.linter.errors import SourceError
from pylint_image.linter.model.image import FileKind, Image
from pylint_image.linter.oci import load_image, load_image_stream
from tests.support import synth_image as synth

TEN_GB = 10 * 1024**3


def _load(tmp_path: Path, files: list[dict[str, Any]], **layer: Any) -> Image:
    root = synth.write_oci_layout({"layers": [{"files": files, **layer}]}, tmp_path / "oci")
    before = sorted(p for p in tmp_path.rglob("*"))
    image = load_image(root)
    assert sorted(p for p in tmp_path.rglob("*")) == before  # nothing extracted anywhere
    return image


def _kinds(image: Image) -> set[tuple[str, str]]:
    return {(a.path, a.kind) for a in image.anomalies}


def test_dot_dot_entry_is_recorded_and_kept_out_of_the_tree(tmp_path: Path) -> None:
    image = _load(tmp_path, [{"name": "../../etc/evil", "content": "x"},
                             {"name": "a/../../b", "content": "y"}])
    assert _kinds(image) == {("/etc/evil", "path-traversal"), ("/b", "path-traversal")}
    assert image.files.stat("/etc/evil") is None and len(image.files) == 0
    assert not (tmp_path.parent / "etc" / "evil").exists()


def test_absolute_entry_is_recorded_and_rooted(tmp_path: Path) -> None:
    image = _load(tmp_path, [{"name": "/etc/abs", "content": "x"}])
    assert _kinds(image) == {("/etc/abs", "absolute-path")}
    assert image.files.stat("/etc/abs") is not None


def test_symlink_escaping_root_is_recorded(tmp_path: Path) -> None:
    image = _load(tmp_path, [
        {"path": "/app/link", "type": "symlink", "target": "../../../../etc/shadow"},
        {"path": "/app/ok", "type": "symlink", "target": "../etc/passwd"},
        {"path": "/app/abs", "type": "symlink", "target": "/etc/passwd"},
    ])
    assert _kinds(image) == {("/app/link", "symlink-escapes-root")}
    assert image.files.stat("/app/link").linkname == "../../../../etc/shadow"


def test_hard_link_to_missing_target_is_recorded(tmp_path: Path) -> None:
    image = _load(tmp_path, [{"path": "/bin/real", "size": 3},
                             {"path": "/bin/ok", "type": "hardlink", "target": "/bin/real"},
                             {"path": "/bin/dangling", "type": "hardlink", "target": "/nope"},
                             {"path": "/bin/out", "type": "hardlink", "target": "../../x"}])
    assert _kinds(image) == {("/bin/dangling", "hardlink-missing-target"),
                             ("/bin/out", "hardlink-escapes-root"),
                             ("/bin/out", "hardlink-missing-target")}


def test_device_files_are_recorded(tmp_path: Path) -> None:
    image = _load(tmp_path, [{"path": "/dev/sda", "type": "block", "major": 8, "minor": 0},
                             {"path": "/dev/mem", "type": "char", "major": 1, "minor": 1},
                             {"path": "/run/fifo", "type": "fifo"}])
    assert _kinds(image) == {("/dev/sda", "device-file"), ("/dev/mem", "device-file")}
    assert image.files.stat("/dev/mem").kind is FileKind.CHAR
    assert image.files.stat("/run/fifo").kind is FileKind.FIFO


def test_duplicate_entries_are_recorded_and_the_last_wins(tmp_path: Path) -> None:
    image = _load(tmp_path, [{"path": "/etc/x", "content": "first"},
                             {"path": "/etc/x", "content": "second!", "mode": "0600"}])
    assert _kinds(image) == {("/etc/x", "duplicate-entry")}
    entry = image.files.stat("/etc/x")
    assert entry.size == 7 and entry.mode == 0o600


def test_whiteout_of_a_path_no_lower_layer_has_is_recorded(tmp_path: Path) -> None:
    spec = {"layers": [{"files": [{"path": "/etc/real", "content": "x"}]},
                       {"files": [{"path": "/etc/real", "type": "whiteout"},
                                  {"path": "/etc/never", "type": "whiteout"},
                                  {"path": "/var/lib", "type": "opaque"},
                                  {"path": "/var/lib/emptied", "type": "whiteout"}]}]}
    image = load_image(synth.write_oci_layout(spec, tmp_path / "oci"))
    assert {(a.layer_index, a.path, a.kind) for a in image.anomalies} == {
        (1, "/etc/never", "whiteout-of-missing-path")}
    assert image.files.stat("/etc/real") is None


def test_truncated_gzip_layer_is_a_source_error(tmp_path: Path) -> None:
    built = synth.build({"layers": [{"gzip": True, "files": [{"path": "/a", "size": 200000}]}]})
    root = synth.write_oci_layout(built, tmp_path / "oci")
    blob = root / "blobs/sha256" / built.layers[0].hex
    blob.write_bytes(blob.read_bytes()[:-40])
    with pytest.raises(SourceError, match=r"truncated") as info:
        load_image(root)
    assert "\n" not in str(info.value) and built.layers[0].hex in str(info.value)


def test_layer_digest_mismatch_names_the_blob(tmp_path: Path) -> None:
    built = synth.build({"layers": [{"files": [{"path": "/a", "content": "original"}]}]})
    root = synth.write_oci_layout(built, tmp_path / "oci")
    blob = root / "blobs/sha256" / built.layers[0].hex
    # Same size, different bytes: only the digest can tell.
    blob.write_bytes(blob.read_bytes().replace(b"original", b"tampered"))
    with pytest.raises(SourceError, match=rf"{built.layers[0].hex}: digest mismatch"):
        load_image(root)


def test_classic_archive_diff_id_mismatch(tmp_path: Path) -> None:
    built = synth.build({"layers": [{"files": [{"path": "/a", "content": "original"}]}]})
    members = synth.docker_archive_members(built, "classic")
    members = [(n, d.replace(b"original", b"tampered")) for n, d in members]
    path = tmp_path / "img.tar"
    path.write_bytes(synth.tar_bytes(members))
    with pytest.raises(SourceError, match=r"layer\.tar \(uncompressed\): digest mismatch"):
        load_image(path)
    with pytest.raises(SourceError, match=r"digest mismatch"):
        load_image_stream(path.open("rb"))


def test_tampered_config_is_a_digest_mismatch(tmp_path: Path) -> None:
    built = synth.build({"config": {"User": "root"}, "layers": [{"files": []}]})
    root = synth.write_oci_layout(built, tmp_path / "oci")
    blob = root / "blobs/sha256" / built.config.hex
    blob.write_bytes(blob.read_bytes().replace(b'"root"', b'"evil"'))
    with pytest.raises(SourceError, match=rf"{built.config.hex}: digest mismatch"):
        load_image(root)


def test_manifest_naming_missing_blob(tmp_path: Path) -> None:
    built = synth.build({"layers": [{"files": [{"path": "/a", "content": "x"}]}]})
    root = synth.write_oci_layout(built, tmp_path / "oci")
    (root / "blobs/sha256" / built.layers[0].hex).unlink()
    with pytest.raises(SourceError, match=rf"missing blob blobs/sha256/{built.layers[0].hex}"):
        load_image(root)
    members = [(n, d) for n, d in synth.docker_archive_members(built, "classic")
               if not n.endswith("layer.tar")]
    with pytest.raises(SourceError, match=r"missing layer blob .*/layer\.tar"):
        load_image_stream(_pipe(synth.tar_bytes(members)))


def test_malformed_digest_cannot_escape_the_layout(tmp_path: Path) -> None:
    built = synth.build({"layers": [{"files": []}]})
    root = synth.write_oci_layout(built, tmp_path / "oci")
    index = json.loads((root / "index.json").read_text())
    index["manifests"][0]["digest"] = "sha256:../../../../etc/passwd"
    (root / "index.json").write_text(json.dumps(index))
    with pytest.raises(SourceError, match=r"malformed digest"):
        load_image(root)


def test_ten_gigabyte_sparse_entry_is_not_allocated(tmp_path: Path) -> None:
    raw = synth.sparse_member("/var/huge.img", TEN_GB)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    image = _load(tmp_path, [{"raw": raw}, {"path": "/after", "content": "still read"}],
                  gzip=True)
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    entry = image.files.stat("/var/huge.img")
    assert entry.kind is FileKind.FILE and entry.size == TEN_GB
    assert ("/var/huge.img", "sparse-file") in _kinds(image)
    assert image.files.stat("/after") is not None
    assert rss_after - rss_before < 200 * 1024  # KiB: nowhere near 10 GB was allocated


def test_huge_declared_size_without_data_is_truncation(tmp_path: Path) -> None:
    info = tarfile.TarInfo("var/huge")
    info.size = TEN_GB
    header = info.tobuf(format=tarfile.GNU_FORMAT)  # the header alone, no data follows
    built = synth.build({"layers": [{"gzip": True, "files": [{"raw": header + b"\0" * 4096}]}]})
    with pytest.raises(SourceError, match=r"truncated layer"):
        load_image(synth.write_oci_layout(built, tmp_path / "oci"))


def test_garbage_blob_is_not_a_layer(tmp_path: Path) -> None:
    built = synth.build({"layers": [{"files": []}]})
    root = synth.write_oci_layout(built, tmp_path / "oci")
    blob = root / "blobs/sha256" / built.layers[0].hex
    blob.write_bytes((b"this is not a tar file at all" * 400)[:len(built.layers[0].data)])
    with pytest.raises(SourceError, match=r"not a tar, gzip or zstd layer"):
        load_image(root)


def test_gzip_layer_reads_concatenated_members(tmp_path: Path) -> None:
    tar = synth.layer_tar([{"path": "/a", "content": "x" * 3000}])
    data = gzip.compress(tar[:1024], mtime=0) + gzip.compress(tar[1024:], mtime=0)
    built = synth.build({"layers": [{"files": [{"path": "/a", "content": "x" * 3000}]}]})
    blob = synth.Blob(data, "application/vnd.oci.image.layer.v1.tar+gzip")
    patched = synth.Built(built.ref, (blob,), built.diff_ids, built.config,
                          _manifest_for(built, blob), {})
    image = load_image(synth.write_oci_layout(patched, tmp_path / "oci"))
    assert image.files.stat("/a").size == 3000


def _manifest_for(built: synth.Built, blob: synth.Blob) -> synth.Blob:
    manifest = json.loads(built.manifest.data)
    manifest["layers"] = [{"mediaType": blob.media_type, "digest": blob.digest,
                           "size": len(blob.data)}]
    return synth.Blob(json.dumps(manifest).encode(), built.manifest.media_type)


def _pipe(data: bytes) -> Any:
    import io

    return io.BufferedReader(io.BytesIO(data))  # type: ignore[arg-type]


# --- blobs of an OCI layout must be regular files of the descriptor's size (issue 8) ----------

import os  # noqa: E402

from tests.support.deadline import deadline  # noqa: E402


def _layout(tmp_path: Path, gzip_layers: bool = False) -> tuple[synth.Built, Path]:
    built = synth.build({"layers": [{"gzip": gzip_layers, "files": [{"path": "/a", "content": "x"}]}]})
    return built, synth.write_oci_layout(built, tmp_path / "oci")


def _refused(root: Path, pattern: str) -> str:
    with deadline(10), pytest.raises(SourceError, match=pattern) as info:
        load_image(root)
    assert "\n" not in str(info.value)
    return str(info.value)


@pytest.mark.parametrize("which", ["layer", "config"])
def test_blob_symlinked_to_dev_zero_is_refused_without_reading(tmp_path: Path, which: str) -> None:
    built, root = _layout(tmp_path)
    blob = root / "blobs/sha256" / (built.layers[0] if which == "layer" else built.config).hex
    blob.unlink()
    blob.symlink_to("/dev/zero")
    _refused(root, r"symlink leading out of the layout")


def test_blob_that_is_a_fifo_is_refused_without_waiting(tmp_path: Path) -> None:
    built, root = _layout(tmp_path)
    blob = root / "blobs/sha256" / built.layers[0].hex
    blob.unlink()
    os.mkfifo(blob)
    _refused(root, r"is not a regular file")


def test_symlink_out_of_the_layout_is_refused_even_to_a_valid_copy(tmp_path: Path) -> None:
    built, root = _layout(tmp_path)
    blob = root / "blobs/sha256" / built.layers[0].hex
    outside = tmp_path / "outside"
    outside.write_bytes(blob.read_bytes())
    blob.unlink()
    blob.symlink_to(os.path.relpath(outside, blob.parent))
    _refused(root, r"symlink leading out of the layout")


def test_symlink_inside_the_layout_is_followed(tmp_path: Path) -> None:
    built, root = _layout(tmp_path)
    blob = root / "blobs/sha256" / built.layers[0].hex
    blob.rename(root / "copy-of-layer")
    blob.symlink_to("../../copy-of-layer")
    assert load_image(root).files.stat("/a") is not None


def test_blobs_dir_through_a_symlink_is_refused(tmp_path: Path) -> None:
    _built, root = _layout(tmp_path)
    (root / "blobs").rename(tmp_path / "elsewhere")
    (root / "blobs").symlink_to(tmp_path / "elsewhere")
    _refused(root, r"goes through a symlink")


def test_blob_size_must_match_its_descriptor(tmp_path: Path) -> None:
    built, root = _layout(tmp_path)
    blob = root / "blobs/sha256" / built.layers[0].hex
    blob.write_bytes(blob.read_bytes() + b"\0" * 512)
    size = len(built.layers[0].data)
    _refused(root, rf"is {size + 512} bytes, its descriptor says {size}")


def test_manifest_descriptor_over_the_json_cap_is_refused_before_reading(tmp_path: Path) -> None:
    _built, root = _layout(tmp_path)
    index = json.loads((root / "index.json").read_text())
    index["manifests"][0]["size"] = 1 << 40
    (root / "index.json").write_text(json.dumps(index))
    _refused(root, r"descriptor says 1099511627776 bytes, over the .* limit for JSON")


def test_extracted_docker_archive_with_a_dev_zero_layer_is_refused(tmp_path: Path) -> None:
    built = synth.build({"layers": [{"files": [{"path": "/a", "content": "x"}]}]})
    root = tmp_path / "extracted"
    for name, data in synth.docker_archive_members(built, "classic"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    layer = next(root.glob("*/layer.tar"))
    layer.unlink()
    layer.symlink_to("/dev/zero")
    _refused(root, r"layer\.tar is a symlink leading out of the layout")


def test_open_layer_checks_the_compressed_blob_as_well_as_the_diff_id(tmp_path: Path) -> None:
    from pylint_image.linter.oci import ImageSource

    built, root = _layout(tmp_path, gzip_layers=True)
    blob = root / "blobs/sha256" / built.layers[0].hex
    # Same length, same uncompressed bytes (so the same diff_id), a different blob digest.
    blob.write_bytes(gzip.compress(synth.layer_tar([{"path": "/a", "content": "x"}]), mtime=1))
    with ImageSource(root).open_layer(built.diff_ids[0]) as stream, \
            pytest.raises(SourceError, match=rf"{built.layers[0].hex}: digest mismatch"):
        while stream.read(512):
            pass
