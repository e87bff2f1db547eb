"""A real registry for the tests, and the two ways they push to it.

``registry_host`` (a session fixture, made available to every test by ``tests/conftest.py``)
is ``HOST:PORT`` of a loopback registry: CI's ``.ci/run`` starts Debian's ``docker-registry``
on 127.0.0.1:5000 and exports PYLINT_IMAGE_TEST_REGISTRY; without it one is started on a free
loopback port, once for the session.  ``start_registry`` starts more (the pin tests' Basic-auth
one).

- :func:`docker_push` pushes a local engine image under a new name with ``docker push`` and
  gives ``docker image inspect`` of it (its ``RepoDigests`` name the digest the registry
  serves); the tag is removed afterwards, the image stays.
- :class:`Pusher` pushes made-up images and indexes with the Registry API (blob upload,
  manifest PUT), so a test controls each tag's digest and can move a tag.  No internet: nothing
  is pulled.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import http.client
import io
import json
import os
import shutil
import socket
import subprocess
import tarfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ENV = "PYLINT_IMAGE_TEST_REGISTRY"
LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


# --- registries ---------------------------------------------------------------------------------------------


def port_open(host: str, port: int) -> bool:
    """True when something accepts a TCP connection on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def free_port() -> int:
    """A loopback port nothing listens on (now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_registry(root: Path, extra_config: str = "") -> tuple[subprocess.Popen[bytes], str]:
    """Start Debian's ``docker-registry`` on a free loopback port; return it and ``HOST:PORT``.

    ``extra_config`` is appended to its ``config.yml`` (an ``auth:`` section).  Skips the test
    when the binary is missing; fails it, with the end of the log, when it does not start.
    """
    binary = shutil.which("docker-registry")
    if binary is None:
        pytest.skip(f"needs {ENV} or Debian's docker-registry (apt-get install docker-registry)")
    port = free_port()
    root.mkdir(parents=True, exist_ok=True)
    (root / "config.yml").write_text(
        "version: 0.1\n"
        f"storage:\n  filesystem:\n    rootdirectory: {root / 'data'}\n  delete:\n    enabled: true\n"
        f"http:\n  addr: 127.0.0.1:{port}\n" + extra_config)
    with (root / "log").open("wb") as log:
        proc = subprocess.Popen([binary, "serve", str(root / "config.yml")], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while not port_open("127.0.0.1", port):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_registry(proc)
            pytest.fail(f"docker-registry did not start: {(root / 'log').read_text()[-500:]}")
        time.sleep(0.1)
    return proc, f"127.0.0.1:{port}"


def stop_registry(proc: subprocess.Popen[bytes]) -> None:
    """Stop a registry ``start_registry`` started."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def registry_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``HOST:PORT`` of a loopback registry: CI's ($PYLINT_IMAGE_TEST_REGISTRY) or one started here."""
    given = os.environ.get(ENV)
    if given:
        if not given.startswith(LOOPBACK):
            pytest.skip(f"{ENV}={given} is not a loopback address")
        yield given
        return
    proc, host = start_registry(tmp_path_factory.mktemp("registry"))
    try:
        yield host
    finally:
        stop_registry(proc)


# --- docker push --------------------------------------------------------------------------------------------


@contextmanager
def docker_push(image: str, ref: str) -> Iterator[dict[str, Any]]:
    """Tag the engine's ``image`` as ``ref`` (``HOST:PORT/name:tag``), push it, and give its inspect JSON.

    The tag is removed on the way out (``docker rmi`` of a second tag drops the tag only).
    """
    subprocess.run(["docker", "tag", image, ref], check=True, capture_output=True, timeout=60)
    try:
        push = subprocess.run(["docker", "push", ref], capture_output=True, text=True, timeout=300)
        assert push.returncode == 0, push.stderr[-2000:]
        inspect = subprocess.run(["docker", "image", "inspect", ref], check=True, capture_output=True,
                                 text=True, timeout=60)
        yield json.loads(inspect.stdout)[0]
    finally:
        subprocess.run(["docker", "rmi", ref], capture_output=True, timeout=120)


