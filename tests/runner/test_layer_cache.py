"""The layer cache as a gate (issue 8): verified before entry, capped, LRU-evicted, prunable."""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from pylint_image.linter.cli import main
from pylint_image.linter.errors import SourceError
from pylint_image.runner import cache as disk
from pylint_image.runner import pipeline
from pylint_image.runner.rootfs import LayerCache, LayerSource, assembled_rootfs
from pylint_image.runner.source import acquire
from tests.support import synth_image as synth
from tests.support.deadline import deadline

IMAGE = {"ref": "synth/poison:1", "config": {"Cmd": ["/bin/app"]},
         "layers": [{"files": [{"path": "/bin/app", "content": "#!/bin/sh\n", "mode": "0755"}]},
                    {"files": [{"path": "/etc/motd", "content": "real\n"}]}]}
EVIL = synth.layer_tar([{"path": "/etc/motd", "content": "evil\n"}])
KIB = 1024


def source_of(data: bytes, diff_id: str | None = None) -> LayerSource:
    """A layer source with no checks of its own: only the cache stands between it and the cache."""
    return LayerSource(diff_id or "sha256:" + hashlib.sha256(data).hexdigest(), lambda: io.BytesIO(data))


def left_in(root: Path) -> list[str]:
    """Every name under the cache's algorithm dirs (entries, staging, evicted leftovers)."""
    return sorted(p.name for algorithm in ("sha256", "sha512") if (root / algorithm).is_dir()
                  for p in (root / algorithm).iterdir())


def poisoned_archive(path: Path, fmt: str = "classic") -> tuple[synth.Built, Path]:
    """A docker-save archive whose second layer is not what the config's diff_id says."""
    built = synth.build(IMAGE)
    members = synth.docker_archive_members(built, fmt)
    target = built.diff_ids[1] if fmt == "classic" else built.layers[1].digest
    key = hashlib.sha256(target.encode()).hexdigest() + "/layer.tar" if fmt == "classic" \
        else "blobs/sha256/" + target.split(":")[1]
    members = [(name, EVIL if name == key else data) for name, data in members]
    path.write_bytes(synth.tar_bytes(members))
    return built, path


# --- the gate: nothing unverified enters --------------------------------------------------

@pytest.mark.parametrize("fmt", ["classic", "oci"])
def test_poisoned_archive_exits_2_runs_nothing_and_caches_nothing(tmp_path, monkeypatch, capsys, fmt):
    built, archive = poisoned_archive(tmp_path / "poisoned.tar", fmt)
    observed: list[object] = []
    monkeypatch.setattr(pipeline, "observe_image", lambda *a, **k: observed.append(a))
    code = main(["verify", "--image", str(archive), "--no-static", "--cache-dir", str(tmp_path / "cache"),
                 "--format", "json", "--output", os.devnull])
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("pylint-image: error:")]
    assert code == 2 and observed == []
    assert len(errors) == 1
    assert built.diff_ids[1] in errors[0] or built.layers[1].digest in errors[0]   # the claimed digest
    assert "sha256:" + hashlib.sha256(EVIL).hexdigest() in errors[0]               # and what it is
    assert left_in(tmp_path / "cache") in ([], [built.diff_ids[0][7:]])   # the clean first layer only


def test_clean_image_after_a_poisoned_one_uses_the_real_content(tmp_path):
    built, poisoned = poisoned_archive(tmp_path / "poisoned.tar")
    root = tmp_path / "cache"
    with pytest.raises(SourceError), acquire(str(poisoned), LayerCache(root)):
        pass
    real = synth.write_docker_archive(built, tmp_path / "real.tar")
    cache = LayerCache(root)
    with acquire(str(real), cache) as image:
        assert [layer.diff_id for layer in image.layers] == list(built.diff_ids)
        motd = cache.get(built.diff_ids[1]).path / "etc" / "motd"
        assert motd.read_text() == "real\n"


def test_the_cache_verifies_even_when_the_source_does_not(tmp_path):
    real = synth.layer_tar([{"path": "/etc/motd", "content": "real\n"}])
    claimed = "sha256:" + hashlib.sha256(real).hexdigest()
    cache = LayerCache(tmp_path / "c")
    with pytest.raises(SourceError) as info:
        cache.ensure(source_of(EVIL, claimed))
    message = str(info.value)
    assert "\n" not in message and claimed in message and hashlib.sha256(EVIL).hexdigest() in message
    assert left_in(tmp_path / "c") == [] and cache.get(claimed) is None
    assert (cache.ensure(source_of(real)).path / "etc" / "motd").read_text() == "real\n"


