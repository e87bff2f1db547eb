"""``pylint-image merge``: the reports of several shards as one (SARIF or JSON, told apart by content).

SARIF: runs of the same tool become one run; rules are deduplicated by id (and results'
``ruleIndex`` renumbered), results are concatenated in a deterministic order (file, line,
column, rule, message, fingerprint) with exact duplicates dropped, and the invocations
become one (successful when every shard's was; every notification kept once).  JSON
(docs/json-format.md): targets, findings, notifications and tables are concatenated the
same way.  The exit code is lint's, on the merged findings: 1 when a finding that is not
suppressed is at or above ``--fail-on`` (default warning), else 0; 2 for an unreadable
input.  SARIF levels are coarser than severities: ``note`` counts as ``info`` (a style
finding fails ``--fail-on info`` after a merge of SARIF).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from .config import FAIL_ON
from .errors import UsageError
from .json_file import load_json_file
from .findings import Severity

KINDS = ("sarif", "json")
DESCRIPTION = ("Merge the SARIF or JSON reports of shards (--shard K/N) into one: rules deduplicated, "
               "results in a deterministic order, invocations merged. The exit code is lint's, on the "
               "merged findings.")
_SARIF_LEVELS = {"error": Severity.ERROR, "warning": Severity.WARNING, "note": Severity.INFO, "none": Severity.STYLE}


def read(path: Path) -> tuple[str, dict[str, Any]]:
    """(kind, document) of one report; anything else is a usage error naming the file (and line)."""
    _, doc = load_json_file(path, "report", "not a SARIF or JSON report")
    return detect(doc, path), doc


def detect(doc: object, path: Path | str = "") -> str:
    """``sarif`` (a 2.1.0 log) or ``json`` (our versioned document), by content."""
    if isinstance(doc, dict):
        if isinstance(doc.get("runs"), list) and str(doc.get("version", "")).startswith("2.1"):
            if all(isinstance(r, dict) for r in doc["runs"]):
                return "sarif"
        if isinstance(doc.get("schema"), int) and isinstance(doc.get("findings"), list) \
                and isinstance(doc.get("tool"), dict) and doc["tool"].get("name") == "pylint-image":
            return "json"
    raise UsageError("not a SARIF 2.1.0 log or a pylint-image JSON report", path or None)


def _unique(items: Sequence[Any]) -> list[Any]:
    """Items without exact duplicates (a file two shards both reported), first occurrence kept."""
    seen: set[str] = set()
    out = []
    for item in items:
        key = json.dumps(item, sort_keys=True, ensure_ascii=False)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _sorted(items: list[Any], key: Callable[[Any], tuple]) -> list[Any]:
    """Deterministic order whatever order the shards came in: the key, then the whole item."""
    return sorted(items, key=lambda i: (key(i), json.dumps(i, sort_keys=True, ensure_ascii=False)))


# --- SARIF --------------------------------------------------------------------------------


def merge_sarif(docs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One SARIF log: one run per tool (by driver name), merged."""
    by_tool: dict[str, list[dict[str, Any]]] = {}
    for doc in docs:
        for run in doc["runs"]:
            name = str(run.get("tool", {}).get("driver", {}).get("name", ""))
            by_tool.setdefault(name, []).append(run)
    first = docs[0]
    out = {k: v for k, v in first.items() if k != "runs"}
    out["runs"] = [_merge_runs(runs) for _, runs in sorted(by_tool.items())]
    return out


