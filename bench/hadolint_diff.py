"""Differential comparison of pylint-image with hadolint on a set of Dockerfiles (issues 5 and 11).

Both tools lint every file in ONE invocation each; this module turns their JSON output into
per-hadolint-id agreement figures.  Each finding of ours counts for the hadolint ids it
carries itself (its foreign ids, issue 11: an apt finding of DF2001 carries DL3008, a pip
one DL3013); a finding that carries no DL id counts for its rule's DL aliases, exactly as
``--select DLnnnn`` picks findings (not when its rule declares ``exact_tool_ids``: its
findings list all their ids).  Hits are (file, instruction line) pairs, so per DL id:

- *both*: hits both tools report; *missed*: hadolint's hits we do not report; *extra*: our
  hits hadolint does not report;
- recall = both / hadolint's hits, precision = both / our hits.  hadolint's hits on files we
  reject as unparsable (BuildKit rejects them too) and our hits on files hadolint cannot
  parse are left out of both and counted apart;
- the files each tool fails to parse (hadolint ``DL1000`` vs our ``DF0001``);
- the wall time of both tools and the ratio.

Lines are compared per instruction: hadolint reports the first line of an instruction, while
a finding of ours may point at a token on a continuation line, so both sides are mapped to the
first line of the instruction that contains them (with our own parser).

Used by ``bench/compare_hadolint.py`` (table, Markdown, JSON, the generated table of
docs/hadolint-differences.md) and by ``tests/rules/test_hadolint_differential.py``.
"""

from __future__ import annotations

import fnmatch
import json
import re
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
_DL = re.compile(r"DL\d{4}")
# The JSON key of a finding's foreign ids (docs/json-format.md); older spellings are read too.
FOREIGN_ID_KEYS = ("foreign_ids", "tool_ids", "foreignIds")

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
    # ours: (our code, hit, the finding's own foreign ids) of every active finding
    tagged: list[tuple[str, Hit, tuple[str, ...]]] = field(default_factory=list)


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


def foreign_ids(finding: Mapping) -> tuple[str, ...]:
    """The foreign ids a JSON finding carries itself (empty when it carries none)."""
    for key in FOREIGN_ID_KEYS:
        value = finding.get(key)
        if value:
            return tuple(str(v) for v in value)
    return ()


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
        hit = (name, int(loc.get("line") or 1))
        run.hits.setdefault(code, set()).add(hit)
        run.tagged.append((code, hit, foreign_ids(finding)))
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
        dls = tuple(a for a in rule.get("aliases", ()) if _DL.fullmatch(a))
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
    runs = list(runs)
    names = {name for run in runs for hits in run.hits.values() for name, _ in hits}
    maps = {name: instruction_starts(corpus / name) for name in names}

    def norm(hit: Hit) -> Hit:
        return hit[0], maps[hit[0]].get(hit[1], hit[1])

    for run in runs:
        for code, hits in run.hits.items():
            run.hits[code] = {norm(h) for h in hits}
        run.tagged = [(code, norm(hit), ids) for code, hit, ids in run.tagged]


@dataclass
class DlRow:
    """Agreement on one hadolint id: hits of hadolint, hits of our findings carrying the id."""

    dl: str
    rules: tuple[str, ...]  # our rules carrying the alias (or whose findings carry the id)
    hadolint: int  # judged hits (on files we parse)
    ours: int  # judged hits (on files hadolint parses)
    both: int
    missed: list[Hit]
    extra: list[Hit]
    on_rejected: int = 0  # hadolint hits on files we reject as unparsable (BuildKit rejects them too)
    on_unparsed: int = 0  # our hits on files hadolint cannot parse

    @property
    def judged(self) -> int:
        """hadolint's hits that count for recall (those on files we parse)."""
        return self.hadolint

    @property
    def matched(self) -> int:
        return self.both

    @property
    def recall(self) -> float | None:
        return self.both / self.hadolint if self.hadolint else None

    @property
    def precision(self) -> float | None:
        return self.both / self.ours if self.ours else None


@dataclass(frozen=True, order=True)
class Difference:
    """One hit only one tool reports: ``kind`` is ``missed`` (only hadolint) or ``extra`` (only us)."""

    dl: str
    kind: str
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.dl} {self.kind} {self.file}:{self.line}"


