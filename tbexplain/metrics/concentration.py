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


def _absolute(maps: Any) -> np.ndarray:
    """|maps| as float32 rows [B, P], a copy.

    Raises:
      ValueError: not a batch of maps of at least 2 positions.
    """
    arr = np.asarray(maps)
    if arr.ndim < 2 or arr.shape[0] == 0 or arr[0].size < 2:
        raise ValueError(
            "`maps` must be a batch of maps [B, ...] of at least 2 positions. "
            f"Received: maps with shape {np.shape(maps)}"
        )
    return np.abs(arr.reshape(arr.shape[0], -1), dtype=np.float32)


def _defined(totals: np.ndarray) -> np.ndarray:
    """Which rows are defined, from their sums of magnitudes: the sum is
    finite exactly when every value is, and positive unless all are 0."""
    return np.isfinite(totals) & (totals > 0)


def _magnitudes(maps: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(|maps| float32 [B, P] with undefined rows zeroed, their sums (float64),
    which rows are defined)."""
    flat = _absolute(maps)
    totals = flat.sum(axis=1, dtype=np.float64)
    defined = _defined(totals)
    if not defined.all():
        flat[~defined] = 0.0
        totals[~defined] = 1.0
    return flat, totals, defined


# Up to this many positions a float32 product keeps the index within a few 1e-6.
_FLOAT32_POSITIONS = 512 * 512


def _position_sums(ordered: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sum_j j a_j, sum_j a_j) of each row of non-negative `ordered` [B, n],
    as float64, j counted from 0.

    The first is a float32 product for maps up to `_FLOAT32_POSITIONS`: its
    terms are never negative, so its error stays small, and it spares a
    float64 copy of the maps. Rows where it passes float32's range are
    summed again in float64.
    """
    n = ordered.shape[1]
    totals = ordered.sum(axis=1, dtype=np.float64)
    dtype = np.float32 if n <= _FLOAT32_POSITIONS else np.float64
    with np.errstate(over="ignore", invalid="ignore"):
        weighted = (ordered @ np.arange(n, dtype=dtype)).astype(np.float64)
    redo = np.isfinite(totals) & ~np.isfinite(weighted)
    if redo.any():
        weighted[redo] = ordered[redo].astype(np.float64) @ np.arange(n, dtype=float)
    return weighted, totals


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
    flat = _absolute(maps)
    # Non-negative floats (and NaN) sort as their bits do as int32, a faster
    # sort than as floats.
    flat.view(np.int32).sort(axis=1)
    weighted, totals = _position_sums(flat)
    defined = _defined(totals)
    # With positions j from 0 the numerator is 2 sum_j j a_(j) - (n - 1) sum a.
    n = flat.shape[1]
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (2.0 * weighted - (n - 1) * totals) / (n * totals)
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
