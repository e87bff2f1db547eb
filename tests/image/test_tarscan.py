"""The tar header parser (``linter/oci/tarscan.py``) against the standard library's ``tarfile``.

Same member names, types, sizes, modes, ids, link names, device numbers, sparse flags and
contents, on: synthetic archives in every format tarfile writes (USTAR, GNU, PAX) with long
names and links, base-256 numbers and odd types; GNU tar's own sparse members (old GNU and
PAX 0.0, 0.1, 1.0); the layers of the synthesized test images and of the hostile ones; and
(Docker) every layer of the busybox and Debian base images the suite builds on.  Where the
two readers must differ (a PAX global header, a malformed header tarfile takes for the end
of the archive) the test says why.  Each parse also runs with tiny buffers, so headers and
bodies straddle buffer ends.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest

from pylint_image.linter.errors import SourceError
from pylint_image.linter.oci import ContentNeeds, ImageSource
from pylint_image.linter.oci.hashio import decompressed, read_head, sniff
from pylint_image.linter.oci.layer import scan_blob
from pylint_image.linter.oci.tarscan import BLK, CHR, GNU_SPARSE, REGULAR, TarScanner
from tests.support import synth_image as synth

LIMIT = 1 << 20
FORMATS = {"ustar": tarfile.USTAR_FORMAT, "gnu": tarfile.GNU_FORMAT, "pax": tarfile.PAX_FORMAT}
LONG_DIR = "/".join(["d" * 40] * 3)          # 122 characters: needs the ustar prefix
LONG_NAME = "/".join(["n" * 60] * 5)         # 304 characters: GNU L or PAX path only
LONG_LINK = "../" + "t" * 150                # 153 characters: GNU K or PAX linkpath only


def _digest(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


def ours(data: bytes, chunk: int = 1 << 20) -> list[tuple[Any, ...]]:
    """Every member as our scanner sees it (contents of regular files up to LIMIT)."""
    out = []
    tar = TarScanner(io.BytesIO(data), "t", chunk=chunk)
    for m in tar:
        content = None
        if (m.type in REGULAR or m.type == GNU_SPARSE) and m.size <= LIMIT:
            content = tar.read_data(m, LIMIT)
        devices = (m.devmajor, m.devminor) if m.type in (CHR, BLK) else None
        out.append((m.name, bytes((m.type,)), m.size, m.mode, m.uid, m.gid, m.linkname,
                    devices, m.sparse is not None, _digest(content)))
    return out


def theirs(data: bytes) -> list[tuple[Any, ...]]:
    """Every member as ``tarfile`` sees it."""
    out = []
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
        for m in tar:
            content = None
            if m.isreg() and m.size <= LIMIT:
                handle = tar.extractfile(m)
                assert handle is not None
                content = handle.read()
            devices = (m.devmajor, m.devminor) if m.ischr() or m.isblk() else None
            out.append((m.name, m.type, m.size, m.mode, m.uid, m.gid, m.linkname, devices,
                        m.sparse is not None, _digest(content)))
    return out


def same(data: bytes) -> list[tuple[Any, ...]]:
    """Assert both readers agree (with several buffer sizes) and return the members."""
    expected = theirs(data)
    for chunk in (512, 700, 4096, 1 << 20):
        assert ours(data, chunk) == expected, f"chunk {chunk}"
    return expected


# --- synthetic archives in every format -------------------------------------------------------


def _info(name: str, kind: bytes = tarfile.REGTYPE, **fields: Any) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mtime = 1_700_000_000
    for key, value in fields.items():
        setattr(info, key, value)
    return info


def _members() -> list[tuple[tarfile.TarInfo, bytes | None]]:
    return [
        (_info("usr", tarfile.DIRTYPE, mode=0o755), None),
        (_info("usr/a.txt", mode=0o644, uid=1000, gid=1000), b"hello\n"),
        (_info("usr/empty"), b""),
        (_info("usr/bin/su", mode=0o4755), b"\x7fELF" + bytes(1500)),
        (_info(f"{LONG_DIR}/file.txt"), b"under a prefix"),
        (_info(LONG_NAME), b"a long name"),
        (_info(f"{LONG_NAME}-dir", tarfile.DIRTYPE), None),
        (_info("usr/link", tarfile.SYMTYPE, linkname="a.txt"), None),
        (_info("usr/longlink", tarfile.SYMTYPE, linkname=LONG_LINK), None),
        (_info("usr/hard", tarfile.LNKTYPE, linkname="usr/a.txt"), None),
        (_info("run/fifo", tarfile.FIFOTYPE), None),
        (_info("dev/null", tarfile.CHRTYPE, devmajor=1, devminor=3), None),
        (_info("dev/sda", tarfile.BLKTYPE, devmajor=8, devminor=0), None),
        (_info("home/big-ids", uid=3_000_000, gid=2_500_000), b"ids over 8**7"),
        (_info("données/été.txt"), "non-ASCII names".encode()),
        (_info("opt/block-sized"), bytes(range(256)) * 2),
        (_info("opt/two-blocks-and-one"), b"z" * 1025),
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_synthetic_archives_read_as_tarfile_reads_them(fmt: str) -> None:
    buf = io.BytesIO()
    skipped = []
    with tarfile.open(fileobj=buf, mode="w", format=FORMATS[fmt],
                      pax_headers={"comment": "a global header"} if fmt == "pax" else None) as tar:
        for info, data in _members():
            if data is not None:
                info.size = len(data)
            try:
                tar.addfile(info, io.BytesIO(data) if data is not None else None)
            except ValueError:
                skipped.append(info.name)  # USTAR cannot hold it (name, link or id too long)
    members = same(buf.getvalue())
    names = {m[0] for m in members}
    if fmt == "ustar":
        assert set(skipped) == {LONG_NAME, f"{LONG_NAME}-dir", "usr/longlink", "home/big-ids"}
        assert f"{LONG_DIR}/file.txt" in names  # the prefix field was used and joined
    else:
        assert not skipped and LONG_NAME in names and f"{LONG_NAME}-dir" in names
        assert ("usr/longlink", b"2") in {(m[0], m[1]) for m in members}
        assert next(m for m in members if m[0] == "home/big-ids")[4] == 3_000_000


def _header(info: tarfile.TarInfo, fmt: int = tarfile.GNU_FORMAT) -> bytearray:
    return bytearray(info.tobuf(format=fmt))


def _seal(header: bytearray) -> bytes:
    header[148:156] = b"        "
    header[148:156] = b"%06o\0 " % sum(header)
    return bytes(header)


def _base256(value: int, width: int) -> bytes:
    return bytes((0x80,)) + value.to_bytes(width - 1, "big")


def _archive(*parts: bytes) -> bytes:
    return b"".join(parts) + bytes(1024)


def test_base_256_numbers_in_every_field() -> None:
    data = b"base-256 everywhere"
    header = _header(_info("b256", size=len(data)))
    header[100:108] = _base256(0o640, 8)
    header[108:116] = _base256(70_000_000, 8)
    header[116:124] = _base256(5, 8)
    header[124:136] = _base256(len(data), 12)
    archive = _archive(_seal(header), data + bytes(-len(data) % 512))
    [member] = same(archive)
    assert member[2:6] == (len(data), 0o640, 70_000_000, 5)


def test_signed_checksum_and_space_terminated_numbers_are_accepted() -> None:
    header = _header(_info("é-signed", size=3))  # a byte >= 128 in the name
    header[100:108] = b" 000644 "
    header[148:156] = b"        "
    signed = 256 + sum(b - 256 if b >= 128 else b for b in header[:148] + header[156:])
    header[148:156] = b"%06o\0 " % signed
    assert same(_archive(bytes(header), b"abc" + bytes(509)))[0][3] == 0o644


def test_v7_directory_with_a_trailing_slash_and_a_pax_size_override() -> None:
    v7 = _header(_info("olddir/"), tarfile.GNU_FORMAT)
    v7[156:157] = b"\0"      # AREGTYPE with a trailing slash: a directory
    v7[257:265] = bytes(8)   # no magic at all: a v7 header
    info = _info("sized")
    info.pax_headers = {"size": "7"}
    info.size = 7
    pax = info.tobuf(format=tarfile.PAX_FORMAT)
    members = same(_archive(_seal(v7), pax, b"seven!!" + bytes(505)))
    assert [(m[0], m[1], m[2]) for m in members] == [("olddir", b"5", 0), ("sized", b"0", 7)]


def test_header_only_types_carry_no_data_whatever_their_size_says() -> None:
    # A symlink header claiming 600 bytes: neither Go's reader nor tarfile skips data for it.
    link = _header(_info("link", tarfile.SYMTYPE, linkname="target"))
    link[124:136] = b"%011o\0" % 600
    after = _info("after", size=2).tobuf(format=tarfile.GNU_FORMAT) + b"ok" + bytes(510)
    members = same(_archive(_seal(link), after))
    assert [m[0] for m in members] == ["link", "after"]


# --- GNU tar's sparse members --------------------------------------------------------------------


@pytest.fixture(scope="module")
def sparse_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sparse")
    path = root / "holes.img"
    with path.open("wb") as out:
        out.truncate(3 * 65536 + 100)
        os.pwrite(out.fileno(), b"token=first-chunk", 8192)
        os.pwrite(out.fileno(), b"second chunk", 2 * 65536)
        os.pwrite(out.fileno(), b"end", 3 * 65536 + 97)
    return path


@pytest.mark.parametrize("options", [["--format=gnu"],
                                     ["--format=posix", "--sparse-version=0.0"],
                                     ["--format=posix", "--sparse-version=0.1"],
                                     ["--format=posix", "--sparse-version=1.0"]],
                         ids=["gnu", "pax-0.0", "pax-0.1", "pax-1.0"])
def test_gnu_tar_sparse_members(sparse_file: Path, tmp_path: Path, options: list[str]) -> None:
    if shutil.which("tar") is None:
        pytest.fail("GNU tar is needed to make sparse members")
    out = tmp_path / "sparse.tar"
    subprocess.run(["tar", "--sparse", *options, "-cf", str(out), "-C", str(sparse_file.parent),
                    sparse_file.name, "--mtime=@0", "--owner=0", "--group=0"], check=True)
    data = out.read_bytes()
    [member] = same(data)
    assert member[0] == "holes.img" and member[2] == sparse_file.stat().st_size
    assert member[8], "GNU tar wrote no sparse member: the test would prove nothing"
    assert member[9] == _digest(sparse_file.read_bytes())
    # The layer scanner keeps the rebuilt content for a wanted path and flags the member.
    scan = scan_blob(io.BytesIO(data), "sparse.tar", ContentNeeds(frozenset({"/holes.img"}),
                                                                  max_size=1 << 20))
    assert scan.contents["/holes.img"] == sparse_file.read_bytes()
    assert [a.kind for a in scan.anomalies] == ["sparse-file"]


def test_old_gnu_sparse_with_extension_blocks() -> None:
    # Six chunks: four in the header, two in one extension block.
    chunks = [(i * 4096, 16) for i in range(6)]
    real = 6 * 4096
    header = _header(_info("ext.img", size=16 * 6))
    header[156:157] = b"S"
    for i, (offset, length) in enumerate(chunks[:4]):
        header[386 + i * 24:398 + i * 24] = b"%011o\0" % offset
        header[398 + i * 24:410 + i * 24] = b"%011o\0" % length
    header[482] = 1
    header[483:495] = b"%011o\0" % real
    ext = bytearray(512)
    for i, (offset, length) in enumerate(chunks[4:]):
        ext[i * 24:i * 24 + 12] = b"%011o\0" % offset
        ext[i * 24 + 12:i * 24 + 24] = b"%011o\0" % length
    stored = b"".join(bytes([65 + i]) * 16 for i in range(6))
    [member] = same(_archive(_seal(header), bytes(ext), stored + bytes(-len(stored) % 512)))
    expected = bytearray(real)
    for i, (offset, _length) in enumerate(chunks):
        expected[offset:offset + 16] = bytes([65 + i]) * 16
    assert member[2] == real and member[9] == _digest(bytes(expected))


# --- the suite's own layers --------------------------------------------------------------------


def test_every_synthesized_test_layer(app_spec: dict[str, Any]) -> None:
    built = synth.build(app_spec)
    for blob in built.layers:
        data = blob.data
        if sniff(data[:512]) == "gzip":
            data = decompressed(io.BytesIO(data), "gzip", "t").read()
        assert same(data)


HOSTILE = {
    "traversal": [{"name": "../../etc/evil", "content": "x"}, {"name": "a/../../b", "content": "y"}],
    "absolute": [{"name": "/etc/abs", "content": "x"}],
    "escaping-links": [{"path": "/app/link", "type": "symlink", "target": "../../../../etc/shadow"},
                       {"path": "/bin/out", "type": "hardlink", "target": "../../x"}],
    "devices": [{"path": "/dev/sda", "type": "block", "major": 8, "minor": 0},
                {"path": "/dev/mem", "type": "char", "major": 1, "minor": 1}],
    "duplicates": [{"path": "/etc/x", "content": "first"},
                   {"path": "/etc/x", "content": "second!", "mode": "0600"}],
    "whiteouts": [{"path": "/var/cache/apt", "type": "opaque"}, {"path": "/tmp/big", "type": "whiteout"}],
    "ten-gigabyte-sparse": [{"raw": synth.sparse_member("/var/huge.img", 10 * 1024**3)},
                            {"path": "/after", "content": "still read"}],
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_layers_read_as_tarfile_reads_them(name: str) -> None:
    assert same(synth.layer_tar(HOSTILE[name]))


def _payload() -> bytes:
    return synth.layer_tar([{"path": "/a", "content": "a" * 700}, {"path": "/b", "content": "b"}])


def _refused(data: bytes, pattern: str) -> str:
    with pytest.raises(SourceError, match=pattern) as info:
        ours(data)
    assert "\n" not in str(info.value)
    return str(info.value)


def test_a_bad_checksum_is_refused_where_tarfile_stops_quietly() -> None:
    data = bytearray(_payload())
    data[1536 + 5] ^= 0x20  # the second header's name
    # tarfile takes a bad header after the first for the end of the archive ("/b" vanishes);
    # Docker's reader refuses the layer, and so do we.
    assert [m[0] for m in theirs(bytes(data))] == ["a"]
    assert "bad header checksum at byte 1536" in _refused(bytes(data), r"unreadable layer tar")


def test_truncated_header_and_body_are_truncation() -> None:
    data = _payload()
    _refused(data[:1536 + 300], r"truncated layer \(truncated header at byte 1536\)")
    _refused(data[:1024], r"truncated layer")   # "/a" declares 700 bytes, 512 are there


def test_a_zero_block_followed_by_a_header_is_refused() -> None:
    data = _payload()
    first = data[:1536]
    _refused(first + bytes(512) + data[1536:], r"unreadable layer tar \(a zero block followed by data")
    # One zero block then the end of the stream, or no end marker at all, is a clean end (as Go).
    assert ours(first + bytes(512)) == ours(first) == theirs(first)


def test_oversized_and_malformed_extension_headers_are_refused() -> None:
    long_name = _info("././@LongLink", tarfile.GNUTYPE_LONGNAME, size=(1 << 20) + 1)
    _refused(_archive(long_name.tobuf(format=tarfile.GNU_FORMAT)), r"extension header of 1048577 bytes")
    for body in (b"10 path=ab\n", b"x path=ab\n", b"9 patha\n", b"12 path=a\0b\n"):
        pax = _info("pax", tarfile.XHDTYPE, size=len(body))
        header = pax.tobuf(format=tarfile.USTAR_FORMAT)
        _refused(_archive(header, body + bytes(-len(body) % 512), _info("f").tobuf()),
                 r"unreadable layer tar \(bad pax record")
    # An extension header with no member after it.
    _refused(_archive(_info("././@LongLink", tarfile.GNUTYPE_LONGNAME, size=4).tobuf(
        format=tarfile.GNU_FORMAT), b"abc\0" + bytes(508)), r"end of archive after an extension header")


def test_negative_and_non_octal_numbers_are_refused() -> None:
    header = _header(_info("neg"))
    header[124:136] = bytes((0xFF,)) * 12
    _refused(_archive(_seal(header)), r"negative number")
    header = _header(_info("word"))
    header[108:116] = b"0o1234\0\0"
    _refused(_archive(_seal(header)), r"bad number")


def test_a_pax_global_header_is_ignored_as_docker_ignores_it() -> None:
    # tarfile applies a global path and size to every later member; Docker's and containerd's
    # unpackers skip global headers, so the member is what Docker would extract.
    glob = _info("global", tarfile.XGLTYPE)
    body = b"16 path=spoofed\n"
    glob.size = len(body)
    real = _info("real", size=2)
    archive = _archive(glob.tobuf(format=tarfile.USTAR_FORMAT), body + bytes(-len(body) % 512),
                       real.tobuf(format=tarfile.USTAR_FORMAT), b"ok" + bytes(510))
    assert [m[0] for m in theirs(archive)] == ["spoofed"]
    assert [m[0] for m in ours(archive)] == ["real"]


def test_extension_headers_apply_in_go_order() -> None:
    # A GNU long name and a PAX path for the same member: Go applies the PAX records first
    # (mergePAX), then the long name, so the long name wins; tarfile agrees here.
    long_name = _info("././@LongLink", tarfile.GNUTYPE_LONGNAME, size=9)
    body = b"17 path=from-pax\n"
    pax = _info("pax", tarfile.XHDTYPE, size=len(body))
    archive = _archive(long_name.tobuf(format=tarfile.GNU_FORMAT), b"from-gnu\0" + bytes(503),
                       pax.tobuf(format=tarfile.USTAR_FORMAT), body + bytes(-len(body) % 512),
                       _info("short").tobuf(format=tarfile.USTAR_FORMAT))
    assert [m[0] for m in ours(archive)] == [m[0] for m in theirs(archive)] == ["from-gnu"]


# --- seek mode (the docker-save index) and member data as a reader -------------------------------


def test_seek_mode_offsets_are_tarfiles(tmp_path: Path, app_spec: dict[str, Any]) -> None:
    path = synth.write_docker_archive(app_spec, tmp_path / "img.tar")
    with tarfile.open(path) as tar:
        expected = [(m.name, m.offset_data, m.size) for m in tar]
    with path.open("rb") as handle:
        found = [(m.name, m.offset, m.size) for m in
                 TarScanner(handle, "img", size=path.stat().st_size, chunk=8192)]
    assert found == expected
    _name, offset, size = max(expected, key=lambda m: m[2])
    with path.open("rb") as handle:
        cut = offset + size // 2  # an archive that ends inside its biggest member
        with pytest.raises(SourceError, match=r"img: truncated layer \(unexpected end of data"):
            list(TarScanner(handle, "img", size=cut, chunk=8192))


def test_member_data_read_in_pieces() -> None:
    content = os.urandom(5000)
    data = synth.layer_tar([{"path": "/r", "content": content}, {"path": "/s", "content": "s"}])
    tar = TarScanner(io.BytesIO(data), "t", chunk=1024)
    first = next(tar)
    pieces = []
    while piece := tar.read(777):
        pieces.append(piece)
    assert b"".join(pieces) == content and first.size == 5000
    second = next(tar)
    assert second.name == "s" and tar.read_data(second, 10) == b"s"
    assert tar.read_data(first, 4999) is None  # over the limit: not read


def test_archive_index_refuses_garbage(tmp_path: Path) -> None:
    path = tmp_path / "garbage.tar"
    path.write_bytes(b"not a tar" * 200)
    with pytest.raises(SourceError, match=r"not a readable tar archive \(bad header checksum at byte 0\)"):
        ImageSource(path)
    path.write_bytes(b"")
    with pytest.raises(SourceError, match=r"not a readable tar archive \(empty file\)"):
        ImageSource(path)


# --- the base images of the suite (Docker) ------------------------------------------------------


def _saved_layers(tag: str, tmp_path: Path) -> list[bytes]:
    archive = tmp_path / "image.tar"
    subprocess.run(["docker", "save", "-o", str(archive), tag], check=True, timeout=600)
    source = ImageSource(archive)
    layers = []
    for layer in source.parts.layers:
        with source.store.open(layer.blob, layer.size) as handle:
            head = read_head(handle, 512)
            rest = handle.read()
        data = head + rest
        if sniff(head) != "tar":
            data = decompressed(io.BytesIO(data), sniff(head), layer.blob).read()
        layers.append(data)
    return layers


@pytest.mark.docker
def test_every_layer_of_the_busybox_base(tmp_path: Path) -> None:
    from tests.support.docker_images import busybox_base

    layers = _saved_layers(busybox_base(), tmp_path)
    assert layers and all(same(data) for data in layers)


@pytest.mark.docker
def test_every_layer_of_the_debian_base(tmp_path: Path) -> None:
    from tests.support.debian_base import debian_base

    layers = _saved_layers(debian_base(), tmp_path)
    members = [m for data in layers for m in same(data)]
    assert len(members) > 3000  # a real distribution: thousands of files, links and dirs
    assert any(m[1] == b"2" for m in members) and any(m[3] & 0o4000 for m in members)
