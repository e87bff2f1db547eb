"""The resolvers and credentials of ``pin``, against a crafted registry (no Docker, no internet)."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import pytest

from pylint_image.linter.reference import Reference
from pylint_image.runner.pin import DaemonResolver, DockerCredentials, PinError, RegistryResolver
from tests.support.registry_fake import OCI_INDEX, OCI_MANIFEST, FakeImage, Reply, fake_registry, sha256


def _creds() -> DockerCredentials:
    return DockerCredentials({})


def test_the_digest_is_the_manifest_bytes_hash_and_the_accept_header_names_indexes() -> None:
    image = FakeImage(name="acme/app", tag="1.0")
    with fake_registry() as reg:
        image.serve(reg)
        resolver = RegistryResolver(_creds())
        assert resolver.digest(Reference.parse(f"{reg.host}/acme/app:1.0")) == sha256(image.manifest)
        assert resolver.digest(Reference.parse(f"{reg.host}/acme/app:1.0")) == sha256(image.manifest)
    assert reg.paths() == ["/v2/acme/app/manifests/1.0"]  # asked once per reference
    accept = reg.log[0][1].get("Accept", "")
    assert OCI_INDEX in accept and OCI_MANIFEST in accept
    assert "application/vnd.docker.distribution.manifest.list.v2+json" in accept


def test_an_index_is_pinned_by_its_own_digest() -> None:
    image = FakeImage(name="acme/multi", tag="2")
    index = image.index([("linux", "amd64"), ("linux", "arm64")])
    with fake_registry() as reg:
        image.serve(reg)
        reg.routes["/v2/acme/multi/manifests/2"] = Reply(body=index, headers={
            "Content-Type": OCI_INDEX, "Docker-Content-Digest": sha256(index)})
        assert RegistryResolver(_creds()).digest(Reference.parse(f"{reg.host}/acme/multi:2")) == sha256(index)


def test_a_lying_docker_content_digest_is_an_error() -> None:
    image = FakeImage(name="acme/liar", tag="1")
    with fake_registry() as reg:
        reg.routes["/v2/acme/liar/manifests/1"] = Reply(body=image.manifest, headers={
            "Content-Type": OCI_MANIFEST, "Docker-Content-Digest": "sha256:" + "1" * 64})
        with pytest.raises(PinError) as err:
            RegistryResolver(_creds()).digest(Reference.parse(f"{reg.host}/acme/liar:1"))
    assert err.value.exit_code == 3
    assert "does not match the manifest's " + sha256(image.manifest) in err.value.message


def test_not_a_manifest_is_an_error() -> None:
    with fake_registry() as reg:
        reg.routes["/v2/acme/html/manifests/1"] = Reply(body=b"<html>", headers={"Content-Type": "text/html"})
        with pytest.raises(PinError) as err:
            RegistryResolver(_creds()).digest(Reference.parse(f"{reg.host}/acme/html:1"))
    assert "not valid JSON" in err.value.message and err.value.exit_code == 3


def test_docker_hub_names_are_asked_of_docker_hubs_api_host(monkeypatch: pytest.MonkeyPatch) -> None:
    from pylint_image.linter.errors import SourceError
    from pylint_image.runner import registry_http

    asked: list[str] = []

    def fake_get(self: object, url: str, accept: object = (), scope: str = "") -> object:
        asked.append(f"{url} {scope}")
        raise SourceError(f"{url}: HTTP 404 Not Found")

    monkeypatch.setattr(registry_http.Transport, "get", fake_get)
    resolver = RegistryResolver(_creds())
    for text in ("alpine", "library/alpine:3.20", "docker.io/bitnami/redis:7", "index.docker.io/library/nginx:1"):
        with pytest.raises(PinError) as err:
            resolver.digest(Reference.parse(text))
        assert err.value.exit_code == 2 and err.value.message.startswith("unknown tag or repository (")
    assert asked == [
        "https://registry-1.docker.io/v2/library/alpine/manifests/latest repository:library/alpine:pull",
        "https://registry-1.docker.io/v2/library/alpine/manifests/3.20 repository:library/alpine:pull",
        "https://registry-1.docker.io/v2/bitnami/redis/manifests/7 repository:bitnami/redis:pull",
        "https://registry-1.docker.io/v2/library/nginx/manifests/1 repository:library/nginx:pull",
    ]


def test_basic_auth_challenge_is_answered_from_config_auths(tmp_path: Path) -> None:
    image = FakeImage(name="private/app", tag="1")
    token = base64.b64encode(b"me:pw").decode()
    with fake_registry() as reg:
        ok = Reply(body=image.manifest, headers={"Content-Type": OCI_MANIFEST,
                                                 "Docker-Content-Digest": sha256(image.manifest)})

        def route(handler: object) -> Reply:
            if getattr(handler, "headers").get("Authorization") == f"Basic {token}":
                return ok
            return Reply(status=401, headers={"WWW-Authenticate": 'Basic realm="test"'})

        reg.routes["/v2/private/app/manifests/1"] = route
        config = tmp_path / "config.json"
        config.write_text(json.dumps({"auths": {reg.host: {"auth": token}}}))
        resolver = RegistryResolver(DockerCredentials.from_docker_config(config))
        assert resolver.digest(Reference.parse(f"{reg.host}/private/app:1")) == sha256(image.manifest)
        with pytest.raises(PinError) as err:  # without credentials: one line, the user's problem
            RegistryResolver(_creds()).digest(Reference.parse(f"{reg.host}/private/app:1"))
        assert err.value.exit_code == 2 and "HTTP 401" in err.value.message


class _Helper:
    """Stands in for ``subprocess.run`` of ``docker-credential-*``: records calls, answers from a table."""

    def __init__(self, answers: dict[tuple[str, str], dict[str, str] | None]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, str]] = []

    def __call__(self, argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[bytes]:
        server = bytes(kwargs["input"]).decode()  # type: ignore[arg-type]
        key = (argv[0], server)
        self.calls.append(key)
        answer = self.answers.get(key)
        if answer is None:
            return subprocess.CompletedProcess(argv, 1, b"", b"credentials not found in native keychain")
        return subprocess.CompletedProcess(argv, 0, json.dumps(answer).encode(), b"")


def test_credential_helpers_are_read_as_docker_reads_them(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({
        "auths": {"https://index.docker.io/v1/": {"auth": base64.b64encode(b"hub:fromauths").decode()},
                  "other.example:5000": {"username": "o", "password": "p"}},
        "credsStore": "desktop",
        "credHelpers": {"ghcr.io": "gh", "https://registry.example.com": "ex"}}))
    helper = _Helper({
        ("docker-credential-gh", "ghcr.io"): {"Username": "gh-user", "Secret": "gh-token"},
        ("docker-credential-desktop", "https://index.docker.io/v1/"): {"Username": "hub", "Secret": "desk"},
    })
    creds = DockerCredentials.from_docker_config(config)
    creds._run = helper  # type: ignore[assignment]
    assert creds.basic("ghcr.io") == base64.b64encode(b"gh-user:gh-token").decode()
    # Docker Hub: the store is asked with the server URL docker uses for it.
    assert creds.basic("registry-1.docker.io") == base64.b64encode(b"hub:desk").decode()
    # A helper that does not know the registry: config.json's auths, as docker falls back.
    assert creds.basic("other.example:5000") == base64.b64encode(b"o:p").decode()
    assert creds.basic("registry.example.com") is None
    assert ("docker-credential-ex", "registry.example.com") in helper.calls
    calls = len(helper.calls)
    creds.basic("ghcr.io")
    assert len(helper.calls) == calls  # asked once per run


def test_a_missing_helper_program_falls_back_to_auths(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"credsStore": "no-such-helper-xyz",
                                  "auths": {"reg.example": {"auth": "dTpw"}}}))
    assert DockerCredentials.from_docker_config(config).basic("reg.example") == "dTpw"


def test_daemon_resolver_picks_the_repo_digest_of_the_repository() -> None:
    digest = "sha256:" + "a" * 64
    other = "sha256:" + "b" * 64
    docs = {"alpine:3.20": {"RepoDigests": [f"example.com/mirror/alpine@{other}", f"alpine@{digest}"]},
            "127.0.0.1:5000/x/app:1": {"RepoDigests": []}}
    resolver = DaemonResolver(inspect=docs.get)
    assert resolver.digest(Reference.parse("docker.io/library/alpine:3.20")) == digest
    with pytest.raises(PinError) as err:
        resolver.digest(Reference.parse("127.0.0.1:5000/x/app:1"))
    assert "no RepoDigest" in err.value.message and err.value.exit_code == 2
    with pytest.raises(PinError) as err:
        resolver.digest(Reference.parse("busybox:1"))
    assert "not in the local engine" in err.value.message


def test_daemon_resolver_engine_unreachable_is_exit_3() -> None:
    from pylint_image.linter.errors import EngineUnavailable

    def inspect(ref: str) -> dict[str, object] | None:
        raise EngineUnavailable("Cannot connect to the Docker daemon at unix:///var/run/docker.sock")

    with pytest.raises(PinError) as err:
        DaemonResolver(inspect=inspect).digest(Reference.parse("alpine:3"))
    assert err.value.exit_code == 3 and "Cannot connect to the Docker daemon" in err.value.message


def test_a_bearer_token_challenge_gets_a_token_with_the_configs_basic_credentials(tmp_path: Path) -> None:
    image = FakeImage(name="acme/tokened", tag="3")
    basic = base64.b64encode(b"robot:pw").decode()
    with fake_registry() as reg:
        scope = "repository:acme/tokened:pull"
        token_path = f"/token?service=fake&scope={scope.replace(':', '%3A').replace('/', '%2F')}"

        def token(handler: object) -> Reply:
            if getattr(handler, "headers").get("Authorization") != f"Basic {basic}":
                return Reply(status=401)
            return Reply(body=json.dumps({"token": "tok-123"}).encode())

        def manifest(handler: object) -> Reply:
            if getattr(handler, "headers").get("Authorization") == "Bearer tok-123":
                return Reply(body=image.manifest, headers={"Content-Type": OCI_MANIFEST,
                                                           "Docker-Content-Digest": sha256(image.manifest)})
            return Reply(status=401, headers={"WWW-Authenticate": f'Bearer realm="{reg.url}/token",service="fake"'})

        reg.routes[token_path] = token
        reg.routes["/v2/acme/tokened/manifests/3"] = manifest
        config = tmp_path / "config.json"
        config.write_text(json.dumps({"auths": {reg.host: {"auth": basic}}}))
        digest = RegistryResolver(DockerCredentials.from_docker_config(config)).digest(
            Reference.parse(f"{reg.host}/acme/tokened:3"))
    assert digest == sha256(image.manifest)
    assert token_path in reg.paths()
