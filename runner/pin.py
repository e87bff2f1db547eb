"""``pylint-image pin``: resolve every tag reference to its digest and rewrite it in place.

A reference ``name:tag`` becomes ``name:tag@sha256:...`` (the tag is kept for readers; a
reference with no tag gets ``:latest``, the tag it meant).  Only the characters of the image
word change: in a Dockerfile, the FROM's image word (its span from our parser; the FROM
instructions themselves are found, and the result re-checked, with ``dockerfile-parse``);
in YAML, the scalar at the line and column ruamel.yaml gives (``linter.manifests.refs``),
written back in its own quote style and re-read with ruamel.yaml to prove it now holds the
new value.  Comments, continuations, ``--platform``, ``AS name``, anchors, flow style and
document markers stay byte-for-byte.

Resolvers: :class:`RegistryResolver` asks the registry for the tag's manifest (an index for
a multi-platform tag: its digest is what gets pinned) and checks the body against
``Docker-Content-Digest``; :class:`DaemonResolver` takes the local engine's RepoDigests.
A reference that cannot be resolved is one :class:`PinError`; the others are still pinned.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from pylint_image.linter.errors import EngineUnavailable, PylintImageError, SourceError
from pylint_image.linter.reference import InvalidReference, Reference
from pylint_image.runner.registry_credentials import Credentials, _registry_key
from pylint_image.runner.registry_http import Transport, clean

DEFAULT_TAG = "latest"
_TEMPLATED = re.compile(r"\$|\{\{|\}\}|%\{")
_HTTP_STATUS = re.compile(r": HTTP (\d{3})\b")
HELPER_LIMIT = 1 << 16  # bytes of a credential helper's answer read at most
HELPER_TIMEOUT = 30.0


class PinError(PylintImageError):
    """A reference that could not be resolved: 2 when the reference is wrong (unknown tag,
    no access), 3 when the registry or engine could not be reached."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        self.exit_code = exit_code
        super().__init__(message)


class Resolver(Protocol):
    """Gives the current digest of a tagged reference."""

    def digest(self, ref: Reference) -> str:
        """The digest ``ref``'s tag points at now; PinError when it cannot be told."""
        ...  # pragma: no cover - protocol


# --- credentials: docker's config.json auths and credential helpers ---------------------------------------


