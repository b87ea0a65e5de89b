"""The logger's probe: read once from arrays or datasets, checked, fitted to a model."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from tbexplain.logger.probe import Probe


def test_an_array_probe_keeps_its_dtype_and_converts_once_fitted():
    images = np.arange(2 * 4 * 4 * 3, dtype=np.uint8).reshape(2, 4, 4, 3)
    probe = Probe.read(images, [1, 0], np.ones((2, 4, 4, 1)))
    assert probe.inputs.dtype == np.uint8
    assert probe.labels.tolist() == [1, 0]
    assert probe.masks.shape == (2, 4, 4) and probe.masks.dtype == bool
    model = keras.Sequential(
        [keras.Input((4, 4, 3), name="pixels"), keras.layers.Flatten()]
    )
    fitted = probe.fit(model)
    assert [spec.kind for spec in fitted.specs] == ["image"]
    (as_model_takes,) = fitted.model_inputs()
    assert as_model_takes.dtype == np.float32
    np.testing.assert_array_equal(as_model_takes, images.astype(np.float32))


def test_a_probe_of_several_inputs_is_a_dict_by_input_name():
    rng = np.random.default_rng(0)
    probe = Probe.read(
        {
            "tokens": rng.integers(1, 9, size=(3, 5)),
            "age": rng.random((3, 2)).astype("float32"),
        },
        [0, 1, 0],
    )
    tokens = keras.Input((5,), dtype="int32", name="tokens")
    age = keras.Input((2,), name="age")
    pooled = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(9, 4)(tokens))
    model = keras.Model(
        [tokens, age], keras.layers.Dense(2)(keras.layers.Concatenate()([pooled, age]))
    )
    fitted = probe.fit(model)
    assert [(s.name, s.kind) for s in fitted.specs] == [
        ("tokens", "tokens"),
        ("age", "features"),
    ]
    ids, ages = fitted.model_inputs()
    assert ids.dtype == np.int32 and ages.dtype == np.float32
    with pytest.raises(ValueError, match="takes the inputs"):
        Probe.read({"tokens": np.ones((3, 5), "int32")}).fit(model)
    with pytest.raises(ValueError, match="same number of samples"):
        Probe.read({"a": np.ones((3, 5)), "b": np.ones((2, 5))})


def test_a_dataset_probe_is_read_with_its_labels_one_hot_or_by_key():
    x = np.random.default_rng(0).random((5, 4, 4, 3)).astype("float32")
    onehot = tf.one_hot([2, 0, 1, 1, 0], 3)
    probe = Probe.read(tf.data.Dataset.from_tensor_slices((x, onehot)).batch(2))
    np.testing.assert_array_equal(probe.inputs, x)
    assert probe.labels.tolist() == [2, 0, 1, 1, 0]
    keyed = tf.data.Dataset.from_tensor_slices({"image": x, "label": [3, 1, 4, 1, 5]})
    assert Probe.read(keyed).labels.tolist() == [3, 1, 4, 1, 5]
    # Labels given beside a dataset win over the dataset's own.
    assert Probe.read(keyed, [0] * 5).labels.tolist() == [0] * 5


def test_a_batched_dataset_of_sequences_is_read_by_the_models_rank():
    x = np.random.default_rng(1).random((6, 10, 3)).astype("float32")
    ds = tf.data.Dataset.from_tensor_slices(x).batch(3)  # elements [3, 10, 3]
    probe = Probe.read(ds)
    model = keras.Sequential(
        [keras.Input((10, 3)), keras.layers.Conv1D(2, 3), keras.layers.Flatten()]
    )
    fitted = probe.fit(model)
    assert fitted.inputs.shape == (6, 10, 3)
    np.testing.assert_array_equal(fitted.inputs, x)


def test_bad_probes_raise_with_what_was_received():
    with pytest.raises(ValueError, match=r"Received: images with shape \(2,\)"):
        Probe.read(np.zeros((2,)))
    with pytest.raises(ValueError, match="numeric"):
        Probe.read(np.array([[["a"]]] * 2, dtype=object).reshape(2, 1, 1))
    with pytest.raises(ValueError, match=r"one class id .* per sample \(2\)"):
        Probe.read(np.zeros((2, 4, 4, 3)), [1, 2, 3])
    with pytest.raises(ValueError, match="non-negative"):
        Probe.read(np.zeros((2, 4, 4, 3)), [1, -2])
    with pytest.raises(ValueError, match="masks must mark one input"):
        Probe.read(np.zeros((2, 4, 4, 3)), masks=np.zeros((2, 5, 5)))


def test_fit_checks_the_models_input_shape():
    probe = Probe.read(np.zeros((2, 8, 8, 3), "float32"))
    model = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Flatten()])
    with pytest.raises(ValueError, match=r"takes inputs of shape \(None, 16, 16, 3\)"):
        probe.fit(model)
    a, b = keras.Input((8, 8, 3)), keras.Input((2,))
    two = keras.Model(
        [a, b], keras.layers.Concatenate()([keras.layers.Flatten()(a), b])
    )
    with pytest.raises(ValueError, match=r"give the probe as a dict.*one array"):
        probe.fit(two)


def test_masks_mark_the_input_of_their_shape():
    probe = Probe.read(
        {"tokens": np.ones((2, 5), "int32"), "image": np.zeros((2, 4, 4, 3))},
        masks=np.zeros((2, 5), bool),
    )
    assert probe.mask_input == "tokens"
    image_masks = Probe.read(np.zeros((2, 4, 4, 3)), masks=np.ones((2, 4, 4, 1)))
    assert image_masks.mask_input == "" and image_masks.masks.shape == (2, 4, 4)
