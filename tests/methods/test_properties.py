"""Determinism, sanity checks, 1-D inputs, tf.data, caching and memory."""

from __future__ import annotations

import gc
import weakref

import keras
import numpy as np
import pytest
import tensorflow as tf

import tbexplain as tbx
from tests.methods.conftest import images, tiny_cnn


def test_seeded_noise_is_deterministic(cnn):
    x = images(3)
    first = tbx.SmoothGrad(samples=3, seed=5).explain(cnn, x, 0)
    again = tbx.SmoothGrad(samples=3, seed=5).explain(cnn, x, 0)
    np.testing.assert_array_equal(first, again)
    other = tbx.SmoothGrad(samples=3, seed=6).explain(cnn, x, 0)
    assert not np.allclose(first, other)
    fresh = tbx.SmoothGrad(samples=3, seed=None)
    assert not np.allclose(fresh.explain(cnn, x, 0), fresh.explain(cnn, x, 0))


def _spot_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A bright 4x4 spot in the left (class 0) or right (class 1) half."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, 16, 16, 3), dtype=np.float32) * 0.2
    y = rng.integers(0, 2, n)
    for i in range(n):
        row = rng.integers(0, 12)
        col = rng.integers(0, 4) + (8 if y[i] else 0)
        x[i, row : row + 4, col : col + 4] += 1.0
    return x, y


def test_model_randomisation_changes_the_maps():
    """Adebayo et al.'s sanity check: re-initialised weights, different maps."""
    x, y = _spot_data(256, seed=0)
    model = tiny_cnn(classes=2, seed=1)
    model.compile(keras.optimizers.Adam(0.02), "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=8, batch_size=32, verbose=0)
    probe = x[:8]
    randomised = tiny_cnn(classes=2, seed=123)
    for method in (tbx.Saliency(), tbx.GradCAM(), tbx.IntegratedGradients(steps=8)):
        trained = method.explain(model, probe, y[:8])
        random = method.explain(randomised, probe, y[:8])
        correlations = [
            abs(np.corrcoef(a.ravel(), b.ravel())[0, 1])
            for a, b in zip(trained, random, strict=True)
        ]
        assert np.nanmean(correlations) < 0.6, (method, correlations)


def sequence_models() -> tuple[keras.Model, keras.Model]:
    """A Conv1D net on [T, C] and its Conv2D twin on [T, 1, C], same weights."""
    keras.utils.set_random_seed(0)
    sequence = keras.Sequential(
        [
            keras.Input((20, 2)),
            keras.layers.Conv1D(4, 3, activation="relu", name="conv1d"),
            keras.layers.MaxPooling1D(2),
            keras.layers.Conv1D(4, 3, name="conv1d_last"),
            keras.layers.Flatten(),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    image = keras.Sequential(
        [
            keras.Input((20, 1, 2)),
            keras.layers.Conv2D(4, (3, 1), activation="relu"),
            keras.layers.MaxPooling2D((2, 1)),
            keras.layers.Conv2D(4, (3, 1), name="conv2d_last"),
            keras.layers.Flatten(),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    for one_d, two_d in zip(sequence.layers, image.layers, strict=True):
        weights = one_d.get_weights()
        if isinstance(one_d, keras.layers.Conv1D):
            weights[0] = weights[0][:, None]  # [k, Ci, Co] -> [k, 1, Ci, Co]
        two_d.set_weights(weights)
    return sequence, image


@pytest.mark.parametrize(
    "method",
    [
        tbx.GradCAM(),
        tbx.GradCAMPlusPlus(),
        tbx.LayerCAM(),
        tbx.HiResCAM(),
        tbx.XGradCAM(),
        tbx.EigenCAM(),
        tbx.AblationCAM(),
        tbx.Saliency(),
        tbx.IntegratedGradients(steps=4),
    ],
    ids=lambda m: m.name,
)
def test_sequences_are_explained_as_one_pixel_wide(method):
    """[B, T] maps equal those of the same net on [B, T, 1, C] images.

    The image path is checked against numpy references (test_references.py);
    this ties the sequence path (its own spatial axes and resizing) to it.
    """
    sequence, image = sequence_models()
    x = np.random.default_rng(0).normal(size=(3, 20, 2)).astype(np.float32)
    maps = method.explain(sequence, x, [1, 0, 2])
    assert maps.shape == (3, 20) and maps.dtype == np.float32
    twin = type(method)(**({"steps": 4} if method.name.startswith("integ") else {}))
    expected = twin.explain(image, x[:, :, None, :], [1, 0, 2])[:, :, 0]
    assert np.abs(expected).max() > 0
    np.testing.assert_allclose(maps, expected, rtol=1e-4, atol=1e-6)
    if method.uses_layer:
        assert method.layer_name(sequence) == "conv1d_last"
        native = method.explain(sequence, x, [1, 0, 2], upsample=False)
        assert native.shape == (3, 7)  # 20 -> 18 -> 9 -> 7


def test_tf_data_inputs(cnn):
    x = images(5)
    reference = tbx.Saliency().explain(cnn, x, 1)
    unbatched = tf.data.Dataset.from_tensor_slices((x, np.arange(5)))
    np.testing.assert_allclose(tbx.Saliency().explain(cnn, unbatched, 1), reference)
    batched = tf.data.Dataset.from_tensor_slices(x).batch(2)
    np.testing.assert_allclose(tbx.Saliency().explain(cnn, batched, 1), reference)
    np.testing.assert_allclose(
        tbx.Saliency().explain(cnn, tf.constant(x), 1), reference
    )
    with pytest.raises(ValueError, match="finite"):
        tbx.Saliency().explain(cnn, batched.repeat(), 1)


def test_repeated_calls_do_not_retrace(cnn):
    method = tbx.GradCAM()
    for n in (1, 4, 2, 4, 3) * 4:
        method.explain(cnn, images(n), n % 3)
    assert method.trace_count == 1
    method.explain(cnn, images(2, size=24), 0)  # a new input shape compiles once
    assert method.trace_count == 2


def test_the_cache_does_not_keep_models_alive():
    method = tbx.Saliency()
    model = tiny_cnn()
    method.explain(model, images(2))
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None


def test_configuration_is_validated():
    with pytest.raises(ValueError, match="batch_size"):
        tbx.Saliency(batch_size=0)
    with pytest.raises(ValueError, match="samples"):
        tbx.SmoothGrad(samples=0)
    with pytest.raises(ValueError, match="steps"):
        tbx.IntegratedGradients(steps=0)
    with pytest.raises(TypeError, match="layer"):
        tbx.GradCAM(layer=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"keras\.Model"):
        tbx.GradCAM().explain(object(), images(1))  # type: ignore[arg-type]
    assert "layer='last_conv'" in repr(tbx.GradCAM("last_conv"))
