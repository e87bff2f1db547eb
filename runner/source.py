"""The one way to get an image: :func:`acquire` opens any SOURCE for ``image`` and ``verify`` alike.

SOURCE is ``docker-daemon:NAME``, ``registry:REF`` / ``docker://REF`` (pulled by
:mod:`.registry`), a docker archive or an OCI layout; every source picks the same image of
a multi-platform index (:mod:`pylint_image.linter.oci.multiarch`: the host's platform, or
``--platform``).

A daemon image is read with ``docker image inspect`` first (on the engine's socket when
the CLI would use it, see :mod:`.docker_socket`): when every layer is already in the layer
cache, nothing else is needed (the warm path costs one inspect, no ``docker save``).  Otherwise
the image is streamed out with ``docker save`` (or the builder's own save) into a private
temporary archive that lives only as long as the :class:`AcquiredImage` context.  Without a
layer cache (``pylint-image image`` only reads the image) nothing is unpacked or written:
the model is read from a ``docker save`` stream, straight from the pipe.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, BinaryIO

from pylint_image.linter.errors import EngineUnavailable, SourceError
from pylint_image.linter.model.image import Image, ImageConfig
from pylint_image.linter.oci import ImageSource, load_image, load_image_stream, parse_source
from pylint_image.linter.oci.config import parse_image_config
from pylint_image.linter.oci.layer import NeedsLike
from pylint_image.linter.oci.multiarch import Platform, check_config_platform, parse_platform

from .layer_source import LayerSource
from pylint_image.linter.model.frozen import frozen

if TYPE_CHECKING:   # only verify passes a layer cache; `image` never loads rootfs and the sandbox
    from .rootfs import LayerCache
    from .progress import ByteProgress

# Imported where used: the engine's socket and CLI (subprocess, socket), temporary files and
# logging are for docker-daemon: sources; an archive or a layout needs none of them (~12 ms).
_INSPECT_TIMEOUT = 60.0
# Kept equal to registry.SOURCE_PREFIXES (a test checks): testing the prefix here spares every
# other source the registry client's imports (http.client, ssl: ~15 ms of start-up).
REGISTRY_PREFIXES = ("registry:", "docker://")
Saver = Callable[[str], contextlib.AbstractContextManager[IO[bytes]]]


ModelLoader = Callable[[Sequence[NeedsLike]], Image]   # the enabled rules' meta.needs -> the Image


@frozen
class AcquiredImage:
    """An image ready to read or run: its name, runtime config and layers (bottom first).

    ``layers`` are in the layer cache when it was acquired with one (verify), else only named.

    ``model`` loads the linter's layer-by-layer Image (for the IMAGE rules) given the rules'
    content needs; ``image_id`` (the config digest) keys its cache.
    """

    name: str
    config: ImageConfig
    layers: tuple[LayerSource, ...]
    image_id: str
    model: ModelLoader


def _docker_save(ref: str) -> contextlib.AbstractContextManager[IO[bytes]]:
    from .build import DockerBuilder

    return DockerBuilder().save(ref)


def _inspect(ref: str) -> dict[str, object]:
    """``docker image inspect`` of ``ref`` as a dict.

    EngineUnavailable (exit code 3) when there is no docker CLI or no engine answers, with
    the CLI's own message; SourceError (exit code 2) when the engine has no such image.
    """
    import shutil
    import subprocess

    from .docker_socket import engine_error, inspect_image

    found_on_socket = inspect_image(ref)
    if found_on_socket is not None:
        return found_on_socket
    if shutil.which("docker") is None:
        raise EngineUnavailable("the docker CLI is not installed", f"docker-daemon:{ref}")
    try:
        done = subprocess.run(["docker", "image", "inspect", ref], capture_output=True, text=True,
                              timeout=_INSPECT_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise EngineUnavailable(f"docker image inspect did not answer within {_INSPECT_TIMEOUT:g} s",
                                f"docker-daemon:{ref}") from None
    if done.returncode != 0:
        raise engine_error(done.stderr or "no such image", f"docker-daemon:{ref}")
    found = json.loads(done.stdout)
    if not isinstance(found, list) or not found or not isinstance(found[0], dict):
        raise SourceError(f"docker-daemon:{ref}: unexpected inspect output")
    return found[0]


def _config_of_inspect(inspect: dict[str, object], where: str,
                       platform: Platform | None) -> tuple[ImageConfig, tuple[str, ...]]:
    """Rebuild the image config JSON from inspect output (same field names as the config blob)."""
    rootfs = inspect.get("RootFS")
    config: dict[str, object] = {
        "config": inspect.get("Config") or {}, "architecture": inspect.get("Architecture"),
        "os": inspect.get("Os"), "variant": inspect.get("Variant"),
        "rootfs": {"diff_ids": (rootfs.get("Layers") if isinstance(rootfs, dict) else None) or []}}
    check_config_platform(config, where, platform)
    image_config, _history, diff_ids = parse_image_config(config)
    return image_config, diff_ids


def _from_archive(path: Path, name: str, cache: LayerCache | None,
                  platform: Platform | None = None, progress: ByteProgress | None = None) -> AcquiredImage:
    """Open an archive or layout; with a cache, bring every layer into it, verified, before anything runs."""
    source = ImageSource(path, "", platform)
    image_config, _history, diff_ids = parse_image_config(source.parts.config)
    if len(diff_ids) != len(source.parts.layers):
        raise SourceError(f"{path}: the config names {len(diff_ids)} layers, the manifest "
                          f"{len(source.parts.layers)}")
    layers = tuple(LayerSource(d, functools.partial(source.open_layer, d), f"{path}:{ref.blob}")
                   for d, ref in zip(diff_ids, source.parts.layers, strict=True))
    if cache is not None:
        # Here, not when the root is assembled: a layer that is not what the config claims is a
        # source error of this image (exit 2), found before any probe starts.
        cache.ensure_all(layers)
    return AcquiredImage(name, image_config, layers, source.parts.config_digest,
                         lambda needs: _load_archive(path, needs, name, platform, progress))


def _load_archive(path: Path, needs: Sequence[NeedsLike], name: str, platform: Platform | None,
                  progress: ByteProgress | None) -> Image:
    """``load_image``; with ``progress``, each layer's bytes are shown as they are read (by any process)."""
    if progress is None:
        return load_image(path, needs=needs, ref=name, platform=platform)
    from pylint_image.linter.oci import ContentNeeds

    from .progress import LayerBytes

    return ImageSource(path, name, platform).load(ContentNeeds.of(needs), on_read=LayerBytes(progress))


