"""A tiny registry on 127.0.0.1 (a thread, an ephemeral port) that serves crafted replies.

Tests install a :class:`Reply` per path, usually from a valid :class:`FakeImage`, then
make one of them lie.  Unknown paths get 404.  Every request is logged with its headers,
so tests can prove what was (or was not) fetched and which headers went where.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"


def sha256(data: bytes) -> str:
    """Return the ``sha256:<hex>`` digest of ``data``."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class Reply:
    """One crafted response.

    ``length`` is the Content-Length to declare (``"auto"``: the body's, ``None``: none,
    the body then ends when the connection closes); ``send`` stops the body after that
    many bytes; ``trickle`` sends one byte per that many seconds, forever; ``hang``
    sends headers and then nothing.
    """

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    length: int | str | None = "auto"
    send: int | None = None
    trickle: float = 0.0
    hang: bool = False


Route = Reply | Callable[[BaseHTTPRequestHandler], Reply]


class FakeRegistry:
    """The server: ``routes`` maps a request path (with query) to a Reply or a function."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.log: list[tuple[str, dict[str, str]]] = []
        self.stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self.host = f"127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{self.host}"

    def paths(self) -> list[str]:
        """The paths requested so far, in order."""
        return [path for path, _ in self.log]

    def start(self) -> FakeRegistry:
        """Serve in a daemon thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release hanging handlers."""
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def fake_registry() -> Iterator[FakeRegistry]:
    """Run a FakeRegistry for the duration of the block."""
    server = FakeRegistry().start()
    try:
        yield server
    finally:
        server.stop()


def _handler_for(registry: FakeRegistry) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # one request per connection: simple and explicit

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
            """Keep test output quiet."""

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's dispatch name
            """Answer from the routes table."""
            registry.log.append((self.path, {k: v for k, v in self.headers.items()}))
            route = registry.routes.get(self.path, Reply(404, b'{"errors":[]}'))
            reply = route if isinstance(route, Reply) else route(self)
            try:
                self._send(reply)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up on purpose: that is what these replies test

        def _send(self, reply: Reply) -> None:
            self.send_response(reply.status)
            for key, value in reply.headers.items():
                self.send_header(key, value)
            if reply.length == "auto":
                self.send_header("Content-Length", str(len(reply.body)))
            elif reply.length is not None:
                self.send_header("Content-Length", str(reply.length))
            self.end_headers()
            self.wfile.flush()
            if reply.hang:
                registry.stopping.wait(60)
                return
            if reply.trickle:
                while not registry.stopping.is_set():
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(reply.trickle)
                return
            self.wfile.write(reply.body if reply.send is None else reply.body[:reply.send])

    return Handler


def make_layer(files: dict[str, bytes]) -> tuple[bytes, str]:
    """Return a gzipped tar of ``files`` and the diff_id of its uncompressed tar."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    tar_bytes = raw.getvalue()
    return gzip.compress(tar_bytes, mtime=0), sha256(tar_bytes)


def descriptor(media_type: str, data: bytes, **extra: object) -> dict[str, object]:
    """An OCI descriptor of ``data``."""
    return {"mediaType": media_type, "digest": sha256(data), "size": len(data), **extra}


@dataclass
class FakeImage:
    """A valid one-layer OCI image: its blobs and manifest, ready to serve or to corrupt."""

    name: str = "fake/app"
    tag: str = "1"
    files: dict[str, bytes] = field(default_factory=lambda: {"hello.txt": b"hello\n"})

    def __post_init__(self) -> None:
        self.layer, diff_id = make_layer(self.files)
        self.config = json.dumps({
            "architecture": "amd64", "os": "linux",
            "config": {"Env": ["PATH=/bin"], "Cmd": ["/bin/sh"]},
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
            "history": [{"created_by": "COPY hello.txt /"}]}).encode()
        self.manifest_doc: dict[str, object] = {
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": descriptor(OCI_CONFIG, self.config),
            "layers": [descriptor(OCI_LAYER_GZIP, self.layer)]}

    @property
    def manifest(self) -> bytes:
        """The manifest's exact bytes (from ``manifest_doc``, which tests may edit)."""
        return json.dumps(self.manifest_doc).encode()

    def path(self, kind: str, ref: str) -> str:
        """``/v2/<name>/<kind>/<ref>``."""
        return f"/v2/{self.name}/{kind}/{ref}"

    def serve(self, registry: FakeRegistry) -> None:
        """Install honest routes for the manifest (by tag and digest) and every blob."""
        manifest = self.manifest
        reply = Reply(body=manifest, headers={"Content-Type": OCI_MANIFEST,
                                              "Docker-Content-Digest": sha256(manifest)})
        registry.routes[self.path("manifests", self.tag)] = reply
        registry.routes[self.path("manifests", sha256(manifest))] = reply
        for blob in (self.config, self.layer):
            registry.routes[self.path("blobs", sha256(blob))] = Reply(body=blob)

    def index(self, platforms: list[tuple[str, str]]) -> bytes:
        """An OCI index listing this image's manifest once per ``(os, arch)``."""
        return json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
            descriptor(OCI_MANIFEST, self.manifest, platform={"os": o, "architecture": a})
            for o, a in platforms]}).encode()
