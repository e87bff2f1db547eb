"""Which rules run, which of their findings are kept, and at what severity.

select/ignore go by longest match (flake8's DecisionEngine).  A token names a rule by its
code, a code prefix, its name or ``ALL``; a *foreign* id (hadolint ``DL3008``, ShellCheck
``SC2086``, BuildKit ``FromAsCasing``, Trivy ``DS001``, Checkov ``CKV_DOCKER_1``, Dockle
``CIS-DI-0001``) names findings, not a whole rule:

- it matches a finding that carries it in ``tool_ids``;
- it matches through the rule's ``aliases`` only a finding that carries no id of the same
  tool (a rule that does not say per finding which hadolint check it is, keeps working as
  a whole), and never when the rule declares ``exact_tool_ids`` (its findings list them all);
- an id matched only by the rule's ``tool_id_pattern`` (``SC2086`` for DF2023) matches
  only the findings carrying it.

An id the finding carries is the most specific match, above the rule's code or name:
``ignore = ["DF2023"]`` with ``select = ["SC2046"]`` keeps the SC2046 findings, and
``severity = {DF2023 = "error", SC2086 = "info"}`` makes SC2086 info.

So ``--ignore DL3013`` drops DF2001's pip findings and keeps its apt ones, and
``--select DL3008`` runs DF2001 but keeps only its apt findings.  The same matching serves
the config's ``severity`` table and the pragmas (``finding_strength``).  The rule-level
decision (``enabled``) says whether a rule may yield a kept finding at all; ``finding_filter``
is None (keep every finding, the fast path) unless a foreign token concerns the rule.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import field

from .findings import Severity
from .ruleapi import Rule, Status
from pylint_image.linter.model.frozen import frozen

EXACT = 1000  # an exact code, name, alias or foreign id beats any prefix
CARRIED = EXACT + 1  # an id the finding itself carries is more specific still than its rule's code
SHELLCHECK_RULE = "shellcheck-finding"  # DF2023, which ``shellcheck = true`` turns on

# The foreign tools whose ids may appear in aliases and tool_ids.  BuildKit's check names
# are CamelCase words, matched case-sensitively on the alias as the rule spells it.
_FAMILIES = (
    ("shellcheck", r"SC\d{4}", re.IGNORECASE),
    ("hadolint", r"DL\d{4}", re.IGNORECASE),
    ("trivy", r"(?:AVD-)?DS-?\d{3,4}", re.IGNORECASE),
    ("checkov", r"CKV2?_[A-Z0-9]+_\d+", re.IGNORECASE),
    ("dockle", r"(?:CIS-DI|DKL-[A-Z]{2})-\d{4}", re.IGNORECASE),
    ("buildkit", r"[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+", 0),
)


@functools.lru_cache(maxsize=4096)  # asked for every rule of every file with the same few tokens
def family(foreign_id: str) -> str | None:
    """The tool a foreign id belongs to (``hadolint`` for DL3008), or None for our own codes and names."""
    # re.fullmatch caches the compiled patterns: nothing is compiled by a run that never asks.
    for name, pattern, flags in _FAMILIES:
        if re.fullmatch(pattern, foreign_id, flags):
            return name
    return None


def _alias(token: str, rule: Rule) -> str | None:
    """The alias of ``rule`` that ``token`` names (case-insensitively), as the rule spells it."""
    up = token.upper()
    return next((a for a in rule.meta.aliases if a.upper() == up), None)


def match_strength(token: str, rule: Rule) -> int:
    """How specifically ``token`` names ``rule`` (some finding of it): 0 for no match, higher is more specific."""
    meta = rule.meta
    return _strength(token, meta.name, meta.code, meta.aliases, meta.tool_id_pattern)


# Both are asked for every rule of every linted file with the same few tokens: cached on
# the rule's identifying fields (hashable), not on the Rule.
@functools.lru_cache(maxsize=8192)
def _strength(token: str, name: str, code: str, aliases: tuple[str, ...], pattern: str | None) -> int:
    t = token.strip()
    if not t:
        return 0
    up = t.upper()
    if up == "ALL":
        return 1
    if (t == name or up == code or any(a.upper() == up for a in aliases)
            or (pattern is not None and re.fullmatch(pattern, t, re.IGNORECASE) is not None)):
        return EXACT
    if code.startswith(up):
        return 1 + len(t)
    return 0


def _foreign_family(token: str, rule: Rule) -> str | None:
    """The tool family of ``token`` when it names findings of ``rule`` rather than the whole rule."""
    meta = rule.meta
    return _token_family(token, meta.name, meta.code, meta.aliases)


@functools.lru_cache(maxsize=8192)
def _token_family(token: str, name: str, code: str, aliases: tuple[str, ...]) -> str | None:
    t = token.strip()
    up = t.upper()
    if t == name or up == code:
        return None
    alias = next((a for a in aliases if a.upper() == up), None)
    return family(alias if alias is not None else t)


def finding_strength(token: str, rule: Rule, tool_ids: tuple[str, ...]) -> int:
    """How specifically ``token`` names one finding of ``rule`` that carries ``tool_ids`` (0: not at all)."""
    t = token.strip()
    up = t.upper()
    if any(i.upper() == up for i in tool_ids):
        return CARRIED
    strength = match_strength(t, rule)
    if strength < EXACT or t == rule.meta.name or up == rule.meta.code:
        return strength
    alias = _alias(t, rule)
    if alias is None or rule.meta.exact_tool_ids:
        return 0  # an id this finding does not carry (matched only by a pattern, or the rule is exact)
    own = family(alias)
    if own is not None and any(family(i) == own for i in tool_ids):
        return 0  # the finding says which id of that tool it is, and it is another one
    return EXACT


def token_known(token: str, rules: Iterable[Rule]) -> bool:
    """True when ``token`` selects at least one rule (used to reject typos in config)."""
    return any(match_strength(token, r) for r in rules)


@frozen
class Selection:
    """The user's choice of rules: select/ignore tokens and severity overrides.

    ``shellcheck`` (the config's ``shellcheck = true``) selects DF2023 whatever ``select`` says,
    as ``--shellcheck`` does.
    """

    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    preview: bool = False
    shellcheck: bool = False

    def _selects(self) -> tuple[str, ...]:
        return (*self.select, SHELLCHECK_RULE) if self.shellcheck else self.select

    def _decide(self, rule: Rule, best_select: int, best_ignore: int) -> bool:
        if rule.meta.status is Status.REMOVED:
            return False
        if rule.meta.status is Status.PREVIEW and not self.preview and best_select < EXACT:
            return False
        return best_select > 0 and best_select > best_ignore

    def enabled(self, rule: Rule) -> bool:
        """True when the rule may yield a kept finding (its best select beats the ignores that cover every finding)."""
        best_select = max((self._select_strength(t, rule) for t in self._selects()), default=0)
        return self._decide(rule, best_select, self._ignore_floor(rule))

    @staticmethod
    def _select_strength(token: str, rule: Rule) -> int:
        """The strongest match ``token`` may have on some finding of ``rule``."""
        strength = match_strength(token, rule)
        return CARRIED if strength and _foreign_family(token, rule) is not None else strength

    def _ignore_floor(self, rule: Rule) -> int:
        """The ignore strength every finding of ``rule`` gets, whatever ids it carries."""
        if not self.ignore:
            return 0
        floor = max((match_strength(t, rule) for t in self.ignore if _foreign_family(t, rule) is None), default=0)
        # When every alias of one tool is ignored, each finding is matched: by its own id of
        # that tool or, carrying none, through the aliases; so the rule need not run.
        ignored = {a for a in rule.meta.aliases if any(t.strip().upper() == a.upper() for t in self.ignore)}
        if not ignored or rule.meta.tool_id_pattern is not None or rule.meta.exact_tool_ids:
            return floor  # (findings may carry ids no alias lists, or none of that tool)
        by_family: dict[str, set[str]] = {}
        for a in rule.meta.aliases:
            fam = family(a)
            if fam is not None:
                by_family.setdefault(fam, set()).add(a)
        if any(aliases <= ignored for aliases in by_family.values()):
            return max(floor, EXACT)
        return floor

    def keeps(self, rule: Rule, tool_ids: tuple[str, ...]) -> bool:
        """True when a finding of ``rule`` carrying ``tool_ids`` is selected and not ignored."""
        best_select = max((finding_strength(t, rule, tool_ids) for t in self._selects()), default=0)
        best_ignore = max((finding_strength(t, rule, tool_ids) for t in self.ignore), default=0)
        return self._decide(rule, best_select, best_ignore)

    def finding_filter(self, rule: Rule) -> Callable[[tuple[str, ...]], bool] | None:
        """A predicate on a finding's ``tool_ids`` for an enabled rule; None when every finding is kept."""
        if all(_foreign_family(t, rule) is None for t in (*self._selects(), *self.ignore)):
            return None  # only codes, prefixes and names: the rule-level decision holds for every finding
        return lambda tool_ids: self.keeps(rule, tool_ids)

    def severity_of(self, rule: Rule, tool_ids: tuple[str, ...] = (), own: Severity | None = None) -> Severity:
        """The severity of a finding: the most specific config override, else its own (ShellCheck's level), else the rule's."""
        best, chosen = 0, own or rule.meta.severity
        for token, sev in self.severity.items():
            strength = finding_strength(token, rule, tool_ids)
            if strength > best:
                best, chosen = strength, sev
        return chosen

