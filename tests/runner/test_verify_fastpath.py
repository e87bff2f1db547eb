"""The warm ``docker-daemon:`` path: inspect on the engine socket, cached layers, no ``docker save``."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from pylint_image.runner import docker_socket, source
from pylint_image.runner.rootfs import LayerCache, assembled_rootfs
from pylint_image.runner.sandbox.net import parse_table, read_proc_table
from tests.support.synth_image import build, tar_bytes, docker_archive_members

IMAGE = {
    "ref": "synth/fast:1",
    "config": {"Cmd": ["/bin/app"], "Env": ["A=1"], "ExposedPorts": {"8080/tcp": {}}, "User": "65534"},
    "layers": [
        {"files": [{"path": "/bin/app", "content": "#!/bin/sh\n", "mode": "0755"}]},
        {"files": [{"path": "/etc/motd", "content": "hello\n"}]},
    ],
}


# --- engine socket: which daemon, and what its answers mean ---------------------------------

def test_socket_path_follows_what_the_cli_would_use(tmp_path):
    home = {"HOME": str(tmp_path)}
    assert docker_socket.socket_path(home) == docker_socket.DEFAULT_SOCKET
    assert docker_socket.socket_path({**home, "DOCKER_HOST": "unix:///run/x.sock"}) == "/run/x.sock"
    assert docker_socket.socket_path({**home, "DOCKER_HOST": "tcp://10.0.0.1:2376"}) is None
    assert docker_socket.socket_path({**home, "DOCKER_CONTEXT": "remote"}) is None
    (tmp_path / ".docker").mkdir()
    config = tmp_path / ".docker" / "config.json"
    config.write_text(json.dumps({"currentContext": "default"}))
    assert docker_socket.socket_path(home) == docker_socket.DEFAULT_SOCKET
    config.write_text(json.dumps({"currentContext": "rootless"}))
    assert docker_socket.socket_path(home) is None
    config.write_text("{not json")
    assert docker_socket.socket_path(home) is None   # the CLI decides what a broken config means


@pytest.mark.parametrize(("raw", "expected"), [
    (b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{\"Id\": \"x\"}", {"Id": "x"}),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{\"Id\": \"x\"}", {"Id": "x"}),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n{\"Id\": \"x\"}", None),       # cut short
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nb\r\n{\"Id\": 1}\r\n0\r\n\r\n", None),
    (b"HTTP/1.0 404 Not Found\r\n\r\n{\"message\": \"no such image\"}", None),  # the CLI words it
    (b"HTTP/1.0 200 OK\r\n\r\n[1, 2]", None),
    (b"garbage", None),
])
def test_parse_response(raw, expected):
    assert docker_socket._parse_response(raw) == expected


@contextlib.contextmanager
def fake_engine(path: Path, answer: bytes):
    """A one-connection unix-socket server that records the request and sends ``answer``."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)
    requests: list[bytes] = []

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            requests.append(conn.recv(65536))
            conn.sendall(answer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield requests
    finally:
        thread.join(5)
        server.close()


def test_inspect_image_on_a_fake_engine(tmp_path):
    doc = {"Id": "sha256:abc", "RootFS": {"Layers": ["sha256:" + "0" * 64]}}
    body = json.dumps(doc).encode()
    answer = b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    sock = tmp_path / "engine.sock"
    with fake_engine(sock, answer) as requests:
        found = docker_socket.inspect_image("example.org/team/app:1", {"DOCKER_HOST": f"unix://{sock}",
                                                                       "HOME": str(tmp_path)})
    assert found == doc
    assert requests[0].startswith(b"GET /images/example.org/team/app:1/json HTTP/1.0\r\n")


def test_inspect_image_without_an_engine_defers_to_the_cli(tmp_path):
    env = {"DOCKER_HOST": f"unix://{tmp_path / 'absent.sock'}", "HOME": str(tmp_path)}
    assert docker_socket.inspect_image("app:1", env) is None


def test_registry_prefixes_stay_in_step():
    from pylint_image.runner import registry

    assert source.REGISTRY_PREFIXES == registry.SOURCE_PREFIXES


# --- daemon_image: warm cache skips the save, a missing layer falls back to it -------------

def inspect_of(built) -> dict:
    """What ``docker image inspect`` would say about a synthesized image."""
    config = json.loads(built.config.data)
    return {"Config": config["config"], "Architecture": config["architecture"], "Os": config["os"],
            "RootFS": {"Type": "layers", "Layers": list(built.diff_ids)}}


def test_second_open_uses_the_cache_and_not_docker_save(tmp_path, monkeypatch):
    built = build(IMAGE)
    archive = tar_bytes(docker_archive_members(built))
    monkeypatch.setattr(source, "_inspect", lambda ref: inspect_of(built))
    saves: list[str] = []

    def save(ref: str):
        saves.append(ref)
        return contextlib.nullcontext(io.BytesIO(archive))

    cache = LayerCache(tmp_path / "layers")
    opened = []
    for _ in range(2):
        with source.daemon_image(built.ref, cache, save) as image, \
                assembled_rootfs(image.layers, cache, overlay=False) as root:
            opened.append((image.config, tuple(layer.diff_id for layer in image.layers),
                           (root / "etc" / "motd").read_text()))
    assert saves == [built.ref]                        # cold: saved once; warm: not at all
    assert opened[0] == opened[1]                      # same config, layers and files either way
    assert opened[0][0].cmd == ("/bin/app",) and opened[0][1] == built.diff_ids

    # One layer gone from the cache: the inspect cannot stand in for the image any more.
    shutil.rmtree(cache._dir(built.diff_ids[1]))
    with source.daemon_image(built.ref, cache, save) as image:
        assert tuple(layer.diff_id for layer in image.layers) == built.diff_ids
        cache.ensure(image.layers[1])
    assert saves == [built.ref, built.ref] and cache.get(built.diff_ids[1]) is not None


# --- /proc/net tables read in one go when the first read proves the end ---------------------

@pytest.mark.parametrize("name", ["tcp", "tcp6", "udp", "udp6"])
def test_read_proc_table_matches_read_text(name):
    path = Path("/proc/self/net") / name
    if not path.exists():
        pytest.skip(f"no {path}")
    # Connections and their timer columns change on the host while we read: compare the
    # listeners (what the probes use), and accept equality on one of a few tries.
    state = "0A" if name.startswith("tcp") else "07"

    def listeners(text: str) -> list:
        return parse_table(text, name.rstrip("6"), 6 if name.endswith("6") else 4, state)

    tries = [(listeners(read_proc_table(path)), listeners(path.read_text())) for _ in range(5)]
    assert any(fast == slow for fast, slow in tries)
    assert read_proc_table(path).splitlines()[0] == path.read_text().splitlines()[0]


@pytest.mark.parametrize("size", [0, 100, 4096, 70_000, 200_000])
def test_read_proc_table_reads_whole_regular_files(tmp_path, size):
    path = tmp_path / "table"
    path.write_text("".join(chr(ord("a") + i % 26) for i in range(size)))
    assert read_proc_table(path) == path.read_text()


# --- start-up: verify --image does not import what it does not run -------------------------

def test_verify_image_imports_neither_registry_client_nor_builders(tmp_path):
    script = ("import os, sys\nfrom pylint_image.linter.cli import main\n"
              "code = main(['verify', '--image', 'docker-daemon:pylint-image-test/absent:0', '--no-static',\n"
              f"             '--cache-dir', {str(tmp_path)!r}, '--format', 'json', '--output', os.devnull])\n"
              "print(code, *sorted(m for m in sys.modules if m.startswith('pylint_image.runner.')"
              " or m in ('rich', 'ssl', 'http.client')))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    code, *modules = done.stdout.split()
    assert code == "2", done.stderr   # a missing image is a source error
    assert "pylint_image.runner.source" in modules   # the import list is really the verify one
    for unwanted in ("pylint_image.runner.registry", "pylint_image.runner.build", "ssl", "http.client",
                     "rich"):
        assert unwanted not in modules


# --- real engine, real sandbox: same findings, and the warm run never calls docker ----------

@pytest.mark.docker
@pytest.mark.sandbox
def test_warm_verify_runs_no_docker_command_and_finds_the_same(tmp_path, monkeypatch, no_leaks):
    from pylint_image.runner.pipeline import verify
    from pylint_image.runner.sandbox import Limits
    from pylint_image.runner.spec import VerifySpec
    from tests.support.linting import config_for, registry
    from tests.support.verify_images import build_verify_images

    tag = build_verify_images()["good"]
    spec = VerifySpec(image=f"docker-daemon:{tag}", start_window=2.0, grace=1.5, cache_dir=tmp_path,
                      limits=Limits(memory_bytes=64 << 20, pids=32, cpus=1.0))
    cold = verify(spec, registry(), config_for())
    commands: list[list[str]] = []
    real_run, real_saved = subprocess.run, source._saved

    def spy_run(argv, *args, **kwargs):
        commands.append(list(argv))
        return real_run(argv, *args, **kwargs)

    def spy_saved(*args, **kwargs):
        commands.append(["<save>"])
        return real_saved(*args, **kwargs)

    monkeypatch.setattr(subprocess, "run", spy_run)
    monkeypatch.setattr(source, "_saved", spy_saved)
    warm = verify(spec, registry(), config_for())
    assert ["<save>"] not in commands
    path = docker_socket.socket_path()
    if path is not None and os.access(path, os.R_OK | os.W_OK):
        assert not [c for c in commands if c and c[0] == "docker"]   # inspect went to the socket

    def seen(report):
        return ({(f.code, f.message) for f in report.findings},
                [tuple(row[:2]) for row in report.tables[0].rows])

    assert seen(warm) == seen(cold)
    assert dict(seen(warm)[1])["port 8080/tcp"] == "listening"
