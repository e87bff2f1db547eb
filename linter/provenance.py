"""Map image history entries and layers back to the Dockerfile instructions that made them.

History ``created_by`` strings come in two dialects: the legacy builder's
(``/bin/sh -c #(nop)  CMD ["x"]``, ``/bin/sh -c apt-get ...``, ``|2 A=1 B=2 /bin/sh -c ...``)
and BuildKit's (``RUN /bin/sh -c apt-get ... # buildkit``, ``COPY . /app # buildkit``).
Both are parsed into (keyword, text) and aligned in order with the final stage's
instructions by a small dynamic program that rewards keyword matches and, more, text
matches after whitespace normalization and ARG/ENV expansion.  Entries before the first
aligned one come from the base image and are attributed to the stage's FROM line.
"""

from __future__ import annotations

import functools
import json
import re
import shlex
from collections.abc import Callable, Mapping, Sequence
from typing import Literal

from pylint_image.linter.expansion import ExpansionBudget, expansion_limit
from pylint_image.linter.model.dockerfile import Dockerfile, Instruction
from pylint_image.linter.model.frozen import frozen
from pylint_image.linter.model.image import HistoryEntry, Image
from pylint_image.linter.parse.variables import Scope, expand, walk

How = Literal["exact", "similar", "keyword", "aligned", "base"]

_KEYWORDS = frozenset({"ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "HEALTHCHECK",
                       "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER",
                       "VOLUME", "WORKDIR"})
_NOP = "/bin/sh -c #(nop)"
_SHELL_PREFIX = re.compile(r"^(/bin/sh|/bin/bash|sh|bash)\s+-c\s+")
_BUILD_ARGS = re.compile(r"^\|(\d+)\s+")
_LEGACY_COPY = re.compile(r"^(?:file|dir|multi):[0-9a-f]+ in (.+)$")
_FLAG = re.compile(r"^--\S+\s*")
_SCORES = {"exact": 4, "similar": 3, "keyword": 1}


@frozen
class Origin:
    """Where one history entry (and its layer, if any) came from in the Dockerfile.

    ``how`` says how sure the match is: ``exact``/``similar`` text, ``keyword`` only,
    ``aligned`` by position (fallback), or ``base`` (made by the base image: the FROM line).
    """

    history_index: int
    layer_index: int | None
    diff_id: str | None
    instruction: Instruction
    how: How

    @property
    def line(self) -> int:
        """First line of the instruction (1-based)."""
        return self.instruction.span.start_line


@frozen
class Provenance:
    """All origins found for one image against one Dockerfile."""

    origins: tuple[Origin, ...]

    def for_history(self, index: int) -> Origin | None:
        """Return the origin of history entry ``index``, or None when unresolved."""
        return next((o for o in self.origins if o.history_index == index), None)

    def for_layer(self, index: int) -> Origin | None:
        """Return the origin of layer ``index``, or None when unresolved."""
        return next((o for o in self.origins if o.layer_index == index), None)

    @property
    def base_layers(self) -> frozenset[int]:
        """Indices of the layers the base image made (attributed to the FROM line)."""
        return frozenset(o.layer_index for o in self.origins
                         if o.how == "base" and o.layer_index is not None)

    def for_diff_id(self, diff_id: str) -> Origin | None:
        """Return the origin of the layer with ``diff_id``, or None when unresolved."""
        return next((o for o in self.origins if o.diff_id == diff_id), None)


@frozen
class Step:
    """A history entry reduced to a keyword and normalized text, plus legacy build args."""

    keyword: str
    text: str
    build_args: Mapping[str, str]


def parse_created_by(created_by: str) -> Step:
    """Parse a legacy-builder or BuildKit ``created_by`` string into a Step."""
    text = created_by.strip()
    text = text.removesuffix("# buildkit").strip()
    keyword = ""
    if text.startswith(_NOP):
        keyword, _, text = text[len(_NOP):].strip().partition(" ")
    else:
        head, _, rest = text.partition(" ")
        if head in _KEYWORDS:
            keyword, text = head, rest
    text, build_args = _strip_build_args(text.strip())
    if keyword in ("", "RUN"):
        # Legacy shell-form RUN is "/bin/sh -c CMD"; legacy exec-form RUN is the argv joined.
        keyword, text = "RUN", _SHELL_PREFIX.sub("", text, count=1)
    return Step(keyword.upper(), _norm(text), build_args)


def _strip_build_args(text: str) -> tuple[str, dict[str, str]]:
    match = _BUILD_ARGS.match(text)
    if not match:
        return text, {}
    count, rest = int(match.group(1)), text[match.end():]
    args: dict[str, str] = {}
    for _ in range(count):
        token, _, rest = rest.partition(" ")
        key, _, value = token.partition("=")
        args[key] = value
    return rest, args


def _norm(text: str) -> str:
    return " ".join(text.split())


def _instruction_texts(inst: Instruction, scope: Mapping[str, str | None], budget: ExpansionBudget) -> tuple[str, ...]:
    """Normalized texts a history entry may show for ``inst``: raw and expanded."""
    value = inst.value.strip()
    while _FLAG.match(value):
        value = _FLAG.sub("", value, count=1)
    if inst.keyword == "RUN" and inst.form == "exec":
        try:
            value = " ".join(str(a) for a in json.loads(value))
        except (json.JSONDecodeError, TypeError):
            pass
    texts = {_norm(value), _norm(expand(value, scope, budget=budget))}
    return tuple(sorted(texts))


