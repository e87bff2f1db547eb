"""Differential comparison of pylint-image with hadolint on a set of Dockerfiles (issue 5, item 4).

Both tools lint every file in ONE invocation each; this module turns their JSON output into
per-rule agreement figures:

- for every hadolint DL rule: hadolint's hits as (file, instruction line), the hits of our
  rules that list the DL id in ``RuleMeta.aliases``, and the recall (share of hadolint's hits
  we also report; hits on files we reject as unparsable are left out of it and counted apart,
  since BuildKit rejects those files too, see the differential test);
- for every rule of ours with DL aliases: its hits that hadolint reports under none of those
  aliases ("extra"), not counting files hadolint cannot parse (those are counted apart);
- the files each tool fails to parse (hadolint ``DL1000`` vs our ``DF0001``);
- the wall time of both tools and the ratio.

Lines are compared per instruction: hadolint reports the first line of an instruction, while
a finding of ours may point at a token on a continuation line, so both sides are mapped to the
first line of the instruction that contains them (with our own parser).

Used by ``bench/compare_hadolint.py`` (table, Markdown, JSON) and by
``tests/rules/test_hadolint_differential.py``.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from pylint_image.linter import find_tool

REPO = Path(__file__).resolve().parent.parent
HADOLINT_PARSE_ERROR = "DL1000"
OUR_PARSE_ERROR = "DF0001"

Hit = tuple[str, int]  # (file name relative to the corpus dir, instruction start line)


def find_corpus(repo: Path = REPO) -> Path | None:
    """The corpus ``files/`` directory (``../shared/corpus/files`` or ``/work/shared``), if present."""
    for candidate in (repo.parent / "shared" / "corpus" / "files", Path("/work/shared/corpus/files")):
        if candidate.is_dir():
            return candidate
    return None


def corpus_files(corpus: Path) -> list[Path]:
    """Every regular file of the corpus directory, sorted by name."""
    return sorted(p for p in corpus.iterdir() if p.is_file())


@dataclass
class ToolRun:
    """What one tool reported on the file set."""

    tool: str
    seconds: float
    hits: dict[str, set[Hit]] = field(default_factory=dict)  # code -> hits (raw lines)
    parse_failures: set[str] = field(default_factory=set)  # file names
    errors: list[str] = field(default_factory=list)  # tool-level problems worth showing


def _timed(cmd: Sequence[str], cwd: Path | None = None) -> tuple[subprocess.CompletedProcess[str], float]:
    start = time.perf_counter()
    proc = subprocess.run(list(cmd), capture_output=True, text=True, cwd=cwd, check=False)
    return proc, time.perf_counter() - start


def _key(path: str, base: Path) -> str:
    """A stable key for a reported path: its name (corpus files are flat and unique)."""
    return Path(path).name if path else str(base)


def run_hadolint(files: Sequence[Path], exe: str | None = None) -> ToolRun:
    """Run ``hadolint --no-fail --format json`` once on all files.

    hadolint 2.x reports a file it cannot parse as a ``DL1000`` finding and goes on; older
    builds stop at the first such file. When the JSON is missing or unusable, each file is
    linted on its own so that the failures can be told apart and counted.
    """
    exe = exe or find_tool("hadolint")
    if not exe:
        raise FileNotFoundError("hadolint not found")
    proc, seconds = _timed([exe, "--no-fail", "--format", "json", *map(str, files)])
    run = ToolRun("hadolint", seconds)
    try:
        items = json.loads(proc.stdout or "null")
    except json.JSONDecodeError:
        items = None
    if not isinstance(items, list) or proc.returncode not in (0, 1):
        run.errors.append(f"hadolint exited {proc.returncode}: {proc.stderr.strip()[:200]}; linting files one by one")
        items = []
        for f in files:
            one, _ = _timed([exe, "--no-fail", "--format", "json", str(f)])
            try:
                got = json.loads(one.stdout or "null")
            except json.JSONDecodeError:
                got = None
            if isinstance(got, list):
                items.extend(got)
            else:
                items.append({"code": HADOLINT_PARSE_ERROR, "file": str(f), "line": 1})
    for item in items:
        name, code, line = _key(item.get("file", ""), files[0]), item.get("code", ""), int(item.get("line") or 1)
        if code == HADOLINT_PARSE_ERROR:
            run.parse_failures.add(name)
        run.hits.setdefault(code, set()).add((name, line))
    return run


def run_ours(files: Sequence[Path], exe: str | None = None, extra_args: Sequence[str] = ()) -> ToolRun:
    """Run ``pylint-image --format json --fail-on never`` once on all files (active findings only)."""
    exe = exe or find_tool("pylint-image")
    if not exe:
        raise FileNotFoundError("pylint-image not found")
    proc, seconds = _timed([exe, "--format", "json", "--fail-on", "never", *extra_args, *map(str, files)])
    run = ToolRun("pylint-image", seconds)
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        run.errors.append(f"pylint-image exited {proc.returncode}: {proc.stderr.strip()[:300]}")
        return run
    for note in report.get("notifications", []):
        if note.get("level") == "error":
            run.errors.append(f"{note.get('id')}: {note.get('rule') or ''} {note.get('message', '')[:160]}")
    for finding in report.get("findings", []):
        loc = finding.get("location") or {}
        if finding.get("suppressed") or loc.get("kind") != "source":
            continue
        name, code = _key(loc.get("path", ""), files[0]), finding["code"]
        if code == OUR_PARSE_ERROR:
            run.parse_failures.add(name)
        run.hits.setdefault(code, set()).add((name, int(loc.get("line") or 1)))
    return run


def rule_catalogue(exe: str | None = None, preview: bool = False) -> list[dict]:
    """``pylint-image rules --format json``: code, name, status, aliases of every rule.

    Preview rules are left out unless ``preview`` (they do not run without ``--preview``).
    """
    exe = exe or find_tool("pylint-image")
    if not exe:
        raise FileNotFoundError("pylint-image not found")
    cmd = [exe, "rules", "--format", "json"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return [r for r in json.loads(proc.stdout) if preview or r.get("status") != "preview"]


def dl_aliases(catalogue: Iterable[Mapping]) -> dict[str, tuple[str, ...]]:
    """Our rule code -> its hadolint DL aliases (rules without any are left out)."""
    out = {}
    for rule in catalogue:
        dls = tuple(a for a in rule.get("aliases", ()) if a.startswith("DL") and a[2:].isdigit())
        if dls:
            out[rule["code"]] = dls
    return out


def instruction_starts(path: Path) -> dict[int, int]:
    """Map each line of an instruction to the instruction's first line (empty when unparsable)."""
    from pylint_image.linter.errors import PylintImageError  # noqa: PLC0415 - keeps import cheap
    from pylint_image.linter.parse import parse_dockerfile  # noqa: PLC0415

    try:
        dockerfile = parse_dockerfile(path)
    except (PylintImageError, ValueError, RecursionError):
        return {}
    starts: dict[int, int] = {}
    for ins in dockerfile.instructions():
        for line in range(ins.span.start_line, ins.span.end_line + 1):
            starts.setdefault(line, ins.span.start_line)
    return starts


