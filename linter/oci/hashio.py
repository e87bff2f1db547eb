"""Binary stream helpers: sha256 while reading, compression sniffing, bounded reads.

Layers are never held in memory: every helper here reads in fixed-size chunks, and the
hash of a blob is computed on the bytes as they pass through.
"""

from __future__ import annotations

import contextlib
import hashlib
import zlib
from collections.abc import Iterator
from typing import Any, Protocol

from pylint_image.linter.errors import SourceError

CHUNK = 1 << 20
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


class Reader(Protocol):
    """Anything read in chunks: a file, a pipe, a tar member, or one of the wrappers here."""

    def read(self, size: int = -1, /) -> bytes:
        """Up to ``size`` bytes (all remaining when negative); b"" at the end."""
        ...


class HashingReader:
    """Read-only wrapper that hashes (sha256) and counts every byte read through it."""

    def __init__(self, raw: Reader) -> None:
        self._raw = raw
        self._hash = hashlib.sha256()
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        """Read up to ``size`` bytes (all remaining when negative) and hash them."""
        data = self._raw.read(size)
        self._hash.update(data)
        self.count += len(data)
        return data

    def readable(self) -> bool:
        """Always True: this is a reader."""
        return True

    def drain(self) -> None:
        """Read (and hash) the rest of the stream without keeping it."""
        while self.read(CHUNK):
            pass

    @property
    def digest(self) -> str:
        """The ``sha256:<hex>`` digest of the bytes read so far."""
        return "sha256:" + self._hash.hexdigest()


