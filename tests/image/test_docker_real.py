"""Real images built by the Docker engine, saved with ``docker save``, read by the loader."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pylint_image.linter.model.image import FileKind
from pylint_image.linter.oci import ContentNeeds, load_image, load_image_stream
from pylint_image.linter.parse import parse_dockerfile
from pylint_image.linter.provenance import map_provenance
from tests.support.docker_images import busybox_base, docker_build

pytestmark = pytest.mark.docker

TAG = "pylint-image-test/reader:1"
DOCKERFILE = """\
FROM {base}
ARG GREETING=hello
ENV APP=/srv/app
RUN mkdir -p /var/cache/junk && dd if=/dev/zero of=/var/cache/junk/blob bs=1024 count=64 \\
    && echo $GREETING > /greeting && chmod 4755 /greeting
COPY app.txt $APP/
RUN rm -rf /var/cache/junk
WORKDIR $APP
USER app
EXPOSE 8080
CMD ["sh", "-c", "cat app.txt"]
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """Build the test image once per module; return (tag, Dockerfile text)."""
    base = busybox_base()
    ctx = tmp_path_factory.mktemp("ctx")
    text = DOCKERFILE.format(base=base)
    (ctx / "Dockerfile").write_text(text)
    (ctx / "app.txt").write_text("the app\n")
    docker_build(ctx, TAG)
    return TAG, text


def _check(image: object, text: str) -> None:
    cfg = image.config  # type: ignore[attr-defined]
    assert cfg.user == "app" and cfg.workdir == "/srv/app"
    assert cfg.cmd == ("sh", "-c", "cat app.txt") and cfg.exposed_ports == ("8080/tcp",)
    files = image.files  # type: ignore[attr-defined]
    assert files.read("/srv/app/app.txt") == b"the app\n"
    assert files.stat("/greeting").is_setuid
    assert files.stat("/bin/sh").kind is FileKind.SYMLINK
    assert files.stat("/var/cache/junk/blob") is None
    wasted = {s.entry.path: s.entry.size for s in files.shadowed if s.deleted}
    assert wasted["/var/cache/junk/blob"] == 64 * 1024
    layers = image.layers  # type: ignore[attr-defined]
    assert len(layers) == 5 and all(layer.diff_id.startswith("sha256:") for layer in layers)
    prov = map_provenance(image, parse_dockerfile("Dockerfile", text))
    lines = {o.layer_index: (o.line, o.how) for o in prov.origins if o.layer_index is not None}
    assert lines == {0: (1, "base"), 1: (1, "base"), 2: (4, "exact"), 3: (6, "similar"),
                     4: (7, "exact")}


def test_docker_save_archive(built: tuple[str, str], tmp_path: Path) -> None:
    tag, text = built
    archive = tmp_path / "img.tar"
    subprocess.run(["docker", "save", "-o", str(archive), tag], check=True, timeout=300)
    image = load_image(archive, _needs(), ref=tag)
    assert image.ref == tag
    _check(image, text)


def test_docker_daemon_stream(built: tuple[str, str]) -> None:
    tag, text = built
    # The caller owns the process (linter/ never spawns); the loader only reads the pipe.
    with subprocess.Popen(["docker", "save", tag], stdout=subprocess.PIPE) as proc:
        assert proc.stdout is not None
        image = load_image_stream(proc.stdout, _needs(), ref=tag)
    assert proc.returncode == 0
    _check(image, text)


def _needs() -> ContentNeeds:
    return ContentNeeds(paths=frozenset({"/srv/app/app.txt"}))


def test_image_rules_fire_on_a_real_image_at_the_right_line(built: tuple[str, str],
                                                            tmp_path: Path) -> None:
    from tests.image.test_image_rules import run_rule

    tag, text = built
    archive = tmp_path / "img.tar"
    subprocess.run(["docker", "save", "-o", str(archive), tag], check=True, timeout=300)
    image = load_image(archive, ref=tag)
    prov = map_provenance(image, parse_dockerfile("Dockerfile", text))
    lines = {o.diff_id: o.line for o in prov.origins if o.diff_id}
    setuid = run_rule("IM2001", image)
    assert [(v.where.path_in_image, lines[v.where.layer_digest]) for v in setuid] == [("/greeting", 4)]
    (wasted,) = run_rule("IM2006", image, {"max-wasted-bytes": 1000})
    assert lines[wasted.where.layer_digest] == 4 and "/var/cache/junk/blob" in wasted.message
    assert run_rule("IM3001", image) == []  # a 2 MB image is well under 1 GiB
