"""What manifest rules receive: a :class:`Manifest` with its image references, resolved and parsed.

A reference is *unresolved* when a template or variable is left in it after ``--var``
values and Compose defaults are applied: ``${TAG}`` with no value, ``{{ .Values.tag }}``
(Helm, Go templates), ``${{ matrix.image }}`` (GitHub), ``$CI_REGISTRY_IMAGE`` (GitLab).
Such a reference is judged by ``unresolved-image-reference`` only, never as pinned or unpinned.

Compose variables follow Compose's interpolation: ``$VAR``, ``${VAR}``, ``${VAR:-default}``
(default when unset or empty), ``${VAR-default}`` (when unset), ``${VAR:+alt}``/``${VAR+alt}``,
``${VAR:?err}``/``${VAR?err}`` (unresolved when unset), and ``$$`` for a literal ``$``.
The values are those given with ``--var K=V``; the environment and ``.env`` are not read,
so that a lint does not depend on the shell it runs in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import field
from pathlib import Path
from typing import Any

from pylint_image.linter.model.dockerfile import Dockerfile
from pylint_image.linter.model.frozen import frozen
from pylint_image.linter.model.span import Span
from pylint_image.linter.reference import InvalidReference, Reference

from .refs import CONTAINER_LISTS, ManifestRef, _position, _scalar_end, pod_specs

_TEMPLATE = re.compile(r"\{\{.*?\}\}|\$\{\{.*?\}\}|<%.*?%>", re.DOTALL)
_VAR = re.compile(r"\$(?:\$|\{(?P<braced>[^{}]*)\}|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))")
_BRACED = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-+?])(?P<arg>.*))?$", re.DOTALL)


def interpolate(value: str, variables: Mapping[str, str]) -> tuple[str, tuple[str, ...]]:
    """``value`` with Compose-style variables replaced, and the expressions left unresolved."""
    left: list[str] = [m.group(0) for m in _TEMPLATE.finditer(value)]
    masked = _TEMPLATE.sub("", value)

    def one(m: re.Match[str]) -> str:
        text = m.group(0)
        if text == "$$":
            return "$"
        name = m.group("plain")
        if name is not None:
            if name in variables:
                return variables[name]
            left.append(text)
            return ""
        parsed = _BRACED.match(m.group("braced") or "")
        if parsed is None:
            left.append(text)
            return ""
        name, op, arg = parsed.group("name"), parsed.group("op"), parsed.group("arg") or ""
        val = variables.get(name)
        empty = val is None or (val == "" and op is not None and op.startswith(":"))
        if op in (":-", "-"):
            return arg if (val is None if op == "-" else empty) else str(val)
        if op in (":+", "+"):
            return "" if (val is None if op == "+" else empty) else arg
        if val is None or (op == ":?" and val == ""):
            left.append(text)
            return ""
        return val

    result = _VAR.sub(one, masked) if "$" in masked else masked
    return result, tuple(left)


@frozen
class ImageUse:
    """One image reference of a manifest: where it is, what it resolves to, parsed.

    ``resolved`` is None when a template or variable is left in it (``unresolved`` lists
    them); ``reference`` is None then, and when the resolved text is not a valid reference
    (``invalid`` says why).
    """

    ref: ManifestRef
    span: Span
    resolved: str | None
    reference: Reference | None = None
    unresolved: tuple[str, ...] = ()
    invalid: str | None = None

    @property
    def value(self) -> str:
        """The reference as written."""
        return self.ref.value


@frozen
class PodContainer:
    """A container of a Kubernetes workload, with the pod spec around it (round-trip mappings)."""

    document: int
    list_key: str  # "containers", "initContainers" or "ephemeralContainers"
    index: int
    container: Any = field(compare=False, repr=False)
    pod_spec: Any = field(compare=False, repr=False)
    image: ImageUse | None = None


@frozen
class ComposeService:
    """A Compose service, and the Dockerfile its ``build:`` names when it could be read."""

    name: str
    service: Any = field(compare=False, repr=False)
    dockerfile: Dockerfile | None = field(default=None, compare=False, repr=False)


@frozen
class Manifest:
    """A parsed manifest: its kind, text, YAML documents (round-trip, with positions) and images.

    ``dockerfiles`` maps an image name (``ghcr.io/acme/api``, the :attr:`Reference.name` of an
    image, no tag) to the Dockerfile that builds it: from the config's ``images`` table and
    from Compose ``build:``.  ``services`` maps a Compose service name to the Dockerfile its
    ``build:`` names.  ``link_errors`` says which linked Dockerfiles could not be read.
    """

    path: Path
    kind: str
    text: str
    images: tuple[ImageUse, ...]
    documents: tuple[Any, ...] = field(default=(), compare=False, repr=False)
    dockerfiles: Mapping[str, Dockerfile] = field(default_factory=dict, compare=False, repr=False)
    services: Mapping[str, Dockerfile] = field(default_factory=dict, compare=False, repr=False)

    @property
    def lines(self) -> list[str]:
        """The text split into lines."""
        return self.text.splitlines()

    def span_of(self, parent: Any, key: Any) -> Span:
        """The span of the value under ``key`` of a mapping (or index of a sequence) of :attr:`documents`."""
        pos = _position(parent, key)
        if pos is None:
            return Span(1, 1, 1, 2)
        row, col = pos
        lines = self.lines
        line = lines[row] if row < len(lines) else ""
        style = line[col] if col < len(line) and line[col] in "'\"" else ""
        value = parent[key]
        if not style and not isinstance(value, (dict, list)) and line[col : col + len(str(value))] == str(value):
            return Span(row + 1, col + 1, row + 1, col + 1 + len(str(value)))
        end = _scalar_end(line, col, style)
        if end <= col:
            end = col + max(len(str(parent[key])) if not isinstance(parent[key], (dict, list)) else 1, 1)
        return Span(row + 1, col + 1, row + 1, end + 1)

    def key_span(self, parent: Any, key: Any) -> Span:
        """The span of ``key`` itself in a mapping of :attr:`documents`."""
        lc = getattr(parent, "lc", None)
        try:
            row, col = lc.key(key) if lc is not None else (0, 0)
        except (KeyError, TypeError, AttributeError):
            row, col = 0, 0
        return Span(row + 1, col + 1, row + 1, col + 1 + len(str(key)))

    def pod_containers(self) -> list[PodContainer]:
        """Every container of every Kubernetes workload document, with its image (None if not a string)."""
        by_path = {(u.ref.document, u.ref.yaml_path): u for u in self.images}
        found = []
        for n, doc in enumerate(self.documents):
            for spec, where in pod_specs(doc):
                for list_key in CONTAINER_LISTS:
                    containers = spec.get(list_key)
                    if not isinstance(containers, list):
                        continue
                    for i, container in enumerate(containers):
                        if isinstance(container, dict):
                            use = by_path.get((n, (*where, list_key, i, "image")))
                            found.append(PodContainer(n, list_key, i, container, spec, use))
        return found

    def compose_services(self) -> list[ComposeService]:
        """Every service of a Compose file, with the Dockerfile its ``build:`` names (if read)."""
        found = []
        for doc in self.documents:
            services = doc.get("services") if isinstance(doc, dict) else None
            if isinstance(services, dict):
                for name, service in services.items():
                    if isinstance(service, dict):
                        found.append(ComposeService(str(name), service, self.services.get(str(name))))
        return found

    def dockerfile_for(self, image: str) -> Dockerfile | None:
        """The repository Dockerfile that builds ``image`` (any tag or digest), or None."""
        try:
            name = Reference.parse(image).name
        except InvalidReference:
            return None
        return self.dockerfiles.get(name)


def image_use(ref: ManifestRef, variables: Mapping[str, str]) -> ImageUse:
    """Resolve and parse one reference."""
    span = Span(ref.line, ref.column, ref.line, ref.end_column)
    resolved, left = interpolate(ref.value, variables)
    if left:
        return ImageUse(ref, span, None, unresolved=left)
    try:
        return ImageUse(ref, span, resolved, Reference.parse(resolved.strip()))
    except InvalidReference as exc:
        return ImageUse(ref, span, resolved, invalid=str(exc))
