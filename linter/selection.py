"""Which rules are enabled and at what severity: select/ignore by longest match (flake8's DecisionEngine)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import field

from .findings import Severity
from .ruleapi import Rule, Status
from pylint_image.linter.model.frozen import frozen

_EXACT = 1000  # an exact code, name or alias beats any prefix


def match_strength(token: str, rule: Rule) -> int:
    """How specifically ``token`` names ``rule``: 0 for no match, higher is more specific."""
    meta = rule.meta
    t = token.strip()
    if not t:
        return 0
    if t.upper() == "ALL":
        return 1
    if t == meta.name or t.upper() == meta.code or t in meta.aliases or t.upper() in (a.upper() for a in meta.aliases):
        return _EXACT
    if meta.code.startswith(t.upper()):
        return 1 + len(t)
    return 0


def token_known(token: str, rules: Iterable[Rule]) -> bool:
    """True when ``token`` selects at least one rule (used to reject typos in config)."""
    return any(match_strength(token, r) for r in rules)


@frozen
class Selection:
    """The user's choice of rules: select/ignore tokens and severity overrides."""

    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    preview: bool = False

    def enabled(self, rule: Rule) -> bool:
        """True when the longest select match beats the longest ignore match."""
        if rule.meta.status is Status.REMOVED:
            return False
        best_select = max((match_strength(t, rule) for t in self.select), default=0)
        best_ignore = max((match_strength(t, rule) for t in self.ignore), default=0)
        if rule.meta.status is Status.PREVIEW and not self.preview and best_select < _EXACT:
            return False
        return best_select > 0 and best_select > best_ignore

    def severity_of(self, rule: Rule) -> Severity:
        """The configured severity of ``rule`` (most specific override wins)."""
        best, chosen = 0, rule.meta.severity
        for token, sev in self.severity.items():
            strength = match_strength(token, rule)
            if strength > best:
                best, chosen = strength, sev
        return chosen
