"""``pin`` against real registries (Debian's ``docker-registry``): the digests they serve, auth, moving tags.

The images are pushed with the Registry API (``Pusher``, tests/support/registry.py), so each
test knows the digest a tag must be pinned to; the daemon test builds with the Docker engine and
pushes with ``docker_push`` (the same module).  The registries are ``registry_host`` (the
suite's) and ``auth_registry`` (a Basic-auth one, tests/pin/conftest.py).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from pylint_image.linter.cli import main
from tests.pin.conftest import AUTH_PASSWORD, AUTH_USER
from tests.support.registry import Pusher, docker_push, free_port, repo_digest

pytestmark = pytest.mark.docker


def _repo() -> str:
    return f"pin-test/{uuid.uuid4().hex[:10]}"


def _pin(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["pin", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def no_docker_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty DOCKER_CONFIG: the user's own credentials never take part."""
    folder = tmp_path / "docker-config"
    folder.mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(folder))
    return folder


def test_dockerfile_and_compose_get_the_digest_the_registry_serves(registry_host, tmp_path, capsys,
                                                                     no_docker_config):
    repo = _repo()
    digest, _size = Pusher(registry_host).image(repo, "1.0")
    ref = f"{registry_host}/{repo}:1.0"
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(f"# base\nFROM --platform=linux/amd64 {ref} AS base\nRUN true\n")
    compose = tmp_path / "compose.yaml"
    compose.write_text(f"services:\n  app:\n    image: '{ref}'  # app\n")
    code, out, err = _pin(capsys, str(tmp_path))
    assert code == 0, err
    assert dockerfile.read_text() == f"# base\nFROM --platform=linux/amd64 {ref}@{digest} AS base\nRUN true\n"
    assert compose.read_text() == f"services:\n  app:\n    image: '{ref}@{digest}'  # app\n"
    assert sorted(out.splitlines()) == sorted([f"{compose}:3: pinned {ref} -> {digest}",
                                               f"{dockerfile}:2: pinned {ref} -> {digest}"])
    assert _pin(capsys, str(tmp_path))[:2] == (0, "")  # idempotent


def test_a_multi_platform_tag_pins_the_index_digest(registry_host, tmp_path, capsys, no_docker_config):
    repo = _repo()
    index_digest, per_arch = Pusher(registry_host).index(repo, "multi")
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(f"FROM {registry_host}/{repo}:multi\n")
    code, _out, err = _pin(capsys, str(dockerfile))
    assert code == 0, err
    assert dockerfile.read_text() == f"FROM {registry_host}/{repo}:multi@{index_digest}\n"
    assert index_digest not in per_arch.values()


def test_unknown_tag_is_one_line_exit_2_and_the_others_are_pinned(registry_host, tmp_path, capsys,
                                                                   no_docker_config):
    repo = _repo()
    digest, _size = Pusher(registry_host).image(repo, "good")
    compose = tmp_path / "compose.yaml"
    compose.write_text(f"services:\n  a:\n    image: {registry_host}/{repo}:missing\n"
                       f"  b:\n    image: {registry_host}/{repo}:good\n")
    code, _out, err = _pin(capsys, str(compose))
    assert code == 2
    errors = [line for line in err.splitlines() if line.startswith("pylint-image: error:")]
    assert len(errors) == 1
    assert errors[0].startswith(f"pylint-image: error: {compose}:3: {registry_host}/{repo}:missing: "
                                "unknown tag or repository (")
    assert f"image: {registry_host}/{repo}:good@{digest}\n" in compose.read_text()
    assert f"image: {registry_host}/{repo}:missing\n" in compose.read_text()


def test_unreachable_registry_is_exit_3(tmp_path, capsys, no_docker_config):
    port = free_port()  # nothing listens there
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(f"FROM 127.0.0.1:{port}/nothing/here:1\n")
    before = dockerfile.read_bytes()
    code, _out, err = _pin(capsys, "--timeout", "5", str(dockerfile))
    assert code == 3
    assert err.startswith(f"pylint-image: error: {dockerfile}:1: 127.0.0.1:{port}/nothing/here:1: registry "
                          "unreachable (")
    assert len(err.splitlines()) == 1 and dockerfile.read_bytes() == before


