"""Benchmark: ``pylint-image verify --image`` against the docker run/stop/rm sequence, and sandbox start.

For a small HTTP service image (busybox httpd on scratch, already built before timing):

* ``verify cold``: ``pylint-image verify --image docker-daemon:NAME`` with an empty layer cache;
* ``verify warm``: the same command again with the cache filled (median of ``--runs``);
* ``docker``: ``docker run -d -p`` + wait until the port answers + ``docker stop`` + ``docker rm``;
* ``runc``/``crun`` create+start: from spawning the OCI runtime to PID 1 running
  (``SandboxResult.start_overhead``), median over ``--starts`` runs of ``/bin/true``, with each
  runtime that is installed and works on this host.

The image's CMD is a shell that traps SIGTERM around httpd, so both sides stop promptly
(httpd alone, as PID 1, ignores SIGTERM and every stop would cost the full grace period).

    python bench/verify.py --runs 5 --starts 30
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

TAG = "pylint-image-bench/httpd:1"
DOCKERFILE = ("FROM {base}\nRUN mkdir /www && echo hello > /www/index.html\nUSER 65534\nEXPOSE 8080\n"
              "CMD [\"sh\", \"-c\", \"trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait\"]\n")


def build_image() -> None:
    """Build the bench image once (not timed)."""
    from tests.support.docker_images import busybox_base, docker_build

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "Dockerfile").write_text(DOCKERFILE.format(base=busybox_base()))
        docker_build(Path(tmp), TAG)


def time_verify(cache: Path) -> float:
    """Wall time of one ``pylint-image verify --image`` in a fresh interpreter."""
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pylint_image.linter.cli", "verify", "--image",
                           f"docker-daemon:{TAG}", "--cache-dir", str(cache), "--format", "json",
                           "--output", os.devnull], capture_output=True, text=True,
                          env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"})
    elapsed = time.perf_counter() - began
    if done.returncode not in (0, 1):
        raise SystemExit(f"verify failed ({done.returncode}): {done.stderr}")
    return elapsed


def time_verify_in_process(cache: Path, runs: int) -> tuple[list[float], dict[str, float]]:
    """verify() itself, warm, without interpreter start-up and plugin loading (where time goes).

    Also returns the median of each step's time from the report's timings.
    """
    from pylint_image.linter.config import Config
    from pylint_image.linter.plugins import load_registry
    from pylint_image.runner.pipeline import verify
    from pylint_image.runner.spec import VerifySpec

    registry, found, steps = load_registry(), [], {}
    for _ in range(runs):
        began = time.perf_counter()
        report = verify(VerifySpec(image=f"docker-daemon:{TAG}", cache_dir=cache), registry, Config())
        found.append(time.perf_counter() - began)
        for name, seconds in report.timings.items():
            steps.setdefault(name, []).append(seconds)
    return found, {name: statistics.median(values) for name, values in steps.items()}


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
            sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
            return sock.recv(16).startswith(b"HTTP/")
    except OSError:
        return False


def time_docker() -> float:
    """Wall time of docker run -d -p, wait for an HTTP answer, docker stop, docker rm."""
    began = time.perf_counter()
    cid = subprocess.run(["docker", "run", "-d", "-p", "127.0.0.1::8080", TAG], capture_output=True,
                         text=True, check=True).stdout.strip()
    try:
        mapped = subprocess.run(["docker", "port", cid, "8080/tcp"], capture_output=True, text=True,
                                check=True).stdout.split()[0]
        port = int(mapped.rsplit(":", 1)[1])
        deadline = time.monotonic() + 30
        while not _answers(port) and time.monotonic() < deadline:
            time.sleep(0.01)
        subprocess.run(["docker", "stop", cid], capture_output=True, check=True)
    finally:
        subprocess.run(["docker", "rm", "-f", cid], capture_output=True, check=True)
    return time.perf_counter() - began


def sandbox_starts(cache: Path, count: int, runtime: str) -> tuple[list[float], str]:
    """The runtime's create+start time (spawn to PID 1 running) over ``count`` runs of /bin/true.

    Returns the times and, when ``runtime`` cannot run containers on this host, why not.
    """
    from pylint_image.linter.errors import PylintImageError
    from pylint_image.runner.rootfs import LayerCache, assembled_rootfs
    from pylint_image.runner.sandbox import SandboxSpec, run
    from pylint_image.runner.sandbox.support import detect_at
    from pylint_image.runner.source import acquire

    support = detect_at(runtime=runtime)
    if support.runtime is None or support.runtime.name != runtime:
        return [], f"{runtime} is not installed"
    layer_cache = LayerCache(cache)
    found = []
    with acquire(f"docker-daemon:{TAG}", layer_cache) as image, \
            assembled_rootfs(image.layers, layer_cache, overlay=support.overlay) as root:
        for _ in range(count):
            try:
                result = run(SandboxSpec(rootfs=root, argv=("/bin/true",), timeout=10), support)
            except PylintImageError as exc:
                return [], str(exc)
            if result.setup_error:
                return [], result.setup_error
            found.append(result.start_overhead)
    return found, ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--starts", type=int, default=30)
    args = parser.parse_args()
    build_image()
    with tempfile.TemporaryDirectory(prefix="pylint-image-bench-") as tmp:
        cache = Path(tmp) / "layers"
        cold = time_verify(cache)
        warm = [time_verify(cache) for _ in range(args.runs)]
        docker = [time_docker() for _ in range(args.runs)]
        in_process, steps = time_verify_in_process(cache, args.runs)
        starts = {name: sandbox_starts(cache, args.starts, name) for name in ("runc", "crun")}
    d = statistics.median(docker)
    rows = [("verify --image, cold cache", cold, cold / d),
            (f"verify --image, warm cache (median of {args.runs})", statistics.median(warm),
             statistics.median(warm) / d),
            (f"  of which verify() in-process, warm (median of {args.runs})", statistics.median(in_process),
             statistics.median(in_process) / d),
            (f"docker run -d -p + wait + stop + rm (median of {args.runs})", d, 1.0)]
    for name, (times, _why) in starts.items():
        if times:
            rows.append((f"{name} create+start to PID 1 (median of {len(times)})", statistics.median(times), None))
    print(f"{'measurement':62} {'seconds':>9} {'x docker':>9}")
    for name, seconds, ratio in rows:
        print(f"{name:62} {seconds:9.3f} {'' if ratio is None else f'{ratio:9.2f}'}")
    print(f"\nwarm runs: {', '.join(f'{w:.3f}' for w in warm)}; docker runs: {', '.join(f'{x:.3f}' for x in docker)}")
    for name, (times, why) in starts.items():
        if times:
            print(f"{name} start p90: {sorted(times)[int(len(times) * 0.9) - 1] * 1000:.1f} ms")
        else:
            print(f"{name}: not measured: {why}")
    print("verify() steps, median ms: " + ", ".join(f"{name.removesuffix('_s')} {seconds * 1000:.1f}"
                                                   for name, seconds in steps.items()))
    print("targets: warm verify <= 0.50x docker; sandbox start <= 50 ms with crun")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
