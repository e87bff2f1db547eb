"""The tar header parser (``linter/oci/tarscan.py``) on hostile input: every size capped,
nothing allocated from a declared size, every loop ends, every refusal one line naming the
stream and the byte offset.

Each case says what Go's ``archive/tar`` (Docker's reader) and ``tarfile`` do with the same
bytes where that is meaningful.  Memory bounds are measured with ``tracemalloc`` (the peak of
Python allocations while the stream is parsed; the input itself is allocated before).
"""

from __future__ import annotations

import io
import re
import tarfile
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pylint_image.linter.errors import SourceError
from pylint_image.linter.oci.tarscan import SPARSE_MAP_LIMIT, TarMember, TarScanner

MiB = 1 << 20


def _info(name: str, kind: bytes = tarfile.REGTYPE, **fields: Any) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mtime = 0
    for key, value in fields.items():
        setattr(info, key, value)
    return info


def _pad(body: bytes) -> bytes:
    return body + bytes(-len(body) % 512)


def _seal(header: bytearray) -> bytes:
    header[148:156] = b"        "
    header[148:156] = b"%06o\0 " % sum(header)
    return bytes(header)


def _gnu(name: str, size: int = 0, kind: bytes = tarfile.REGTYPE) -> bytearray:
    return bytearray(_info(name, kind, size=size).tobuf(format=tarfile.GNU_FORMAT))


def _base256(value: int, width: int = 12) -> bytes:
    if value < 0:
        return (value % (1 << (8 * width))).to_bytes(width, "big")  # two's complement, 0xFF...
    return bytes((0x80,)) + value.to_bytes(width - 1, "big")


def _long_name(name: str, kind: bytes = tarfile.GNUTYPE_LONGNAME) -> bytes:
    body = name.encode() + b"\0"
    return bytes(_gnu("././@LongLink", len(body), kind)) + _pad(body)


def _pax(records: dict[str, str] | bytes, kind: bytes = tarfile.XHDTYPE) -> bytes:
    body = records if isinstance(records, bytes) else _records(list(records.items()))
    header = _info("pax", kind, size=len(body)).tobuf(format=tarfile.USTAR_FORMAT)
    return header + _pad(body)


def _records(pairs: list[tuple[str, str]]) -> bytes:
    """PAX records, ``length key=value\\n`` each (the length counts its own digits)."""
    out = []
    for key, value in pairs:
        text = f" {key}={value}\n".encode()
        length = len(text) + len(str(len(text)))
        length = len(text) + len(str(length))
        out.append(str(length).encode() + text)
    return b"".join(out)


def _member(name: str, data: bytes = b"") -> bytes:
    return bytes(_gnu(name, len(data))) + _pad(data)


END = bytes(1024)


def ours(data: bytes, chunk: int = MiB) -> list[TarMember]:
    return list(TarScanner(io.BytesIO(data), "t", chunk=chunk))


def theirs(data: bytes) -> list[str] | str:
    """tarfile's member names, or the name of what it raised."""
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            return [m.name for m in tar]
    except (tarfile.TarError, RecursionError) as exc:
        return type(exc).__name__


def refused(data: bytes, text: str, chunk: int = MiB) -> str:
    """Assert the exact one-line error, for every buffer size."""
    for size in (512, 4096, chunk):
        with pytest.raises(SourceError) as info:
            ours(data, size)
        message = str(info.value)
        assert message == text, f"chunk {size}"
        assert "\n" not in message
    return message


