"""Load an image from a ``docker save`` tar read strictly sequentially (a pipe).

``docker save`` may write layers before ``manifest.json``, and a pipe cannot seek back, so
every layer member is scanned as it passes (file listing and digests, never its bytes)
and keyed by member name; small JSON members are kept whole.  Once the stream ends, the
manifest resolves names to layers.  The caller owns the process that produces the stream
(``linter/`` never spawns one; ``runner/source.py`` runs ``docker save``).
"""

from __future__ import annotations

import io
import posixpath
from typing import BinaryIO

from pylint_image.linter.errors import SourceError
from pylint_image.linter.model.image import Image
from pylint_image.linter.oci.config import assemble, with_ref
from pylint_image.linter.oci.layer import NO_NEEDS, ContentNeeds, LayerScan, gc_paused, scan_blob
from pylint_image.linter.oci.multiarch import Platform
from pylint_image.linter.oci.resolve import JSON_LIMIT, blob_path, resolve_any
from pylint_image.linter.oci.hashio import PrefixedReader, Reader, read_head, sniff
from pylint_image.linter.oci.tarscan import LNK, REGULAR, SYM, TarMember, TarScanner


class _StreamStore:
    """The small blobs and the layer scans collected from one sequential pass."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.small: dict[str, bytes] = {}
        self.scans: dict[str, LayerScan] = {}
        self.links: dict[str, str] = {}
        self.other: set[str] = set()

    def resolve(self, blob: str) -> str:
        """Return the member name ``blob`` refers to, following symlinks and hard links."""
        name = _clean(blob_path(blob, self.name) if ":" in blob else blob)
        for _hop in range(8):
            if name not in self.links:
                return name
            name = self.links[name]
        raise SourceError(f"{self.name}: link loop at {blob}")

    def exists(self, blob: str) -> bool:
        """True when the stream had a member named ``blob``."""
        name = self.resolve(blob)
        return name in self.small or name in self.scans or name in self.other

    def open(self, blob: str, size: int | None = None) -> BinaryIO:
        """Open a small (JSON) blob kept from the stream; SourceError when missing or mis-sized."""
        name = self.resolve(blob)
        if name not in self.small:
            raise SourceError(f"{self.name}: missing blob {blob}")
        if size is not None and len(self.small[name]) != size:
            raise SourceError(f"{self.name}: blob {blob} is {len(self.small[name])} bytes, "
                              f"its descriptor says {size}")
        return io.BytesIO(self.small[name])

    def scan(self, blob: str) -> LayerScan:
        """Return the scan of the layer member ``blob``; SourceError when there was none."""
        name = self.resolve(blob)
        if name not in self.scans:
            raise SourceError(f"{self.name}: missing layer blob {blob}")
        return self.scans[name]


def load_image_stream(stream: Reader, ref: str = "", needs: ContentNeeds = NO_NEEDS,
                      name: str = "", platform: Platform | None = None) -> Image:
    """Read a docker-save (or OCI layout) tar from a non-seekable stream into an Image."""
    store = _StreamStore(name or ref or "<stream>")
    tar = TarScanner(stream, store.name,
                     labels=("truncated docker-save stream", "not a readable docker-save tar"))
    with gc_paused():
        for member in tar:
            _collect(tar, member, store, needs)
        if tar.tell() == 0:
            raise SourceError(f"{store.name}: not a readable docker-save tar (empty stream)")
        parts = with_ref(resolve_any(store, ref, platform), store.name)
        return assemble(parts, [store.scan(layer.blob) for layer in parts.layers])


def _collect(tar: TarScanner, member: TarMember, store: _StreamStore,
             needs: ContentNeeds) -> None:
    name = _clean(member.name)
    if member.type == SYM:
        # docker save writes a repeated layer as a symlink to its first copy.
        store.links[name] = _clean(posixpath.join(posixpath.dirname(name), member.linkname))
        return
    if member.type == LNK:
        store.links[name] = _clean(member.linkname)
        return
    if member.type not in REGULAR or member.sparse is not None:
        return
    # The member's data is read through the scanner; whatever is left unread (a foreign
    # attachment) is skipped by the next header read, so the pass stays sequential.
    head = read_head(tar, 512)
    if sniff(head) != "unknown":
        store.scans[name] = scan_blob(PrefixedReader(head, tar), f"{store.name}:{name}",
                                      needs)
    elif member.size <= JSON_LIMIT:
        store.small[name] = head + read_head(tar, member.size - len(head))
    else:
        store.other.add(name)


def _clean(name: str) -> str:
    return posixpath.normpath(name.lstrip("/")).removeprefix("./")
