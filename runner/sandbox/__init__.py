"""verify's sandbox: an OCI bundle per container, run by the runtime Docker uses (runc, or crun)."""

from __future__ import annotations

from .container import RunningSandbox, run, start
from .net import ListeningSocket
from .spec import (Confinement, Limits, Network, OverlayRoot, ResourceUsage, SandboxResult,
                   SandboxSpec)
from .support import CgroupMode, IdMapMode, RuntimeInfo, SandboxSupport, detect
from .users import ImageUser, read_image_file, resolve_user

detect_support = detect

__all__ = [
    "CgroupMode", "Confinement", "IdMapMode", "ImageUser", "Limits", "ListeningSocket", "Network",
    "OverlayRoot", "ResourceUsage", "RunningSandbox", "RuntimeInfo", "SandboxResult", "SandboxSpec",
    "SandboxSupport", "detect", "detect_support", "read_image_file", "resolve_user", "run", "start",
]
