"""Verified layers in a digest-keyed cache, and a container root assembled from them.

A layer enters the cache only through :meth:`LayerCache.ensure`: it is unpacked (see
:mod:`.extract`) into a staging dir, its uncompressed stream is read to the end, bytes
after the tar's end-of-archive blocks included, and hashed, and the staging dir is
renamed into place only when the hash is the diff_id the image claims.  The cache never
trusts the source to have checked: a docker-save archive whose ``layer.tar`` differs
from its config's diff_id is refused here, whoever opened it.  On-disk layout, locks and
eviction live in :mod:`.cache`.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import logging
import os
import tempfile
import weakref
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from pylint_image.linter.errors import SourceError

from .cache import (DEFAULT_MAX_BYTES, DIGEST, META_FORMAT, default_cache_dir, enforce_cap, evict,
                    is_at, lock_dir, read_meta, touch)
from .extract import (DEFAULT_IMAGE_BYTES, OPAQUE, WHITEOUT, Budget, ExtractedLayer, LayerSource,
                      extract_layer)
from .fsutil import DIR_FLAGS, open_beneath, remove_at, remove_tree, short, tree_usage
from .sandbox.spec import OverlayRoot
from .treecopy import copy_into

__all__ = ["OPAQUE", "WHITEOUT", "Budget", "DigestGate", "ExtractedLayer", "LayerCache",
           "LayerSource", "assembled_rootfs", "default_cache_dir", "extract_layer"]
LOG = logging.getLogger(__name__)
_CHUNK = 1 << 20


class DigestGate:
    """The uncompressed layer stream as the cache reads it: hashed, counted and capped."""

    def __init__(self, raw: BinaryIO, diff_id: str, budget: Budget, label: str) -> None:
        self._raw = raw
        self._diff_id = diff_id
        self._hash = hashlib.new(diff_id.partition(":")[0])
        self._budget = budget
        self.label = label
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (at most one chunk when negative), hashed and charged."""
        data = self._raw.read(_CHUNK if size < 0 else size)
        self._hash.update(data)
        self.count += len(data)
        self._budget.spend(len(data), self.label)
        return data

    def readable(self) -> bool:
        """Always True: this is a reader."""
        return True

    def finish(self) -> None:
        """Read to EOF (bytes after the tar's end blocks count too); SourceError on a mismatch."""
        while self.read(_CHUNK):
            pass
        actual = f"{self._diff_id.partition(':')[0]}:{self._hash.hexdigest()}"
        if actual != self._diff_id:
            raise SourceError(f"{self.label}: layer content hashes to {actual}, not to the "
                              f"diff_id {self._diff_id} the image claims")


def _close_all(held: dict[str, tuple[int, ExtractedLayer]]) -> None:
    for fd, _layer in held.values():
        with contextlib.suppress(OSError):
            os.close(fd)
    held.clear()


