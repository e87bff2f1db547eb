"""``RUNTIME_RULES``: the built-in rules that judge sandbox observations (RT…), sorted by code.

Adding a rule means adding its module here, in code order; nothing is discovered by globbing,
and tests/rules/test_registry.py fails for a module left out or a tuple out of order.
``pylint_image.rules`` exposes this tuple as an entry point of its own, so that a run that
does not judge runtime observations never imports this package.
"""

from __future__ import annotations

from pylint_image.linter import Rule

from . import (
    rt3001_runs_as_root,
    rt3002_build_failed,
    rt3003_entrypoint_not_found,
    rt3004_entrypoint_not_executable,
    rt3005_entrypoint_interpreter_missing,
    rt3006_entrypoint_exits_early,
    rt3007_exposed_port_not_listening,
    rt3008_exposed_port_loopback_only,
    rt3009_undeclared_listening_port,
    rt3010_ignores_stop_signal,
    rt3011_healthcheck_failing,
    rt3012_resource_limit_hit,
    rt3013_slow_start,
)

RUNTIME_RULES: tuple[Rule, ...] = (
    rt3001_runs_as_root.RULE,
    rt3002_build_failed.RULE,
    rt3003_entrypoint_not_found.RULE,
    rt3004_entrypoint_not_executable.RULE,
    rt3005_entrypoint_interpreter_missing.RULE,
    rt3006_entrypoint_exits_early.RULE,
    rt3007_exposed_port_not_listening.RULE,
    rt3008_exposed_port_loopback_only.RULE,
    rt3009_undeclared_listening_port.RULE,
    rt3010_ignores_stop_signal.RULE,
    rt3011_healthcheck_failing.RULE,
    rt3012_resource_limit_hit.RULE,
    rt3013_slow_start.RULE,
)
