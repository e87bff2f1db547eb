"""A sequential tar header parser: ``struct`` over large buffered reads, bodies skipped by reading on.

The standard library's ``tarfile`` spends most of a layer scan building ``TarInfo`` objects
(``frombuf``, ``nts``, ``nti``: 512-byte reads, one Python call per field).  A layer of
40,000 files is mostly headers, so this module parses them directly out of 1 MiB buffers.

What it reads (the formats Docker's Go ``archive/tar`` reads, with its meaning):

* v7, ustar (``prefix`` joined to ``name`` only with the POSIX magic ``ustar\\0``) and old
  GNU headers; octal or base-256 numbers; a header whose checksum matches neither the
  unsigned nor the signed sum is refused;
* GNU long names and link names (``L``, ``K``) and PAX extended headers (``x``, and
  ``X`` as tarfile and GNU tar read it): ``path``, ``linkpath``, ``size``, ``uid``, ``gid``
  and the ``GNU.sparse.*`` keys, applied in Go's order: the header's own field, then a
  (non-empty) PAX value, then a GNU long name, then ``GNU.sparse.name``; each ``x`` header
  replaces the records of an earlier one (as Go and tarfile read a chain of them), so a
  chain of extension headers holds at most one of each in memory;
* PAX global headers (``g``) are read, checked and then ignored, as Docker and containerd
  ignore them when they unpack a layer (``tarfile`` would apply them to every later member);
  Go returns one as a member of its own, so it ends a chain: extension headers before it
  are dropped;
* GNU sparse members (``S`` with its extension blocks, PAX sparse 0.0, 0.1 and 1.0): the
  member's size is the file's real size, the stored bytes are skipped, and the sparse map
  is kept (when small) so that a wanted file's content can be rebuilt;
* the end: two zero blocks (or the end of the stream at a header boundary or inside the
  last member's padding, as Go and tarfile accept).  A zero block followed by anything
  else, a truncated header or body, a malformed number (octal digits only; at most
  2**63 - 1, Go's int64) or PAX record, an old GNU sparse map of more than 1 MiB of
  extension blocks, or a kept sparse map that is not sorted inside the file's size (Go's
  ``validateSparseEntries``) are errors: ``SourceError`` with the byte offset.

Nothing is ever allocated from a declared size: bodies are skipped by reading forward in
bounded chunks (hashing readers below see every byte), and the bodies this parser keeps
(long names, PAX records, a wanted file) are capped.
"""

from __future__ import annotations

import struct
import zlib
from typing import NamedTuple

from pylint_image.linter.errors import SourceError
from pylint_image.linter.oci.hashio import CHUNK, Reader

BLOCK = 512
ZERO_BLOCK = bytes(BLOCK)
# Long names, long links and PAX records above this size are refused (Go's archive/tar has
# the same 1 MiB cap); nothing of that size is legitimate.
SPECIAL_LIMIT = 1 << 20
# Sparse maps longer than this are not kept (the member is still listed; only a wanted
# file's content needs the map, and such a file is small).
SPARSE_MAP_LIMIT = 4096
# Numbers above Go's int64 are refused, as Go refuses them.
_MAX_INT64 = (1 << 63) - 1
# One read straight from the stream never asks for more than this, whatever a member declares.
_READ_CAP = 1 << 24

# Type flags, as ints (a header's byte 156).
REG, AREG, LNK, SYM, CHR, BLK, DIR, FIFO, CONT = b"0\x00123456" b"7"
GNU_LONGNAME, GNU_LONGLINK, GNU_SPARSE = b"LKS"
PAX_LOCAL, PAX_GLOBAL, SOLARIS_PAX = b"xgX"
# Regular files (GNU sparse members are files too, but their data is not the file's bytes).
REGULAR = frozenset((REG, AREG, CONT))
# Types with no data after the header whatever their size field says (Go and tarfile agree).
HEADER_ONLY = frozenset((LNK, SYM, CHR, BLK, DIR, FIFO))

