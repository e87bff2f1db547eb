"""One verdict vocabulary for both sides: Docker's ground truth and verify's JSON report."""

from __future__ import annotations

import ipaddress
import re


def loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def port_verdicts(declared, sockets) -> dict[str, str]:
    """``{"8000/tcp": "listening" | "loopback-only" | "not-listening" | "undeclared"}``.

    A port counts as listening when one of its sockets is bound to an address a published
    port reaches (a wildcard or the container's own address), loopback-only when every socket
    is on a loopback address.
    """
    by_key: dict[str, set[str]] = {}
    for address, port, protocol in sockets:
        by_key.setdefault(f"{port}/{protocol}", set()).add(address)
    verdicts = {}
    for key in declared:
        addresses = by_key.get(key)
        if not addresses:
            verdicts[key] = "not-listening"
        elif all(loopback(a) for a in addresses):
            verdicts[key] = "loopback-only"
        else:
            verdicts[key] = "listening"
    for key in by_key:
        if key not in verdicts:
            verdicts[key] = "undeclared"
    return dict(sorted(verdicts.items()))


_UP = ("running", "ready")   # "ready": every EXPOSEd port opened (the time to ready is shown)
_KINDS = ("not-found", "not-executable", "interpreter-missing")


def from_report(report: dict) -> dict:
    """Map ``pylint-image verify --format json`` to the verdict fields."""
    rows = {row[0]: row for table in report.get("tables", ()) for row in table["rows"]}
    codes = sorted({f["code"] for f in report.get("findings", ())})
    errors = [f"{n.get('id', n.get('code', '?'))}: {n.get('message', '')}"
              for n in report.get("notifications", ()) if n.get("level") == "error"]
    verdict: dict = {}
    entry = rows.get("entrypoint")
    verdict["entrypoint"] = entry[1] if entry else ("error" if errors else "?")
    start = rows.get("start")
    if errors and (start is None or start[1] == "skipped") and verdict["entrypoint"] == "ok":
        verdict["state"] = "error: " + errors[0][:200]
    elif verdict["entrypoint"] in _KINDS:
        verdict["state"] = "not started"
    elif start is not None and start[1] in _UP:
        verdict["state"] = "running"
    elif start is not None and start[1] == "exited":
        found = re.match(r"(exit code|signal) (-?\d+)", start[2])
        verdict["state"] = (f"exit {found.group(2)}" if found.group(1) == "exit code"
                            else f"signal {found.group(2)}") if found else start[2]
    if start is not None and start[1] in _UP:
        ports = {}
        for probe, row in rows.items():
            if probe.startswith("port "):
                key = probe.removeprefix("port ")
                if "undeclared" in row[2].split(" ", 1)[0]:
                    ports[key] = "undeclared"
                else:
                    ports[key] = {"listening": "listening", "loopback only": "loopback-only",
                                  "not listening": "not-listening"}.get(row[1], row[1])
        verdict["ports"] = dict(sorted(ports.items()))
    user = rows.get("user")
    if user is not None and start is not None and start[1] in _UP:
        verdict["uid"] = int(user[2].split()[-1])
    if "healthcheck" in rows:
        verdict["health"] = rows["healthcheck"][1]
    if "stop" in rows:
        verdict["stop"] = rows["stop"][1]
    resources = rows.get("resources")
    oom = bool(resources and re.search(r"OOM kills [1-9]", resources[2]))
    verdict["oom"] = "oom-killed" if oom else "no"
    return {"verdict": verdict, "record": {"findings": codes, "errors": errors,
                                           "table": [list(r) for r in rows.values()]}}
