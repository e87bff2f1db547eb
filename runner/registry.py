"""Pull an image from an OCI distribution (Docker Registry HTTP API v2) registry to a layout.

Pure standard library, so ``pip install`` is all a user needs.  Every manifest and blob is
verified against its digest and declared size while it streams into a content cache keyed
by digest (written to a temporary name, renamed only once verified); the layout handed to
``load_image`` is then made of hard links into that cache, so pulling again is free.
A registry that lies gets one :class:`SourceError` line, never a traceback.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING

from pylint_image.linter.errors import SourceError
from pylint_image.linter.oci.multiarch import Platform, parse_platform, pick_manifest
from pylint_image.linter.oci.resolve import blob_path
from pylint_image.linter.reference import InvalidReference, Reference
from pylint_image.runner.registry_credentials import Credentials
from pylint_image.runner.registry_http import Response, Transport, clean, stream_into
from pylint_image.linter.model.frozen import frozen

if TYPE_CHECKING:
    from pylint_image.runner.progress import ByteProgress

LOG = logging.getLogger(__name__)

DEFAULT_INSECURE = ("127.0.0.1", "localhost", "[::1]")
SOURCE_PREFIXES = ("registry:", "docker://")
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
INDEX_TYPES = (OCI_INDEX, "application/vnd.docker.distribution.manifest.list.v2+json")
MANIFEST_TYPES = ("application/vnd.oci.image.manifest.v1+json",
                  "application/vnd.docker.distribution.manifest.v2+json")
CONFIG_TYPES = ("application/vnd.oci.image.config.v1+json",
                "application/vnd.docker.container.image.v1+json")
MANIFEST_LIMIT = 4 << 20  # the distribution spec's limit on manifests a registry must accept
# Registries whose Registry API is not served at their domain: Docker Hub's images are named
# docker.io/... (the canonical domain of every reference), its API lives at registry-1.docker.io.
API_HOSTS = {"docker.io": "registry-1.docker.io"}
DEFAULT_TAG = "latest"

_DIGEST = re.compile(r"^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$")


@frozen
class Descriptor:
    """What an index or manifest says about a blob: its media type, digest and exact size."""

    media_type: str
    digest: str
    size: int


def parse_source(ref: str) -> Reference:
    """Parse a ``registry:``/``docker://`` source (or a bare reference) with the linter's parser.

    The tag defaults to ``latest`` unless a digest pins the image, as ``docker pull`` does.
    """
    text = ref.strip()
    for prefix in SOURCE_PREFIXES:
        text = text.removeprefix(prefix)
    try:
        parsed = Reference.parse(text)
    except InvalidReference as exc:
        raise SourceError(f"{clean(ref)}: {clean(exc)}") from None
    if parsed.tag is None and parsed.digest is None:
        parsed = Reference(parsed.domain, parsed.path, DEFAULT_TAG, None, parsed.text)
    return parsed


def api_host(ref: Reference) -> str:
    """The ``host[:port]`` serving the Registry API for ``ref``'s domain (Docker Hub's is not docker.io)."""
    return API_HOSTS.get(ref.domain, ref.domain)


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/pylint-image``, or ``~/.cache/pylint-image``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pylint-image"


def is_registry_source(spec: str) -> bool:
    """True for ``registry:HOST/NAME:TAG`` and ``docker://HOST/NAME:TAG`` sources."""
    return spec.startswith(SOURCE_PREFIXES)