def test_bytes_after_the_end_of_archive_are_part_of_the_diff_id(tmp_path):
    # tarfile stops at the end-of-archive blocks: a check that waits for EOF never ran.
    clean = synth.layer_tar([{"path": "/a", "content": "x"}])
    claimed = "sha256:" + hashlib.sha256(clean).hexdigest()
    with pytest.raises(SourceError, match="hashes to"):
        LayerCache(tmp_path / "c").ensure(source_of(clean + b"appended after the end", claimed))
    assert left_in(tmp_path / "c") == []


def test_an_unverified_entry_of_the_old_format_is_never_served(tmp_path):
    real = synth.layer_tar([{"path": "/etc/motd", "content": "real\n"}])
    layer = source_of(real)
    entry = tmp_path / "c" / "sha256" / layer.diff_id[7:]
    (entry / "tree" / "etc").mkdir(parents=True)
    (entry / "tree" / "etc" / "motd").write_text("evil\n")   # poisoned before the gate existed
    (entry / "meta.json").write_text(json.dumps({"whiteouts": [], "opaque_dirs": [], "skipped": [],
                                                 "overlay_ready": False}))
    cache = LayerCache(tmp_path / "c")
    assert cache.get(layer.diff_id) is None
    assert (cache.ensure(layer).path / "etc" / "motd").read_text() == "real\n"


# --- caps: one image's extraction, the whole cache -----------------------------------------

def test_an_image_over_the_extraction_cap_is_refused_cold_and_warm(tmp_path):
    layers = [source_of(synth.layer_tar([{"path": f"/f{i}", "size": 600 * KIB}])) for i in range(2)]
    cache = LayerCache(tmp_path / "c", max_image_bytes=1024 * KIB)
    with pytest.raises(SourceError, match=r"extraction cap") as info:
        cache.ensure_all(layers)
    assert "\n" not in str(info.value)
    assert [e.diff_id for e in disk.scan(tmp_path / "c")] == [layers[0].diff_id]   # the first fit
    with pytest.raises(SourceError, match=r"extraction cap"):
        LayerCache(tmp_path / "c", max_image_bytes=1024 * KIB).ensure_all(layers)  # warm: same answer


def _layer(i: int) -> LayerSource:
    return source_of(synth.layer_tar([{"path": f"/data{i}", "size": 64 * KIB}]))


def _use(root: Path, layer: LayerSource, when: float) -> None:
    os.utime(root / "sha256" / layer.diff_id[7:] / "used", (when, when))


def test_least_recently_used_goes_first_and_held_layers_stay(tmp_path):
    root = tmp_path / "c"
    a, b, c, d, e = (_layer(i) for i in range(5))
    with LayerCache(root) as first:
        for layer in (a, b, c):
            first.ensure(layer)
    size = disk.scan(root)[0].disk_bytes
    for layer, when in ((a, 100), (b, 200), (c, 300)):
        _use(root, layer, when)
    with LayerCache(root) as reader:
        reader.get(a.diff_id)                          # a use: a is now the most recent
    with LayerCache(root, max_bytes=int(size * 3.5)) as adding:
        adding.ensure(d)
    assert {x.diff_id for x in disk.scan(root)} == {a.diff_id, c.diff_id, d.diff_id}   # b went
    with LayerCache(root) as holder, LayerCache(root, max_bytes=size) as adding:
        holder.get(a.diff_id)                          # another run uses a right now
        adding.ensure(e)
    assert {x.diff_id for x in disk.scan(root)} == {a.diff_id, e.diff_id}