def _score(step: Step, inst: Instruction, texts_of: Callable[[], tuple[str, ...]]) -> int:
    if step.keyword != inst.keyword:
        return 0
    texts = texts_of()
    if step.text in texts:
        return _SCORES["exact"]
    if inst.keyword in ("COPY", "ADD"):
        legacy = _LEGACY_COPY.match(step.text)
        dest = legacy.group(1) if legacy else step.text.rsplit(" ", 1)[-1]
        if any(t.rsplit(" ", 1)[-1].rstrip("/") == dest.rstrip("/") for t in texts):
            return _SCORES["similar"]
    elif inst.keyword in ("ENV", "LABEL", "ARG"):
        if _keys(step.text) and any(_keys(t) == _keys(step.text) for t in texts):
            return _SCORES["similar"]
    return _SCORES["keyword"]


def _keys(text: str) -> frozenset[str]:
    try:
        tokens = shlex.split(text)
    except ValueError:
        tokens = text.split()
    if tokens and "=" not in tokens[0]:
        return frozenset(tokens[:1])  # legacy ``ENV KEY value`` form
    return frozenset(t.partition("=")[0] for t in tokens if "=" in t)


def _align(steps: Sequence[Step], insts: Sequence[Instruction],
           scopes: Sequence[Scope], budget: ExpansionBudget) -> dict[int, tuple[int, int]]:
    """Best in-order matching of history steps to instructions: {step: (inst, score)}."""
    n, m = len(steps), len(insts)
    keys = [tuple(sorted(step.build_args.items())) for step in steps]
    memo: dict[tuple[int, tuple[tuple[str, str], ...]], tuple[str, ...]] = {}

    def texts(i: int, j: int) -> tuple[str, ...]:
        # Steps without legacy build args (all BuildKit ones) share one expansion per instruction.
        if (j, keys[i]) not in memo:
            scope = Scope({**scopes[j], **steps[i].build_args}, escape=scopes[j].escape)
            memo[j, keys[i]] = _instruction_texts(insts[j], scope, budget)
        return memo[j, keys[i]]

    scores = [[_score(steps[i], insts[j], functools.partial(texts, i, j)) for j in range(m)] for i in range(n)]
    best = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            s = scores[i - 1][j - 1]
            best[i][j] = max(best[i - 1][j], best[i][j - 1],
                             best[i - 1][j - 1] + s if s else 0)
    pairs: dict[int, tuple[int, int]] = {}
    i, j = n, m
    # Walking back from the end and preferring a match on ties pairs each instruction with
    # the latest equal history entry, so a base image's identical CMD stays with the base.
    while i > 0 and j > 0:
        s = scores[i - 1][j - 1]
        if s and best[i][j] == best[i - 1][j - 1] + s:
            pairs[i - 1] = (j - 1, s)
            i, j = i - 1, j - 1
        elif best[i][j] == best[i - 1][j]:
            i -= 1
        else:
            j -= 1
    return pairs


def map_provenance(image: Image, dockerfile: Dockerfile) -> Provenance:
    """Attribute every history entry of ``image`` to an instruction of the final stage."""
    if not dockerfile.stages:
        return Provenance(())
    stage = dockerfile.stages[-1]
    # ARG and ENV values in effect at each instruction (before it runs), as the rules see them
    scoped = [(i, scope.copy()) for i, scope in walk(dockerfile, stage) if i.keyword != "FROM"]
    insts = [i for i, _ in scoped]
    steps = [parse_created_by(h.created_by) for h in image.history]
    # One expansion budget for the whole mapping, linear in the texts it reads.
    budget = ExpansionBudget(expansion_limit(sum(len(i.value) for i in insts) + sum(len(s.text) for s in steps)))
    pairs = _align(steps, insts, [scope for _, scope in scoped], budget)
    how_of = {v: k for k, v in _SCORES.items()}
    if not pairs and insts and len(steps) >= len(insts):
        # Nothing recognizable: assume the stage's instructions made the last entries.
        offset = len(steps) - len(insts)
        pairs = {offset + j: (j, 0) for j in range(len(insts))}
    first = min(pairs) if pairs else len(steps)
    layer_of = _layer_indices(image)
    origins = []
    for index in range(len(steps)):
        if index < first:
            inst, how = stage.from_instruction, "base"
        elif index in pairs:
            j, score = pairs[index]
            inst, how = insts[j], how_of.get(score, "aligned")
        else:
            continue
        layer = layer_of.get(index)
        origins.append(Origin(index, layer, image.layers[layer].diff_id if layer is not None
                              else None, inst, how))  # type: ignore[arg-type]
    return Provenance(tuple(origins))


def _layer_indices(image: Image) -> dict[int, int]:
    return {layer.history_index: layer.index for layer in image.layers
            if layer.history_index is not None}


def history_steps(history: Sequence[HistoryEntry]) -> tuple[Step, ...]:
    """Parse every history entry (handy for display: the instruction behind each layer)."""
    return tuple(parse_created_by(h.created_by) for h in history)