def resolve_registry_source(spec: str, cache_dir: Path | None = None, *,
                            platform: str | None = None, timeout: float = 30.0,
                            deadline: float = 3600.0,
                            progress: ByteProgress | None = None) -> Path:
    """Pull a ``registry:``/``docker://`` source and return its OCI layout directory.

    Layouts live in ``<cache>/layouts/``, one per reference and manifest digest: the caller
    never cleans anything up, and an unchanged tag reuses its layout.  ``progress`` is told
    the bytes of each layer blob downloaded (``download layer 2/5``, its size the total);
    layers already in the cache download nothing and show nothing.
    """
    if not is_registry_source(spec):
        raise SourceError(f"{clean(spec)}: not a registry source (registry:HOST/NAME:TAG)")
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    layouts = root / "layouts"
    try:
        layouts.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".pull-", dir=layouts))
    except OSError as exc:
        raise SourceError(f"{layouts}: cannot create the layout cache ({exc.strerror})") from None
    try:
        ref, manifest = _pull(spec, tmp, root, platform, DEFAULT_INSECURE, timeout, deadline,
                              progress)
        key = hashlib.sha256(f"{ref}|{manifest.digest}|{platform}".encode()).hexdigest()[:32]
        final = layouts / key
        if not final.is_dir():
            with contextlib.suppress(OSError):  # lost a race: another pull made the same one
                tmp.rename(final)
        return final
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def pull_to_layout(ref: str, dest: Path, *, platform: str | None = None,
                   insecure_hosts: Iterable[str] = DEFAULT_INSECURE, timeout: float = 30.0,
                   deadline: float = 3600.0, cache_dir: Path | None = None,
                   progress: ByteProgress | None = None) -> Path:
    """Pull ``ref`` into the OCI layout directory ``dest`` and return ``dest``.

    ``platform`` is ``os/arch[/variant]`` (default: linux and this host's architecture);
    ``insecure_hosts`` get plain HTTP; ``timeout`` bounds each network wait and ``deadline``
    the whole pull (seconds).  ``dest`` is written only once every blob is verified.
    ``progress`` is told the bytes of each layer blob downloaded.
    """
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    _pull(ref, Path(dest), root, platform, insecure_hosts, timeout, deadline, progress)
    return Path(dest)


def _pull(ref: str, dest: Path, root: Path, platform: str | None, insecure: Iterable[str],
          timeout: float, deadline: float,
          progress: ByteProgress | None = None) -> tuple[Reference, Descriptor]:
    parsed = parse_source(ref)
    transport = Transport(insecure, timeout, deadline, Credentials.from_docker_config())
    puller = _Puller(parsed, transport, BlobCache(root / "blobs"), _platform(platform), progress)
    manifest, blobs = puller.pull()
    write_layout(dest, puller.cache, manifest, blobs, parsed)
    return parsed, manifest


class BlobCache:
    """Verified blobs by digest under ``root/<alg>/<hex>``; never holds a partial file there."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, digest: str) -> Path:
        """The cache file of ``digest`` (a malformed digest is refused before any path use)."""
        return self.root / blob_path(digest, str(self.root)).removeprefix("blobs/")

    def lookup(self, desc: Descriptor) -> bool:
        """True when the cache holds ``desc``'s bytes (size -1: any); a corrupt entry is dropped."""
        path = self.path(desc.digest)
        try:
            if desc.size in (-1, path.stat().st_size) and _hash_file(path, desc) == desc.digest:
                LOG.debug("cache hit %s", desc.digest)
                return True
            LOG.warning("%s: corrupt cached blob, fetching it again", path)
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            LOG.warning("%s: unreadable cached blob (%s)", path, exc.strerror)
        return False

    def store(self, desc: Descriptor, resp: Response,
              progress: tuple[ByteProgress, str] | None = None) -> None:
        """Stream a blob response into the cache, verifying its size and digest on the way.

        ``progress``: a display and the item's label, told the bytes as they arrive.
        """
        if resp.length is not None and resp.length != desc.size:
            # Refused before reading: a 10 GB Content-Length never touches the disk.
            raise SourceError(f"{resp.url}: Content-Length {resp.length} differs from the "
                              f"descriptor size {desc.size}")
        hasher = hashlib.new(desc.digest.split(":", 1)[0])
        update = hasher.update if progress is None else _counting(hasher.update, *progress,
                                                                  desc.size)
        with _atomic(self.path(desc.digest)) as sink:
            got = stream_into(resp, sink, desc.size, update)
            if progress is not None:
                progress[0].advance(got)
                progress[0].finish()
            if got > desc.size:
                raise SourceError(f"{resp.url}: blob is longer than its declared size {desc.size}")
            if got < desc.size:
                raise SourceError(f"{resp.url}: truncated blob ({got} of {desc.size} bytes)")
            _check(resp.url, "digest", desc.digest, f"{hasher.name}:{hasher.hexdigest()}")



def _counting(update: Callable[[bytes], object], progress: ByteProgress, label: str,
              total: int) -> Callable[[bytes], None]:
    """``update`` that also tells ``progress`` the bytes so far (at most every 0.1 s)."""
    import time  # noqa: PLC0415 - only a pull with a display needs it

    progress.start(label, total)
    count, last = 0, 0.0

    def counted(data: bytes) -> None:
        nonlocal count, last
        update(data)
        count += len(data)
        now = time.monotonic()
        if now - last >= 0.1:
            last = now
            progress.advance(count)

    return counted


