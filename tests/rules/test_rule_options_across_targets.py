"""One rule name, one options table, whatever the target: the image rules IM1001/IM1002 take the
options class of DF1002/MF1002 and DF1001/MF1001 (rules/_shared/image_options.py), and DF1012 and
MF1003 take one class from rules/_shared/registries.py.  A setting in the config's table of the
name governs the Dockerfile, the manifest and the image, end to end through the command line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pylint_image.linter.cli import main
from pylint_image.linter.config import load_config
from pylint_image.rules._shared.image_options import PinOptions, TrustOptions
from pylint_image.rules._shared.registries import (
    PUBLIC_REGISTRIES,
    RegistryOptions,
    allowed_registries,
    registry_matcher,
    registry_of,
)
from pylint_image.rules.dockerfile import DOCKERFILE_RULES
from pylint_image.rules.image import IMAGE_RULES
from pylint_image.rules.manifest import MANIFEST_RULES
from pylint_image.linter import Context, Settings
from tests.support import synth_image as synth

RULES = {r.meta.code: r for r in (*DOCKERFILE_RULES, *MANIFEST_RULES, *IMAGE_RULES)}


@pytest.mark.parametrize("codes,options", [
    (("DF1001", "MF1001", "IM1002"), PinOptions),
    (("DF1002", "MF1002", "IM1001"), TrustOptions),
    (("DF1012", "MF1003"), RegistryOptions),
])
def test_every_rule_of_a_name_takes_the_one_options_class(codes: tuple[str, ...], options: type) -> None:
    assert len({RULES[code].meta.name for code in codes}) == 1
    assert all(RULES[code].meta.options is options for code in codes)
    # ...and no other rule of that name has a class of its own.
    name = RULES[codes[0]].meta.name
    assert sorted(code for code, r in RULES.items() if r.meta.name == name) == sorted(codes)


def test_the_config_table_of_a_name_gives_every_target_the_same_options(tmp_path: Path) -> None:
    config_file = tmp_path / "pyproject.toml"
    config_file.write_text("[tool.pylint-image]\ntrusted-registries = [\"corp\"]\n"
                           "[tool.pylint-image.rules.unpinned-image-tag]\nrequire-digest = true\n"
                           "[tool.pylint-image.rules.unofficial-base-image]\n"
                           "trusted = [\"acme\"]\nverified-publishers = \"warn\"\n"
                           "[tool.pylint-image.rules.disallowed-registry]\nallowed = [\"registry.example.com\"]\n")
    config = load_config(config_file, tmp_path, tuple(RULES.values()))
    assert config.options_for(RULES["IM1002"]) == config.options_for(RULES["DF1001"]) == PinOptions(True)
    assert config.options_for(RULES["IM1001"]) == config.options_for(RULES["MF1002"]) \
        == TrustOptions(("acme",), "warn")
    assert config.options_for(RULES["MF1003"]) == config.options_for(RULES["DF1012"]) \
        == RegistryOptions(("registry.example.com",))


def _layout(tmp_path: Path, base: str, digest: str | None = None) -> Path:
    annotations = {"org.opencontainers.image.base.name": base}
    if digest:
        annotations["org.opencontainers.image.base.digest"] = digest
    spec = {"annotations": annotations, "layers": [{"files": [{"path": "/bin/sh", "size": 10}]}]}
    return synth.write_oci_layout(spec, tmp_path / f"oci-{len(list(tmp_path.glob('oci-*')))}")


def _findings(capsys: pytest.CaptureFixture[str], *argv: str) -> list[tuple[str, str]]:
    code = main([*argv, "--format", "json", "--fail-on", "never"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return [(f["code"], f["message"]) for f in json.loads(out)["findings"]]


def _write(tmp_path: Path, name: str, text: str) -> str:
    (tmp_path / name).write_text(text)
    return str(tmp_path / name)


def test_require_digest_governs_the_dockerfile_and_the_image(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    dockerfile = _write(tmp_path, "Dockerfile", "FROM debian:12\nRUN true\n")
    image = str(_layout(tmp_path, "debian:12"))
    recorded = str(_layout(tmp_path, "debian:12", "sha256:" + "0" * 64))
    select = ("--select", "unpinned-image-tag")
    # Without the setting, a tagged base is fine everywhere.
    plain = _write(tmp_path, "plain.toml", "[tool.pylint-image]\n")
    assert _findings(capsys, dockerfile, "--config", plain, *select) == []
    assert _findings(capsys, "image", image, "--config", plain, *select) == []
    # One table, both targets.
    config = _write(tmp_path, "pin.toml", "[tool.pylint-image.rules.unpinned-image-tag]\nrequire-digest = true\n")
    assert _findings(capsys, dockerfile, "--config", config, *select) == [
        ("DF1001", "base image 'debian:12' is not pinned by digest (require-digest)")]
    assert _findings(capsys, "image", image, "--config", config, *select) == [
        ("IM1002", "base image 'debian:12' (from the annotation) is not pinned by digest and "
                   "the image records no base digest (require-digest)")]
    # The image's recorded base digest is what this build used: enough for require-digest.
    assert _findings(capsys, "image", recorded, "--config", config, *select) == []
    # The code's own table reaches the image rule as well as the name's.
    by_code = _write(tmp_path, "code.toml", "[tool.pylint-image.rules.IM1002]\nrequire-digest = true\n")
    assert [c for c, _ in _findings(capsys, "image", image, "--config", by_code, *select)] == ["IM1002"]
    assert _findings(capsys, dockerfile, "--config", by_code, *select) == []


def test_trusted_governs_the_dockerfile_and_the_image(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dockerfile = _write(tmp_path, "Dockerfile", "FROM acme/base:1\nRUN true\n")
    image = str(_layout(tmp_path, "acme/base:1"))
    select = ("--select", "unofficial-base-image")
    plain = _write(tmp_path, "plain.toml", "[tool.pylint-image]\n")
    assert [c for c, _ in _findings(capsys, dockerfile, "--config", plain, *select)] == ["DF1002"]
    assert [c for c, _ in _findings(capsys, "image", image, "--config", plain, *select)] == ["IM1001"]
    for table in ("[tool.pylint-image.rules.unofficial-base-image]\ntrusted = [\"docker.io/acme\"]\n",
                  "[tool.pylint-image]\ntrusted-registries = [\"acme\"]\n"):
        config = _write(tmp_path, "trust.toml", table)
        assert _findings(capsys, dockerfile, "--config", config, *select) == []
        assert _findings(capsys, "image", image, "--config", config, *select) == []


def test_verified_publishers_governs_the_image_and_a_bad_value_is_one_config_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image = str(_layout(tmp_path, "gcr.io/distroless/static:nonroot"))
    select = ("--select", "unofficial-base-image")
    ignore = _write(tmp_path, "ignore.toml",
                    "[tool.pylint-image.rules.unofficial-base-image]\nverified-publishers = \"ignore\"\n")
    assert _findings(capsys, "image", image, "--config", ignore, *select) == []
    info = _write(tmp_path, "info.toml", "[tool.pylint-image]\n")
    assert [c for c, _ in _findings(capsys, "image", image, "--config", info, *select)] == ["IM1001"]
    bad = _write(tmp_path, "bad.toml",
                 "[tool.pylint-image.rules.unofficial-base-image]\nverified-publishers = \"sometimes\"\n")
    assert main(["image", image, "--config", bad, *select]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "verified-publishers must be one of info, ignore, warn" in err
    assert "Traceback" not in err


def test_allowed_governs_the_dockerfile_and_the_manifest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ref = "registry.example.com:5000/team/base:1.4"
    dockerfile = _write(tmp_path, "Dockerfile", f"FROM {ref}\nCOPY --from=quay.io/x/y:1 /a /a\n")
    compose = _write(tmp_path, "compose.yaml", f"services:\n  a:\n    image: {ref}\n  b:\n    image: quay.io/x/y:1\n")
    select = ("--select", "disallowed-registry", "--preview")
    plain = _write(tmp_path, "plain.toml", "[tool.pylint-image]\n")
    message = "image registry 'registry.example.com:5000' is not in the allowed registries"
    assert _findings(capsys, dockerfile, "--config", plain, *select) == [("DF1012", message)]
    assert _findings(capsys, compose, "--config", plain, *select) == [("MF1003", message)]
    config = _write(tmp_path, "allow.toml",
                    "[tool.pylint-image.rules.disallowed-registry]\nallowed = [\"registry.example.com:*\"]\n")
    quay = "image registry 'quay.io' is not in the allowed registries"
    assert _findings(capsys, dockerfile, "--config", config, *select) == [("DF1012", quay)]
    assert _findings(capsys, compose, "--config", config, *select) == [("MF1003", quay)]


@pytest.mark.parametrize("reference,registry", [
    ("python:3.12", "docker.io"), ("index.docker.io/library/python", "docker.io"),
    ("Registry-1.Docker.io/x/y:1", "docker.io"), ("GHCR.io/acme/tool@sha256:" + "a" * 64, "ghcr.io"),
    ("localhost:5000/app", "localhost:5000"), ("$REG/app:1", None), ("${REG}/app", None),
    ("ghcr.io/$ORG/app", "ghcr.io"),
])
def test_registry_of(reference: str, registry: str | None) -> None:
    assert registry_of(reference) == registry


def test_allowed_registries_default_and_wildcards() -> None:
    default = allowed_registries(Context(options=None, settings=Settings()))
    assert default.pattern == registry_matcher(PUBLIC_REGISTRIES).pattern
    assert default.match("docker.io") and default.match("eu.gcr.io") and not default.match("evil.io")
    assert allowed_registries(Context(options=RegistryOptions(), settings=Settings())).pattern == default.pattern
    mine = allowed_registries(Context(options=RegistryOptions((" *.azurecr.io/ ", "hub.docker.com")),
                                      settings=Settings()))
    assert mine.match("acme.azurecr.io") and mine.match("docker.io")
    assert not mine.match("a.b.azurecr.io") and not mine.match("acme.azurecr.io:443") and not mine.match("ghcr.io")
