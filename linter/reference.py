"""Image references (``[domain/]path[:tag][@digest]``): the one parser, normaliser and "official".

Parsing follows ``github.com/distribution/reference`` (``ParseNormalizedNamed``), the
grammar docker, BuildKit and containerd share:

- **Domain.** The text before the first ``/`` is a registry domain when it is
  ``localhost``, contains a ``.`` or a ``:``, or is not lower-case; otherwise the image is
  on Docker Hub, whose canonical domain is ``docker.io`` (``index.docker.io`` is folded
  into it; no other host name is).
- **``library/``.** A single-component Docker Hub path gets the ``library/`` namespace:
  ``ubuntu`` is ``docker.io/library/ubuntu``.
- **Path.** Lower-case components ``[a-z0-9]+`` joined by ``.``, ``_``, ``__`` or ``-``
  runs, separated by ``/``; at most 255 characters; a bare 64-hex string is an image id,
  not a name.
- **Tag** ``[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}``; **digest** ``algorithm:hex`` with the
  exact length of sha256, sha384 or sha512 (lower-case hex, as go-digest checks);
  ``name:tag@digest`` keeps both (the digest is what gets pulled).

What a registry client needs beyond this (Docker Hub's API host ``registry-1.docker.io``,
the default tag ``latest``) lives in ``runner/registry.py``: a reference names an image,
it does not say how to fetch it.

"Official" has one definition here, :func:`is_official`: see its docstring, and so has
"verified publisher", :func:`verified_publisher`.  Pure (no I/O but reading the shipped
lists once); ``linter/`` and everything above use it.
"""

from __future__ import annotations

from dataclasses import field
from functools import lru_cache
from pathlib import Path

from .model.frozen import frozen

DOCKER_HUB = "docker.io"  # the canonical domain of Docker Hub images
_LEGACY_HUB = "index.docker.io"  # folded into DOCKER_HUB by the grammar
OFFICIAL_NAMESPACE = "library"
# Docker Hub namespaces where the Official Images program also publishes each image per
# architecture (``arm64v8/alpine`` is the official alpine built for arm64).
ARCH_NAMESPACES = ("amd64", "arm32v5", "arm32v6", "arm32v7", "arm64v8", "i386", "mips64le", "ppc64le",
                   "riscv64", "s390x", "windows-amd64")
# Registries that serve Docker Hub's repositories under other names: name prefix -> the
# Docker Hub path prefix it stands for.  Only these public, read-through mirrors and
# Docker Hub's own other host names; the hook issue 11's configurable mirrors extend
# (pass ``mirrors=`` to :func:`upstream` / :func:`is_official`).
HUB_MIRRORS: tuple[tuple[str, str], ...] = (
    ("public.ecr.aws/docker/library/", "library/"),
    ("mirror.gcr.io/", ""),  # mirror.gcr.io/library/x and mirror.gcr.io/x
    ("registry-1.docker.io/", ""),  # Docker Hub's API host, written out in a FROM
    ("registry.hub.docker.com/", ""),
)
NAME_MAX = 255
_DIGEST_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}

# The grammar's character classes (regexp.go), checked with str methods: compiling the
# equivalent regular expressions costs ~1 ms of every start, and every lint parses a FROM.
_LOWER_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_ALNUM = _LOWER_ALNUM | frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_WORD = _ALNUM | {"_"}
_TAG_CHARS = _WORD | {".", "-"}
_HEX = "0123456789abcdef"
_SEPARATORS = (".", "_", "__")  # or a run of "-"


class InvalidReference(ValueError):
    """The text is not an image reference; the message says which part is wrong (callers name the text)."""


