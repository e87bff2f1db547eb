"""Parse image configs and manifests, and assemble layer scans into an Image.

Shared by every source (OCI layout, docker archive, docker-save stream): they differ only
in how they find blobs, not in what the blobs mean.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import field, replace
from types import MappingProxyType

from pylint_image.linter.errors import SourceError
from pylint_image.linter.model.image import (
    Healthcheck,
    HistoryEntry,
    Image,
    ImageConfig,
    Layer,
)
from pylint_image.linter.oci.layer import LayerScan
from pylint_image.linter.oci.merge import merge_layers
from pylint_image.linter.oci.hashio import check_digest
from pylint_image.linter.model.frozen import frozen

JsonObject = dict[str, object]

DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
INDEX_TYPES = ("application/vnd.oci.image.index.v1+json",
               "application/vnd.docker.distribution.manifest.list.v2+json")


@frozen
class LayerRef:
    """A layer as a manifest names it: where its blob is and which digests it must have."""

    blob: str
    digest: str = ""
    media_type: str = ""
    size: int | None = None


@frozen
class ImageParts:
    """Everything a source resolved before assembling: the JSON and the ordered layers."""

    ref: str
    config: JsonObject
    config_digest: str
    layers: tuple[LayerRef, ...]
    manifest_digest: str = ""
    annotations: Mapping[str, str] = field(default_factory=dict)


def parse_json(data: bytes, name: str) -> JsonObject:
    """Parse a JSON object blob, or raise SourceError naming it."""
    try:
        value = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(f"{name}: invalid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise SourceError(f"{name}: expected a JSON object")
    return value


def layer_refs_from_manifest(manifest: JsonObject, name: str) -> tuple[LayerRef, ...]:
    """Return the LayerRefs of an OCI or Docker v2 image manifest, blobs named by digest."""
    refs = []
    for desc in _list(manifest.get("layers")):
        if not isinstance(desc, dict) or not isinstance(desc.get("digest"), str):
            raise SourceError(f"{name}: layer descriptor without a digest")
        size = desc.get("size")
        refs.append(LayerRef(desc["digest"], desc["digest"], str(desc.get("mediaType", OCI_LAYER)),
                             size if isinstance(size, int) else None))
    return tuple(refs)


def parse_image_config(config: JsonObject) -> tuple[ImageConfig, tuple[HistoryEntry, ...], tuple[str, ...]]:
    """Return the runtime config, history and rootfs diff_ids of an image config JSON."""
    cfg = _dict(config.get("config") or config.get("container_config"))
    health = _dict(cfg.get("Healthcheck"))
    image_config = ImageConfig(
        user=str(cfg.get("User") or ""),
        env=_strings(cfg.get("Env")) or (),
        entrypoint=_strings(cfg.get("Entrypoint")),
        cmd=_strings(cfg.get("Cmd")),
        workdir=str(cfg.get("WorkingDir") or ""),
        exposed_ports=tuple(sorted(_dict(cfg.get("ExposedPorts")))),
        volumes=tuple(sorted(_dict(cfg.get("Volumes")))),
        labels=MappingProxyType({str(k): str(v) for k, v in _dict(cfg.get("Labels")).items()}),
        healthcheck=Healthcheck(
            test=_strings(health.get("Test")) or (), interval=_int(health.get("Interval")),
            timeout=_int(health.get("Timeout")), start_period=_int(health.get("StartPeriod")),
            retries=_int(health.get("Retries"))) if health else None,
        stop_signal=str(cfg.get("StopSignal") or ""),
        shell=_strings(cfg.get("Shell")),
        architecture=str(config.get("architecture") or ""),
        os=str(config.get("os") or ""),
    )
    history = tuple(
        HistoryEntry(created_by=str(h.get("created_by") or ""),
                     empty_layer=bool(h.get("empty_layer")), comment=str(h.get("comment") or ""),
                     created=str(h.get("created") or ""), author=str(h.get("author") or ""))
        for h in _list(config.get("history")) if isinstance(h, dict))
    diff_ids = tuple(str(d) for d in _list(_dict(config.get("rootfs")).get("diff_ids")))
    return image_config, history, diff_ids


def assemble(parts: ImageParts, scans: Sequence[LayerScan]) -> Image:
    """Verify the scans against the manifest and config, then build the Image model."""
    image_config, history, diff_ids = parse_image_config(parts.config)
    if len(diff_ids) != len(parts.layers):
        raise SourceError(f"{parts.ref}: config lists {len(diff_ids)} diff_ids but the manifest "
                          f"lists {len(parts.layers)} layers")
    layer_history = [i for i, h in enumerate(history) if not h.empty_layer]
    if len(layer_history) != len(diff_ids):
        layer_history = []  # history that does not line up with layers is not trusted
    stamped = []
    layers = []
    for index, (ref, scan, diff_id) in enumerate(zip(parts.layers, scans, diff_ids, strict=True)):
        check_digest(ref.blob, ref.digest, scan.digest)
        check_digest(f"{ref.blob} (uncompressed)", diff_id, scan.diff_id)
        scan = scan.with_index(index)
        stamped.append(scan)
        hist = layer_history[index] if layer_history else None
        layers.append(Layer(
            index=index, digest=scan.digest, diff_id=scan.diff_id, size=scan.size,
            uncompressed_size=scan.uncompressed_size,
            media_type=ref.media_type or _media_type(scan),
            history_index=hist, created_by=history[hist].created_by if hist is not None else "",
            entries=tuple(scan.entries), whiteouts=tuple(scan.whiteouts),
            opaque_dirs=tuple(scan.opaque_dirs), contents=MappingProxyType(dict(scan.contents))))
    files, anomalies = merge_layers(stamped)
    return Image(ref=parts.ref, digest=parts.config_digest, config=image_config, history=history,
                 layers=tuple(layers), files=files, manifest_digest=parts.manifest_digest,
                 annotations=MappingProxyType(dict(parts.annotations)), anomalies=anomalies)


def with_ref(parts: ImageParts, ref: str) -> ImageParts:
    """Return ``parts`` with a caller-given reference, unless it already has one."""
    return parts if parts.ref else replace(parts, ref=ref)


def _media_type(scan: LayerScan) -> str:
    return {"gzip": OCI_LAYER + "+gzip", "zstd": OCI_LAYER + "+zstd"}.get(scan.compression, OCI_LAYER)


def _dict(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _int(value: object) -> int:
    return value if isinstance(value, int) else 0


def _strings(value: object) -> tuple[str, ...] | None:
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    if isinstance(value, str):
        return (value,)
    return None
