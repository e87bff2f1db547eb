"""pylint-image's public plugin API: the types and helpers a rule or formatter may use.

Rules import from here (and from ``pylint_image.rules._shared``) and from nothing else
of ours; ``tests/test_layering.py`` enforces it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .expansion import ExpansionBudget, ExpansionCut, expansion_limit
from .findings import (
    Edit,
    Finding,
    Fix,
    ImageLocation,
    Location,
    Notification,
    RuntimeLocation,
    Severity,
    SourceLocation,
    Suppression,
    Violation,
)
from .model.dockerfile import Arg, Comment, Dockerfile, Flag, Heredoc, ImageRef, Instruction, Stage
from .model.span import Span
from .reference import InvalidReference, Reference
from .report import Report, Table
from .ruleapi import Context, Needs, Rule, RuleMeta, Settings, Status, Target, rule

# Image and runtime model types load on first use: a Dockerfile-only run never needs them,
# and every import counts against the cold start.
_LAZY = {
    "Image": ".model.image", "ImageConfig": ".model.image", "Layer": ".model.image",
    "FileEntry": ".model.image", "FileKind": ".model.image", "FileTree": ".model.image",
    "HistoryEntry": ".model.image", "Anomaly": ".model.image", "Healthcheck": ".model.image",
    "RuntimeRun": ".model.runtime", "Observation": ".model.runtime", "EntrypointProblem": ".model.runtime",
    "PortObservation": ".model.runtime", "StopObservation": ".model.runtime",
    "HealthObservation": ".model.runtime", "ResourceObservation": ".model.runtime",
    "BuildFailure": ".model.runtime",
}
if TYPE_CHECKING:  # what the lazy names are, for type checkers
    from .model.image import Anomaly, FileEntry, FileKind, FileTree, Healthcheck, HistoryEntry, Image, ImageConfig, Layer
    from .model.runtime import (BuildFailure, EntrypointProblem, HealthObservation, Observation, PortObservation,
                                ResourceObservation, RuntimeRun, StopObservation)
# The one variable expander and the ARG/ENV scope it expands with load with the parser.
_VARIABLES = ("Scope", "expand", "fork", "global_scope", "has_variables", "parse_assignments", "scope_at", "walk")
_LAZY.update(dict.fromkeys(_VARIABLES, ".parse.variables"))
if TYPE_CHECKING:
    from .parse.variables import Scope, expand, fork, global_scope, has_variables, parse_assignments, scope_at, walk
_LAZY["find_tool"] = ".tools"  # only the shellcheck rule and the tests look tools up
if TYPE_CHECKING:
    from .tools import find_tool
_LAZY["docker_size"] = ".units"  # sizes as docker prints them: the image-size rules and the layer table
if TYPE_CHECKING:
    from .units import docker_size
# dive's wasted-space figures (wasted-space and the image command's table use the same ones).
_LAZY.update(dict.fromkeys(("dive_analysis", "DiveAnalysis"), ".dive_ci"))
if TYPE_CHECKING:
    from .dive_ci import DiveAnalysis, dive_analysis
# Manifests (Compose, Kubernetes, CI files): only a run that lints one loads ruamel.yaml and these.
_LAZY.update(dict.fromkeys(("Manifest", "ImageUse", "PodContainer", "ComposeService"), ".manifests.model"))
_LAZY["ManifestRef"] = ".manifests.refs"
if TYPE_CHECKING:
    from .manifests.model import ComposeService, ImageUse, Manifest, PodContainer
    from .manifests.refs import ManifestRef


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Arg", "Comment", "Context", "Dockerfile", "Edit", "ExpansionBudget", "ExpansionCut", "Finding", "Fix",
    "Flag", "Heredoc", "ImageLocation", "ImageRef", "Instruction", "InvalidReference", "Location", "Needs", "Notification",
    "Reference", "Report", "Rule", "RuleMeta", "RuntimeLocation", "Settings", "Severity", "SourceLocation", "Span",
    "Stage", "Status", "Suppression", "Table", "Target", "Violation", "expansion_limit", "rule",
    *_LAZY,
]
