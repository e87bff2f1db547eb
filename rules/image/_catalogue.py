"""Image rules (target IMAGE): an explicit tuple, merged into BUILTIN_RULES."""

from __future__ import annotations

from . import (
    im1001_unofficial_base_image,
    im1002_unpinned_image_tag,
    im2001_setuid_file,
    im2002_world_writable_file,
    im2003_secret_in_image,
    im2004_package_cache_in_image,
    im2005_build_tools_in_final_image,
    im2006_wasted_space,
    im3001_image_too_large,
    im3002_image_size_regression,
    im3003_layer_too_large,
    im3004_runs_as_root,
)

IMAGE_RULES: tuple = (
    im1001_unofficial_base_image.RULE,
    im1002_unpinned_image_tag.RULE,
    im2001_setuid_file.RULE,
    im2002_world_writable_file.RULE,
    im2003_secret_in_image.RULE,
    im2004_package_cache_in_image.RULE,
    im2005_build_tools_in_final_image.RULE,
    im2006_wasted_space.RULE,
    im3001_image_too_large.RULE,
    im3002_image_size_regression.RULE,
    im3003_layer_too_large.RULE,
    im3004_runs_as_root.RULE,
)
