"""Progress shown while layers are read by forked processes (issue 12, items 1 and 7).

A display (``--progress auto`` on a terminal, ``plain``) no longer makes ``ImageSource.load``
read in one process: every process writes its layer's byte count into memory shared with
the parent (linter/oci/reads.py), and the parent redraws from it while it reads and while it
waits for its children.  Checked here: the counts a child writes reach the parent before its
result does; the plain lines are the sequential run's, in layer order; on a real terminal
the command forks and every layer's bar reaches its full size.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from pylint_image.linter.oci import ContentNeeds, ImageSource
from pylint_image.linter.oci import source as source_module
from pylint_image.linter.oci.layer import LayerScan
from pylint_image.linter.oci.reads import LayerReads
from pylint_image.runner.progress import _size
from tests.support import synth_image as synth
from tests.support.terminal import run_on_a_pty

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _two_layers(tmp_path: Path) -> Path:
    spec = {"layers": [{"files": [{"path": f"/big/{i}", "size": 40_000} for i in range(50)]},
                       {"files": [{"path": f"/small/{i}", "size": 1000} for i in range(20)]}]}
    return synth.write_oci_layout(spec, tmp_path / "oci")


class _Watch:
    """Records what the watcher is shown: (time, counts, ended) per call, and the final sizes."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, list[int], list[bool]]] = []
        self.sizes: tuple[int | None, ...] = ()

    def __call__(self, reads: LayerReads) -> None:
        self.sizes = reads.sizes
        count = len(reads.sizes)
        self.calls.append((time.monotonic(), [reads.count(i) for i in range(count)],
                           [reads.ended(i) is not None for i in range(count)]))


