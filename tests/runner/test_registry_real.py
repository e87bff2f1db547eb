"""Pull from a real registry (Debian's ``docker-registry``) what the Docker engine pushed there.

CI's ``.ci/run`` starts one on 127.0.0.1:5000 and exports PYLINT_IMAGE_TEST_REGISTRY;
without it, a private one is started on a free loopback port for the session
(``registry_host`` and ``docker_push``: tests/support/registry.py).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pylint_image.linter.errors import SourceError
from pylint_image.linter.oci import load_image
from pylint_image.runner.registry import pull_to_layout, resolve_registry_source
from tests.support.docker_images import busybox_base
from tests.support.registry import docker_push, repo_digest

pytestmark = pytest.mark.docker


@pytest.fixture(scope="session")
def pushed(registry_host: str) -> Iterator[dict[str, object]]:
    """Push the busybox base under a fresh tag; return its ref and ``docker inspect`` JSON."""
    ref = f"{registry_host}/pylint-image-test/busybox:{uuid.uuid4().hex[:12]}"
    with docker_push(busybox_base(), ref) as inspect:
        yield {"ref": ref, "inspect": inspect}


def _repo_digest(pushed: dict[str, object]) -> str:
    return repo_digest(pushed["inspect"], str(pushed["ref"]))  # type: ignore[arg-type]


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
