"""The ``image`` command's fixed costs: work done once, no collector passes over the model."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

import pytest

from pylint_image.linter import cli, provenance
from tests.support import synth_image as synth

DOCKERFILE = "FROM busybox\nCOPY data /data\nRUN rm /data/f0001.txt\n"


def spec(files: int) -> dict:
    return {"config": {"Cmd": ["sh"]},
            "layers": [{"created_by": "/bin/sh -c #(nop) ADD file:base in /",
                        "files": [{"path": "/bin/sh", "size": 1000, "mode": "0755"}]},
                       {"created_by": "COPY data /data # buildkit",
                        "files": [{"path": f"/data/f{i:04d}.txt", "content": f"{i}\n"} for i in range(files)]},
                       {"created_by": "RUN /bin/sh -c rm /data/f0001.txt # buildkit",
                        "files": [{"path": "/data/f0001.txt", "type": "whiteout"}]}]}


@pytest.fixture(scope="module")
def layout(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("costs")
    (root / "Dockerfile").write_text(DOCKERFILE)
    image = spec(50)
    # A setuid file from the base (one finding at FROM: the rules read the origins) and one
    # the COPY added (at its line: the findings' spans).
    image["layers"][0]["files"].append({"path": "/usr/bin/su", "size": 100, "mode": "04755"})
    image["layers"][1]["files"].append({"path": "/data/su2", "size": 100, "mode": "04755"})
    return synth.write_oci_layout(image, root / "layout")


def test_provenance_is_mapped_once_and_used_by_rules_and_table(layout: Path, monkeypatch, capsys) -> None:
    calls = []
    real = provenance.map_provenance

    def counting(image, dockerfile):
        calls.append(image)
        return real(image, dockerfile)

    monkeypatch.setattr(provenance, "map_provenance", counting)
    monkeypatch.chdir(layout.parent)
    code = cli.main(["image", str(layout), "--dockerfile", "Dockerfile", "-f", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1 and len(calls) == 1
    # The one mapping served the layer table and the findings' lines alike.
    assert [row[3] for row in data["tables"][0]["rows"]] == ["line 1 (base)", "line 2", "line 3"]
    setuid = sorted((f["location"]["source"]["line"], f["message"]) for f in data["findings"] if f["code"] == "IM2001")
    assert [line for line, _ in setuid] == [1, 2], setuid
    assert "inherited from the base image" in setuid[0][1] and "/data/su2" in setuid[1][1]


def test_collector_is_off_during_the_run_and_restored(layout: Path, monkeypatch, capsys) -> None:
    from pylint_image.linter import engine

    seen = []
    real = engine.run_rules

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr("pylint_image.runner.image_cli.run_rules", spy)
    assert gc.isenabled()
    assert cli.main(["image", str(layout), "-f", "json"]) == 1
    assert seen == [False] and gc.isenabled()
    gc.disable()   # a caller's choice is kept
    try:
        assert cli.main(["image", str(layout), "-f", "json"]) == 1
        assert not gc.isenabled()
    finally:
        gc.enable()
    capsys.readouterr()


GARBAGE = """\
import gc, io, sys
from pylint_image.linter.cli import main
main(["image", sys.argv[1], "-f", "json"])   # warm: imports and their one-off cycles
gc.collect()
gc.disable()
sys.stdout = io.StringIO()
main(["image", sys.argv[2], "-f", "json"])
sys.stdout = sys.__stdout__
print(gc.collect())
"""


def test_cyclic_garbage_does_not_grow_with_the_image(tmp_path: Path) -> None:
    """Why the collector may be off (image_cli._no_cyclic_gc): no reference cycles per file."""
    small = synth.write_oci_layout(spec(20), tmp_path / "small")
    big = synth.write_oci_layout(spec(2000), tmp_path / "big")

    def garbage(layout: Path) -> int:
        done = subprocess.run([sys.executable, "-c", GARBAGE, str(small), str(layout)], capture_output=True,
                              text=True, timeout=120, check=True)
        return int(done.stdout.strip().splitlines()[-1])

    few, many = garbage(small), garbage(big)
    assert many - few < 100, (few, many)


FORMATS = sorted(cli.FORMATS_OF_FINDINGS_RULES | {"sarif"})


@pytest.mark.parametrize("fmt", FORMATS)
def test_image_rules_only_change_no_output(layout: Path, fmt: str, monkeypatch, capsys) -> None:
    """``image`` loads only the image rules; every built-in format prints what it printed with all of them."""
    from pylint_image.runner import image_cli

    loaded = []
    real_run = image_cli.run

    def spy(args, registry, config):
        loaded.append({r.meta.target.value for r in registry.rules})
        return real_run(args, registry, config)

    monkeypatch.setattr(image_cli, "run", spy)
    monkeypatch.chdir(layout.parent)
    argv = ["image", str(layout), "--dockerfile", "Dockerfile", "-f", fmt]
    assert cli.main(argv) == 1
    out = capsys.readouterr().out
    monkeypatch.setattr(cli, "_targets_of", lambda name, args: None)   # as before: every rule
    assert cli.main(argv) == 1
    assert capsys.readouterr().out == out
    everything = {"dockerfile", "image", "runtime", "manifest"}
    assert loaded == [everything if fmt == "sarif" else {"image"}, everything]


def test_rules_named_on_the_command_line_or_in_a_config_are_known(layout: Path, tmp_path: Path,
                                                                    monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    # A Dockerfile rule's code is no unknown rule for image (checked against every rule).
    assert cli.main(["image", str(layout), "--ignore", "DF3004,IM3004", "-f", "json"]) == 1
    codes = {f["code"] for f in json.loads(capsys.readouterr().out)["findings"]}
    assert "IM3004" not in codes and "IM2001" in codes
    assert cli.main(["image", str(layout), "--error", "DF3004", "--warning", "setuid-file", "-f", "json"]) == 1
    capsys.readouterr()
    (tmp_path / ".pylint-image.yaml").write_text("ignore: [DF3004, runs-as-root]\n")
    assert cli.main(["image", str(layout), "-f", "json"]) == 1
    codes = {f["code"] for f in json.loads(capsys.readouterr().out)["findings"]}
    assert "IM3004" not in codes and "IM2001" in codes
    # A name no rule has is still a usage error.
    assert cli.main(["image", str(layout), "--ignore", "no-such-rule"]) == 2
    assert "no-such-rule" in capsys.readouterr().err


def test_sarif_chosen_by_the_config_lists_every_rule(layout: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".pylint-image.yaml").write_text("output-format: sarif\n")
    assert cli.main(["image", str(layout)]) == 1
    ids = {r["id"] for r in json.loads(capsys.readouterr().out)["runs"][0]["tool"]["driver"]["rules"]}
    assert {"DF1001", "IM2001", "MF1000"} <= ids
