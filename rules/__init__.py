"""The built-in rules: an explicit tuple sorted by code, exposed as the ``pylint_image.rules`` entry point.

Each family keeps its own explicit tuple in a ``_catalogue`` module (so that several people
can add rules without editing one list); they are merged and sorted here.  Nothing is
discovered by globbing: tests/rules/test_registry.py fails for a module left out.

Three entry points of the one ``pylint_image.rules`` group expose them by target
(``builtin``: Dockerfile rules, ``builtin-image``, ``builtin-runtime``), so that linting a
Dockerfile never imports the image and runtime rules (start-up time); ``BUILTIN_RULES``
is every built-in rule, loaded on first access.
"""

from __future__ import annotations

from .dockerfile import (
    df0001_parse_error,
    df0002_unused_suppression,
    df0003_lowercase_instruction,
    df1001_unpinned_image_tag,
    df1002_unofficial_base_image,
    df2001_unpinned_package_version,
    df2002_package_cache_not_cleaned,
    df2003_missing_no_install_recommends,
    df3001_shell_form_cmd,
    df3002_runs_as_root,
    df3003_invalid_expose_port,
    df4001_copy_before_install,
)

from .dockerfile._meta_catalogue import META_RULES
from .dockerfile._run_catalogue import RUN_RULES

_CORE_RULES = (
    df0001_parse_error.RULE,
    df0002_unused_suppression.RULE,
    df0003_lowercase_instruction.RULE,
    df1001_unpinned_image_tag.RULE,
    df1002_unofficial_base_image.RULE,
    df2001_unpinned_package_version.RULE,
    df2002_package_cache_not_cleaned.RULE,
    df2003_missing_no_install_recommends.RULE,
    df3001_shell_form_cmd.RULE,
    df3002_runs_as_root.RULE,
    df3003_invalid_expose_port.RULE,
    df4001_copy_before_install.RULE,
)

DOCKERFILE_RULES = tuple(sorted((*_CORE_RULES, *RUN_RULES, *META_RULES), key=lambda r: r.meta.code))


def __getattr__(name: str):
    """Load the image and runtime tuples (and the full list) only when asked for."""
    if name == "IMAGE_RULES":
        from .image._catalogue import IMAGE_RULES

        return IMAGE_RULES
    if name == "RUNTIME_RULES":
        from .runtime._catalogue import RUNTIME_RULES

        return RUNTIME_RULES
    if name == "BUILTIN_RULES":
        from .image._catalogue import IMAGE_RULES
        from .runtime._catalogue import RUNTIME_RULES

        return tuple(sorted((*DOCKERFILE_RULES, *IMAGE_RULES, *RUNTIME_RULES), key=lambda r: r.meta.code))
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

# Tombstones: codes that were removed, with the version and the reason; never reuse them.
REMOVED_CODES: dict[str, str] = {}
