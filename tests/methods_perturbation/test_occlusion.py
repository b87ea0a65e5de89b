"""Occlusion: definition, localisation, orientation, memory, multi-scale, fills."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import tbexplain as tbx
from tbexplain.methods.occlusion import occlusion_windows
from tests.methods_perturbation.models import SIZE, images, region_mask, region_model


def _linear_model(
    shape: tuple[int, ...], seed: int = 0
) -> tuple[keras.Model, np.ndarray]:
    inp = keras.Input(shape)
    dense = keras.layers.Dense(2, use_bias=False)
    model = keras.Model(inp, dense(keras.layers.Flatten()(inp)))
    w = (
        np.random.default_rng(seed)
        .normal(size=(int(np.prod(shape)), 2))
        .astype(np.float32)
    )
    dense.set_weights([w])
    return model, w[:, 0].reshape(shape)


def _expected_linear(x, w, fill, patch, stride):
    """Occlusion of class 0 of a linear model, by brute force over the windows."""
    h, w_ = x.shape[:2]
    contrib = ((x - fill) * w).sum(-1)  # score drop when a pixel is filled
    total = np.zeros((h, w_))
    cover = np.zeros((h, w_))
    ys = list(range(0, h - patch + 1, stride))
    xs = list(range(0, w_ - patch + 1, stride))
    ys += [h - patch] if ys[-1] != h - patch else []
    xs += [w_ - patch] if xs[-1] != w_ - patch else []
    for y in ys:
        for x0 in xs:
            total[y : y + patch, x0 : x0 + patch] += contrib[
                y : y + patch, x0 : x0 + patch
            ].sum()
            cover[y : y + patch, x0 : x0 + patch] += 1
    return total / cover


@pytest.mark.parametrize(("patch", "stride"), [(1, 1), (3, 2), (4, 3)])
def test_matches_definition_on_linear_model(patch, stride):
    model, w = _linear_model((7, 9, 2))
    x = np.random.default_rng(1).normal(size=(2, 7, 9, 2)).astype(np.float32)
    maps = tbx.Occlusion(
        patch=patch, stride=stride, fill=0.5, perturbation_batch=7
    ).explain(model, x, targets=0)
    assert maps.shape == (2, 7, 9)
    for i in range(2):
        np.testing.assert_allclose(
            maps[i], _expected_linear(x[i], w, 0.5, patch, stride), rtol=1e-4, atol=1e-4
        )


def test_maximum_in_the_region_the_model_looks_at():
    model = region_model()
    x = images(3)
    maps = tbx.Occlusion(patch=4, stride=2, fill=0.0).explain(model, x)
    assert maps.shape == (3, *SIZE)  # non-square, right side up
    mask = region_mask()
    for m in maps:
        peak = np.unravel_index(np.argmax(m), m.shape)
        assert mask[peak] == 1.0, peak
        assert m[mask == 1].mean() > 5 * abs(m[mask == 0].mean())


def test_patch_and_stride_independent_and_rectangular():
    model, w = _linear_model((6, 10, 1))
    x = np.random.default_rng(2).normal(size=(1, 6, 10, 1)).astype(np.float32)
    maps = tbx.Occlusion(patch=(2, 5), stride=(1, 5), fill=0.0).explain(
        model, x, targets=0
    )
    contrib = (x[0] * w).sum(-1)
    expected = np.zeros((6, 10))
    cover = np.zeros((6, 10))
    for y in range(5):
        for x0 in (0, 5):
            expected[y : y + 2, x0 : x0 + 5] += contrib[y : y + 2, x0 : x0 + 5].sum()
            cover[y : y + 2, x0 : x0 + 5] += 1
    np.testing.assert_allclose(maps[0], expected / cover, rtol=1e-4, atol=1e-4)


def test_multiscale_is_the_average_of_scales():
    model = region_model()
    x = images(2)
    both = tbx.Occlusion(patch=[3, 6], stride=[2, 3]).explain(model, x)
    a = tbx.Occlusion(patch=3, stride=2).explain(model, x)
    b = tbx.Occlusion(patch=6, stride=3).explain(model, x)
    np.testing.assert_allclose(both, (a + b) / 2, rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match="Received: stride"):
        tbx.Occlusion(patch=[3, 6], stride=[2])


@pytest.mark.parametrize("fill", ["mean", "blur", 0.25])
def test_fill_equal_to_image_gives_zero_map(fill):
    model = region_model()
    x = np.full((1, *SIZE, 3), 0.25, np.float32)
    maps = tbx.Occlusion(patch=5, fill=fill).explain(model, x)
    np.testing.assert_allclose(maps, 0.0, atol=1e-5)


def test_blur_fill_differs_from_mean_fill():
    model = region_model()
    x = images(1)
    blur = tbx.Occlusion(patch=5, fill="blur").explain(model, x)
    mean = tbx.Occlusion(patch=5, fill="mean").explain(model, x)
    assert not np.allclose(blur, mean)


class _CountCopies(keras.layers.Layer):
    """Identity that records the largest batch it sees and how many rows in total."""

    def build(self, input_shape):
        self.largest = self.add_weight(
            shape=(), dtype="int32", initializer="zeros", trainable=False
        )
        self.rows = self.add_weight(
            shape=(), dtype="int32", initializer="zeros", trainable=False
        )

    def call(self, x):
        n = tf.shape(x)[0]
        self.largest.assign(tf.maximum(self.largest, n))
        self.rows.assign_add(n)
        return x


def test_memory_bound_224_patch4_never_holds_all_copies():
    counter = _CountCopies()
    inp = keras.Input((224, 224, 3))
    pooled = keras.layers.GlobalAveragePooling2D()(counter(inp))
    model = keras.Model(inp, keras.layers.Dense(2)(pooled))
    assert occlusion_windows((224, 224), 4, 4) == 3136
    method = tbx.Occlusion(patch=4, stride=4, perturbation_batch=128)
    assert method.num_copies((1, 224, 224, 3)) == 3136
    x = np.random.default_rng(0).uniform(size=(1, 224, 224, 3)).astype(np.float32)
    maps = method.explain(model, x)
    assert maps.shape == (1, 224, 224)
    assert int(counter.largest.numpy()) == 128  # never all 3,136 copies at once
    assert int(counter.rows.numpy()) == 3136 + 1  # every window once, plus the input


def test_sequences():
    model, w = _linear_model((12, 2))
    x = np.random.default_rng(3).normal(size=(2, 12, 2)).astype(np.float32)
    maps = tbx.Occlusion(patch=3, stride=1, fill=0.0).explain(model, x, targets=0)
    assert maps.shape == (2, 12)
    # patch 3 along T: average of the 3-window sums covering each step
    contrib = (x[0] * w).sum(-1)
    sums = np.convolve(contrib, np.ones(3), mode="valid")
    cover = np.convolve(np.ones(10), np.ones(3), mode="full")
    expected = np.convolve(sums, np.ones(3), mode="full") / cover
    np.testing.assert_allclose(maps[0], expected, rtol=1e-4, atol=1e-5)


def test_no_retracing_and_batch_independence():
    model = region_model()
    x = images(4)
    method = tbx.Occlusion(patch=4)
    first = method.explain(model, x)
    count = method.trace_count
    again = method.explain(model, x[:3])
    assert method.trace_count == count
    np.testing.assert_allclose(again, first[:3], rtol=1e-5, atol=1e-6)
    small = tbx.Occlusion(patch=4, perturbation_batch=5, batch_size=3).explain(model, x)
    np.testing.assert_allclose(small, first, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"patch": 0}, "Received: patch=0"),
        ({"patch": (2, 2, 2)}, "Received: patch"),
        ({"stride": -1}, "Received: stride=-1"),
        ({"fill": "noise"}, "Received: fill='noise'"),
        ({"perturbation_batch": 0}, "Received: perturbation_batch=0"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        tbx.Occlusion(**kwargs)
