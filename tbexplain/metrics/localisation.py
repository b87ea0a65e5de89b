"""Localisation metrics, against ground-truth masks: the pointing game (Zhang et
al., 2016) and energy-in-mask (the "energy-based pointing game" of Score-CAM,
Wang et al., 2020)."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["energy_in_mask", "pointing_game"]


def _check_maps_masks(maps: Any, masks: Any) -> tuple[np.ndarray, np.ndarray]:
    m = np.asarray(maps, dtype=np.float64)
    g = np.asarray(masks)
    if g.ndim == m.ndim + 1 and g.shape[-1] == 1:
        g = g[..., 0]
    if m.ndim not in (2, 3) or g.shape != m.shape:
        raise ValueError(
            "`maps` and `masks` must have the same shape [B, H, W] (or [B, T]). "
            f"Received: maps with shape {np.shape(maps)}, masks with shape "
            f"{np.shape(masks)}"
        )
    return m, g.astype(bool)


def pointing_game(maps: Any, masks: Any, *, tolerance: float = 0.0) -> np.ndarray:
    """Pointing game: 1.0 where the map's maximum lies in (or within ``tolerance``
    pixels of) the mask.

    Args:
      maps: attributions [B, H, W] (or [B, T]).
      masks: ground-truth masks of the same shape (bool or 0/1; a trailing channel axis
        of 1 is dropped).
      tolerance: the hit radius in pixels (Zhang et al. use 15 at 224x224).

    Returns:
      float64 [B]: 1.0 hit, 0.0 miss, NaN for an empty mask or a map without a finite
        value.
    """
    if tolerance < 0:
        raise ValueError(f"`tolerance` must be >= 0. Received: tolerance={tolerance!r}")
    m, g = _check_maps_masks(maps, masks)
    out = np.full(m.shape[0], np.nan)
    for i in range(m.shape[0]):
        finite = np.where(np.isfinite(m[i]), m[i], -np.inf)
        if not g[i].any() or not np.isfinite(finite).any():
            continue
        peak = np.array(np.unravel_index(np.argmax(finite), finite.shape))
        inside = np.argwhere(g[i])
        dist = np.sqrt(((inside - peak) ** 2).sum(axis=1)).min()
        out[i] = float(dist <= tolerance)
    return out


def energy_in_mask(maps: Any, masks: Any) -> np.ndarray:
    """The fraction of the map's positive energy inside the mask: sum(relu(map)*mask) /
    sum(relu(map)).

    Returns:
      float64 [B] in [0, 1]; NaN where the map has no positive value or the mask is
      empty.
    """
    m, g = _check_maps_masks(maps, masks)
    pos = np.where(np.isfinite(m), np.maximum(m, 0.0), 0.0).reshape(m.shape[0], -1)
    g = g.reshape(g.shape[0], -1)
    total = pos.sum(axis=1)
    inside = (pos * g).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = inside / total
    out[(total <= 0) | ~g.any(axis=1)] = np.nan
    return out
