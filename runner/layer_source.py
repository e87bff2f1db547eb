"""One layer of an acquired image: its diff id and how to open its tar stream.

Apart from :mod:`.extract` (which unpacks layers for verify) so that reading an image,
which never unpacks anything, does not load the extraction code (tarfile, the fsutil
helpers) just to name its layers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import BinaryIO

from pylint_image.linter.model.frozen import frozen


@frozen
class LayerSource:
    """One layer: its uncompressed digest, a function opening its tar stream, a name for messages."""

    diff_id: str
    open: Callable[[], BinaryIO]
    name: str = ""
