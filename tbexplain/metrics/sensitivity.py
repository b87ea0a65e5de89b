"""Max-sensitivity (Yeh et al., 2019, "On the (in)fidelity and sensitivity of
explanations"): how much a map changes under small changes of its input.

For each sample, ``samples`` perturbations delta are drawn uniformly in the
cube of half-width ``radius * (max(x) - min(x))`` around the input (the range
of that sample, as SmoothGrad's noise); the metric is the largest relative
change ``||e(x + delta) - e(x)|| / ||e(x)||`` (Frobenius norms) of the maps,
each explaining the class explained at x. Lower is more robust; near 0 for a
radius near 0.

The perturbation of sample ``b`` in draw ``s`` is
``tf.random.stateless_uniform([samples, B, *shape], seed=[seed, 0],
minval=-1, maxval=1)[s, b]`` times the sample's half-width. Token ids are
perturbed where the methods attribute to them, in their embeddings (the
``Embedding`` layer's output, for that call); features and sequences as
they are. All ``samples * B`` perturbed copies are explained in one call of
the method (its ``batch_size`` bounds the memory), at the method's own
resolution (a CAM at its layer's).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import tensorflow as tf

from tbexplain import kinds
from tbexplain.checks import positive_int
from tbexplain.inputs import model_inputs, read_model_inputs
from tbexplain.layers import patched_call
from tbexplain.methods.base import Method
from tbexplain.methods.compiled import default_input
from tbexplain.metrics._common import check_seed, finite_rows
from tbexplain.metrics._explaining import (
    check_method,
    explain_as,
    explain_once,
    repeat_targets,
)
from tbexplain.metrics._feeding import input_index

__all__ = ["max_sensitivity"]


@tf.function(autograph=False, reduce_retracing=True)
def _draws(
    x: tf.Tensor, samples: tf.Tensor, radius: tf.Tensor, seed: tf.Tensor, around: bool
) -> tf.Tensor:
    """The perturbations [samples * B, ...] of a batch `x` [B, ...] (the module
    docstring's), or with `around` the perturbed copies themselves, x + delta.

    Compiled: eager, the draw, its scaling and the copies were each a pass
    over every copy, the largest cost of the metric beside its explanations.
    """
    axes = tf.range(1, tf.rank(x))
    half = radius * (tf.reduce_max(x, axis=axes) - tf.reduce_min(x, axis=axes))
    shape = tf.shape(x)
    draw = tf.random.stateless_uniform(
        tf.concat([[samples], shape], 0),
        seed=tf.stack([seed, 0]),
        minval=-1.0,
        maxval=1.0,
    )
    ones = tf.ones([tf.rank(x) - 1], tf.int32)
    delta = draw * tf.reshape(half, tf.concat([[1, -1], ones], 0))
    if around:
        delta = delta + x[None]
    return tf.reshape(delta, tf.concat([[-1], shape[1:]], 0))


def _noise(
    samples: int, x: tf.Tensor, radius: float, seed: int, around: bool = False
) -> tf.Tensor:
    """`_draws` of a float32 batch `x` (tensors for the rest, so a new seed,
    radius or count of samples does not trace it again)."""
    return _draws(
        x,
        tf.constant(samples, tf.int32),
        tf.constant(radius, tf.float32),
        tf.constant(seed, tf.int32),
        around,
    )


@contextlib.contextmanager
def _embedding_noise(embedding: Any, noise: tf.Tensor) -> Iterator[None]:
    """While active, `embedding`'s output of a batch of copies gets `noise`."""

    def wrapper(original: Any) -> Any:
        def call(inputs: Any, *args: Any, **kwargs: Any) -> Any:
            vectors = original(inputs, *args, **kwargs)
            return vectors + tf.cast(noise, vectors.dtype)

        return call

    with patched_call(embedding, wrapper):
        yield


def _checked(
    method: Any, samples: Any, radius: Any, seed: Any
) -> tuple[Method, int, int]:
    """`method`, `samples` and `seed` checked, `radius` validated.

    Raises:
      TypeError: `method` is not an attribution method, or `seed` is not an int.
      ValueError: `samples` is not a positive int, or `radius` not a
        non-negative number.
    """
    method = check_method(method, "max_sensitivity")
    samples = positive_int(samples, "samples")
    if not (
        isinstance(radius, (int, float, np.number))
        and not isinstance(radius, bool)
        and 0 <= radius < np.inf
    ):
        raise ValueError(
            f"`radius` must be a non-negative number. Received: radius={radius!r}"
        )
    return method, samples, check_seed(seed)


def _perturbed(
    method: Method,
    model: Any,
    inputs: Any,
    input: str | int | None,
    samples: int,
    radius: float,
    seed: int,
) -> tuple[Any, contextlib.AbstractContextManager[Any], int]:
    """(`samples` stacked copies of `inputs`, the explained one perturbed; a
    context that perturbs token ids in their embeddings while it is active;
    the explained input's index)."""
    specs = model_inputs(model)
    arrays = read_model_inputs(inputs, specs)
    index = (
        default_input(specs, method.uses_layer)
        if input is None
        else input_index(specs, len(arrays), input)
    )
    spec = specs[index] if specs else None

    def tiled(a: Any) -> tf.Tensor:
        a = tf.convert_to_tensor(a)
        return tf.tile(a, [samples] + [1] * (a.shape.rank - 1))

    perturbing: contextlib.AbstractContextManager[Any] = contextlib.nullcontext()
    kind = kinds.find(spec.kind) if spec is not None else None
    if spec is not None and kind is not None and kind.token_ids:
        vectors = tf.cast(
            spec.embedding(tf.convert_to_tensor(arrays[index])), tf.float32
        )
        perturbing = _embedding_noise(
            spec.embedding, _noise(samples, vectors, radius, seed)
        )
        explained = tiled(arrays[index])
    else:
        x = tf.cast(tf.convert_to_tensor(arrays[index]), tf.float32)
        explained = _noise(samples, x, radius, seed, around=True)
    copies = [explained if i == index else tiled(a) for i, a in enumerate(arrays)]
    fed: Any = (
        {s.name: a for s, a in zip(specs, copies, strict=True)}
        if specs and len(specs) > 1
        else copies[0]
    )
    return fed, perturbing, index


def _largest_change(base: np.ndarray, moved: np.ndarray, samples: int) -> np.ndarray:
    """max over draws of ||moved - base|| / ||base|| per sample, float64 [B]:
    `base` [B, ...] the maps at x, `moved` [samples * B, ...] those of the
    copies; NaN where `base` is all zero or has a non-finite value."""
    batch = base.shape[0]
    base = base.reshape(batch, -1)
    moved = moved.astype(np.float64).reshape(samples, batch, -1)
    norms = np.linalg.norm(base, axis=1)
    changes = np.linalg.norm(moved - base[None], axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (changes / norms).max(axis=0)
    out[~finite_rows(base) | (norms == 0)] = np.nan
    return out


def max_sensitivity(
    method: Any,
    model: Any,
    inputs: Any,
    class_ids: Any = None,
    *,
    samples: int = 8,
    radius: float = 0.1,
    seed: int | None = 0,
    input: str | int | None = None,
    maps: Any = None,
) -> np.ndarray:
    """Max-sensitivity of `method`'s maps of `inputs` (lower is more robust).

    Costs ``samples + 1`` explanations of the batch (``samples`` given
    `maps`); see the module docstring.

    Args:
      method: An attribution method (``tbx.Saliency()``, ``tbx.GradCAM()``).
      model: A Keras model.
      inputs: What the model takes (a dict by input name for several).
      class_ids: What each map explains, as ``targets=`` of
        `Method.explain`: None (the predicted class at x), an int, one int
        per sample, or a callable target. Perturbed copies explain the same.
      samples: Perturbations per sample.
      radius: The half-width of the cube of perturbations, as a fraction of
        each sample's range (max - min of its values).
      seed: The seed of the perturbations (None: a fresh one per call).
      input: For a model of several inputs, the one explained and perturbed
        (the others are held at their values); by default the method's.
      maps: The method's maps of `inputs` if already computed (at its own
        resolution or the input's), with `class_ids` the classes they
        explain; saves one explanation.

    Returns:
      float64 [B]; NaN where the map at x is all zero or has a non-finite
      value.

    Raises:
      TypeError: `method` is not an attribution method.
    """
    method, samples, seed = _checked(method, samples, radius, seed)
    targets = class_ids
    if maps is None:
        maps, targets = explain_once(method, model, inputs, class_ids, input)
    base = np.asarray(maps, np.float64)
    fed, perturbing, index = _perturbed(
        method, model, inputs, input, samples, float(radius), seed
    )
    with perturbing:
        moved = explain_as(
            method, model, fed, repeat_targets(targets, samples), index, base
        )
    return _largest_change(base, moved, samples)
