"""Benchmark: image analysis vs ``docker save`` alone, and peak RSS at several image sizes.

For each size it builds a ``FROM scratch`` image with the legacy builder (12 COPY layers,
>= 50,000 files in total), then times, in the same run:

* ``docker save TAG > /dev/null``: the daemon's export alone (the floor for any reader);
* ``docker-daemon:TAG`` through ``source.acquire`` (streamed ``docker save``, as ``image`` reads it) plus every image rule;
* the same on a saved archive on disk; each in a child process.

Peak RSS is the child's own ``VmHWM`` (so the docker CLI is not counted).

    python bench/image_analysis.py --sizes 256,1100 --files 50000 --layers 12
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ENV = {**os.environ, "DOCKER_BUILDKIT": "0"}
MIB = 1 << 20

_CHILD = r"""
import json, sys, time
from pylint_image.runner.source import acquire
from pylint_image.linter.config import Config
from pylint_image.linter.engine import enabled_rules, run_rules
from pylint_image.linter.plugins import load_registry
from pylint_image.linter.ruleapi import Target
mode, target = sys.argv[1], sys.argv[2]
start = time.perf_counter()
# The product path: the same acquisition and rules as `pylint-image image SOURCE`.
registry, config = load_registry(), Config()
needs = [r.meta.needs for r in enabled_rules(registry, config, Target.IMAGE)]
source = f"docker-daemon:{target}" if mode == "stream" else target
with acquire(source) as acquired:
    image = acquired.model(needs)
outcome = run_rules(image, Target.IMAGE, registry, config, display=target, image_name=target)
wall = time.perf_counter() - start
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
print(json.dumps({"wall": wall, "rss_kib": hwm, "bytes": image.size,
                  "files": len(image.files), "layers": len(image.layers)}))
"""


def make_context(root: Path, size_mib: int, files: int, layers: int) -> None:
    """Write a build context: per layer many 1 KiB files plus one big file for the bulk."""
    block = os.urandom(MIB)
    per_layer_files = max(1, files // layers)
    small_bytes = per_layer_files * 1024
    big = max(0, (size_mib * MIB) // layers - small_bytes)
    lines = ["FROM scratch"]
    for n in range(layers):
        layer = root / f"l{n:02d}"
        for d in range(0, per_layer_files, 500):
            sub = layer / f"d{d // 500:03d}"
            sub.mkdir(parents=True)
            for i in range(d, min(d + 500, per_layer_files)):
                (sub / f"f{i:05d}").write_bytes(block[i % 1000:(i % 1000) + 1024])
        with (layer / "big.bin").open("wb") as out:
            left = big
            while left > 0:
                out.write(block[: min(MIB, left)])
                left -= MIB
        lines.append(f"COPY l{n:02d} /data/l{n:02d}")
    (root / "Dockerfile").write_text("\n".join(lines) + "\n")


def timed(cmd: list[str], **kwargs: object) -> float:
    """Run ``cmd`` to completion and return its wall time in seconds."""
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env=ENV, **kwargs)  # type: ignore[call-overload]
    return time.perf_counter() - start


def child(mode: str, target: str) -> dict[str, float]:
    """Run one analysis in a fresh interpreter and return its JSON report."""
    out = subprocess.run([sys.executable, "-c", _CHILD, mode, target], check=True,
                         capture_output=True, text=True, env=ENV)
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def bench_size(size_mib: int, files: int, layers: int, work: Path) -> dict[str, float]:
    """Build one image and measure everything for it."""
    tag = f"pylint-image-bench/{size_mib}m:1"
    ctx = work / f"ctx{size_mib}"
    ctx.mkdir()
    make_context(ctx, size_mib, files, layers)
    subprocess.run(["docker", "build", "-q", "-t", tag, str(ctx)], check=True, env=ENV,
                   stdout=subprocess.DEVNULL)
    shutil.rmtree(ctx)
    with open(os.devnull, "wb") as null:
        timed(["docker", "save", tag], stdout=null)  # warm the daemon's page cache once
        save = min(timed(["docker", "save", tag], stdout=null) for _ in range(2))
    stream = min((child("stream", tag) for _ in range(2)), key=lambda r: r["wall"])
    archive = work / f"img{size_mib}.tar"
    subprocess.run(["docker", "save", "-o", str(archive), tag], check=True, env=ENV)
    disk = min((child("archive", str(archive)) for _ in range(2)), key=lambda r: r["wall"])
    archive.unlink()
    subprocess.run(["docker", "rmi", "-f", tag], check=True, env=ENV, stdout=subprocess.DEVNULL)
    return {"size_mib": stream["bytes"] / MIB, "files": stream["files"],
            "layers": stream["layers"], "save": save, "stream": stream["wall"],
            "stream_rss": stream["rss_kib"] / 1024, "disk": disk["wall"],
            "disk_rss": disk["rss_kib"] / 1024}


def main() -> None:
    """Parse arguments, run every size, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="256,1100", help="image sizes in MiB, comma-separated")
    parser.add_argument("--files", type=int, default=50_400)
    parser.add_argument("--layers", type=int, default=12)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="pylint-image-bench-") as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            rows.append(bench_size(size, args.files, args.layers, Path(tmp)))
    print("| image MiB | files | layers | docker save s | save+analysis (stream) s | ratio "
          "| MB/s | peak RSS MiB | archive on disk s | MB/s | peak RSS MiB |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        mb = r["size_mib"] * MIB / 1e6
        print(f"| {r['size_mib']:.0f} | {r['files']:.0f} | {r['layers']:.0f} | {r['save']:.2f} "
              f"| {r['stream']:.2f} | {r['stream'] / r['save']:.2f}x | {mb / r['stream']:.0f} "
              f"| {r['stream_rss']:.0f} | {r['disk']:.2f} | {mb / r['disk']:.0f} "
              f"| {r['disk_rss']:.0f} |")


if __name__ == "__main__":
    main()
