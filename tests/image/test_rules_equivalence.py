"""The image rules made faster against the code they replaced, on random images.

setuid-file, world-writable-file, secret-in-image, package-cache-in-image,
build-tools-in-final-image and layer-too-large now test cheap things first (mode bits, path
roots, which files had their bytes loaded), read ``FileTree.walk``'s shared sorted order and
the per-layer sizes computed once.  The references below are the former ``check`` functions,
verbatim but for their names, module prefixes and (layer-too-large) Docker's size units, walking the tree with the former walk
(``tests/image/test_walk_order.py``).  Random layer stacks with setuid, world-writable and
sticky modes, tools, headers, caches, secrets (loaded or not, deleted or overwritten later),
duplicate entries and base layers must give the same violations in the same order.
"""

from __future__ import annotations

import posixpath
import random
from collections import Counter, defaultdict
from collections.abc import Iterator
from types import MappingProxyType
from typing import Any

import pytest

from pylint_image.linter import Context, ImageLocation, Violation
from pylint_image.linter.config import Config
from pylint_image.linter.engine import settings_of
from pylint_image.linter.model.image import FileEntry, FileKind, Image, ImageConfig, Layer
from pylint_image.linter.oci.layer import LayerScan
from pylint_image.linter.oci.merge import merge_layers
from pylint_image.rules._shared.layers import INHERITED, at_layer, base_layers, path_list, still_shipped
from pylint_image.rules.image import (im2001_setuid_file as im2001, im2002_world_writable_file as im2002,
                                      im2003_secret_in_image as im2003, im2004_package_cache_in_image as im2004,
                                      im2005_build_tools_in_final_image as im2005,
                                      im3003_layer_too_large as im3003)
from tests.image.test_walk_order import _reference_walk as reference_walk



# --- the former checks ----------------------------------------------------------------------