def test_a_moving_tag_is_refreshed_by_update(registry_host, tmp_path, capsys, no_docker_config):
    repo = _repo()
    pusher = Pusher(registry_host)
    first, _ = pusher.image(repo, "stable", b"one\n")
    ref = f"{registry_host}/{repo}:stable"
    workflow = tmp_path / ".github" / "workflows" / "ci.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(f"jobs:\n  t:\n    container:\n      image: \"{ref}\"\n    steps:\n"
                        f"      - uses: docker://{ref}\n")
    assert _pin(capsys, str(workflow))[0] == 0
    assert workflow.read_text().count(f"{ref}@{first}") == 2
    second, _ = pusher.image(repo, "stable", b"two\n")  # the tag moves
    assert second != first
    assert _pin(capsys, str(workflow)) == (0, "", "")  # without --update, a pinned reference stays
    code, out, _err = _pin(capsys, "--check", "--update", str(workflow))
    assert code == 1 and workflow.read_text().count(first) == 2
    code, out, err = _pin(capsys, "--update", str(workflow))
    assert code == 0, err
    assert out.splitlines() == [f"{workflow}:4: updated {ref}@{first}: {first} -> {second}",
                                f"{workflow}:6: updated {ref}@{first}: {first} -> {second}"]
    assert workflow.read_text() == (f"jobs:\n  t:\n    container:\n      image: \"{ref}@{second}\"\n    steps:\n"
                                    f"      - uses: docker://{ref}@{second}\n")
    assert _pin(capsys, "--update", str(workflow)) == (0, "", "")


def test_basic_auth_from_the_docker_config(auth_registry, tmp_path, capsys, no_docker_config):
    repo = _repo()
    digest, _ = Pusher(auth_registry, AUTH_USER, AUTH_PASSWORD).image(repo, "private")
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(f"FROM {auth_registry}/{repo}:private\n")
    code, _out, err = _pin(capsys, str(dockerfile))  # no credentials: the registry says 401
    assert code == 2 and "HTTP 401" in err and len(err.splitlines()) == 1
    token = base64.b64encode(f"{AUTH_USER}:{AUTH_PASSWORD}".encode()).decode()
    (no_docker_config / "config.json").write_text(json.dumps({"auths": {f"http://{auth_registry}/v1/": {
        "auth": token}}}))
    code, _out, err = _pin(capsys, str(dockerfile))
    assert code == 0, err
    assert dockerfile.read_text() == f"FROM {auth_registry}/{repo}:private@{digest}\n"


def test_basic_auth_from_a_credential_helper(auth_registry, tmp_path, capsys, no_docker_config, monkeypatch):
    repo = _repo()
    digest, _ = Pusher(auth_registry, AUTH_USER, AUTH_PASSWORD).image(repo, "helped")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    asked = tmp_path / "asked"
    helper = bin_dir / "docker-credential-pintest"
    # docker's helper protocol: "get" with the server on stdin, JSON with Username and Secret on stdout.
    helper.write_text(f"#!{sys.executable}\nimport json, sys\n"
                      f"assert sys.argv[1:] == ['get']\nserver = sys.stdin.read()\n"
                      f"open({str(asked)!r}, 'w').write(server)\n"
                      f"print(json.dumps({{'ServerURL': server, 'Username': {AUTH_USER!r}, "
                      f"'Secret': {AUTH_PASSWORD!r}}}))\n")
    helper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    (no_docker_config / "config.json").write_text(json.dumps({"credHelpers": {auth_registry: "pintest"}}))
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(f"FROM {auth_registry}/{repo}:helped\n")
    code, _out, err = _pin(capsys, str(dockerfile))
    assert code == 0, err
    assert dockerfile.read_text() == f"FROM {auth_registry}/{repo}:helped@{digest}\n"
    assert asked.read_text() == auth_registry


def _docker(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=300)


def test_daemon_resolver_takes_the_engines_repo_digest(registry_host, tmp_path, capsys, no_docker_config):
    from tests.support.docker_images import busybox_base

    base = busybox_base()
    repo = _repo()
    ref = f"{registry_host}/{repo}:daemon"
    local = f"{repo}:daemon"  # the build's own tag; docker_push adds and removes ``ref``
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "Dockerfile").write_text(f"FROM {base}\nLABEL pin-test={uuid.uuid4().hex}\n")
    built = _docker("build", "-q", "-t", local, str(context))
    assert built.returncode == 0, built.stderr[-2000:]
    try:
        with docker_push(local, ref) as inspect:
            digest = repo_digest(inspect, ref)
            dockerfile = tmp_path / "Dockerfile"
            dockerfile.write_text(f"FROM {ref}\n")
            code, _out, err = _pin(capsys, "--resolver", "daemon", str(dockerfile))
            assert code == 0, err
            assert dockerfile.read_text() == f"FROM {ref}@{digest}\n"
            # The registry agrees with the engine.
            dockerfile.write_text(f"FROM {ref}\n")
            assert _pin(capsys, str(dockerfile))[0] == 0
            assert dockerfile.read_text() == f"FROM {ref}@{digest}\n"
            # An image the engine does not have is one line, exit 2.
            dockerfile.write_text(f"FROM {registry_host}/{repo}:not-here-{uuid.uuid4().hex[:6]}\n")
            code, _out, err = _pin(capsys, "--resolver", "daemon", str(dockerfile))
            assert code == 2 and "not in the local engine" in err and len(err.splitlines()) == 1
    finally:
        _docker("rmi", local)
