"""Resolve an image source (daemon image, docker archive, OCI layout) into a config and its layers.

A daemon image is read with ``docker image inspect`` first (on the engine's socket when
the CLI would use it, see :mod:`.docker_socket`): when every layer is already in the layer
cache, nothing else is needed (the warm path costs one inspect, no ``docker save``).  Otherwise
the image is streamed out with ``docker save`` (or the builder's own save) into a private
temporary archive that lives only as long as the :class:`AcquiredImage` context.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO

from pylint_image.linter.errors import EngineUnavailable, SourceError
from pylint_image.linter.model.image import Image, ImageConfig
from pylint_image.linter.oci import ImageSource, load_image, load_image_stream, parse_source
from pylint_image.linter.oci.config import parse_image_config

from .docker_socket import engine_error, inspect_image
from .fsutil import remove_tree
from .rootfs import LayerCache, LayerSource
from pylint_image.linter.model.frozen import frozen

LOG = logging.getLogger(__name__)
_INSPECT_TIMEOUT = 60.0
# Kept equal to registry.SOURCE_PREFIXES (a test checks): testing the prefix here spares every
# other source the registry client's imports (http.client, ssl: ~15 ms of start-up).
REGISTRY_PREFIXES = ("registry:", "docker://")
Saver = Callable[[str], contextlib.AbstractContextManager[IO[bytes]]]


ModelLoader = Callable[[Sequence[object]], Image]


@frozen
class AcquiredImage:
    """An image ready to run: its name, runtime config and layers (bottom first).

    ``model`` loads the linter's layer-by-layer Image (for the IMAGE rules) given the rules'
    content needs; ``image_id`` (the config digest) keys its cache.
    """

    name: str
    config: ImageConfig
    layers: tuple[LayerSource, ...]
    image_id: str = ""
    model: ModelLoader | None = None


def _docker_save(ref: str) -> contextlib.AbstractContextManager[IO[bytes]]:
    from .build import DockerBuilder

    return DockerBuilder().save(ref)


def _inspect(ref: str) -> dict[str, object]:
    """``docker image inspect`` of ``ref`` as a dict.

    EngineUnavailable (exit code 3) when there is no docker CLI or no engine answers, with
    the CLI's own message; SourceError (exit code 2) when the engine has no such image.
    """
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


def _config_of_inspect(inspect: dict[str, object]) -> tuple[ImageConfig, tuple[str, ...]]:
    """Rebuild the image config JSON from inspect output (same field names as the config blob)."""
    rootfs = inspect.get("RootFS") if isinstance(inspect.get("RootFS"), dict) else {}
    config = {"config": inspect.get("Config") or {}, "architecture": inspect.get("Architecture"),
              "os": inspect.get("Os"), "rootfs": {"diff_ids": rootfs.get("Layers") or []}}  # type: ignore[union-attr]
    image_config, _history, diff_ids = parse_image_config(config)
    return image_config, diff_ids


def _from_archive(path: Path, name: str, cache: LayerCache) -> AcquiredImage:
    """Open an archive or layout and bring every layer into the cache, verified, before anything runs."""
    source = ImageSource(path, "")
    image_config, _history, diff_ids = parse_image_config(source.parts.config)
    if len(diff_ids) != len(source.parts.layers):
        raise SourceError(f"{path}: the config names {len(diff_ids)} layers, the manifest "
                          f"{len(source.parts.layers)}")
    layers = tuple(LayerSource(d, (lambda d=d: source.open_layer(d)), f"{path}:{ref.blob}")
                   for d, ref in zip(diff_ids, source.parts.layers, strict=True))
    # Here, not when the root is assembled: a layer that is not what the config claims is a
    # source error of this image (exit 2), found before any probe starts.
    cache.ensure_all(layers)
    return AcquiredImage(name, image_config, layers, source.parts.config_digest,
                         lambda needs: load_image(path, needs=needs, ref=name))


@contextlib.contextmanager
def _saved(ref: str, save: Saver) -> Iterator[Path]:
    """Save ``ref`` into a private temporary archive, removed on exit."""
    tmp = Path(tempfile.mkdtemp(prefix="pylint-image-save-"))
    try:
        archive = tmp / "image.tar"
        with save(ref) as stream, archive.open("wb") as out:
            shutil.copyfileobj(stream, out, 1 << 20)
        yield archive
    finally:
        for line in remove_tree(tmp):
            LOG.warning("%s", line)


@contextlib.contextmanager
def daemon_image(ref: str, cache: LayerCache, save: Saver | None = None,
                 inspect: bool = True) -> Iterator[AcquiredImage]:
    """A local engine's image: inspect only when the cache is warm, else save it once."""
    if inspect:
        found = _inspect(ref)
        image_config, diff_ids = _config_of_inspect(found)
        if diff_ids and all(cache.get(d) is not None for d in diff_ids):
            yield AcquiredImage(ref, image_config, tuple(LayerSource(d, _unreachable(d)) for d in diff_ids),
                                str(found.get("Id") or ""), _streamed_model(ref, save or _docker_save))
            return
    with _saved(ref, save or _docker_save) as archive:
        yield _from_archive(archive, ref, cache)


def _streamed_model(ref: str, save: Saver) -> ModelLoader:
    """The warm path saved nothing: load the Image from a ``docker save`` stream when asked."""
    def load(needs: Sequence[object]) -> Image:
        with save(ref) as stream:
            return load_image_stream(stream, needs=needs, ref=ref)
    return load


def _unreachable(diff_id: str) -> Callable[[], IO[bytes]]:
    def fail() -> IO[bytes]:
        raise SourceError(f"layer {diff_id} vanished from the cache while verifying")
    return fail


@contextlib.contextmanager
def acquire(source: str, cache: LayerCache) -> Iterator[AcquiredImage]:
    """Open ``--image SOURCE``: ``docker-daemon:NAME``, ``registry:REF``, a docker archive or an OCI layout."""
    if source.startswith(REGISTRY_PREFIXES):
        from .registry import resolve_registry_source

        yield _from_archive(resolve_registry_source(source), source, cache)
        return
    spec = parse_source(source)
    if spec.kind == "daemon":
        with daemon_image(spec.target, cache) as image:
            yield image
        return
    yield _from_archive(Path(spec.target), source, cache)
