"""Config and base-image rules on images: IM1001 unofficial-base-image, IM1002 unpinned-image-tag,
IM3004 runs-as-root.

Each ``cases`` entry of a tests/fixtures/images/*.yaml fixture overrides the fixture's
top-level keys (``config``, ``annotations``, ``layers``, ``os``, ``options``, ``settings``,
``dockerfile``) and says ``expect: [CODE]`` (exactly one finding) or ``ok: [CODE]`` (none);
``line`` is the linked Dockerfile line the finding points at, ``message`` a substring.
The real-image test builds with the Docker engine and reads ``docker save`` archives.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

import pylint_image.rules as builtin
from pylint_image.linter import Context, ImageLocation, Settings, Target
from pylint_image.linter.config import Config
from pylint_image.linter.engine import run_rules
from pylint_image.linter.oci import ContentNeeds, load_image
from pylint_image.linter.parse import parse_dockerfile
from pylint_image.linter.plugins import Registry
from pylint_image.linter.selection import Selection
from tests.image.test_image_rules import RULES
from tests.support import synth_image as synth
from tests.support.docker_images import busybox_base, docker_build

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "images"
CODES = ("IM1001", "IM1002", "IM3004")
_OVERRIDES = ("config", "annotations", "layers", "os", "options", "settings", "dockerfile")


def _cases() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted(FIXTURES.glob("*.yaml")):
        spec = synth.load_yaml(path.read_text())
        for case in spec.get("cases", []):
            merged = {k: v for k, v in spec.items() if k not in ("cases", "expect")}
            merged.update({k: case[k] for k in _OVERRIDES if k in case})
            merged["case"] = case
            out.append((f"{path.stem}-{case['name']}", merged))
    return out


CASES = _cases()


def _image(spec: dict[str, Any], tmp_path: Path) -> Any:
    needs = ContentNeeds.of([r.meta.needs for r in RULES.values()])
    return load_image(synth.write_oci_layout(spec, tmp_path / "oci"), needs)


def _context(code: str, spec: dict[str, Any]) -> Context:
    cls = RULES[code].meta.options
    raw = spec.get("options") or {}
    opts = cls(**{k.replace("-", "_"): tuple(v) if isinstance(v, list) else v for k, v in raw.items()}) \
        if cls else None
    trusted = tuple((spec.get("settings") or {}).get("trusted_registries", ()))
    dockerfile = parse_dockerfile(Path("Dockerfile"), spec["dockerfile"]) if spec.get("dockerfile") else None
    return Context(options=opts, settings=Settings(trusted_registries=trusted), dockerfile=dockerfile,
                   image_name="img")


def test_every_new_rule_has_cases_both_ways() -> None:
    for code in CODES:
        cases = [s["case"] for name, s in CASES if name.startswith(code)]
        assert any(c.get("expect") for c in cases) and any(c.get("ok") for c in cases), code


@pytest.mark.parametrize("spec", [s for _, s in CASES], ids=[n for n, _ in CASES])
def test_case(spec: dict[str, Any], tmp_path: Path) -> None:
    case = spec["case"]
    code = (case.get("expect") or case.get("ok"))[0]
    image = _image(spec, tmp_path)
    found = list(RULES[code].check(image, _context(code, spec)))
    if case.get("ok"):
        assert found == [], [v.message for v in found]
        return
    assert len(found) == len(case["expect"]), [v.message for v in found]
    where = found[0].where
    assert isinstance(where, ImageLocation) and where.image == "img" and where.path_in_image is None
    assert where.layer_digest in {layer.diff_id for layer in image.layers}
    if "message" in case:
        assert case["message"] in found[0].message
    if "line" in case:
        assert where.source is not None and where.source.span.start_line == case["line"]
    elif not spec.get("dockerfile"):
        assert where.source is None


def test_names_are_shared_with_the_dockerfile_rules() -> None:
    by_name: dict[str, set[Target]] = {}
    for r in builtin.BUILTIN_RULES:
        by_name.setdefault(r.meta.name, set()).add(r.meta.target)
    # Other targets (manifests) may share these names too; the Dockerfile and image rules must.
    for name in ("unofficial-base-image", "unpinned-image-tag"):
        assert {Target.DOCKERFILE, Target.IMAGE} <= by_name[name], name
    assert {Target.DOCKERFILE, Target.IMAGE, Target.RUNTIME} <= by_name["runs-as-root"]


def test_engine_selects_by_shared_name_and_shares_options(tmp_path: Path) -> None:
    spec = synth.load_yaml((FIXTURES / "IM1002.yaml").read_text())
    spec["annotations"] = {"org.opencontainers.image.base.name": "debian:12"}
    spec["config"] = {"User": "root"}
    image = _image(spec, tmp_path)
    registry = Registry(builtin.BUILTIN_RULES, {}, ())
    config = Config(selection=Selection(select=("runs-as-root", "unpinned-image-tag")),
                    rule_options={"unpinned-image-tag": {"require-digest": True}})
    text = "FROM debian:12\nUSER root\n"
    dockerfile = parse_dockerfile(tmp_path / "Dockerfile", text)
    out = run_rules(image, Target.IMAGE, registry, config, display="img", dockerfile=dockerfile,
                    image_name="img")
    got = sorted((f.code, f.source.span.start_line if f.source else None) for f in out.findings)
    # Options set under the shared name reach the image rule; USER root is line 2.
    assert got == [("IM1002", 1), ("IM3004", 2)]


@pytest.mark.docker
@pytest.mark.parametrize("user_line, fires", [("", True), ("USER 1000\n", False)],
                         ids=["no-user", "user-1000"])
def test_real_image_runs_as_root(user_line: str, fires: bool, tmp_path: Path) -> None:
    base = busybox_base()
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    text = f"FROM {base}\nRUN echo hi > /hello\n{user_line}CMD [\"sh\"]\n"
    (ctx / "Dockerfile").write_text(text)
    tag = f"pylint-image-test/root-{'yes' if fires else 'no'}:1"
    docker_build(ctx, tag)
    archive = tmp_path / "img.tar"
    subprocess.run(["docker", "save", "-o", str(archive), tag], check=True, timeout=300)
    image = load_image(archive, ContentNeeds.of([RULES["IM3004"].meta.needs]), ref=tag)
    assert image.files.has_content("/etc/passwd")
    dockerfile = parse_dockerfile(ctx / "Dockerfile", text)
    found = list(RULES["IM3004"].check(image, Context(options=None, settings=Settings(),
                                                      dockerfile=dockerfile, image_name=tag)))
    if not fires:
        assert image.config.user == "1000" and found == []
        return
    (violation,) = found
    assert "defaults to root" in violation.message
    assert violation.where.source.span.start_line == 1  # no USER: the FROM line
