"""Stable finding fingerprints, and the findings baseline (``--baseline``, ``--write-baseline``).

A fingerprint names a finding without its line number, so that it survives lines moved
above it and edits of unrelated lines: a hash of the rule code, the subject (the file's
path relative to the repository root, whatever directory the tool ran in; for an image
finding without a Dockerfile line, the image reference without its tag or digest), the
whitespace-normalised text of the offending lines and of the offending word, the path in
the image or the probe, and the occurrence index among findings with all of these equal
(two identical ``RUN`` lines, one tag flagged twice).  JSON ``fingerprint``, SARIF
``partialFingerprints`` and the baseline all use it.

A baseline file (docs/baseline.md) records today's visible findings, one per line, sorted,
and the size of each image ``image`` analysed (``image-size-regression`` reads it), Docker's
size (``docker image inspect --format '{{.Size}}'``), marked ``"image-sizes": "docker"``.  With
``--baseline FILE``, the findings it records are marked suppressed (``external``): the text
report and the exit code see only new ones, JSON and SARIF keep them marked; a note says
how many were hidden and how many recorded ones have disappeared.  The old size-only file
of ``image --write-baseline`` (``{"image": ..., "size": ...}``) is still read.  Files written
before sizes were Docker's (no ``image-sizes`` marker, and the size-only file) recorded the
length of the layers' tar streams: ``tar_sizes`` says so, and image-size-regression compares
such a figure with the image's tar bytes, never with Docker's size.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

from .errors import UsageError
from .json_file import load_json_file
from .findings import Finding, ImageLocation, Notification, RuntimeLocation, Suppression, source_of
from .model.span import slice_text

if TYPE_CHECKING:
    import argparse

    from .lint import FileResult
    from .report import Report

FORMAT = "pylint-image-baseline"
VERSION = 1
# What "images" records: Docker's size of each image.  Files without the marker recorded the
# tar streams' length (1-2% more), which is never compared with a Docker size.
SIZES_KEY, DOCKER_SIZES = "image-sizes", "docker"
# Image sources named by a transport (runner/source.py): the rest is a reference.
_TRANSPORTS = ("docker-daemon:", "registry:", "docker://")
# The tag verify gives an image it builds (runner/build.py): a fresh one every run.
_BUILT_TAG = re.compile(r"^pylint-image-verify/[0-9a-f]+(:latest)?$")
_DIGEST = re.compile(r"@[A-Za-z0-9_+.-]+:[0-9a-fA-F]{32,}$")


def fingerprint(finding: Finding, source_text: str | None = None, *, occurrence: int = 0,
                root: Path | None = None) -> str:
    """The stable identity of ``finding``: no line number, the path relative to the repository root.

    ``source_text`` is the text of the finding's Dockerfile (None when unknown: the message
    stands in for the offending text).  ``occurrence`` tells apart findings whose key is
    equal (``fingerprints`` counts them); ``root`` is the directory relative paths start
    from (default: the current directory).
    """
    code, subject, text, word, where = finding_key(finding, source_text, root)
    data = "\0".join((code, subject, text, word, where, str(occurrence)))
    return hashlib.sha256(data.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def finding_key(finding: Finding, source_text: str | None, root: Path | None = None) -> tuple[str, str, str, str, str]:
    """(code, subject, normalised lines, normalised word, path in image or probe): what a fingerprint hashes."""
    loc = finding.location
    src = source_of(loc)
    where = ""
    if isinstance(loc, ImageLocation):
        where = loc.path_in_image or ""
    elif isinstance(loc, RuntimeLocation):
        where = loc.probe
    if src is None:
        # No Dockerfile line: the image (and the path in it, or the probe) is all there is.
        # Not the message: image-level ones carry sizes that change with every build.
        return finding.code, image_subject(getattr(loc, "image", ""), root), "", "", where
    subject = path_subject(src.path, root)
    if source_text is None:
        return finding.code, subject, _norm(finding.message), "", where
    lines = _lines(source_text)
    span = src.span
    text = _norm("\n".join(lines[span.start_line - 1: span.end_line]))
    word = _norm(slice_text(lines, span))
    return finding.code, subject, text, "" if word == text else word, where


def fingerprints(findings: Sequence[Finding], text_of: Callable[[Finding], str | None],
                 root: Path | None = None) -> list[str]:
    """The fingerprint of each finding (same order), equal keys numbered in file order."""
    keys = [finding_key(f, text_of(f), root) for f in findings]
    order = sorted(range(len(findings)), key=lambda i: findings[i].sort_key())
    seen: dict[tuple[str, ...], int] = {}
    result = [""] * len(findings)
    for i in order:
        occurrence = seen.get(keys[i], 0)
        seen[keys[i]] = occurrence + 1
        data = "\0".join((*keys[i], str(occurrence)))
        result[i] = hashlib.sha256(data.encode("utf-8", "surrogateescape")).hexdigest()[:32]
    return result


def stamp(findings: Sequence[Finding], text_of: Callable[[Finding], str | None],
          root: Path | None = None) -> list[Finding]:
    """``findings`` with their stable fingerprints."""
    fps = fingerprints(findings, text_of, root)
    return [f if f.fingerprint == fp else dataclasses.replace(f, fingerprint=fp) for f, fp in zip(findings, fps)]


def report_text_of(report: Report) -> Callable[[Finding], str | None]:
    """A finding's Dockerfile text, looked up in ``report.sources``."""
    from .formatters.base import source_text

    def text_of(f: Finding) -> str | None:
        src = f.source
        return None if src is None else source_text(report, src.path)

    return text_of


