"""Fixtures of the ``pin`` tests: a fake resolver, real registries (plain and Basic-auth) and a pusher.

Images are made here, not pulled (no internet): a config and one small gzip layer per
image, pushed with the Registry API (blob upload, manifest PUT), so a test controls each
tag's digest, can push a multi-platform index, and can move a tag between two runs.
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
from pathlib import Path

import pytest

from pylint_image.linter.reference import Reference

LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


class FakeResolver:
    """A digest per ``name:tag`` (sha256 of it, or what ``table`` says); records what it was asked."""

    def __init__(self, table: dict[str, str] | None = None, errors: dict[str, tuple[str, int]] | None = None):
        self.table = table or {}
        self.errors = errors or {}
        self.asked: list[str] = []

    def digest(self, ref: Reference) -> str:
        from pylint_image.runner.pin import PinError

        key = f"{ref.familiar_name}:{ref.tag or 'latest'}"
        self.asked.append(key)
        if key in self.errors:
            raise PinError(*self.errors[key])
        return self.table.get(key) or fake_digest(key)


def fake_digest(key: str) -> str:
    """The digest FakeResolver gives ``familiar-name:tag``."""
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


# --- registries ---------------------------------------------------------------------------------------------


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_registry(root: Path, extra_config: str = "") -> tuple[subprocess.Popen[bytes], str]:
    """Start Debian's ``docker-registry`` on a free loopback port; return it and ``HOST:PORT``."""
    binary = shutil.which("docker-registry")
    if binary is None:
        pytest.skip("needs Debian's docker-registry (apt-get install docker-registry)")
    port = free_port()
    root.mkdir(parents=True, exist_ok=True)
    (root / "config.yml").write_text(
        "version: 0.1\n"
        f"storage:\n  filesystem:\n    rootdirectory: {root / 'data'}\n  delete:\n    enabled: true\n"
        f"http:\n  addr: 127.0.0.1:{port}\n" + extra_config)
    with (root / "log").open("wb") as log:
        proc = subprocess.Popen([binary, "serve", str(root / "config.yml")], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while not _port_open("127.0.0.1", port):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"docker-registry did not start: {(root / 'log').read_text()[-500:]}")
        time.sleep(0.1)
    return proc, f"127.0.0.1:{port}"


@pytest.fixture(scope="session")
def registry_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``HOST:PORT`` of a loopback registry: CI's ($PYLINT_IMAGE_TEST_REGISTRY) or one started here."""
    given = os.environ.get("PYLINT_IMAGE_TEST_REGISTRY")
    if given:
        if not given.startswith(LOOPBACK):
            pytest.skip(f"PYLINT_IMAGE_TEST_REGISTRY={given} is not a loopback address")
        yield given
        return
    proc, host = start_registry(tmp_path_factory.mktemp("pin-registry"))
    try:
        yield host
    finally:
        proc.terminate()
        proc.wait(timeout=10)


AUTH_USER, AUTH_PASSWORD = "pinner", "s3cret-pass"


@pytest.fixture(scope="session")
def auth_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``HOST:PORT`` of a registry that wants Basic credentials (htpasswd, bcrypt): AUTH_USER/AUTH_PASSWORD."""
    bcrypt = pytest.importorskip("bcrypt", reason="bcrypt is in the test extra (htpasswd for the registry)")
    root = tmp_path_factory.mktemp("pin-auth-registry")
    hashed = bcrypt.hashpw(AUTH_PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    (root / "htpasswd").write_text(f"{AUTH_USER}:{hashed}\n")
    proc, host = start_registry(root, f"auth:\n  htpasswd:\n    realm: pin-test\n    path: {root / 'htpasswd'}\n")
    try:
        yield host
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# --- pushing ------------------------------------------------------------------------------------------------


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
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        resp = self._request("POST", f"/v2/{repo}/blobs/uploads/")
        assert resp.status == 202, resp.status
        location = resp.getheader("Location") or ""
        if location.startswith("http"):
            location = location.split("/", 3)[3]
            location = "/" + location
        sep = "&" if "?" in location else "?"
        resp = self._request("PUT", f"{location}{sep}digest={digest}", data,
                             {"Content-Type": "application/octet-stream"})
        assert resp.status == 201, resp.status
        return digest

    def manifest(self, repo: str, reference: str, body: bytes, media_type: str) -> str:
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
