"""Which image of a multi-platform index to read: the host's platform, or the one the user names.

Every way in (an OCI layout, a docker archive, a ``docker save`` stream, a registry pull)
makes this one choice, so ``pylint-image image`` and ``verify`` read the same image from
the same source.  The rules follow containerd's platform matcher, in short:

* ``--platform os/arch[/variant]`` (or, without it, this host's platform) is wanted;
  ``x86_64``/``aarch64`` and the other kernel names are the same as ``amd64``/``arm64``;
* a variant is compared only when one is wanted (``arm64`` matches ``arm64/v8``);
* BuildKit's attestation manifests (platform ``unknown/unknown``) are never images;
* an index with several images and none for the wanted platform is a SourceError naming
  the platforms it has, never a silent pick of the first;
* a source holding one image is that image, unless a platform was asked for and the image
  says it is another (its descriptor's ``platform``, else its config's ``os``/``architecture``).
"""

from __future__ import annotations

import platform as _host

from pylint_image.linter.errors import ConfigError, SourceError
from pylint_image.linter.model.frozen import frozen

JsonObject = dict[str, object]

# Kernel (``uname -m``) and common alias names -> OCI (GOARCH) names, with the variant they imply.
_ARCH: dict[str, tuple[str, str]] = {
    "x86_64": ("amd64", ""), "x86-64": ("amd64", ""), "amd64": ("amd64", ""),
    "aarch64": ("arm64", ""), "arm64": ("arm64", ""),
    "armv7l": ("arm", "v7"), "armhf": ("arm", "v7"), "armv6l": ("arm", "v6"), "armel": ("arm", "v6"),
    "i386": ("386", ""), "i686": ("386", ""), "x86": ("386", ""),
}
_ATTESTATION = "attestation-manifest"


@frozen
class Platform:
    """An image platform in OCI terms: ``os``, ``architecture`` and an optional ``variant``."""

    os: str
    architecture: str
    variant: str = ""

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)

    def matches(self, found: object) -> bool:
        """True when ``found`` (a descriptor's or config's platform fields) is this platform."""
        if not isinstance(found, dict):
            return False
        other = normalized(str(found.get("os") or ""), str(found.get("architecture") or ""),
                           str(found.get("variant") or ""))
        return ((other.os, other.architecture) == (self.os, self.architecture)
                and (not self.variant or other.variant == self.variant))


def normalized(os_name: str, architecture: str, variant: str = "") -> Platform:
    """The platform with containerd's normal names (``aarch64`` -> ``arm64``, ``arm64/v8`` -> ``arm64``)."""
    arch, implied = _ARCH.get(architecture.lower(), (architecture.lower(), ""))
    variant = variant.lower() or implied
    if arch == "arm64" and variant in ("v8", "8"):
        variant = ""   # arm64 is v8 unless it says otherwise
    if arch == "arm" and variant.isdigit():
        variant = f"v{variant}"
    return Platform(os_name.lower(), arch, variant)


def parse_platform(text: str) -> Platform:
    """Parse ``--platform os/arch[/variant]``; ConfigError (exit code 2) for anything else."""
    parts = text.strip().split("/")
    if len(parts) not in (2, 3) or not all(p.strip() for p in parts):
        raise ConfigError(f"--platform {text!r}: expected os/arch[/variant], e.g. linux/arm64")
    return normalized(*(p.strip() for p in parts))


def host_platform() -> Platform:
    """This host's platform: linux (images are Linux images) and the kernel's machine name."""
    return normalized("linux", _host.machine())


def pick_manifest(index: JsonObject, name: str, wanted: Platform | None = None) -> JsonObject:
    """The descriptor of ``wanted``'s image in an index (``None``: this host's platform)."""
    manifests = [m for m in _list(index.get("manifests")) if isinstance(m, dict)]
    images = [m for m in manifests if not _attestation(m)]
    if not images:
        raise SourceError(f"{name}: index lists no image manifest")
    target = wanted or host_platform()
    for desc in images:
        if target.matches(desc.get("platform")):
            return desc
    if len(images) == 1 and (wanted is None or "platform" not in images[0]):
        # One image: that one (``docker save`` writes no platform; the config says it).
        return images[0]
    seen = sorted({_shown(normalized(str(p.get("os") or "?"), str(p.get("architecture") or "?"),
                                     str(p.get("variant") or "")))
                   for m in images if isinstance(p := m.get("platform"), dict)})
    raise SourceError(f"{name}: no manifest for {target} in the index (has {', '.join(seen) or 'none'})")


def check_config_platform(config: JsonObject, name: str, wanted: Platform | None) -> None:
    """SourceError when a platform was asked for and the image's config says it is another."""
    if wanted is None or not config.get("architecture"):
        return
    if not wanted.matches(config):
        found = normalized(str(config.get("os") or ""), str(config.get("architecture") or ""),
                           str(config.get("variant") or ""))
        raise SourceError(f"{name}: the image is {found}, not {wanted}")


def _shown(found: Platform) -> str:
    """A platform an index claims, safe to print: the index may be a hostile registry's."""
    text = "".join(c if c.isprintable() else "?" for c in str(found))
    return text if len(text) <= 40 else text[:37] + "..."


def _attestation(desc: JsonObject) -> bool:
    """BuildKit's provenance and SBOM manifests: annotated so, and of platform unknown/unknown."""
    return (_dict(desc.get("annotations")).get("vnd.docker.reference.type") == _ATTESTATION
            or _dict(desc.get("platform")).get("os") == "unknown")


def _dict(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []
