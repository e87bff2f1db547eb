"""The built-in registry is complete, sorted and well-formed (ARCHITECTURE §4.11)."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pylint_image.rules as builtin
from pylint_image.linter.docs import missing_headings
from pylint_image.linter.ruleapi import CODE_RE, NAME_RE, Target

RULES_DIR = Path(builtin.__file__).resolve().parent
FOLDERS = {Target.DOCKERFILE: "dockerfile", Target.IMAGE: "image", Target.RUNTIME: "runtime",
           Target.MANIFEST: "manifest"}
PREFIX = {Target.DOCKERFILE: "DF", Target.IMAGE: "IM", Target.RUNTIME: "RT", Target.MANIFEST: "MF"}
TUPLES = {Target.DOCKERFILE: "DOCKERFILE_RULES", Target.IMAGE: "IMAGE_RULES", Target.RUNTIME: "RUNTIME_RULES",
          Target.MANIFEST: "MANIFEST_RULES"}


def test_codes_and_names_are_unique_and_well_formed() -> None:
    codes = [r.meta.code for r in builtin.BUILTIN_RULES]
    # A name may be shared across targets (runs-as-root judges Dockerfiles and images).
    names = [(r.meta.name, r.meta.target) for r in builtin.BUILTIN_RULES]
    assert len(set(codes)) == len(codes)
    assert len(set(names)) == len(names)
    for r in builtin.BUILTIN_RULES:
        assert CODE_RE.match(r.meta.code) and r.meta.code.startswith(PREFIX[r.meta.target]), r.meta.code
        assert NAME_RE.match(r.meta.name), r.meta.name
        assert r.meta.summary and not r.meta.summary.endswith("."), r.meta.code


def test_builtin_rules_are_sorted_by_code() -> None:
    codes = [r.meta.code for r in builtin.BUILTIN_RULES]
    assert codes == sorted(codes)


def test_each_target_has_one_tuple_written_in_code_order() -> None:
    for target, folder in FOLDERS.items():
        package = importlib.import_module(f"pylint_image.rules.{folder}")
        rules = getattr(package, TUPLES[target])
        codes = [r.meta.code for r in rules]
        # the tuple itself is sorted (not sorted at import time), so a reader sees code order
        assert codes == sorted(codes), f"{TUPLES[target]} is not in code order"
        assert len(set(codes)) == len(codes)
        assert all(r.meta.target is target for r in rules), TUPLES[target]
        assert getattr(builtin, TUPLES[target]) is rules
        # one catalogue per target: no other private module holds a second list
        private = sorted(p.name for p in (RULES_DIR / folder).glob("_*.py") if p.name != "__init__.py")
        assert not private, f"{folder}/ has modules besides its rule modules: {private}"
    every = [r for t in TUPLES.values() for r in getattr(builtin, t)]
    assert sorted(map(id, every)) == sorted(map(id, builtin.BUILTIN_RULES))


def test_every_rule_module_is_registered_and_named_after_its_rule() -> None:
    for target, folder in FOLDERS.items():
        registered = {id(r) for r in getattr(importlib.import_module(f"pylint_image.rules.{folder}"), TUPLES[target])}
        modules = sorted((RULES_DIR / folder).glob("*.py"))
        assert len(modules) > 1, folder
        for module_path in modules:
            if module_path.name == "__init__.py":
                continue
            module = importlib.import_module(f"pylint_image.rules.{folder}.{module_path.stem}")
            rule = module.RULE
            assert id(rule) in registered, f"{module_path.name} is not in rules/{folder}/__init__.py {TUPLES[target]}"
            expected = f"{rule.meta.code.lower()}_{rule.meta.name.replace('-', '_')}"
            assert module_path.stem == expected, f"{module_path.name} should be {expected}.py"
            assert rule.meta.target is target


def test_linting_a_dockerfile_imports_no_image_or_runtime_rule() -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "Dockerfile"
    code = (
        "import sys\n"
        "from pylint_image.linter.cli import main\n"
        f"status = main([{str(example)!r}, '--format', 'json'])\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('pylint_image.rules.'))\n"
        "print(status, *loaded, file=sys.stderr)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    status, *loaded = run.stderr.split()
    assert status in ("0", "1"), run.stderr
    assert "pylint_image.rules.dockerfile.df1001_unpinned_image_tag" in loaded  # the probe sees rule imports
    assert not [m for m in loaded if m.startswith(("pylint_image.rules.image", "pylint_image.rules.runtime"))]


def test_every_builtin_doc_has_the_required_headings() -> None:
    for r in builtin.BUILTIN_RULES:
        assert not missing_headings(r.doc), (r.meta.code, missing_headings(r.doc))


def test_removed_codes_are_not_reused() -> None:
    codes = {r.meta.code for r in builtin.BUILTIN_RULES}
    assert not codes & set(getattr(builtin, "REMOVED_CODES", {}))


def test_foreign_ids_are_well_formed() -> None:
    for r in builtin.BUILTIN_RULES:
        for alias in r.meta.aliases:
            assert re.match(r"^[A-Za-z][A-Za-z0-9_\-]*$", alias), (r.meta.code, alias)


def test_committed_rule_docs_are_generated_from_current_rules(tmp_path) -> None:
    from pylint_image.linter.docs import write_docs

    write_docs(builtin.BUILTIN_RULES, tmp_path)
    committed = Path(__file__).resolve().parents[2] / "docs" / "rules"
    fresh = {p.name: p.read_text() for p in tmp_path.iterdir()}
    old = {p.name: p.read_text() for p in committed.iterdir()}
    stale = sorted(n for n in fresh.keys() | old.keys() if fresh.get(n) != old.get(n))
    assert not stale, f"docs/rules is stale for {stale}: run python -m pylint_image.linter.docs --out docs/rules"