# name, mode, uid, gid, size, (mtime skipped), chksum, typeflag, linkname, magic+version
_HEADER = struct.Struct("100s8s8s8s12s12x8sB100s8s")
_POSIX_MAGIC = b"ustar\x0000"
_MAX_SUM = 255 * BLOCK
# Types the inline path of TarScanner.next handles (devices and v7 directories go the long way).
_PLAIN = frozenset((REG, AREG, CONT, LNK, SYM, DIR, FIFO))


def _cached_number(field: bytes) -> int | None:
    """Parse a numeric field for the inline path and remember it; None when malformed."""
    try:
        value = _number(field)
    except ValueError:
        return None
    if len(_NUMBERS) > 65536:
        _NUMBERS.clear()
    _NUMBERS[field] = value
    return value


# Numeric fields already parsed: modes, ids and sizes repeat across a layer's headers.
_NUMBERS: dict[bytes, int] = {}
# chksum field -> the byte sum of the header it promises (-1: not a number).
_SUMS: dict[bytes, int] = {}


def _checksum_total(field: bytes) -> int:
    try:
        total = _number(field) - 256 + sum(field)
    except ValueError:
        total = -1
    if len(_SUMS) > 65536:
        _SUMS.clear()
    _SUMS[field] = total
    return total


class TarMember(NamedTuple):
    """One member as a tar reader sees it once every extension header is applied.

    ``size`` is the file's size (a sparse file's real size); ``stored`` is the number of
    data bytes that follow the header in the archive (0 for header-only types).  ``sparse``
    is None for an ordinary member, else the sparse map as (offset, length) pairs (empty
    when the map was too long to keep or lies inside the data, PAX sparse 1.0).
    """

    name: str
    type: int
    mode: int
    uid: int
    gid: int
    size: int
    linkname: str
    devmajor: int
    devminor: int
    stored: int
    offset: int
    sparse: tuple[tuple[int, int], ...] | None = None
    sparse_v1: bool = False


# tuple.__new__ straight away: NamedTuple's own __new__ is one more Python call per member.
_new_member = tuple.__new__


