"""Progress while ``image registry:REF`` downloads layer blobs, against a real registry.

The registry is the suite's (``registry_host``: CI's on 127.0.0.1:5000, or Debian's
``docker-registry`` started for the session); the image is pushed with the Registry API, so
no Docker engine is needed.  Each run gets its own pull cache (``XDG_CACHE_HOME``), so the
first run downloads every layer.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import random
import re
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import pytest

from tests.support.registry import OCI_CONFIG, OCI_LAYER, OCI_MANIFEST, Pusher
from tests.support.progress_log import RecordingBytes
from tests.support.terminal import run_on_a_pty

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _layer(name: str, size: int, seed: int) -> tuple[bytes, bytes]:
    """A gzip layer holding one file of ``size`` incompressible bytes: (blob, tar)."""
    data = random.Random(seed).randbytes(size)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.size, info.mtime = size, 0
        tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0), raw.getvalue()


@pytest.fixture(scope="module")
def pushed(registry_host: str) -> tuple[str, list[int]]:
    """A two-layer image pushed under a fresh name: its ``registry:`` source and layer blob sizes."""
    pusher = Pusher(registry_host)
    repo = f"pylint-image-test/progress-{uuid.uuid4().hex[:10]}"
    layers = [_layer("big.bin", 400_000, 1), _layer("small.bin", 30_000, 2)]
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                         "rootfs": {"type": "layers", "diff_ids": [
                             "sha256:" + hashlib.sha256(tar).hexdigest() for _blob, tar in layers]},
                         "history": [{"created_by": "COPY big.bin /"},
                                     {"created_by": "COPY small.bin /"}]}).encode()
    descriptors = [{"mediaType": OCI_LAYER, "digest": pusher.blob(repo, blob), "size": len(blob)}
                   for blob, _tar in layers]
    manifest = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                           "config": {"mediaType": OCI_CONFIG, "digest": pusher.blob(repo, config),
                                      "size": len(config)},
                           "layers": descriptors}).encode()
    pusher.manifest(repo, "v1", manifest, OCI_MANIFEST)
    return f"registry:{registry_host}/{repo}:v1", [len(blob) for blob, _tar in layers]


def test_each_downloaded_layer_is_counted_against_its_size(pushed, tmp_path: Path) -> None:
    from pylint_image.runner.registry import resolve_registry_source

    source, sizes = pushed
    seen = RecordingBytes()
    resolve_registry_source(source, tmp_path / "cache", progress=seen)
    starts = [e for e in seen.events if e[0] == "start"]
    assert starts == [("start", "download layer 1/2", sizes[0]), ("start", "download layer 2/2", sizes[1])]
    # Each ends with its whole blob, then finished.
    ends = [seen.events[i - 1] for i, e in enumerate(seen.events) if e == ("finish",)]
    assert ends == [("advance", sizes[0]), ("advance", sizes[1])]
    # From the cache: nothing is downloaded, nothing shown.
    again = RecordingBytes()
    resolve_registry_source(source, tmp_path / "cache", progress=again)
    assert again.events == []


def _cli(args: list[str], cache: Path, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", "image", *args], cwd=cwd,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300,
                          env={**os.environ, "NO_COLOR": "1", "XDG_CACHE_HOME": str(cache)})


def _on_a_pty(args: list[str], cache: Path, cwd: Path) -> tuple[bytes, bytes, int]:
    """Run the image command with stderr on a pseudo-terminal: its stdout, what the terminal got, the code."""
    return run_on_a_pty([sys.executable, "-m", "pylint_image.linter.cli", "image", *args], cwd,
                        {**os.environ, "NO_COLOR": "1", "TERM": "xterm", "COLUMNS": "120",
                         "XDG_CACHE_HOME": str(cache)})


def test_a_registry_pull_shows_each_layer_download(pushed, tmp_path: Path) -> None:
    source, sizes = pushed
    # Off a terminal: --progress auto writes nothing, and the report is --progress none's.
    auto = _cli([source], tmp_path / "c1", tmp_path)
    none = _cli([source, "--progress", "none"], tmp_path / "c2", tmp_path)
    assert auto.stderr == none.stderr == b"", auto.stderr
    assert auto.returncode == none.returncode and auto.stdout == none.stdout
    # plain: one line per layer downloaded (its size), then one per layer read.
    plain = _cli([source, "--progress", "plain"], tmp_path / "c3", tmp_path)
    assert plain.stdout == auto.stdout and plain.returncode == auto.returncode
    lines = plain.stderr.decode().splitlines()
    assert [line.split(": ")[2] for line in lines] == [
        "download layer 1/2", "download layer 2/2", "layer 1/2", "layer 2/2"], lines
    from pylint_image.runner.progress import _size

    assert re.fullmatch(rf"pylint-image: image: download layer 1/2: {_size(sizes[0])} in [\d.]+ s",
                        lines[0]), lines[0]
    # Pulled again from the same cache: nothing to download, only the layers read.
    cached = _cli([source, "--progress", "plain"], tmp_path / "c3", tmp_path)
    assert [line.split(": ")[2] for line in cached.stderr.decode().splitlines()] == ["layer 1/2", "layer 2/2"]
    # On a terminal: a bar per download (bytes of the total), gone before the report.
    out, terminal, code = _on_a_pty([source], tmp_path / "c4", tmp_path)
    text = ANSI.sub("", terminal.decode(errors="replace"))
    assert code == auto.returncode and out == auto.stdout
    assert "download layer 1/2" in text and "download layer 2/2" in text, text
    assert re.search(r"download layer 1/2 .*/0\.4 MB", text) or re.search(r"download layer 1/2 .*/400\.\d kB", text), text


def test_help_says_registry_downloads_are_shown(tmp_path: Path) -> None:
    helped = subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", "image", "--help"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60, env={**os.environ, "COLUMNS": "200"})
    text = " ".join(helped.stdout.split())
    assert helped.returncode == 0 and "downloaded per layer from a registry" in text, text
