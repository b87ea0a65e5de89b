"""A test-side PNG writer that applies the filter asked for on each row, so the
decoder is exercised on every filter type whatever libpng would choose; and
chunk surgery for the PNGs the decoder must refuse. The bytes are checked by
decoding them with `tf.io.decode_png`, not by this module."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"
COLOR_TYPES = {1: 0, 2: 4, 3: 2, 4: 6}  # channels -> PNG colour type


def chunk(kind: bytes, body: bytes) -> bytes:
    return (
        struct.pack(">I", len(body))
        + kind
        + body
        + struct.pack(">I", zlib.crc32(kind + body))
    )


def header(
    width: int,
    height: int,
    *,
    depth: int = 8,
    color: int = 0,
    interlace: int = 0,
) -> bytes:
    return chunk(
        b"IHDR", struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, interlace)
    )


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def filter_rows(pixels: np.ndarray, filters: Sequence[int]) -> bytes:
    """The scanlines of uint8 [H, W, C] pixels, row i filtered with filters[i]
    (written plainly, byte by byte, after the PNG specification)."""
    height, width, channels = pixels.shape
    rows = pixels.reshape(height, width * channels).astype(int)
    out = bytearray()
    for r in range(height):
        line = rows[r]
        up = rows[r - 1] if r else np.zeros_like(line)
        kind = filters[r]
        out.append(kind)
        for i in range(width * channels):
            a = int(line[i - channels]) if i >= channels else 0
            b = int(up[i])
            c = int(up[i - channels]) if i >= channels else 0
            predictor = (0, a, b, (a + b) // 2, _paeth(a, b, c))[kind]
            out.append((int(line[i]) - predictor) % 256)
    return bytes(out)


def encode(
    pixels: np.ndarray,
    filters: Sequence[int],
    *,
    idat_parts: int = 1,
    extra: Sequence[bytes] = (),
) -> bytes:
    """An 8-bit PNG of uint8 [H, W, C] pixels with the given per-row filters,
    its data split over `idat_parts` IDAT chunks, `extra` chunks before them."""
    height, width, channels = pixels.shape
    data = zlib.compress(filter_rows(pixels, filters))
    cut = -(-len(data) // idat_parts)
    idats = [chunk(b"IDAT", data[i : i + cut]) for i in range(0, len(data), cut)]
    return (
        SIGNATURE
        + header(width, height, color=COLOR_TYPES[channels])
        + b"".join(extra)
        + b"".join(idats)
        + chunk(b"IEND", b"")
    )
