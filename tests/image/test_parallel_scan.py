"""Layers scanned in forked worker processes (linter/oci/parallel.py) give the sequential model.

Same Image (entries, whiteouts, contents, anomalies, shadowed, touched, digests) with 1, 2 and
3 processes, on synthesized images, hostile ones and images built by Docker; the same
one-line SourceError for a bad layer whichever process reads it; no process or thread left
behind after an error or an interrupt.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from pylint_image.linter.errors import EngineUnavailable, SourceError
from pylint_image.linter.model.image import FileKind, Image
from pylint_image.linter.oci import ContentNeeds, ImageSource, load_image_stream
from pylint_image.linter.oci import parallel
from pylint_image.linter.oci.layer import LayerScan
from tests.support import synth_image as synth

NEEDS = ContentNeeds(paths=frozenset({"/etc/passwd"}), globs=("/app/*",))


def _model(image: Image) -> dict[str, Any]:
    """Everything the loader produces, in comparable form (entry order included)."""
    files = image.files
    return {
        "layers": [(layer.index, layer.digest, layer.diff_id, layer.size, layer.uncompressed_size,
                    layer.media_type, layer.entries, layer.whiteouts, layer.opaque_dirs,
                    dict(layer.contents)) for layer in image.layers],
        "entries": list(files.entries.items()),
        "children": dict(files.children),
        "contents": dict(files.contents),
        "touched": dict(files.touched),
        "shadowed": files.shadowed,
        "anomalies": image.anomalies,
        "config": (image.config, image.history, image.digest),
    }


def _children_of_this_process() -> list[int]:
    pids = []
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        children = task / "children"
        if children.exists():
            pids += [int(p) for p in children.read_text().split()]
    return pids


def _snapshot() -> tuple[set[int], set[int]]:
    """The threads and child processes of this process now (other tests may leave some)."""
    return {t.ident or 0 for t in threading.enumerate()}, set(_children_of_this_process())


def _no_leftovers(before: tuple[set[int], set[int]]) -> None:
    threads, children = before
    deadline = time.monotonic() + 5
    while ({t.ident or 0 for t in threading.enumerate()} - threads) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert {t.ident or 0 for t in threading.enumerate()} - threads == set()
    assert set(_children_of_this_process()) - children == set()


def _spec(gzip_layers: bool) -> dict[str, Any]:
    bulk = [{"path": f"/usr/share/d{i % 7}/f{i}", "size": 700 + i} for i in range(600)]
    return {"layers": [
        {"gzip": gzip_layers, "files": [*bulk, {"path": "/etc/passwd", "content": "root:x:0:0\n"},
                                        {"path": "/bin/sh", "type": "symlink", "target": "busybox"},
                                        {"path": "/bin/busybox", "size": 5000, "mode": "04755"}]},
        {"files": [{"path": "/usr/share/d1", "type": "opaque"}, {"path": "/usr/share/d2/f2", "type": "whiteout"},
                   {"path": "/app/conf", "content": "a=1\n"}, {"path": "/etc/passwd", "content": "root\napp\n"}]},
        {"gzip": gzip_layers, "files": [{"path": f"/opt/x/{i}", "size": 3000} for i in range(300)]},
        {"files": [{"path": "/usr/share/d3", "content": "now a file"},
                   {"name": "../escape", "content": "x"}, {"path": "/dev/null", "type": "char", "major": 1, "minor": 3},
                   {"path": "/gone", "type": "whiteout"}, {"path": "/ln", "type": "hardlink", "target": "/nowhere"}]},
    ]}


@pytest.mark.parametrize("gzip_layers", [False, True])
@pytest.mark.parametrize("where", ["oci", "classic", "oci-archive"])
def test_two_and_three_processes_give_the_sequential_model(tmp_path: Path, gzip_layers: bool, where: str) -> None:
    built = synth.build(_spec(gzip_layers))
    if where == "oci":
        path = synth.write_oci_layout(built, tmp_path / "oci")
    else:
        path = synth.write_docker_archive(built, tmp_path / "a.tar", "classic" if where == "classic" else "oci")
    one = ImageSource(path).load(NEEDS, workers=1)
    assert one.anomalies and one.files.shadowed and one.layers[1].whiteouts and one.files.contents
    for workers in (2, 3):
        assert _model(ImageSource(path).load(NEEDS, workers=workers)) == _model(one)


def test_a_child_does_scan_layers_and_its_entries_equal_the_parents(tmp_path: Path) -> None:
    """Force the child to take layers (the parent is slow on its first one) and compare."""
    built = synth.build(_spec(False))
    source = ImageSource(synth.write_oci_layout(built, tmp_path / "oci"))
    layers = source.parts.layers
    parent = os.getpid()
    scanned_by: dict[int, int] = {}
    marker = tmp_path / "child-started"

    def scan_one(index: int) -> LayerScan:
        from pylint_image.linter.oci.layer import scan_blob

        if os.getpid() == parent:
            _wait_for(marker)
        else:
            marker.touch()
        with source.store.open(layers[index].blob) as handle:
            scan = scan_blob(handle, "x", NEEDS, index)
        # Recorded in whichever process scans; the child's record travels in the scan itself.
        scan.compression = f"{scan.compression}:{os.getpid()}"
        return scan

    before = _snapshot()
    scans = parallel.scan_layers([1] * len(layers), scan_one, 2)
    for index, scan in enumerate(scans):
        scanned_by[index] = int(scan.compression.split(":")[1])
    assert parent in scanned_by.values() and set(scanned_by.values()) - {parent}
    sequential = [scan_one(i) for i in range(len(layers))]  # the marker exists: no wait
    for got, want in zip(scans, sequential, strict=True):
        assert (got.entries, got.whiteouts, got.opaque_dirs, got.anomalies, got.contents,
                got.digest, got.diff_id, got.size) == (
            want.entries, want.whiteouts, want.opaque_dirs, want.anomalies, want.contents,
            want.digest, want.diff_id, want.size)
        assert all(e.kind in FileKind for e in got.entries)
    _no_leftovers(before)


def _wait_for(marker: Path) -> None:
    """Until a child has started a layer (the parent waits, so that a child does get work)."""
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.01)


def _child_only(parent: int, marker: Path, exc: BaseException | None = None, *, die: bool = False):
    """A scan_one that fails (or dies) in a child only; the parent waits until a child works."""
    def scan_one(index: int) -> LayerScan:
        if os.getpid() == parent:
            _wait_for(marker)
            return LayerScan(digest=f"d{index}", index=index)
        marker.touch()
        if die:
            os.kill(os.getpid(), signal.SIGKILL)
        if exc is not None:
            raise exc
        return LayerScan(digest=f"d{index}", index=index)
    return scan_one


def test_a_source_error_in_a_child_is_the_same_error_in_the_parent(tmp_path: Path) -> None:
    parent = os.getpid()
    before = _snapshot()
    for n, error in enumerate((
            SourceError("bad.tar:blobs/sha256/ab: unreadable layer tar (bad header checksum at byte 1024)"),
            SourceError("no such thing", "x.tar", 3), EngineUnavailable("engine gone"))):
        with pytest.raises(SourceError) as caught:
            parallel.scan_layers([1] * 4, _child_only(parent, tmp_path / str(n), error), 2)
        assert type(caught.value) is type(error) and str(caught.value) == str(error)
        assert (caught.value.message, caught.value.path, caught.value.line) == (error.message, error.path, error.line)
    _no_leftovers(before)


@pytest.mark.parametrize("how", ["bug", "killed"])
def test_a_child_that_fails_otherwise_is_replaced_by_the_parent(how: str, tmp_path: Path) -> None:
    parent = os.getpid()
    before = _snapshot()
    marker = tmp_path / "started"
    scan_one = (_child_only(parent, marker, RuntimeError("a bug")) if how == "bug"
                else _child_only(parent, marker, die=True))
    scans = parallel.scan_layers([1] * 4, scan_one, 2)
    assert [s.digest for s in scans] == ["d0", "d1", "d2", "d3"]
    _no_leftovers(before)


def test_no_process_to_spare_means_this_one_reads_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", refuse)
    before = _snapshot()
    scans = parallel.scan_layers([1] * 3, lambda i: LayerScan(digest=f"d{i}", index=i), 2)
    assert [s.digest for s in scans] == ["d0", "d1", "d2"]
    _no_leftovers(before)


def test_a_child_does_not_run_the_parents_signal_handlers(tmp_path: Path) -> None:
    marker = tmp_path / "handler-ran"
    parent = os.getpid()

    def handler(signum: int, frame: Any) -> None:
        marker.write_text(str(os.getpid()))

    def scan_one(index: int) -> LayerScan:
        if os.getpid() == parent:
            if index == 0:
                time.sleep(0.3)  # the child is inside its first layer by now
                # Only the scan's child: other tests' processes (the session's registry) live on.
                for pid in set(_children_of_this_process()) - before[1]:
                    os.kill(pid, signal.SIGTERM)
            return LayerScan(digest=f"d{index}", index=index)
        time.sleep(2)
        return LayerScan(digest=f"d{index}", index=index)

    before = _snapshot()
    previous = signal.signal(signal.SIGTERM, handler)
    try:
        scans = parallel.scan_layers([1] * 3, scan_one, 2)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert [s.digest for s in scans] == ["d0", "d1", "d2"]  # the parent read what the child lost
    assert not marker.exists()
    _no_leftovers(before)


def test_the_lowest_failing_layer_wins_as_sequentially() -> None:
    def scan_one(index: int) -> LayerScan:
        time.sleep(0.05)
        if index in (1, 3):
            raise SourceError(f"layer {index} is bad")
        return LayerScan(index=index)

    for workers in (1, 2, 3):
        with pytest.raises(SourceError, match="^layer 1 is bad$"):
            parallel.scan_layers([5, 1, 1, 9], scan_one, workers)


def test_an_interrupt_in_the_parent_kills_and_reaps_the_children() -> None:
    parent = os.getpid()
    before = _snapshot()

    def scan_one(index: int) -> LayerScan:
        if os.getpid() == parent:
            raise KeyboardInterrupt
        time.sleep(30)  # a child that would run on: killed, not waited for
        return LayerScan(index=index)

    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        parallel.scan_layers([1] * 4, scan_one, 3)
    assert time.monotonic() - started < 10
    _no_leftovers(before)


@pytest.mark.parametrize("gzip_layers", [False, True])
def test_a_corrupt_layer_gives_the_sequential_one_line_error(tmp_path: Path, gzip_layers: bool) -> None:
    before = _snapshot()
    for bad in range(4):
        built = synth.build(_spec(gzip_layers))
        root = synth.write_oci_layout(built, tmp_path / f"oci{bad}")
        blob = root / "blobs/sha256" / built.layers[bad].hex
        data = bytearray(blob.read_bytes())
        if data[:2] == b"\x1f\x8b":
            data[len(data) // 2:len(data) // 2 + 64] = bytes(64)
        else:
            data[512 * 3 + 3] ^= 0x55  # inside the second header at the latest
        blob.write_bytes(bytes(data))
        messages = set()
        for workers in (1, 2, 3):
            with pytest.raises(SourceError) as caught:
                ImageSource(root).load(NEEDS, workers=workers)
            messages.add(str(caught.value))
        assert len(messages) == 1, messages
        (message,) = messages
        assert "\n" not in message and built.layers[bad].hex in message
    _no_leftovers(before)


def test_a_digest_mismatch_is_still_found(tmp_path: Path) -> None:
    import io
    import tarfile

    built = synth.build(_spec(False))
    root = synth.write_oci_layout(built, tmp_path / "oci")
    blob = root / "blobs/sha256" / built.layers[2].hex
    data = bytearray(blob.read_bytes())
    with tarfile.open(fileobj=io.BytesIO(bytes(data))) as tar:
        first = next(m for m in tar.getmembers() if m.isfile() and m.size)
    data[first.offset_data] ^= 1   # a file's byte: still a valid tar of the same size
    blob.write_bytes(bytes(data))
    messages = set()
    for workers in (1, 2):
        with pytest.raises(SourceError, match="digest mismatch") as caught:
            ImageSource(root).load(NEEDS, workers=workers)
        messages.add(str(caught.value))
    assert len(messages) == 1 and built.layers[2].hex in messages.pop()


def test_auto_workers_uses_one_process_when_it_cannot_win(monkeypatch: pytest.MonkeyPatch) -> None:
    big, small = 64 << 20, 1 << 20
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    assert parallel.auto_workers([big, big, small, big]) == 3
    assert parallel.auto_workers([big, small, small]) == 1          # one large layer
    assert parallel.auto_workers([small] * 40) == 1                  # a small image
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {5})    # this process may use one CPU
    assert parallel.auto_workers([big, big, big]) == 1
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    assert parallel.auto_workers([big, big, big]) == 2
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert parallel.auto_workers([big, big, big]) == 1           # never fork beside other threads
    finally:
        stop.set()
        other.join()


def test_a_store_that_is_wrapped_is_read_in_this_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    built = synth.build(_spec(False))
    source = ImageSource(synth.write_oci_layout(built, tmp_path / "oci"))
    inner = source.store

    class Wrapped:
        name = inner.name

        def open(self, blob: str, size: int | None = None) -> Any:
            return inner.open(blob, size)

        def exists(self, blob: str) -> bool:
            return inner.exists(blob)

    calls = []
    monkeypatch.setattr(parallel, "scan_layers", lambda *a: calls.append(a))
    source.store = Wrapped()  # type: ignore[assignment]
    image = source.load(NEEDS, workers=2)
    assert calls == [] and len(image.layers) == 4


def test_the_garbage_collector_is_back_as_it_was_after_a_load(tmp_path: Path) -> None:
    import gc

    path = synth.write_oci_layout(synth.build(_spec(False)), tmp_path / "oci")
    assert gc.isenabled()
    ImageSource(path).load(NEEDS, workers=2)
    assert gc.isenabled()
    gc.disable()
    try:
        ImageSource(path).load(NEEDS)
        assert not gc.isenabled()
    finally:
        gc.enable()
    source = ImageSource(path)
    for blob in (path / "blobs/sha256").iterdir():
        if blob.stat().st_size > 100_000:  # the bulk layer: one byte changed
            data = bytearray(blob.read_bytes())
            data[515] ^= 0x55
            blob.write_bytes(bytes(data))
    with pytest.raises(SourceError, match="bad header checksum|digest mismatch"):
        source.load(NEEDS, workers=2)
    assert gc.isenabled()
    stream = synth.tar_bytes(synth.docker_archive_members(synth.build(_spec(True)), "oci"))
    assert load_image_stream(_Reader(stream), NEEDS, ref="x").layers and gc.isenabled()
    with pytest.raises(SourceError):
        load_image_stream(_Reader(stream[:len(stream) // 2]), NEEDS, ref="x")
    assert gc.isenabled()


def test_a_streamed_layer_listed_twice_keeps_both_indices(tmp_path: Path) -> None:
    """docker save lists a repeated layer twice; the stream has one scan for both."""
    import json

    layer = {"files": [{"path": "/same", "content": "x"}]}
    built = synth.build({"layers": [layer, {"files": [{"path": "/mid", "content": "m"}]}, layer]})
    assert built.layers[0].digest == built.layers[2].digest
    members = synth.docker_archive_members(built, "classic")
    names = json.loads(dict(members)["manifest.json"])[0]["Layers"]
    assert names[0] == names[2]
    # The repeated layer's directory is written once.
    seen: set[str] = set()
    unique = [(n, d) for n, d in members if not (n in seen or seen.add(n))]
    image = load_image_stream(_Reader(synth.tar_bytes(unique)), NEEDS, ref="x")
    assert [{e.layer_index for e in layer.entries} for layer in image.layers] == [{0}, {1}, {2}]
    assert image.files.stat("/same").layer_index == 2
    assert image.files.layers_touching("/same") == (0, 2)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self._data, self._pos = data, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._data) if size < 0 else self._pos + min(size, 70_000)
        out = self._data[self._pos:end]
        self._pos += len(out)
        return out


# -- images built by Docker ----------------------------------------------------------------------


@pytest.mark.docker
@pytest.mark.parametrize("tag", ["pylint-image-test/debian:bookworm", "busybox"])
def test_docker_built_images_give_the_sequential_model(tmp_path: Path, tag: str) -> None:
    from tests.support.docker_images import busybox_base, docker_build

    base = busybox_base()
    if tag == "busybox":
        ctx = tmp_path / "ctx"
        ctx.mkdir()
        (ctx / "Dockerfile").write_text(
            f"FROM {base}\nRUN mkdir -p /app /etc/x && for i in $(seq 1 400); do echo $i > /app/f$i; done\n"
            "RUN rm -rf /app/f1* && echo hi > /etc/x/y && dd if=/dev/zero of=/big bs=1024 count=2048\n"
            "RUN rm /big /app/f2 && mkdir /app/f2 && echo root:x:0:0 > /etc/passwd\n")
        docker_build(ctx, "pylint-image-test/parallel:1")
        tag = "pylint-image-test/parallel:1"
    else:
        from tests.support.debian_base import debian_base

        tag = debian_base()
    archive = tmp_path / "img.tar"
    subprocess.run(["docker", "save", "-o", str(archive), tag], check=True, timeout=300)
    sequential = _model(ImageSource(archive).load(NEEDS, workers=1))
    for workers in (2, 3):
        assert _model(ImageSource(archive).load(NEEDS, workers=workers)) == sequential
    with subprocess.Popen(["docker", "save", tag], stdout=subprocess.PIPE) as proc:
        assert proc.stdout is not None
        streamed = load_image_stream(proc.stdout, NEEDS, ref=str(archive))
    assert _model(streamed) == sequential


def test_a_child_whose_parent_is_killed_stops_quietly(tmp_path: Path) -> None:
    """The parent dies (SIGKILL): the child leaves after its current layer, printing nothing."""
    import sys

    script = f"""
