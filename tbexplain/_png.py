"""A minimal PNG encoder for 8-bit grayscale, RGB and RGBA arrays.

Heatmaps are small and many; encoding them with numpy and zlib avoids one
TensorFlow op dispatch per map and works outside any graph.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOR_TYPE = {1: 0, 3: 2, 4: 6}  # channels -> PNG colour type


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(data, zlib.crc32(kind)) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def encode_png(image: np.ndarray, level: int = 1) -> bytes:
    """Encodes a uint8 array [H, W] or [H, W, C] (C in 1, 3, 4) as PNG bytes.

    Every scanline uses PNG's "Sub" filter (each byte minus the same channel of
    the pixel to its left, modulo 256): on smooth heatmaps it lets the fastest
    zlib level compress better than the strongest level does unfiltered.
    """
    if image.dtype != np.uint8:
        raise TypeError(f"image must be uint8. Received: dtype={image.dtype}")
    if image.ndim == 2:
        image = image[:, :, None]
    if image.ndim != 3 or image.shape[2] not in _COLOR_TYPE:
        raise ValueError(
            f"image must be [H, W] or [H, W, C] with C in 1, 3, 4. "
            f"Received: shape={image.shape}"
        )
    height, width, channels = image.shape
    if height == 0 or width == 0:
        raise ValueError(f"image must not be empty. Received: shape={image.shape}")
    raw = image.reshape(height, width * channels)
    rows = np.empty((height, 1 + width * channels), dtype=np.uint8)
    rows[:, 0] = 1  # filter type "Sub" for every scanline
    rows[:, 1 : 1 + channels] = raw[:, :channels]
    np.subtract(raw[:, channels:], raw[:, :-channels], out=rows[:, 1 + channels :])
    header = struct.pack(">IIBBBBB", width, height, 8, _COLOR_TYPE[channels], 0, 0, 0)
    return b"".join(
        (
            _SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(rows.tobytes(), level)),
            _chunk(b"IEND", b""),
        )
    )
