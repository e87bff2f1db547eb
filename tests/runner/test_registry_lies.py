"""A registry that lies: every lie ends in one exact SourceError line and a clean cache."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from pylint_image.linter.errors import SourceError
from pylint_image.runner.registry import pull_to_layout
from tests.support.registry_fake import (
    OCI_INDEX,
    OCI_MANIFEST,
    FakeImage,
    FakeRegistry,
    Reply,
    fake_registry,
    sha256,
)

TEN_GB = 10 * 1024**3


@pytest.fixture
def registry() -> Iterator[FakeRegistry]:
    with fake_registry() as server:
        yield server


@pytest.fixture
def image(registry: FakeRegistry) -> FakeImage:
    img = FakeImage(name="lie/app")
    img.serve(registry)
    return img


def lie(registry: FakeRegistry, tmp_path: Path, ref: str, **options: object) -> str:
    """Pull ``ref``; return the SourceError line after checking nothing half-made remains."""
    options.setdefault("timeout", 2.0)
    with pytest.raises(SourceError) as caught:
        pull_to_layout(f"{registry.host}/{ref}", tmp_path / "out", cache_dir=tmp_path / "cache",
                       **options)  # type: ignore[arg-type]
    message = str(caught.value)
    assert "\n" not in message
    cached = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert not [p for p in cached if p.name.startswith(".partial")]
    assert not (tmp_path / "out" / "index.json").exists()
    return message


def blob_url(registry: FakeRegistry, image: FakeImage, blob: bytes) -> str:
    return registry.url + image.path("blobs", sha256(blob))


def assert_not_cached(tmp_path: Path, blob: bytes) -> None:
    assert not (tmp_path / "cache" / "blobs" / "sha256" / sha256(blob)[7:]).exists()


def test_manifest_bytes_differ_from_the_pinned_digest(registry, image, tmp_path):
    pinned = "sha256:" + "ab" * 32
    registry.routes[image.path("manifests", pinned)] = Reply(body=image.manifest)
    message = lie(registry, tmp_path, f"lie/app@{pinned}")
    assert message == (f"{registry.url}{image.path('manifests', pinned)}: manifest digest mismatch "
                       f"(expected {pinned}, got {sha256(image.manifest)})")


def test_manifest_bytes_differ_from_docker_content_digest(registry, image, tmp_path):
    claimed = "sha256:" + "cd" * 32
    registry.routes[image.path("manifests", "1")].headers["Docker-Content-Digest"] = claimed
    message = lie(registry, tmp_path, "lie/app:1")
    assert message == (f"{registry.url}{image.path('manifests', '1')}: manifest digest mismatch "
                       f"(expected {claimed}, got {sha256(image.manifest)})")


def test_blob_bytes_do_not_hash_to_the_digest(registry, image, tmp_path):
    forged = bytes(len(image.layer))
    registry.routes[image.path("blobs", sha256(image.layer))] = Reply(body=forged)
    message = lie(registry, tmp_path, "lie/app:1")
    assert message == (f"{blob_url(registry, image, image.layer)}: digest mismatch "
                       f"(expected {sha256(image.layer)}, got {sha256(forged)})")
    assert_not_cached(tmp_path, image.layer)


def test_blob_longer_than_its_declared_size_without_content_length(registry, image, tmp_path):
    registry.routes[image.path("blobs", sha256(image.layer))] = Reply(
        body=image.layer + b"\0" * (1 << 20), length=None)
    message = lie(registry, tmp_path, "lie/app:1")
    assert message == (f"{blob_url(registry, image, image.layer)}: blob is longer than its "
                       f"declared size {len(image.layer)}")
    assert_not_cached(tmp_path, image.layer)


def test_blob_content_length_beyond_the_descriptor(registry, image, tmp_path):
    registry.routes[image.path("blobs", sha256(image.layer))] = Reply(
        body=image.layer + b"\0", length="auto")
    message = lie(registry, tmp_path, "lie/app:1")
    size = len(image.layer)
    assert message == (f"{blob_url(registry, image, image.layer)}: Content-Length {size + 1} "
                       f"differs from the descriptor size {size}")


def test_ten_gigabyte_content_length_is_refused_before_reading(registry, image, tmp_path):
    registry.routes[image.path("blobs", sha256(image.layer))] = Reply(
        body=image.layer, length=TEN_GB)
    message = lie(registry, tmp_path, "lie/app:1")
    assert message == (f"{blob_url(registry, image, image.layer)}: Content-Length {TEN_GB} "
                       f"differs from the descriptor size {len(image.layer)}")
    assert_not_cached(tmp_path, image.layer)


def test_ten_gigabyte_manifest_is_refused(registry, image, tmp_path):
    registry.routes[image.path("manifests", "1")] = Reply(body=image.manifest, length=TEN_GB)
    message = lie(registry, tmp_path, "lie/app:1")
    assert message == (f"{registry.url}{image.path('manifests', '1')}: manifest Content-Length "
                       f"{TEN_GB} exceeds the 4194304-byte limit")


def test_truncated_blob(registry, image, tmp_path):
    registry.routes[image.path("blobs", sha256(image.layer))] = Reply(body=image.layer, send=10)
    message = lie(registry, tmp_path, "lie/app:1")
    assert message == (f"{blob_url(registry, image, image.layer)}: truncated blob "
                       f"(10 of {len(image.layer)} bytes)")
    assert_not_cached(tmp_path, image.layer)


def test_truncated_manifest(registry, image, tmp_path):
    registry.routes[image.path("manifests", "1")] = Reply(body=image.manifest, send=5)
    message = lie(registry, tmp_path, "lie/app:1")
    assert message == (f"{registry.url}{image.path('manifests', '1')}: truncated manifest "
                       f"(5 of {len(image.manifest)} bytes)")


@pytest.mark.parametrize(("status", "reason"), [(404, "Not Found"), (401, "Unauthorized"),
                                                (500, "Internal Server Error")])
def test_http_error_on_the_manifest(registry, image, tmp_path, status, reason):
    registry.routes[image.path("manifests", "1")] = Reply(status, b"{}")
    message = lie(registry, tmp_path, "lie/app:1")
    if status == 401:  # no WWW-Authenticate challenge to answer
        assert message == (f"{registry.url}{image.path('manifests', '1')}: HTTP 401 Unauthorized "
                           "(unsupported challenge '')")
    else:
        assert message == f"{registry.url}{image.path('manifests', '1')}: HTTP {status} {reason}"


def test_http_500_on_a_blob(registry, image, tmp_path):
    registry.routes[image.path("blobs", sha256(image.layer))] = Reply(500, b"oops")
    message = lie(registry, tmp_path, "lie/app:1")
    assert message == f"{blob_url(registry, image, image.layer)}: HTTP 500 Internal Server Error"
    assert_not_cached(tmp_path, image.layer)


def test_manifest_that_is_not_json(registry, image, tmp_path):
    registry.routes[image.path("manifests", "1")] = Reply(body=b"<html>hi</html>")
    message = lie(registry, tmp_path, "lie/app:1")
    assert message == (f"{registry.url}{image.path('manifests', '1')}: manifest is not valid JSON "
                       "(Expecting value: line 1 column 1 (char 0))")


@pytest.mark.parametrize(("edit", "problem"), [
    ({"mediaType": "application/vnd.oci.image.config.v1+json"},
     "unsupported manifest mediaType 'application/vnd.oci.image.config.v1+json'"),
    ({"mediaType": "application/vnd.docker.distribution.manifest.v1+prettyjws"},
     "unsupported manifest mediaType 'application/vnd.docker.distribution.manifest.v1+prettyjws'"),
    ({"layers": None}, "manifest has no layers list"),
    ({"schemaVersion": 1}, "manifest schemaVersion is not 2"),
    ({"config": {"mediaType": "application/vnd.cncf.helm.config.v1+json",
                 "digest": "sha256:" + "0" * 64, "size": 2}},
     "config mediaType 'application/vnd.cncf.helm.config.v1+json' is not an image's"),
    ({"layers": [{"mediaType": "x", "digest": "sha256:../../../etc/passwd", "size": 1}]},
     "layer 0 has a malformed digest 'sha256:../../../etc/passwd'"),
    ({"layers": [{"mediaType": "x", "digest": "sha256:" + "0" * 64, "size": -5}]},
     "layer 0 has no valid size"),
])
def test_schema_violating_manifest(registry, image, tmp_path, edit, problem):
    image.manifest_doc.update(edit)
    image.manifest_doc = {k: v for k, v in image.manifest_doc.items() if v is not None}
    image.serve(registry)
    message = lie(registry, tmp_path, "lie/app:1")
    where = (f"{registry.url}{image.path('manifests', sha256(image.manifest))}"
             if problem.startswith("layer 0") else f"{registry.url}{image.path('manifests', '1')}")
    assert message == f"{where}: {problem}"


def test_index_without_the_wanted_platform(registry, image, tmp_path):
    index = image.index([("plan9", "mips"), ("windows", "arm64"), ("unknown", "unknown")])
    registry.routes[image.path("manifests", "1")] = Reply(body=index,
                                                          headers={"Content-Type": OCI_INDEX})
    message = lie(registry, tmp_path, "lie/app:1", platform="linux/amd64")
    assert message == (f"{registry.url}{image.path('manifests', sha256(index))}: no manifest for "
                       "linux/amd64 in the index (has plan9/mips, windows/arm64)")


def test_index_entry_whose_manifest_has_another_size(registry, image, tmp_path):
    doc = json.loads(image.index([("linux", "amd64")]))
    doc["manifests"][0]["size"] += 1
    registry.routes[image.path("manifests", "1")] = Reply(body=json.dumps(doc).encode())
    message = lie(registry, tmp_path, "lie/app:1", platform="linux/amd64")
    # The registry answers the digest with the real manifest, one byte shorter than claimed.
    assert message == (f"{registry.url}{image.path('manifests', sha256(image.manifest))}: "
                       f"manifest is {len(image.manifest)} bytes, the index says "
                       f"{len(image.manifest) + 1}")


def test_redirect_loop(registry, image, tmp_path):
    first = image.path("blobs", sha256(image.layer))
    registry.routes[first] = Reply(307, headers={"Location": "/storage/a"})
    registry.routes["/storage/a"] = Reply(302, headers={"Location": f"{registry.url}{first}"})
    message = lie(registry, tmp_path, "lie/app:1")
    assert message == f"{registry.url}/storage/a: redirect loop (back to {registry.url}{first})"


def test_endless_redirects(registry, image, tmp_path):
    first = image.path("blobs", sha256(image.layer))
    registry.routes[first] = Reply(307, headers={"Location": "/hop/0"})
    for n in range(10):
        registry.routes[f"/hop/{n}"] = Reply(307, headers={"Location": f"/hop/{n + 1}"})
    message = lie(registry, tmp_path, "lie/app:1")
    assert message == f"{registry.url}/hop/4: more than 5 redirects"


def test_redirect_to_another_scheme_is_refused(registry, image, tmp_path):
    first = image.path("blobs", sha256(image.layer))
    registry.routes[first] = Reply(302, headers={"Location": "file:///etc/passwd"})
    message = lie(registry, tmp_path, "lie/app:1")
    assert message == (f"{registry.url}{first}: redirect to file:///etc/passwd refused "
                       "(not an http(s) URL)")


def test_response_that_never_comes(registry, image, tmp_path):
    registry.routes[image.path("blobs", sha256(image.layer))] = Reply(body=image.layer, hang=True)
    message = lie(registry, tmp_path, "lie/app:1", timeout=0.3)
    assert message == f"{blob_url(registry, image, image.layer)}: timed out (no data for 0.3 s)"
    assert_not_cached(tmp_path, image.layer)


def test_endless_slow_response_hits_the_deadline(registry, image, tmp_path):
    registry.routes[image.path("blobs", sha256(image.layer))] = Reply(
        length=len(image.layer), trickle=0.05)
    message = lie(registry, tmp_path, "lie/app:1", timeout=1.0, deadline=1.0)
    assert message == (f"{blob_url(registry, image, image.layer)}: timed out "
                       "(pull deadline of 1 s)")
    assert_not_cached(tmp_path, image.layer)


def test_endless_slow_manifest_hits_the_deadline(registry, image, tmp_path):
    registry.routes[image.path("manifests", "1")] = Reply(length=None, trickle=0.05)
    message = lie(registry, tmp_path, "lie/app:1", timeout=1.0, deadline=0.5)
    assert message == (f"{registry.url}{image.path('manifests', '1')}: timed out "
                       "(pull deadline of 0.5 s)")


def test_connection_refused(tmp_path):
    with fake_registry() as server:
        host = server.host
    with pytest.raises(SourceError) as caught:
        pull_to_layout(f"{host}/gone/app:1", tmp_path / "out", cache_dir=tmp_path / "cache")
    assert str(caught.value) == f"http://{host}/v2/gone/app/manifests/1: Connection refused"


def test_a_lie_leaves_the_honest_blobs_usable(registry, image, tmp_path):
    """The config blob arrived before the layer lied: it stays cached, verified, and whole."""
    registry.routes[image.path("blobs", sha256(image.layer))] = Reply(500)
    lie(registry, tmp_path, "lie/app:1")
    cached = tmp_path / "cache" / "blobs" / "sha256" / sha256(image.config)[7:]
    assert cached.read_bytes() == image.config
    assert OCI_MANIFEST in (tmp_path / "cache" / "blobs" / "sha256" /
                            sha256(image.manifest)[7:]).read_text()


def test_redirect_to_an_unencodable_path(registry, image, tmp_path):
    first = image.path("blobs", sha256(image.layer))
    registry.routes[first] = Reply(302, headers={"Location": "/caf\u00e9"})
    message = lie(registry, tmp_path, "lie/app:1")
    assert message.startswith(f"{registry.url}/caf?: 'ascii' codec can't encode")
