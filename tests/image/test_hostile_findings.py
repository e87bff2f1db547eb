"""Issue 12 item 3: every anomaly the reader records is an IM finding at the layer that holds it.

Each kind gets a crafted layer (the second of two, so the layer index is checked), and the
finding's code, layer, path and message are asserted.  hostile-layer-entry (IM4001) takes
the entries crafted against whoever unpacks the image; malformed-layer-entry (IM4002) the
ones tools read differently.  With a linked Dockerfile the finding lands on the line that
made the layer.
"""

from __future__ import annotations

import tarfile
from pathlib import Path
from typing import Any

import pytest

import pylint_image.rules as builtin
from pylint_image.linter import Context, Settings, SourceLocation, Target
from pylint_image.linter.config import Config
from pylint_image.linter.engine import run_rules
from pylint_image.linter.model.image import ANOMALY_KINDS, Image
from pylint_image.linter.oci import load_image
from pylint_image.linter.parse import parse_dockerfile
from pylint_image.linter.plugins import Registry
from pylint_image.linter.provenance import map_provenance
from pylint_image.linter.selection import Selection
from pylint_image.rules._shared.anomalies import PER_LAYER
from pylint_image.rules.image import im4001_hostile_layer_entry as im4001
from pylint_image.rules.image import im4002_malformed_layer_entry as im4002
from tests.support import synth_image as synth

BASE = {"created_by": "/bin/sh -c #(nop) ADD file:0123abc in / ",
        "files": [{"path": "/bin/real", "size": 3}, {"path": "/etc/x", "content": "x"}]}


def _unknown_type() -> bytes:
    info = tarfile.TarInfo("opt/weird")
    info.type = b"Z"  # no tar type: neither file, link, device nor directory
    return info.tobuf(format=tarfile.GNU_FORMAT)


# kind, the second layer's files, rule code, path of the finding, what the detail names
CASES: list[tuple[str, list[dict[str, Any]], str, str, str]] = [
    ("path-traversal", [{"name": "../../etc/cron.d/job", "content": "x"}], "IM4001", "/etc/cron.d/job",
     "../../etc/cron.d/job"),
    ("absolute-path", [{"name": "/etc/abs", "content": "x"}], "IM4001", "/etc/abs", "/etc/abs"),
    ("unknown-type", [{"raw": _unknown_type()}], "IM4001", "/opt/weird", "Z"),
    ("hardlink-escapes-root", [{"path": "/bin/out", "type": "hardlink", "target": "../../../bin/real"}],
     "IM4001", "/bin/out", "../../../bin/real"),
    ("symlink-escapes-root", [{"path": "/app/link", "type": "symlink", "target": "../../../../etc/shadow"}],
     "IM4001", "/app/link", "../../../../etc/shadow"),
    ("device-file", [{"path": "/dev/sda", "type": "block", "major": 8, "minor": 0}], "IM4001", "/dev/sda",
     "block 8:0"),
    ("sparse-file", [{"raw": synth.sparse_member("/var/huge.img", 1 << 30)}], "IM4002", "/var/huge.img",
     str(1 << 30)),
    ("duplicate-entry", [{"path": "/etc/y", "content": "1"}, {"path": "/etc/y", "content": "2"}],
     "IM4002", "/etc/y", "twice"),
    ("hardlink-missing-target", [{"path": "/bin/dangling", "type": "hardlink", "target": "/nope"}],
     "IM4002", "/bin/dangling", "/nope"),
    ("whiteout-of-missing-path", [{"path": "/never/was", "type": "whiteout"}], "IM4002", "/never/was",
     "no lower layer has this path"),
]
WORDING = {**im4001.WORDING, **im4002.WORDING}


def _image(tmp_path: Path, files: list[dict[str, Any]]) -> Image:
    layers = [BASE, {"created_by": "/bin/sh -c #(nop) ADD file:evil in / ", "files": files}]
    return load_image(synth.write_oci_layout({"layers": layers}, tmp_path / "oci"))


def _run(image: Image, text: str | None, tmp_path: Path, *select: str) -> list[Any]:
    dockerfile = parse_dockerfile(tmp_path / "Dockerfile", text) if text is not None else None
    spans = None
    if dockerfile is not None:
        spans = {o.diff_id: SourceLocation(dockerfile.path, o.instruction.span)
                 for o in map_provenance(image, dockerfile).origins if o.diff_id is not None}
    return run_rules(image, Target.IMAGE, Registry(builtin.BUILTIN_RULES, {}, ()),
                     Config(selection=Selection(select=select)), display="img",
                     dockerfile=dockerfile, image_name="img", provenance=spans).findings


def test_every_anomaly_kind_is_reported_by_exactly_one_rule() -> None:
    hostile, malformed = set(im4001.WORDING), set(im4002.WORDING)
    assert not hostile & malformed
    assert hostile | malformed == set(ANOMALY_KINDS)
    assert {kind for kind, *_ in CASES} == set(ANOMALY_KINDS)


