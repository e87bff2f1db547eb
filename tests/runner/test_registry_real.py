"""Pull from a real registry (Debian's ``docker-registry``) what the Docker engine pushed there.

CI's ``.ci/run`` starts one on 127.0.0.1:5000 and exports PYLINT_IMAGE_TEST_REGISTRY;
without it, a private one is started on a free loopback port for the session.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pylint_image.linter.errors import SourceError
from pylint_image.linter.oci import load_image
from pylint_image.runner.registry import pull_to_layout, resolve_registry_source
from tests.support.docker_images import busybox_base

pytestmark = pytest.mark.docker

LOOPBACK = ("127.0.0.1", "localhost", "[::1]")


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def registry_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``HOST:PORT`` of a running loopback registry (CI's, or one started here)."""
    given = os.environ.get("PYLINT_IMAGE_TEST_REGISTRY")
    if given:
        if not given.startswith(LOOPBACK):
            pytest.skip(f"PYLINT_IMAGE_TEST_REGISTRY={given} is not a loopback address")
        yield given
        return
    binary = shutil.which("docker-registry")
    if binary is None:
        pytest.skip("needs Debian's docker-registry or PYLINT_IMAGE_TEST_REGISTRY")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    root = tmp_path_factory.mktemp("registry")
    (root / "config.yml").write_text(
        "version: 0.1\n"
        f"storage:\n  filesystem:\n    rootdirectory: {root / 'data'}\n"
        f"http:\n  addr: 127.0.0.1:{port}\n")
    with (root / "log").open("wb") as log:
        proc = subprocess.Popen([binary, "serve", str(root / "config.yml")], stdout=log,
                                stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while not _port_open("127.0.0.1", port):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"docker-registry did not start: {(root / 'log').read_text()[-500:]}")
            time.sleep(0.1)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def pushed(registry_host: str) -> Iterator[dict[str, object]]:
    """Push the busybox base under a fresh tag; return its ref and ``docker inspect`` JSON."""
    base = busybox_base()
    ref = f"{registry_host}/pylint-image-test/busybox:{uuid.uuid4().hex[:12]}"
    subprocess.run(["docker", "tag", base, ref], check=True, capture_output=True)
    try:
        push = subprocess.run(["docker", "push", ref], capture_output=True, text=True, timeout=300)
        assert push.returncode == 0, push.stderr[-2000:]
        inspect = subprocess.run(["docker", "inspect", ref], check=True, capture_output=True,
                                 text=True)
        yield {"ref": ref, "inspect": json.loads(inspect.stdout)[0]}
    finally:
        subprocess.run(["docker", "rmi", ref], capture_output=True)  # drops the tag only


def _repo_digest(pushed: dict[str, object]) -> str:
    name = str(pushed["ref"]).rsplit(":", 1)[0]
    digests = pushed["inspect"]["RepoDigests"]  # type: ignore[index]
    return next(d.split("@", 1)[1] for d in digests if d.startswith(f"{name}@"))


def test_pull_matches_docker_inspect(pushed, tmp_path):
    layout = pull_to_layout(str(pushed["ref"]), tmp_path / "layout", cache_dir=tmp_path / "cache")
    image = load_image(layout)
    inspect = pushed["inspect"]
    assert image.ref == pushed["ref"]
    assert image.digest == inspect["Id"]
    assert [layer.diff_id for layer in image.layers] == inspect["RootFS"]["Layers"]
    assert image.manifest_digest == _repo_digest(pushed)
    assert list(image.config.env) == inspect["Config"]["Env"]
    assert image.files.stat("/bin/busybox") is not None


def test_second_pull_is_served_from_the_cache(pushed, tmp_path, caplog):
    pull_to_layout(str(pushed["ref"]), tmp_path / "one", cache_dir=tmp_path / "cache")
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="pylint_image.runner"):
        layout = pull_to_layout(str(pushed["ref"]), tmp_path / "two", cache_dir=tmp_path / "cache")
    fetched = [r.getMessage() for r in caplog.records if r.getMessage().startswith("GET ")]
    assert len(fetched) == 1 and "/manifests/" in fetched[0]  # the tag, nothing else
    hits = [r for r in caplog.records if r.getMessage().startswith("cache hit")]
    assert len(hits) == 1 + len(pushed["inspect"]["RootFS"]["Layers"])  # config + layers
    assert load_image(layout).digest == pushed["inspect"]["Id"]


def test_resolve_by_digest_with_the_docker_prefix(pushed, tmp_path):
    name = str(pushed["ref"]).rsplit(":", 1)[0]
    layout = resolve_registry_source(f"docker://{name}@{_repo_digest(pushed)}", tmp_path)
    assert load_image(layout).digest == pushed["inspect"]["Id"]


def test_unknown_tag_is_one_line_with_the_url(pushed, registry_host, tmp_path):
    with pytest.raises(SourceError) as caught:
        pull_to_layout(f"{registry_host}/pylint-image-test/busybox:no-such-tag",
                       Path(tmp_path / "out"), cache_dir=tmp_path / "cache")
    assert str(caught.value) == (f"http://{registry_host}/v2/pylint-image-test/busybox/"
                                 "manifests/no-such-tag: HTTP 404 Not Found")
