"""Deletion and insertion AUC (Petsiuk et al., 2018, "RISE").

Positions are removed from (deletion) or added to (insertion) the input in the
order of the map, most important first, in ``steps`` equal fractions; the
area under the curve of the class score is reported (x axis 0 to 1,
trapezoid rule). Low deletion AUC and high insertion AUC mean a faithful map.
All ``B * (steps + 1)`` copies are built on the device and scored
``batch_size`` at a time in one compiled function, so memory is bounded by
``batch_size`` copies.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import tensorflow as tf

from tbexplain.checks import positive_int
from tbexplain.metrics._common import ScoreFn
from tbexplain.metrics._feeding import CopyPlan, Perturbation
from tbexplain.perturbation import chunked_scores

__all__ = ["deletion", "insertion"]


def _build_curve_fn(
    plan: CopyPlan, steps: int, batch_size: int, insert: bool
) -> Callable[..., Any]:
    counts = tf.constant(
        np.round(np.arange(steps + 1) * plan.positions / steps).astype(np.int32)
    )
    per_sample = steps + 1
    total = plan.batch * per_sample
    feeder = plan.feeder

    @tf.function(reduce_retracing=True)
    def run(
        x: tf.Tensor,
        maps: tf.Tensor,
        class_ids: tf.Tensor | None,
        base: tf.Tensor,
        *context: tf.Tensor,
    ) -> Any:
        if plan.predict:
            class_ids = feeder.predicted(x, context)
        order = tf.argsort(maps, axis=-1, direction="DESCENDING", stable=True)
        ranks = tf.argsort(order, axis=-1, stable=True)

        def score_chunk(idx: tf.Tensor) -> tf.Tensor:
            sample = idx // per_sample
            count = tf.gather(counts, idx % per_sample)
            chosen = tf.cast(tf.gather(ranks, sample) < count[:, None], tf.float32)
            chosen = chosen[..., None]
            xs = tf.gather(x, sample)
            bs = tf.gather(base, sample) if plan.base_rows else base
            if insert:
                copies = xs * chosen + bs * (1.0 - chosen)
            else:
                copies = bs * chosen + xs * (1.0 - chosen)
            outputs = feeder.outputs(copies, context, sample)
            return plan.score_fn(outputs, tf.gather(class_ids, sample))

        curves = chunked_scores(total, batch_size, score_chunk)
        return tf.reshape(curves, [plan.batch, per_sample]), class_ids

    return run


def _curves(
    model: Any,
    inputs: Any,
    maps: Any,
    class_ids: Any,
    *,
    steps: int,
    baseline: Any,
    batch_size: int,
    score_fn: ScoreFn | None,
    softmax: bool,
    insert: bool,
    input: str | int | None,
) -> np.ndarray:
    steps = positive_int(steps, "steps")
    batch_size = positive_int(batch_size, "batch_size")
    setup = Perturbation.read(
        model,
        inputs,
        maps,
        class_ids,
        baseline=baseline,
        score_fn=score_fn,
        softmax=softmax,
        input=input,
    )
    run = setup.compiled(model, "curve", (steps, batch_size, insert), _build_curve_fn)
    curves, _ = run(*setup.arguments())
    return setup.undefined_as_nan(curves.numpy().astype(np.float64))


def _auc(curves: np.ndarray) -> np.ndarray:
    steps = curves.shape[1] - 1
    return (curves.sum(axis=1) - 0.5 * (curves[:, 0] + curves[:, -1])) / steps


def deletion(
    model: Any,
    inputs: Any,
    maps: Any,
    class_ids: Any = None,
    *,
    steps: int = 16,
    baseline: Any = "zeros",
    batch_size: int = 64,
    softmax: bool = False,
    score_fn: ScoreFn | None = None,
    return_curves: bool = False,
    input: str | int | None = None,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Deletion AUC: the score as the most important positions are removed first
    (lower is better).

    Step ``k`` (0..``steps``) replaces the ``round(k/steps * P)`` positions
    (pixels, steps, tokens, features; all channels) with the highest map
    values by the baseline (ties in input order). The AUC is the trapezoid
    area under the ``steps + 1`` scores over x in [0, 1].

    Args:
      model: A Keras model; its (first) output is [B, K] class scores.
      inputs: What the model takes (see `tbexplain.methods.Method.explain`):
        any kind of input (`tbexplain.kinds`); a dict by input name for a
        model of several inputs (the others are held at their values).
      maps: Attributions at input resolution, one value per position of
        the input (`Kind.map_shape`): [B, H, W] for images, [B, T] for
        sequences and tokens, [B, F] for features.
      class_ids: The class explained per sample: None (the predicted class),
        an int, or one int per sample.
      steps: The number of deletion steps (the curve has ``steps + 1``
        points).
      baseline: What a deleted position becomes: ``"zeros"`` (default, as in
        the RISE paper), ``"blur"`` (kinds whose positions have neighbours,
        blurred with sigma = max(H, W) / 20), ``"mean"`` (per sample and channel), a
        constant, or an array broadcastable to the inputs. Token ids always
        become the pad token (its embedding).
      batch_size: Copies per forward pass (bounds the memory).
      softmax: Score the softmax probability of the class (sigmoid for one
        output) instead of the raw model output. Use it for models that
        output logits.
      score_fn: ``f(outputs, class_ids) -> [n]`` to score copies another way
        (overrides ``softmax``).
      return_curves: Also return the curves [B, steps + 1].
      input: For a model of several inputs, the one the maps explain (its
        name or index); by default the only input whose positions match the
        maps' shape.

    Returns:
      float64 [B] AUCs (NaN for a map with a non-finite value), or
      ``(aucs, curves)`` with ``return_curves=True``.
    """
    curves = _curves(
        model,
        inputs,
        maps,
        class_ids,
        steps=steps,
        baseline=baseline,
        batch_size=batch_size,
        score_fn=score_fn,
        softmax=softmax,
        insert=False,
        input=input,
    )
    aucs = _auc(curves)
    return (aucs, curves) if return_curves else aucs


def insertion(
    model: Any,
    inputs: Any,
    maps: Any,
    class_ids: Any = None,
    *,
    steps: int = 16,
    baseline: Any = None,
    batch_size: int = 64,
    softmax: bool = False,
    score_fn: ScoreFn | None = None,
    return_curves: bool = False,
    input: str | int | None = None,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Insertion AUC: the score as the most important positions are restored
    first (higher is better).

    Starts from the baseline (by default the blurred input, as in the RISE
    paper; zeros for features) and step ``k`` restores the
    ``round(k/steps * P)`` positions with the highest map values. Arguments
    and return value as in :func:`deletion`.
    """
    curves = _curves(
        model,
        inputs,
        maps,
        class_ids,
        steps=steps,
        baseline=baseline,
        batch_size=batch_size,
        score_fn=score_fn,
        softmax=softmax,
        insert=True,
        input=input,
    )
    aucs = _auc(curves)
    return (aucs, curves) if return_curves else aucs