import os, signal, time
from pathlib import Path
from pylint_image.linter.oci import parallel
from pylint_image.linter.oci.layer import LayerScan
marker = Path({str(tmp_path / "started")!r})
parent = os.getpid()
def scan_one(index):
    if os.getpid() == parent:
        while not marker.exists():
            time.sleep(0.01)
        os.kill(parent, signal.SIGKILL)
    marker.touch()
    Path({str(tmp_path)!r}, f"child-{{os.getpid()}}").touch()
    time.sleep(0.5)
    return LayerScan(digest="x" * 100000, index=index)
parallel.scan_layers([1] * 12, scan_one, 2)
"""
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    # stdout/stderr close only when the child has exited too.
    assert done.returncode == -signal.SIGKILL and done.stdout == "" and done.stderr == ""
    assert time.monotonic() - started < 5  # not 11 more layers of 0.5 s
    assert len(list(tmp_path.glob("child-*"))) == 1


def test_the_image_command_reads_a_large_archive_with_one_process_per_cpu(tmp_path: Path) -> None:
    """The CLI's own path (no thread of its own started before the load) does fork."""
    import json
    import sys

    big = 20 << 20
    spec = {"layers": [{"files": [{"path": f"/l{n}/blob", "content": bytes([n]) * big},
                                  {"path": f"/l{n}/small", "content": "x"}]} for n in range(3)]}
    archive = synth.write_docker_archive(synth.build(spec), tmp_path / "big.tar", "classic")
    script = ("import sys\n"
              "from pylint_image.linter.oci import parallel, source\n"
              "real = source.scan_layers\n"
              "def spy(sizes, scan_one, workers):\n"
              "    print('WORKERS', workers, file=sys.stderr)\n"
              "    return real(sizes, scan_one, workers)\n"
              "source.scan_layers = spy\n"
              "from pylint_image.linter.cli import main\n"
              f"sys.exit(main(['image', {str(archive)!r}, '-f', 'json']))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path)
    assert done.returncode in (0, 1), done.stderr
    json.loads(done.stdout)
    workers = [line.split()[1] for line in done.stderr.splitlines() if line.startswith("WORKERS")]
    assert workers == [str(min(parallel.available_cpus(), 3))], done.stderr
