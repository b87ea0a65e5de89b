"""Shared pieces of the logger/callback tests: tiny seeded models, data, and a
reader that goes through TensorBoard's own data provider."""

from __future__ import annotations

import os

import keras
import numpy as np
import pytest

from tests.helpers.reader import LogdirReader, Step

__all__ = ["CLASS_NAMES", "SIZE", "LogdirReader", "Step", "make_data", "make_model"]

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

NUM_CLASSES = 3
SIZE = 16
CLASS_NAMES = ["circle", "square", "triangle"]


def make_data(n: int = 64, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(seed)
    x = rng.rand(n, SIZE, SIZE, 3).astype("float32")
    y = (np.arange(n) % NUM_CLASSES).astype("int64")
    # A learnable signal: a bright square whose corner depends on the class.
    for i, c in enumerate(y):
        r, col = [(1, 1), (1, 9), (9, 5)][c]
        x[i, r : r + 6, col : col + 6] += 1.0
    return x / 2.0, y


def make_model(seed: int = 0, softmax: bool = True) -> keras.Model:
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((SIZE, SIZE, 3))
    h = keras.layers.Conv2D(4, 3, activation="relu", padding="same", name="conv1")(
        inputs
    )
    h = keras.layers.Conv2D(4, 3, activation="relu", padding="same", name="conv2")(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    outputs = keras.layers.Dense(
        NUM_CLASSES, activation="softmax" if softmax else None, name="head"
    )(h)
    model = keras.Model(inputs, outputs)
    model.compile(
        keras.optimizers.Adam(0.01),
        keras.losses.SparseCategoricalCrossentropy(from_logits=not softmax),
    )
    return model


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    return make_data()
