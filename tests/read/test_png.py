"""The PNG decoder returns what `tf.io.decode_png` returns, for every image
tbexplain writes, and refuses the PNGs it does not read."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
import tensorflow as tf

from tbexplain import strips
from tbexplain.reading.png import decode_png
from tests.read import pngs

CHANNELS = (1, 2, 3, 4)
SHAPES = ((1, 1), (1, 37), (29, 1), (5, 7), (32, 32), (61, 45))


def smooth(rng: np.random.Generator, height: int, width: int, channels: int):
    """A smooth image with a little noise: libpng picks Up, Average and Paeth
    for such rows (noise alone mostly gets None or Sub)."""
    y, x = np.mgrid[0:height, 0:width]
    planes = [
        np.sin(x / 5 + k) * 60 + np.cos(y / 4 - k) * 50 + 128 for k in range(channels)
    ]
    image = np.stack(planes, -1) + rng.normal(0, 2, (height, width, channels))
    return np.clip(image, 0, 255).astype(np.uint8)


def tf_decoded(png: bytes) -> np.ndarray:
    return tf.io.decode_png(png, channels=0).numpy()


@pytest.mark.parametrize("channels", CHANNELS)
@pytest.mark.parametrize("shape", SHAPES)
def test_decodes_what_tf_encodes(channels: int, shape: tuple[int, int]):
    rng = np.random.default_rng(channels * 100 + shape[0])
    for image in (
        rng.integers(0, 256, (*shape, channels), dtype=np.uint8),
        smooth(rng, *shape, channels),
    ):
        png = tf.io.encode_png(image).numpy()
        decoded = decode_png(png)
        assert decoded.dtype == np.uint8
        np.testing.assert_array_equal(decoded, tf_decoded(png))
        np.testing.assert_array_equal(decoded, image)


@pytest.mark.parametrize(
    ("channels", "count", "size"),
    [(1, 300, (7, 9)), (3, 40, (24, 20)), (4, 9, (3, 50))],
)
def test_decodes_strips_of_many_tiles(channels: int, count: int, size: tuple[int, int]):
    rng = np.random.default_rng(count)
    images = np.stack([smooth(rng, *size, channels) for _ in range(count)])
    images[::3] = rng.integers(0, 256, images[::3].shape, dtype=np.uint8)
    tiles, encoded = strips.encode_strips(images)
    assert tiles == count and len(encoded) == 1
    decoded = decode_png(encoded[0])
    np.testing.assert_array_equal(decoded, tf_decoded(encoded[0]))
    np.testing.assert_array_equal(decoded.reshape(images.shape), images)


@pytest.mark.parametrize("channels", CHANNELS)
@pytest.mark.parametrize("filter_type", range(5))
def test_decodes_every_filter_type(channels: int, filter_type: int):
    rng = np.random.default_rng(filter_type)
    image = smooth(rng, 9, 11, channels)
    image[4] = rng.integers(0, 256, image[4].shape)  # wrap-arounds mod 256
    png = pngs.encode(image, [filter_type] * 9)
    np.testing.assert_array_equal(tf_decoded(png), image)  # a valid PNG
    np.testing.assert_array_equal(decode_png(png), image)


@pytest.mark.parametrize("channels", CHANNELS)
def test_decodes_mixed_filters_idat_chunks_and_ancillary_chunks(channels: int):
    rng = np.random.default_rng(channels)
    image = rng.integers(0, 256, (40, 23, channels), dtype=np.uint8)
    image[::2] = smooth(rng, 20, 23, channels)
    filters = rng.integers(0, 5, 40).tolist()
    extra = [
        pngs.chunk(b"gAMA", (45455).to_bytes(4, "big")),
        pngs.chunk(b"tEXt", b"Comment\x00made by a test"),
    ]
    png = pngs.encode(image, filters, idat_parts=4, extra=extra)
    np.testing.assert_array_equal(tf_decoded(png), image)
    np.testing.assert_array_equal(decode_png(png), image)


def refused(png: bytes, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        decode_png(png)


def test_refuses_16_bit_palette_interlaced_and_low_bit_depths():
    image16 = np.arange(12, dtype=np.uint16).reshape(3, 4, 1) * 5000
    refused(tf.io.encode_png(image16).numpy(), r"8-bit.*bit depth=16")
    body = pngs.chunk(b"IDAT", zlib.compress(b"\x00\x00" * 2)) + pngs.chunk(
        b"IEND", b""
    )
    palette = pngs.header(1, 2, color=3) + pngs.chunk(b"PLTE", b"\x00\x00\x00")
    refused(pngs.SIGNATURE + palette + body, r"colour type=3 \(palette\)")
    interlaced = pngs.header(1, 2, interlace=1)
    refused(pngs.SIGNATURE + interlaced + body, "interlace=1")
    refused(pngs.SIGNATURE + pngs.header(8, 2, depth=1) + body, "bit depth=1")


def test_refuses_corrupt_pngs():
    image = np.arange(30, dtype=np.uint8).reshape(5, 6, 1)
    png = pngs.encode(image, [4] * 5)
    refused(b"GIF89a" + png[6:], "signature")
    refused(png[:-20], "truncated")
    flipped = bytearray(png)
    flipped[40] ^= 0xFF  # inside the IDAT data
    refused(bytes(flipped), "CRC mismatch")
    bad_filter = (
        pngs.SIGNATURE
        + pngs.header(6, 5)
        + pngs.chunk(
            b"IDAT", zlib.compress(b"\x07" + bytes(6) + (b"\x00" + bytes(6)) * 4)
        )
        + pngs.chunk(b"IEND", b"")
    )
    refused(bad_filter, "filter type 7")
    short = (
        pngs.SIGNATURE
        + pngs.header(6, 5)
        + pngs.chunk(b"IDAT", zlib.compress(bytes(20)))
        + pngs.chunk(b"IEND", b"")
    )
    refused(short, "20 bytes for 5 rows of 7 bytes")
    not_zlib = (
        pngs.SIGNATURE
        + pngs.header(6, 5)
        + pngs.chunk(b"IDAT", b"not deflate")
        + pngs.chunk(b"IEND", b"")
    )
    refused(not_zlib, "corrupt PNG image data")
    refused(pngs.SIGNATURE + pngs.chunk(b"IEND", b""), "first chunk is not IHDR")