class TarScanner:
    """Iterate a tar stream's members; read or skip each member's data.

    ``labels`` are the words of the two errors: a stream that ends early, and one that is
    not a valid tar.  ``head`` is bytes already read from ``raw`` (sniffing).  ``size``,
    with a seekable ``raw``, makes skipped bodies seeks instead of reads (an archive on
    disk whose index is all that is wanted), checked against the file's size.
    """

    def __init__(self, raw: Reader, name: str, *,
                 labels: tuple[str, str] = ("truncated layer", "unreadable layer tar"),
                 head: bytes = b"", size: int | None = None, chunk: int = CHUNK) -> None:
        self._raw = raw
        self.name = name
        self._labels = labels
        self._buf = head
        self._pos = 0
        self._base = 0          # stream offset of _buf[0]
        self._left = 0          # data bytes of the current member not yet consumed
        self._pad = 0           # padding after the current member's data
        self._seek_size = size
        self._chunk = chunk
        self.done = False

    # -- errors -------------------------------------------------------------------------

    def truncated(self, what: str = "unexpected end of data", at: int | None = None) -> SourceError:
        """The error for a stream that ends inside a header or a body."""
        where = self.tell() if at is None else at
        return SourceError(f"{self.name}: {self._labels[0]} ({what} at byte {where})")

    def unreadable(self, what: str, at: int | None = None) -> SourceError:
        """The error for bytes that are not a valid tar."""
        where = self.tell() if at is None else at
        return SourceError(f"{self.name}: {self._labels[1]} ({what} at byte {where})")

    def tell(self) -> int:
        """Bytes of the stream consumed so far."""
        return self._base + self._pos

    # -- buffer -------------------------------------------------------------------------

    def _fill(self, need: int) -> int:
        """Make ``need`` bytes available at ``_pos`` if the stream has them; return how many are."""
        buf, pos = self._buf, self._pos
        avail = len(buf) - pos
        if avail >= need:
            return avail
        parts = [buf[pos:]] if avail else []
        self._base += pos
        while avail < need:
            data = self._raw.read(max(self._chunk, need - avail))
            if not data:
                break
            parts.append(data)
            avail += len(data)
        self._buf = parts[0] if len(parts) == 1 else b"".join(parts)
        self._pos = 0
        return avail

    def _skip(self, count: int) -> None:
        """Consume ``count`` bytes, reading forward (or seeking) past the buffer."""
        avail = len(self._buf) - self._pos
        if count <= avail:
            self._pos += count
            return
        count -= avail
        self._base += len(self._buf)
        self._buf, self._pos = b"", 0
        if self._seek_size is not None:
            if self._base + count > self._seek_size:
                self._base = self._seek_size
                raise self.truncated()
            self._raw.seek(count, 1)  # type: ignore[attr-defined]
            self._base += count
            return
        read = self._raw.read
        chunk = self._chunk
        while count > 0:
            data = read(chunk)
            if not data:
                raise self.truncated()
            if len(data) > count:
                self._buf, self._pos = data, count
                return
            count -= len(data)
            self._base += len(data)

    def _skip_padding(self, pad: int) -> bool:
        """Consume a member's padding; False when the stream ends inside it.

        Go's reader (``tryReadFull`` of the padding) and tarfile both take that for the end
        of the archive: the member's data is all there.
        """
        if not pad:
            return True
        if self._fill(pad) < pad:
            self._pos = len(self._buf)
            return False
        self._pos += pad
        return True

    def _take(self, count: int) -> bytes:
        """Read exactly ``count`` bytes (a small body: the caller caps ``count``)."""
        if self._fill(count) < count:
            self._pos = len(self._buf)
            raise self.truncated()
        pos = self._pos
        self._pos = pos + count
        return self._buf[pos:pos + count]

    # -- data of the current member -----------------------------------------------------

    def read(self, size: int = -1, /) -> bytes:
        """Up to ``size`` bytes of the current member's data (a Reader over it); b"" at its end."""
        left = self._left
        if left <= 0:
            return b""
        if size < 0 or size > left:
            size = left
        avail = len(self._buf) - self._pos
        if avail:
            n = min(size, avail)
            pos = self._pos
            self._pos = pos + n
            self._left = left - n
            return self._buf[pos:pos + n]
        self._base += self._pos
        self._buf, self._pos = b"", 0
        if size >= self._chunk or self._seek_size is not None:
            # Straight from the stream: never past this member's data.
            data = self._raw.read(min(size, _READ_CAP))
            self._base += len(data)
        else:
            self._fill(1)
            n = min(size, len(self._buf))
            data, self._pos = self._buf[:n], n
        if not data:
            raise self.truncated()
        self._left = left - len(data)
        return data

    def readable(self) -> bool:
        """Always True: the scanner reads the current member's data."""
        return True

    def read_data(self, member: TarMember, limit: int) -> bytes | None:
        """The content of ``member``, the one ``next`` just returned (a sparse file rebuilt).

        None when it is over ``limit`` bytes, or when some of its data was read already.
        """
        if member.stored > limit + (BLOCK * 8 if member.sparse_v1 else 0) or member.size > limit \
                or self._left != member.stored:
            return None
        data = self._take(member.stored)
        self._left = 0
        if member.sparse is None:
            return data
        sparse: tuple[tuple[int, int], ...] | None = member.sparse
        if member.sparse_v1:
            try:
                parsed = _sparse_v1_map(data)
            except ValueError:
                raise self.unreadable("bad sparse map", member.offset) from None
            if parsed is None:
                return None  # a map too long to keep
            sparse, data = parsed
            if not _sparse_valid(sparse, member.size):
                raise self.unreadable(f"sparse map outside the file's {member.size} bytes",
                                      member.offset)
        if not sparse:
            # A map too long to keep (or an empty one): only an empty file can be rebuilt.
            return None if data else bytes(member.size)
        # Go fails the read of such a member (errMissData, errUnrefData): so does Docker.
        if sum(length for _offset, length in sparse) != len(data):
            raise self.unreadable("sparse map does not match the member's data", member.offset)
        return _unsparse(data, sparse, member.size)

    # -- headers ------------------------------------------------------------------------

    def __iter__(self) -> TarScanner:
        return self

    def __next__(self) -> TarMember:
        member = self.next()
        if member is None:
            raise StopIteration
        return member

    def next(self) -> TarMember | None:
        """The next member (its data is skipped unless read first), or None at the end."""
        if self.done:
            return None
        buf, pos = self._buf, self._pos
        skip = self._left + self._pad
        if skip:
            pad = self._pad
            self._left = self._pad = 0
            if pos + skip <= len(buf):
                pos += skip
                self._pos = pos
            else:
                self._skip(skip - pad)
                if not self._skip_padding(pad):
                    self.done = True
                    return None
                buf, pos = self._buf, self._pos
        if len(buf) - pos >= BLOCK:
            # The common case inline (one ustar or GNU header, no extension header before
            # it): a layer is mostly headers, so every call saved here counts 40,000 times.
            (name, mode, uid, gid, size, chksum, typ, link,
             magic) = _HEADER.unpack_from(buf, pos)
            if typ in _PLAIN and not (magic == _POSIX_MAGIC and buf[pos + 345]):
                block = buf[pos:pos + BLOCK]
                total = _SUMS.get(chksum)
                if total is None:
                    total = _checksum_total(chksum)
                if (total % 255 == int.from_bytes(block, "little") % 255
                        and (total + 1) % 65521 == zlib.adler32(block) & 0xFFFF
                        and 0 <= total <= _MAX_SUM):
                    numbers = _NUMBERS
                    size_n = numbers.get(size)
                    if size_n is None:
                        size_n = _cached_number(size)
                    mode_n = numbers.get(mode)
                    if mode_n is None:
                        mode_n = _cached_number(mode)
                    uid_n = numbers.get(uid)
                    if uid_n is None:
                        uid_n = _cached_number(uid)
                    gid_n = numbers.get(gid)
                    if gid_n is None:
                        gid_n = _cached_number(gid)
                    if size_n is not None and mode_n is not None and uid_n is not None \
                            and gid_n is not None:
                        cut = name.find(b"\0")
                        if cut >= 0:
                            name = name[:cut]
                        text = name.decode("utf-8", "surrogateescape")
                        if link[0]:
                            cut = link.find(b"\0")
                            link_s = (link if cut < 0 else link[:cut]).decode(
                                "utf-8", "surrogateescape")
                        else:
                            link_s = ""
                        if typ in HEADER_ONLY:
                            if typ == DIR:
                                text = text.rstrip("/")
                            stored = 0
                            if typ == CHR or typ == BLK:
                                self._pos = pos
                                return self._slow()
                        else:
                            if typ == AREG and text.endswith("/"):
                                self._pos = pos
                                return self._slow()
                            stored = size_n
                            self._left = stored
                            self._pad = -stored % BLOCK
                        self._pos = pos = pos + BLOCK
                        return _new_member(TarMember, (text, typ, mode_n, uid_n, gid_n, size_n,
                                                       link_s, 0, 0, stored, self._base + pos,
                                                       None, False))
        return self._slow()

    def _slow(self) -> TarMember | None:
        """Any header sequence: extension headers, sparse files, devices, the end, errors."""
        long_name: str | None = None
        long_link: str | None = None
        pax: dict[str, str] | None = None
        sparse_pairs: list[int] | None = None
        while True:
            start = self.tell()
            if len(self._buf) - self._pos < BLOCK:
                avail = self._fill(BLOCK)
                if avail == 0:
                    if long_name is not None or long_link is not None or pax is not None:
                        raise self.truncated("an extension header names no member")
                    self.done = True
                    return None
                if avail < BLOCK:
                    self._pos = len(self._buf)
                    raise self.truncated("truncated header", start)
            buf, pos = self._buf, self._pos
            (name, mode, uid, gid, size, chksum, typ, link,
             magic) = _HEADER.unpack_from(buf, pos)
            self._pos = pos + BLOCK
            if chksum == b"\0\0\0\0\0\0\0\0" and buf[pos:pos + BLOCK] == ZERO_BLOCK:
                if long_name is not None or long_link is not None or pax is not None:
                    raise self.unreadable("end of archive after an extension header", start)
                self._end(start)
                return None
            if not _checksum_ok(buf, pos, chksum):
                raise self.unreadable("bad header checksum", start)
            try:
                size_n = _number(size)
                stored = 0 if typ in HEADER_ONLY else size_n
                if typ == GNU_LONGNAME or typ == GNU_LONGLINK:
                    body = self._special(stored, start)
                    text = _text(body.split(b"\0", 1)[0])
                    if typ == GNU_LONGNAME:
                        long_name = text
                    else:
                        long_link = text
                    continue
                if typ == PAX_LOCAL or typ == SOLARIS_PAX or typ == PAX_GLOBAL:
                    records = _pax_records(self._special(stored, start))
                    if records is None:
                        raise self.unreadable("bad pax record", start)
                    if typ == PAX_GLOBAL:
                        # Read and checked, then ignored (Docker ignores it too).  Go returns
                        # it as a member of its own: the extension headers before it are lost.
                        long_name = long_link = pax = sparse_pairs = None
                        continue
                    # Each x header replaces the one before (Go's paxHdrs, tarfile's
                    # recursion): a chain of them never holds more than one in memory.
                    pax, sparse_pairs = {}, None
                    for key, value in records:
                        if key == "GNU.sparse.offset" or key == "GNU.sparse.numbytes":
                            if sparse_pairs is None:
                                sparse_pairs = []
                            number = _decimal(value)
                            if len(sparse_pairs) <= 2 * SPARSE_MAP_LIMIT:
                                sparse_pairs.append(number)  # longer: too long to keep
                        else:
                            pax[key] = value
                    continue
                return self._member(buf, pos, start, name, mode, uid, gid, size_n, stored,
                                    typ, link, magic, long_name, long_link, pax, sparse_pairs)
            except ValueError as exc:
                raise self.unreadable(str(exc) or "bad number", start) from None

    def _end(self, start: int) -> None:
        """A zero block was read: the next must be one too (or the stream may end there)."""
        avail = self._fill(BLOCK)
        if avail and (avail < BLOCK or self._buf[self._pos:self._pos + BLOCK] != ZERO_BLOCK):
            raise self.unreadable("a zero block followed by data", start)
        self._pos += min(avail, BLOCK)
        self.done = True
        return None

    def _special(self, stored: int, start: int) -> bytes:
        if stored > SPECIAL_LIMIT:
            raise self.unreadable(f"extension header of {stored} bytes", start)
        body = self._take(stored)
        self._skip(-stored % BLOCK)
        return body

    def _member(self, buf: bytes, pos: int, start: int, name_f: bytes, mode_f: bytes,
                uid_f: bytes, gid_f: bytes, size: int, stored: int, typ: int, link_f: bytes,
                magic: bytes, long_name: str | None, long_link: str | None,
                pax: dict[str, str] | None, sparse_pairs: list[int] | None) -> TarMember:
        cut = name_f.find(b"\0")
        name = _text(name_f if cut < 0 else name_f[:cut])
        if magic == _POSIX_MAGIC and buf[pos + 345]:
            prefix = buf[pos + 345:pos + 500]
            cut = prefix.find(b"\0")
            name = _text(prefix if cut < 0 else prefix[:cut]) + "/" + name
        if link_f[0]:
            cut = link_f.find(b"\0")
            link = _text(link_f if cut < 0 else link_f[:cut])
        else:
            link = ""
        uid, gid = _number(uid_f), _number(gid_f)
        sparse: tuple[tuple[int, int], ...] | None = None
        sparse_v1 = False
        if typ == GNU_SPARSE:
            sparse, size = self._gnu_sparse(buf, pos, start)
        # Go's order (mergePAX, then the GNU long names, then the sparse name); an empty PAX
        # value keeps the header's field, as Go keeps it.
        if pax is not None:
            if pax.get("path"):
                name = pax["path"]
            if pax.get("linkpath"):
                link = pax["linkpath"]
            if pax.get("uid"):
                uid = _decimal(pax["uid"])
            if pax.get("gid"):
                gid = _decimal(pax["gid"])
            if pax.get("size"):
                value = _decimal(pax["size"])
                stored = 0 if typ in HEADER_ONLY else value
                if typ != GNU_SPARSE:
                    size = value  # an old GNU sparse member keeps its real size (Go sets it last)
        if long_name:
            name = long_name
        if long_link:
            link = long_link
        if pax is not None:
            if pax.get("GNU.sparse.name"):
                name = pax["GNU.sparse.name"]
            real = pax.get("GNU.sparse.realsize", pax.get("GNU.sparse.size"))
            if real is not None or "GNU.sparse.map" in pax or "GNU.sparse.major" in pax:
                sparse, sparse_v1 = _pax_sparse(pax, sparse_pairs)
                if real is not None:
                    size = _decimal(real)
        elif sparse_pairs is not None:
            raise ValueError("sparse offsets outside a pax header")
        if sparse and not _sparse_valid(sparse, size):
            raise ValueError(f"sparse map outside the file's {size} bytes")
        if typ == AREG and name.endswith("/"):
            typ = DIR
        if typ == DIR:
            name = name.rstrip("/")
        devmajor = devminor = 0
        if typ == CHR or typ == BLK:
            devmajor = _number(buf[pos + 329:pos + 337])
            devminor = _number(buf[pos + 337:pos + 345])
        self._left = stored
        self._pad = -stored % BLOCK
        return TarMember(name, typ, _number(mode_f), uid, gid, size, link, devmajor, devminor,
                         stored, self.tell(), sparse, sparse_v1)

    def _gnu_sparse(self, buf: bytes, pos: int,
                    start: int) -> tuple[tuple[tuple[int, int], ...], int]:
        """An old GNU sparse header's map (with its extension blocks) and real size."""
        pairs: list[tuple[int, int]] = []
        _sparse_structs(buf, pos + 386, 4, pairs)
        extended = buf[pos + 482]
        real = _number(buf[pos + 483:pos + 495])
        blocks = 0
        while extended:
            # Bounded as Go bounds it (errSparseTooLong): 1 MiB of extension blocks at most.
            blocks += 1
            if blocks * BLOCK > SPECIAL_LIMIT:
                raise self.unreadable("a sparse map of more than 1 MiB", start)
            block = self._take(BLOCK)
            if len(pairs) <= SPARSE_MAP_LIMIT:
                _sparse_structs(block, 0, 21, pairs)
            extended = block[504]
        return (tuple(pairs) if len(pairs) <= SPARSE_MAP_LIMIT else ()), real


