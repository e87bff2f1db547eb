"""Image sources on disk: OCI layout directories and docker-save archives, read in place.

Nothing is extracted: an archive is indexed once (tar headers only) and each blob is then
read from its offset inside the tar.
"""

from __future__ import annotations

import os
import posixpath
import tarfile
from pathlib import Path
from typing import BinaryIO

from pylint_image.linter.errors import SourceError
from pylint_image.linter.model.image import Image
from pylint_image.linter.oci.config import ImageParts, assemble, with_ref
from pylint_image.linter.oci.layer import NO_NEEDS, ContentNeeds, scan_blob
from pylint_image.linter.oci.resolve import BlobStore, blob_path, resolve_any
from pylint_image.linter.oci.streams import (
    HashingReader,
    PrefixedReader,
    decompressed,
    read_head,
    sniff,
)


class DirStore:
    """Blobs of an OCI image layout directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.name = str(root)

    def _path(self, blob: str) -> Path:
        rel = blob_path(blob, self.name) if ":" in blob else blob
        if rel.startswith("/") or ".." in rel.split("/"):
            raise SourceError(f"{self.name}: blob name {blob!r} escapes the layout")
        return self.root / rel

    def exists(self, blob: str) -> bool:
        """True when ``blob`` is a file in the layout."""
        return self._path(blob).is_file()

    def open(self, blob: str) -> BinaryIO:
        """Open ``blob`` for reading; SourceError when it is missing."""
        path = self._path(blob)
        try:
            return path.open("rb")
        except OSError as exc:
            raise SourceError(f"{self.name}: missing blob {blob} ({exc.strerror})") from None


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
        self._members: dict[str, tarfile.TarInfo] = {}
        try:
            with tarfile.open(path, mode="r:") as tar:
                # Only headers are read here: tarfile seeks over member data on a real file.
                for member in tar:
                    self._members[_clean(member.name)] = member
        except (tarfile.TarError, EOFError) as exc:
            raise SourceError(f"{self.name}: not a readable tar archive ({exc})") from None
        except OSError as exc:
            raise SourceError(f"{self.name}: cannot read ({exc.strerror})") from None

    def _member(self, blob: str) -> tarfile.TarInfo:
        name = _clean(blob_path(blob, self.name) if ":" in blob else blob)
        for _hop in range(8):
            member = self._members.get(name)
            if member is None:
                raise SourceError(f"{self.name}: missing blob {blob}")
            if member.issym():
                # docker save writes a repeated layer as a symlink to the first copy.
                name = _clean(posixpath.join(posixpath.dirname(name), member.linkname))
            elif member.islnk():
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

    def open(self, blob: str) -> BinaryIO:
        """Open ``blob``'s bytes inside the archive; SourceError when missing or not a file."""
        member = self._member(blob)
        if not member.isfile():
            raise SourceError(f"{self.name}: blob {blob} is not a regular file")
        return _MemberReader(self.path, member.offset_data, member.size)  # type: ignore[return-value]


def _clean(name: str) -> str:
    return posixpath.normpath(name.lstrip("/")).removeprefix("./")


class ImageSource:
    """An image on disk (OCI layout dir or docker-save archive) that can be loaded or unpacked."""

    def __init__(self, path: str | os.PathLike[str], ref: str = "") -> None:
        self.path = Path(path)
        if self.path.is_dir():
            self.store: BlobStore = DirStore(self.path)
        elif self.path.is_file():
            self.store = TarStore(self.path)
        else:
            raise SourceError(f"{self.path}: no such OCI layout directory or archive")
        self.parts: ImageParts = with_ref(resolve_any(self.store, ref), ref or str(self.path))

    def load(self, needs: ContentNeeds = NO_NEEDS) -> Image:
        """Read every layer once and return the verified Image model."""
        scans = []
        for index, layer in enumerate(self.parts.layers):
            with self.store.open(layer.blob) as handle:
                scans.append(scan_blob(handle, f"{self.store.name}:{layer.blob}", needs, index))
        return assemble(self.parts, scans)

    def open_layer(self, diff_id: str) -> BinaryIO:
        """Open the uncompressed tar stream of the layer with ``diff_id``, verified at its end."""
        from pylint_image.linter.oci.config import parse_image_config  # noqa: PLC0415

        diff_ids = parse_image_config(self.parts.config)[2]
        if diff_id not in diff_ids:
            raise SourceError(f"{self.store.name}: no layer with diff_id {diff_id}")
        layer = self.parts.layers[diff_ids.index(diff_id)]
        raw = self.store.open(layer.blob)
        head = read_head(raw, 512)
        name = f"{self.store.name}:{layer.blob}"
        stream = decompressed(PrefixedReader(head, raw), sniff(head), name)  # type: ignore[arg-type]
        return _VerifyingReader(stream, raw, diff_id, name)  # type: ignore[return-value]


class _VerifyingReader(HashingReader):
    """Uncompressed layer stream that raises SourceError at EOF when the diff_id differs."""

    def __init__(self, stream: BinaryIO, owner: BinaryIO, diff_id: str, name: str) -> None:
        super().__init__(stream)
        self._owner = owner
        self._expected = diff_id
        self._name = name

    def read(self, size: int = -1) -> bytes:
        """Read uncompressed bytes; at end of stream check the diff_id."""
        data = super().read(size)
        if not data and size != 0 and self.digest != self._expected:
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
