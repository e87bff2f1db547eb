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
        mount_overlay(tmp_path, [tmp_path] * (MAX_LAYERS + 1))
    with pytest.raises(SandboxError, match="at least one layer"):
        mount_overlay(tmp_path, [])
