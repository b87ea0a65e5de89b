"""How the maps of the same samples change between two logged steps (drift)."""

from __future__ import annotations

from typing import Any

import numpy as np

from tbexplain.metrics._common import pearson_rows, spearman_rows

__all__ = ["drift"]


def drift(previous: Any, current: Any, *, measure: str = "spearman") -> np.ndarray:
    """Similarity of the maps of the same samples at two logged steps.

    Args:
      previous: maps [B, ...] of the earlier step.
      current: maps [B, ...] of the later step (same shape).
      measure: ``"spearman"`` (rank correlation of the pixels, ties averaged; robust to
        any monotone rescaling of the maps) or ``"pearson"``.

    Returns:
      float64 [B] correlations in [-1, 1] (1: unchanged); NaN where a map is constant or
      has a non-finite value.
    """
    if measure not in ("spearman", "pearson"):
        raise ValueError(
            f"`measure` must be 'spearman' or 'pearson'. Received: measure={measure!r}"
        )
    a, b = np.asarray(previous), np.asarray(current)
    if a.shape != b.shape or a.ndim < 2:
        raise ValueError(
            "`previous` and `current` must have the same shape [B, ...]. "
            f"Received: previous with shape {a.shape}, current with shape {b.shape}"
        )
    rows = spearman_rows if measure == "spearman" else pearson_rows
    return rows(a, b)
