"""The PNG encoder: every shape it accepts decodes to the same pixels, as
compactly as TensorFlow's (libpng's) encoder."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
import tensorflow as tf

from tbexplain import _png
from tbexplain._png import encode_png, encode_pngs


def scanline_filters(png: bytes) -> list[int]:
    """The filter type byte of each scanline of an 8-bit PNG."""
    pos, data = 8, b""
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, body = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
            channels = {0: 1, 2: 3, 6: 4}[body[9]]
        elif kind == b"IDAT":
            data += body
        pos += 12 + length
    raw = zlib.decompress(data)
    line = 1 + width * channels
    assert len(raw) == height * line
    return [raw[i * line] for i in range(height)]


@pytest.mark.parametrize(
    "shape", [(1, 1), (7, 5), (64, 64), (9, 13, 1), (6, 11, 3), (5, 4, 4)]
)
def test_round_trip_through_a_real_decoder(shape):
    rng = np.random.default_rng(sum(shape))
    image = rng.integers(0, 256, size=shape, dtype=np.uint8)
    decoded = tf.io.decode_png(encode_png(image), channels=0).numpy()
    expected = image if image.ndim == 3 else image[:, :, None]
    np.testing.assert_array_equal(decoded, expected)


def test_smooth_maps_compress_well():
    yy, xx = np.mgrid[:64, :64]
    blob = np.exp(-((yy - 20) ** 2 + (xx - 30) ** 2) / 200.0)
    image = np.round(blob * 255).astype(np.uint8)
    assert len(encode_png(image)) < image.size // 3


@pytest.mark.parametrize(
    "image",
    [
        np.zeros((4, 4), np.float32),
        np.zeros((4, 4, 2), np.uint8),
        np.zeros((0, 4), np.uint8),
    ],
)
def test_invalid_images_are_errors(image):
    with pytest.raises((TypeError, ValueError)):
        encode_png(image)


@pytest.mark.parametrize("channels", [None, 1, 3, 4])
def test_a_batch_encodes_like_each_image(channels):
    rng = np.random.default_rng(channels or 0)
    shape = (5, 7, 9) if channels is None else (5, 7, 9, channels)
    images = rng.integers(0, 256, shape, dtype=np.uint8)
    pngs = encode_pngs(images)
    assert pngs == [encode_png(image) for image in images]
    for png, image in zip(pngs, images, strict=True):
        decoded = tf.io.decode_png(png, channels=0).numpy()
        np.testing.assert_array_equal(decoded, image.reshape(decoded.shape))


def test_tiny_images_skip_deflate_and_larger_ones_use_it():
    tiny = np.zeros((16, 16), np.uint8)  # 16 * 17 = 272 filtered bytes
    png = encode_png(tiny)
    assert len(png) > 16 * 17  # stored: no smaller than the scanlines
    np.testing.assert_array_equal(tf.io.decode_png(png).numpy()[..., 0], tiny)
    large = np.zeros((64, 64), np.uint8)
    assert len(encode_png(large)) < 200  # deflated


def test_each_scanline_gets_the_filter_that_suits_it():
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:16, :64]
    average = np.zeros((6, 64), np.int64)  # each pixel = (left + up) // 2 (+3)
    average[0] = rng.integers(0, 256, 64)
    for r in range(1, 6):
        left = 0
        for j in range(64):
            left = average[r, j] = (left + average[r - 1, j]) // 2 + 3 * (j % 7 == 0)
    image = np.concatenate(
        [
            rng.integers(0, 256, (4, 64)),  # noise
            np.tile(np.arange(0, 256, 4), (4, 1)),  # a ramp along lines: Sub
            np.tile(rng.integers(0, 256, 64), (4, 1)),  # repeated lines: Up
            (yy * 3 + xx * 2) % 256,  # a plane: Paeth
            np.round(127 + 120 * np.sin(yy / 3.0) * np.cos(xx / 5.0)),
            average,  # Average
        ]
    ).astype(np.uint8)
    png = encode_png(image)
    filters = scanline_filters(png)
    assert set(filters) == {0, 1, 2, 3, 4}
    assert filters[4] == 1  # the ramp's first line (Up would repeat the noise)
    assert filters[9:12] == [2, 2, 2]  # repeated lines
    assert filters[-5:] == [3] * 5
    decoded = tf.io.decode_png(png).numpy()[..., 0]
    np.testing.assert_array_equal(decoded, image)


def _upsampled_map(seed: int) -> np.ndarray:
    """A Grad-CAM-like map: a coarse map bilinearly upsampled, quantised."""
    coarse = np.random.default_rng(seed).random((1, 8, 8, 1), dtype=np.float32)
    fine = tf.image.resize(coarse, (64, 64)).numpy()[0, ..., 0]
    return np.round((fine - fine.min()) / np.ptp(fine) * 255).astype(np.uint8)


def _noisy_heatmap(seed: int) -> np.ndarray:
    """A saliency-like map: a smooth blob under pixel noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:64, :64]
    blob = np.exp(-((yy - 30) ** 2 + (xx - 24) ** 2) / 300.0)
    blob += rng.normal(0, 0.05, blob.shape)
    return np.clip(np.round(blob / blob.max() * 255), 0, 255).astype(np.uint8)