@frozen
class Reference:
    """A parsed, normalised image reference; equal references name the same image.

    ``text`` keeps what was written (``python:3.12``); ``str()`` gives the canonical form
    (``docker.io/library/python:3.12``) and :attr:`familiar` the short one docker prints.
    """

    domain: str  # "docker.io" for Docker Hub; "ghcr.io", "localhost:5000", "[::1]:5000"...
    path: str  # "library/python" for "python"; never starts with the domain
    tag: str | None = None
    digest: str | None = None  # "sha256:<64 hex>"
    text: str = field(default="", compare=False, repr=False)

    @classmethod
    def parse(cls, text: str) -> Reference:
        """Parse and normalise ``text``; raise :class:`InvalidReference` when it is not one.

        The result has no default tag: ``python`` has ``tag`` None (a client pulls
        ``latest``, a linter calls it unpinned).
        """
        if not text:
            raise InvalidReference("empty image reference")
        if len(text) == 64 and not text.strip(_HEX):
            raise InvalidReference("a 64-character hexadecimal string is an image id, not a repository name")
        domain, path, tag, digest = split_reference(text)
        # ParseNormalizedNamed's own check, before the grammar: the path must be lower-case.
        if path.lower() != path:
            raise InvalidReference(f"repository name '{path}' must be lower-case")
        if not _is_domain(domain) or not all(_is_component(c) for c in path.split("/")):
            raise InvalidReference("not an image reference ([domain/]path[:tag][@digest])")
        if len(path) > NAME_MAX:
            raise InvalidReference(f"repository name is longer than {NAME_MAX} characters")
        if tag is not None and not _is_tag(tag):
            raise InvalidReference(f"malformed tag '{tag}'")
        if digest is not None:
            _check_digest(digest)
        return cls(domain, path, tag, digest, text)

    @staticmethod
    def split(text: str) -> tuple[str, str, str | None, str | None]:
        """:func:`split_reference`: the parts of ``text`` normalised but not validated."""
        return split_reference(text)

    @property
    def name(self) -> str:
        """``domain/path``, without tag or digest (``docker.io/library/python``)."""
        return f"{self.domain}/{self.path}"

    @property
    def familiar_name(self) -> str:
        """The name as docker shows it: ``python``, ``bitnami/redis``, ``ghcr.io/org/app``."""
        if self.domain != DOCKER_HUB:
            return self.name
        rest = self.path.removeprefix(f"{OFFICIAL_NAMESPACE}/")
        return self.path if "/" in rest else rest

    @property
    def familiar(self) -> str:
        """The familiar name with the tag and digest (``python:3.12``)."""
        return self.familiar_name + self._suffix()

    def __str__(self) -> str:
        return self.name + self._suffix()

    def _suffix(self) -> str:
        return (f":{self.tag}" if self.tag is not None else "") + (f"@{self.digest}" if self.digest else "")

    @property
    def is_docker_hub(self) -> bool:
        """True for images on Docker Hub (``docker.io``), as written, not through a mirror."""
        return self.domain == DOCKER_HUB

    @property
    def upstream(self) -> Reference:
        """The Docker Hub reference a known mirror serves (see :func:`upstream`)."""
        return upstream(self)

    @property
    def is_official(self) -> bool:
        """True for a Docker Official Image (see :func:`is_official`)."""
        return is_official(self)

    @property
    def verified_publisher(self) -> str | None:
        """The verified publisher of this image's registry or namespace (see :func:`verified_publisher`)."""
        return verified_publisher(self)


def split_reference(text: str) -> tuple[str, str, str | None, str | None]:
    """Split ``text`` into ``(domain, path, tag, digest)`` normalised but **not validated**.

    The first step of :meth:`Reference.parse`.  Use it alone only for text that cannot
    be valid yet, such as ``ghcr.io/org/${IMAGE}:1`` with an unresolved build argument,
    to learn what is known (here the domain).
    """
    domain, remainder = split_domain(text)
    name, at, digest = remainder.partition("@")
    tag = None
    colon = name.rfind(":")
    if colon > name.rfind("/"):
        name, tag = name[:colon], name[colon + 1:]
    return domain, name, tag, digest if at else None


def split_domain(name: str) -> tuple[str, str]:
    """Split ``name`` into its domain (``docker.io`` by default) and the rest, as docker does.

    distribution/reference's ``splitDockerDomain``, including ``library/`` for a
    single-component Docker Hub name.
    """
    first, slash, rest = name.partition("/")
    if not slash:
        return DOCKER_HUB, f"{OFFICIAL_NAMESPACE}/{name}"
    if first == _LEGACY_HUB:
        domain, remainder = DOCKER_HUB, rest
    elif first == "localhost" or "." in first or ":" in first or first.lower() != first:
        domain, remainder = first, rest
    else:
        domain, remainder = DOCKER_HUB, name
    if domain == DOCKER_HUB and "/" not in remainder:
        remainder = f"{OFFICIAL_NAMESPACE}/{remainder}"
    return domain, remainder


def _is_component(text: str) -> bool:
    """``[a-z0-9]+`` runs joined by ``.``, ``_``, ``__`` or a run of ``-`` (regexp.go's pathComponent)."""
    if not text or text[0] not in _LOWER_ALNUM or text[-1] not in _LOWER_ALNUM:
        return False
    separator = ""
    for char in text:
        if char in _LOWER_ALNUM:
            if separator and separator not in _SEPARATORS and separator.strip("-"):
                return False
            separator = ""
        elif char in "._-":
            separator += char
        else:
            return False
    return True


def _is_label(text: str) -> bool:
    """A host name label: ASCII letters and digits, with inner ``-``."""
    return bool(text) and text[0] in _ALNUM and text[-1] in _ALNUM and all(c in _ALNUM or c == "-" for c in text)


def _is_domain(text: str) -> bool:
    """``host[:port]``, the host a name of dot-separated labels or a bracketed IPv6 address."""
    if text.startswith("["):
        address, bracket, port = text[1:].partition("]")
        valid_host = bool(bracket) and bool(address) and not address.lower().strip(_HEX + ":")
    else:
        host, colon, port = text.partition(":")
        valid_host = all(_is_label(label) for label in host.split("."))
        port = colon + port
    if port.startswith(":"):
        port = port[1:]
        if not port:
            return False
    elif port:
        return False
    return valid_host and (not port or (port.isascii() and port.isdigit()))


