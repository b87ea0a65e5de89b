"""A small decoder of the 8-bit PNGs tbexplain writes (no Pillow, no TensorFlow).

`tf.io.encode_png` writes 8-bit gray, gray+alpha, RGB or RGBA images, not
interlaced, each scanline with any of the five PNG filters. That is all this
module reads; anything else (palette, 1-4 or 16 bits, Adam7 interlacing)
raises a ValueError instead of returning wrong pixels.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

__all__ = ["decode_png"]

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# PNG colour type -> channels, for the 8-bit types without a palette.
_CHANNELS = {0: 1, 4: 2, 2: 3, 6: 4}
_NONE, _SUB, _UP, _AVERAGE, _PAETH = range(5)


def decode_png(data: bytes) -> np.ndarray:
    """Decodes an 8-bit, non-interlaced, non-palette PNG.

    Args:
      data: The bytes of the PNG file.

    Returns:
      uint8 pixels [H, W, C], C = 1 (gray), 2 (gray+alpha), 3 (RGB) or
      4 (RGBA), as `tf.io.decode_png(data, channels=0)` returns them.
      Ancillary chunks (gamma, transparency, text) are ignored.

    Raises:
      ValueError: not a PNG, a corrupt one (bad CRC, truncated, wrong data
        length, unknown filter), or one this decoder does not read.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"data must be bytes. Received: {type(data).__name__}")
    data = bytes(data)
    if not data.startswith(_SIGNATURE):
        raise ValueError("not a PNG: the data does not start with the PNG signature")
    header, idat = _read_chunks(data)
    width, height, depth, color, compression, filtering, interlace = struct.unpack(
        ">IIBBBBB", header
    )
    if width == 0 or height == 0 or compression != 0 or filtering != 0:
        raise ValueError(
            "corrupt PNG header: "
            f"width={width}, height={height}, compression={compression}, "
            f"filter method={filtering}"
        )
    if depth != 8 or color not in _CHANNELS or interlace != 0:
        raise ValueError(
            "only 8-bit, non-interlaced gray, gray+alpha, RGB or RGBA PNGs can "
            f"be decoded. Received: bit depth={depth}, colour type={color}"
            f"{' (palette)' if color == 3 else ''}, interlace={interlace}"
        )
    channels = _CHANNELS[color]
    try:
        raw = zlib.decompress(idat)
    except zlib.error as e:
        raise ValueError(f"corrupt PNG image data: {e}") from e
    stride = width * channels
    if len(raw) != height * (stride + 1):
        raise ValueError(
            f"corrupt PNG image data: {len(raw)} bytes for {height} rows of "
            f"{stride + 1} bytes"
        )
    rows = np.frombuffer(raw, np.uint8).reshape(height, stride + 1)
    filters = rows[:, 0]
    if filters.max() > _PAETH:
        raise ValueError(f"corrupt PNG image data: filter type {filters.max()}")
    return _unfilter(filters, rows[:, 1:].reshape(height, width, channels))


def _read_chunks(data: bytes) -> tuple[bytes, bytes]:
    """(IHDR data, concatenated IDAT data) of a PNG, CRCs checked."""
    header = None
    idat: list[bytes] = []
    pos = len(_SIGNATURE)
    while True:
        if pos + 12 > len(data):
            raise ValueError("corrupt PNG: truncated before the IEND chunk")
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        end = pos + 8 + length
        if end + 4 > len(data):
            raise ValueError(f"corrupt PNG: truncated {kind!r} chunk")
        body = data[pos + 8 : end]
        (crc,) = struct.unpack(">I", data[end : end + 4])
        if zlib.crc32(kind + body) != crc:
            raise ValueError(f"corrupt PNG: CRC mismatch in the {kind!r} chunk")
        pos = end + 4
        if kind == b"IHDR":
            if header is not None or length != 13:
                raise ValueError("corrupt PNG: bad or repeated IHDR chunk")
            header = body
        elif header is None:
            raise ValueError("corrupt PNG: the first chunk is not IHDR")
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if not idat:
        raise ValueError("corrupt PNG: no IDAT chunk")
    return header, b"".join(idat)


def _unfilter(filters: np.ndarray, data: np.ndarray) -> np.ndarray:
    """Reverses the per-row PNG filters of `data` [H, W, C] (uint8).

    A pixel depends on its left, upper and upper-left neighbours (a, b, c)
    once unfiltered, so the pixels of one anti-diagonal (row + column
    constant) are independent: one vectorised pass per anti-diagonal
    (H + W - 1 passes), each pixel unfiltered with its own row's filter.
    """
    height, width, channels = data.shape
    # Work in a padded copy (a zero row above, a zero column on the left:
    # the PNG rules' out-of-image neighbours), flattened: pixel (r, p) is at
    # (r + 1) * (W + 1) + p + 1, so an anti-diagonal is a slice of step W and
    # its left, upper and upper-left neighbours are that slice shifted by 1,
    # W + 1 and W + 2.
    cols = width + 1
    out = np.zeros(((height + 1) * cols, channels), np.int16)
    filt = np.zeros_like(out)
    filt.reshape(height + 1, cols, channels)[1:, 1:] = data
    kind = np.zeros((height + 1) * cols, np.int8)
    kind.reshape(height + 1, cols)[1:, 1:] = filters[:, None]
    zero = np.zeros((min(height, width), channels), np.int16)
    step = width
    for diagonal in range(height + width - 1):
        origin = cols + diagonal + 1  # pixel (0, diagonal), outside if wide
        start = origin + max(0, diagonal - width + 1) * step
        stop = origin + min(height - 1, diagonal) * step + 1
        here = slice(start, stop, step)
        a = out[start - 1 : stop - 1 : step]
        b = out[start - cols : stop - cols : step]
        c = out[start - cols - 1 : stop - cols - 1 : step]
        ab = a + b
        pa = np.abs(b - c)
        pb = np.abs(a - c)
        pc = np.abs(ab - 2 * c)
        paeth = np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))
        # Filter None predicts 0; Sub a; Up b; Average their mean; Paeth.
        pred = np.choose(kind[here][:, None], (zero[: len(a)], a, b, ab >> 1, paeth))
        out[here] = (filt[here] + pred) & 0xFF
    return out.reshape(height + 1, cols, channels)[1:, 1:].astype(np.uint8)
