"""verify's image level: the IMAGE rules on the image it built or was given, as ``pylint-image image`` runs them.

The warm path of a daemon image saves nothing, so the loaded Image (file listing, the few
file bodies the rules asked for, layer sizes) is kept beside the layer cache, keyed by the
image id and the rules' needs, and MAC'd with a key kept outside the cache: a warm run finds
exactly what the cold run found, without a second ``docker save``, and a cache written by
anyone else is never unpickled.
"""

from __future__ import annotations

import copyreg
import hashlib
import hmac
import io
import logging
import os
import pickle
import secrets
import types
from collections.abc import Callable, Sequence
from pathlib import Path

from pylint_image.linter.config import Config
from pylint_image.linter.engine import Outcome, enabled_rules, run_rules
from pylint_image.linter.errors import PylintImageError
from pylint_image.linter.findings import Notification, SourceLocation
from pylint_image.linter.model.dockerfile import Dockerfile
from pylint_image.linter.model.image import MODEL_VERSION, Image
from pylint_image.linter.oci.layer import NeedsLike
from pylint_image.linter.plugins import Registry
from pylint_image.linter.ruleapi import Target

from .source import AcquiredImage

LOG = logging.getLogger(__name__)
_MAX_MODEL = 256 * 1024 * 1024   # a cached model larger than this is not kept


def image_outcome(image: AcquiredImage, registry: Registry, config: Config, dockerfile: Dockerfile | None,
                  cache_root: Path, notes: list[Notification]) -> Outcome:
    """Run the enabled IMAGE rules on ``image`` (mapped to ``dockerfile``'s lines when linked)."""
    rules = enabled_rules(registry, config, Target.IMAGE)
    if not rules:
        return Outcome()
    needs = [r.meta.needs for r in rules]
    try:
        model = _cached(image, needs, cache_root)
    except PylintImageError as exc:
        notes.append(Notification("source-error", "error", f"{image.name}: image rules: {exc}"))
        return Outcome()
    return run_rules(model, Target.IMAGE, registry, config, display=image.name, dockerfile=dockerfile,
                     image_name=image.name, provenance=_provenance(model, dockerfile))


def _cached(image: AcquiredImage, needs: Sequence[NeedsLike], cache_root: Path) -> Image:
    """The image's model from the cache, else loaded (and kept when the image id is known)."""
    key = hashlib.sha256(f"{MODEL_VERSION}\n{image.image_id}\n{needs!r}".encode()).hexdigest()
    path = cache_root / "images" / f"{key}.pickle"
    if image.image_id and path.is_file() and path.stat().st_size <= _MAX_MODEL:
        found = _load(path)
        if found is not None:
            return found
    model = image.model(needs)
    if image.image_id:
        _keep(path, model)
    return model


def read_only(mapping: dict) -> types.MappingProxyType:
    """Rebuild a read-only mapping when a cached model is loaded."""
    return types.MappingProxyType(mapping)


def _mappingproxy(proxy: types.MappingProxyType) -> tuple[Callable[..., object], tuple[dict]]:
    return read_only, (dict(proxy),)


def _secret() -> bytes:
    """This user's key for the model cache, kept outside it (created once, mode 0600).

    A cache directory may be shared or restored from elsewhere (a CI cache a pull request
    wrote): a model is only unpickled when its MAC says this user's verify wrote it.
    """
    base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    path = base / "pylint-image" / "model-key"
    try:
        key = path.read_bytes()
        if len(key) == 32:
            return key
    except OSError:
        pass
    key = secrets.token_bytes(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(key)
    return key


def _load(path: Path) -> Image | None:
    """The cached model when its MAC checks out, else None (then it is loaded afresh)."""
    try:
        data = path.read_bytes()
        mac, body = data[:32], data[32:]
        if not hmac.compare_digest(mac, hmac.new(_secret(), body, hashlib.sha256).digest()):
            LOG.debug("image model %s: MAC mismatch, ignored", path)
            return None
        found = pickle.loads(body)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError, ValueError) as exc:
        LOG.debug("image model cache %s unreadable: %s", path, exc)
        return None
    return found if isinstance(found, Image) else None


def _keep(path: Path, model: Image) -> None:
    """Write the model to the cache; a model that cannot be kept is only not cached."""
    # The model's read-only mappings are MappingProxyType, which pickle cannot take as is.
    pickler_table = copyreg.dispatch_table.copy()
    pickler_table[types.MappingProxyType] = _mappingproxy
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = pickler_table
    try:
        pickler.dump(model)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        LOG.debug("image model not cached: %s", exc)
        return
    data = buffer.getvalue()
    if len(data) > _MAX_MODEL:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        partial.write_bytes(hmac.new(_secret(), data, hashlib.sha256).digest() + data)
        partial.replace(path)   # readers never see half a model
    except OSError as exc:
        LOG.debug("cannot keep the image model at %s: %s", path, exc)


def _provenance(model: Image, dockerfile: Dockerfile | None) -> dict[str, SourceLocation] | None:
    """Each layer's Dockerfile line, as ``pylint-image image --dockerfile`` maps it."""
    if dockerfile is None:
        return None
    from pylint_image.linter.provenance import map_provenance

    return {o.diff_id: SourceLocation(dockerfile.path, o.instruction.span)
            for o in map_provenance(model, dockerfile).origins if o.diff_id is not None}
