"""Runtime rules (target RUNTIME): an explicit tuple, merged into BUILTIN_RULES."""

from __future__ import annotations

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

RUNTIME_RULES: tuple = (
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
