"""``IMAGE_RULES``: the built-in rules that judge a built or pulled image (IM…), sorted by code.

Adding a rule means adding its module here, in code order; nothing is discovered by globbing,
and tests/rules/test_registry.py fails for a module left out or a tuple out of order.
``pylint_image.rules`` exposes this tuple as an entry point of its own, so that a run that
does not judge images never imports this package.
"""

from __future__ import annotations

from pylint_image.linter import Rule

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
    im4001_hostile_layer_entry,
    im4002_malformed_layer_entry,
)

IMAGE_RULES: tuple[Rule, ...] = (
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
    im4001_hostile_layer_entry.RULE,
    im4002_malformed_layer_entry.RULE,
)
