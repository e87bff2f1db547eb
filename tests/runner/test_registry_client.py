"""The registry client against an honest fake registry: references, auth, redirects, cache."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from pylint_image.linter.errors import SourceError
from pylint_image.linter.oci import load_image
from pylint_image.linter import Reference
from pylint_image.runner.registry import (
    api_host,
    parse_source,
    pull_to_layout,
    resolve_registry_source,
)
from tests.support.registry_fake import (
    OCI_INDEX,
    FakeImage,
    FakeRegistry,
    Reply,
    fake_registry,
    sha256,
)

DIGEST = "sha256:" + "a" * 64


@pytest.fixture
def registry() -> Iterator[FakeRegistry]:
    with fake_registry() as server:
        yield server


@pytest.fixture
def image(registry: FakeRegistry) -> FakeImage:
    img = FakeImage()
    img.serve(registry)
    return img


@pytest.mark.parametrize(("text", "expected", "host"), [
    ("busybox", Reference("docker.io", "library/busybox", "latest"), "registry-1.docker.io"),
    ("docker.io/org/app:2", Reference("docker.io", "org/app", "2"), "registry-1.docker.io"),
    ("index.docker.io/org/app:2", Reference("docker.io", "org/app", "2"), "registry-1.docker.io"),
    ("127.0.0.1:5000/a/b:t", Reference("127.0.0.1:5000", "a/b", "t"), "127.0.0.1:5000"),
    ("localhost/x", Reference("localhost", "x", "latest"), "localhost"),
    ("[::1]:5000/x@" + DIGEST, Reference("[::1]:5000", "x", None, DIGEST), "[::1]:5000"),
    ("registry:ghcr.io/o/r:v1.2", Reference("ghcr.io", "o/r", "v1.2"), "ghcr.io"),
    ("docker://quay.io/a:b@" + DIGEST, Reference("quay.io", "a", "b", DIGEST), "quay.io"),
])
def test_parse_source(text, expected, host):
    """The linter's one Reference, with docker pull's default tag; only the client knows Hub's API host."""
    parsed = parse_source(text)
    assert parsed == expected and (parsed.tag, parsed.digest) == (expected.tag, expected.digest)
    assert api_host(parsed) == host


@pytest.mark.parametrize(("text", "message"), [
    ("upper/X", "upper/X: repository name 'upper/X' must be lower-case"),
    ("h.io/a/../b", "h.io/a/../b: not an image reference ([domain/]path[:tag][@digest])"),
    ("h.io/x@sha256:zz", "h.io/x@sha256:zz: malformed digest 'sha256:zz'"),
    ("h.io/x:t t", "h.io/x:t t: malformed tag 't t'"),
])
def test_parse_source_refuses(text, message):
    with pytest.raises(SourceError) as caught:
        parse_source(text)
    assert str(caught.value) == message


def pull(registry: FakeRegistry, tmp_path: Path, ref: str = "fake/app:1", out: str = "out",
         **options: object) -> Path:
    return pull_to_layout(f"{registry.host}/{ref}", tmp_path / out, cache_dir=tmp_path / "cache",
                          timeout=5.0, **options)  # type: ignore[arg-type]


def test_pulled_layout_loads(registry, image, tmp_path):
    loaded = load_image(pull(registry, tmp_path), needs=None)
    assert loaded.ref == f"{registry.host}/fake/app:1"
    assert loaded.manifest_digest == sha256(image.manifest)
    assert loaded.digest == sha256(image.config)
    assert [layer.digest for layer in loaded.layers] == [sha256(image.layer)]
    assert "/hello.txt" in loaded.files
    assert loaded.config.cmd == ("/bin/sh",)


def test_second_pull_fetches_only_the_tag(registry, image, tmp_path):
    pull(registry, tmp_path)
    registry.log.clear()
    load_image(pull(registry, tmp_path, out="again"))
    assert registry.paths() == [image.path("manifests", "1")]


def test_pull_by_digest_is_offline_the_second_time(tmp_path):
    img = FakeImage()
    with fake_registry() as server:
        img.serve(server)
        ref = f"{server.host}/fake/app@{sha256(img.manifest)}"
        pull_to_layout(ref, tmp_path / "one", cache_dir=tmp_path / "cache")
    # The server is gone: everything must come from the cache.
    loaded = load_image(pull_to_layout(ref, tmp_path / "two", cache_dir=tmp_path / "cache"))
    assert loaded.manifest_digest == sha256(img.manifest)


