"""Safe layer extraction on hostile tars, the digest-keyed cache, and rootfs assembly."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import tarfile
from pathlib import Path

import pytest

from pylint_image.runner.rootfs import (LayerCache, LayerSource, assembled_rootfs,
                                        default_cache_dir, extract_layer)
from pylint_image.runner.sandbox import OverlayRoot, SandboxSpec, run


def _tar(*members: tuple[str, str, object]) -> bytes:
    """Build a tar from (kind, name, payload) triples: file, dir, sym, link, chr, fifo."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for kind, name, payload in members:
            info = tarfile.TarInfo(name)
            info.mode = 0o755 if kind == "dir" else 0o644
            data = None
            if kind == "file":
                data = str(payload).encode()
                info.size = len(data)
            else:
                info.type = {"dir": tarfile.DIRTYPE, "sym": tarfile.SYMTYPE,
                             "link": tarfile.LNKTYPE, "chr": tarfile.CHRTYPE,
                             "fifo": tarfile.FIFOTYPE}[kind]
                info.linkname = str(payload or "")
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def _extract(tmp_path: Path, data: bytes, as_root: bool | None = None):
    dest = tmp_path / "layer"
    dest.mkdir()
    return dest, extract_layer(io.BytesIO(data), dest, as_root)


def test_traversal_and_absolute_names_are_skipped(tmp_path):
    dest, layer = _extract(tmp_path, _tar(("file", "../evil", "x"), ("file", "/abs", "x"),
                                          ("file", "a/../../evil2", "x"), ("file", "ok", "fine")))
    assert (dest / "ok").read_text() == "fine"
    assert not (tmp_path / "evil").exists() and not (tmp_path / "evil2").exists()
    assert {name for name, _ in layer.skipped} == {"../evil", "/abs", "a/../../evil2"}


def test_writes_through_symlinks_are_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    dest, layer = _extract(tmp_path, _tar(
        ("sym", "escape", str(outside)), ("file", "escape/pwned", "x"),
        ("sym", "rel", "../outside"), ("file", "rel/pwned2", "x"),
        ("sym", "etc", "/etc"), ("file", "etc/passwd", "root::0:0")))
    assert list(outside.iterdir()) == []
    assert os.readlink(dest / "etc") == "/etc"   # kept as a symlink for the container to resolve
    assert [reason for _, reason in layer.skipped] == ["parent is a symlink or file"] * 3


def test_file_replacing_a_symlink_does_not_follow_it(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("original")
    dest, _ = _extract(tmp_path, _tar(("sym", "f", str(victim)), ("file", "f", "new")))
    assert victim.read_text() == "original"
    assert (dest / "f").read_text() == "new" and not (dest / "f").is_symlink()


def test_device_nodes_are_skipped_and_fifos_kept(tmp_path):
    dest, layer = _extract(tmp_path, _tar(("chr", "dev/sda", None), ("fifo", "pipe", None)))
    assert not (dest / "dev" / "sda").exists()
    assert ("dev/sda", "device node") in layer.skipped
    assert stat.S_ISFIFO(os.lstat(dest / "pipe").st_mode)


def test_hard_links_stay_inside_the_layer(tmp_path):
    dest, layer = _extract(tmp_path, _tar(
        ("file", "a", "data"), ("link", "b", "a"), ("link", "c", "missing"),
        ("link", "d", "../../etc/passwd"), ("sym", "s", "a"), ("link", "e", "s")))
    assert (dest / "b").read_text() == "data" and os.stat(dest / "b").st_ino == os.stat(dest / "a").st_ino
    reasons = dict(layer.skipped)
    assert reasons == {"c": "hard link to a missing target", "d": "hard link leaves the layer",
                       "e": "hard link to a non-regular file"}


def test_whiteouts_and_opaque_dirs_are_recorded(tmp_path):
    data = _tar(("dir", "etc", None), ("file", "etc/.wh.shadow", ""), ("dir", "var/cache", None),
                ("file", "var/cache/.wh..wh..opq", ""), ("file", "var/cache/new", "n"))
    dest, layer = _extract(tmp_path, data, as_root=False)
    assert layer.whiteouts == ("etc/shadow",) and layer.opaque_dirs == ("var/cache",)
    assert not (dest / "etc" / ".wh.shadow").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="overlay whiteouts need mknod and trusted xattrs")
