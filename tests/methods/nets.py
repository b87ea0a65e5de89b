"""Seeded nets whose gradients vary across the feature map, in Keras and numpy.

Every explained layer feeds a Flatten -> Dense head (or a conv), never global
average pooling, so the gradient differs from pixel to pixel and any spatial
pooling of it (mean, max, sum) gives different weights.
"""

from __future__ import annotations

import keras
import numpy as np

from tests.methods.reference import (
    Flatten,
    Layer,
    Net,
    Relu,
    keras_model,
    random_conv,
    random_dense,
)

CAM_HEADS = ("flatten", "relu_layer", "dense_relu")


def cam_specs(head: str = "flatten", softmax: bool = True) -> list[Layer]:
    """x[8, 8, 2] -> l0 Conv 3x3 (relu) -> l1 Conv 2x2/2 (linear, 3x3x4) -> head.

    Heads: "flatten" (Flatten -> Dense), "relu_layer" (ReLU layer above l1, then
    Flatten -> Dense) and "dense_relu" (Flatten -> Dense(relu) -> Dense).
    """
    rng = np.random.default_rng(20)
    specs: list[Layer] = [
        random_conv(rng, (3, 3), (2, 3), relu=True),
        random_conv(rng, (2, 2), (3, 4), stride=2),
    ]
    if head == "flatten":
        specs += [Flatten(), random_dense(rng, 36, 3, softmax=softmax)]
    elif head == "relu_layer":
        specs += [Relu(), Flatten(), random_dense(rng, 36, 3, softmax=softmax)]
    elif head == "dense_relu":
        specs += [
            Flatten(),
            random_dense(rng, 36, 6, relu=True),
            random_dense(rng, 6, 3, softmax=softmax),
        ]
    else:
        raise ValueError(f"Unknown head. Received: head={head!r}")
    return specs


def relu_specs(softmax: bool = True) -> list[Layer]:
    """x[8, 8, 3] -> l0 Conv 3x3 same -> l1 ReLU -> l2 Conv 3x3/2 (relu) -> Dense.

    Both styles of ReLU (a layer and a fused activation), same and valid
    padding, a stride of 2, and a Flatten -> Dense head.
    """
    rng = np.random.default_rng(21)
    return [
        random_conv(rng, (3, 3), (3, 4), padding="same"),
        Relu(),
        random_conv(rng, (3, 3), (4, 4), stride=2, relu=True),
        Flatten(),
        random_dense(rng, 36, 3, softmax=softmax),
    ]


def build(specs: list[Layer], shape: tuple[int, ...]) -> tuple[keras.Model, Net]:
    """The Keras model and its numpy twin."""
    return keras_model(specs, shape), Net(specs)


def inputs(n: int, shape: tuple[int, ...], seed: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, *shape)).astype(np.float32)
