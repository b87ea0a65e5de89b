"""gaussian_blur (the "blur" fill and the insertion baseline) against a direct
convolution over reflected borders."""

from __future__ import annotations

import math

import numpy as np
import pytest
import tensorflow as tf

from tbexplain.perturbation import default_blur_sigma, gaussian_blur


def blur_reference(images: np.ndarray, sigma: float) -> np.ndarray:
    """Pads each axis by reflection (edge not repeated) and sums the truncated,
    normalised Gaussian taps one by one, in float64."""
    out = images.astype(np.float64)
    for axis in (1, 2):
        size = out.shape[axis]
        radius = min(math.ceil(3.0 * sigma), size - 1)
        if radius == 0:
            continue
        taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
        taps /= taps.sum()
        pad = [(0, 0)] * 4
        pad[axis] = (radius, radius)
        padded = np.pad(out, pad, mode="reflect")
        out = sum(
            taps[t] * np.take(padded, np.arange(t, t + size), axis=axis)
            for t in range(len(taps))
        )
    return out


@pytest.mark.parametrize(
    ("shape", "sigma"),
    [
        ((3, 64, 64, 3), default_blur_sigma(64, 64)),
        ((2, 37, 23, 2), 2.5),
        ((2, 9, 40, 1), 5.0),  # the kernel is cut at the height
        ((2, 1, 30, 3), 3.0),  # an axis of length 1 is left as is
        ((1, 224, 224, 3), default_blur_sigma(224, 224)),
    ],
)
def test_blur_matches_a_direct_convolution_over_reflected_borders(shape, sigma):
    images = np.random.default_rng(0).random(shape).astype(np.float32)
    out = gaussian_blur(images, sigma)
    assert out.dtype == tf.float32 and tuple(out.shape) == shape
    np.testing.assert_allclose(out.numpy(), blur_reference(images, sigma), atol=1e-5)


def test_blur_inside_a_compiled_function_and_of_a_constant_image():
    blur = tf.function(lambda x: gaussian_blur(x, 4.0))
    flat = np.full((2, 30, 20, 3), 0.7, np.float32)
    np.testing.assert_allclose(blur(flat).numpy(), flat, atol=1e-6)