def test_prune_removes_what_it_says_and_spares_what_is_in_use(tmp_path, capsys):
    root = tmp_path / "c"
    layers = [_layer(i) for i in range(3)]
    with LayerCache(root) as filling:
        for layer in layers:
            filling.ensure(layer)
    for when, layer in enumerate(layers, start=1):
        _use(root, layer, when * 100)
    abandoned, live = root / "sha256" / ".partial-dead", root / "sha256" / ".partial-live"
    for partial in (abandoned, live, root / "sha256" / ".evict-half"):
        (partial / "tree" / "x").mkdir(parents=True)
    os.utime(abandoned, (0, 0))
    os.utime(live, (0, 0))
    holding = os.open(live, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(holding, fcntl.LOCK_EX)                # an extraction in progress
    size = disk.scan(root)[0].disk_bytes
    try:
        assert main(["cache", "prune", "--cache-dir", str(root), "--max-size", str(size)]) == 0
        assert {x.diff_id for x in disk.scan(root)} == {layers[2].diff_id}      # the newest stays
        out = capsys.readouterr().out.splitlines()
        assert out == [f"{root}: removed 2 layer(s) ({disk.format_size(2 * size)}) and "
                       f"2 leftover dir(s); kept 1 layer(s) ({disk.format_size(size)})"]
        with LayerCache(root) as user:
            user.get(layers[2].diff_id)
            result = disk.prune(root)
        assert (result.removed, result.kept, result.in_use) == (0, 1, 1)
    finally:
        os.close(holding)
    assert left_in(root) == [".partial-live", layers[2].diff_id[7:]]
    result = disk.prune(root)   # the extractor is gone now: its staging dir is abandoned
    assert (result.removed, result.leftovers) == (1, 1) and left_in(root) == []


def test_prune_of_a_missing_cache_says_so_in_one_line(tmp_path, capsys):
    assert main(["cache", "prune", "--cache-dir", str(tmp_path / "none")]) == 0
    assert capsys.readouterr().out.count("\n") == 1
    assert main(["cache", "prune", "--max-size", "lots"]) == 2


# --- deep trees: extraction, copy assembly, removal ----------------------------------------

DEPTH = 3000


def deep_layer() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for depth in range(1, DEPTH + 1):
            info = tarfile.TarInfo("/".join(["d"] * depth))
            info.type, info.mode = tarfile.DIRTYPE, 0o555 if depth % 500 == 0 else 0o755
            tar.addfile(info)
        info = tarfile.TarInfo("/".join(["d"] * DEPTH + ["bottom"]))
        info.size = 5
        tar.addfile(info, io.BytesIO(b"deep\n"))
    return buf.getvalue()


def read_deep(root: Path) -> bytes:
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    for _ in range(DEPTH):
        child = os.open("d", os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
        os.close(fd)
        fd = child
    try:
        with os.fdopen(os.open("bottom", os.O_RDONLY, dir_fd=fd), "rb") as bottom:
            return bottom.read()
    finally:
        os.close(fd)


def test_a_3000_deep_tree_is_extracted_assembled_and_removed(tmp_path):
    root = tmp_path / "c"
    layer = source_of(deep_layer())
    with deadline(120), LayerCache(root) as cache:
        assert read_deep(cache.ensure(layer).path) == b"deep\n"
        with assembled_rootfs([layer], cache, overlay=False, workdir=tmp_path) as assembled:
            assert read_deep(assembled) == b"deep\n"
            temp = assembled.parent
        assert not temp.exists()
    assert disk.prune(root).removed == 1
    assert left_in(root) == []


def test_deep_removal_in_a_child_process_has_no_traceback(tmp_path):
    # Python 3.11's shutil.rmtree recurses: this depth is past its recursion limit.
    script = ("import sys, os\nfrom pylint_image.runner.fsutil import remove_tree\n"
              f"p = {str(tmp_path / 'deep')!r}\nfd = os.open({str(tmp_path)!r}, os.O_RDONLY)\n"
              "name = 'deep'\nfor _ in range(5000):\n    os.mkdir(name, dir_fd=fd)\n"
              "    child = os.open(name, os.O_RDONLY, dir_fd=fd); os.close(fd); fd = child; name = 'x'\n"
              "print(remove_tree(p), os.path.exists(p))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "[] False" and done.stderr == ""


@pytest.fixture
def no_removal(monkeypatch):
    """Booby-trap every way remove_tree could delete: a refusal test must never reach one."""
    from pylint_image.runner import fsutil

    def trap(*args, **kwargs):
        raise AssertionError(f"remove_tree went past its guard: {args!r}")

    for name in ("_remove_dir", "remove_at"):
        monkeypatch.setattr(fsutil, name, trap)
    for name in ("unlink", "rmdir", "rename"):
        monkeypatch.setattr(os, name, trap)
    return fsutil.remove_tree


def _refused(remove_tree, path) -> str:
    errors = remove_tree(path)
    assert len(errors) == 1 and "refusing" in errors[0] and "\n" not in errors[0], errors
    return errors[0]


def test_dot_and_root_are_never_removed(tmp_path, monkeypatch, no_removal):
    deep = tmp_path / "a" / "b" / "c"   # ".." and "../.." stay inside tmp_path even if refused late
    deep.mkdir(parents=True)
    (deep / "keep").write_text("k")
    monkeypatch.chdir(deep)
    for path in (".", "..", "/", "", "./", "sub/..", "../..", "//", "/.", "a/../..", Path(".")):
        _refused(no_removal, path)
    assert (deep / "keep").read_text() == "k"


def test_the_current_directory_and_what_contains_it_are_never_removed(tmp_path, monkeypatch, no_removal):
    cwd = tmp_path / "a" / "b" / "c"
    cwd.mkdir(parents=True)
    monkeypatch.chdir(cwd)
    for path in (cwd, tmp_path / "a", tmp_path / "a" / "b", "../../../a", str(cwd) + "/",
                 str(tmp_path / "a" / "x" / ".." / "b")):
        assert "current directory" in _refused(no_removal, path)
    # The same with a current directory that only os.getcwd() knows (nothing there exists).
    fake = str(tmp_path / "elsewhere" / "deeper")
    monkeypatch.setattr(os, "getcwd", lambda: fake)
    assert "current directory" in _refused(no_removal, tmp_path / "elsewhere")
    assert "current directory" in _refused(no_removal, "../../elsewhere")


def test_the_home_directory_and_what_contains_it_are_never_removed(tmp_path, monkeypatch, no_removal):
    home = tmp_path / "home" / "user"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(tmp_path)
    for path in (home, tmp_path / "home", str(home) + "/."):
        _refused(no_removal, path)
    import pwd

    real_home = pwd.getpwuid(os.getuid()).pw_dir   # only named, never reached: the guard refuses first
    if os.path.isabs(real_home) and real_home != "/":
        _refused(no_removal, real_home)            # /root: also a top-level directory


def test_top_level_directories_are_never_removed(tmp_path, monkeypatch, no_removal):
    monkeypatch.chdir(tmp_path)
    for path in ("/work", "/tmp", "/root", "/usr", "/no-such-top-level-dir", "/tmp/../work",
                 "/tmp/./", "//tmp"):
        assert "refusing" in _refused(no_removal, path)
    # A parent that is a symlink to / makes "link/tmp" the real /tmp: refused as well.
    (tmp_path / "to-root").symlink_to("/")
    assert "top-level" in _refused(no_removal, tmp_path / "to-root" / "tmp")


def test_what_the_guard_allows_is_removed(tmp_path, monkeypatch):
    from pylint_image.runner.fsutil import refuse_removal, remove_tree

    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    (tmp_path / "sibling" / "inner").mkdir(parents=True)
    (cwd / "child" / "x").mkdir(parents=True)
    assert refuse_removal(tmp_path / "sibling") is None and refuse_removal("child") is None
    assert remove_tree(tmp_path / "sibling") == [] and not (tmp_path / "sibling").exists()
    assert remove_tree("child") == [] and not (cwd / "child").exists()
    (tmp_path / "link").symlink_to(tmp_path / "cwd")
    assert remove_tree(tmp_path / "link") == []    # the link itself goes, never what it names
    assert cwd.is_dir() and not (tmp_path / "link").exists()


def as_nobody(action) -> str:
    """Run ``action()`` in a child process as uid/gid 65534 and return what it printed (repr)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:   # pragma: no cover - the child
        try:
            os.close(read)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            os.write(write, repr(action()).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        out = pipe.read().decode()
    os.waitpid(pid, 0)
    return out


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become another user")
def test_read_only_and_unreadable_dirs_are_removed_by_their_owner(tmp_path):
    import tempfile

    from pylint_image.runner.fsutil import remove_tree

    base = Path(tempfile.mkdtemp(prefix="pylint-image-test-"))
    try:
        os.chmod(base, 0o777)
        tree = base / "tree"
        (tree / "ro" / "locked" / "inner").mkdir(parents=True)
        (tree / "ro" / "locked" / "inner" / "f").write_text("x")
        (tree / "ro" / "file").write_text("y")
        for path in (tree, *tree.rglob("*")):
            os.chown(path, 65534, 65534)
        os.chmod(tree / "ro" / "locked" / "inner", 0o000)
        os.chmod(tree / "ro" / "locked", 0o000)
        os.chmod(tree / "ro", 0o555)
        assert as_nobody(lambda: remove_tree(tree)) == "[]"
        assert not tree.exists()
    finally:
        subprocess.run(["rm", "-rf", str(base)], check=False)


@pytest.mark.skipif(os.geteuid() != 0, reason="bind mounts need root")
def test_a_mount_inside_the_tree_is_reported_and_left_alone(tmp_path):
    from pylint_image.runner.fsutil import remove_tree

    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "keep").write_text("k")
    tree = tmp_path / "tree"
    (tree / "mnt").mkdir(parents=True)
    (tree / "other").write_text("o")
    if subprocess.run(["mount", "--bind", str(precious), str(tree / "mnt")], capture_output=True).returncode:
        pytest.skip("cannot bind-mount here")
    try:
        errors = remove_tree(tree)
    finally:
        subprocess.run(["umount", str(tree / "mnt")], check=False)
    assert (precious / "keep").read_text() == "k"
    assert any("a mount point, left alone" in line for line in errors)
    assert all("\n" not in line for line in errors) and not (tree / "other").exists()
