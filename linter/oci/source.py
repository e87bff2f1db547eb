"""Image sources on disk: OCI layout directories and docker-save archives, read in place.

Nothing is extracted: an archive is indexed once (tar headers only, by :mod:`.tarscan`,
seeking over member data) and each blob is then read from its offset inside the tar.
"""

from __future__ import annotations

import errno
import os
import posixpath
import stat
from pathlib import Path
from typing import BinaryIO

from pylint_image.linter.errors import SourceError
from pylint_image.linter.model.image import Image
from pylint_image.linter.oci.config import ImageParts, LayerRef, assemble, with_ref
from pylint_image.linter.oci.layer import NO_NEEDS, ContentNeeds, LayerScan, gc_paused, scan_blob
from pylint_image.linter.oci.multiarch import Platform
from pylint_image.linter.oci.parallel import auto_workers, scan_layers
from pylint_image.linter.oci.reads import LayerReads, Watcher
from pylint_image.linter.oci.resolve import BlobStore, blob_path, resolve_any
from pylint_image.linter.oci.tarscan import LNK, REGULAR, SYM, TarMember, TarScanner
from pylint_image.linter.oci.hashio import (
    HashingReader,
    PrefixedReader,
    Reader,
    check_digest,
    decompressed,
    read_head,
    sniff,
)

_BLOB_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