def repo_digest(inspect: dict[str, Any], ref: str) -> str:
    """The manifest digest the registry of ``ref`` serves, from ``docker image inspect``'s RepoDigests."""
    name = ref.rsplit(":", 1)[0] if ":" in ref.rsplit("/", 1)[-1] else ref
    return next(d.split("@", 1)[1] for d in inspect["RepoDigests"] if d.startswith(f"{name}@"))


# --- the Registry API ---------------------------------------------------------------------------------------


class Pusher:
    """Pushes blobs, images and indexes to one registry with the Registry API."""

    def __init__(self, host: str, user: str | None = None, password: str | None = None) -> None:
        self.host = host
        self.auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode() if user else None

    def _request(self, method: str, url: str, body: bytes = b"", headers: dict[str, str] | None = None
                 ) -> http.client.HTTPResponse:
        conn = http.client.HTTPConnection(self.host, timeout=30)
        hdrs = dict(headers or {})
        if self.auth:
            hdrs["Authorization"] = self.auth
        conn.request(method, url, body=body, headers=hdrs)
        resp = conn.getresponse()
        resp.read()
        conn.close()
        return resp

    def blob(self, repo: str, data: bytes) -> str:
        """Upload ``data`` as a blob of ``repo`` (monolithic upload); return its digest."""
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        resp = self._request("POST", f"/v2/{repo}/blobs/uploads/")
        assert resp.status == 202, resp.status
        location = resp.getheader("Location") or ""
        if location.startswith("http"):
            location = "/" + location.split("/", 3)[3]
        sep = "&" if "?" in location else "?"
        resp = self._request("PUT", f"{location}{sep}digest={digest}", data,
                             {"Content-Type": "application/octet-stream"})
        assert resp.status == 201, resp.status
        return digest

    def manifest(self, repo: str, reference: str, body: bytes, media_type: str) -> str:
        """PUT a manifest or index under a tag or digest; return its digest (checked against the registry's)."""
        resp = self._request("PUT", f"/v2/{repo}/manifests/{reference}", body, {"Content-Type": media_type})
        assert resp.status == 201, (resp.status, resp.reason)
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        assert resp.getheader("Docker-Content-Digest") == digest
        return digest

    def image(self, repo: str, tag: str | None, content: bytes = b"hello\n", arch: str = "amd64"
              ) -> tuple[str, int]:
        """Push a one-layer image (a file holding ``content``); return its manifest digest and size."""
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w") as tar:
            info = tarfile.TarInfo("hello.txt")
            info.size = len(content)
            info.mtime = 0
            tar.addfile(info, io.BytesIO(content))
        layer = gzip.compress(raw.getvalue(), mtime=0)
        config = json.dumps({"architecture": arch, "os": "linux", "config": {},
                             "rootfs": {"type": "layers",
                                        "diff_ids": ["sha256:" + hashlib.sha256(raw.getvalue()).hexdigest()]}}
                            ).encode()
        layer_digest = self.blob(repo, layer)
        config_digest = self.blob(repo, config)
        manifest = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                               "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": len(config)},
                               "layers": [{"mediaType": OCI_LAYER, "digest": layer_digest, "size": len(layer)}]}
                              ).encode()
        return self.manifest(repo, tag or "sha256:" + hashlib.sha256(manifest).hexdigest(), manifest,
                             OCI_MANIFEST), len(manifest)

    def index(self, repo: str, tag: str, content: bytes = b"multi\n") -> tuple[str, dict[str, str]]:
        """Push a linux/amd64 + linux/arm64 index; return its digest and each platform's manifest digest."""
        entries, per_arch = [], {}
        for arch in ("amd64", "arm64"):
            digest, size = self.image(repo, None, content + arch.encode(), arch)
            per_arch[arch] = digest
            entries.append({"mediaType": OCI_MANIFEST, "digest": digest, "size": size,
                            "platform": {"os": "linux", "architecture": arch}})
        body = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}).encode()
        return self.manifest(repo, tag, body, OCI_INDEX), per_arch
