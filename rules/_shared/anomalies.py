"""Turn the reader's layer anomalies (``Image.anomalies``) into violations, for the two rules
that report them: hostile-layer-entry and malformed-layer-entry."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

from pylint_image.linter import Context, Violation

from .layers import at_layer

PER_LAYER = 20  # findings of one kind in one layer; past this, one finding counts the rest


def anomaly_violations(image: Any, ctx: Context, wording: Mapping[str, str],
                       keep: Any = None) -> Iterator[Violation]:
    """One violation per anomaly whose kind ``wording`` describes (and ``keep(anomaly)`` allows).

    The message is ``KIND in layer N: PATH: WORDING (DETAIL)``; the location is that path in
    that layer, so provenance puts it on the Dockerfile line that made the layer.
    """
    seen: Counter[tuple[int, str]] = Counter()
    for anomaly in image.anomalies:
        if anomaly.kind not in wording or (keep is not None and not keep(anomaly)):
            continue
        key = (anomaly.layer_index, anomaly.kind)
        seen[key] += 1
        if seen[key] > PER_LAYER:
            continue
        detail = f" ({anomaly.detail})" if anomaly.detail else ""
        yield Violation(at_layer(image, ctx, anomaly.layer_index, anomaly.path),
                        f"{anomaly.kind} in layer {anomaly.layer_index}: {anomaly.path}: "
                        f"{wording[anomaly.kind]}{detail}")
    for (layer, kind), count in sorted(seen.items()):
        if count > PER_LAYER:
            yield Violation(at_layer(image, ctx, layer),
                            f"{kind} in layer {layer}: {count - PER_LAYER} more entries like the "
                            f"{PER_LAYER} above: {wording[kind]}")