def test_a_childs_bytes_are_seen_by_the_parent_while_it_waits(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A child reads a layer, then holds its result 1 s: meanwhile the parent's watcher sees that layer read."""
    source = ImageSource(_two_layers(tmp_path))
    sizes = [layer.size for layer in source.parts.layers]
    parent = os.getpid()
    marker, finished = tmp_path / "child-started", tmp_path / "child-finished"
    real = source_module.scan_layers
    by_child: dict[int, int] = {}

    def spy(sizes_: Any, scan_one: Any, workers: int, *rest: Any) -> list[LayerScan]:
        def slow_child(index: int) -> LayerScan:
            if os.getpid() == parent:
                deadline = time.monotonic() + 30
                while not marker.exists() and time.monotonic() < deadline:
                    time.sleep(0.01)
                return scan_one(index)
            marker.touch()
            scan = scan_one(index)
            finished.write_text(str(time.monotonic()))
            time.sleep(1.0)   # the result waits; the shared count is already complete
            scan.compression = f"{scan.compression}:{os.getpid()}"
            return scan

        scans = real(sizes_, slow_child, workers, *rest)
        by_child.update({i: int(s.compression.split(":")[1]) for i, s in enumerate(scans) if ":" in s.compression})
        return scans

    monkeypatch.setattr(source_module, "scan_layers", spy)
    watch = _Watch()
    image = source.load(ContentNeeds(), workers=2, on_read=watch)
    returned = time.monotonic()
    # The parent took the first task (the largest layer) before it waited: the child read the other.
    assert list(by_child) == [1] and parent not in by_child.values()
    assert len(image.layers) == 2 and image.layers[0].digest == source.parts.layers[0].digest
    done_at = float(finished.read_text())
    waiting = [call for call in watch.calls if done_at < call[0] < returned]
    assert len(waiting) >= 3, watch.calls   # about every 0.1 s during the child's 1 s
    assert all(counts[1] == sizes[1] and ended[1] for _at, counts, ended in waiting), (sizes, waiting)
    final = watch.calls[-1]
    assert final[1] == sizes and final[2] == [True, True] and list(watch.sizes) == sizes


def test_sequential_and_parallel_loads_show_the_same_final_counts(tmp_path: Path) -> None:
    source = ImageSource(_two_layers(tmp_path))
    sizes = [layer.size for layer in source.parts.layers]
    one, two = _Watch(), _Watch()
    assert source.load(workers=1, on_read=one).layers == source.load(workers=2, on_read=two).layers
    for watch in (one, two):
        assert watch.calls[-1][1:] == (sizes, [True, True])
        # Counts only grow, and never beyond the blob.
        for layer in range(2):
            seen = [counts[layer] for _at, counts, _ended in watch.calls]
            assert seen == sorted(seen) and max(seen) == sizes[layer]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failing_display_is_dropped_and_the_image_still_loads(tmp_path: Path, workers: int) -> None:
    """A watcher that raises (a terminal gone away) is called once, never again; the model is unchanged."""
    source = ImageSource(_two_layers(tmp_path))
    calls = []

    def broken(reads: LayerReads) -> None:
        calls.append(reads)
        raise OSError(5, "Input/output error")

    assert source.load(workers=workers, on_read=broken).layers == source.load(workers=1).layers
    assert len(calls) == 1


def test_a_bad_layer_still_ends_the_display_and_gives_the_same_error(tmp_path: Path) -> None:
    from pylint_image.linter.errors import SourceError

    layout = _two_layers(tmp_path)
    source = ImageSource(layout)
    blob = layout / "blobs" / "sha256" / source.parts.layers[1].digest.split(":")[1]
    data = bytearray(blob.read_bytes())
    data[700] ^= 0xFF
    blob.write_bytes(bytes(data))
    errors = []
    for workers in (1, 2):
        watch = _Watch()
        with pytest.raises(SourceError) as caught:
            source.load(workers=workers, on_read=watch)
        errors.append(str(caught.value))
        assert watch.calls and watch.calls[-1][2][1]   # the bad layer was closed: its bar ends
    assert errors[0] == errors[1] and "digest" in errors[0]


# --- the runner's side: LayerBytes and the displays' items --------------------------------------


class _Reads:
    """A LayerReads stand-in: sizes, and for each layer (count, began, ended)."""

    def __init__(self, sizes: list[int | None]) -> None:
        self.sizes = tuple(sizes)
        self.state = {i: (0, None, None) for i in range(len(sizes))}

    def count(self, i: int) -> int:
        return self.state[i][0]

    def began(self, i: int) -> float | None:
        return self.state[i][1]

    def ended(self, i: int) -> float | None:
        return self.state[i][2]


def test_plain_lines_come_in_layer_order_with_each_layers_own_time() -> None:
    from pylint_image.runner.progress import LayerBytes, PlainBytes

    out = io.StringIO()
    show = LayerBytes(PlainBytes(out))
    reads = _Reads([3 << 20, 5 << 20, 2048])
    reads.state[1] = (5 << 20, 10.0, 12.5)   # layer 2 (largest) read first, by another process
    reads.state[2] = (1024, 10.0, None)
    show(reads)
    assert out.getvalue() == ""                # layer 1 has not begun: nothing is said yet
    reads.state[0] = (3 << 20, 12.5, 13.0)
    show(reads)
    assert out.getvalue().splitlines() == ["pylint-image: image: layer 1/3: 3.0 MiB in 0.5 s",
                                           "pylint-image: image: layer 2/3: 5.0 MiB in 2.5 s"]
    reads.state[2] = (2048, 10.0, 13.0)
    show(reads)
    show(reads)                                 # the final call says nothing twice
    assert out.getvalue().splitlines()[2:] == ["pylint-image: image: layer 3/3: 2 KiB in 3.0 s"]


def test_two_loads_on_one_display_each_say_all_their_layers() -> None:
    from pylint_image.runner.progress import LayerBytes, PlainBytes

    out = io.StringIO()
    plain = PlainBytes(out)
    for _ in range(2):   # e.g. an image and its baseline: each load is its own group of lines
        reads = _Reads([1024, 2048])
        reads.state = {0: (1024, 1.0, 1.5), 1: (2048, 1.0, 1.5)}
        LayerBytes(plain)(reads)
    assert [line.split(": ")[2] for line in out.getvalue().splitlines()] == ["layer 1/2", "layer 2/2"] * 2


def test_a_display_without_items_is_told_one_layer_after_the_other() -> None:
    from pylint_image.runner.progress import LayerBytes

    events: list[tuple[Any, ...]] = []

    class OneAtATime:
        def start(self, label: str, total: int | None) -> None:
            events.append(("start", label, total))

        def advance(self, count: int) -> None:
            events.append(("advance", count))

        def finish(self) -> None:
            events.append(("finish",))

        def done(self) -> None:
            events.append(("done",))

    show = LayerBytes(OneAtATime())
    reads = _Reads([100, None])
    reads.state = {0: (40, 1.0, None), 1: (70, 1.0, 2.0)}
    show(reads)
    assert events == []
    reads.state[0] = (100, 1.0, 3.0)
    show(reads)
    assert events == [("start", "layer 1/2", 100), ("advance", 100), ("finish",),
                      ("start", "layer 2/2", None), ("advance", 70), ("finish",)]


def test_rich_bars_appear_in_layer_order_fill_and_start_no_thread() -> None:
    from rich.console import Console

    from pylint_image.runner.progress import LayerBytes, RichBytes

    out = io.StringIO()
    threads = threading.active_count()
    shown = RichBytes(Console(file=out, force_terminal=True, width=100))
    show = LayerBytes(shown)
    reads = _Reads([2_000_000, 3_000_000, None])
    reads.state[1] = (1_500_000, 1.0, None)   # layer 2 first: layers 1 and 2 get bars
    show(reads)
    assert threading.active_count() == threads   # redrawn when told: a forking process has one thread
    assert [task.description for task in shown._progress.tasks] == ["layer 1/3", "layer 2/3"]
    reads.state = {0: (2_000_000, 1.0, 2.0), 1: (3_000_000, 1.0, 2.0), 2: (4_000_000, 2.0, 3.0)}
    show(reads)
    shown.done()
    text = ANSI.sub("", out.getvalue())
    assert re.search(r"layer 2/3 .* 1\.5/3\.0 MB", text), text
    for label, full in (("layer 1/3", "2.0/2.0"), ("layer 2/3", "3.0/3.0"), ("layer 3/3", "4.0/4.0")):
        assert re.search(rf"{label} .* {re.escape(full)} MB", text), text


# --- the command: a large archive, helpers, a terminal ------------------------------------------

_SPY = """\
import os, sys, time
from pathlib import Path
from pylint_image.linter.oci import parallel, source
record = Path(sys.argv[1])
parallel.available_cpus = lambda: 3      # forks whatever this machine has (a 1-CPU CI too)
real = source.scan_layers
parent = os.getpid()
def spy(sizes, scan_one, workers, *rest):
    (record / "workers").write_text(str(workers))
    def scan(index):
        if os.getpid() == parent:        # wait until a helper has begun a layer: it does work
            deadline = time.monotonic() + 30
            while not any(record.glob("child-*")) and time.monotonic() < deadline:
                time.sleep(0.01)
        (record / f"{'parent' if os.getpid() == parent else 'child'}-{os.getpid()}-{index}").touch()
        return scan_one(index)
    return real(sizes, scan, workers, *rest)
source.scan_layers = spy
from pylint_image.linter.cli import main
sys.exit(main(["image", *sys.argv[2:]]))
"""

_SEQUENTIAL = """\
import sys
from pylint_image.linter.oci import parallel
parallel.available_cpus = lambda: 1
from pylint_image.linter.cli import main
sys.exit(main(["image", *sys.argv[1:]]))
"""


@pytest.fixture(scope="module")
def big_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three 20 MB layers (and a small one): large enough for auto_workers to fork."""
    big = 20 << 20
    layers = [{"files": [{"path": f"/l{n}/blob", "content": bytes([n + 1]) * big},
                         {"path": f"/l{n}/small", "content": "x"}]} for n in range(3)]
    layers.append({"files": [{"path": "/etc/passwd", "content": "root:x:0:0::/root:/bin/sh\n"}]})
    return synth.write_docker_archive(synth.build({"layers": layers}), tmp_path_factory.mktemp("big") / "big.tar",
                                      "classic")


def _env() -> dict[str, str]:
    return {**os.environ, "NO_COLOR": "1", "TERM": "xterm", "COLUMNS": "120"}


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, timeout=300, env=_env())


def _on_a_pty(args: list[str], cwd: Path) -> tuple[bytes, bytes, int]:
    """Run ``python ARGS`` with stderr on a pseudo-terminal: its stdout, what the terminal got, the code."""
    return run_on_a_pty([sys.executable, *args], cwd, _env())


def _sizes(archive: Path) -> list[int]:
    source = ImageSource(archive)
    return [source.store.size(layer.blob) for layer in source.parts.layers]


def _helpers(record: Path) -> tuple[int, set[str], set[str]]:
    """(workers asked for, layers a helper scanned, layers this process scanned) from the spy's files."""
    names = [p.name.split("-") for p in record.iterdir() if p.name != "workers"]
    return (int((record / "workers").read_text()), {n[2] for n in names if n[0] == "child"},
            {n[2] for n in names if n[0] == "parent"})


def test_on_a_terminal_helpers_read_and_every_layers_bar_reaches_its_size(big_archive: Path,
                                                                          tmp_path: Path) -> None:
    record = tmp_path / "record"
    record.mkdir()
    sizes = _sizes(big_archive)
    out, terminal, code = _on_a_pty(["-c", _SPY, str(record), str(big_archive)], tmp_path)
    workers, by_helpers, by_parent = _helpers(record)
    assert workers == 3 and by_helpers, (workers, by_helpers)   # the bar did not cost the helpers
    assert by_helpers | by_parent == {"0", "1", "2", "3"}
    text = ANSI.sub("", terminal.decode(errors="replace"))
    for number, size in enumerate(sizes, 1):
        full = f"{size / 1e6:.1f}/{size / 1e6:.1f} MB" if size >= 1e6 else f"{size / 1e3:.1f}/{size / 1e3:.1f} kB"
        assert re.search(rf"layer {number}/4 .*{re.escape(full)}", text), (number, full, text[-3000:])
    quiet = _run(["-m", "pylint_image.linter.cli", "image", str(big_archive), "--progress", "none"], tmp_path)
    assert (code, out) == (quiet.returncode, quiet.stdout) and quiet.stderr == b""   # same report


def test_plain_lines_equal_the_sequential_runs(big_archive: Path, tmp_path: Path) -> None:
    record = tmp_path / "record"
    record.mkdir()
    parallel_run = _run(["-c", _SPY, str(record), str(big_archive), "--progress", "plain"], tmp_path)
    workers, by_helpers, _ = _helpers(record)
    assert workers == 3 and by_helpers
    sequential = _run(["-c", _SEQUENTIAL, str(big_archive), "--progress", "plain"], tmp_path)
    assert parallel_run.stdout == sequential.stdout and parallel_run.returncode == sequential.returncode

    def lines(run: subprocess.CompletedProcess[bytes]) -> list[str]:
        return [re.sub(r" in \d+\.\d s$", "", line) for line in run.stderr.decode().splitlines()]

    assert lines(parallel_run) == lines(sequential) == [
        f"pylint-image: image: layer {number}/4: {size}"
        for number, size in enumerate(("20.0 MiB", "20.0 MiB", "20.0 MiB", _size(_sizes(big_archive)[3])), 1)
    ], sequential.stderr