class LayerCache:
    """Layers unpacked once under ``root/<algorithm>/<hex>/tree``; capped at ``max_bytes``."""

    def __init__(self, root: Path | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
                 max_image_bytes: int = DEFAULT_IMAGE_BYTES) -> None:
        self.root = root or default_cache_dir()
        self.max_bytes = max_bytes
        self.max_image_bytes = max_image_bytes
        self.extractions = 0   # how many layers this instance actually unpacked
        self._held: dict[str, tuple[int, ExtractedLayer]] = {}
        self._finalizer = weakref.finalize(self, _close_all, self._held)

    def __enter__(self) -> LayerCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release every layer this run used (they become evictable again)."""
        _close_all(self._held)

    def _dir(self, diff_id: str) -> Path:
        if not DIGEST.match(diff_id):
            raise SourceError(f"invalid layer digest {short(diff_id)!r}")
        algorithm, _, digest = diff_id.partition(":")
        return self.root / algorithm / digest

    def get(self, diff_id: str) -> ExtractedLayer | None:
        """The cached, verified layer (held until close), or None when not cached."""
        entry = self._dir(diff_id)
        if diff_id in self._held and not is_at(self._held[diff_id][0], entry):
            os.close(self._held.pop(diff_id)[0])   # removed behind our back (rm -rf of the cache)
        if diff_id not in self._held:
            fd = lock_dir(entry, fcntl.LOCK_SH)
            if fd is None or not self._hold(diff_id, fd, entry):
                return None
        fd, layer = self._held[diff_id]
        touch(fd)
        return layer

    def _hold(self, diff_id: str, fd: int, entry: Path) -> bool:
        """Keep ``fd`` (shared-locked) as this run's hold on a valid entry; False otherwise."""
        meta: Any = read_meta(fd)   # JSON: each field is checked by its conversion below
        try:
            assert meta is not None
            self._held[diff_id] = (fd, ExtractedLayer(
                diff_id, entry / "tree", tuple(meta["whiteouts"]), tuple(meta["opaque_dirs"]),
                tuple(map(tuple, meta["skipped"])), bool(meta["overlay_ready"]),
                int(meta["tar_bytes"]), int(meta["disk_bytes"])))
        except (AssertionError, KeyError, TypeError, ValueError):
            os.close(fd)   # not an entry we wrote: treated as absent (and replaced)
            return False
        return True

    def ensure(self, layer: LayerSource, budget: Budget | None = None) -> ExtractedLayer:
        """The cached layer, unpacked and verified first when missing (atomically)."""
        budget = budget or Budget(self.max_image_bytes)
        label = layer.name or f"layer {layer.diff_id}"
        found = self.get(layer.diff_id)
        if found is not None:
            budget.spend(found.tar_bytes, label)   # the cap does not depend on the cache
            return found
        self._add(layer, budget, label)
        self.extractions += 1
        self._enforce_cap()
        return self._held[layer.diff_id][1]

    def _add(self, layer: LayerSource, budget: Budget, label: str) -> None:
        """Unpack beside the final place, verify, then rename: readers never see a half or false layer."""
        entry = self._dir(layer.diff_id)
        try:
            entry.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=".partial-", dir=entry.parent))
            lock = os.open(staging, DIR_FLAGS)
        except OSError as exc:
            raise SourceError(f"{self.root}: cannot write the layer cache ({exc.strerror})") from None
        fcntl.flock(lock, fcntl.LOCK_EX)   # prune leaves a live extraction alone
        try:
            try:
                self._unpack(layer, staging, budget, label)
            except BaseException:
                os.close(lock)
                raise
            self._publish(layer.diff_id, lock, staging, entry)   # owns ``lock`` from here
        except OSError as exc:
            raise SourceError(f"{label}: cannot add it to the layer cache {self.root} "
                              f"({exc.strerror or exc})") from None
        finally:
            for line in remove_tree(staging):
                LOG.warning("layer cache: %s", line)

    def ensure_all(self, layers: Sequence[LayerSource]) -> list[ExtractedLayer]:
        """Every layer of one image, cached and verified, within the image's extraction cap."""
        budget = Budget(self.max_image_bytes)
        return [self.ensure(layer, budget) for layer in layers]

    def _unpack(self, layer: LayerSource, staging: Path, budget: Budget, label: str) -> None:
        """Extract into ``staging/tree``, read the stream to EOF, and verify it is the diff_id."""
        (staging / "tree").mkdir()
        with layer.open() as raw:
            gate = DigestGate(raw, layer.diff_id, budget, label)
            done = extract_layer(gate, staging / "tree", budget=budget, label=label)  # type: ignore[arg-type]
            gate.finish()
        meta = {"format": META_FORMAT, "whiteouts": done.whiteouts, "opaque_dirs": done.opaque_dirs,
                "skipped": done.skipped, "overlay_ready": done.overlay_ready,
                "tar_bytes": gate.count, "disk_bytes": tree_usage(staging / "tree")}
        (staging / "meta.json").write_text(json.dumps(meta))
        (staging / "used").touch()

    def _publish(self, diff_id: str, lock: int, staging: Path, entry: Path) -> None:
        """Rename the verified staging dir into place and hold it; a racing copy is as good."""
        try:
            os.rename(staging, entry)
        except OSError as exc:
            os.close(lock)
            if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise SourceError(f"{entry}: cannot add to the layer cache ({exc.strerror})") from None
            if self.get(diff_id) is None:
                self._replace_stale(diff_id, staging, entry)
            return
        fcntl.flock(lock, fcntl.LOCK_SH)   # the staging lock becomes this run's hold
        if not self._hold(diff_id, lock, entry):
            raise SourceError(f"{entry}: layer cache entry unreadable right after writing it")

    def _replace_stale(self, diff_id: str, staging: Path, entry: Path) -> None:
        """Put our verified copy where an unverified (older format) entry is."""
        removed, errors = evict(entry)
        if not removed:
            raise SourceError(f"{entry}: stale layer cache entry in use ({'; '.join(errors)})")
        try:
            os.rename(staging, entry)
        except OSError as exc:
            raise SourceError(f"{entry}: cannot add to the layer cache ({exc.strerror})") from None
        if self.get(diff_id) is None:
            raise SourceError(f"{entry}: layer cache entry unreadable right after writing it")

    def _enforce_cap(self) -> None:
        """Evict least recently used entries no run holds until the cache is under ``max_bytes``."""
        enforce_cap(self.root, self.max_bytes, self._held.keys())


