"""Synthesize tiny images with tarfile: OCI layouts and docker-save archives (no daemon).

An image is described by a dict (or YAML text) like::

    ref: example/app:1
    config: {User: app, Cmd: [sh]}
    os: linux                        # the config's os (windows for Windows images)
    annotations: {org.opencontainers.image.base.name: docker.io/library/debian:12}
    layers:
      - created_by: "/bin/sh -c #(nop) ADD file:abc in / "
        gzip: true
        files:
          - {path: /etc/passwd, content: "root:x:0:0::/root:/bin/sh\\n"}
          - {path: /usr/bin/su, mode: "04755", size: 1000}
          - {path: /usr/bin, type: dir}
          - {path: /bin/sh, type: symlink, target: /bin/busybox}
          - {path: /bin/ash, type: hardlink, target: /bin/busybox}
          - {path: /dev/null, type: char, major: 1, minor: 3}
          - {path: /tmp/old, type: whiteout}
          - {path: /var/cache, type: opaque}
          - {name: "../escape", content: x}        # raw tar name, not normalized
      - {created_by: "/bin/sh -c #(nop)  CMD [\\"sh\\"]", empty: true}

``empty: true`` steps are history-only (``empty_layer``).  Layers are built in memory:
they are tiny by design.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

_TYPES = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE,
          "hardlink": tarfile.LNKTYPE, "char": tarfile.CHRTYPE, "block": tarfile.BLKTYPE,
          "fifo": tarfile.FIFOTYPE}


@dataclass(frozen=True, slots=True)
class Blob:
    """One built blob: its bytes and digest."""

    data: bytes
    media_type: str

    @property
    def digest(self) -> str:
        """``sha256:<hex>`` of the bytes."""
        return "sha256:" + hashlib.sha256(self.data).hexdigest()

    @property
    def hex(self) -> str:
        """The hex part of the digest."""
        return self.digest.split(":", 1)[1]


@dataclass(frozen=True, slots=True)
class Built:
    """All blobs of a synthesized image, ready to be written in any layout."""

    ref: str
    layers: tuple[Blob, ...]
    diff_ids: tuple[str, ...]
    config: Blob
    manifest: Blob
    annotations: dict[str, str]


def _spec(spec: dict[str, Any] | str) -> dict[str, Any]:
    return load_yaml(spec) if isinstance(spec, str) else spec


def _member(item: dict[str, Any]) -> tuple[tarfile.TarInfo, bytes | None]:
    kind = item.get("type", "file")
    if kind == "whiteout":
        parent, _, base = item["path"].rstrip("/").rpartition("/")
        name, kind = f"{parent}/.wh.{base}", "file"
    elif kind == "opaque":
        name, kind = item["path"].rstrip("/") + "/.wh..wh..opq", "file"
    else:
        name = item.get("name") or item["path"]
    # Docker writes names relative to the root; "name:" keeps hostile raw names verbatim.
    info = tarfile.TarInfo(name if "name" in item else name.lstrip("/"))
    info.type = _TYPES[kind]
    info.mode = int(str(item.get("mode", "0755" if kind == "dir" else "0644")), 8)
    info.uid, info.gid = int(item.get("uid", 0)), int(item.get("gid", 0))
    info.mtime = 0
    data: bytes | None = None
    if kind in ("symlink", "hardlink"):
        target = item["target"]
        info.linkname = target.lstrip("/") if kind == "hardlink" else target
    elif kind in ("char", "block"):
        info.devmajor, info.devminor = int(item.get("major", 0)), int(item.get("minor", 0))
    elif kind == "file":
        content = item.get("content")
        if content is None:
            data = b"\0" * int(item.get("size", 0))
        else:
            data = content.encode() if isinstance(content, str) else bytes(content)
        info.size = len(data)
    return info, data


def layer_tar(files: list[dict[str, Any]]) -> bytes:
    """Return an uncompressed layer tar holding ``files`` (in the given order)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for item in files:
            if "raw" in item:
                buf.write(item["raw"])  # pre-built header+data (e.g. a GNU sparse member)
                tar.offset = buf.tell()
                continue
            info, data = _member(item)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def sparse_member(path: str, real_size: int, data: bytes = b"x" * 512) -> bytes:
    """Return a GNU sparse (type ``S``) member declaring ``real_size`` bytes, storing ``data``."""
    info = tarfile.TarInfo(path.lstrip("/"))
    info.size, info.mtime, info.mode = len(data), 0, 0o644
    header = bytearray(info.tobuf(format=tarfile.GNU_FORMAT))
    header[156:157] = b"S"
    # One sparse struct at offset 386: data chunk at offset real_size - len(data).
    header[386:398] = tarfile.itn(real_size - len(data), 12, tarfile.GNU_FORMAT)
    header[398:410] = tarfile.itn(len(data), 12, tarfile.GNU_FORMAT)
    header[482:483] = b"\0"
    header[483:495] = tarfile.itn(real_size, 12, tarfile.GNU_FORMAT)
    header[148:156] = b"        "
    checksum = sum(header[:512])
    header[148:156] = b"%06o\0 " % checksum
    padding = (-len(data)) % 512
    return bytes(header) + data + b"\0" * padding