def _checksum_ok(buf: bytes, pos: int, field: bytes) -> bool:
    """True when ``field`` is the unsigned (or signed) sum of the header at ``pos``."""
    try:
        expected = _number(field)
    except ValueError:
        return False
    block = buf[pos:pos + BLOCK]
    # The header's byte sum, without a Python loop: it is at most 130560, so its residues
    # modulo 255 (256 == 1 mod 255) and 65521 (adler32's low half) determine it exactly.
    total = expected - 256 + sum(field)
    if 0 <= total <= _MAX_SUM and total % 255 == int.from_bytes(block, "little") % 255 \
            and (total + 1) % 65521 == zlib.adler32(block) & 0xFFFF:
        return True
    unsigned = 256 + sum(block) - sum(field)
    high = sum(1 for b in block[:148] + block[156:] if b >= 128)
    return expected in (unsigned, unsigned - 256 * high)


def _number(field: bytes) -> int:
    """A numeric header field: octal text (spaces and NULs around it) or GNU base-256."""
    first = field[0]
    if first & 0x80:
        if first & 0x40:
            raise ValueError("negative number")
        value = int.from_bytes(bytes((first & 0x7F,)) + field[1:], "big")
        if value > _MAX_INT64:
            raise ValueError("number out of range")
        return value
    text = field.strip(b" \0")
    if not text:
        return 0
    cut = text.find(b"\0")   # Go reads up to the first NUL
    if cut >= 0:
        text = text[:cut]
    if text.translate(None, b"01234567"):
        raise ValueError("bad number")
    return int(text, 8)


