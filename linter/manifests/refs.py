"""Find image references, with their exact positions, in Compose, Kubernetes, GitHub and GitLab YAML.

Pure: text in, :class:`ManifestRef` values out; nothing is read from disk.  ruamel.yaml
(round-trip loader, which keeps the line and column of every scalar) is imported inside the
functions that parse, so that importing this module costs nothing.

Positions: ``line`` and ``column`` are 1-based and point at the first character of the
scalar as written (its opening quote when quoted); ``end_column`` is exclusive, after the
closing quote.  ``style`` is the quote style (``''``, ``"'"`` or ``'"'``); ``value`` is the
scalar's value (quotes and escapes removed).  Block scalars (``|``, ``>``) and scalars
continued over several lines keep ``end_column`` at the end of their first line.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any

from pylint_image.linter.errors import InputError
from pylint_image.linter.model.frozen import frozen

KINDS = ("compose", "kubernetes", "github", "gitlab")
COMPOSE_PATTERNS = ("compose.yml", "compose.yaml", "compose.*.yml", "compose.*.yaml", "compose-*.yml",
                    "compose-*.yaml", "docker-compose.yml", "docker-compose.yaml", "docker-compose.*.yml",
                    "docker-compose.*.yaml", "docker-compose-*.yml", "docker-compose-*.yaml")
# Kinds whose pod spec holds containers, and where that pod spec is.
_POD_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
WORKLOAD_KINDS = tuple(_POD_PATHS)
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
_APIVERSION = re.compile(r"^(?:---\s*)?([\"']?)apiVersion\1\s*:", re.MULTILINE)
_KIND = re.compile(r"^(?:---\s*)?([\"']?)kind\1\s*:", re.MULTILINE)
# GitLab CI keys that are not jobs.
_GITLAB_GLOBAL = frozenset({"default", "include", "stages", "variables", "workflow", "image", "services",
                            "cache", "before_script", "after_script", "spec"})

YamlPath = tuple[str | int, ...]


@frozen
class ManifestRef:
    """One image reference in a manifest, where it is written and how."""

    kind: str  # "compose" | "kubernetes" | "github" | "gitlab"
    value: str  # the image as written, quotes removed (``docker://`` kept off for GitHub ``uses``)
    line: int  # 1-based
    column: int  # 1-based, the scalar's first character (its opening quote when quoted)
    end_column: int  # exclusive
    yaml_path: YamlPath  # keys and indexes from the document's root, e.g. ("services", "web", "image")
    style: str = ""  # "", "'" or '"'
    prefix: str = ""  # text of the scalar before ``value`` (``docker://`` for GitHub ``uses``)
    document: int = 0  # 0-based index of the YAML document (``---``) in the file


def _name_kind(path: str) -> str | None:
    p = PurePosixPath(path.replace("\\", "/"))
    name = p.name
    if name in (".gitlab-ci.yml", ".gitlab-ci.yaml"):
        return "gitlab"
    if name.endswith((".yml", ".yaml")) and len(p.parts) >= 3 and p.parts[-3:-1] == (".github", "workflows"):
        return "github"
    if any(fnmatch.fnmatchcase(name, pat) for pat in COMPOSE_PATTERNS):
        return "compose"
    return None


def is_yaml_name(path: str) -> bool:
    """True for a ``.yml`` or ``.yaml`` file name."""
    return path.lower().endswith((".yml", ".yaml"))


def looks_like_kubernetes(text: str) -> bool:
    """True when some document has top-level ``apiVersion`` and ``kind`` keys (a quick textual test)."""
    return bool(_APIVERSION.search(text) and _KIND.search(text))


def detect_kind(path: str, text: str | None = None) -> str | None:
    """The manifest kind of ``path`` (by its name) or, for other YAML and stdin, of ``text``.

    Compose: ``compose*.y(a)ml``, ``docker-compose*.y(a)ml``; GitHub: ``.github/workflows/*.y(a)ml``;
    GitLab: ``.gitlab-ci.yml``; Kubernetes: any YAML (or stdin, ``-``) whose text has top-level
    ``apiVersion`` and ``kind`` keys.  None otherwise.
    """
    by_name = _name_kind(path)
    if by_name is not None:
        return by_name
    if text is not None and (is_yaml_name(path) or path in ("-", "")) and looks_like_kubernetes(text):
        return "kubernetes"
    return None


def load_documents(text: str, path: str) -> list[Any]:
    """Every YAML document of ``text`` (round-trip: positions kept); InputError naming the line on bad YAML."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    try:
        return [d for d in yaml.load_all(text)]
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"invalid YAML: {problem}", path, line) from None
    except Exception as exc:  # ruamel raises a few non-YAMLError types on odd input (duplicate anchors...)
        raise InputError(f"invalid YAML: {exc}".splitlines()[0], path) from None


def find_image_refs(text: str, path: str, kind: str | None = None, *,
                    documents: list[Any] | None = None) -> list[ManifestRef]:
    """Every image reference of the manifest ``text`` (named ``path``), in file order.

    ``kind`` defaults to :func:`detect_kind`; a file of no known kind has none.  Raises
    InputError (file and line) when the YAML is malformed.  ``documents``: the already
    loaded round-trip documents of ``text`` (:func:`documents_of`), to parse once.
    """
    kind = kind or detect_kind(path, text)
    if kind is None:
        return []
    lines = text.splitlines()
    docs = documents if documents is not None else load_documents(text, path)
    found: list[ManifestRef] = []
    for index, doc in enumerate(docs):
        for parent, key, ypath, prefix in _walk_kind(kind, doc):
            ref = _make_ref(kind, parent, key, ypath, lines, prefix, index)
            if ref is not None:
                found.append(ref)
    found.sort(key=lambda r: (r.document, r.line, r.column))
    # A scalar merged into several services (``<<: *base``) is one reference, where it is written.
    unique: dict[tuple[int, int, int], ManifestRef] = {}
    for ref in found:
        unique.setdefault((ref.document, ref.line, ref.column), ref)
    return list(unique.values())


def documents_of(text: str, path: str) -> list[Any]:
    """The round-trip documents of a manifest (for the claims checks); InputError on bad YAML."""
    return load_documents(text, path)


# --- per kind: (container, key, yaml path, prefix) of every image scalar -------------------------------


Slot = tuple[Any, Any, YamlPath, str]


def _walk_kind(kind: str, doc: Any) -> Iterator[Slot]:
    if not isinstance(doc, dict):
        return
    if kind == "compose":
        yield from _compose(doc)
    elif kind == "kubernetes":
        yield from _kubernetes(doc)
    elif kind == "github":
        yield from _github(doc)
    elif kind == "gitlab":
        yield from _gitlab(doc)


def _compose(doc: dict) -> Iterator[Slot]:
    services = doc.get("services")
    if not isinstance(services, dict):
        return
    for name, service in services.items():
        if isinstance(service, dict) and isinstance(service.get("image"), str):
            yield service, "image", ("services", name, "image"), ""


def pod_spec_path(kind: str) -> tuple[str, ...] | None:
    """Where a workload kind keeps its pod spec (``spec.template.spec``...), or None."""
    return _POD_PATHS.get(kind)


def pod_specs(doc: Any) -> Iterator[tuple[dict, YamlPath]]:
    """The pod spec of a Kubernetes workload document (and of each item of a ``List``)."""
    if not isinstance(doc, dict):
        return
    kind = doc.get("kind")
    if kind == "List" and isinstance(doc.get("items"), list):
        for i, item in enumerate(doc["items"]):
            for spec, ypath in pod_specs(item):
                yield spec, ("items", i, *ypath)
        return
    where = _POD_PATHS.get(str(kind)) if isinstance(kind, str) else None
    if where is None:
        return
    node: Any = doc
    for key in where:
        node = node.get(key) if isinstance(node, dict) else None
    if isinstance(node, dict):
        yield node, where


def _kubernetes(doc: dict) -> Iterator[Slot]:
    for spec, ypath in pod_specs(doc):
        for list_key in CONTAINER_LISTS:
            containers = spec.get(list_key)
            if not isinstance(containers, list):
                continue
            for i, container in enumerate(containers):
                if isinstance(container, dict) and isinstance(container.get("image"), str):
                    yield container, "image", (*ypath, list_key, i, "image"), ""


def _github(doc: dict) -> Iterator[Slot]:
    jobs = doc.get("jobs")
    if not isinstance(jobs, dict):
        return
    for job_name, job in jobs.items():
        if not isinstance(job, dict):
            continue
        container = job.get("container")
        if isinstance(container, str):
            yield job, "container", ("jobs", job_name, "container"), ""
        elif isinstance(container, dict) and isinstance(container.get("image"), str):
            yield container, "image", ("jobs", job_name, "container", "image"), ""
        services = job.get("services")
        if isinstance(services, dict):
            for sname, service in services.items():
                if isinstance(service, dict) and isinstance(service.get("image"), str):
                    yield service, "image", ("jobs", job_name, "services", sname, "image"), ""
        steps = job.get("steps")
        if isinstance(steps, list):
            for i, step in enumerate(steps):
                if isinstance(step, dict):
                    uses = step.get("uses")
                    if isinstance(uses, str) and uses.startswith("docker://"):
                        yield step, "uses", ("jobs", job_name, "steps", i, "uses"), "docker://"


def _gitlab_image_slots(node: dict, base: YamlPath) -> Iterator[Slot]:
    image = node.get("image")
    if isinstance(image, str):
        yield node, "image", (*base, "image"), ""
    elif isinstance(image, dict) and isinstance(image.get("name"), str):
        yield image, "name", (*base, "image", "name"), ""
    services = node.get("services")
    if isinstance(services, list):
        for i, service in enumerate(services):
            if isinstance(service, str):
                yield services, i, (*base, "services", i), ""
            elif isinstance(service, dict) and isinstance(service.get("name"), str):
                yield service, "name", (*base, "services", i, "name"), ""


def _gitlab(doc: dict) -> Iterator[Slot]:
    yield from _gitlab_image_slots(doc, ())
    default = doc.get("default")
    if isinstance(default, dict):
        yield from _gitlab_image_slots(default, ("default",))
    for name, job in doc.items():
        if isinstance(name, str) and name not in _GITLAB_GLOBAL and isinstance(job, dict):
            yield from _gitlab_image_slots(job, (name,))


# --- positions -----------------------------------------------------------------------------------------


def _owner(parent: Any, key: Any, depth: int = 0) -> Any:
    """The mapping that holds ``key`` as written: ``parent``, or the anchor a ``<<:`` merge took it from."""
    own = getattr(parent, "_ok", None)
    if own is None or key in own or depth > 32:
        return parent
    for source in getattr(parent, "merge", ()) or ():
        source = source[1] if isinstance(source, tuple) else source  # older ruamel: (index, map)
        if isinstance(source, dict) and key in source:
            return _owner(source, key, depth + 1)
    return parent


def _position(parent: Any, key: Any) -> tuple[int, int] | None:
    """0-based (line, column) of the value under ``key`` of a round-trip mapping or sequence.

    A key a ``<<: *anchor`` merge brought in is where the anchor's mapping writes it.
    """
    if isinstance(parent, dict):
        parent = _owner(parent, key)
    lc = getattr(parent, "lc", None)
    if lc is None:
        return None
    try:
        pos = lc.item(key) if isinstance(key, int) and isinstance(parent, list) else lc.value(key)
    except (KeyError, IndexError, TypeError, AttributeError):
        return None
    if pos is None:
        return None
    return int(pos[0]), int(pos[1])


def _scalar_end(line: str, start: int, style: str) -> int:
    """0-based exclusive end of the scalar starting at ``line[start]``."""
    if style == "'":
        i = start + 1
        while i < len(line):
            if line[i] == "'":
                if i + 1 < len(line) and line[i + 1] == "'":
                    i += 2
                    continue
                return i + 1
            i += 1
        return len(line)
    if style == '"':
        i = start + 1
        while i < len(line):
            if line[i] == "\\":
                i += 2
                continue
            if line[i] == '"':
                return i + 1
            i += 1
        return len(line)
    # plain: up to " #" (a comment), or a flow indicator inside flow collections, trailing spaces stripped
    m = re.compile(r"\s#|,\s|,$|[\]}]").search(line, start)
    end = m.start() if m else len(line)
    return len(line[:end].rstrip()) if end > start else end


def _make_ref(kind: str, parent: Any, key: Any, ypath: YamlPath, lines: list[str], prefix: str,
              document: int) -> ManifestRef | None:
    scalar = parent[key]
    pos = _position(parent, key)
    if pos is None:
        return None
    row, col = pos
    style = ""
    text_line = lines[row] if row < len(lines) else ""
    if col < len(text_line) and text_line[col] in "'\"":
        style = text_line[col]
    elif col < len(text_line) and text_line[col] in "|>":
        style = ""
    value = str(scalar)
    if style == "" and text_line[col : col + len(value)] == value:
        end = col + len(value)  # a plain scalar is written as its value (no escapes)
    else:
        end = _scalar_end(text_line, col, style)
    if style == "" and end <= col:
        end = col + len(value)
    if prefix and value.startswith(prefix):
        value = value[len(prefix):]
    return ManifestRef(kind=kind, value=value, line=row + 1, column=col + 1, end_column=end + 1,
                       yaml_path=ypath, style=style, prefix=prefix, document=document)