def build(spec: dict[str, Any] | str) -> Built:
    """Build the blobs (layers, config, manifest) of an image description."""
    desc = _spec(spec)
    layers, diff_ids, history = [], [], []
    for step in desc.get("layers", []):
        entry = {"created_by": step.get("created_by", ""), "created": "2024-01-01T00:00:00Z"}
        if step.get("empty"):
            history.append({**entry, "empty_layer": True})
            continue
        history.append(entry)
        tar = layer_tar(step.get("files", []))
        diff_ids.append("sha256:" + hashlib.sha256(tar).hexdigest())
        if step.get("gzip", desc.get("gzip", False)):
            layers.append(Blob(gzip.compress(tar, mtime=0),
                               "application/vnd.oci.image.layer.v1.tar+gzip"))
        else:
            layers.append(Blob(tar, "application/vnd.oci.image.layer.v1.tar"))
    config = {"architecture": desc.get("architecture", "amd64"), "os": desc.get("os", "linux"),
              "config": desc.get("config", {}),
              "rootfs": {"type": "layers", "diff_ids": diff_ids}, "history": history}
    config_blob = Blob(json.dumps(config).encode(), "application/vnd.oci.image.config.v1+json")
    annotations = dict(desc.get("annotations", {}))
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": _desc(config_blob),
                "layers": [_desc(b) for b in layers]}
    if annotations:
        manifest["annotations"] = annotations
    manifest_blob = Blob(json.dumps(manifest).encode(),
                         "application/vnd.oci.image.manifest.v1+json")
    return Built(desc.get("ref", "synth/image:1"), tuple(layers), tuple(diff_ids), config_blob,
                 manifest_blob, annotations)


def _desc(blob: Blob) -> dict[str, Any]:
    return {"mediaType": blob.media_type, "digest": blob.digest, "size": len(blob.data)}


def _index(built: Built, extra: list[dict[str, Any]] | None = None) -> bytes:
    desc = _desc(built.manifest)
    desc["annotations"] = {"io.containerd.image.name": built.ref,
                           "org.opencontainers.image.ref.name": built.ref.rsplit(":", 1)[-1]}
    desc["platform"] = {"architecture": "amd64", "os": "linux"}
    return json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                       "manifests": (extra or []) + [desc]}).encode()


def oci_files(built: Built, extra_manifests: list[dict[str, Any]] | None = None) -> dict[str, bytes]:
    """Return the files of an OCI image layout (relative path -> bytes)."""
    files = {"oci-layout": b'{"imageLayoutVersion": "1.0.0"}',
             "index.json": _index(built, extra_manifests)}
    for blob in (*built.layers, built.config, built.manifest):
        files[f"blobs/sha256/{blob.hex}"] = blob.data
    return files


def write_oci_layout(spec: dict[str, Any] | str | Built, root: Path) -> Path:
    """Write an OCI image layout directory at ``root`` and return it."""
    built = spec if isinstance(spec, Built) else build(spec)
    for rel, data in oci_files(built).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def docker_archive_members(built: Built, fmt: str = "classic",
                           manifest_first: bool = False) -> list[tuple[str, bytes]]:
    """Return the ordered (name, bytes) members of a docker-save tar in ``fmt``.

    ``classic`` is docker < 25 (``<id>/layer.tar``, ``<config hex>.json``); ``oci`` is
    docker >= 25 (an OCI layout plus a ``manifest.json`` naming ``blobs/sha256/...``).
    Layers come before ``manifest.json`` unless ``manifest_first``, as docker writes them.
    """
    if fmt == "oci":
        layer_names = [f"blobs/sha256/{b.hex}" for b in built.layers]
        config_name = f"blobs/sha256/{built.config.hex}"
        body = list(oci_files(built).items())
    else:
        layer_names = [f"{hashlib.sha256(d.encode()).hexdigest()}/layer.tar"
                       for d in built.diff_ids]
        config_name = f"{built.config.hex}.json"
        # Classic archives carry the uncompressed layer tars.
        body = [(n, _gunzip(b.data)) for n, b in zip(layer_names, built.layers, strict=True)]
        body.append((config_name, built.config.data))
    manifest = json.dumps([{"Config": config_name, "RepoTags": [built.ref],
                            "Layers": layer_names}]).encode()
    member = ("manifest.json", manifest)
    return [member, *body] if manifest_first else [*body, member]


def _gunzip(data: bytes) -> bytes:
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def tar_bytes(members: list[tuple[str, bytes]]) -> bytes:
    """Pack (name, bytes) members into an uncompressed tar."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 0
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def write_docker_archive(spec: dict[str, Any] | str | Built, path: Path, fmt: str = "classic",
                         manifest_first: bool = False) -> Path:
    """Write a docker-save archive (``classic`` or ``oci``) at ``path`` and return it."""
    built = spec if isinstance(spec, Built) else build(spec)
    path.write_bytes(tar_bytes(docker_archive_members(built, fmt, manifest_first)))
    return path


def load_yaml(text: str):
    """Parse YAML with ruamel.yaml (a runtime dependency already; PyYAML is not)."""
    return YAML(typ="safe", pure=True).load(text)