@contextlib.contextmanager
def _atomic(path: Path) -> Iterator[IO[bytes]]:
    """Yield a temporary file beside ``path`` that becomes ``path`` only if the block succeeds."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".partial-{path.name[:12]}-", dir=path.parent)
    except OSError as exc:
        raise SourceError(f"{path.parent}: cannot write the blob cache ({exc.strerror})") from None
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as sink:
            yield sink
        # Read-only: layouts hard-link it, and a write through one would corrupt the cache.
        os.chmod(tmp, 0o444)
        os.replace(tmp, path)
    except OSError as exc:
        raise SourceError(f"{path}: cannot write the blob cache ({exc.strerror})") from None
    finally:
        tmp.unlink(missing_ok=True)


class _Puller:
    """Fetches one image's manifest chain and blobs from one repository."""

    def __init__(self, ref: Reference, transport: Transport, cache: BlobCache,
                 platform: Platform | None, progress: ByteProgress | None = None) -> None:
        self.ref = ref
        self.progress = progress
        self.transport = transport
        self.cache = cache
        self.platform = platform
        host = api_host(ref)
        self.base = f"{transport.scheme(host)}://{host}/v2/{ref.path}"
        self.scope = f"repository:{ref.path}:pull"

    def pull(self) -> tuple[Descriptor, list[Descriptor]]:
        """Return the chosen image manifest's descriptor and its config and layer descriptors."""
        pinned = Descriptor("", self.ref.digest, -1) if self.ref.digest else None
        desc, doc = self.manifest(self.ref.digest or self.ref.tag or DEFAULT_TAG, pinned)
        if desc.media_type in INDEX_TYPES:
            chosen = pick_platform(doc, self.platform, f"{self.base}/manifests/{desc.digest}")
            desc, doc = self.manifest(chosen.digest, chosen)
            if desc.media_type in INDEX_TYPES:
                raise SourceError(f"{self.base}/manifests/{desc.digest}: an index inside an "
                                  "index is not supported")
        where = f"{self.base}/manifests/{desc.digest}"
        blobs = [_descriptor(doc.get("config"), where, "config")]
        blobs += [_descriptor(layer, where, f"layer {i}")
                  for i, layer in enumerate(doc["layers"])]
        for i, blob in enumerate(blobs):
            if not self.cache.lookup(blob):
                # Layers only (``download layer 2/5``): the config is small, fetched first.
                shown = None if self.progress is None or i == 0 else (
                    self.progress, f"download layer {i}/{len(blobs) - 1}")
                with self.transport.get(f"{self.base}/blobs/{blob.digest}", (), self.scope) as resp:
                    self.cache.store(blob, resp, shown)
        return desc, blobs

    def manifest(self, reference: str, expected: Descriptor | None) -> tuple[Descriptor, dict]:
        """Fetch (or find cached) and verify one manifest or index; return it and its descriptor."""
        url = f"{self.base}/manifests/{reference}"
        header_type = expected.media_type if expected else ""
        if expected and self.cache.lookup(expected):
            data = self.cache.path(expected.digest).read_bytes()
            actual = expected.digest
        else:
            limit = expected.size if expected and expected.size >= 0 else MANIFEST_LIMIT
            with self.transport.get(url, INDEX_TYPES + MANIFEST_TYPES, self.scope) as resp:
                data = resp.read_all(limit, "manifest")
                header_type = resp.header("Content-Type")
                header_digest = resp.header("Docker-Content-Digest")
            alg = expected.digest.split(":", 1)[0] if expected else "sha256"
            actual = f"{alg}:{hashlib.new(alg, data).hexdigest()}"
            if expected:
                _check(url, "manifest digest", expected.digest, actual)
            if header_digest.startswith(f"{alg}:"):
                _check(url, "manifest digest", clean(header_digest, 140), actual)
        if expected and expected.size >= 0 and len(data) != expected.size:
            raise SourceError(f"{url}: manifest is {len(data)} bytes, the index says "
                              f"{expected.size}")
        media, doc = parse_manifest(data, header_type, url)
        if expected and expected.media_type and media != expected.media_type:
            raise SourceError(f"{url}: manifest mediaType {clean(media)} differs from the "
                              f"index's {clean(expected.media_type)}")
        if not self.cache.path(actual).is_file():  # kept by digest: an index entry is immutable
            with _atomic(self.cache.path(actual)) as sink:
                sink.write(data)
        return Descriptor(media, actual, len(data)), doc


