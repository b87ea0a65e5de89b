"""How concentrated a map is: sparseness (Chalasani et al., 2020) and complexity
(Bhatt et al., 2020), from the map alone.

Both read the absolute values of a map as a distribution over its positions,
at the resolution the map is given (the logger passes maps as the method
computes them: a CAM at its layer's resolution, so its complexity is bounded
by the log of the layer's positions, not the input's).

* :func:`sparseness`: the Gini index of |map|, 0 for a uniform map, towards 1
  when one position holds everything (Quantus' ``Sparseness``, without the
  1e-7 it adds to every value, which breaks the index's scale invariance).
* :func:`complexity`: the entropy (natural log) of |map| / sum |map|, 0 when
  one position holds everything, log(P) for a uniform map (Quantus'
  ``Complexity``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["complexity", "sparseness"]


def _magnitudes(maps: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(|maps| float32 [B, P] with undefined rows zeroed, their sums (float64),
    which rows are defined: finite and not all zero)."""
    arr = np.asarray(maps)
    if arr.ndim < 2 or arr.shape[0] == 0 or arr[0].size < 2:
        raise ValueError(
            "`maps` must be a batch of maps [B, ...] of at least 2 positions. "
            f"Received: maps with shape {np.shape(maps)}"
        )
    flat = np.abs(arr.reshape(arr.shape[0], -1), dtype=np.float32)
    # The sum of magnitudes is finite exactly when every value is.
    totals = flat.sum(axis=1, dtype=np.float64)
    defined = np.isfinite(totals) & (totals > 0)
    if not defined.all():
        flat[~defined] = 0.0
        totals[~defined] = 1.0
    return flat, totals, defined


def sparseness(maps: Any) -> np.ndarray:
    """The Gini index of each map's absolute values (higher: sparser).

    ``G = sum_i (2i - n - 1) a_(i) / (n sum_i a_i)`` over the n values sorted
    ascending.

    Args:
      maps: Attributions [B, ...] (any resolution, at least 2 positions).

    Returns:
      float64 [B] in [0, 1 - 1/n]; NaN for a map with a non-finite value or
      all zero.
    """
    flat, totals, defined = _magnitudes(maps)
    flat.sort(axis=1)
    n = flat.shape[1]
    weights = np.arange(1 - n, n, 2, dtype=np.float64)
    out = (flat @ weights) / (n * totals)
    out[~defined] = np.nan
    return out


def complexity(maps: Any) -> np.ndarray:
    """The entropy of each map's absolute values as a distribution (lower:
    simpler).

    ``H = -sum_i p_i log p_i`` with ``p = |map| / sum |map|`` (natural log,
    0 log 0 = 0).

    Args:
      maps: Attributions [B, ...] (any resolution, at least 2 positions).

    Returns:
      float64 [B] in [0, log n]; NaN for a map with a non-finite value or
      all zero.
    """
    shares, totals, defined = _magnitudes(maps)
    shares *= (1.0 / totals).astype(np.float32)[:, None]
    # In place on the copy `_magnitudes` made; a share of 0 adds 0 (0 log 0 = 0).
    logs = np.log(shares, out=np.zeros_like(shares), where=shares > 0)
    logs *= shares
    out = -logs.sum(axis=1, dtype=np.float64)
    out[~defined] = np.nan
    return np.maximum(out, 0.0, where=defined, out=out)