@dataclass
class Comparison:
    """The whole result, JSON-serialisable through ``to_json``."""

    files: int
    hadolint: ToolRun
    ours: ToolRun
    dl_rows: list[DlRow]
    unmapped: dict[str, int]  # DL ids no rule of ours carries -> hadolint hits on files we parse

    @property
    def ratio(self) -> float:
        return self.ours.seconds / self.hadolint.seconds if self.hadolint.seconds else float("inf")

    def row(self, dl: str) -> DlRow | None:
        return next((r for r in self.dl_rows if r.dl == dl), None)

    def differences(self) -> list[Difference]:
        """Every hit only one tool reports, on DL ids one of our rules carries."""
        out = [Difference(r.dl, "missed", f, line) for r in self.dl_rows if r.rules for f, line in r.missed]
        out += [Difference(r.dl, "extra", f, line) for r in self.dl_rows for f, line in r.extra]
        return sorted(out)

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
                          "both": r.both, "recall": r.recall, "precision": r.precision,
                          "on_rejected": r.on_rejected, "on_hadolint_unparsed": r.on_unparsed,
                          "missed": [hit(h) for h in r.missed], "extra": [hit(h) for h in r.extra]}
                         for r in self.dl_rows],
            "unmapped": self.unmapped,
            "errors": {"hadolint": self.hadolint.errors, "pylint_image": self.ours.errors},
        }


def our_dl_hits(ours: ToolRun, aliases: Mapping[str, tuple[str, ...]],
                exact: Iterable[str] = ()) -> tuple[dict[str, set[Hit]], dict[str, set[str]]]:
    """DL id -> our hits for it, and DL id -> our rules whose findings count for it.

    A finding counts for the DL ids it carries; one that carries none counts for its rule's
    DL aliases (what ``--select DLnnnn`` picks), unless its rule is in ``exact`` (its
    findings list all their foreign ids: ``RuleMeta.exact_tool_ids``).  Parse errors are
    compared file by file, apart.
    """
    exact = set(exact)
    hits: dict[str, set[Hit]] = defaultdict(set)
    rules: dict[str, set[str]] = defaultdict(set)
    for code, dls in aliases.items():
        for dl in dls:
            rules[dl].add(code)
    for code, hit, ids in ours.tagged:
        if code == OUR_PARSE_ERROR:
            continue
        for dl in [i for i in ids if _DL.fullmatch(i)] or (() if code in exact else aliases.get(code, ())):
            hits[dl].add(hit)
            rules[dl].add(code)
    rules.pop(HADOLINT_PARSE_ERROR, None)
    hits.pop(HADOLINT_PARSE_ERROR, None)
    return hits, rules


def compare(hadolint: ToolRun, ours: ToolRun, aliases: Mapping[str, tuple[str, ...]], files: int,
            exact: Iterable[str] = ()) -> Comparison:
    """Compute the per-DL figures from two normalised runs (``exact``: see ``our_dl_hits``)."""
    mine_by_dl, rules_by_dl = our_dl_hits(ours, aliases, exact)
    theirs = {code: hits for code, hits in hadolint.hits.items() if _DL.fullmatch(code) and code != HADOLINT_PARSE_ERROR}
    dl_rows = []
    for dl in sorted(set(theirs) | set(rules_by_dl)):
        h_all, o_all = theirs.get(dl, set()), mine_by_dl.get(dl, set())
        rejected = {x for x in h_all if x[0] in ours.parse_failures}
        unparsed = {x for x in o_all if x[0] in hadolint.parse_failures}
        h, o = h_all - rejected, o_all - unparsed
        dl_rows.append(DlRow(dl, tuple(sorted(rules_by_dl.get(dl, ()))), len(h), len(o), len(h & o),
                             sorted(h - o), sorted(o - h), len(rejected), len(unparsed)))
    # on files we reject (BuildKit rejects them too) DF0001 is the answer, whatever hadolint says
    unmapped = {dl: n for dl, h in sorted(theirs.items())
                if dl not in rules_by_dl and (n := sum(1 for x in h if x[0] not in ours.parse_failures))}
    return Comparison(files, hadolint, ours, dl_rows, unmapped)


def run_comparison(corpus: Path, *, parallel: bool = False, preview: bool = False,
                   hadolint_exe: str | None = None, ours_exe: str | None = None) -> Comparison:
    """Lint the corpus with both tools and compare.

    ``parallel`` runs the two tools at the same time (faster, for tests; the timings then
    include contention and the ratio is only indicative).
    """
    files = corpus_files(corpus)
    extra = ["--preview"] if preview else []
    # looked up before the threads start: sysconfig's lazy path cache is not thread-safe
    hadolint_exe = hadolint_exe or find_tool("hadolint")
    ours_exe = ours_exe or find_tool("pylint-image")
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
    return compare(theirs, mine, aliases, len(files), exact_rules())