def _decimal(value: str) -> int:
    # 19 digits at most before int(): a 1 MiB run of digits is refused at once.
    if not value.isdigit() or not value.isascii() or len(value) > 19 or int(value) > _MAX_INT64:
        raise ValueError(f"bad pax number {value[:20]!r}")
    return int(value)


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def _pax_records(body: bytes) -> list[tuple[str, str]] | None:
    """``length key=value\\n`` records (None when malformed); trailing NULs are ignored."""
    out: list[tuple[str, str]] = []
    pos, end = 0, len(body)
    while pos < end:
        if body[pos] == 0 and not body[pos:].strip(b"\0"):
            break
        space = body.find(b" ", pos, pos + 21)
        digits = body[pos:space]
        if space < 0 or not digits.isdigit():
            return None
        length = int(digits)
        record = body[space + 1:pos + length]
        if length <= len(digits) + 1 or pos + length > end or not record.endswith(b"\n"):
            return None
        key, eq, value = record[:-1].partition(b"=")
        if not eq or not key:
            return None
        if b"\0" in value and key in (b"path", b"linkpath", b"GNU.sparse.name"):
            return None  # Go refuses these too: a NUL would cut the name short elsewhere
        out.append((_text(key), _text(value)))
        pos += length
    return out


def _sparse_structs(block: bytes, pos: int, count: int, pairs: list[tuple[int, int]]) -> None:
    for _ in range(count):
        offset, length = block[pos:pos + 12], block[pos + 12:pos + 24]
        if not offset[0]:
            break  # GNU tar's, BSD tar's and Go's end of the list
        pairs.append((_number(offset), _number(length)))
        pos += 24


