"""Tiny seeded models that look at one region of the image."""

from __future__ import annotations

import keras
import numpy as np

SIZE = (16, 24)  # non-square on purpose: H != W
REGION = (slice(2, 8), slice(14, 22))  # rows, cols the model looks at


def region_mask(size: tuple[int, int] = SIZE) -> np.ndarray:
    mask = np.zeros(size, np.float32)
    mask[REGION] = 1.0
    return mask


def region_model(seed: int = 0, classes: int = 3, softmax: bool = False) -> keras.Model:
    """A conv net whose features are zeroed outside REGION before pooling.

    The layer named "region" is its last spatial layer (what Grad-CAM / Score-CAM use).
    """
    keras.utils.set_random_seed(seed)
    inp = keras.Input((*SIZE, 3))
    feat = keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="conv")(
        inp
    )
    # Zero outside REGION, rescaled so the pooled features keep the size of the conv's.
    mask = region_mask()[None, :, :, None] * (region_mask().size / region_mask().sum())
    feat = keras.layers.Lambda(lambda t: t * mask, name="region")(feat)
    pooled = keras.layers.GlobalAveragePooling2D()(feat)
    out = keras.layers.Dense(
        classes,
        activation="softmax" if softmax else None,
        kernel_initializer=keras.initializers.RandomUniform(0.2, 3.0, seed=seed),
        name="head",
    )(pooled)
    return keras.Model(inp, out, name="region_net")


def images(n: int = 2, seed: int = 0) -> np.ndarray:
    return (
        np.random.default_rng(seed).uniform(0.0, 1.0, (n, *SIZE, 3)).astype(np.float32)
    )