def _is_tag(text: str) -> bool:
    """``[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}``."""
    return 0 < len(text) <= 128 and text[0] in _WORD and all(c in _TAG_CHARS for c in text)


def _is_algorithm(text: str) -> bool:
    """``[A-Za-z][A-Za-z0-9]*`` parts joined by one of ``-_+.`` (go-digest's algorithm grammar)."""
    parts = text.replace("-", ".").replace("_", ".").replace("+", ".").split(".")
    return all(p and p[0].isalpha() and p.isascii() and p.isalnum() for p in parts)


def _check_digest(digest: str) -> None:
    """go-digest's ``Parse``: a well-formed, known algorithm with its exact lower-case hex length."""
    algorithm, colon, encoded = digest.partition(":")
    if not colon or not _is_algorithm(algorithm) or len(encoded) < 32 or encoded.lower().strip(_HEX):
        raise InvalidReference(f"malformed digest '{digest}'")
    length = _DIGEST_LENGTHS.get(algorithm)
    if length is None:
        raise InvalidReference(f"unsupported digest algorithm '{algorithm}'")
    if len(encoded) != length or encoded.lower() != encoded:
        raise InvalidReference(f"malformed digest '{digest}' ({algorithm} is {length} lower-case hex digits)")


def upstream(ref: Reference, mirrors: tuple[tuple[str, str], ...] = HUB_MIRRORS) -> Reference:
    """The Docker Hub reference that ``ref`` reaches through a mirror in ``mirrors``, else ``ref``.

    ``public.ecr.aws/docker/library/node:20`` is ``docker.io/library/node:20``;
    ``mirror.gcr.io/busybox`` is ``docker.io/library/busybox``.
    """
    name = ref.name
    for prefix, hub_prefix in mirrors:
        if name.startswith(prefix):
            try:
                hub = Reference.parse(f"{DOCKER_HUB}/{hub_prefix}{name[len(prefix):]}")
            except InvalidReference:
                return ref
            return Reference(hub.domain, hub.path, ref.tag, ref.digest, ref.text)
    return ref


def is_official(ref: Reference, mirrors: tuple[tuple[str, str], ...] = HUB_MIRRORS) -> bool:
    """True when ``ref`` is a Docker Official Image.

    That is: on Docker Hub (directly or through one of ``mirrors``), in the ``library/``
    namespace or one of the per-architecture namespaces the Official Images program
    publishes to (``arm64v8/``...), under a name in the official-images list shipped with
    pylint-image (``official_images.txt``, generated from docker-library/official-images).
    ``library/`` alone is not enough: a name that left the program (``centos``) is not
    official any more.
    """
    hub = upstream(ref, mirrors)
    if not hub.is_docker_hub:
        return False
    namespace, _, name = hub.path.partition("/")
    return (namespace == OFFICIAL_NAMESPACE or namespace in ARCH_NAMESPACES) and name in official_image_names()


@lru_cache(maxsize=1)
def official_image_names() -> frozenset[str]:
    """The Docker Official Image names (``python``, ``debian``...), read once on first use."""
    # A plain file beside this module (package data); importlib.resources would add ~5 ms of
    # imports (zipfile, ...) to every start for nothing: wheels install as directories.
    text = Path(__file__).with_name("official_images.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def verified_publisher(ref: Reference, mirrors: tuple[tuple[str, str], ...] = HUB_MIRRORS) -> str | None:
    """The verified publisher whose registry or namespace ``ref`` is in, else None.

    The entries are ``verified_publishers.txt`` (shipped, curated, one source per entry),
    matched on whole path components of the name as written or of the Docker Hub name a
    mirror serves (``mirror.gcr.io/bitnami/redis`` is Bitnami's); a trailing ``*`` also
    matches a longer last component (``registry.access.redhat.com/ubi*``).  The first
    matching entry wins, so specific entries precede their registry's.
    """
    names = {tuple(ref.name.lower().split("/")), tuple(upstream(ref, mirrors).name.lower().split("/"))}
    for prefix, publisher in verified_publishers():
        for name in names:
            if len(name) < len(prefix):
                continue
            *whole, last = prefix
            if name[:len(whole)] == tuple(whole) and (
                    name[len(whole)] == last or (last.endswith("*") and name[len(whole)].startswith(last[:-1]))):
                return publisher
    return None


@lru_cache(maxsize=1)
def verified_publishers() -> tuple[tuple[tuple[str, ...], str], ...]:
    """``(prefix components, publisher)`` of every entry of ``verified_publishers.txt``, in file order."""
    text = Path(__file__).with_name("verified_publishers.txt").read_text(encoding="utf-8")
    entries = []
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            prefix, publisher, _source = (part.strip() for part in line.split("|", 2))
            entries.append((tuple(prefix.lower().strip("/").split("/")), publisher))
    return tuple(entries)
