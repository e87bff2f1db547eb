"""``MANIFEST_RULES``: the built-in rules that judge a manifest (MF…), sorted by code.

A manifest is a Compose file, a Kubernetes manifest, a GitHub Actions workflow or a GitLab
CI file (``pylint_image.linter.Manifest``).  Adding a rule means adding its module here, in
code order; nothing is discovered by globbing.
"""

from __future__ import annotations

from . import (
    mf1000_unresolved_image_reference,
    mf1001_unpinned_image_tag,
    mf1002_unofficial_base_image,
    mf1003_disallowed_registry,
    mf2001_port_not_exposed,
    mf2002_healthcheck_disabled,
    mf2003_root_image_under_run_as_non_root,
)

MANIFEST_RULES = (
    mf1000_unresolved_image_reference.RULE,
    mf1001_unpinned_image_tag.RULE,
    mf1002_unofficial_base_image.RULE,
    mf1003_disallowed_registry.RULE,
    mf2001_port_not_exposed.RULE,
    mf2002_healthcheck_disabled.RULE,
    mf2003_root_image_under_run_as_non_root.RULE,
)