def _normalize(runs: Iterable[ToolRun], corpus: Path) -> None:
    """Rewrite every hit's line to the first line of its instruction, in place."""
    names = {name for run in runs for hits in run.hits.values() for name, _ in hits}
    maps = {name: instruction_starts(corpus / name) for name in names}
    for run in runs:
        for code, hits in run.hits.items():
            run.hits[code] = {(n, maps[n].get(line, line)) for n, line in hits}


@dataclass
class DlRow:
    """Agreement on one hadolint rule."""

    dl: str
    rules: tuple[str, ...]  # our rules carrying the alias
    hadolint: int
    ours: int  # hits of those rules (all DL aliases of theirs)
    matched: int
    missed: list[Hit]
    on_rejected: int = 0  # hadolint hits on files we reject as unparsable (BuildKit rejects them too)

    @property
    def judged(self) -> int:
        """hadolint's hits that count for recall (those on files we parse)."""
        return self.hadolint - self.on_rejected

    @property
    def recall(self) -> float | None:
        return self.matched / self.judged if self.judged else None


@dataclass
class RuleRow:
    """Extra hits of one rule of ours: reported where hadolint reports none of its DL aliases."""

    code: str
    dls: tuple[str, ...]
    ours: int
    agreed: int
    extra: list[Hit]
    on_unparsed: int  # hits on files hadolint cannot parse (not counted as extra)


