"""The probe-results table of the text report: one row per probe, in the order they ran."""

from __future__ import annotations

from pylint_image.linter.model.runtime import Observation, RuntimeRun
from pylint_image.linter.report import Table

_MIB = 1024 * 1024


def _mib(value: int | None) -> str:
    return "-" if value is None else f"{value / _MIB:.1f} MiB"


def _start_row(start: Observation, ports: bool) -> tuple[str, str, str]:
    """Did it stay up, and how long did it take to open every EXPOSEd port (the time to ready)."""
    limit = f"{start.start_window_s:g} s" + (f", {start.start_window_from}" if start.start_window_from else "")
    if start.exited:
        how = f"exit code {start.exit_code}" if start.exit_code is not None else f"signal {start.signal}"
        return "start", "exited", f"{how} within the start window ({limit})"
    if start.ready_s is not None:
        return "start", "ready", f"every EXPOSEd port open after {start.ready_s:.2f} s (start window {limit})"
    if ports:
        return "start", "running", f"not every EXPOSEd port opened within the start window ({limit})"
    return "start", "running", f"still running after the start window ({limit})"


def _rows(run: RuntimeRun) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    if run.build is not None:
        rows.append(("build", "failed", run.build.message))
        return rows
    argv = " ".join(run.argv) or "(none)"
    problem = run.entrypoint
    rows.append(("entrypoint", "ok" if problem is None else problem.kind,
                 argv if problem is None else problem.detail))
    if run.start is None:
        rows.append(("start", "skipped", "not started" if problem is None else "entrypoint cannot run"))
        return rows
    rows.append(_start_row(run.start, any(port.declared for port in run.ports or ())))
    for port in run.ports or ():
        state = ("loopback only" if port.loopback_only else "listening") if port.listening else "not listening"
        kind = "EXPOSE" if port.declared else "undeclared"
        rows.append((f"port {port.label}", state, f"{kind} {', '.join(port.addresses) or '-'}"
                     + ("" if port.reachable is None else f"; connect {'ok' if port.reachable else 'refused'}")))
    if run.uid_seen is not None:
        rows.append(("user", "root" if run.uid_seen == 0 else "non-root", f"uid {run.uid_seen}"))
    if run.health is not None:
        health = run.health
        verdict = "undecided" if health.undecided else "healthy" if health.healthy else "unhealthy"
        detail = f"{health.attempts} attempt(s), exit {health.last_exit}"
        rows.append(("healthcheck", verdict, "; ".join((detail, *health.capped))))
    if run.stop is not None:
        stop = run.stop
        rows.append(("stop", "stopped" if stop.exited else "ignored",
                     f"{stop.signal_name}: {'exited in' if stop.exited else 'still running after'} "
                     f"{stop.seconds:.2f} s"))
    if run.resources is not None:
        res = run.resources
        hit = "limit hit" if res.oom_kills or res.pids_limit_hits else "ok"
        rows.append(("resources", hit, f"memory peak {_mib(res.memory_peak)} of {_mib(res.memory_limit)}, "
                     f"OOM kills {res.oom_kills}, pids limit hits {res.pids_limit_hits} "
                     f"({res.enforced_by})"))
    return rows


def probe_table(run: RuntimeRun) -> Table:
    """The table shown under the findings of ``pylint-image verify``."""
    return Table(f"Probe results: {run.image}", ("probe", "result", "detail"), tuple(_rows(run)))