def _merge_layer(layer: ExtractedLayer, root_fd: int) -> list[str]:
    """Apply one layer onto the root being assembled: opaque dirs and whiteouts, then its files."""
    errors: list[str] = []
    for rel in layer.opaque_dirs:
        fd = open_beneath(root_fd, tuple(p for p in rel.split("/") if p))
        if fd is None:
            continue
        try:
            with os.scandir(fd) as children:
                names = [child.name for child in children]
            for name in names:
                errors += remove_at(fd, name, f"{rel}/{name}")
        finally:
            os.close(fd)
    for rel in layer.whiteouts:
        *parent, name = rel.split("/")
        fd = open_beneath(root_fd, tuple(p for p in parent if p))
        if fd is not None:
            errors += remove_at(fd, name, rel)
            os.close(fd)
    tree = os.open(layer.path, DIR_FLAGS)
    try:
        # The overlay markers of whiteouts are not content.
        errors += copy_into(tree, root_fd, frozenset(layer.whiteouts), layer.diff_id)
    finally:
        os.close(tree)
    return errors


@contextlib.contextmanager
def assembled_rootfs(layers: Sequence[LayerSource], cache: LayerCache, overlay: bool,
                     workdir: Path | None = None) -> Iterator[Path | OverlayRoot]:
    """Yield a root for SandboxSpec.rootfs: an OverlayRoot over cached layers, or a copied tree.

    Overlay is used when asked for and every layer carries overlay whiteouts; the sandbox
    mounts it inside its own mount namespace.  The copy fallback is removed on exit, and
    what cannot be removed is logged, never raised.
    """
    extracted = cache.ensure_all(layers)
    if overlay and all(layer.overlay_ready for layer in extracted):
        yield OverlayRoot(tuple(layer.path for layer in reversed(extracted)))
        return
    temp = Path(tempfile.mkdtemp(prefix="pylint-image-rootfs-", dir=workdir))
    try:
        root = temp / "root"
        root.mkdir()
        root_fd = os.open(root, DIR_FLAGS)
        try:
            for layer in extracted:
                errors = _merge_layer(layer, root_fd)
                if errors:
                    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
                    raise SourceError(f"cannot assemble the root from layer {layer.diff_id}: "
                                      f"{errors[0]}{more}")
        finally:
            os.close(root_fd)
        yield root
    finally:
        for line in remove_tree(temp):
            LOG.warning("rootfs: %s", line)