@dataclass
class Comparison:
    """The whole result, JSON-serialisable through ``to_json``."""

    files: int
    hadolint: ToolRun
    ours: ToolRun
    dl_rows: list[DlRow]
    rule_rows: list[RuleRow]
    unmapped: dict[str, int]  # DL ids no rule of ours carries -> hadolint hits on files we parse

    @property
    def ratio(self) -> float:
        return self.ours.seconds / self.hadolint.seconds if self.hadolint.seconds else float("inf")

    def row(self, dl: str) -> DlRow | None:
        return next((r for r in self.dl_rows if r.dl == dl), None)

    def to_json(self) -> dict:
        def hit(h: Hit) -> str:
            return f"{h[0]}:{h[1]}"

        return {
            "files": self.files,
            "time": {"hadolint": round(self.hadolint.seconds, 3), "pylint_image": round(self.ours.seconds, 3),
                     "ratio": round(self.ratio, 4)},
            "parse_failures": {"hadolint": sorted(self.hadolint.parse_failures),
                               "pylint_image": sorted(self.ours.parse_failures)},
            "dl_rules": [{"dl": r.dl, "rules": list(r.rules), "hadolint": r.hadolint, "ours": r.ours,
                          "matched": r.matched, "on_rejected": r.on_rejected, "recall": r.recall, "missed": [hit(h) for h in r.missed]}
                         for r in self.dl_rows],
            "our_rules": [{"code": r.code, "dl": list(r.dls), "ours": r.ours, "agreed": r.agreed,
                           "extra": [hit(h) for h in r.extra], "on_hadolint_unparsed": r.on_unparsed}
                          for r in self.rule_rows],
            "unmapped": self.unmapped,
            "errors": {"hadolint": self.hadolint.errors, "pylint_image": self.ours.errors},
        }


def compare(hadolint: ToolRun, ours: ToolRun, aliases: Mapping[str, tuple[str, ...]], files: int) -> Comparison:
    """Compute the per-DL and per-rule figures from two normalised runs."""
    by_dl: dict[str, list[str]] = defaultdict(list)
    for code, dls in aliases.items():
        for dl in dls:
            if dl != HADOLINT_PARSE_ERROR:  # parse failures are compared file by file, apart
                by_dl[dl].append(code)
    theirs = {code: hits for code, hits in hadolint.hits.items() if code.startswith("DL") and code != HADOLINT_PARSE_ERROR}
    dl_rows = []
    for dl in sorted(set(theirs) | set(by_dl)):
        rules = tuple(sorted(by_dl.get(dl, ())))
        mine = set().union(*(ours.hits.get(c, set()) for c in rules)) if rules else set()
        h = theirs.get(dl, set())
        rejected = {x for x in h if x[0] in ours.parse_failures}
        dl_rows.append(DlRow(dl, rules, len(h), len(mine), len(h & mine), sorted(h - mine - rejected), len(rejected)))
    rule_rows = []
    for code, dls in sorted(aliases.items()):
        if code == OUR_PARSE_ERROR:  # its hits are the parse-failure counts, not rule hits
            continue
        mine = ours.hits.get(code, set())
        reported = set().union(*(theirs.get(dl, set()) for dl in dls))
        on_unparsed = {h for h in mine if h[0] in hadolint.parse_failures}
        extra = sorted(mine - reported - on_unparsed)
        rule_rows.append(RuleRow(code, dls, len(mine), len(mine & reported), extra, len(on_unparsed)))
    # on files we reject (BuildKit rejects them too) DF0001 is the answer, whatever hadolint says
    unmapped = {dl: n for dl, h in sorted(theirs.items())
                if dl not in by_dl and (n := sum(1 for x in h if x[0] not in ours.parse_failures))}
    return Comparison(files, hadolint, ours, dl_rows, rule_rows, unmapped)


def run_comparison(corpus: Path, *, parallel: bool = False, preview: bool = False,
                   hadolint_exe: str | None = None, ours_exe: str | None = None) -> Comparison:
    """Lint the corpus with both tools and compare.

    ``parallel`` runs the two tools at the same time (faster, for tests; the timings then
    include contention and the ratio is only indicative).
    """
    files = corpus_files(corpus)
    extra = ["--preview"] if preview else []
    if parallel:
        with ThreadPoolExecutor(2) as pool:
            h_future = pool.submit(run_hadolint, files, hadolint_exe)
            o_future = pool.submit(run_ours, files, ours_exe, extra)
            theirs, mine = h_future.result(), o_future.result()
    else:
        mine = run_ours(files, ours_exe, extra)
        theirs = run_hadolint(files, hadolint_exe)
    _normalize((theirs, mine), corpus)
    aliases = dl_aliases(rule_catalogue(ours_exe, preview))
    return compare(theirs, mine, aliases, len(files))
