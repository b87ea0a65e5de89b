"""The tags of the series one logger writes, unique within its run.

A job asks for series by a `SeriesKey`: a base name (the method's key, or
``activations``, ``filters``, ``pipeline``) and an optional qualifier (a layer
or a stage). The tag is ``{prefix}/{base}`` while the base is used once, and
``{prefix}/{base}/{qualifier}`` when the key says ``qualify`` or the base is
used by several keys (the same method for several layers); a tag still taken
gets ``_2``, ``_3``, ... The metrics of a series are the scalars the format
names for it (`tbexplain_plugin.metadata.metrics_prefix`: those of
``explain/gradcam`` are ``explain/metrics/gradcam/{metric}``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from tbexplain_plugin import metadata

__all__ = ["SeriesKey", "SeriesName", "name_series"]


@dataclass(frozen=True)
class SeriesKey:
    """What a job asks a series to be called."""

    base: str
    qualifier: str | None = None
    qualify: bool = False


@dataclass(frozen=True)
class SeriesName:
    """The tag of a series and the prefix of its metric scalars."""

    tag: str
    metric_prefix: str


def name_series(prefix: str, keys: Sequence[SeriesKey]) -> list[SeriesName]:
    """Unique names for `keys`, in order (see the module docstring)."""
    counts = Counter(key.base for key in keys)
    used: set[str] = set()
    names = []
    for key in keys:
        suffix = key.base
        if key.qualifier and (key.qualify or counts[key.base] > 1):
            suffix = f"{key.base}/{key.qualifier}"
        unique, i = suffix, 1
        while unique in used:
            i += 1
            unique = f"{suffix}_{i}"
        used.add(unique)
        tag = f"{prefix}/{unique}"
        names.append(SeriesName(tag, metadata.metrics_prefix(tag).rstrip("/")))
    return names