class DockerCredentials(Credentials):
    """``config.json`` as docker reads it: ``credHelpers`` per registry, then ``credsStore``, then ``auths``.

    A helper is ``docker-credential-NAME``, asked with ``get`` and the server URL on stdin
    (``https://index.docker.io/v1/`` for Docker Hub, as docker asks); its JSON answer's
    ``Username`` and ``Secret`` become Basic credentials.  A helper that fails or does not
    know the registry falls back to ``auths``, as docker's does to anonymous access.
    """

    def __init__(self, auths: dict[str, str], helpers: Mapping[str, str] | None = None,
                 store: str | None = None, runner: Callable[..., subprocess.CompletedProcess[bytes]] | None = None
                 ) -> None:
        super().__init__(auths)
        self._helpers = dict(helpers or {})
        self._store = store
        self._run = runner or subprocess.run
        self._asked: dict[str, str | None] = {}

    @classmethod
    def from_docker_config(cls, path: Path | None = None) -> DockerCredentials:
        """Read ``$DOCKER_CONFIG/config.json`` or ``~/.docker/config.json`` (empty when absent)."""
        if path is None:
            base = os.environ.get("DOCKER_CONFIG") or str(Path.home() / ".docker")
            path = Path(base) / "config.json"
        plain = Credentials.from_docker_config(path)
        helpers: dict[str, str] = {}
        store = None
        try:
            doc = json.loads(path.read_bytes()[:1 << 20])
        except (OSError, ValueError):
            doc = None
        if isinstance(doc, dict):
            table = doc.get("credHelpers")
            if isinstance(table, dict):
                helpers = {_registry_key(str(k)): str(v) for k, v in table.items() if isinstance(v, str) and v}
            if isinstance(doc.get("credsStore"), str) and doc["credsStore"]:
                store = doc["credsStore"]
        return cls(dict(plain._auths), helpers, store)

    def basic(self, netloc: str) -> str | None:
        """Basic ``user:password`` (base64) for a registry host: the helper's, else ``auths``."""
        key = netloc.lower()
        hub = key in self._HUB
        helper = next((self._helpers[h] for h in ((*self._HUB,) if hub else (key,)) if h in self._helpers),
                      None) or self._store
        if helper:
            found = self._from_helper(helper, "https://index.docker.io/v1/" if hub else key)
            if found:
                return found
        return super().basic(netloc)

    def _from_helper(self, helper: str, server: str) -> str | None:
        """Run ``docker-credential-HELPER get`` once per server; None when it fails or knows nothing."""
        cache_key = f"{helper}\0{server}"
        if cache_key in self._asked:
            return self._asked[cache_key]
        value: str | None = None
        try:
            done = self._run([f"docker-credential-{helper}", "get"], input=server.encode(),
                             capture_output=True, timeout=HELPER_TIMEOUT, check=False)
            if done.returncode == 0:
                doc = json.loads(done.stdout[:HELPER_LIMIT])
                user, secret = doc.get("Username"), doc.get("Secret")
                if isinstance(user, str) and isinstance(secret, str) and user and secret:
                    value = base64.b64encode(f"{user}:{secret}".encode()).decode()
        except (OSError, subprocess.SubprocessError, ValueError, AttributeError):
            value = None
        self._asked[cache_key] = value
        return value


# --- resolvers ----------------------------------------------------------------------------------------------


class RegistryResolver:
    """The tag's manifest digest, from the registry (one GET per distinct reference)."""

    def __init__(self, credentials: Credentials | None = None, *, timeout: float = 30.0,
                 deadline: float = 3600.0, insecure_hosts: Iterable[str] | None = None) -> None:
        from pylint_image.runner.registry import DEFAULT_INSECURE

        self._transport = Transport(insecure_hosts if insecure_hosts is not None else DEFAULT_INSECURE,
                                    timeout, deadline,
                                    credentials if credentials is not None else DockerCredentials.from_docker_config())
        self._cache: dict[str, str] = {}

    def digest(self, ref: Reference) -> str:
        """GET the manifest (Accept: index and manifest types), hash it, check Docker-Content-Digest."""
        from pylint_image.runner.registry import INDEX_TYPES, MANIFEST_LIMIT, MANIFEST_TYPES, api_host, parse_manifest

        tag = ref.tag or DEFAULT_TAG
        key = f"{ref.name}:{tag}"
        if key in self._cache:
            return self._cache[key]
        host = api_host(ref)
        url = f"{self._transport.scheme(host)}://{host}/v2/{ref.path}/manifests/{tag}"
        try:
            resp = self._transport.get(url, INDEX_TYPES + MANIFEST_TYPES, f"repository:{ref.path}:pull")
        except SourceError as exc:
            raise PinError(_registry_reason(str(exc)), _registry_exit_code(str(exc))) from None
        try:
            with resp:
                body = resp.read_all(MANIFEST_LIMIT, "manifest")
                header_digest = resp.header("Docker-Content-Digest").strip()
                content_type = resp.header("Content-Type")
            alg = header_digest.split(":", 1)[0] if header_digest.startswith(("sha256:", "sha512:")) else "sha256"
            actual = f"{alg}:{hashlib.new(alg, body).hexdigest()}"
            if header_digest and header_digest != actual:
                raise SourceError(f"{url}: Docker-Content-Digest {clean(header_digest, 140)} does not match "
                                  f"the manifest's {actual}")
            parse_manifest(body, content_type, url)  # an image manifest or index, nothing else
        except SourceError as exc:  # the registry answered, with something that is not the manifest
            raise PinError(str(exc), 3) from None
        if alg != "sha256":
            actual = f"sha256:{hashlib.sha256(body).hexdigest()}"
        self._cache[key] = actual
        return actual