class DirStore:
    """Blobs of an OCI image layout directory (or an extracted docker-save archive).

    A blob must be a regular file inside the layout: a symlink is followed only while it
    stays inside (``docker save`` links repeated layers), never to ``/dev/zero``, a FIFO
    or a file elsewhere, and its size must be the one its descriptor gives.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.name = str(root)

    def _rel(self, blob: str) -> str:
        rel = posixpath.normpath(blob_path(blob, self.name) if ":" in blob else blob)
        if rel.startswith("/") or rel.split("/")[0] == "..":
            raise SourceError(f"{self.name}: blob name {blob!r} escapes the layout")
        return rel

    def exists(self, blob: str) -> bool:
        """True when the layout has an entry named ``blob`` (open() says whether it is usable)."""
        return os.path.lexists(self.root / self._rel(blob))

    def size(self, blob: str) -> int:
        """The size of ``blob`` in bytes (SourceError like open() when it is not usable)."""
        fd = self._open_regular(self._rel(blob), blob)
        try:
            return os.fstat(fd).st_size
        finally:
            os.close(fd)

    def open(self, blob: str, size: int | None = None) -> BinaryIO:
        """Open ``blob`` for reading; SourceError when missing, not a regular file, or mis-sized."""
        fd = self._open_regular(self._rel(blob), blob)
        actual = os.fstat(fd).st_size
        if size is not None and actual != size:
            os.close(fd)
            raise SourceError(f"{self.name}: blob {blob} is {actual} bytes, its descriptor says {size}")
        return os.fdopen(fd, "rb")

    def _open_regular(self, rel: str, blob: str) -> int:
        """Open ``rel`` without following links out of the layout; only a regular file."""
        for _hop in range(8):
            *dirs, name = rel.split("/")
            parent = self._open_parent(dirs, blob)
            try:
                # O_NONBLOCK: opening a FIFO must not wait for a writer before fstat refuses it.
                fd = os.open(name, _BLOB_FLAGS, dir_fd=parent)
            except OSError as exc:
                if exc.errno != errno.ELOOP:
                    raise SourceError(f"{self.name}: missing blob {blob} ({exc.strerror})") from None
                rel = self._hop(rel, os.readlink(name, dir_fd=parent), blob)
                continue
            finally:
                os.close(parent)
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                os.close(fd)
                raise SourceError(f"{self.name}: blob {blob} is not a regular file")
            return fd
        raise SourceError(f"{self.name}: link loop at {blob}")

    def _open_parent(self, dirs: list[str], blob: str) -> int:
        fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        for part in dirs:
            try:
                child = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC,
                                dir_fd=fd)
            except OSError as exc:
                why = "goes through a symlink" if exc.errno in (errno.ELOOP, errno.ENOTDIR) else exc.strerror
                raise SourceError(f"{self.name}: missing blob {blob} ({why})") from None
            finally:
                os.close(fd)
            fd = child
        return fd

    def _hop(self, rel: str, target: str, blob: str) -> str:
        """Where a symlink inside the layout leads; SourceError when that is outside."""
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(rel), target))
        if target.startswith("/") or joined.split("/")[0] == "..":
            raise SourceError(f"{self.name}: blob {blob} is a symlink leading out of the layout")
        return joined


class _MemberReader:
    """Reads one member's bytes from an open archive at its offset (no extraction)."""

    def __init__(self, path: Path, offset: int, size: int) -> None:
        self._file = path.open("rb")
        self._file.seek(offset)
        self._left = size

    def read(self, size: int = -1) -> bytes:
        """Read up to ``size`` bytes of the member (all remaining when negative)."""
        if self._left <= 0:
            return b""
        want = self._left if size < 0 else min(size, self._left)
        data = self._file.read(want)
        self._left -= len(data)
        return data

    def readable(self) -> bool:
        """Always True: this is a reader."""
        return True

    def close(self) -> None:
        """Close the archive file."""
        self._file.close()

    def __enter__(self) -> _MemberReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class TarStore:
    """Blobs of a docker-save archive (classic or OCI-in-tar), located by a header index."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = str(path)
        self._members: dict[str, TarMember] = {}
        try:
            with path.open("rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                if size == 0:
                    raise SourceError(f"{self.name}: not a readable tar archive (empty file)")
                # Only headers are read: member data is seeked over, checked against the size.
                tar = TarScanner(handle, self.name, size=size, chunk=8192,
                                 labels=("truncated tar archive", "not a readable tar archive"))
                for member in tar:
                    self._members[_clean(member.name)] = member
        except OSError as exc:
            raise SourceError(f"{self.name}: cannot read ({exc.strerror})") from None

    def _member(self, blob: str) -> TarMember:
        name = _clean(blob_path(blob, self.name) if ":" in blob else blob)
        for _hop in range(8):
            member = self._members.get(name)
            if member is None:
                raise SourceError(f"{self.name}: missing blob {blob}")
            if member.type == SYM:
                # docker save writes a repeated layer as a symlink to the first copy.
                name = _clean(posixpath.join(posixpath.dirname(name), member.linkname))
            elif member.type == LNK:
                name = _clean(member.linkname)
            else:
                return member
        raise SourceError(f"{self.name}: link loop at {blob}")

    def exists(self, blob: str) -> bool:
        """True when ``blob`` is a member of the archive."""
        try:
            self._member(blob)
        except SourceError:
            return False
        return True

    def size(self, blob: str) -> int:
        """The size of ``blob`` in bytes (SourceError when it is missing)."""
        return self._member(blob).size

    def open(self, blob: str, size: int | None = None) -> BinaryIO:
        """Open ``blob``'s bytes inside the archive; SourceError when missing, not a file, or mis-sized."""
        member = self._member(blob)
        if member.type not in REGULAR or member.sparse is not None:
            raise SourceError(f"{self.name}: blob {blob} is not a regular file")
        if size is not None and member.size != size:
            raise SourceError(f"{self.name}: blob {blob} is {member.size} bytes, its descriptor says {size}")
        return _MemberReader(self.path, member.offset, member.size)  # type: ignore[return-value]


def _blob_sizes(store: TarStore | DirStore, layers: tuple[LayerRef, ...]) -> list[int] | None:
    """Each layer blob's size in bytes; None when one is unusable (the scan will say why)."""
    sizes = []
    for layer in layers:
        try:
            sizes.append(store.size(layer.blob) if layer.size is None else layer.size)
        except (OSError, SourceError):
            return None
    return sizes


def _clean(name: str) -> str:
    return posixpath.normpath(name.lstrip("/")).removeprefix("./")