def test_layout_hard_links_read_only_cache_entries(registry, image, tmp_path):
    out = pull(registry, tmp_path)
    hexpart = sha256(image.layer)[7:]
    in_layout = out / "blobs" / "sha256" / hexpart
    in_cache = tmp_path / "cache" / "blobs" / "sha256" / hexpart
    assert in_layout.stat().st_ino == in_cache.stat().st_ino
    assert in_cache.stat().st_mode & 0o222 == 0


def test_corrupt_cache_entry_is_fetched_again(registry, image, tmp_path):
    pull(registry, tmp_path)
    cached = tmp_path / "cache" / "blobs" / "sha256" / sha256(image.layer)[7:]
    cached.unlink()
    cached.write_bytes(bytes(len(image.layer)))
    registry.log.clear()
    load_image(pull(registry, tmp_path, out="again"))
    assert image.path("blobs", sha256(image.layer)) in registry.paths()
    assert cached.read_bytes() == image.layer


def test_index_picks_the_requested_platform(registry, tmp_path):
    amd, arm = FakeImage(files={"amd": b"1"}), FakeImage(files={"arm": b"2"})
    amd.serve(registry)
    arm.serve(registry)
    index = json.loads(amd.index([("linux", "amd64")]))
    index["manifests"] += json.loads(arm.index([("linux", "arm64")]))["manifests"]
    registry.routes[amd.path("manifests", "multi")] = Reply(
        body=json.dumps(index).encode(), headers={"Content-Type": OCI_INDEX})
    loaded = load_image(pull(registry, tmp_path, "fake/app:multi", platform="linux/arm64"))
    assert "/arm" in loaded.files and "/amd" not in loaded.files
    assert loaded.manifest_digest == sha256(arm.manifest)


def bearer_protected(registry: FakeRegistry, token: str) -> None:
    """Wrap every route so it wants ``Bearer token``, as Docker Hub's registry does."""
    challenge = (f'Bearer realm="{registry.url}/token",service="fake",'
                 'scope="repository:fake/app:pull"')
    for path, route in list(registry.routes.items()):
        def guarded(handler, route=route):
            if handler.headers.get("Authorization") != f"Bearer {token}":
                return Reply(401, b"{}", headers={"WWW-Authenticate": challenge})
            return route
        registry.routes[path] = guarded


def test_anonymous_bearer_token_flow(registry, image, tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "no-docker-config"))
    bearer_protected(registry, "t0k")
    registry.routes["/token?service=fake&scope=repository%3Afake%2Fapp%3Apull"] = Reply(
        body=b'{"token": "t0k"}')
    load_image(pull(registry, tmp_path))
    token_requests = [(p, h) for p, h in registry.log if p.startswith("/token")]
    assert len(token_requests) == 1  # the token is reused for every blob
    assert "Authorization" not in token_requests[0][1]
    query = parse_qs(urlsplit(token_requests[0][0]).query)
    assert query == {"service": ["fake"], "scope": ["repository:fake/app:pull"]}


def test_basic_auth_from_docker_config(registry, image, tmp_path, monkeypatch):
    secret = base64.b64encode(b"alice:s3cret").decode()
    (tmp_path / "docker").mkdir()
    (tmp_path / "docker" / "config.json").write_text(
        json.dumps({"auths": {f"http://{registry.host}/v1/": {"auth": secret}}}))
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
    for path, route in list(registry.routes.items()):
        def guarded(handler, route=route):
            if handler.headers.get("Authorization") != f"Basic {secret}":
                return Reply(401, b"{}", headers={"WWW-Authenticate": 'Basic realm="fake"'})
            return route
        registry.routes[path] = guarded
    loaded = load_image(pull(registry, tmp_path))
    assert loaded.manifest_digest == sha256(image.manifest)
    assert loaded.digest == sha256(image.config)
    assert "/hello.txt" in loaded.files
    # Credentials go out only after the registry asked for them, then with every request.
    sent = [(path, headers.get("Authorization")) for path, headers in registry.log]
    assert sent[:2] == [(image.path("manifests", "1"), None),
                        (image.path("manifests", "1"), f"Basic {secret}")]
    assert sorted(sent[2:]) == sorted((image.path("blobs", sha256(blob)), f"Basic {secret}")
                                      for blob in (image.config, image.layer))