@pytest.mark.parametrize(("kind", "files", "code", "path", "names"), CASES, ids=[c[0] for c in CASES])
def test_each_kind_is_a_finding_at_its_layer_and_line(kind: str, files: list[dict[str, Any]], code: str,
                                                      path: str, names: str, tmp_path: Path) -> None:
    image = _image(tmp_path, files)
    (anomaly,) = [a for a in image.anomalies if (a.layer_index, a.path, a.kind) == (1, path, kind)]
    assert names in anomaly.detail
    found = [f for f in _run(image, "FROM base:1\nADD evil.tar /\n", tmp_path, "IM4001", "IM4002")
             if f.message.startswith(f"{kind} ")]
    (finding,) = found
    assert finding.code == code
    assert finding.name == {"IM4001": "hostile-layer-entry", "IM4002": "malformed-layer-entry"}[code]
    assert finding.severity.value == ("error" if code == "IM4001" else "warning")
    assert finding.message == f"{kind} in layer 1: {path}: {WORDING[kind]} ({anomaly.detail})"
    where = finding.location
    assert where.path_in_image == path and where.layer_digest == image.layers[1].diff_id
    assert where.source is not None and where.source.span.start_line == 2  # the ADD line


def test_without_a_dockerfile_the_finding_names_the_layer(tmp_path: Path) -> None:
    image = _image(tmp_path, [{"path": "/dev/mem", "type": "char", "major": 1, "minor": 1}])
    (finding,) = _run(image, None, tmp_path, "hostile-layer-entry")
    assert finding.location.source is None and finding.location.layer_digest == image.layers[1].diff_id
    assert finding.message.startswith("device-file in layer 1: /dev/mem: ")


def test_standard_device_nodes_are_not_hostile(tmp_path: Path) -> None:
    nodes = [("null", 1, 3), ("zero", 1, 5), ("full", 1, 7), ("random", 1, 8), ("urandom", 1, 9),
             ("tty", 5, 0), ("console", 5, 1), ("ptmx", 5, 2)]
    image = _image(tmp_path, [{"path": f"/dev/{n}", "type": "char", "major": a, "minor": b}
                              for n, a, b in nodes] + [{"path": "/dev/kmem", "type": "char", "major": 1, "minor": 2}])
    assert len([a for a in image.anomalies if a.kind == "device-file"]) == 9
    found = [f.location.path_in_image for f in _run(image, None, tmp_path, "IM4001")]
    assert found == ["/dev/kmem"]


def test_whiteouts_of_real_paths_and_inside_an_opaque_dir_are_fine(tmp_path: Path) -> None:
    image = _image(tmp_path, [{"path": "/bin/real", "type": "whiteout"}, {"path": "/etc/x", "type": "whiteout"},
                              {"path": "/var/lib", "type": "opaque"}, {"path": "/var/lib/gone", "type": "whiteout"}])
    assert [a for a in image.anomalies if a.kind == "whiteout-of-missing-path"] == []
    assert image.files.stat("/bin/real") is None


def test_a_flood_of_one_kind_is_capped_per_layer(tmp_path: Path) -> None:
    files = [{"path": f"/w/{i}", "type": "whiteout"} for i in range(PER_LAYER + 7)]
    image = _image(tmp_path, files)
    found = _run(image, None, tmp_path, "IM4002")
    assert len(found) == PER_LAYER + 1
    assert found[-1].message.startswith(f"whiteout-of-missing-path in layer 1: 7 more entries like the {PER_LAYER} above")
    assert found[-1].location.path_in_image is None


def test_rule_check_reads_only_image_anomalies(tmp_path: Path) -> None:
    image = _image(tmp_path, [{"path": "/etc/z", "content": "fine"}])
    ctx = Context(options=None, settings=Settings(), image_name="img")
    assert list(im4001.RULE.check(image, ctx)) == [] and list(im4002.RULE.check(image, ctx)) == []


def test_cli_reports_hostile_entries_on_the_dockerfile_line(tmp_path: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    image_files = [{"name": "../../etc/cron.d/job", "content": "x"},
                   {"path": "/dev/sda", "type": "block", "major": 8, "minor": 0}]
    layers = [BASE, {"created_by": "/bin/sh -c #(nop) ADD file:evil in / ", "files": image_files}]
    layout = synth.write_oci_layout({"layers": layers}, tmp_path / "oci")
    (tmp_path / "Dockerfile").write_text("FROM base:1\nADD evil.tar /\n")
    result = subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", "image", str(layout),
                             "--dockerfile", "Dockerfile", "--format", "json"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300, env={**os.environ, "NO_COLOR": "1"})
    assert result.returncode == 1, result.stderr
    found = sorted((f["code"], f["name"], f["severity"], f["location"]["path_in_image"],
                    f["location"]["source"]["line"]) for f in json.loads(result.stdout)["findings"]
                   if f["code"].startswith("IM4"))
    assert found == [("IM4001", "hostile-layer-entry", "error", "/dev/sda", 2),
                     ("IM4001", "hostile-layer-entry", "error", "/etc/cron.d/job", 2)]
