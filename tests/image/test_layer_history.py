"""Issue 12 items 2 and 4: content rules read every layer, and the base image's content is its own.

secret-in-image and package-cache-in-image see the copies a later layer deleted or overwrote
(they still ship in the earlier layer) and say so; with a linked Dockerfile, what the base
image brought is one finding at the FROM line ("inherited from the base image") and the
user's lines get only what their own layers added.  The synthetic images here carry legacy
builder history, so provenance maps them to the Dockerfiles below; the Docker tests build
real images (busybox-static and the debootstrap Debian base) and run ``pylint-image image``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import pylint_image.rules as builtin
from pylint_image.linter import Context, Settings, SourceLocation, Target
from pylint_image.linter.config import Config
from pylint_image.linter.engine import run_rules
from pylint_image.linter.findings import Finding
from pylint_image.linter.model.image import Image
from pylint_image.linter.oci import ContentNeeds, load_image
from pylint_image.linter.parse import parse_dockerfile
from pylint_image.linter.plugins import Registry
from pylint_image.linter.provenance import map_provenance
from pylint_image.linter.selection import Selection
from tests.image.test_image_rules import RULES
from tests.support import synth_image as synth
from tests.support.debian_base import debian_base
from tests.support.docker_images import busybox_base, docker_build

KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"
BASE_LAYER = {"created_by": "/bin/sh -c #(nop) ADD file:0123abc in / ", "files": [
    {"path": "/bin/busybox", "size": 100, "mode": "0755"},
]}
STILL = "deleting it later does not remove it from the image"
MiB = 1 << 20


def _image(tmp_path: Path, layers: list[dict[str, Any]]) -> Image:
    needs = ContentNeeds.of([r.meta.needs for r in RULES.values()])
    return load_image(synth.write_oci_layout({"layers": layers}, tmp_path / "oci"), needs)


def _findings(image: Image, text: str | None, tmp_path: Path, *select: str) -> list[Finding]:
    """Run the engine as ``pylint-image image --dockerfile`` does (``text`` None: no Dockerfile)."""
    dockerfile = parse_dockerfile(tmp_path / "Dockerfile", text) if text is not None else None
    spans = None
    if dockerfile is not None:
        spans = {o.diff_id: SourceLocation(dockerfile.path, o.instruction.span)
                 for o in map_provenance(image, dockerfile).origins if o.diff_id is not None}
    out = run_rules(image, Target.IMAGE, Registry(builtin.BUILTIN_RULES, {}, ()),
                    Config(selection=Selection(select=select)), display="img", dockerfile=dockerfile,
                    image_name="img", provenance=spans)
    return out.findings


def _line(finding: Finding) -> int | None:
    source = finding.location.source  # type: ignore[union-attr]
    return source.span.start_line if source is not None else None


def _layer_of(image: Image, finding: Finding) -> int:
    digest = finding.location.layer_digest  # type: ignore[union-attr]
    return next(layer.index for layer in image.layers if layer.diff_id == digest)


# --- the model: each layer's own copies and what later layers did to them -------------------

def test_each_layer_keeps_its_own_copy_and_its_fate(tmp_path: Path) -> None:
    image = _image(tmp_path, [
        {"files": [{"path": "/root/.npmrc", "content": "//r/:_authToken=first\n"},
                   {"path": "/root/.ssh/id_rsa", "content": KEY}]},
        {"files": [{"path": "/root/.npmrc", "content": "registry=https://r/\n"},
                   {"path": "/root/.ssh/id_rsa", "type": "whiteout"}]},
    ])
    assert image.read_in_layer(0, "/root/.npmrc") == b"//r/:_authToken=first\n"
    assert image.read_in_layer(1, "root/.npmrc") == b"registry=https://r/\n"
    assert image.files.read("/root/.npmrc") == b"registry=https://r/\n"
    assert image.read_in_layer(0, "/root/.ssh/id_rsa") == KEY.encode()
    assert not image.files.has_content("/root/.ssh/id_rsa")
    assert image.has_content_in_layer(0, "/root/.ssh/id_rsa") and not image.has_content_in_layer(1, "/root/.ssh/id_rsa")
    assert not image.has_content_in_layer(7, "/root/.npmrc")
    with pytest.raises(KeyError, match="not loaded in layer 1"):
        image.read_in_layer(1, "/root/.ssh/id_rsa")
    fates = image.files.fates()
    assert (fates[0, "/root/.npmrc"].by_layer, fates[0, "/root/.npmrc"].deleted) == (1, False)
    assert (fates[0, "/root/.ssh/id_rsa"].by_layer, fates[0, "/root/.ssh/id_rsa"].deleted) == (1, True)
    assert (1, "/root/.npmrc") not in fates


# --- item 2: secrets in every layer ------------------------------------------------------------

def test_secret_deleted_later_is_reported_at_the_line_that_added_it(tmp_path: Path) -> None:
    image = _image(tmp_path, [
        BASE_LAYER,
        {"created_by": "/bin/sh -c #(nop) COPY file:feed in /root/.ssh/ ",
         "files": [{"path": "/root/.ssh/id_ed25519", "content": KEY, "mode": "0600"}]},
        {"created_by": "/bin/sh -c rm /root/.ssh/id_ed25519",
         "files": [{"path": "/root/.ssh/id_ed25519", "type": "whiteout"}]},
    ])
    assert image.files.stat("/root/.ssh/id_ed25519") is None
    text = "FROM busybox:1\nCOPY id_ed25519 /root/.ssh/\nRUN rm /root/.ssh/id_ed25519\n"
    (finding,) = _findings(image, text, tmp_path, "IM2003")
    assert (finding.code, finding.name, _line(finding), _layer_of(image, finding)) == \
        ("IM2003", "secret-in-image", 2, 1)
    assert finding.location.path_in_image == "/root/.ssh/id_ed25519"  # type: ignore[union-attr]
    assert finding.message == ("/root/.ssh/id_ed25519: private key, deleted by layer 2 but still in "
                               f"layer 1: {STILL}")
    # Without a Dockerfile the finding is the same, at the layer.
    (alone,) = _findings(image, None, tmp_path, "IM2003")
    assert alone.message == finding.message and _line(alone) is None and _layer_of(image, alone) == 1


def test_overwritten_secret_is_reported_and_the_clean_copy_is_not(tmp_path: Path) -> None:
    image = _image(tmp_path, [
        {"files": [{"path": "/root/.npmrc", "content": "//r/:_authToken=npm_abc\n"},
                   {"path": "/app/.git/HEAD", "content": "ref: refs/heads/main\n"}]},
        {"files": [{"path": "/root/.npmrc", "content": "registry=https://r/\n"},
                   {"path": "/app", "type": "whiteout"}]},
        {"files": [{"path": "/srv/.env", "content": "TOKEN=abc\n"}]},
    ])
    got = sorted((_layer_of(image, f), f.message) for f in _findings(image, None, tmp_path, "IM2003"))
    assert got == [
        (0, "/app/.git: a git repository (history, remotes, maybe credentials), deleted by layer 1 "
            f"but still in layer 0: {STILL}"),
        (0, "/root/.npmrc: npm token, overwritten by layer 1 but still in layer 0: overwriting it "
            "later does not remove it from the image"),
        (2, "/srv/.env: .env file with values (added by layer 2)"),
    ]


def test_secret_in_a_base_layer_is_one_inherited_finding_at_from(tmp_path: Path) -> None:
    image = _image(tmp_path, [
        {"created_by": "/bin/sh -c #(nop) ADD file:0123abc in / ", "files": [
            {"path": "/etc/ssl/private/a.key", "content": "-----BEGIN RSA PRIVATE KEY-----\n"},
            {"path": "/root/.netrc", "content": "machine h login u password p\n"}]},
        {"created_by": "/bin/sh -c rm /root/.netrc", "files": [{"path": "/root/.netrc", "type": "whiteout"}]},
        {"created_by": "/bin/sh -c #(nop) COPY file:feed in /app/.env ",
         "files": [{"path": "/app/.env", "content": "A=1\n"}]},
    ])
    text = "FROM base:1\nRUN rm /root/.netrc\nCOPY .env /app/.env\n"
    got = sorted((_line(f), f.message) for f in _findings(image, text, tmp_path, "IM2003"))
    assert got == [
        (1, "2 secrets inherited from the base image: /etc/ssl/private/a.key (private key), "
            "/root/.netrc (netrc password, deleted by layer 1)"),
        (3, "/app/.env: .env file with values (added by layer 2)"),
    ]


# --- item 2: package caches added and removed --------------------------------------------------

def test_cache_deleted_by_a_later_run_still_counts_at_the_line_that_added_it(tmp_path: Path) -> None:
    image = _image(tmp_path, [
        BASE_LAYER,
        {"created_by": "/bin/sh -c apt-get update", "files": [
            {"path": "/var/lib/apt/lists/deb_Packages", "size": 2 * MiB},
            {"path": "/var/lib/apt/lists/lock", "size": 0}]},
        {"created_by": "/bin/sh -c rm -rf /var/lib/apt/lists/*", "files": [
            {"path": "/var/lib/apt/lists/deb_Packages", "type": "whiteout"}]},
    ])
    text = "FROM base:1\nRUN apt-get update\nRUN rm -rf /var/lib/apt/lists/*\n"
    (finding,) = _findings(image, text, tmp_path, "IM2004")
    assert (_line(finding), _layer_of(image, finding)) == (2, 1)
    assert finding.message == ("apt lists left in the image: 2.00 MiB added by layer 1 (2.00 MiB of it "
                               "deleted or overwritten by layer 2 but still in layer 1: "
                               f"{STILL})")


def test_base_cache_and_the_users_run_line_are_split(tmp_path: Path) -> None:
    image = _image(tmp_path, [
        {"created_by": "/bin/sh -c #(nop) ADD file:0123abc in / ", "files": [
            {"path": "/var/cache/apt/pkgcache.bin", "size": 3 * MiB},
            {"path": "/var/cache/apt/srcpkgcache.bin", "size": 1 * MiB}]},
        {"created_by": '/bin/sh -c #(nop)  CMD ["bash"]', "empty": True},
        {"created_by": "/bin/sh -c apt-get install -y curl", "files": [
            {"path": "/var/cache/apt/archives/curl.deb", "size": MiB},
            {"path": "/var/cache/apt/pkgcache.bin", "size": MiB // 2}]},
    ])
    text = "FROM base:1\nRUN apt-get install -y curl\n"
    got = sorted((_line(f), f.message) for f in _findings(image, text, tmp_path, "IM2004"))
    assert got == [
        (1, "apt archives inherited from the base image: 4.00 MiB (3.00 MiB of it deleted or "
            "overwritten by layer 1 but still in the base image's layers: " + STILL + ")"),
        (2, "apt archives left in the image: 1.50 MiB added by layer 1"),
    ]
    # Without a Dockerfile nothing is known about the base: each layer is its own finding.
    alone = sorted((_layer_of(image, f), f.message.split(" (")[0]) for f in _findings(image, None, tmp_path, "IM2004"))
    assert alone == [(0, "apt archives left in the image: 4.00 MiB added by layer 0"),
                     (1, "apt archives left in the image: 1.50 MiB added by layer 1")]


# --- item 4: setuid, world-writable and build tools from the base ------------------------------

SETUID_BASE = {"created_by": "/bin/sh -c #(nop) ADD file:0123abc in / ", "files": [
    {"path": "/usr/bin/passwd", "size": 10, "mode": "04755"},
    {"path": "/usr/bin/su", "size": 10, "mode": "04755"},
    {"path": "/usr/bin/chage", "size": 10, "mode": "02755"},
    {"path": "/usr/bin/tool", "size": 10, "mode": "0755"},
    {"path": "/usr/bin/gcc", "size": 10, "mode": "0755"},
    {"path": "/srv/drop", "type": "dir", "mode": "0777"},
    {"path": "/srv/gone", "type": "dir", "mode": "0777"},
]}
USER_LAYER = {"created_by": "/bin/sh -c chmod u+s /usr/bin/tool && mkdir -m 777 /data && rm -rf /srv/gone",
              "files": [{"path": "/usr/bin/tool", "size": 10, "mode": "04755"},
                        {"path": "/data", "type": "dir", "mode": "0777"},
                        {"path": "/srv/gone", "type": "whiteout"},
                        {"path": "/usr/bin/make", "size": 10, "mode": "0755"}]}
USER_TEXT = "FROM base:1\nRUN chmod u+s /usr/bin/tool && mkdir -m 777 /data && rm -rf /srv/gone\n"


def test_base_setuid_files_are_one_grouped_finding_and_the_users_own_is_separate(tmp_path: Path) -> None:
    image = _image(tmp_path, [SETUID_BASE, USER_LAYER])
    got = sorted((_line(f), f.message) for f in _findings(image, USER_TEXT, tmp_path, "IM2001"))
    assert got == [
        (1, "3 setuid/setgid files inherited from the base image: /usr/bin/chage (setgid), "
            "/usr/bin/passwd (setuid), /usr/bin/su (setuid)"),
        (2, "/usr/bin/tool is setuid (mode 4755, owner uid 0)"),
    ]
    # No Dockerfile: no base is known, every file is its own finding, as before.
    alone = _findings(image, None, tmp_path, "IM2001")
    assert sorted(f.location.path_in_image for f in alone) == [  # type: ignore[union-attr]
        "/usr/bin/chage", "/usr/bin/passwd", "/usr/bin/su", "/usr/bin/tool"]


def test_world_writable_and_build_tools_from_the_base_are_grouped(tmp_path: Path) -> None:
    image = _image(tmp_path, [SETUID_BASE, USER_LAYER])
    got = sorted((f.code, _line(f), f.message) for f in _findings(image, USER_TEXT, tmp_path, "IM2002", "IM2005"))
    # /srv/gone was world-writable but is deleted: nobody can write it in a container.
    assert got == [
        ("IM2002", 1, "1 world-writable path inherited from the base image: /srv/drop (0777)"),
        ("IM2002", 2, "/data is a world-writable directory without the sticky bit (mode 0777)"),
        ("IM2005", 1, "build tools inherited from the base image: /usr/bin/gcc"),
        ("IM2005", 2, "build tool /usr/bin/make is in the final image"),
    ]


def test_rules_called_with_a_context_without_provenance_see_no_base(tmp_path: Path) -> None:
    image = _image(tmp_path, [SETUID_BASE, USER_LAYER])
    ctx = Context(options=None, settings=Settings(), image_name="img")
    assert len(list(RULES["IM2001"].check(image, ctx))) == 4
    prov = map_provenance(image, parse_dockerfile(tmp_path / "Dockerfile", USER_TEXT))
    assert prov.base_layers == frozenset({0})
    with_base = Context(options=None, settings=Settings(), image_name="img", provenance=prov)
    assert len(list(RULES["IM2001"].check(image, with_base))) == 2


# --- real images --------------------------------------------------------------------------------

def _cli(*args: str, cwd: Path) -> dict[str, Any]:
    result = subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", "image", *args, "--format", "json"],
                            cwd=cwd, capture_output=True, text=True, timeout=600,
                            env={**os.environ, "NO_COLOR": "1"})
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def _by_code(data: dict[str, Any], code: str) -> list[tuple[int | None, str]]:
    return sorted(((f["location"].get("source") or {}).get("line"), f["message"])
                  for f in data["findings"] if f["code"] == code)


@pytest.mark.docker
def test_real_key_copied_then_removed_is_found_at_the_copy_line(tmp_path: Path) -> None:
    base = busybox_base()
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "id_ed25519").write_text(KEY)
    (ctx / "Dockerfile").write_text(f"FROM {base}\nCOPY id_ed25519 /root/.ssh/\n"
                                    "RUN rm /root/.ssh/id_ed25519\nCMD [\"sh\"]\n")
    tag = "pylint-image-test/deleted-key:1"
    docker_build(ctx, tag)
    data = _cli(f"docker-daemon:{tag}", "--dockerfile", "Dockerfile", cwd=ctx)
    ((line, message),) = _by_code(data, "IM2003")
    assert line == 2
    assert message.startswith("/root/.ssh/id_ed25519: private key, deleted by layer ")
    assert message.endswith(f": {STILL}")


@pytest.mark.docker
def test_real_debian_base_setuid_is_one_finding_and_the_users_run_line_its_own(tmp_path: Path) -> None:
    base = debian_base()
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(
        f"FROM {base}\n"
        "RUN cp /bin/true /usr/local/bin/mytool && chmod u+s /usr/local/bin/mytool\n"
        "RUN head -c 1048576 /dev/urandom > /var/lib/apt/lists/fake_Packages\n")
    # The base's apt lists are ~0.3 MiB: lower the floor so both sides show.
    (ctx / "pyproject.toml").write_text(
        '[tool.pylint-image.rules.package-cache-in-image]\nmin-bytes = 100000\n')
    tag = "pylint-image-test/debian-attribution:1"
    docker_build(ctx, tag)
    data = _cli(f"docker-daemon:{tag}", "--dockerfile", "Dockerfile", cwd=ctx)
    setuid = _by_code(data, "IM2001")
    assert [line for line, _ in setuid] == [1, 2], setuid
    grouped = setuid[0][1]
    assert "setuid/setgid files inherited from the base image: " in grouped
    for path in ("/usr/bin/passwd (setuid)", "/usr/bin/su (setuid)", "/usr/bin/mount (setuid)"):
        assert path in grouped
    assert setuid[1][1] == "/usr/local/bin/mytool is setuid (mode 4755, owner uid 0)"
    caches = _by_code(data, "IM2004")
    assert [line for line, _ in caches] == [1, 3], caches
    assert caches[0][1].startswith("apt lists inherited from the base image: 0.")
    assert caches[1][1].startswith("apt lists left in the image: 1.00 MiB added by layer ")
    # The base's standard device nodes (/dev/null...) are not hostile entries.
    assert _by_code(data, "IM4001") == []


def test_a_duplicate_entry_is_judged_by_its_last_copy(tmp_path: Path) -> None:
    image = _image(tmp_path, [
        {"files": [{"path": "/root/.npmrc", "content": "registry=https://r/\n"},
                   {"path": "/root/.npmrc", "content": "//r/:_authToken=npm_abc\n"}]},
        {"files": [{"path": "/root/.npmrc", "type": "whiteout"}]},
    ])
    assert image.files.fates()[0, "/root/.npmrc"].by_layer == 1
    (finding,) = _findings(image, None, tmp_path, "IM2003")
    assert finding.message == f"/root/.npmrc: npm token, deleted by layer 1 but still in layer 0: {STILL}"


def test_a_duplicate_entry_that_survives_is_an_ordinary_finding(tmp_path: Path) -> None:
    image = _image(tmp_path, [{"files": [{"path": "/root/.npmrc", "content": "x=1\n"},
                                         {"path": "/root/.npmrc", "content": "//r/:_authToken=npm_abc\n"}]}])
    (finding,) = _findings(image, None, tmp_path, "IM2003")
    assert finding.message == "/root/.npmrc: npm token (added by layer 0)"