def test_root_writes_overlay_whiteouts(tmp_path):
    data = _tar(("file", "etc/.wh.shadow", ""), ("file", "var/.wh..wh..opq", ""))
    dest, layer = _extract(tmp_path, data, as_root=True)
    node = os.lstat(dest / "etc" / "shadow")
    assert stat.S_ISCHR(node.st_mode) and node.st_rdev == os.makedev(0, 0)
    assert os.getxattr(dest / "var", "trusted.overlay.opaque") == b"y"
    assert layer.overlay_ready


def _layers():
    base = _tar(("dir", "bin", None), ("file", "etc/keep", "k"), ("file", "etc/secret", "s"),
                ("file", "var/cache/old", "o"), ("file", "opt/x", "1"))
    top = _tar(("file", "etc/.wh.secret", ""), ("file", "var/cache/.wh..wh..opq", ""),
               ("file", "var/cache/new", "n"), ("file", "opt/x", "2"))
    return [source_of(d) for d in (base, top)]


def source_of(data: bytes, name: str = "") -> LayerSource:
    """A LayerSource whose diff_id really is the sha256 of ``data``."""
    return LayerSource("sha256:" + hashlib.sha256(data).hexdigest(), lambda: io.BytesIO(data), name)


def test_cache_unpacks_each_layer_once(tmp_path):
    cache = LayerCache(tmp_path / "cache")
    for _ in range(2):
        with assembled_rootfs(_layers(), cache, overlay=False, workdir=tmp_path) as root:
            assert (root / "opt" / "x").read_text() == "2"
    assert cache.extractions == 2   # two layers, unpacked on the first assembly only
    again = LayerCache(tmp_path / "cache")
    with assembled_rootfs(_layers(), again, overlay=False, workdir=tmp_path):
        pass
    assert again.extractions == 0
    assert not list((tmp_path / "cache" / "sha256").glob(".partial-*"))


def test_copy_assembly_applies_whiteouts_and_is_removed(tmp_path):
    with assembled_rootfs(_layers(), LayerCache(tmp_path / "c"), overlay=False, workdir=tmp_path) as root:
        assert (root / "etc" / "keep").exists() and not (root / "etc" / "secret").exists()
        assert sorted(p.name for p in (root / "var" / "cache").iterdir()) == ["new"]
        temp = root.parent
    assert not temp.exists()


def test_default_cache_dir_honours_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / "pylint-image" / "layers"


def test_invalid_digest_is_rejected(tmp_path):
    from pylint_image.linter.errors import SourceError
    with pytest.raises(SourceError, match="invalid layer digest"):
        LayerCache(tmp_path).get("sha256:../../etc")


@pytest.mark.sandbox
def test_overlay_root_runs_in_the_sandbox(tmp_path, support, rootfs, no_leaks):
    if not support.overlay:
        pytest.skip("overlayfs needs root")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        tar.add(rootfs, arcname=".")
    layers = [source_of(buf.getvalue()), *_layers()]
    with assembled_rootfs(layers, LayerCache(tmp_path / "c"), overlay=True) as root:
        assert isinstance(root, OverlayRoot) and len(root.lower) == 3
        result = run(SandboxSpec(rootfs=root, argv=("sh", "-c", "cat /opt/x; echo; ls /etc /var/cache; "
                                                    "echo w > /opt/x; cat /opt/x")))
        lowest = root.lower[-1]
    assert result.setup_error is None, result.setup_error
    out = result.stdout.decode().split()
    assert out[0] == "2" and "secret" not in out and "old" not in out and "new" in out
    assert out[-1] == "w"
    assert not (lowest / "opt" / "x").exists() or (lowest / "opt" / "x").read_text() != "w"


# --- hostile sizes: sparse members and the extraction cap (issue 8) -------------------------

