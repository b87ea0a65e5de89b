"""How each layout's arrays become the 8-bit tiles of a PNG strip (format version 4).

One tile per manifest row (`tbexplain_plugin.metadata` says how tall):

* ``image`` inputs [B, H, W(, C)] are shown as `tf.summary.image` shows them,
  one rule for the batch (`display_images`); maps [N, H, W] are rescaled
  from each map's own range (`quantize`), so the UI can restore raw values;
* ``sequence`` inputs [B, T, C] are C pixel rows of T (channel c in row c),
  maps [N, T] one pixel row; ``tokens`` [B, T] are one row, 255 where a token
  is and 0 for padding (their text is in the manifest); ``features`` [B, F]
  one row rescaled from the row's range, like maps;
* ``volume`` inputs [B, D, H, W(, C)] and maps [N, D, H, W] stack their D
  slices top to bottom in the row's tile.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tbexplain_plugin import metadata

__all__ = [
    "check_images",
    "display_images",
    "finite_ranges",
    "input_layout",
    "input_tiles",
    "map_layout",
    "map_tiles",
    "quantize",
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


def map_layout(ndim: int, layout: str | None) -> str:
    """The layout of maps of `ndim` dimensions (batch included) unless given."""
    if layout:
        return layout
    return {2: metadata.LAYOUT_SEQUENCE, 4: metadata.LAYOUT_VOLUME}.get(
        ndim, metadata.LAYOUT_IMAGE
    )


def input_layout(ndim: int, layout: str | None) -> str:
    """The layout of inputs of `ndim` dimensions (batch included) unless given."""
    if layout:
        return layout
    return metadata.LAYOUT_VOLUME if ndim == 5 else metadata.LAYOUT_IMAGE


def _check_rank(
    array: np.ndarray, layout: str, ranks: tuple[int, ...], what: str
) -> None:
    if array.ndim not in ranks or 0 in array.shape:
        raise ValueError(
            f"{layout} {what} must be non-empty arrays of rank {ranks}. "
            f"Received: shape={array.shape}"
        )


def input_tiles(
    array: np.ndarray, layout: str, pad_id: int | None = None
) -> tuple[np.ndarray, list[tuple[float, float]], list[int]]:
    """The tiles [N, h, w, c] of inputs of `layout`, each row's raw (min, max),
    and the manifest's shape of one row.

    Raises:
      ValueError: the array does not have the layout's rank.
    """
    if layout == metadata.LAYOUT_IMAGE:
        pixels, ranges = display_images(array)
        return pixels, ranges, list(pixels.shape[1:])
    if layout == metadata.LAYOUT_VOLUME:
        _check_rank(array, layout, (4, 5), "inputs")
        if array.ndim == 4:
            array = array[..., None]
        n, d, h, w, c = array.shape
        pixels, _ = display_images(array.reshape(n * d, h, w, c))
        lows, highs, _ = finite_ranges(array.astype(np.float64, copy=False))
        ranges = list(zip(lows.tolist(), highs.tolist(), strict=True))
        return pixels.reshape(n, d * h, w, c), ranges, [d, h, w, c]
    if layout == metadata.LAYOUT_TOKENS:
        _check_rank(array, layout, (2,), "inputs")
        present = array != (pad_id if pad_id is not None else -1)
        pixels = np.where(present, 255, 0).astype(np.uint8)[:, None, :, None]
        lows, highs, _ = finite_ranges(array.astype(np.float64))
        return (
            pixels,
            list(zip(lows.tolist(), highs.tolist(), strict=True)),
            [array.shape[1]],
        )
    values = array.astype(np.float32, copy=False)
    if layout == metadata.LAYOUT_SEQUENCE:
        _check_rank(values, layout, (3,), "inputs")
        values = np.swapaxes(values, 1, 2)  # [N, C, T]: channel c in pixel row c
    elif layout == metadata.LAYOUT_FEATURES:
        _check_rank(values, layout, (2,), "inputs")
        values = values[:, None, :]
    else:
        raise ValueError(f"Unknown layout. Received: layout={layout!r}")
    lows, highs, _ = finite_ranges(values)
    pixels = quantize(values, lows[:, None, None], highs[:, None, None])
    shape = list(array.shape[1:])
    return (
        pixels[..., None],
        list(zip(lows.tolist(), highs.tolist(), strict=True)),
        shape,
    )


def map_tiles(
    maps: np.ndarray, layout: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The tiles [N, h, w] of maps of `layout` rescaled from each map's range,
    with each map's (min, max, non-finite count)."""
    lows, highs, nonfinite = finite_ranges(maps)
    expand = (slice(None),) + (None,) * (maps.ndim - 1)
    pixels = quantize(maps, lows[expand], highs[expand])
    if pixels.ndim == 2:  # sequences, tokens, features: one pixel row per map
        pixels = pixels[:, None, :]
    elif layout == metadata.LAYOUT_VOLUME:
        n, d, h, w = pixels.shape
        pixels = pixels.reshape(n, d * h, w)
    return pixels, lows, highs, nonfinite
