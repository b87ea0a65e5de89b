"""Tiny seeded models of every input kind for the metrics' tests: linear ones with
known answers, and small non-linear ones for the references."""

from __future__ import annotations

import keras
import numpy as np

H = W = 6
C = 2
T = 10
F = 5
VOCAB = 12
E = 3


def _fixed(layer: keras.layers.Layer, rng: np.random.Generator) -> None:
    """Seeded weights: a kernel whose two classes are opposite, no bias."""
    kernel = layer.get_weights()[0]
    w = rng.normal(size=kernel.shape[0]).astype(np.float32)
    layer.set_weights([np.stack([w, -w], axis=1)])


def linear(kind: str, seed: int = 0) -> keras.Model:
    """Class 0 scores sum(w * x) of the input (of the image for ``two``, plus
    its metadata's), class 1 the opposite; no bias.

    Kinds: ``image`` [H, W, C], ``sequence`` [T, C], ``features`` [F],
    ``tokens`` [T] ids through an Embedding, ``two`` (image and meta [3]).
    """
    rng = np.random.default_rng(seed)
    keras.utils.set_random_seed(seed)
    dense = keras.layers.Dense(2, use_bias=False, name="head")
    if kind == "two":
        image = keras.Input((H, W, C), name="image")
        meta = keras.Input((3,), name="meta")
        flat = keras.layers.Concatenate()([keras.layers.Flatten()(image), meta])
        model = keras.Model([image, meta], dense(flat))
    elif kind == "tokens":
        ids = keras.Input((T,), dtype="int32", name="tokens")
        h = keras.layers.Embedding(VOCAB, E, name="embedding")(ids)
        model = keras.Model(ids, dense(keras.layers.Flatten()(h)))
    else:
        shape = {"image": (H, W, C), "sequence": (T, C), "features": (F,)}[kind]
        inputs = keras.Input(shape)
        h = inputs if kind == "features" else keras.layers.Flatten()(inputs)
        model = keras.Model(inputs, dense(h))
    _fixed(dense, rng)
    return model


def inputs(kind: str, n: int = 3, seed: int = 1) -> object:
    """A seeded batch for `linear(kind)` or `nonlinear(kind)`."""
    rng = np.random.default_rng(seed)
    if kind == "two":
        return {
            "image": rng.uniform(0.2, 1.0, (n, H, W, C)).astype(np.float32),
            "meta": rng.normal(size=(n, 3)).astype(np.float32),
        }
    if kind == "tokens":
        return rng.integers(1, VOCAB, (n, T)).astype(np.int32)
    shape = {"image": (H, W, C), "sequence": (T, C), "features": (F,)}[kind]
    return rng.uniform(0.2, 1.0, (n, *shape)).astype(np.float32)


def nonlinear(kind: str, seed: int = 0) -> keras.Model:
    """A small seeded non-linear classifier of 3 classes for `kind`."""
    keras.utils.set_random_seed(seed)
    if kind == "two":
        image = keras.Input((H, W, C), name="image")
        meta = keras.Input((3,), name="meta")
        h = keras.layers.Conv2D(4, 3, padding="same", activation="tanh")(image)
        h = keras.layers.Concatenate()([keras.layers.Flatten()(h), meta])
        h = keras.layers.Dense(6, activation="tanh")(h)
        return keras.Model([image, meta], keras.layers.Dense(3, name="head")(h))
    if kind == "tokens":
        ids = keras.Input((T,), dtype="int32", name="tokens")
        h = keras.layers.Embedding(VOCAB, E, name="embedding")(ids)
        h = keras.layers.Conv1D(4, 3, padding="same", activation="tanh")(h)
        h = keras.layers.Flatten()(h)
        return keras.Model(ids, keras.layers.Dense(3, name="head")(h))
    shape = {"image": (H, W, C), "sequence": (T, C), "features": (F,)}[kind]
    x = keras.Input(shape)
    if kind == "image":
        h = keras.layers.Conv2D(4, 3, padding="same", activation="tanh")(x)
        h = keras.layers.Flatten()(h)
    elif kind == "sequence":
        h = keras.layers.Conv1D(4, 3, padding="same", activation="tanh")(x)
        h = keras.layers.Flatten()(h)
    else:
        h = x
    h = keras.layers.Dense(6, activation="tanh", name="hidden")(h)
    return keras.Model(x, keras.layers.Dense(3, name="head")(h))
