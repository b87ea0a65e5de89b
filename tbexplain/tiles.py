"""How arrays become the 8-bit tiles of a PNG strip, one tile per manifest row.

Maps are rescaled from each map's own range (`quantize`), so the UI can
restore raw values. Inputs are drawn by their kind's drawer
(`tbexplain.kinds`): pictures as `tf.summary.image` shows images, one rule
for the batch (`draw_pictures`); values rescaled from each sample's range,
like maps (`draw_values`); token ids as present or padding, their text being
in the manifest (`draw_presence`). Each row's pixels are then laid out as
the tile the format describes for its layout and shape
(`tbexplain_plugin.metadata.tile_geometry`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tbexplain_plugin import metadata

__all__ = [
    "check_images",
    "display_images",
    "draw_pictures",
    "draw_presence",
    "draw_values",
    "finite_ranges",
    "map_tiles",
    "quantize",
    "tiled",
]


def finite_ranges(maps: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-map (min, max, number of non-finite values) of [N, ...] maps.

    Ranges ignore non-finite values; a map with no finite value gets [0, 0].
    """
    flat = maps.reshape(maps.shape[0], -1)
    finite = np.isfinite(flat)
    nonfinite = flat.shape[1] - np.count_nonzero(finite, axis=1)
    if not nonfinite.any():
        return flat.min(axis=1), flat.max(axis=1), nonfinite
    lo = np.where(finite, flat, np.inf).min(axis=1)
    hi = np.where(finite, flat, -np.inf).max(axis=1)
    empty = nonfinite == flat.shape[1]
    lo[empty] = 0.0
    hi[empty] = 0.0
    return lo, hi, nonfinite


def quantize(values: np.ndarray, lo: Any, hi: Any) -> np.ndarray:
    """Maps float values in [lo, hi] to uint8.

    `lo` and `hi` may be arrays that broadcast against `values` (one range per
    map); a map with ``hi <= lo`` becomes all zeros. NaN and -inf are written
    as `lo`, +inf as `hi`.
    """
    lo = np.asarray(lo, dtype=np.float32)
    hi = np.asarray(hi, dtype=np.float32)
    if not np.isfinite(values).all():
        values = np.where(np.isnan(values) | (values == -np.inf), lo, values)
        values = np.where(values == np.inf, hi, values)
    span = hi - lo
    scale = np.divide(255.0, span, out=np.zeros_like(span), where=span > 0)
    return np.clip(np.rint((values - lo) * scale), 0, 255).astype(np.uint8)


def check_images(images: np.ndarray) -> None:
    if images.ndim not in (3, 4) or (
        images.ndim == 4 and images.shape[-1] not in (1, 3, 4)
    ):
        raise ValueError(
            "images must be [B, H, W] or [B, H, W, C] with C in 1, 3, 4. "
            f"Received: shape={images.shape}"
        )
    if 0 in images.shape:
        raise ValueError(f"images must not be empty. Received: shape={images.shape}")


def display_images(images: np.ndarray) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Converts [B,H,W] or [B,H,W,C] images to uint8 [B,H,W,C] for display.

    As `tf.summary.image` shows images, one rule for the whole batch, so its
    images stay comparable: uint8 as is; other integers (and bools) as
    0-255, clipped; floats in [0, 1] times 255; any other float batch
    rescaled from its own minimum and maximum (non-finite values ignored)
    to 0-255. Returns the images and the raw (min, max) of each.
    """
    check_images(images)
    if images.ndim == 3:
        images = images[..., None]
    lows, highs, _ = finite_ranges(images.astype(np.float64, copy=False))
    ranges = list(zip(lows.tolist(), highs.tolist(), strict=True))
    if images.dtype == np.uint8:
        return images, ranges
    if images.dtype == np.bool_:
        return images.astype(np.uint8) * 255, ranges
    if images.dtype.kind in "iu":
        return np.clip(images, 0, 255).astype(np.uint8), ranges
    lo, hi = float(lows.min()), float(highs.max())
    if lo < 0.0 or hi > 1.0:
        return quantize(images, lo, hi), ranges
    return quantize(images, 0.0, 1.0), ranges


def draw_pictures(
    array: np.ndarray, pad_id: int | None = None
) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Samples of pictures [B, ..., H, W, C] (one image, or a stack of slices)
    as `display_images` shows images, one rule for the whole batch; each
    sample's raw (min, max)."""
    pictures = array.reshape(-1, *array.shape[-3:])
    pixels, ranges = display_images(pictures)
    if len(pictures) != len(array):  # several pictures a sample: one range each
        lows, highs, _ = finite_ranges(array.astype(np.float64, copy=False))
        ranges = list(zip(lows.tolist(), highs.tolist(), strict=True))
    return pixels.reshape(array.shape), ranges


def draw_values(
    array: np.ndarray, pad_id: int | None = None
) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Samples of values [B, T, C] (channel c in pixel row c) or [B, F] (one
    row) rescaled from each sample's range, like maps; each sample's raw
    (min, max)."""
    values = array.astype(np.float32, copy=False)
    values = np.moveaxis(values, -1, 1) if values.ndim > 2 else values[:, None]
    lows, highs, _ = finite_ranges(values)
    pixels = quantize(values, lows[:, None, None], highs[:, None, None])
    return pixels, list(zip(lows.tolist(), highs.tolist(), strict=True))


def draw_presence(
    array: np.ndarray, pad_id: int | None = None
) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Samples of ids [B, T]: 255 where an id is, 0 for `pad_id`; each
    sample's lowest and highest id."""
    present = array != (pad_id if pad_id is not None else -1)
    lows, highs, _ = finite_ranges(array.astype(np.float64))
    pixels = np.where(present, 255, 0).astype(np.uint8)
    return pixels, list(zip(lows.tolist(), highs.tolist(), strict=True))


def tiled(pixels: np.ndarray, layout: str, shape: Sequence[int]) -> np.ndarray:
    """One tile [h, w, c] per row of `pixels`: rows of `layout` whose manifest
    shape is `shape`, laid out as the format's tile geometry says."""
    geometry = metadata.tile_geometry(layout, shape)
    return pixels.reshape(
        len(pixels), geometry.height, geometry.width, geometry.channels
    )


def map_tiles(
    maps: np.ndarray, layout: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The tiles [N, h, w, 1] of maps of `layout` rescaled from each map's
    range, with each map's (min, max, non-finite count)."""
    lows, highs, nonfinite = finite_ranges(maps)
    expand = (slice(None),) + (None,) * (maps.ndim - 1)
    pixels = quantize(maps, lows[expand], highs[expand])
    return tiled(pixels, layout, maps.shape[1:]), lows, highs, nonfinite
