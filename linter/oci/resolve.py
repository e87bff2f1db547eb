"""Resolve index/manifest/config JSON into ImageParts, independent of where blobs live.

A ``BlobStore`` opens blobs by digest or by archive-relative name; OCI layout
directories, docker-save archives on disk and the streaming reader each provide one.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import BinaryIO, Protocol

from pylint_image.linter.errors import SourceError
from pylint_image.linter.oci.config import (
    DOCKER_LAYER,
    INDEX_TYPES,
    ImageParts,
    JsonObject,
    LayerRef,
    layer_refs_from_manifest,
    parse_json,
)
from pylint_image.linter.oci.multiarch import Platform, check_config_platform, pick_manifest
from pylint_image.linter.oci.hashio import check_digest, read_small

JSON_LIMIT = 16 << 20
_DIGEST = re.compile(r"^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$")
_MAX_INDEX_DEPTH = 4


class BlobStore(Protocol):
    """Where the blobs of one image source live."""

    name: str

    def open(self, blob: str, size: int | None = None) -> BinaryIO:
        """Open ``blob`` (a digest or an archive-relative path); SourceError when missing.

        With ``size`` (the descriptor's), a blob of any other size is a SourceError.
        """
        ...

    def exists(self, blob: str) -> bool:
        """True when ``blob`` is present."""
        ...


def blob_path(digest: str, where: str) -> str:
    """Return ``blobs/<alg>/<hex>`` for a well-formed digest; SourceError otherwise."""
    if not _DIGEST.match(digest):
        # Checked before any path is built, so a hostile digest cannot name ../../etc/passwd.
        raise SourceError(f"{where}: malformed digest {digest!r}")
    alg, hexpart = digest.split(":", 1)
    return f"blobs/{alg}/{hexpart}"


def descriptor_size(desc: JsonObject) -> int | None:
    """The ``size`` of a descriptor when it gives a usable one."""
    size = desc.get("size")
    return size if isinstance(size, int) and not isinstance(size, bool) else None


def read_json(store: BlobStore, blob: str, digest: str = "",
              size: int | None = None) -> tuple[JsonObject, str]:
    """Read a small JSON blob, verify it against ``digest`` when given; return it and its digest."""
    if size is not None and size > JSON_LIMIT:
        raise SourceError(f"{store.name}:{blob}: descriptor says {size} bytes, over the "
                          f"{JSON_LIMIT}-byte limit for JSON")
    with store.open(blob, size) as handle:
        data = read_small(handle, JSON_LIMIT, f"{store.name}:{blob}")
    actual = "sha256:" + hashlib.sha256(data).hexdigest()
    if digest.startswith("sha256:"):
        check_digest(f"{store.name}:{blob}", digest, actual)
    return parse_json(data, f"{store.name}:{blob}"), actual


def resolve_oci(store: BlobStore, platform: Platform | None = None) -> ImageParts:
    """Follow ``index.json`` (through nested indexes) to ``platform``'s image manifest and its config.

    ``platform`` None is this host's (see :mod:`.multiarch` for the whole choice).
    """
    index, _ = read_json(store, "index.json")
    ref = ""
    for _depth in range(_MAX_INDEX_DEPTH):
        desc = pick_manifest(index, f"{store.name}:index.json", platform)
        annotations = desc.get("annotations")
        if isinstance(annotations, dict) and not ref:
            ref = str(annotations.get("io.containerd.image.name")
                      or annotations.get("org.opencontainers.image.ref.name") or "")
        digest = str(desc.get("digest", ""))
        manifest, manifest_digest = read_json(store, blob_path(digest, store.name), digest,
                                              descriptor_size(desc))
        if manifest.get("mediaType") in INDEX_TYPES or desc.get("mediaType") in INDEX_TYPES:
            index = manifest
            continue
        return _parts_from_manifest(store, manifest, manifest_digest, ref)
    raise SourceError(f"{store.name}: image indexes nested more than {_MAX_INDEX_DEPTH} deep")


def _parts_from_manifest(store: BlobStore, manifest: JsonObject, manifest_digest: str,
                         ref: str) -> ImageParts:
    config_desc = manifest.get("config")
    if not isinstance(config_desc, dict):
        raise SourceError(f"{store.name}: manifest {manifest_digest} has no config descriptor")
    config_digest = str(config_desc.get("digest", ""))
    config, _ = read_json(store, blob_path(config_digest, store.name), config_digest,
                          descriptor_size(config_desc))
    layers = layer_refs_from_manifest(manifest, f"{store.name}:{manifest_digest}")
    layers = tuple(LayerRef(blob_path(r.digest, store.name), r.digest, r.media_type, r.size)
                   for r in layers)
    annotations = manifest.get("annotations")
    return ImageParts(ref=ref, config=config, config_digest=config_digest, layers=layers,
                      manifest_digest=manifest_digest,
                      annotations={str(k): str(v) for k, v in annotations.items()}
                      if isinstance(annotations, dict) else {})


def resolve_docker(store: BlobStore, ref: str = "") -> ImageParts:
    """Follow a docker-save ``manifest.json`` (classic or OCI-in-tar) to config and layers."""
    with store.open("manifest.json") as handle:
        data = read_small(handle, JSON_LIMIT, f"{store.name}:manifest.json")
    try:
        entries = json.loads(data)  # a list, so parse_json (objects only) does not fit
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(f"{store.name}:manifest.json: invalid JSON ({exc})") from None
    if not isinstance(entries, list) or not entries or not isinstance(entries[0], dict):
        raise SourceError(f"{store.name}:manifest.json: expected a non-empty list of images")
    entry = _pick_entry(entries, ref)
    config_name = str(entry.get("Config", ""))
    config_digest = _digest_from_name(config_name)
    config, actual = read_json(store, config_name, config_digest)
    names, tags = entry.get("Layers"), entry.get("RepoTags")
    names = names if isinstance(names, list) else []
    tags = tags if isinstance(tags, list) else []
    layers = [LayerRef(str(name), _digest_from_name(str(name)), DOCKER_LAYER, None) for name in names]
    return ImageParts(ref=ref or (str(tags[0]) if tags else ""), config=config,
                      config_digest=config_digest or actual, layers=tuple(layers))


def _pick_entry(entries: list[object], ref: str) -> JsonObject:
    for entry in entries:
        if isinstance(entry, dict) and ref and ref in (entry.get("RepoTags") or []):
            return entry
    first = entries[0]
    assert isinstance(first, dict)
    return first


def _digest_from_name(name: str) -> str:
    """Return the digest a content-addressed name implies (``blobs/sha256/<hex>``, ``<hex>.json``)."""
    parts = name.split("/")
    if len(parts) == 3 and parts[0] == "blobs" and _DIGEST.match(f"{parts[1]}:{parts[2]}"):
        return f"{parts[1]}:{parts[2]}"
    stem = name.removesuffix(".json")
    if "/" not in stem and _DIGEST.match(f"sha256:{stem}"):
        return f"sha256:{stem}"
    return ""


def resolve_any(store: BlobStore, ref: str = "", platform: Platform | None = None) -> ImageParts:
    """Prefer an OCI ``index.json``; fall back to docker's ``manifest.json``.

    With ``platform`` (``--platform``), an image whose config names another platform is a
    SourceError; without it, the host's image of an index, or the only image, is read.
    """
    if store.exists("index.json") and store.exists("oci-layout"):
        parts = resolve_oci(store, platform)
    elif store.exists("manifest.json"):
        parts = resolve_docker(store, ref)
    elif store.exists("index.json"):
        parts = resolve_oci(store, platform)
    else:
        raise SourceError(f"{store.name}: neither an OCI layout (index.json) nor a docker archive "
                          "(manifest.json)")
    check_config_platform(parts.config, store.name, platform)
    return parts
