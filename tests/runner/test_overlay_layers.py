"""Images with many layers run: the overlay takes short lowerdir links, not the cache's long paths."""

from __future__ import annotations

import pytest

from pylint_image.linter.errors import SandboxError
from pylint_image.runner.sandbox import OverlayRoot, SandboxSpec, run
from pylint_image.runner.sandbox.overlay import MAX_LAYERS, mount_overlay
from tests.support.sandbox_rootfs import make_busybox_rootfs

DOCKER_MAX_LAYERS = 127   # dockerd refuses an image with more (overlay2's 128 lower dirs, minus one)


@pytest.mark.sandbox
@pytest.mark.usefixtures("no_leaks")
def test_docker_limit_of_layers_with_long_cache_paths(tmp_path, support):
    if not support.overlay:
        pytest.skip("overlay rootfs needs root")
    # Paths of ~200 bytes each: joined in one mount option they would pass a page 6 times over.
    base = tmp_path / ("cache-" + "x" * 150)
    layers = [make_busybox_rootfs(base / "layer-000")]
    for index in range(1, DOCKER_MAX_LAYERS):
        layer = base / f"layer-{index:03}"
        layer.mkdir(parents=True)
        (layer / f"from-{index:03}").write_text(f"{index}\n")
        (layer / "top").write_text(f"{index}\n")   # each layer overrides the one below
        layers.append(layer)
    lower = tuple(reversed(layers))   # topmost first
    assert len(":".join(map(str, lower))) > 5 * 4096   # the kernel's cap on mount options: a page
    result = run(SandboxSpec(rootfs=OverlayRoot(lower), argv=("sh", "-c", "cat /from-001 /from-126 /top")))
    assert (result.exit_code, result.setup_error) == (0, None)
    assert result.stdout == b"1\n126\n126\n"


def test_more_layers_than_overlayfs_takes_is_one_clear_error(tmp_path):
    with pytest.raises(SandboxError, match=f"at most {MAX_LAYERS}"):
        mount_overlay(tmp_path, [tmp_path / f"layer-{i}" for i in range(MAX_LAYERS + 1)])
    with pytest.raises(SandboxError, match="at least one layer"):
        mount_overlay(tmp_path, [])


@pytest.mark.sandbox
@pytest.mark.usefixtures("no_leaks")
def test_a_layer_listed_twice_mounts_once_at_its_topmost_place(tmp_path, support):
    if not support.overlay:
        pytest.skip("overlay rootfs needs root")
    base = make_busybox_rootfs(tmp_path / "base")
    again, middle = tmp_path / "again", tmp_path / "middle"
    for layer in (again, middle):
        layer.mkdir()
    (again / "site").mkdir()
    (again / "site" / "index").write_text("again\n")
    (middle / "site").mkdir()
    (middle / "site" / "index").write_text("middle\n")
    # Topmost first: again over middle over again over base. The upper copy must win over middle.
    result = run(SandboxSpec(rootfs=OverlayRoot((again, middle, again, base)), argv=("cat", "/site/index")))
    assert (result.exit_code, result.setup_error, result.stdout) == (0, None, b"again\n")
