"""The rule plugin surface: metadata, the Rule protocol, the context a check receives."""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from .findings import Notification, Severity, Violation
from pylint_image.linter.model.frozen import frozen

if TYPE_CHECKING:
    from .model.dockerfile import Dockerfile
    from .provenance import Provenance

CODE_RE = re.compile(r"^[A-Z]{2,4}[0-9]{3,4}$")
NAME_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
REQUIRED_DOC_HEADINGS = ("What it does", "Why is this bad?", "Example", "Use instead")


class Target(enum.Enum):
    """What a rule judges: a Dockerfile, a built image, a sandbox run, or a manifest (Compose, Kubernetes, CI)."""

    DOCKERFILE = "dockerfile"
    IMAGE = "image"
    RUNTIME = "runtime"
    MANIFEST = "manifest"


class Status(enum.Enum):
    """Lifecycle of a rule (ruff's RuleStatus)."""

    PREVIEW = "preview"
    STABLE = "stable"
    DEPRECATED = "deprecated"
    REMOVED = "removed"


@frozen
class Needs:
    """Inputs an image or runtime rule needs: file contents to keep, probes to run."""

    paths: tuple[str, ...] = ()
    globs: tuple[str, ...] = ()
    probes: tuple[str, ...] = ()


@frozen
class RuleMeta:
    """A rule's identity and defaults.

    ``aliases`` holds equivalent ids of other tools (``DL3006``, ``FromAsCasing``,
    ``DS001``, ``CKV_DOCKER_7``) and old codes of ours; they work in ``--select``,
    ``--ignore`` and pragmas.  ``tool_id_pattern`` is a regular expression of further
    foreign ids the rule's findings carry in ``tool_ids`` (ShellCheck's ``SC\\d{4}`` for
    DF2023): such an id is a known token that acts on the findings carrying it.
    ``exact_tool_ids`` says that every finding's ``tool_ids`` lists all its foreign ids, so an
    alias never stands in for a finding that does not carry it (DF3002: a stage with no USER
    is Trivy's DS002 but not hadolint's DL3002, which only an explicit ``USER root`` is).
    ``options`` is a dataclass type whose fields (with defaults) are the rule's settings;
    config keys use kebab-case of the field names.  ``fix_title`` is advice shown with
    every finding; ``fixable`` says that the check attaches a ``Fix`` (an autofix that
    ``--fix`` applies) to its violations, at least sometimes.
    """

    code: str
    name: str
    severity: Severity
    target: Target
    summary: str  # one line, shown in `pylint-image rules` and SARIF shortDescription
    fix_title: str | None = None
    fixable: bool = False
    tags: frozenset[str] = frozenset()
    status: Status = Status.STABLE
    since: str = "0.1.0"
    needs: Needs = Needs()
    options: type | None = None
    aliases: tuple[str, ...] = ()
    security_severity: float | None = None
    tool_id_pattern: str | None = None
    exact_tool_ids: bool = False


@frozen
class Settings:
    """Settings that are not owned by one rule."""

    trusted_registries: tuple[str, ...] = ()
    build_args: Mapping[str, str] = field(default_factory=dict)


@frozen
class Context:
    """What a check receives besides its subject.

    ``dockerfile`` is the linted file for Dockerfile rules, and the linked Dockerfile
    (``--dockerfile``) for image and runtime rules, else None.  ``provenance`` says, for
    image rules with a linked Dockerfile, which instruction made each layer
    (``provenance.base_layers``: the layers the base image made), else None.
    """

    options: Any
    settings: Settings
    dockerfile: Dockerfile | None = None
    image_name: str = ""
    provenance: Provenance | None = None


@runtime_checkable
class Rule(Protocol):
    """A rule: metadata, its Markdown doc, and a check that yields violations.

    A check that cannot judge its subject (its external tool is missing, say) yields a
    ``Notification`` saying so instead of silently yielding nothing.

    ``check(subject, ctx)`` is called once per subject (a Dockerfile, an Image or a
    RuntimeRun according to ``meta.target``).  It must not mutate the subject, print,
    or raise on valid input; an exception is reported as a ``rule-crashed``
    notification and the other rules still run.
    """

    @property
    def meta(self) -> RuleMeta: ...

    @property
    def doc(self) -> str: ...

    def check(self, subject: Any, ctx: Context) -> Iterable[Violation | Notification]: ...


@frozen
class _FunctionRule:
    meta: RuleMeta
    doc: str
    fn: Callable[[Any, Context], Iterable[Violation | Notification]]

    def check(self, subject: Any, ctx: Context) -> Iterable[Violation | Notification]:
        return self.fn(subject, ctx)


def rule(*, meta: RuleMeta, check: Callable[[Any, Context], Iterable[Violation | Notification]],
         doc: str | None = None) -> Rule:
    """Make a rule object from metadata and a check function (pure: registers nothing).

    The doc defaults to the docstring of the module that defines ``check``.
    """
    if doc is None:
        import sys

        module = sys.modules.get(check.__module__)
        doc = (module.__doc__ if module else None) or ""
    return _FunctionRule(meta=meta, doc=doc, fn=check)