def _registry_exit_code(message: str) -> int:
    """2 when the registry answered that the reference is wrong (a 4xx), 3 when it could not be used."""
    m = _HTTP_STATUS.search(message)
    return 2 if m and m.group(1).startswith("4") else 3


def _registry_reason(message: str) -> str:
    """Why the GET of a manifest failed, in words (the transport's own line kept in parentheses)."""
    m = _HTTP_STATUS.search(message)
    if m is None:
        return f"registry unreachable ({message})"
    if m.group(1) == "404":
        return f"unknown tag or repository ({message})"
    return message


class DaemonResolver:
    """The digest the local engine recorded for the image (``RepoDigests``) when it pulled or pushed it."""

    def __init__(self, inspect: Callable[[str], dict[str, object] | None] | None = None) -> None:
        self._inspect = inspect or _inspect_image

    def digest(self, ref: Reference) -> str:
        """The RepoDigest of ``ref``'s repository on the image ``ref``'s tag names in the engine."""
        tag = ref.tag or DEFAULT_TAG
        try:
            doc = self._inspect(f"{ref.familiar_name}:{tag}")
        except EngineUnavailable as exc:
            raise PinError(f"engine unreachable ({exc})", 3) from None
        except SourceError as exc:
            raise PinError(f"not in the local engine ({exc}); docker pull it first", 2) from None
        if doc is None:
            raise PinError("not in the local engine; docker pull it first", 2)
        digests = doc.get("RepoDigests")
        for entry in digests if isinstance(digests, list) else ():
            try:
                found = Reference.parse(str(entry))
            except InvalidReference:
                continue
            if found.name == ref.name and found.digest:
                return found.digest
        raise PinError("the local engine has no RepoDigest for it (it was never pushed or pulled)", 2)


