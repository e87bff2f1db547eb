"""RUN, package-manager and security rules of the catalogue (issue 5): an explicit tuple, merged into BUILTIN_RULES."""

from __future__ import annotations

from . import (
    df2004_pipe_without_pipefail,
)

RUN_RULES: tuple = (
    df2004_pipe_without_pipefail.RULE,
)