def _picture(seed: int) -> np.ndarray:
    """An RGB picture: colour gradients, a disc and a little noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:64, :64].astype(np.float64)
    disc = ((yy - 40) ** 2 + (xx - 20) ** 2 < 150).astype(np.float64)
    image = np.stack([xx * 4, yy * 3 + disc * 60, 200 - disc * 150], axis=-1)
    image += rng.normal(0, 4, image.shape)
    return np.clip(np.round(image), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("make", [_upsampled_map, _noisy_heatmap, _picture])
def test_as_small_as_tensorflows_encoder(make):
    images = [make(seed) for seed in range(4)]
    ours = sum(len(encode_png(image)) for image in images)
    theirs = sum(
        len(tf.io.encode_png(np.atleast_3d(image)).numpy()) for image in images
    )
    # The same filters and zlib settings as TensorFlow's libpng: the same size
    # with the same zlib (1 % for another build of it, such as zlib-ng; one
    # "Sub" filter at level 1 was 5 % and 14 % larger on the last two).
    assert ours <= theirs * 1.01


def test_a_batch_larger_than_a_filtering_chunk_encodes_like_each_image():
    rng = np.random.default_rng(3)
    # 42 images of 61x40x3, ~300 KB: several chunks. Lines correlate with the
    # lines above them, so a wrong "up" at an image's first line would show.
    steps = rng.integers(0, 8, (42, 61, 40, 3))
    images = (steps.cumsum(axis=1) + rng.integers(0, 256, (42, 1, 40, 3))).astype(
        np.uint8
    )
    pngs = encode_pngs(images)
    assert pngs == [encode_png(image) for image in images]
    for png, image in zip(pngs, images, strict=True):
        np.testing.assert_array_equal(tf.io.decode_png(png).numpy(), image)


def test_strips_respect_both_bounds_and_spread_evenly():
    assert _png.strip_tiles(16, 64, 64) == 16  # one 64x1024 strip
    assert _png.strip_tiles(16, 224, 224) == 16  # 3584 rows, 0.8 Mi pixels
    # 64 maps of 224x224: 36 fit the 8192 rows, so two strips of 32.
    assert _png.strip_tiles(64, 224, 224) == 32
    # Wide images hit the pixel bound first: 2048 x 2048 is 4 Mi pixels.
    assert _png.strip_tiles(5, 512, 2048) == 3  # 4 fit: strips of 3 + 2
    # An image over a bound is a strip of its own.
    assert _png.strip_tiles(3, 10_000, 8) == 1
    for count, height, width in ((1, 1, 1), (7, 300, 300), (100, 64, 64)):
        tiles = _png.strip_tiles(count, height, width)
        assert tiles * height <= max(height, _png.STRIP_MAX_ROWS)
        assert tiles * height * width <= max(height * width, _png.STRIP_MAX_PIXELS)
        strips = -(-count // tiles)
        assert count - (strips - 1) * tiles > 0  # no empty strip


def test_encode_strips_stacks_images_in_order():
    rng = np.random.default_rng(5)
    images = rng.integers(0, 256, (5, 6, 7, 3), np.uint8)
    tiles, pngs = _png.encode_strips(images)
    assert tiles == 5 and len(pngs) == 1
    strip = tf.io.decode_png(pngs[0]).numpy()
    np.testing.assert_array_equal(strip, images.reshape(30, 7, 3))
