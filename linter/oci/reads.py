"""How far the reading of each layer blob has got, seen from every process that reads one.

:meth:`.source.ImageSource.load` may read layers in forked children as well as in this
process (:mod:`.parallel`).  To show progress anyway, it makes a :class:`LayerReads` before
the fork: an anonymous shared mapping (``MAP_SHARED``, so a child's writes are the
parent's to see) with, for each layer, the bytes read so far and when its reading began and
ended.  Whatever process reads a blob counts it through :meth:`LayerReads.reader` (one
``struct.pack_into`` per read of up to 1 MiB); only the process that made the mapping
calls the watcher, at most every ``EVERY`` seconds while it reads or waits for its
children, and once at the end (:meth:`LayerReads.final`).

The watcher is a plain callable: ``linter/`` never imports a display.  It receives the
``LayerReads`` and asks it for ``sizes``, :meth:`count`, :meth:`began` and :meth:`ended`.
"""

from __future__ import annotations

import os
import struct
import time
from collections.abc import Callable, Sequence
from typing import Any

EVERY = 0.1   # seconds between two calls of the watcher
_SLOT = struct.Struct("<qdd")   # bytes read, monotonic time begun, ended (0.0: not yet)

Watcher = Callable[["LayerReads"], object]


class LayerReads:
    """Bytes read of each of ``len(sizes)`` layers, shared with processes forked after it is made."""

    def __init__(self, sizes: Sequence[int | None], watch: Watcher) -> None:
        import mmap  # noqa: PLC0415 - only when progress is shown

        self.sizes = tuple(sizes)
        self._watch = watch
        # Anonymous maps are MAP_SHARED by default: forked children write into this memory.
        self._map = mmap.mmap(-1, max(1, _SLOT.size * len(self.sizes)))
        self._owner = os.getpid()
        self._due = 0.0

    def count(self, index: int) -> int:
        """Bytes of layer ``index`` read so far (by any process)."""
        return int(_SLOT.unpack_from(self._map, index * _SLOT.size)[0])

    def began(self, index: int) -> float | None:
        """When (``time.monotonic``) layer ``index`` was opened for reading; None before."""
        return _SLOT.unpack_from(self._map, index * _SLOT.size)[1] or None

    def ended(self, index: int) -> float | None:
        """When layer ``index``'s blob was read to its end or closed; None before."""
        return _SLOT.unpack_from(self._map, index * _SLOT.size)[2] or None

    def reader(self, index: int, handle: Any) -> _CountingReader:
        """``handle`` (layer ``index``'s blob) counted as it is read; its close ends the layer."""
        return _CountingReader(self, index, handle)

    def tick(self) -> None:
        """Call the watcher if it is due and this is the process that made the counters."""
        now = time.monotonic()
        if now >= self._due and os.getpid() == self._owner:
            self._due = now + EVERY
            self._call()

    def final(self) -> None:
        """Call the watcher once more, with every count as it ends (this process only)."""
        if os.getpid() == self._owner:
            self._call()

    def _call(self) -> None:
        # A display that fails (a terminal gone away) must not fail the analysis: it may run
        # in a hashing thread, where its error would surface as a layer read error.  It is
        # not called again.
        try:
            self._watch(self)
        except Exception:  # noqa: BLE001 - progress is a courtesy, the report is the job
            self._watch = _ignore

    def close(self) -> None:
        """Release the shared memory."""
        self._map.close()

    def _set(self, index: int, count: int, began: float, ended: float) -> None:
        _SLOT.pack_into(self._map, index * _SLOT.size, count, began, ended)


def _ignore(reads: LayerReads) -> None:
    """The watcher after one failed: nothing."""


class _CountingReader:
    """A layer blob that writes its byte count into a LayerReads after every read."""

    def __init__(self, reads: LayerReads, index: int, handle: Any) -> None:
        self._reads, self._index, self._handle = reads, index, handle
        self._count, self._ended = 0, False
        self._began = time.monotonic()
        reads._set(index, 0, self._began, 0.0)

    def read(self, size: int = -1) -> bytes:
        """Read from the blob and count the bytes (its end ends the layer)."""
        data = self._handle.read(size)
        if data:
            self._count += len(data)
            self._reads._set(self._index, self._count, self._began, 0.0)
            self._reads.tick()
        elif size != 0:
            self._end()
        return data

    def readable(self) -> bool:
        """Always True: this is a reader."""
        return True

    def _end(self) -> None:
        if not self._ended:
            self._ended = True
            self._reads._set(self._index, self._count, self._began, time.monotonic())

    def close(self) -> None:
        """Close the blob; the layer has ended if it had not."""
        self._end()
        self._handle.close()

    def __enter__(self) -> _CountingReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
