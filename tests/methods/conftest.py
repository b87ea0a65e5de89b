"""Tiny seeded models shared by the methods tests."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import pytest

NESTED_SIZE = 48  # MobileNetV2's last feature map is 2x2 at this size


def tiny_cnn(
    size: int = 16, classes: int = 3, activation: str | None = "softmax", seed: int = 0
) -> keras.Model:
    """Conv(relu) -> ReLU layer -> Conv -> GAP -> Dense, with random biases."""
    keras.utils.set_random_seed(seed)
    bias = keras.initializers.RandomNormal(stddev=0.1, seed=seed)
    return keras.Sequential(
        [
            keras.Input((size, size, 3)),
            keras.layers.Conv2D(4, 3, padding="same", bias_initializer=bias),
            keras.layers.ReLU(),
            keras.layers.Conv2D(
                6,
                3,
                strides=2,
                activation="relu",
                bias_initializer=bias,
                name="last_conv",
            ),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(classes, activation=activation, bias_initializer=bias),
        ],
        name="tiny_cnn",
    )


def images(n: int = 4, size: int = 16, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).random((n, size, size, 3), dtype=np.float32)


@pytest.fixture(scope="module")
def cnn() -> keras.Model:
    return tiny_cnn()


@pytest.fixture(scope="session")
def backbone() -> keras.Model:
    keras.utils.set_random_seed(0)
    model = keras.applications.MobileNetV2(
        input_shape=(NESTED_SIZE, NESTED_SIZE, 3),
        alpha=0.35,
        include_top=False,
        weights=None,
    )
    calibrate_batch_norm(model, images(8, size=NESTED_SIZE, seed=99))
    return model


def calibrate_batch_norm(model: keras.Model, x: np.ndarray) -> None:
    """Sets BatchNorm moving statistics to those of `x`.

    A randomly initialised MobileNetV2 in inference mode shrinks its
    activations to ~1e-11 (unit moving variance); with calibrated statistics
    they stay O(1), so maps and their differences are meaningful.
    """
    norms = [
        layer
        for layer in model.layers
        if isinstance(layer, keras.layers.BatchNormalization)
    ]
    momenta = [layer.momentum for layer in norms]
    for layer in norms:
        layer.momentum = 0.0
    model(x, training=True)
    for layer, momentum in zip(norms, momenta, strict=True):
        layer.momentum = momentum


@pytest.fixture(scope="session")
def nested_functional(backbone: keras.Model) -> keras.Model:
    inputs = keras.Input((NESTED_SIZE, NESTED_SIZE, 3))
    features = backbone(inputs)
    pooled = keras.layers.GlobalAveragePooling2D()(features)
    outputs = keras.layers.Dense(3, activation="softmax")(pooled)
    return keras.Model(inputs, outputs, name="nested_functional")


@pytest.fixture(scope="session")
def nested_sequential(backbone: keras.Model) -> keras.Model:
    return keras.Sequential(
        [
            keras.Input((NESTED_SIZE, NESTED_SIZE, 3)),
            backbone,
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(3, activation="softmax"),
        ],
        name="nested_sequential",
    )