def _inspect_image(ref: str) -> dict[str, object] | None:
    """``docker image inspect`` by the engine's socket, else by the CLI."""
    from pylint_image.runner.docker_socket import engine_error, inspect_image

    doc = inspect_image(ref)
    if doc is not None:
        return doc
    try:
        done = subprocess.run(["docker", "image", "inspect", "--", ref], capture_output=True, text=True,
                              timeout=60, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise EngineUnavailable(f"docker: {exc}") from None
    if done.returncode != 0:
        raise engine_error(done.stderr)
    try:
        found = json.loads(done.stdout)
    except ValueError:
        return None
    return found[0] if isinstance(found, list) and found and isinstance(found[0], dict) else None


# --- what a run does to one file ----------------------------------------------------------------------------


@dataclass
class Change:
    """One reference rewritten (or to rewrite): where, and its text before and after."""

    line: int
    column: int  # 1-based, on ``line``
    end_column: int  # exclusive
    old: str  # the exact source text replaced
    new: str
    ref: str  # the reference as written (for messages)
    digest: str
    previous: str | None = None  # the digest it had (``--update``)


@dataclass
class Outcome:
    """What pinning one file found: changes, notes (left alone on purpose), errors (one line each)."""

    path: str
    text: str
    new_text: str = ""
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    errors: list[PinError] = field(default_factory=list)
    current: int = 0  # references already pinned (and current, with --update)

    @property
    def changed(self) -> bool:
        """True when the file's text would change."""
        return self.new_text != self.text


class _Pinner:
    """Decides, for one reference, what its text becomes (or why it stays)."""

    def __init__(self, resolver: Resolver, outcome: Outcome, update: bool) -> None:
        self.resolver = resolver
        self.outcome = outcome
        self.update = update

    def new_value(self, written: str, line: int) -> tuple[str, str, str | None] | None:
        """``(new text, digest, previous digest)`` for the reference ``written``; None to leave it."""
        try:
            ref = Reference.parse(written)
        except InvalidReference as exc:
            reason = str(exc)
            self.error(line, written, reason if "image reference" in reason else f"not an image reference ({reason})")
            return None
        if ref.digest and (not self.update or ref.tag is None):
            if self.update:
                self.note(line, f"{clean(written)} is pinned by digest alone: no tag to refresh it from")
            self.outcome.current += 1
            return None
        try:
            digest = self.resolver.digest(ref)
        except PinError as exc:
            self.error(line, written, exc.message, exc.exit_code)
            return None
        if ref.digest:
            if ref.digest == digest:
                self.outcome.current += 1
                return None
            base = written[:written.rindex("@")]
            return f"{base}@{digest}", digest, ref.digest
        tagged = written if ref.tag else f"{written}:{DEFAULT_TAG}"
        return f"{tagged}@{digest}", digest, None

    def error(self, line: int, written: str, reason: str, code: int = 2) -> None:
        """Record one error line for the reference ``written`` at ``line``."""
        self.outcome.errors.append(PinError(f"{self.outcome.path}:{line}: {clean(written)}: {reason}", code))

    def note(self, line: int, message: str) -> None:
        """Record a note: something left alone on purpose."""
        self.outcome.notes.append(f"{self.outcome.path}:{line}: {message}")


def _lines(text: str) -> list[str]:
    """The lines of ``text`` with their ends, split at ``\n`` only (``\r\n`` stays whole) as parsers count them."""
    return text.split("\n") if "\n" not in text else [part + "\n" for part in text.split("\n")[:-1]] + (
        [text.rsplit("\n", 1)[1]] if not text.endswith("\n") else [])


def _splice(text: str, changes: list[Change]) -> str:
    """Replace each change's span (1-based line and columns, one line each) in ``text``."""
    lines = _lines(text)
    for ch in sorted(changes, key=lambda c: (c.line, c.column), reverse=True):
        row = lines[ch.line - 1]
        start, end = ch.column - 1, ch.end_column - 1
        if row[start:end] != ch.old:
            raise AssertionError(f"line {ch.line}: expected {ch.old!r} at column {ch.column}")
        lines[ch.line - 1] = row[:start] + ch.new + row[end:]
    return "".join(lines)


# --- Dockerfiles --------------------------------------------------------------------------------------------


_ARG_REF = re.compile(r"^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))$")


def pin_dockerfile(path: str, text: str, resolver: Resolver, *, update: bool = False,
                   pin_args: bool = False) -> Outcome:
    """Pin the base images of a Dockerfile's FROM lines (and, with ``pin_args``, the ARG defaults they use)."""
    from dockerfile_parse import DockerfileParser  # type: ignore[import-untyped]

    from pylint_image.linter.errors import ParseError
    from pylint_image.linter.model.dockerfile import Arg
    from pylint_image.linter.parse import parse_dockerfile

    outcome = Outcome(path, text, text)
    try:
        model = parse_dockerfile(path, text)
    except ParseError as exc:
        outcome.errors.append(PinError(str(exc)))
        return outcome
    parser = DockerfileParser(fileobj=io.BytesIO(text.encode("utf-8")))
    from_lines = [item["startline"] + 1 for item in parser.structure if item["instruction"] == "FROM"]
    stages = {stage.from_instruction.span.start_line: stage for stage in model.stages}
    pinner = _Pinner(resolver, outcome, update)
    global_args: dict[str, Arg] = {}
    for ins in model.global_args:
        for arg in ins.args:
            arg_name, eq, _value = arg.text.partition("=")
            if eq:
                global_args[arg_name] = arg
    pinned_args: set[str] = set()
    for line in from_lines:
        stage = stages.get(line)
        if stage is None:  # dockerfile-parse and BuildKit disagree on what is a FROM: leave it
            pinner.note(line, "dockerfile-parse reads a FROM here that BuildKit does not (in a heredoc?): left alone")
            continue
        base = stage.base
        if base.is_scratch or base.is_stage_alias or base.span is None:
            continue
        if "$" in base.raw:
            m = _ARG_REF.match(base.raw)
            name = (m.group(1) or m.group(2)) if m else None
            if not pin_args:
                pinner.note(line, f"FROM {base.raw} is built from ARGs: left alone (--pin-args pins the ARG default)")
            elif name is None or name not in global_args:
                pinner.note(line, f"FROM {base.raw}: no ARG default to pin (only FROM $NAME with a global "
                                  "ARG NAME=default is pinned)")
            elif name not in pinned_args:
                pinned_args.add(name)
                _pin_arg_default(pinner, global_args[name])
            continue
        span = base.span
        if not span.single_line:
            pinner.error(line, base.raw, "image word spans several lines: not rewritten")
            continue
        result = pinner.new_value(base.raw, span.start_line)
        if result is not None:
            outcome.changes.append(Change(span.start_line, span.start_col, span.end_col, base.raw, result[0],
                                          base.raw, result[1], result[2]))
    for start in stages:
        if start not in from_lines:
            pinner.note(start, "dockerfile-parse does not read this FROM as BuildKit does: left alone")
    if outcome.changes:
        outcome.new_text = _splice(text, outcome.changes)
        _check_dockerfile(outcome, parser)
    return outcome


def _pin_arg_default(pinner: _Pinner, arg: object) -> None:
    """Pin ``ARG NAME=value`` (the value may be quoted) at its own span."""
    from pylint_image.linter.model.dockerfile import Arg

    assert isinstance(arg, Arg)
    name, _, value = arg.text.partition("=")
    quote = value[:1] if value[:1] in "'\"" and len(value) >= 2 and value[-1] == value[0] else ""
    inner = value[1:-1] if quote else value
    line = arg.span.start_line
    if not arg.span.single_line or "$" in inner or "\\" in inner:
        pinner.note(line, f"ARG {clean(arg.text)}: default not pinned (not a plain single-line value)")
        return
    result = pinner.new_value(inner, line)
    if result is None:
        return
    start = arg.span.start_col + len(name) + 1 + len(quote)
    pinner.outcome.changes.append(Change(line, start, start + len(inner), inner, result[0], inner, result[1],
                                         result[2]))


def _check_dockerfile(outcome: Outcome, before: object) -> None:
    """Re-read the new text with dockerfile-parse: the same instructions, the new images in them."""
    from dockerfile_parse import DockerfileParser

    assert isinstance(before, DockerfileParser)
    after = DockerfileParser(fileobj=io.BytesIO(outcome.new_text.encode("utf-8")))
    shape = [(i["instruction"], i["startline"], i["endline"]) for i in before.structure]
    if shape != [(i["instruction"], i["startline"], i["endline"]) for i in after.structure]:
        raise AssertionError(f"{outcome.path}: rewriting changed the instructions")
    values = "\n".join(i["value"] for i in after.structure if i["instruction"] in ("FROM", "ARG"))
    for ch in outcome.changes:
        if ch.new not in values:
            raise AssertionError(f"{outcome.path}:{ch.line}: {ch.new} not found after rewriting")


# --- YAML manifests ------------------------------------------------------------------------------------------


def _render_scalar(value: str, style: str) -> str | None:
    """The scalar as written in ``style``; None when plain style cannot hold it."""
    if style == "'":
        return "'" + value.replace("'", "''") + "'"
    if style == '"':
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if not value or value[0] in "!&*-?[]{},|>@`'\"%#:" or ": " in value or " #" in value or value != value.strip():
        return None
    return value


_NODE_PROPERTIES = re.compile(r"(?:[&!][^\s]*[ \t]+)+")  # an anchor (&a) or tag (!!str) before a scalar


def _scalar_span(line: str, start: int, end: int, style: str) -> tuple[int, int, str]:
    """0-based start, exclusive end and quote style of the scalar at ``start``, past an anchor or tag."""
    props = _NODE_PROPERTIES.match(line, start)
    if props is None:
        return start, end, style
    start = props.end()
    style = line[start] if line[start:start + 1] in ("'", '"') else ""
    if not style:
        return start, end, style
    i = start + 1
    while i < len(line):
        if style == '"' and line[i] == "\\":
            i += 2
            continue
        if line[i] == style:
            if style == "'" and line[i + 1:i + 2] == "'":
                i += 2
                continue
            return start, i + 1, style
        i += 1
    return start, len(line), style


def pin_manifest(path: str, text: str, resolver: Resolver, *, update: bool = False,
                 kind: str | None = None) -> Outcome:
    """Pin the image references of a Compose, Kubernetes, GitHub Actions or GitLab CI file."""
    from pylint_image.linter.errors import InputError
    from pylint_image.linter.manifests.refs import find_image_refs

    outcome = Outcome(path, text, text)
    try:
        refs = find_image_refs(text, path, kind)
    except InputError as exc:
        outcome.errors.append(PinError(str(exc)))
        return outcome
    pinner = _Pinner(resolver, outcome, update)
    lines = [line.rstrip("\r\n") for line in _lines(text)]
    wanted: dict[tuple[int, tuple[str | int, ...]], str] = {}
    done: dict[tuple[int, int], str | None] = {}  # an anchored scalar is pinned once for all its aliases
    for ref in refs:
        if _TEMPLATED.search(ref.value):
            pinner.note(ref.line, f"{clean(ref.value)} is templated: left alone")
            continue
        line_text = lines[ref.line - 1] if ref.line <= len(lines) else ""
        start, end, style = _scalar_span(line_text, ref.column - 1, ref.end_column - 1, ref.style)
        if (ref.line, start) in done:
            if done[(ref.line, start)] is not None:
                wanted[(ref.document, ref.yaml_path)] = str(done[(ref.line, start)])
            continue
        done[(ref.line, start)] = None
        old = line_text[start:end]
        if _render_scalar(ref.prefix + ref.value, style) != old:
            pinner.error(ref.line, ref.value, "scalar is not a plain one-line value (block, escaped or "
                                              "continued): not rewritten")
            continue
        result = pinner.new_value(ref.value, ref.line)
        if result is None:
            continue
        new = _render_scalar(ref.prefix + result[0], style)
        if new is None:
            pinner.error(ref.line, ref.value, "the pinned value cannot be written in this scalar's style")
            continue
        outcome.changes.append(Change(ref.line, start + 1, end + 1, old, new, ref.value, result[1], result[2]))
        wanted[(ref.document, ref.yaml_path)] = result[0]
        done[(ref.line, start)] = result[0]
    if outcome.changes:
        outcome.new_text = _splice(text, outcome.changes)
        # ruamel.yaml re-reads the result: each changed scalar holds its new value, nothing else moved.
        again = {(r.document, r.yaml_path): r.value for r in find_image_refs(outcome.new_text, path, kind)}
        before = {(r.document, r.yaml_path): r.value for r in refs}
        for key, value in before.items():
            expected = wanted.get(key, value)
            if again.get(key) != expected:
                raise AssertionError(f"{path}: after rewriting, {key} is {again.get(key)!r}, not {expected!r}")
        if set(again) != set(before):
            raise AssertionError(f"{path}: rewriting changed which references the file has")
    return outcome


# --- files ---------------------------------------------------------------------------------------------------


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path``'s content: a temporary file in its folder, fsync, rename; the mode is kept.

    A symlink is written through (its target is replaced, the link stays).
    """
    target = Path(os.path.realpath(path))
    mode = target.stat().st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".pin", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
