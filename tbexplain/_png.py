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


_IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"
_IDAT_CRC = zlib.crc32(b"IDAT")
# Images of at most this many filtered bytes are stored without compression
# (deflate's "stored" blocks): deflating a few hundred bytes saves a few dozen
# and costs several times the rest of the encoding (e.g. a 16x16 map: 283
# bytes stored vs ~225 deflated, ~1 us vs ~4.5 us on a 2-core VM).
STORED_MAX_BYTES = 1024


def _sub_filtered(images: np.ndarray) -> np.ndarray:
    """Scanlines [..., H, 1 + W*C] with PNG's "Sub" filter, of [..., H, W, C]."""
    *lead, height, width, channels = images.shape
    raw = images.reshape(*lead, height, width * channels)
    rows = np.empty((*lead, height, 1 + width * channels), dtype=np.uint8)
    rows[..., 0] = 1  # filter type "Sub" for every scanline
    rows[..., 1 : 1 + channels] = raw[..., :channels]
    np.subtract(
        raw[..., channels:], raw[..., :-channels], out=rows[..., 1 + channels :]
    )
    return rows


def _check(images: np.ndarray, leading: int) -> np.ndarray:
    """[*lead, H, W, C] uint8 from [*lead, H, W] or [*lead, H, W, C] (raises)."""
    if images.dtype != np.uint8:
        raise TypeError(f"image must be uint8. Received: dtype={images.dtype}")
    if images.ndim == leading + 2:
        images = images[..., None]
    if images.ndim != leading + 3 or images.shape[-1] not in _COLOR_TYPE:
        raise ValueError(
            f"image must be [H, W] or [H, W, C] with C in 1, 3, 4. "
            f"Received: shape={images.shape[leading:]}"
        )
    if 0 in images.shape[leading : leading + 2]:
        raise ValueError(
            f"image must not be empty. Received: shape={images.shape[leading:]}"
        )
    return images


def encode_pngs(images: np.ndarray, level: int = 1) -> list[bytes]:
    """Encodes a batch of same-sized uint8 images [N, H, W(, C)] as PNG bytes.

    The same bytes as `encode_png` on each image, with the filtering done for
    the whole batch at once (one numpy pass, one header). Images of at most
    `STORED_MAX_BYTES` filtered bytes are stored uncompressed (level 0).
    """
    images = _check(images, 1)
    _, height, width, channels = images.shape
    header = _chunk(
        b"IHDR",
        struct.pack(">IIBBBBB", width, height, 8, _COLOR_TYPE[channels], 0, 0, 0),
    )
    head = _SIGNATURE + header
    if height * (1 + width * channels) <= STORED_MAX_BYTES:
        level = 0
    pack = struct.Struct(">I").pack
    out = []
    for rows in _sub_filtered(images):
        data = zlib.compress(rows.tobytes(), level)
        crc = zlib.crc32(data, _IDAT_CRC)
        out.append(b"".join((head, pack(len(data)), b"IDAT", data, pack(crc), _IEND)))
    return out


def encode_png(image: np.ndarray, level: int = 1) -> bytes:
    """Encodes a uint8 array [H, W] or [H, W, C] (C in 1, 3, 4) as PNG bytes.

    Every scanline uses PNG's "Sub" filter (each byte minus the same channel of
    the pixel to its left, modulo 256): on smooth heatmaps it lets the fastest
    zlib level compress better than the strongest level does unfiltered.
    """
    return encode_pngs(image[None], level)[0]