TEN_GB = 10 * 1024**3


def _pax_sparse(version: str, real_size: int) -> bytes:
    """A PAX sparse member (GNU 0.0, 0.1 or 1.0) declaring ``real_size`` bytes, storing 512."""
    data, offset = b"x" * 512, real_size - 512
    info = tarfile.TarInfo("var/huge.img")
    if version == "1.0":
        info.pax_headers = {"GNU.sparse.major": "1", "GNU.sparse.minor": "0",
                            "GNU.sparse.name": "var/huge.img", "GNU.sparse.realsize": str(real_size)}
        sparse_map = b"1\n%d\n512\n" % offset
        data = sparse_map + b"\0" * (512 - len(sparse_map)) + data
    else:
        info.pax_headers = {"GNU.sparse.size": str(real_size), "GNU.sparse.numblocks": "1"}
        if version == "0.1":
            info.pax_headers["GNU.sparse.map"] = f"{offset},512"
        else:
            info.pax_headers.update({"GNU.sparse.offset": str(offset), "GNU.sparse.numbytes": "512"})
    info.size = len(data)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        tar.addfile(info, io.BytesIO(data))
        after = tarfile.TarInfo("after")
        tar.addfile(after, io.BytesIO(b""))
    return buf.getvalue()


def _gnu_sparse(real_size: int) -> bytes:
    from tests.support.synth_image import layer_tar, sparse_member

    return layer_tar([{"raw": sparse_member("/var/huge.img", real_size)}, {"path": "/after", "content": ""}])


@pytest.mark.parametrize("kind", ["gnu", "pax-0.0", "pax-0.1", "pax-1.0"])
def test_sparse_members_are_refused_before_anything_is_written(tmp_path, kind):
    from pylint_image.linter.errors import SourceError

    data = _gnu_sparse(TEN_GB) if kind == "gnu" else _pax_sparse(kind[4:], TEN_GB)
    assert len(data) < 16 * 1024   # a few KiB declaring 10 GiB
    dest = tmp_path / "layer"
    dest.mkdir()
    with pytest.raises(SourceError, match=r"'var/huge.img' is a sparse file \(10\.0 GiB declared\)") as info:
        extract_layer(io.BytesIO(data), dest)
    assert "\n" not in str(info.value)
    assert not (dest / "var" / "huge.img").exists()
    cache = LayerCache(tmp_path / "cache")
    with pytest.raises(SourceError, match="sparse"):
        cache.ensure(source_of(data))
    assert list((tmp_path / "cache" / "sha256").iterdir()) == []   # no entry, no staging left


def test_no_file_is_written_from_a_member_over_the_cap(tmp_path):
    from pylint_image.linter.errors import SourceError
    from pylint_image.runner.rootfs import Budget

    info = tarfile.TarInfo("var/huge")
    info.size = TEN_GB
    data = info.tobuf(format=tarfile.GNU_FORMAT) + b"\0" * 8192   # the header and a little data
    dest = tmp_path / "layer"
    dest.mkdir()
    with pytest.raises(SourceError, match=r"'var/huge': declares 10\.0 GiB, over the 1\.0 MiB extraction cap"):
        extract_layer(io.BytesIO(data), dest, budget=Budget(1 << 20))
    assert not (dest / "var" / "huge").exists()


def test_whiteouts_of_dot_and_dot_dot_are_skipped(tmp_path):
    data = _tar(("file", "a/keep", "k"), ("file", "a/.wh...", ""), ("file", "a/.wh..", ""))
    dest, layer = _extract(tmp_path, data, as_root=os.geteuid() == 0)
    assert (dest / "a" / "keep").read_text() == "k"
    assert [reason for _, reason in layer.skipped] == ["whiteout of no name, . or .."] * 2


def test_a_name_the_filesystem_refuses_is_one_line(tmp_path):
    from pylint_image.linter.errors import SourceError

    with pytest.raises(SourceError, match=r"cannot extract .*File name too long") as info:
        _extract(tmp_path, _tar(("file", "x" * 300, "data")))
    assert "\n" not in str(info.value)