def _pax_sparse(pax: dict[str, str],
                pairs: list[int] | None) -> tuple[tuple[tuple[int, int], ...], bool]:
    """The sparse map of PAX sparse 0.0 (offset/numbytes records), 0.1 (map) or 1.0 (in the data)."""
    if pax.get("GNU.sparse.major") == "1":
        return (), True
    numbers: list[int] = list(pairs or ())
    if "GNU.sparse.map" in pax:
        text = pax["GNU.sparse.map"]
        if text.count(",") >= 2 * SPARSE_MAP_LIMIT:
            return (), False  # too long to keep: not split into a list of a million numbers
        numbers = [_decimal(n) for n in text.split(",") if n]
    if len(numbers) % 2 or len(numbers) > 2 * SPARSE_MAP_LIMIT:
        return (), False
    return tuple(zip(numbers[::2], numbers[1::2])), False


def _sparse_v1_map(data: bytes) -> tuple[tuple[tuple[int, int], ...], bytes] | None:
    """PAX sparse 1.0: the map heads the data (decimal lines, padded to a block).

    None when it has more than SPARSE_MAP_LIMIT entries.  ValueError when it is malformed: a
    line that is not plain decimal digits (no sign, space or underscore, which ``int`` would
    take), or fewer lines than the count says.
    """
    lines = data.split(b"\n", 2 * SPARSE_MAP_LIMIT + 1)
    if len(lines) < 2 or not _plain(lines[0]):
        raise ValueError("bad sparse map")
    count = int(lines[0])
    if count > SPARSE_MAP_LIMIT:
        return None
    # Every number is a line of its own, ended by a newline (lines[-1] is what follows).
    fields = lines[1:1 + 2 * count]
    if len(lines) < 2 + 2 * count or not all(map(_plain, fields)):
        raise ValueError("bad sparse map")
    numbers = [int(x) for x in fields]
    used = sum(len(x) + 1 for x in lines[:1 + 2 * count])
    used += -used % BLOCK
    return tuple(zip(numbers[::2], numbers[1::2])), data[used:]


def _plain(line: bytes) -> bool:
    return line.isdigit() and len(line) <= 18


def _sparse_valid(sparse: tuple[tuple[int, int], ...], size: int) -> bool:
    """True when the map's chunks are in order, do not overlap and end inside ``size`` (Go's check)."""
    end = 0
    for offset, length in sparse:
        if offset < end or offset + length > size:
            return False
        end = offset + length
    return True


def _unsparse(data: bytes, sparse: tuple[tuple[int, int], ...], size: int) -> bytes:
    """Rebuild a sparse file of ``size`` bytes (holes are zeros) from its stored chunks."""
    out = bytearray(size)
    at = 0
    for offset, length in sparse:
        chunk = data[at:at + length]
        at += length
        if offset < size:
            chunk = chunk[:size - offset]
            out[offset:offset + len(chunk)] = chunk
    return bytes(out)
