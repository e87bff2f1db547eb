"""Read a ``docker save`` archive into runner LayerSources (legacy and OCI-style layouts)."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

from pylint_image.runner.rootfs import LayerSource


def archive_layers(archive: Path) -> tuple[list[LayerSource], dict]:
    """Return the image's layers (bottom first) and its config from a docker-archive tar."""
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))[0]
        config = json.load(tar.extractfile(manifest["Config"]))
    diff_ids = config["rootfs"]["diff_ids"]

    def opener(member: str):
        def open_layer():
            tar = tarfile.open(archive)
            stream = tar.extractfile(member)
            assert stream is not None
            return stream
        return open_layer

    layers = [LayerSource(d, opener(m)) for d, m in zip(diff_ids, manifest["Layers"], strict=True)]
    return layers, config
