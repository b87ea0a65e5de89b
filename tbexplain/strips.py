"""A step's images as PNG strips (format version 3), encoded by TensorFlow.

The images of one step are stacked top to bottom into as few strips as the
bounds allow (`STRIP_MAX_ROWS` rows, `STRIP_MAX_PIXELS` pixels a strip, the
rows spread evenly over the strips), each encoded with `tf.io.encode_png`:
one request per step for the UI and one deflate stream instead of one per
image.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

__all__ = ["STRIP_MAX_PIXELS", "STRIP_MAX_ROWS", "encode_strips", "strip_tiles"]

STRIP_MAX_ROWS = 8192
STRIP_MAX_PIXELS = 1 << 22


def strip_tiles(count: int, height: int, width: int) -> int:
    """How many of `count` images of height x width each strip holds: as many
    as the bounds allow, spread evenly over the strips needed."""
    fit = max(
        1, min(count, STRIP_MAX_ROWS // height, STRIP_MAX_PIXELS // (height * width))
    )
    strips = -(-count // fit)
    return -(-count // strips)


def encode_strips(images: np.ndarray) -> tuple[int, list[bytes]]:
    """Encodes same-sized uint8 images [N, H, W] or [N, H, W, C] as PNG strips.

    Returns:
      (tiles, pngs): strip k holds images ``[k * tiles, (k + 1) * tiles)``
      stacked top to bottom (the last one the rest).

    Raises:
      ValueError: not uint8, not [N, H, W(, C)] with C in 1, 3, 4, or empty.
    """
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    if (
        images.dtype != np.uint8
        or images.ndim != 4
        or images.shape[-1] not in (1, 3, 4)
        or 0 in images.shape
    ):
        raise ValueError(
            "images must be non-empty uint8 [N, H, W] or [N, H, W, C] with C in "
            f"1, 3, 4. Received: dtype={images.dtype}, shape={images.shape}"
        )
    n, height, width, channels = images.shape
    tiles = strip_tiles(n, height, width)
    pngs = [
        tf.io.encode_png(
            np.ascontiguousarray(images[start : start + tiles]).reshape(
                -1, width, channels
            )
        ).numpy()
        for start in range(0, n, tiles)
    ]
    return tiles, pngs
