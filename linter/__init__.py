"""pylint-image's public plugin API: the types and helpers a rule or formatter may use.

Rules import from here (and from ``pylint_image.rules._shared``) and from nothing else
of ours; ``tests/test_layering.py`` enforces it.
"""

from __future__ import annotations

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
from .report import Report, Table
from .ruleapi import Context, Needs, Rule, RuleMeta, Settings, Status, Target, rule

__all__ = [
    "Arg", "Comment", "Context", "Dockerfile", "Edit", "Finding", "Fix", "Flag", "Heredoc",
    "ImageLocation", "ImageRef", "Instruction", "Location", "Needs", "Notification", "Report",
    "Rule", "RuleMeta", "RuntimeLocation", "Settings", "Severity", "SourceLocation", "Span",
    "Stage", "Status", "Suppression", "Table", "Target", "Violation", "rule",
]
