"""``pylint-image rules`` (the table of every rule) and ``pylint-image rule NAME|CODE`` (its doc)."""

from __future__ import annotations

import argparse
import json
import sys

from .errors import PylintImageError


def run_docs_command(name: str, argv: list[str], parser_cls: type[argparse.ArgumentParser]) -> int:
    """Run ``rules`` or ``rule``; return the exit code."""
    from . import docs
    from .plugins import load_registry

    p = parser_cls(prog=f"pylint-image {name}")
    if name == "rule":
        p.add_argument("rule", metavar="NAME|CODE", help="a rule code, name or foreign id (e.g. DL3006)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--no-color", action="store_true")
    args = p.parse_args(argv)
    registry = load_registry()
    color = False if args.no_color else None
    if name == "rules":
        if args.format == "json":
            json.dump([_meta_json(r) for r in registry.rules], sys.stdout, indent=2)
            sys.stdout.write("\n")
        else:
            docs.render_rules_table(registry.rules, sys.stdout, color=color)
        return 0
    found = docs.find_rule(registry.rules, args.rule)
    if found is None:  # another tool's id a rule reports per finding (ShellCheck's SC2086 -> DF2023)
        import re

        token = args.rule.strip().upper()
        found = next((r for r in registry.rules
                      if r.meta.tool_id_pattern and re.fullmatch(r.meta.tool_id_pattern, token)), None)
        if found is not None:
            sys.stderr.write(f"{token} is reported by {found.meta.code} [{found.meta.name}]\n")
    if found is None:
        raise PylintImageError(f"unknown rule '{args.rule}' (see: pylint-image rules)")
    if args.format == "json":
        json.dump({**_meta_json(found), "doc": found.doc}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        docs.render_rule(found, sys.stdout, color=color)
    return 0


def _meta_json(rule) -> dict:
    m = rule.meta
    return {"code": m.code, "name": m.name, "severity": m.severity.value, "target": m.target.value,
            "summary": m.summary, "status": m.status.value, "aliases": list(m.aliases),
            "tags": sorted(m.tags), "fix": m.fix_title, "fixable": m.fixable}