def _setuid(image: Image, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per setuid/setgid file the user's layers made, and one for the base's."""
    base = base_layers(ctx)
    inherited: dict[str, int] = {}
    for entry in reference_walk(image.files, "/"):
        if entry.kind.value != "file" or not entry.mode & 0o6000:
            continue
        bits = " and ".join(b for b, m in (("setuid", 0o4000), ("setgid", 0o2000)) if entry.mode & m)
        if entry.layer_index in base:
            inherited[f"{entry.path} ({bits})"] = entry.layer_index
            continue
        yield Violation(at_layer(image, ctx, entry.layer_index, entry.path),
                        f"{entry.path} is {bits} (mode {entry.mode & 0o7777:04o}, owner uid {entry.uid})")
    if inherited:
        count = f"{len(inherited)} setuid/setgid file{'s' if len(inherited) > 1 else ''}"
        yield Violation(at_layer(image, ctx, min(inherited.values())),
                        f"{count} {INHERITED}: {path_list(inherited)}")


def _world_writable(image: Image, ctx: Context) -> Iterator[Violation]:
    """Yield world-writable files and non-sticky world-writable directories."""
    base = base_layers(ctx)
    inherited: dict[str, int] = {}
    for entry in reference_walk(image.files, "/"):
        kind = entry.kind.value
        if not entry.mode & 0o002 or kind not in ("file", "dir"):
            continue
        if kind == "dir" and entry.mode & 0o1000:
            continue  # sticky: users cannot remove each other's files (/tmp is fine)
        if entry.layer_index in base:
            inherited[f"{entry.path} ({entry.mode & 0o7777:04o})"] = entry.layer_index
            continue
        what = "directory without the sticky bit" if kind == "dir" else "file"
        yield Violation(at_layer(image, ctx, entry.layer_index, entry.path),
                        f"{entry.path} is a world-writable {what} (mode {entry.mode & 0o7777:04o})")
    if inherited:
        count = f"{len(inherited)} world-writable path{'s' if len(inherited) > 1 else ''}"
        yield Violation(at_layer(image, ctx, min(inherited.values())),
                        f"{count} {INHERITED}: {path_list(inherited)}")


def _secret_found(image: Image) -> Iterator[tuple[int, str, str, str]]:
    """(layer, path reported, path of the copy, what) for every secret of every layer."""
    for layer in image.layers:
        seen: set[str] = set()
        for entry in layer.entries:
            if entry.path in seen:
                continue  # a duplicate entry: the layer's last copy is the one loaded
            seen.add(entry.path)
            if entry.path.endswith("/.git/HEAD"):
                # HEAD, not the directory entry: tars may omit directory entries.
                repo = posixpath.dirname(entry.path)
                yield layer.index, repo, entry.path, "a git repository (history, remotes, maybe credentials)"
            elif entry.kind.value == "file":
                label = im2003._secret(image, layer.index, entry.path)
                if label:
                    yield layer.index, entry.path, entry.path, label


def _secrets(image: Image, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per secret-bearing file and `.git` directory of each layer."""
    base = base_layers(ctx)
    fates = image.files.fates()
    inherited: dict[str, int] = {}
    for layer, path, copy, label in _secret_found(image):
        fate = fates.get((layer, copy))
        fate = fate if fate is not None and fate.by_layer != layer else None
        if layer in base:
            gone = f", {'deleted' if fate.deleted else 'overwritten'} by layer {fate.by_layer}" if fate else ""
            inherited[f"{path} ({label}{gone})"] = layer
            continue
        where = still_shipped(fate, layer) or f" (added by layer {layer})"
        yield Violation(at_layer(image, ctx, layer, path), f"{path}: {label}{where}")
    if inherited:
        count = f"{len(inherited)} secret{'s' if len(inherited) > 1 else ''}"
        yield Violation(at_layer(image, ctx, min(inherited.values())),
                        f"{count} {INHERITED}: {path_list(inherited)}")


def _caches(image: Image, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per cache kind and layer (the base's layers as one) over the size floor."""
    floor = (ctx.options or im2004.Options()).min_bytes
    base = base_layers(ctx)
    fates = image.files.fates()
    sizes: Counter[tuple[int, str]] = Counter()
    gone: Counter[tuple[int, str]] = Counter()
    removers: dict[tuple[int, str], set[int]] = defaultdict(set)
    first: dict[tuple[int, str], int] = {}
    for layer in image.layers:
        group = -1 if layer.index in base else layer.index
        for entry in layer.entries:
            label = im2004._label(entry.path) if entry.kind.value == "file" else None
            if label is None:
                continue
            key = (group, label)
            first.setdefault(key, layer.index)
            sizes[key] += entry.size
            fate = fates.get((layer.index, entry.path))
            if fate is not None and fate.by_layer != layer.index:
                gone[key] += entry.size
                removers[key].add(fate.by_layer)
    for (group, label), size in sizes.items():
        if size < floor or size == 0:
            continue
        at = first[(group, label)]
        if group < 0:
            message = f"{label} {INHERITED}: {im2004._mib(size)}"
        else:
            message = f"{label} left in the image: {im2004._mib(size)} added by layer {at}"
        if gone[(group, label)]:
            by = sorted(removers[(group, label)])
            later = ("layer " if len(by) == 1 else "layers ") + ", ".join(str(i) for i in by)
            where = "the base image's layers" if group < 0 else f"layer {at}"
            message += (f" ({im2004._mib(gone[(group, label)])} of it deleted or overwritten by "
                        f"{later} but still in {where}: deleting it later does not remove it "
                        "from the image)")
        yield Violation(at_layer(image, ctx, at), message)


def _build_tools(image: Image, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per build tool, one for a large header tree, the base's grouped."""
    base = base_layers(ctx)
    inherited: dict[str, int] = {}
    headers: dict[bool, list[int]] = {True: [], False: []}
    for entry in reference_walk(image.files, "/usr"):
        if entry.kind.value == "dir":
            continue
        if im2005._TOOLS.match(entry.path):
            if entry.layer_index in base:
                inherited[entry.path] = entry.layer_index
                continue
            yield Violation(at_layer(image, ctx, entry.layer_index, entry.path),
                            f"build tool {entry.path} is in the final image")
        elif entry.path.startswith("/usr/include/") and entry.path.endswith(".h"):
            headers[entry.layer_index in base].append(entry.layer_index)
    if inherited:
        yield Violation(at_layer(image, ctx, min(inherited.values())),
                        f"build tools {INHERITED}: {path_list(inherited)}")
    limit = (ctx.options or im2005.Options()).max_headers
    for from_base, layers in headers.items():
        if len(layers) > limit:
            where = f" {INHERITED}" if from_base else " in the final image"
            yield Violation(at_layer(image, ctx, max(layers), "/usr/include"),
                            f"{len(layers)} C headers under /usr/include (-dev packages){where}")


def _layer_too_large(image: Image, ctx: Context) -> Iterator[Violation]:
    """Yield one violation per oversized layer with its top files and directories."""
    opts = ctx.options or im3003.Options()
    sizes = [layer.content_size for layer in image.layers]
    total = sum(sizes)
    for layer, size in zip(image.layers, sizes):
        share = size / total if total else 0.0
        too_big = size > opts.max_bytes
        if not too_big and not (total > im3003._MIN_IMAGE_FOR_SHARE and share > opts.max_share):
            continue
        files = sorted((e for e in layer.entries if e.kind.value == "file"),
                       key=lambda e: e.size, reverse=True)[: opts.top]
        dirs: Counter[str] = Counter()
        for e in layer.entries:
            dirs[posixpath.dirname(e.path)] += e.size
        tops = ", ".join(f"{e.path} ({im3003.docker_size(e.size)})" for e in files)
        top_dirs = ", ".join(f"{d} ({im3003.docker_size(n)})" for d, n in dirs.most_common(opts.top))
        yield Violation(ImageLocation(ctx.image_name or image.ref, None, layer.diff_id),
                        f"layer {layer.index} adds {im3003.docker_size(size)} ({share:.0%} of the image); "
                        f"top files: {tops or 'none'}; top directories: {top_dirs or 'none'}")


# --- random images -------------------------------------------------------------------------

_DIRS = ("/usr/bin", "/usr/local/bin", "/usr/local/go/bin", "/usr/include", "/usr/include/sys", "/usr/lib",
         "/usr/bin/x", "/var/lib/apt/lists", "/var/lib/apt/lists/partial", "/var/cache/apt/archives",
         "/var/cache/apk", "/root/.cache/pip/wheels", "/home/u1/.npm/_cacache", "/home/u1/.cache/yarn",
         "/usr/local/share/.cache/yarn", "/app/__pycache__", "/usr/lib/python3/dist-packages/p/tests",
         "/app", "/root", "/root/.ssh", "/root/.aws", "/root/.docker", "/app/.git", "/app/sub/.git",
         "/etc/ssl/private", "/tmp", "/home/u1/.config/gcloud", "/var", "/usr", "")   # "": the root
_NAMES = ("gcc", "gcc-12", "x86_64-linux-gnu-gcc", "c++", "clang++", "make", "rustc", "javac", "go", "cc1",
          "x.h", "y.h", "z.hpp", "lock", "a.deb", "pkg.whl", "m.pyc", "HEAD", "config", "id_rsa", "id_ed25519",
          "key.pem", "cert.pem", "ssl-cert-snakeoil.key", ".npmrc", ".pypirc", "credentials", "config.json",
          ".git-credentials", ".netrc", ".env", ".env.example", ".env.prod",
          "application_default_credentials.json", "su", "passwd", "data")
_SECRETS = (b"-----BEGIN OPENSSH PRIVATE KEY-----\nx\n", b"//registry/:_authToken=abc\n", b"password = hunter2\n",
            b"aws_secret_access_key = x\n", b'{"auths": {"r": {"auth": "eA=="}}}', b"https://u:p@host\n",
            b"machine m login l password p\n", b"TOKEN=abc\n", b"nothing here\n")
_MODES = (0o644, 0o755, 0o4755, 0o2755, 0o6755, 0o666, 0o777, 0o1777, 0o757, 0o600)


def _random_image(seed: int) -> tuple[Image, frozenset[int]]:
    rng = random.Random(seed)
    scans: list[LayerScan] = []
    written: list[str] = []
    for index in range(rng.randint(1, 5)):
        scan = LayerScan()
        for _ in range(rng.randint(0, 40)):
            path = (rng.choice(written) if written and rng.random() < 0.2
                    else f"{rng.choice(_DIRS)}/{rng.choice(_NAMES)}")
            kind = rng.choice((FileKind.FILE,) * 6 + (FileKind.DIR, FileKind.SYMLINK, FileKind.HARDLINK))
            size = rng.choice((0, 10, 4096, 300_000, 700_000)) if kind is FileKind.FILE else 0
            scan.entries.append(FileEntry(path, kind, rng.choice(_MODES), rng.choice((0, 1000)), 0, size,
                                          "/bin/x" if kind in (FileKind.SYMLINK, FileKind.HARDLINK) else "", index))
            if kind is FileKind.FILE and rng.random() < 0.5:
                scan.contents[path] = rng.choice(_SECRETS)   # as if NEEDS had asked for it
            written.append(path)
        if written and rng.random() < 0.4:
            scan.whiteouts.extend(rng.sample(written, min(len(written), rng.randint(1, 3))))
        if rng.random() < 0.15:
            scan.opaque_dirs.append(rng.choice(_DIRS) or "/")
        scans.append(scan)
    tree, anomalies = merge_layers(scans)
    layers = tuple(Layer(i, f"sha256:{i:064x}", f"sha256:{i:064x}", 0, 0, "tar", entries=tuple(s.entries),
                         whiteouts=tuple(s.whiteouts), opaque_dirs=tuple(s.opaque_dirs),
                         contents=MappingProxyType(dict(s.contents)))
                   for i, s in enumerate(scans))
    base = frozenset(i for i in range(len(layers)) if rng.random() < 0.3)
    return Image("img", "", ImageConfig(), (), layers, tree, anomalies=anomalies), base


class _Provenance:
    def __init__(self, base: frozenset[int]) -> None:
        self.base_layers = base


_CASES = [("IM2001", im2001.check, _setuid, None), ("IM2002", im2002.check, _world_writable, None),
          ("IM2003", im2003.check, _secrets, None), ("IM2004", im2004.check, _caches, im2004.Options(min_bytes=1000)),
          ("IM2004-default", im2004.check, _caches, None),
          ("IM2005", im2005.check, _build_tools, im2005.Options(max_headers=1)),
          ("IM3003", im3003.check, _layer_too_large, im3003.Options(max_bytes=500_000, max_share=0.3, top=2))]


@pytest.mark.parametrize("code,check,reference,options", _CASES, ids=[c[0] for c in _CASES])
def test_rule_equals_the_former_code(code: str, check: Any, reference: Any, options: Any) -> None:
    settings = settings_of(Config())
    findings = 0
    for seed in range(300):
        image, base = _random_image(seed)
        for provenance in (None, _Provenance(base)):
            ctx = Context(options=options, settings=settings, image_name="img", provenance=provenance)  # type: ignore[arg-type]
            ours, former = list(check(image, ctx)), list(reference(image, ctx))
            assert ours == former, f"seed {seed}"
            findings += len(ours)
    assert findings > 100   # the random images give the rule something to find