@contextlib.contextmanager
def _saved(ref: str, save: Saver) -> Iterator[Path]:
    """Save ``ref`` into a private temporary archive, removed on exit."""
    import logging
    import shutil
    import tempfile

    from .fsutil import remove_tree

    tmp = Path(tempfile.mkdtemp(prefix="pylint-image-save-"))
    try:
        archive = tmp / "image.tar"
        with save(ref) as stream, archive.open("wb") as out:
            shutil.copyfileobj(stream, out, 1 << 20)
        yield archive
    finally:
        for line in remove_tree(tmp):
            logging.getLogger(__name__).warning("%s", line)


@contextlib.contextmanager
def daemon_image(ref: str, cache: LayerCache | None, save: Saver | None = None,
                 inspect: bool = True, platform: Platform | None = None,
                 progress: ByteProgress | None = None) -> Iterator[AcquiredImage]:
    """A local engine's image: inspect only when the cache is warm (or there is none), else save it once.

    ``inspect`` False: the image is not docker's to inspect (a podman or buildah build).
    """
    if progress is not None:
        from .progress import counted_saver

        save = counted_saver(save or _docker_save, progress)
    if inspect:
        found = _inspect(ref)
        image_config, diff_ids = _config_of_inspect(found, f"docker-daemon:{ref}", platform)
        if cache is None or (diff_ids and all(cache.get(d) is not None for d in diff_ids)):
            yield AcquiredImage(ref, image_config, tuple(LayerSource(d, _unreachable(d)) for d in diff_ids),
                                str(found.get("Id") or ""), _streamed_model(ref, save or _docker_save, platform))
            return
    with _saved(ref, save or _docker_save) as archive:
        yield _from_archive(archive, ref, cache, platform)


def _streamed_model(ref: str, save: Saver, platform: Platform | None) -> ModelLoader:
    """Nothing was saved to disk: load the Image from a ``docker save`` stream when asked."""
    def load(needs: Sequence[NeedsLike]) -> Image:
        with save(ref) as stream:
            return load_image_stream(stream, needs=needs, ref=ref, platform=platform)
    return load


def _unreachable(diff_id: str) -> Callable[[], BinaryIO]:
    def fail() -> BinaryIO:
        raise SourceError(f"layer {diff_id} vanished from the cache while verifying")
    return fail


@contextlib.contextmanager
def acquire(source: str, cache: LayerCache | None = None, *, platform: Platform | None = None,
            save: Saver | None = None, inspect: bool = True,
            progress: ByteProgress | None = None) -> Iterator[AcquiredImage]:
    """Open SOURCE: ``docker-daemon:NAME``, ``registry:REF``/``docker://REF``, a docker archive or an OCI layout.

    With a layer ``cache`` (verify runs the image) every layer is in it, verified, when this
    yields; without one (``pylint-image image`` only reads it) nothing is unpacked, and
    ``model`` reads the image when asked.  ``platform`` picks the image of a multi-platform
    index (None: this host's).  ``save`` and ``inspect`` are for an image a builder just made:
    its own save command, and whether docker may inspect it.  ``progress`` is told the bytes
    of each layer read (or of the ``docker save`` stream).  SourceError (exit code 2) or
    EngineUnavailable (exit code 3) say in one line why not.
    """
    if source.startswith(REGISTRY_PREFIXES):
        from .registry import resolve_registry_source

        layout = resolve_registry_source(source, platform=str(platform) if platform else None,
                                         progress=progress)
        yield _from_archive(layout, source, cache, platform, progress)
        return
    spec = parse_source(source)
    if spec.kind == "daemon":
        with daemon_image(spec.target, cache, save, inspect, platform, progress) as image:
            yield image
        return
    if not os.path.lexists(spec.target):
        raise SourceError("no such file or directory", spec.target)
    yield _from_archive(Path(spec.target), source, cache, platform, progress)


def add_platform_argument(parser: argparse.ArgumentParser) -> None:
    """``--platform``: the same option, with the same meaning, for ``image`` and ``verify``."""
    parser.add_argument("--platform", type=parse_platform, metavar="OS/ARCH[/VARIANT]",
                        help="which image of a multi-platform source to read, e.g. linux/arm64 "
                             "(default: this host's platform)")
