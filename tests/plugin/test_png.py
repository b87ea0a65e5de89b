"""The PNG encoder: every shape it accepts decodes to the same pixels."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from tbexplain._png import encode_png, encode_pngs


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