class ImageSource:
    """An image on disk (OCI layout dir or docker-save archive) that can be loaded or unpacked."""

    def __init__(self, path: str | os.PathLike[str], ref: str = "", platform: Platform | None = None) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            self.store: BlobStore = DirStore(self.path)
        elif self.path.is_file():
            self.store = TarStore(self.path)
        else:
            raise SourceError(f"{self.path}: no such OCI layout directory or archive")
        self.parts: ImageParts = with_ref(resolve_any(self.store, ref, platform), ref or str(self.path))

    def load(self, needs: ContentNeeds = NO_NEEDS, workers: int | None = None,
             on_read: Watcher | None = None) -> Image:
        """Read every layer once and return the verified Image model.

        ``workers``: how many processes scan layers (this one included); None decides from
        the CPUs and the layers' sizes (:func:`.parallel.auto_workers`), 1 scans here only.
        Worker processes are used only with this module's own stores, whose blobs a forked
        child can open again by itself (a wrapped store is read here).
        ``on_read``: called in this process with a :class:`.reads.LayerReads` (each layer's
        size, bytes read so far, when it began and ended, whichever process reads it) about
        every 0.1 s while layers are read, and once when reading is over, error or not; a
        progress display needs nothing else, and takes no process away.
        """
        layers = self.parts.layers
        store = self.store
        sizes = None
        # Exactly these classes: a subclass or wrapper may do more per read than a child can.
        if (type(store) is TarStore or type(store) is DirStore) and (workers != 1 or on_read is not None):
            sizes = _blob_sizes(store, layers)
        reads = None if on_read is None else LayerReads(
            sizes if sizes is not None else [layer.size for layer in layers], on_read)

        def scan_one(index: int) -> LayerScan:
            layer = layers[index]
            handle = self.store.open(layer.blob, layer.size)
            if reads is not None:
                handle = reads.reader(index, handle)  # type: ignore[assignment]
            with handle:
                return scan_blob(handle, f"{self.store.name}:{layer.blob}", needs, index)

        with gc_paused():
            try:
                if sizes is None or workers == 1:
                    scans = [scan_one(index) for index in range(len(layers))]
                else:
                    count = auto_workers(sizes) if workers is None else workers
                    scans = (scan_layers(sizes, scan_one, count) if reads is None
                             else scan_layers(sizes, scan_one, count, reads.tick))
            finally:
                if reads is not None:
                    reads.final()
                    reads.close()
            return assemble(self.parts, scans)

    def open_layer(self, diff_id: str) -> BinaryIO:
        """Open the uncompressed tar stream of the layer with ``diff_id``, verified at its end.

        At the end of the stream the whole blob has been read: its size and digest are
        checked against the manifest's descriptor, and the uncompressed bytes against the
        diff_id; a reader that stops at the tar's end-of-archive blocks must read on to EOF.
        """
        from pylint_image.linter.oci.config import parse_image_config  # noqa: PLC0415

        diff_ids = parse_image_config(self.parts.config)[2]
        if diff_id not in diff_ids:
            raise SourceError(f"{self.store.name}: no layer with diff_id {diff_id}")
        if len(diff_ids) != len(self.parts.layers):
            raise SourceError(f"{self.store.name}: the config names {len(diff_ids)} layers, "
                              f"the manifest {len(self.parts.layers)}")
        layer = self.parts.layers[diff_ids.index(diff_id)]
        blob = self.store.open(layer.blob, layer.size)
        raw = HashingReader(blob)
        head = read_head(raw, 512)
        name = f"{self.store.name}:{layer.blob}"
        stream = decompressed(PrefixedReader(head, raw), sniff(head), name)
        return _VerifyingReader(stream, blob, raw, (layer, diff_id, name))  # type: ignore[return-value]


class _VerifyingReader(HashingReader):
    """Uncompressed layer stream that raises SourceError at EOF when a digest or the size differs."""

    def __init__(self, stream: Reader, owner: BinaryIO, raw: HashingReader,
                 expected: tuple[LayerRef, str, str]) -> None:
        super().__init__(stream)
        self._owner = owner
        self._blob = raw
        self._layer, self._expected, self._name = expected
        self._checked = False

    def read(self, size: int = -1) -> bytes:
        """Read uncompressed bytes; at the end of the stream check the blob and the diff_id."""
        data = super().read(size)
        if not data and size != 0 and not self._checked:
            self._checked = True
            self._blob.drain()   # bytes after the compressed stream are part of the blob too
            if self._layer.size is not None and self._blob.count != self._layer.size:
                raise SourceError(f"{self._name}: blob is {self._blob.count} bytes, its "
                                  f"descriptor says {self._layer.size}")
            if self._layer.digest.startswith("sha256:"):
                check_digest(self._name, self._layer.digest, self._blob.digest)
            if self._expected.startswith("sha256:") and self.digest != self._expected:
                raise SourceError(f"{self._name}: diff_id mismatch (expected {self._expected}, "
                                  f"got {self.digest})")
        return data

    def close(self) -> None:
        """Close the underlying blob."""
        self._owner.close()

    def __enter__(self) -> _VerifyingReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
