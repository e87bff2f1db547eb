"""Provenance: history entries of both builders mapped to final-stage instructions."""

from __future__ import annotations

from pathlib import Path

import pytest

from pylint_image.linter.oci import load_image
from pylint_image.linter.parse import parse_dockerfile
from pylint_image.linter.provenance import map_provenance, parse_created_by
from tests.support import synth_image as synth

DOCKERFILE = """\
FROM debian:12 AS build
RUN make

FROM debian:12
ARG VERSION=1.2
ENV APP=/srv/app \\
    MODE=prod
RUN echo $VERSION > /version && \\
      apt-get update
COPY --chown=app . $APP/
WORKDIR $APP
USER app
CMD ["./run"]
"""

LEGACY = [
    "/bin/sh -c #(nop) ADD file:0a1b in / ",
    '/bin/sh -c #(nop)  CMD ["bash"]',
    "/bin/sh -c #(nop)  ARG VERSION=1.2",
    "/bin/sh -c #(nop)  ENV APP=/srv/app MODE=prod",
    "|1 VERSION=1.2 /bin/sh -c echo $VERSION > /version &&       apt-get update",
    "/bin/sh -c #(nop) COPY dir:77aa in /srv/app/ ",
    "/bin/sh -c #(nop) WORKDIR /srv/app",
    "/bin/sh -c #(nop)  USER app",
    '/bin/sh -c #(nop)  CMD ["./run"]',
]

BUILDKIT = [
    "/bin/sh -c #(nop) ADD file:0a1b in / ",
    '/bin/sh -c #(nop)  CMD ["bash"]',
    "ARG VERSION=1.2",
    "ENV APP=/srv/app MODE=prod",
    "RUN |1 VERSION=1.2 /bin/sh -c echo $VERSION > /version &&       apt-get update # buildkit",
    "COPY . /srv/app/ # buildkit",
    "WORKDIR /srv/app",
    "USER app",
    'CMD ["./run"]',
]

_LAYERS = {0, 4, 5, 6}  # ADD, RUN, COPY and WORKDIR make layers


def _image(tmp_path: Path, created_by: list[str]) -> object:
    spec = {"layers": [
        {"created_by": c, "files": [{"path": f"/f{i}", "content": str(i)}]} if i in _LAYERS
        else {"created_by": c, "empty": True}
        for i, c in enumerate(created_by)]}
    return load_image(synth.write_oci_layout(spec, tmp_path / "oci"))


@pytest.mark.parametrize("history", [LEGACY, BUILDKIT], ids=["legacy", "buildkit"])
def test_every_entry_maps_to_its_line(tmp_path: Path, history: list[str]) -> None:
    image = _image(tmp_path, history)
    prov = map_provenance(image, parse_dockerfile("Dockerfile", DOCKERFILE))
    got = [(o.history_index, o.line, o.how) for o in prov.origins]
    assert [(h, line) for h, line, _ in got] == [
        (0, 4), (1, 4), (2, 5), (3, 6), (4, 8), (5, 10), (6, 11), (7, 12), (8, 13)]
    assert got[0][2] == got[1][2] == "base"
    assert {h: how for h, _, how in got}[4] == "exact"  # RUN text equal after normalization
    layer_lines = {o.layer_index: o.line for o in prov.origins if o.layer_index is not None}
    assert layer_lines == {0: 4, 1: 8, 2: 10, 3: 11}
    origin = prov.for_diff_id(image.layers[1].diff_id)  # type: ignore[attr-defined]
    assert origin is not None and origin.instruction.keyword == "RUN"


def test_identical_cmd_in_base_stays_with_base(tmp_path: Path) -> None:
    history = ['/bin/sh -c #(nop) ADD file:0a1b in / ', '/bin/sh -c #(nop)  CMD ["sh"]',
               "/bin/sh -c #(nop)  USER app", '/bin/sh -c #(nop)  CMD ["sh"]']
    spec = {"layers": [{"created_by": history[0], "files": []}]
            + [{"created_by": c, "empty": True} for c in history[1:]]}
    image = load_image(synth.write_oci_layout(spec, tmp_path / "oci"))
    prov = map_provenance(image, parse_dockerfile("Dockerfile", 'FROM x\nUSER app\nCMD ["sh"]\n'))
    assert [(o.history_index, o.line, o.how) for o in prov.origins] == [
        (0, 1, "base"), (1, 1, "base"), (2, 2, "exact"), (3, 3, "exact")]


def test_unrecognizable_history_falls_back_to_order(tmp_path: Path) -> None:
    spec = {"layers": [{"created_by": "", "files": [{"path": "/a", "content": "a"}]},
                       {"created_by": "", "files": [{"path": "/b", "content": "b"}]},
                       {"created_by": "", "files": [{"path": "/c", "content": "c"}]}]}
    image = load_image(synth.write_oci_layout(spec, tmp_path / "oci"))
    prov = map_provenance(image, parse_dockerfile("Dockerfile", "FROM x\nUSER 1\nLABEL a=b\n"))
    assert [(o.layer_index, o.line, o.how) for o in prov.origins] == [
        (0, 1, "base"), (1, 2, "aligned"), (2, 3, "aligned")]


@pytest.mark.parametrize(("created_by", "keyword", "text", "args"), [
    ('/bin/sh -c #(nop)  CMD ["x"]', "CMD", '["x"]', {}),
    ("/bin/sh -c #(nop) COPY file:abc in /app ", "COPY", "file:abc in /app", {}),
    ("/bin/sh -c apt-get   install -y x", "RUN", "apt-get install -y x", {}),
    ("|2 A=1 B=2 /bin/sh -c make", "RUN", "make", {"A": "1", "B": "2"}),
    ("RUN /bin/sh -c apt-get update # buildkit", "RUN", "apt-get update", {}),
    ("COPY . /app # buildkit", "COPY", ". /app", {}),
    ("WORKDIR /app", "WORKDIR", "/app", {}),
    ("/bin/busybox sh -c ln -s busybox /bin/sh", "RUN", "/bin/busybox sh -c ln -s busybox /bin/sh", {}),
])
def test_parse_created_by(created_by: str, keyword: str, text: str, args: dict[str, str]) -> None:
    step = parse_created_by(created_by)
    assert (step.keyword, step.text, dict(step.build_args)) == (keyword, text, args)


def test_instructions_are_expanded_by_the_one_expander(tmp_path: Path) -> None:
    """Quotes, escapes and a declared-but-unknown ARG, as BuildKit writes them in the history."""
    text = ('# escape=`\nFROM x\nARG UNSET\nENV APP=/srv/app\nCOPY . "$APP/"\nWORKDIR ${UNSET:-/w}\n'
            "LABEL a=`$APP\n")
    history = ["/bin/sh -c #(nop) ADD file:0a1b in / ", "ARG UNSET", "ENV APP=/srv/app",
               "COPY . /srv/app/ # buildkit", "WORKDIR /w", "LABEL a=$APP"]
    spec = {"layers": [{"created_by": history[0], "files": []}]
            + [{"created_by": c, "empty": True} for c in history[1:]]}
    image = load_image(synth.write_oci_layout(spec, tmp_path / "oci"))
    prov = map_provenance(image, parse_dockerfile("Dockerfile", text))
    assert [(o.history_index, o.line, o.how) for o in prov.origins] == [
        (0, 2, "base"), (1, 3, "exact"), (2, 4, "exact"), (3, 5, "exact"), (4, 6, "exact"), (5, 7, "exact")]
