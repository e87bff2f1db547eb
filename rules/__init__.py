"""The built-in rules, one explicit tuple per target, exposed as ``pylint_image.rules`` entry points.

Each target's package holds its tuple, written out and sorted by code:
``rules.dockerfile.DOCKERFILE_RULES``, ``rules.image.IMAGE_RULES`` and
``rules.runtime.RUNTIME_RULES``.  Nothing is discovered by globbing:
tests/rules/test_registry.py fails for a module left out of its tuple.

Three entry points of the one ``pylint_image.rules`` group name them here by target
(``builtin``: Dockerfile rules, ``builtin-image``, ``builtin-runtime``).  Every name is
loaded on first access, so that linting a Dockerfile never imports the image and runtime
rules (start-up time) and loading the image rules does not import the Dockerfile ones.
``BUILTIN_RULES`` is every built-in rule, sorted by code.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

# Tombstones: codes that were removed, with the version and the reason; never reuse them.
REMOVED_CODES: dict[str, str] = {}

_TARGET_TUPLES = {"DOCKERFILE_RULES": "dockerfile", "IMAGE_RULES": "image", "RUNTIME_RULES": "runtime",
                  "MANIFEST_RULES": "manifest"}

__all__ = ["BUILTIN_RULES", "DOCKERFILE_RULES", "IMAGE_RULES", "MANIFEST_RULES", "REMOVED_CODES", "RUNTIME_RULES"]


def __getattr__(name: str) -> Any:
    """Import a target's package only when its tuple (or the full list) is asked for."""
    if name in _TARGET_TUPLES:
        return getattr(import_module(f"{__name__}.{_TARGET_TUPLES[name]}"), name)
    if name == "BUILTIN_RULES":
        every = (r for tuple_name in _TARGET_TUPLES for r in __getattr__(tuple_name))
        return tuple(sorted(every, key=lambda r: r.meta.code))
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