class ThreadedHashingReader:
    """A HashingReader whose reading and hashing run in a worker thread, ahead of the consumer.

    Reading a file or a pipe, inflating gzip and sha256 all release the GIL on large
    buffers, so the worker overlaps them with the caller's tar parsing.  At most ``depth``
    chunks of ``CHUNK`` bytes wait in the queue (memory stays bounded).  ``read`` may return
    fewer bytes than asked (one chunk at a time), as a pipe does.  An exception in the
    worker is raised by the next ``read``; ``close`` stops the worker.
    """

    def __init__(self, raw: Reader, depth: int = 4, chunk: int = CHUNK) -> None:
        import queue  # noqa: PLC0415 - only image reading needs it
        import threading  # noqa: PLC0415

        self._raw = raw
        self._chunk = chunk
        self._hash = hashlib.sha256()
        self._queue: queue.Queue[bytes | BaseException] = queue.Queue(depth)
        self._stop = threading.Event()
        self._data = b""
        self._pos = 0
        self._eof = False
        self.count = 0
        self._thread = threading.Thread(target=self._work, name="pylint-image-hash", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        raw, update, stop, chunk = self._raw, self._hash.update, self._stop, self._chunk
        try:
            while not stop.is_set():
                data = raw.read(chunk)
                update(data)
                if not self._hand(data) or not data:
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            self._hand(exc)

    def _hand(self, item: bytes | BaseException) -> bool:
        """Queue ``item`` for the consumer; False when it has gone (``close``)."""
        while True:
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except Exception:  # noqa: BLE001 - queue.Full: check whether the consumer left
                if self._stop.is_set():
                    return False

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (one queued chunk at most; all remaining when negative)."""
        if size < 0:
            parts = []
            while chunk := self.read(CHUNK):
                parts.append(chunk)
            return b"".join(parts)
        if self._pos >= len(self._data):
            if self._eof:
                return b""
            item = self._queue.get()
            if isinstance(item, BaseException):
                self._eof = True
                raise item
            if not item:
                self._eof = True
                self._thread.join()
                return b""
            self._data, self._pos = item, 0
            self.count += len(item)
        pos = self._pos
        if pos == 0 and size >= len(self._data):
            self._pos = len(self._data)
            return self._data
        self._pos = pos + size
        return self._data[pos:pos + size]

    def readable(self) -> bool:
        """Always True: this is a reader."""
        return True

    def drain(self) -> None:
        """Read (and hash) the rest of the stream without keeping it."""
        while self.read(CHUNK):
            pass

    def close(self) -> None:
        """Stop the worker (the stream is left where it is)."""
        self._stop.set()

    @property
    def digest(self) -> str:
        """The ``sha256:<hex>`` digest of the whole stream (call after reading to its end)."""
        if not self._eof:
            raise RuntimeError("digest asked before the end of the stream")
        return "sha256:" + self._hash.hexdigest()


# While a worker hashes, the interpreter's switch interval is shortened: the worker needs
# the GIL back each time its read or sha256 returns, and with the default 5 ms it waits on
# the parsing thread so long that the two mostly take turns.  Measured on the issue-12
# images with a core free: 0.5 ms makes the scan 10-20% faster than either one thread or
# the default interval (0.2 ms is faster still when idle but loses under load).
SWITCH_INTERVAL = 0.0005
_switch_users = 0
_switch_saved = 0.005
_switch_lock: Any = None


@contextlib.contextmanager
def short_switch_interval() -> Iterator[None]:
    """Shorten ``sys.setswitchinterval`` while at least one caller is inside; restore after."""
    global _switch_users, _switch_saved, _switch_lock  # noqa: PLW0603 - one process-wide setting
    import sys  # noqa: PLC0415
    import threading  # noqa: PLC0415

    if _switch_lock is None:
        _switch_lock = threading.Lock()
    with _switch_lock:
        if _switch_users == 0:
            _switch_saved = sys.getswitchinterval()
            sys.setswitchinterval(min(_switch_saved, SWITCH_INTERVAL))
        _switch_users += 1
    try:
        yield
    finally:
        with _switch_lock:
            _switch_users -= 1
            if _switch_users == 0:
                sys.setswitchinterval(_switch_saved)


def reset_after_fork() -> None:
    """In a forked child: forget the parent's scans (their lock may be held by a thread the child lacks)."""
    global _switch_users, _switch_lock  # noqa: PLW0603
    _switch_users = 0
    _switch_lock = None


class PrefixedReader:
    """A reader that first returns already-consumed ``prefix`` bytes, then the stream."""

    def __init__(self, prefix: bytes, raw: Reader) -> None:
        self._prefix = prefix
        self._raw = raw

    def read(self, size: int = -1) -> bytes:
        """Read up to ``size`` bytes (all remaining when negative)."""
        if not self._prefix:
            return self._raw.read(size)
        if size < 0:
            head, self._prefix = self._prefix, b""
            return head + self._raw.read()
        head, self._prefix = self._prefix[:size], self._prefix[size:]
        return head

    def readable(self) -> bool:
        """Always True: this is a reader."""
        return True


class _GzipReader:
    """Streaming gzip decompressor reader; truncated or corrupt input raises SourceError."""

    def __init__(self, raw: Reader, name: str) -> None:
        self._raw = raw
        self._engine = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._name = name
        self._pending = b""
        self._pos = 0
        self._eof = False

    def readable(self) -> bool:
        """Always True: this is a reader."""
        return True

    def read(self, size: int = -1) -> bytes:
        """Return up to ``size`` decompressed bytes; b"" only at the true end."""
        want = CHUNK if size < 0 else size
        # An index into the pending buffer, not slicing off its tail: tar reads 512-byte
        # headers, and re-copying a 1 MiB buffer per header would be quadratic.
        while len(self._pending) - self._pos < want and not self._eof:
            self._pending = self._pending[self._pos:] + self._fill(want)
            self._pos = 0
        out = self._pending[self._pos:self._pos + want]
        self._pos += len(out)
        return out

    def _fill(self, want: int) -> bytes:
        engine = self._engine
        # Leftover input is decompressed before reading more, so output stays bounded by
        # ``want`` (a gzip bomb cannot make one read allocate more than that).
        data = engine.unconsumed_tail
        if not data:
            data = self._raw.read(CHUNK)
            if not data:
                self._eof = True
                if not engine.eof:
                    raise SourceError(f"{self._name}: truncated gzip stream")
                return b""
        try:
            out = engine.decompress(data, max(want, 1 << 16))
            if engine.eof and engine.unused_data:
                # Concatenated gzip members are valid gzip: start the next member.
                rest = engine.unused_data
                self._engine = engine = zlib.decompressobj(16 + zlib.MAX_WBITS)
                out += engine.decompress(rest, max(want, 1 << 16))
        except zlib.error as exc:
            raise SourceError(f"{self._name}: corrupt gzip data ({exc})") from None
        return out


def sniff(head: bytes) -> str:
    """Return ``gzip``, ``zstd``, ``tar`` or ``unknown`` from a blob's first bytes."""
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    if len(head) >= 262 and head[257:262] == b"ustar":
        return "tar"
    # An empty tar (two zero blocks) or an old v7 tar has no ustar magic.
    if len(head) >= 512 and head[:512] == bytes(512):
        return "tar"
    return "unknown"


def read_head(raw: Reader, size: int = 512) -> bytes:
    """Read exactly ``size`` bytes, or fewer only at end of stream."""
    parts: list[bytes] = []
    got = 0
    while got < size:
        data = raw.read(size - got)
        if not data:
            break
        parts.append(data)
        got += len(data)
    return b"".join(parts)


def decompressed(raw: Reader, compression: str, name: str) -> Reader:
    """Wrap ``raw`` so reads return the uncompressed tar stream."""
    if compression == "gzip":
        return _GzipReader(raw, name)
    if compression == "zstd":
        try:
            import zstandard  # type: ignore[import-not-found,unused-ignore]  # noqa: PLC0415 - optional
        except ImportError:
            raise SourceError(f"{name}: zstd-compressed layer but the 'zstandard' module "
                              "is not installed") from None
        reader: Reader = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
        return reader
    return raw


def read_small(raw: Reader, limit: int, name: str) -> bytes:
    """Read a whole small blob (JSON), refusing anything over ``limit`` bytes."""
    data = raw.read(limit + 1)
    if len(data) > limit:
        raise SourceError(f"{name}: larger than {limit} bytes, refusing to read it as JSON")
    return data


def check_digest(name: str, expected: str, actual: str) -> None:
    """Raise SourceError when a blob's digest differs from the one its descriptor names."""
    if expected and expected != actual:
        raise SourceError(f"{name}: digest mismatch (expected {expected}, got {actual})")