def restamp(report: Report) -> Report:
    """``report`` with stable fingerprints on every finding."""
    findings = stamp(report.findings, report_text_of(report), report.root)
    return dataclasses.replace(report, findings=tuple(findings))


def path_subject(path: PurePath | str, root: Path | None = None) -> str:
    """A file as fingerprints name it: POSIX, relative to the repository root (else absolute, normalised)."""
    return _path_subject(str(path), str(root or Path.cwd()))


@functools.lru_cache(maxsize=1024)  # every finding of a file asks
def _path_subject(path: str, root: str) -> str:
    from .repository import relative_to_root, source_root

    cwd = Path(root)
    rel = relative_to_root(path, cwd, source_root(cwd))
    if rel is not None:
        return rel
    p = PurePath(path)
    return PurePath(os.path.normpath(p if p.is_absolute() else PurePath(os.path.abspath(cwd)) / p)).as_posix()


def image_subject(image: str, root: Path | None = None) -> str:
    """An image as fingerprints and shards name it: the reference without tag or digest.

    ``docker-daemon:app:1.2`` and ``docker-daemon:app:1.3`` are the same subject (a release
    does not make old findings new); a layout directory or an archive is a path, relative to
    the repository root; an image verify built under a throw-away tag is ``<built>``.
    """
    prefix = next((t for t in _TRANSPORTS if image.startswith(t)), "")
    ref = image[len(prefix):]
    if not prefix and (os.path.sep in ref or ref.startswith(".") or os.path.exists(ref)) \
            and not _looks_like_reference(ref):
        return path_subject(ref, root)
    if _BUILT_TAG.match(ref):
        return "<built>"
    ref = _DIGEST.sub("", ref)
    last = ref.rsplit("/", 1)
    if ":" in last[-1]:
        ref = ref[: len(ref) - len(last[-1])] + last[-1].split(":", 1)[0]
    return prefix + ref


def _looks_like_reference(ref: str) -> bool:
    """``localhost:5000/app`` is a reference even though it holds a '/': it does not exist as a file."""
    return not os.path.exists(ref) and not ref.startswith((".", "/")) and ":" in ref


@functools.lru_cache(maxsize=8)
def _lines(text: str) -> tuple[str, ...]:
    """The file's lines, split once for all its findings (a str caches its hash)."""
    return tuple(text.splitlines())


def _norm(text: str) -> str:
    return " ".join(text.split())


@dataclasses.dataclass(frozen=True)
class Entry:
    """One recorded finding: its fingerprint, and what lets a reader of the file recognise it."""

    fingerprint: str
    code: str
    name: str
    subject: str
    message: str


@dataclasses.dataclass(frozen=True)
class Baseline:
    """A baseline file as read: recorded findings by fingerprint and image sizes by subject."""

    path: Path
    entries: tuple[Entry, ...] = ()
    images: Mapping[str, int] = dataclasses.field(default_factory=dict)
    size_only: bool = False  # the old {"image": ..., "size": ...} file: no findings recorded
    tar_sizes: bool = False  # ``images`` holds tar-stream bytes (a file from before the image-sizes marker)

    @property
    def fingerprints(self) -> frozenset[str]:
        return frozenset(e.fingerprint for e in self.entries)

    def image_size(self, image: str) -> int | None:
        """The recorded size of ``image`` (by subject); a file recording one image serves any image."""
        size = self.images.get(image_subject(image))
        if size is None and len(self.images) == 1:
            size = next(iter(self.images.values()))
        return size

    def tar_sizes_note(self) -> Notification:
        """What ``image --baseline`` says of a file whose sizes are tar bytes (``tar_sizes``)."""
        return Notification("baseline", "note",
                            f"{self.path.as_posix()}: records image sizes as tar-stream bytes (written before "
                            "sizes were Docker's): image-size-regression compares them with this image's tar "
                            "bytes; write the file again (--write-baseline) to record Docker's size")