def test_basic_challenge_without_credentials(registry, image, tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "none"))
    registry.routes[image.path("manifests", "1")] = Reply(
        401, headers={"WWW-Authenticate": 'Basic realm="fake"'})
    with pytest.raises(SourceError) as caught:
        pull(registry, tmp_path)
    assert str(caught.value) == (f"{registry.url}{image.path('manifests', '1')}: HTTP 401 "
                                 "Unauthorized (registry wants Basic credentials; none in the "
                                 "docker config)")


def test_token_realm_over_plain_http_elsewhere_is_refused(registry, image, tmp_path):
    registry.routes[image.path("manifests", "1")] = Reply(401, headers={
        "WWW-Authenticate": 'Bearer realm="http://auth.example.invalid/token"'})
    with pytest.raises(SourceError) as caught:
        pull(registry, tmp_path)
    assert str(caught.value) == (f"{registry.url}{image.path('manifests', '1')}: token realm "
                                 "http://auth.example.invalid/token refused (plain http to a "
                                 "non-loopback host)")


def test_blob_redirect_to_storage_drops_the_authorization(registry, image, tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "none"))
    with fake_registry() as storage:
        layer_path = image.path("blobs", sha256(image.layer))
        storage.routes["/bucket/layer?sig=1"] = Reply(body=image.layer)
        registry.routes[layer_path] = Reply(
            307, headers={"Location": f"http://localhost:{storage.host.split(':')[1]}"
                                      "/bucket/layer?sig=1"})
        bearer_protected(registry, "t0k")
        registry.routes["/token?service=fake&scope=repository%3Afake%2Fapp%3Apull"] = Reply(
            body=b'{"token": "t0k"}')
        load_image(pull(registry, tmp_path))
        assert storage.paths() == ["/bucket/layer?sig=1"]
        assert "Authorization" not in storage.log[0][1]


def test_resolve_registry_source_prefixes_share_one_layout(registry, image, tmp_path):
    one = resolve_registry_source(f"registry:{registry.host}/fake/app:1", tmp_path / "c")
    two = resolve_registry_source(f"docker://{registry.host}/fake/app:1", tmp_path / "c")
    assert one == two and one.parent == tmp_path / "c" / "layouts"
    assert load_image(one).manifest_digest == sha256(image.manifest)
    assert [p.name for p in one.parent.iterdir()] == [one.name]  # no temporary dirs left


def test_resolve_registry_source_default_cache_is_xdg(registry, image, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    layout = resolve_registry_source(f"registry:{registry.host}/fake/app:1")
    assert layout.is_relative_to(tmp_path / "xdg" / "pylint-image" / "layouts")
    assert (tmp_path / "xdg" / "pylint-image" / "blobs" / "sha256").is_dir()


def test_resolve_registry_source_refuses_other_sources(tmp_path):
    with pytest.raises(SourceError) as caught:
        resolve_registry_source("oci:/tmp/x", tmp_path)
    assert str(caught.value) == "oci:/tmp/x: not a registry source (registry:HOST/NAME:TAG)"
    assert not os.listdir(tmp_path)


def test_expired_token_is_renewed_once(registry, image, tmp_path, monkeypatch):
    """Docker Hub tokens last minutes: a 401 mid-pull asks for a new token, then goes on."""
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "none"))
    manifest = registry.routes[image.path("manifests", "1")]
    bearer_protected(registry, "second")  # blobs want the second token only
    challenge = f'Bearer realm="{registry.url}/token",service="fake"'
    registry.routes[image.path("manifests", "1")] = lambda handler: (
        manifest if handler.headers.get("Authorization")
        else Reply(401, headers={"WWW-Authenticate": challenge}))
    issued = iter(["first", "second"])
    token_path = "/token?service=fake&scope=repository%3Afake%2Fapp%3Apull"
    registry.routes[token_path] = lambda handler: Reply(
        body=json.dumps({"token": next(issued)}).encode())
    load_image(pull(registry, tmp_path))
    assert [p for p in registry.paths() if p.startswith("/token")] == [token_path] * 2