def _merge_runs(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    merged = {k: v for k, v in runs[0].items() if k not in ("results", "invocations", "tool", "originalUriBaseIds")}
    driver = dict(runs[0].get("tool", {}).get("driver", {}))
    rules: dict[str, Any] = {}
    for run in runs:
        for rule in run.get("tool", {}).get("driver", {}).get("rules", []) or []:
            rules.setdefault(str(rule.get("id", "")), rule)
    ordered = [rules[k] for k in sorted(rules)]
    index = {k: i for i, k in enumerate(sorted(rules))}
    if ordered:
        driver["rules"] = ordered
    merged["tool"] = {**runs[0].get("tool", {}), "driver": driver}
    bases: dict[str, Any] = {}
    for run in runs:
        for key, value in (run.get("originalUriBaseIds") or {}).items():
            bases.setdefault(key, value)
    if bases:
        merged["originalUriBaseIds"] = bases
    results = []
    for run in runs:
        run_rules = run.get("tool", {}).get("driver", {}).get("rules", []) or []
        for result in run.get("results", []) or []:
            result = dict(result)
            rule_id = result.get("ruleId")
            if rule_id is None and isinstance(result.get("ruleIndex"), int) and result["ruleIndex"] < len(run_rules):
                rule_id = run_rules[result["ruleIndex"]].get("id")
            if rule_id in index:
                result["ruleIndex"] = index[rule_id]
            results.append(result)
    merged["results"] = _sorted(_unique(results), _result_key)
    merged["invocations"] = [_merge_invocations([i for run in runs for i in run.get("invocations", []) or []])]
    return merged


def _result_key(result: dict[str, Any]) -> tuple:
    loc = (result.get("locations") or [{}])[0]
    physical = loc.get("physicalLocation") or {}
    uri = str((physical.get("artifactLocation") or {}).get("uri", ""))
    region = physical.get("region") or {}
    logical = (loc.get("logicalLocations") or [{}])[0].get("fullyQualifiedName", "")
    fingerprint = json.dumps(result.get("partialFingerprints", {}), sort_keys=True)
    return (uri, int(region.get("startLine", 0)), int(region.get("startColumn", 0)), str(result.get("ruleId", "")),
            str(logical), str((result.get("message") or {}).get("text", "")), fingerprint)


def _merge_invocations(invocations: Sequence[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {"executionSuccessful": all(i.get("executionSuccessful", True) for i in invocations)}
    notes = _unique([n for i in invocations for n in i.get("toolExecutionNotifications", []) or []])
    if notes:
        merged["toolExecutionNotifications"] = notes
    return merged


def sarif_severities(doc: dict[str, Any]) -> list[Severity]:
    """The severity of every result that is not suppressed (``note`` is info)."""
    out = []
    for run in doc["runs"]:
        rules = run.get("tool", {}).get("driver", {}).get("rules", []) or []
        for result in run.get("results", []) or []:
            if any(s.get("status", "accepted") == "accepted" for s in result.get("suppressions") or []):
                continue
            level = result.get("level")
            if level is None and isinstance(result.get("ruleIndex"), int) and result["ruleIndex"] < len(rules):
                level = (rules[result["ruleIndex"]].get("defaultConfiguration") or {}).get("level")
            out.append(_SARIF_LEVELS.get(str(level or "warning"), Severity.WARNING))
    return out


# --- JSON ---------------------------------------------------------------------------------


def merge_json(docs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One JSON report of several of the same schema version."""
    versions = {d["schema"] for d in docs}
    if len(versions) > 1:
        raise UsageError(f"cannot merge JSON reports of different schema versions: {sorted(versions)}")
    out = dict(docs[0])
    out["targets"] = sorted({str(t) for d in docs for t in d.get("targets", [])})
    out["findings"] = _sorted(_unique([f for d in docs for f in d.get("findings", [])]), _finding_key)
    out["notifications"] = _unique([n for d in docs for n in d.get("notifications", [])])
    out["tables"] = _unique([t for d in docs for t in d.get("tables", [])])
    return out


def _finding_key(f: dict[str, Any]) -> tuple:
    """Finding.sort_key on the JSON: file, line, column, code, message (an image finding by image)."""
    loc = f.get("location") or {}
    src = loc if loc.get("kind") == "source" else loc.get("source")
    if src:
        return (str(src.get("path", "")), int(src.get("line", 0)), int(src.get("column", 0)),
                str(f.get("code", "")), str(f.get("message", "")))
    return (str(loc.get("image", "")), 0, 0, str(f.get("code", "")), str(f.get("message", "")))


def json_severities(doc: dict[str, Any]) -> list[Severity]:
    """The severity of every finding that is not suppressed."""
    out = []
    for f in doc.get("findings", []):
        if f.get("suppressed") is None:
            try:
                out.append(Severity.parse(str(f.get("severity", "warning"))))
            except ValueError:
                out.append(Severity.WARNING)
    return out


# --- the command --------------------------------------------------------------------------


def merge_files(paths: Sequence[Path]) -> tuple[str, dict[str, Any]]:
    """Read and merge reports of one kind; (kind, merged document)."""
    read_docs = [(path, *read(path)) for path in paths]
    kinds = {kind for _, kind, _ in read_docs}
    if len(kinds) > 1:
        listed = ", ".join(f"{p} ({k})" for p, k, _ in read_docs)
        raise UsageError(f"cannot merge SARIF with JSON reports: {listed}")
    kind = kinds.pop()
    docs = [doc for _, _, doc in read_docs]
    return kind, merge_sarif(docs) if kind == "sarif" else merge_json(docs)


def exit_code(kind: str, doc: dict[str, Any], fail_on: str) -> int:
    """lint's exit code on the merged findings: 1 at or above ``fail_on``, else 0."""
    if fail_on == "never":
        return 0
    threshold = Severity(fail_on)
    severities = sarif_severities(doc) if kind == "sarif" else json_severities(doc)
    return 1 if any(s.at_least(threshold) for s in severities) else 0


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The ``merge`` command's options."""
    p.add_argument("reports", nargs="+", type=Path, metavar="REPORT",
                   help="SARIF or JSON reports of pylint-image (one kind; told apart by content)")
    p.add_argument("-o", "--output", type=Path, help="write the merged report to FILE instead of stdout")
    p.add_argument("-f", "--format", choices=KINDS,
                   help="the merged report's format; default: the inputs' (it must be theirs: merge does not convert)")
    p.add_argument("--fail-on", choices=FAIL_ON, default="warning",
                   help="lowest severity of a merged finding that makes the exit code 1 (default warning)")


def run_merge_command(argv: list[str], parser_cls: type[argparse.ArgumentParser],
                      stdout: TextIO, stderr: TextIO) -> int:
    """``pylint-image merge REPORT...``: write the merged report; return the exit code."""
    p = parser_cls(prog="pylint-image merge", description=DESCRIPTION)
    add_arguments(p)
    args = p.parse_args(argv)
    kind, doc = merge_files(args.reports)
    if args.format is not None and args.format != kind:
        raise UsageError(f"--format {args.format}: the reports are {kind} (merge does not convert)")
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if args.output is not None:
        try:
            args.output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"{args.output}: cannot write report: {exc.strerror}") from None
    else:
        stdout.write(text)
        stdout.flush()
    return exit_code(kind, doc, args.fail_on)
