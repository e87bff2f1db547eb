"""The project's own Linux sandbox: namespaces, cgroups, pivot_root, and a bounded process run."""

from __future__ import annotations

from .net import ListeningSocket
from .plan import Plan, build_plan
from .process import RunningSandbox, run, start
from .spec import Limits, Network, OverlayRoot, ResourceUsage, SandboxResult, SandboxSpec
from .support import CgroupMode, IdMapMode, SandboxSupport, detect
from .users import ImageUser, read_image_file, resolve_user

detect_support = detect

__all__ = [
    "CgroupMode", "IdMapMode", "ImageUser", "Limits", "ListeningSocket", "Network", "OverlayRoot",
    "Plan", "ResourceUsage", "RunningSandbox", "SandboxResult", "SandboxSpec", "SandboxSupport",
    "build_plan", "detect", "detect_support", "read_image_file", "resolve_user", "run", "start",
]