def exact_rules() -> set[str]:
    """Codes of the rules whose findings list all their foreign ids (no alias fallback)."""
    from pylint_image.linter.plugins import load_registry  # noqa: PLC0415 - keeps import cheap

    return {r.meta.code for r in load_registry().rules if getattr(r.meta, "exact_tool_ids", False)}


# --- the generated table and the allow-list of docs/hadolint-differences.md -----------------

TABLE_BEGIN = "<!-- BEGIN per-id table: generated by `python bench/compare_hadolint.py --write-doc`; do not edit -->"
TABLE_END = "<!-- END per-id table -->"
ALLOW_HEADING = "## Allow-list"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def per_id_table(cmp: Comparison) -> str:
    """The Markdown table of precision and recall per hadolint id (deterministic: no timings)."""
    lines = [
        f"{cmp.files} files; hadolint cannot parse {len(cmp.hadolint.parse_failures)}, pylint-image "
        f"{len(cmp.ours.parse_failures)} (both: {len(cmp.hadolint.parse_failures & cmp.ours.parse_failures)}).",
        "",
        "| hadolint id | our rule(s) | hadolint hits | our hits | both | missed | extra | precision | recall |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in cmp.dl_rows:
        if not r.rules:
            continue
        lines.append(f"| {r.dl} | {', '.join(r.rules)} | {r.hadolint} | {r.ours} | {r.both} | {len(r.missed)} | "
                     f"{len(r.extra)} | {_pct(r.precision)} | {_pct(r.recall)} |")
    if cmp.unmapped:
        lines += ["", "hadolint ids with hits and no rule of ours (see `NOT_CARRIED_OVER` in "
                  "`linter/mapping.py`): " + ", ".join(f"{dl} ({n})" for dl, n in cmp.unmapped.items()) + "."]
    return "\n".join(lines)


def with_table(doc: str, table: str) -> str:
    """``doc`` with the text between the table markers replaced by ``table``."""
    start, end = doc.find(TABLE_BEGIN), doc.find(TABLE_END)
    if start < 0 or end < start:
        raise ValueError(f"the table markers are missing: {TABLE_BEGIN!r} ... {TABLE_END!r}")
    return doc[: start + len(TABLE_BEGIN)] + "\n" + table + "\n" + doc[end:]


def table_in(doc: str) -> str:
    """The generated table currently between the markers of ``doc``."""
    start, end = doc.find(TABLE_BEGIN), doc.find(TABLE_END)
    if start < 0 or end < start:
        return ""
    return doc[start + len(TABLE_BEGIN) : end].strip("\n")


@dataclass(frozen=True)
class Allowed:
    """One allow-list row: DL id, ``missed``/``extra``, where (``file:line``, ``file`` or a glob), verdict, reason."""

    dl: str
    kind: str
    where: str
    verdict: str
    reason: str

    def matches(self, d: Difference) -> bool:
        """``where`` is ``file:line``, ``file`` (any line) or a glob (``*``, ``?``) over ``file:line``."""
        if (self.dl, self.kind) != (d.dl, d.kind):
            return False
        return self.where in (d.file, f"{d.file}:{d.line}") or fnmatch.fnmatchcase(f"{d.file}:{d.line}", self.where)

    def __str__(self) -> str:
        return f"{self.dl} {self.kind} {self.where}"


_ROW = re.compile(r"^\|\s*(DL\d{4})\s*\|\s*(missed|extra)\s*\|\s*`?([^|`]+?)`?\s*\|\s*([^|]+?)\s*\|\s*(.+?)\s*\|\s*$")


def allow_list(doc: str) -> tuple[list[Allowed], list[str]]:
    """The rows of the allow-list table of ``doc``, and the lines of it that do not parse."""
    start = doc.find(ALLOW_HEADING)
    if start < 0:
        return [], [f"no '{ALLOW_HEADING}' section"]
    rows, bad = [], []
    for line in doc[start:].splitlines()[1:]:
        if line.startswith("#"):
            break
        if not line.startswith("|") or set(line) <= set("|- "):
            continue
        if line.startswith("| id "):
            continue
        m = _ROW.match(line)
        if m is None or not m.group(5).strip():
            bad.append(line)
            continue
        rows.append(Allowed(*(g.strip() for g in m.groups())))
    return rows, bad


def check_allow_list(diffs: Iterable[Difference], allowed: Sequence[Allowed]) -> tuple[list[Difference], list[Allowed]]:
    """Differences no row explains, and rows that explain no difference (stale)."""
    diffs = list(diffs)
    unexplained = [d for d in diffs if not any(a.matches(d) for a in allowed)]
    stale = [a for a in allowed if not any(a.matches(d) for d in diffs)]
    return unexplained, stale