def load(path: Path) -> Baseline:
    """Read a baseline file; a missing or malformed one is a usage error naming the file (and line)."""
    text, doc = load_json_file(path, "baseline", "not a baseline file")
    if not isinstance(doc, dict):
        raise UsageError("not a baseline file (not a JSON object)", path)
    if FORMAT not in doc:
        if "size" in doc:  # image --write-baseline's old size file
            size = doc["size"]
            if not isinstance(size, int) or isinstance(size, bool) or size < 0:
                raise UsageError("not a baseline file ('size' is not a byte count)", path)
            return Baseline(path, images={image_subject(str(doc.get("image", ""))): size}, size_only=True,
                            tar_sizes=True)
        raise UsageError(f"not a baseline file (no '{FORMAT}' version)", path)
    version = doc[FORMAT]
    if version != VERSION:
        raise UsageError(f"baseline version {version!r} is not supported (this pylint-image writes {VERSION})", path)
    images = _images(doc.get("images", {}), path)
    sizes = doc.get(SIZES_KEY)
    if sizes is not None and sizes != DOCKER_SIZES:
        raise UsageError(f"'{SIZES_KEY}' is {sizes!r}: this pylint-image reads {DOCKER_SIZES!r} "
                         "(or no marker: tar-stream bytes)", path, _line_of_key(text, SIZES_KEY))
    return Baseline(path, entries=_entries(doc.get("findings", []), path, text), images=images,
                    tar_sizes=bool(images) and sizes is None)


def _entries(items: object, path: Path, text: str) -> tuple[Entry, ...]:
    if not isinstance(items, list):
        raise UsageError("not a baseline file ('findings' is not a list)", path)
    entries = []
    for item in items:
        fp = item.get("fingerprint") if isinstance(item, dict) else None
        if not isinstance(fp, str) or not fp:
            raise UsageError("a finding without a 'fingerprint'", path, _line_of(text, item))
        entries.append(Entry(fp, str(item.get("code", "")), str(item.get("name", "")),
                             str(item.get("path", "")), str(item.get("message", ""))))
    return tuple(entries)


def _line_of(text: str, item: object) -> int | None:
    """The line of the file holding ``item`` (written one per line), for the error message."""
    needle = json.dumps(item, ensure_ascii=False)
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    return None


def _line_of_key(text: str, key: str) -> int | None:
    """The line of the file where ``"key":`` is written."""
    needle = json.dumps(key) + ":"
    return next((n for n, line in enumerate(text.splitlines(), start=1) if needle in line), None)


def _images(items: object, path: Path) -> dict[str, int]:
    if not isinstance(items, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in items.values()):
        raise UsageError("not a baseline file ('images' maps image to a byte count)", path)
    return {str(k): v for k, v in items.items()}


def render(findings: Iterable[Finding], root: Path | None = None, images: Mapping[str, int] | None = None) -> str:
    """The baseline file's text: the visible findings, one per line, sorted; image sizes (Docker's) by subject."""
    entries = sorted(
        {(finding_key(f, None, root)[1], f.code, f.fingerprint, f.name, _norm(f.message))
         for f in findings if f.suppressed is None})
    lines = [f'{{"{FORMAT}": {VERSION},']
    sizes = {image_subject(k, root): v for k, v in (images or {}).items()}
    if sizes:  # a lint baseline records no image and needs no marker
        lines.append(f' "{SIZES_KEY}": "{DOCKER_SIZES}",')
    lines.append(f' "images": {json.dumps(dict(sorted(sizes.items())), ensure_ascii=False)},')
    if not entries:
        lines.append(' "findings": []}')
        return "\n".join(lines) + "\n"
    lines.append(' "findings": [')
    for n, (subject, code, fp, name, message) in enumerate(entries):
        entry = {"fingerprint": fp, "code": code, "name": name, "path": subject, "message": message}
        lines.append("  " + json.dumps(entry, ensure_ascii=False) + ("," if n < len(entries) - 1 else ""))
    lines.append(" ]}")
    return "\n".join(lines) + "\n"


