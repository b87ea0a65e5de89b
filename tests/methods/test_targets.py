"""Targets: predicted class, ints, one per sample, callables, pre-activation."""

from __future__ import annotations

import logging

import keras
import numpy as np
import pytest

import tbexplain as tbx
from tbexplain import targets as targets_lib
from tests.methods.conftest import images, tiny_cnn


def test_none_explains_the_predicted_class(cnn):
    x = images(6)
    result = tbx.Saliency().explain_with_targets(cnn, x)
    np.testing.assert_array_equal(result.class_ids, cnn(x).numpy().argmax(-1))
    per_sample = tbx.Saliency().explain(cnn, x, result.class_ids.tolist())
    np.testing.assert_allclose(result.maps, per_sample, rtol=1e-6)


def test_int_and_sequence_targets(cnn):
    x = images(3)
    as_int = tbx.Saliency().explain_with_targets(cnn, x, 2)
    np.testing.assert_array_equal(as_int.class_ids, [2, 2, 2])
    as_list = tbx.Saliency().explain_with_targets(cnn, x, np.array([2, 0, 1]))
    np.testing.assert_array_equal(as_list.class_ids, [2, 0, 1])
    np.testing.assert_allclose(as_list.maps[0], as_int.maps[0], rtol=1e-6)
    assert not np.allclose(as_list.maps[1], as_int.maps[1])


def test_scores_are_pre_softmax(cnn):
    x = images(2)
    result = tbx.GradCAM().explain_with_targets(cnn, x, 1)
    linear = tiny_cnn(activation=None)  # same seed, same weights, no softmax
    np.testing.assert_allclose(result.scores, linear(x).numpy()[:, 1], rtol=1e-5)
    assert cnn.layers[-1].activation.__name__ == "softmax"  # model unchanged


def test_callable_targets_for_regression_and_multi_output():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8, 8, 3))
    features = keras.layers.Conv2D(4, 3, activation="relu")(inputs)
    pooled = keras.layers.GlobalAveragePooling2D()(features)
    value = keras.layers.Dense(1, name="value")(pooled)
    logits = keras.layers.Dense(2, activation="softmax", name="cls")(pooled)
    model = keras.Model(inputs, [value, logits])
    x = images(3, size=8)
    with pytest.raises(ValueError, match="several outputs"):
        tbx.Saliency().explain(model, x)
    result = tbx.Saliency().explain_with_targets(model, x, lambda outs: outs[0][:, 0])
    assert result.class_ids is None
    np.testing.assert_allclose(result.scores, model(x)[0].numpy()[:, 0], rtol=1e-5)
    assert tbx.GradCAM().explain(model, x, lambda outs: outs[1][:, 1]).shape == (
        3,
        8,
        8,
    )


def test_single_sigmoid_unit_explains_the_positive_logit(caplog):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((8, 8, 3)),
            keras.layers.Conv2D(2, 3),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    info = targets_lib.output_info(model)
    assert info.single_sigmoid and info.final_activation == "sigmoid"
    x = images(2, size=8)
    with caplog.at_level(logging.WARNING, logger="tbexplain.targets"):
        result = tbx.Saliency().explain_with_targets(model, x)
        tbx.Saliency().explain(model, x)
    assert sum("positive class" in r.getMessage() for r in caplog.records) == 1
    np.testing.assert_array_equal(result.class_ids, [0, 0])
    probability = model(x).numpy()[:, 0]
    np.testing.assert_allclose(
        result.scores, np.log(probability / (1 - probability)), rtol=1e-4
    )


def test_output_info_finds_the_squashing_layer(nested_sequential):
    info = targets_lib.output_info(nested_sequential)
    assert info.final_activation == "softmax" and info.num_classes == 3
    inner = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(3), keras.layers.Activation("sigmoid")]
    )
    inputs = keras.Input((4,))
    outer = keras.Model(inputs, inner(inputs))
    info = targets_lib.output_info(outer)
    assert info.final_activation == "sigmoid" and info.layer is inner.layers[-1]


@pytest.mark.parametrize(
    ("targets", "error", "match"),
    [
        (3, ValueError, "out of range"),
        ([0, 1], ValueError, "one class per sample"),
        (-1, ValueError, ">= 0"),
        (True, TypeError, "int"),
        ("cat", TypeError, "targets"),
    ],
)
def test_bad_targets(cnn, targets, error, match):
    with pytest.raises(error, match=match):
        tbx.Saliency().explain(cnn, images(3), targets)
