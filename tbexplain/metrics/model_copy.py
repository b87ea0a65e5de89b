"""A copy of a model whose top weighted layers are re-initialised, kept in step with
the model's other weights (for the model-parameter randomisation test).

The copy is made once per model (`keras.models.clone_model`); each `update`
assigns the model's current weights to the copy's layers that are not
re-initialised, in one compiled call, reading the model's variables only:
the model, its optimizer and its random state are never written. The
re-initialised layers get fresh weights from their own initializers, seeded
(a fresh layer built from the layer's configuration with every initializer's
seed set); a layer that cannot be rebuilt from its configuration gets its
weights permuted instead (Quantus' way for Keras models).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from tbexplain.checks import positive_int

__all__ = ["RandomisedCopy", "weighted_layers"]


def weighted_layers(model: Any) -> list[Any]:
    """The layers of `model` that hold weights, inputs first; nested models
    are walked into (their layers count, not the nested model)."""

    def walk(layers: list[Any]) -> Iterator[Any]:
        for layer in layers:
            if isinstance(layer, keras.Model):
                yield from walk(list(layer.layers))
            elif layer.weights:
                yield layer

    return list(walk(list(model.layers)))


def _seeded(config: Any, seed: int, counter: list[int]) -> Any:
    """`config` with the seed of every seedable initializer in it set."""
    if isinstance(config, dict):
        out = {k: _seeded(v, seed, counter) for k, v in config.items()}
        inner = out.get("config")
        if "class_name" in out and isinstance(inner, dict) and "seed" in inner:
            counter[0] += 1
            out["config"] = {**inner, "seed": (seed + 7919 * counter[0]) % 2**31}
        return out
    if isinstance(config, list):
        return [_seeded(v, seed, counter) for v in config]
    return config


def _fresh_values(layer: Any, seed: int) -> list[np.ndarray]:
    """New weights for `layer` from its own initializers (seeded), or its
    weights permuted when it cannot be rebuilt from its configuration."""
    current = [np.asarray(v) for v in layer.weights]
    try:
        fresh = type(layer).from_config(_seeded(layer.get_config(), seed, [0]))
        fresh.build_from_config(layer.get_build_config())
        values = [np.asarray(v) for v in fresh.weights]
        if [v.shape for v in values] == [v.shape for v in current]:
            return values
    except Exception:  # a layer that cannot be rebuilt: permuted below
        pass
    rng = np.random.default_rng(seed)
    return [rng.permutation(v.ravel()).reshape(v.shape) for v in current]


def _clone(model: Any) -> Any:
    try:
        copy = keras.models.clone_model(model)
    except Exception as err:
        raise ValueError(
            f"randomisation explains a copy of the model, and Keras cannot copy "
            f"model '{model.name}' ({type(err).__name__}: {err}). A subclassed "
            "model is copied only if it implements get_config(). Received: a "
            f"model of type {type(model).__name__}"
        ) from err
    mine, theirs = list(model.weights), list(copy.weights)
    if [tuple(v.shape) for v in mine] != [tuple(v.shape) for v in theirs]:
        raise ValueError(
            f"randomisation explains a copy of the model, and the copy of model "
            f"'{model.name}' does not hold the same weights. Received: "
            f"{len(mine)} weights, copied as {len(theirs)}"
        )
    return copy


class RandomisedCopy:
    """A copy of `model` with its top `layers` weighted layers re-initialised.

    Args:
      model: A Keras model (Functional or Sequential; a subclassed model with
        ``get_config``).
      layers: How many weighted layers, from the output down, to re-initialise.

    Attributes:
      model: The copy.
      randomised: The paths of the re-initialised layers, top first.

    Raises:
      ValueError: the model cannot be copied, or `layers` is not between 1
        and its number of weighted layers.
    """

    def __init__(self, model: Any, layers: int) -> None:
        layers = positive_int(layers, "layers")
        self.model = _clone(model)
        weighted = weighted_layers(self.model)
        if layers > len(weighted):
            raise ValueError(
                f"`layers` must be between 1 and {len(weighted)}, the number of "
                f"weighted layers of model '{model.name}'. Received: layers={layers}"
            )
        self._top = weighted[::-1][:layers]
        self.randomised = [layer.path for layer in self._top]
        fresh = {id(v) for layer in self._top for v in layer.weights}
        pairs = [
            (mine, theirs)
            for mine, theirs in zip(model.weights, self.model.weights, strict=True)
            if id(theirs) not in fresh
        ]
        self._seed: int | None = None

        @tf.function(autograph=False)
        def sync() -> None:
            for mine, theirs in pairs:
                theirs.assign(mine)

        self._sync = sync

    def update(self, seed: int) -> Any:
        """The copy with the model's current weights below the re-initialised
        layers, and those layers' fresh weights of `seed`."""
        self._sync()
        if seed != self._seed:
            for i, layer in enumerate(self._top):
                values = _fresh_values(layer, seed + 104729 * i)
                for variable, value in zip(layer.weights, values, strict=True):
                    variable.assign(value)
            self._seed = seed
        return self.model