def write(path: Path, findings: Iterable[Finding], root: Path | None = None,
          images: Mapping[str, int] | None = None) -> None:
    """Write the baseline file (findings carry stable fingerprints: ``stamp`` them first)."""
    try:
        path.write_text(render(findings, root, images), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write baseline: {exc.strerror}", path) from None


def suppress(findings: Sequence[Finding], baseline: Baseline) -> tuple[list[Finding], int]:
    """Mark the visible findings the baseline records as suppressed; return them and how many."""
    known = baseline.fingerprints
    why = Suppression("external", f"in baseline {baseline.path.as_posix()}")
    out, hidden = [], 0
    for f in findings:
        if f.suppressed is None and f.fingerprint in known:
            out.append(dataclasses.replace(f, suppressed=why))
            hidden += 1
        else:
            out.append(f)
    return out, hidden


def gone(findings: Iterable[Finding], baseline: Baseline, scope: Iterable[str], root: Path | None = None) -> int:
    """How many recorded findings of the subjects this run examined are no longer found."""
    now = {f.fingerprint for f in findings}
    subjects = {_scope_subject(s, root) for s in scope}
    return sum(1 for e in baseline.entries if e.subject in subjects and e.fingerprint not in now)


def _scope_subject(target: str, root: Path | None) -> str:
    """A report target (a Dockerfile path as shown, or an image source) as a subject."""
    if any(target.startswith(t) for t in _TRANSPORTS) or not os.path.lexists(
            Path(target) if Path(target).is_absolute() else (root or Path.cwd()) / target):
        return image_subject(target, root)
    return path_subject(target, root)


def note(baseline: Baseline, hidden: int, disappeared: int) -> Notification:
    """The run's word about the baseline (a note in every format, and a line on stderr)."""
    return Notification("baseline", "note",
                        f"{baseline.path.as_posix()}: {hidden} known finding(s) hidden, "
                        f"{disappeared} recorded finding(s) no longer found")


def add_arguments(p: argparse.ArgumentParser, *, image: bool = False) -> None:
    """``--baseline FILE`` and ``--write-baseline FILE``."""
    extra = "; also the image's size (Docker's), for image-size-regression" if image else ""
    p.add_argument("--baseline", type=Path, metavar="FILE",
                   help="report only findings FILE does not record (docs/baseline.md); says how many it hid"
                        + (" and compares the image's size with the recorded one" if image else ""))
    p.add_argument("--write-baseline", type=Path, metavar="FILE",
                   help=f"record today's findings in FILE (sorted, one per line){extra}")


def load_option(args: argparse.Namespace) -> Baseline | None:
    """The ``--baseline`` file, read before any work (a bad one is a usage error), or None."""
    path = getattr(args, "baseline", None)
    return None if path is None else load(path)


def apply_to_results(results: Sequence[FileResult], root: Path, baseline: Baseline | None,
                     write_to: Path | None) -> Notification | None:
    """lint: stable fingerprints on every file's findings, ``--write-baseline``, then ``--baseline``.

    The file written records what this run finds, before the old baseline hides anything.
    """
    for r in results:
        text = r.text
        r.outcome.findings = stamp(r.outcome.findings, lambda f: text, root)
    if write_to is not None:
        write(write_to, [f for r in results for f in r.outcome.findings], root)
    if baseline is None or baseline.size_only:
        return None
    hidden = 0
    for r in results:
        r.outcome.findings, count = suppress(r.outcome.findings, baseline)
        hidden += count
    now = [f for r in results for f in r.outcome.findings if _present(f)]
    return note(baseline, hidden, gone(now, baseline, [r.display for r in results], root))


def apply_to_report(report: Report, baseline: Baseline | None, write_to: Path | None,
                    scope: Iterable[str] = (), images: Mapping[str, int] | None = None,
                    ) -> tuple[Report, Notification | None]:
    """image and verify: the same as ``apply_to_results``, on a whole report (``images``: sizes to record)."""
    report = restamp(report)
    if write_to is not None:
        write(write_to, report.findings, report.root, images)
    if baseline is None or baseline.size_only:
        return report, None
    findings, hidden = suppress(report.findings, baseline)
    now = [f for f in findings if _present(f)]
    message = note(baseline, hidden, gone(now, baseline, (*report.targets, *scope), report.root))
    return dataclasses.replace(report, findings=tuple(findings),
                               notifications=(*report.notifications, message)), message


def _present(f: Finding) -> bool:
    """Still found: visible, or hidden only by the baseline (a pragma since added makes it gone)."""
    return f.suppressed is None or f.suppressed.kind == "external"
