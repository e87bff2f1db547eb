"""The project's own Linux sandbox: namespaces, cgroups, pivot_root, and a bounded process run."""

from __future__ import annotations

from .net import ListeningSocket
from .process import RunningSandbox, run, start
from .spec import Limits, Network, OverlayRoot, ResourceUsage, SandboxResult, SandboxSpec
from .support import CgroupMode, IdMapMode, SandboxSupport, detect

detect_support = detect

__all__ = [
    "CgroupMode", "IdMapMode", "Limits", "ListeningSocket", "Network", "OverlayRoot",
    "ResourceUsage", "RunningSandbox", "SandboxResult", "SandboxSpec", "SandboxSupport",
    "detect", "detect_support", "run", "start",
]