def parse_manifest(data: bytes, header_type: str, where: str) -> tuple[str, dict]:
    """Parse and schema-check an image manifest or index; return its media type and JSON."""
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(f"{where}: manifest is not valid JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise SourceError(f"{where}: manifest is not a JSON object")
    media = doc.get("mediaType") or header_type.split(";", 1)[0].strip()
    if not media:  # optional in OCI JSON, and a cached manifest has no Content-Type
        media = INDEX_TYPES[0] if "manifests" in doc else MANIFEST_TYPES[0]
    if media not in INDEX_TYPES + MANIFEST_TYPES:
        raise SourceError(f"{where}: unsupported manifest mediaType {clean(media)!r}")
    if doc.get("schemaVersion") != 2:
        raise SourceError(f"{where}: manifest schemaVersion is not 2")
    if media in INDEX_TYPES:
        if not isinstance(doc.get("manifests"), list):
            raise SourceError(f"{where}: index has no manifests list")
        return str(media), doc
    config = _descriptor(doc.get("config"), where, "config")
    if config.media_type not in CONFIG_TYPES:
        raise SourceError(f"{where}: config mediaType {clean(config.media_type)!r} is not "
                          "an image's")
    if not isinstance(doc.get("layers"), list):
        raise SourceError(f"{where}: manifest has no layers list")
    return str(media), doc


def pick_platform(index: dict, wanted: Platform | None, where: str) -> Descriptor:
    """The descriptor of ``wanted``'s image in an index: the choice every source makes (``multiarch``)."""
    for i, entry in enumerate(index["manifests"]):
        _descriptor(entry, where, f"manifest {i}")
    return _descriptor(pick_manifest(index, where, wanted), where, "manifest")


def write_layout(dest: Path, cache: BlobCache, manifest: Descriptor, blobs: list[Descriptor],
                 ref: Reference) -> None:
    """Make ``dest`` an OCI layout of the cached blobs (hard links; copies across devices)."""
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [{
        "mediaType": manifest.media_type, "digest": manifest.digest, "size": manifest.size,
        "annotations": {"io.containerd.image.name": str(ref),
                        "org.opencontainers.image.ref.name": ref.tag or ref.digest}}]}
    try:
        for desc in (manifest, *blobs):
            _place(cache.path(desc.digest), dest / blob_path(desc.digest, str(dest)))
        (dest / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}\n', encoding="utf-8")
        # index.json last and atomically: a layout without it is visibly incomplete.
        tmp = dest / ".index.json.tmp"
        tmp.write_text(json.dumps(index, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, dest / "index.json")
    except OSError as exc:
        raise SourceError(f"{dest}: cannot write the OCI layout ({exc.strerror})") from None


def _place(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(source, tmp)
    except OSError:
        shutil.copyfile(source, tmp)  # another filesystem: hard links cannot cross it
    os.replace(tmp, target)


def _descriptor(value: object, where: str, what: str) -> Descriptor:
    if not isinstance(value, dict):
        raise SourceError(f"{where}: {what} descriptor is missing or not an object")
    media, digest, size = value.get("mediaType"), value.get("digest"), value.get("size")
    if not isinstance(digest, str) or not _DIGEST.match(digest):
        raise SourceError(f"{where}: {what} has a malformed digest {clean(digest, 80)!r}")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise SourceError(f"{where}: {what} has no valid size")
    if not isinstance(media, str) or not media:
        raise SourceError(f"{where}: {what} has no mediaType")
    return Descriptor(media, digest, size)


def _check(where: str, what: str, expected: str, actual: str) -> None:
    if expected != actual:
        raise SourceError(f"{where}: {what} mismatch (expected {expected}, got {actual})")


def _hash_file(path: Path, desc: Descriptor) -> str:
    hasher = hashlib.new(desc.digest.split(":", 1)[0])
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            hasher.update(chunk)
    return f"{hasher.name}:{hasher.hexdigest()}"


def _platform(text: str | None) -> Platform | None:
    return parse_platform(text) if text else None   # None: the host's, chosen as for local sources