def peak_of(run: Callable[[], object]) -> int:
    """Peak bytes Python allocated while ``run`` ran (the inputs are allocated before)."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        try:
            run()
        except SourceError:
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# --- extension headers over the 1 MiB cap ---------------------------------------------------


@pytest.mark.parametrize("kind", [tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK,
                                  tarfile.XHDTYPE, tarfile.XGLTYPE, b"X"],
                         ids=["L", "K", "x", "g", "X"])
def test_extension_headers_over_one_mib_are_refused_before_their_body_is_read(kind: bytes) -> None:
    # 1 MiB + 1 declared, only 512 bytes of it present: refused on the header alone (Go:
    # ErrFieldTooLong; tarfile has no cap and would read the whole body).
    header = _gnu("././@LongLink", MiB + 1, kind)
    data = _member("first", b"x") + bytes(header) + bytes(512)
    refused(data, "t: unreadable layer tar (extension header of 1048577 bytes at byte 1024)")
    # Exactly 1 MiB is still read.
    body = b"a" * (MiB - 1) + b"\0"
    if kind in (tarfile.XHDTYPE, tarfile.XGLTYPE, b"X"):
        body = _pax({"comment": "c" * (MiB - 30)})[512:]
        body = body[:int(body.split(b" ", 1)[0])]
        assert len(body) <= MiB
    ok = bytes(_gnu("././@LongLink", len(body), kind)) + _pad(body) + _member("after", b"y") + END
    names = [m.name for m in ours(ok)]
    assert len(names) == 1 and names[0] in ("after", "a" * (MiB - 1))


@pytest.mark.parametrize("kind", [tarfile.GNUTYPE_LONGNAME, tarfile.XHDTYPE],
                         ids=["L", "x"])
def test_a_huge_declared_extension_size_allocates_nothing(kind: bytes) -> None:
    header = _gnu("././@LongLink", 0, kind)
    header[124:136] = _base256(1 << 62)
    data = bytes(_seal(header)) + bytes(512)
    refused(data, "t: unreadable layer tar (extension header of 4611686018427387904 bytes at byte 0)")
    assert peak_of(lambda: ours(data)) < 2 * MiB


# --- members declaring huge sizes -------------------------------------------------------------


def test_a_member_of_two_to_the_62_bytes_is_skipped_by_reading_not_allocated() -> None:
    header = _gnu("huge")
    header[124:136] = _base256(1 << 62)
    data = _seal(header) + b"z" * 3000
    refused(data, "t: truncated layer (unexpected end of data at byte 3512)")
    assert peak_of(lambda: ours(data)) < 3 * MiB
    # Read as a stream (what the docker-save reader does with a layer member): bounded reads.
    tar = TarScanner(io.BytesIO(data), "t")
    member = next(tar)
    assert member.size == member.stored == 1 << 62
    assert peak_of(lambda: tar.read()) < 3 * MiB

    # Seek mode (the archive index): refused against the file's size, nothing read or sought past it.
    class NoRead(io.BytesIO):
        def seek(self, offset: int, whence: int = 0) -> int:
            assert offset < len(data)
            return super().seek(offset, whence)

    with pytest.raises(SourceError, match=r"^t: truncated layer \(unexpected end of data at byte 3512\)$"):
        list(TarScanner(NoRead(data), "t", size=len(data), chunk=8192))
    # tarfile seeks past the end and then refuses the archive too.
    assert theirs(data + END) == "ReadError"


def test_a_pax_size_of_two_to_the_62_and_one_over_int64() -> None:
    data = _pax({"size": str(1 << 62)}) + _member("big", b"abc")
    refused(data, "t: truncated layer (unexpected end of data at byte 2048)")
    assert peak_of(lambda: ours(data)) < 3 * MiB
    over = _pax({"size": str(1 << 63)}) + _member("big", b"abc") + END
    refused(over, "t: unreadable layer tar (bad pax number '9223372036854775808' at byte 1024)")
    # A megabyte of digits is refused before int() (Python would refuse over 4300 digits
    # with a message of its own).
    digits = _pax({"uid": "9" * (MiB - 64)}) + _member("m") + END
    assert refused(digits, f"t: unreadable layer tar (bad pax number '{'9' * 20}' at byte {len(digits) - 1536})")


def test_base_256_over_int64_and_negative_numbers_are_refused() -> None:
    # Go refuses base-256 numbers over int64 (ErrHeader) and a negative size; a negative id it
    # would take, but nothing real writes one: refused here, as are all negative fields.
    for field, at in (("size", slice(124, 136)), ("uid", slice(108, 116)), ("mode", slice(100, 108))):
        header = _gnu(field)
        header[at] = _base256(-1, at.stop - at.start)
        data = _member("ok", b"1") + _seal(header) + END
        refused(data, "t: unreadable layer tar (negative number at byte 1024)")
        assert theirs(data) == ["ok", field] or field == "size"  # tarfile takes -1 as it is
    header = _gnu("big")
    header[124:136] = bytes((0x80,)) + bytes((0x80,)) + bytes(10)  # 2**87
    refused(_seal(header) + END, "t: unreadable layer tar (number out of range at byte 0)")


@pytest.mark.parametrize(("field", "tarfile_reads"),
                         [(b"12abc\0\0\0\0\0\0\0", ["first"]), (b"00000000009\0", ["first"]),
                          (b"0x1f\0\0\0\0\0\0\0\0", ["first"]), (b"0000 000001\0", ["first"]),
                          (b"-0000000001\0", ["first", "bad"])],
                         ids=["letters", "nine", "hex", "inner-space", "minus"])
def test_a_size_field_that_is_not_an_octal_number(field: bytes, tarfile_reads: list[str]) -> None:
    header = _gnu("bad")
    header[124:136] = field
    data = _member("first", b"1") + _seal(header) + END
    refused(data, "t: unreadable layer tar (bad number at byte 1024)")
    # tarfile takes a bad header after the first for the end of the archive ("bad" vanishes),
    # except "-1", which int() takes (a size of -1).  Go's ParseUint refuses all of them.
    assert theirs(data) == tarfile_reads


def test_octal_fields_are_read_as_go_reads_them() -> None:
    # Spaces and NULs around the digits, and anything after a NUL inside, are ignored.
    header = _gnu("odd")
    header[124:136] = b" 5\0garbage\0 "
    [member] = ours(_seal(header) + _pad(b"12345") + END)
    assert member.size == 5


# --- sparse maps --------------------------------------------------------------------------------


def _old_gnu_sparse(name: str, entries: list[tuple[int, int]], real: int, stored: bytes,
                    extension_blocks: int | None = None) -> bytes:
    """An old GNU sparse member: four entries in the header, 21 per extension block."""
    header = _gnu(name, len(stored))
    header[156:157] = b"S"
    for i, (offset, length) in enumerate(entries[:4]):
        header[386 + 24 * i:398 + 24 * i] = b"%011o\0" % offset
        header[398 + 24 * i:410 + 24 * i] = b"%011o\0" % length
    rest = entries[4:]
    blocks = []
    while rest:
        block = bytearray(512)
        for i, (offset, length) in enumerate(rest[:21]):
            block[24 * i:24 * i + 12] = b"%011o\0" % offset
            block[24 * i + 12:24 * i + 24] = b"%011o\0" % length
        rest = rest[21:]
        block[504] = 1 if rest else 0
        blocks.append(bytes(block))
    header[482] = 1 if blocks else 0
    header[483:495] = b"%011o\0" % real
    return _seal(header) + b"".join(blocks) + _pad(stored)


def test_a_sparse_map_of_tens_of_thousands_of_entries_is_listed_not_kept() -> None:
    # 2,000 extension blocks (42,004 entries, just under 1 MiB of blocks): the member is
    # listed, its map (over SPARSE_MAP_LIMIT) is not kept, and memory stays bounded.
    entries = [(i * 2, 1) for i in range(4 + 21 * 2000)]
    data = _old_gnu_sparse("many", entries, len(entries) * 2, b"x" * len(entries)) + END
    [member] = ours(data)
    assert member.sparse == () and member.size == len(entries) * 2
    assert peak_of(lambda: ours(data)) < 4 * MiB
    assert theirs(data) == ["many"]


def test_old_gnu_sparse_extension_blocks_over_one_mib_are_refused() -> None:
    # Go stops at 1 MiB of them (errSparseTooLong); an endless chain would otherwise be read
    # to the end of the stream.
    entries = [(i * 2, 1) for i in range(4 + 21 * 2100)]
    data = _member("first") + _old_gnu_sparse("endless", entries, len(entries) * 2, b"") + END
    refused(data, "t: unreadable layer tar (a sparse map of more than 1 MiB at byte 512)")


def test_pax_sparse_maps_with_a_million_numbers_are_bounded() -> None:
    numbers = ",".join(["1"] * 500_000)     # PAX 0.1: a 1 MiB map of 500,000 numbers
    data = (_pax({"GNU.sparse.major": "0", "GNU.sparse.minor": "1", "GNU.sparse.name": "big",
                  "GNU.sparse.realsize": "10", "GNU.sparse.map": numbers}) + _member("s") + END)
    [member] = ours(data)
    assert (member.name, member.size, member.sparse) == ("big", 10, ())
    assert peak_of(lambda: ours(data)) < 8 * MiB
    # PAX 0.0: 40,000 offset/numbytes records in one header.
    records = _records([("GNU.sparse.size", "10")]
                       + [("GNU.sparse.offset", "0"), ("GNU.sparse.numbytes", "0")] * 20_000)
    old = _pax(records) + _member("s0") + END
    assert len(records) < MiB
    [member] = ours(old)
    assert member.sparse == () and member.size == 10
    assert SPARSE_MAP_LIMIT < 20_000


def test_a_pax_size_before_an_old_gnu_sparse_member_sizes_its_data_not_the_file() -> None:
    # Go: mergePAX sets the size, the data section is read with it, then the old GNU map sets
    # the real size.
    sparse = _old_gnu_sparse("s", [(0, 5), (30, 5)], 40, b"01234abcde")
    data = _pax({"size": "10"}) + sparse + END
    tar = TarScanner(io.BytesIO(data), "t")
    member = next(tar)
    assert (member.size, member.stored) == (40, 10)
    assert tar.read_data(member, 100) == b"01234" + bytes(25) + b"abcde" + bytes(5)


def test_a_kept_sparse_map_outside_the_file_is_refused_as_go_refuses_it() -> None:
    # validateSparseEntries: chunks in order, not overlapping, inside the real size.
    for entries, real in (([(0, 10), (100, 10)], 50),     # past the end
                          ([(20, 5), (10, 5)], 50),       # out of order
                          ([(0, 10), (5, 10)], 50)):      # overlapping
        data = _member("first") + _old_gnu_sparse("s", entries, real, b"q" * 20) + END
        refused(data, f"t: unreadable layer tar (sparse map outside the file's {real} bytes at byte 512)")
        pax = (_pax({"GNU.sparse.major": "0", "GNU.sparse.minor": "1", "GNU.sparse.name": "p",
                     "GNU.sparse.realsize": str(real),
                     "GNU.sparse.map": ",".join(f"{o},{n}" for o, n in entries)})
               + _member("p", b"q" * 20) + END)
        refused(pax, f"t: unreadable layer tar (sparse map outside the file's {real} bytes at byte 1024)")


def _wanted(data: bytes, limit: int = 1 << 16) -> bytes | None:
    tar = TarScanner(io.BytesIO(data), "t")
    member = next(tar)
    return tar.read_data(member, limit)


def test_a_wanted_sparse_file_whose_map_and_data_disagree() -> None:
    # The map says 20 bytes are stored, the member holds 10 (and the other way round): Go
    # fails the read (errMissData, errUnrefData), and so Docker's unpack; refused here too.
    short = _old_gnu_sparse("s", [(0, 10), (30, 10)], 40, b"0123456789") + END
    with pytest.raises(SourceError, match=r"^t: unreadable layer tar \(sparse map does not match "
                                          r"the member's data at byte 512\)$"):
        _wanted(short)
    extra = _old_gnu_sparse("s", [(0, 5)], 40, b"0123456789") + END
    with pytest.raises(SourceError, match="sparse map does not match the member's data"):
        _wanted(extra)
    # A consistent one is rebuilt: holes are zeros, the size is the real size.
    good = _old_gnu_sparse("s", [(0, 5), (30, 5)], 40, b"01234abcde") + END
    assert _wanted(good) == b"01234" + bytes(25) + b"abcde" + bytes(5)


def _v1(map_lines: bytes, stored_data: bytes, real: int) -> bytes:
    body = _pad(map_lines) + stored_data
    return (_pax({"GNU.sparse.major": "1", "GNU.sparse.minor": "0", "GNU.sparse.name": "v1",
                  "GNU.sparse.realsize": str(real)})
            + _member("GNUSparseFile.0/v1", body) + END)


def test_a_wanted_pax_1_0_sparse_file_with_a_bad_map_is_refused() -> None:
    assert _wanted(_v1(b"2\n0\n3\n10\n3\n", b"abcxyz", 16)) == b"abc" + bytes(7) + b"xyz" + bytes(3)
    for lines, why in ((b"1\n-5\n3\n", "bad sparse map"),           # int() would take the sign
                       (b"1\n 5\n3\n", "bad sparse map"),
                       (b"1\n5_0\n3\n", "bad sparse map"),
                       (b"3\n0\n3\n", "bad sparse map"),            # fewer lines than it says
                       (b"1\n15\n3\n", "sparse map outside the file's 16 bytes")):
        with pytest.raises(SourceError, match=rf"^t: unreadable layer tar \({why} at byte 1536\)$"):
            _wanted(_v1(lines, b"abc", 16))
    # A map too long to keep is not rebuilt (None: not read), never refused for its length.
    long_map = b"%d\n" % (SPARSE_MAP_LIMIT + 1) + b"0\n0\n" * (SPARSE_MAP_LIMIT + 1)
    assert _wanted(_v1(long_map, b"", 16), limit=1 << 20) is None
    assert _wanted(_v1(b"99999999999\n0\n3\n", b"abc", 16)) is None   # a count alone, as long


# --- chains of extension headers ----------------------------------------------------------------


def test_thousands_of_long_name_headers_without_a_member_end_in_one_line() -> None:
    chain = b"".join(_long_name(f"n{i}") for i in range(5000))
    refused(chain, "t: truncated layer (an extension header names no member at byte 5120000)")
    # tarfile recurses once per extension header and overflows the stack.
    assert theirs(chain) == "RecursionError"
    # With a member after them: the last one names it (Go keeps the last long name).
    [member] = ours(chain + _member("short") + END)
    assert member.name == "n4999"


def test_a_chain_of_pax_headers_holds_one_header_in_memory() -> None:
    # 48 headers of 256 KiB of distinct records each (12 MiB): each replaces the one before,
    # as Go (paxHdrs = parsePAX(...)) and tarfile read them, so a chain costs one header.
    headers = [_pax({f"k{j}.{i}": "v" * 1000 for i in range(250)}) for j in range(48)]
    last = _pax({"path": "from-the-last", "uid": "7"})
    data = b"".join(headers) + last + _member("m") + END
    assert len(data) > 11 * MiB
    [member] = ours(data)
    assert (member.name, member.uid) == ("from-the-last", 7)
    assert peak_of(lambda: ours(data)) < 6 * MiB
    # Records do not carry over: a path in an earlier x header is dropped by a later one.
    dropped = _pax({"path": "dropped"}) + _pax({"uid": "5"}) + _member("kept") + END
    assert [(m.name, m.uid) for m in ours(dropped)] == [("kept", 5)]
    # tarfile differs: each x header applies its records after the later ones, so the first wins.
    assert theirs(dropped) == ["dropped"]


def test_a_global_header_ends_a_chain() -> None:
    # Go returns a g header as a member of its own (Docker's unpacker skips it): the long name
    # before it names nothing, and the member after it keeps its own name.
    data = _long_name("lost") + _pax({"path": "global"}, tarfile.XGLTYPE) + _member("own") + END
    assert [m.name for m in ours(data)] == ["own"]


def test_an_empty_pax_value_keeps_the_header_field() -> None:
    # Go's mergePAX skips empty values; a long name still overrides the header.
    data = _pax({"path": "", "uid": ""}) + _member("header-name") + END
    [member] = ours(data)
    assert (member.name, member.uid) == ("header-name", 0)


# --- truncation in every state ----------------------------------------------------------------


def _layout() -> tuple[bytes, list[tuple[int, int, str]]]:
    """An archive of every header kind, and its regions: (start, end, kind)."""
    regions: list[tuple[int, int, str]] = []
    parts: list[bytes] = []
    at = 0

    def add(data: bytes, *kinds: tuple[int, str]) -> None:
        nonlocal at
        offset = at
        for length, kind in kinds:
            regions.append((offset, offset + length, kind))
            offset += length
        assert offset == at + len(data)
        parts.append(data)
        at += len(data)

    add(_member("plain", b"p" * 700), (512, "header"), (700, "body"), (324, "padding"))
    add(_long_name("long/" + "l" * 200), (512, "extension header"), (512, "extension body"))
    add(_member("named", b"n" * 3), (512, "header"), (3, "body"), (509, "padding"))
    pax = _pax({"path": "pax-named", "comment": "c" * 20})
    add(pax, (512, "extension header"), (len(pax) - 512, "extension body"))
    add(_member("x", b"12345"), (512, "header"), (5, "body"), (507, "padding"))
    sparse = _old_gnu_sparse("sparse", [(i * 10, 2) for i in range(6)], 60, b"s" * 12)
    add(sparse, (512, "header"), (512, "sparse extension"), (12, "body"), (500, "padding"))
    add(END, (512, "end"), (512, "end"))
    return b"".join(parts), regions


def test_a_stream_cut_at_every_byte_ends_or_is_refused_as_go_would() -> None:
    data, regions = _layout()
    full = [m.name for m in ours(data)]
    assert full == ["plain", "long/" + "l" * 200, "pax-named", "sparse"]
    members_before = {0: 0}
    for start, end, kind in regions:
        if kind == "header":
            members_before[end] = 0
    seen: set[str] = set()
    for cut in range(0, len(data), 1):
        kind = next(k for s, e, k in regions if s <= cut < e)
        start = next(s for s, e, k in regions if s <= cut < e)
        stream = data[:cut]
        try:
            names = [m.name for m in ours(stream, chunk=700)]
        except SourceError as exc:
            message = str(exc)
            assert "\n" not in message and message.startswith("t: ")
            where = int(re.search(r"at byte (\d+)\)$", message).group(1))  # type: ignore[union-attr]
            assert where <= cut
            seen.add(kind)
            if kind in ("header", "extension header"):
                # At a header boundary only when an extension header came before (Go would
                # end there, quietly dropping it; refused here); inside a header, always.
                dangling = cut == start and any(e == cut and k == "extension body"
                                                for s, e, k in regions)
                assert cut > start or dangling, f"cut {cut} at a header boundary must end cleanly"
                expected = (f"t: truncated layer (truncated header at byte {start})" if cut > start
                            else f"t: truncated layer (an extension header names no member at byte {cut})")
                assert message == expected, cut
            elif kind in ("body", "extension body", "sparse extension"):
                assert message.startswith("t: truncated layer ("), (cut, message)
            elif kind == "end":
                # Part of a zero block: Go's ReadFull fails too (ErrUnexpectedEOF).
                assert cut > start and message in (
                    f"t: truncated layer (truncated header at byte {start})",
                    f"t: unreadable layer tar (a zero block followed by data at byte {start - 512})"), cut
            else:
                raise AssertionError(f"cut {cut} in {kind} refused: {message}")
            continue
        # A clean end: only at a header boundary, in a member's padding or in the end marker.
        assert kind in ("header", "extension header", "padding", "end"), (cut, kind, names)
        if kind in ("header", "extension header", "end"):
            assert cut == start, cut
        assert names == full[:len(names)]
        if kind == "padding":
            assert names and names[-1] in full  # the member whose padding was cut is listed
    assert seen >= {"header", "body", "extension header", "extension body", "sparse extension"}


def test_truncation_in_padding_is_the_end_for_go_but_not_for_tarfile() -> None:
    data = _member("a", b"abc") + _member("b", b"def") + END
    cut = data[:512 + 3 + 100]   # inside a's padding
    assert [m.name for m in ours(cut)] == ["a"]
    assert theirs(cut) == "ReadError"   # tarfile: "unexpected end of data"
    # In the body it is truncation for all three readers.
    refused(data[:512 + 2], "t: truncated layer (unexpected end of data at byte 514)")
    assert theirs(data[:512 + 2]) == "ReadError"


def test_truncation_in_seek_mode(tmp_path: Path) -> None:
    data, regions = _layout()
    body = next(s for s, e, k in regions if k == "body")
    padding = next(s for s, e, k in regions if k == "padding")
    path = tmp_path / "a.tar"
    path.write_bytes(data[:body + 100])
    with path.open("rb") as handle:
        with pytest.raises(SourceError, match=r"^a: truncated layer \(unexpected end of data at byte 612\)$"):
            list(TarScanner(handle, "a", size=body + 100, chunk=8192))
    path.write_bytes(data[:padding + 10])
    with path.open("rb") as handle:
        assert [m.name for m in TarScanner(handle, "a", size=padding + 10, chunk=8192)] == ["plain"]


def test_a_zero_block_then_a_partial_block() -> None:
    data = _member("a", b"abc") + bytes(512) + bytes(100)
    refused(data, "t: unreadable layer tar (a zero block followed by data at byte 1024)")
