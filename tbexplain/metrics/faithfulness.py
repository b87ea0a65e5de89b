"""Faithfulness correlation (Bhatt et al., 2020, "Evaluating and aggregating
feature-based model explanations").

For each sample, ``samples`` random subsets of ``subset_size`` positions are
replaced by a baseline; the metric is the Pearson correlation, over the
subsets, between the sum of the map over a subset and the drop of the class
score when that subset is replaced. 1 means the map predicts exactly how much
each part of the input matters to the score (a linear model explained by
gradient x input with a zero baseline); 0, that it says nothing about it.

Copy ``c = b * samples + r`` (subset ``r`` of sample ``b``) replaces the
``subset_size`` positions with the largest keys ``u * P + p`` (P positions,
``p`` the position, ties impossible), ``u`` being row ``c`` of the 32-bit
integers ``tf.raw_ops.StatelessRandomUniformFullIntV2(shape=[B * samples,
4 * ceil(P / 4)], key=[seed], counter=[0, 0], alg=1, dtype=tf.uint32)``
(Philox), first P columns. A chunk of copies draws its own rows of that
stream (the counter says where), so the subsets depend on the seed and the
copy only, not on ``batch_size``, and no mask is ever held for more than a
chunk. All ``B * samples`` copies and the unperturbed inputs are scored in
one compiled function, ``batch_size`` copies per forward pass.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import tensorflow as tf

from tbexplain.checks import positive_int
from tbexplain.metrics._common import ScoreFn, check_seed, pearson_rows
from tbexplain.metrics._feeding import CopyPlan, Perturbation
from tbexplain.perturbation import chunked_accumulate

__all__ = ["faithfulness_correlation", "subset_count", "subset_masks"]

_PHILOX = 1  # tf.random.Algorithm.PHILOX


def subset_count(subset_size: Any, positions: int) -> int:
    """The number of positions of a subset: `subset_size` itself (an int), or
    that fraction of `positions` (a float in (0, 1), rounded, at least 1).

    Raises:
      ValueError: not a positive int below `positions` nor a fraction.
    """
    if isinstance(subset_size, (float, np.floating)) and 0 < subset_size < 1:
        count = max(1, round(float(subset_size) * positions))
    elif (
        isinstance(subset_size, (int, np.integer))
        and not isinstance(subset_size, bool)
        and subset_size >= 1
    ):
        count = int(subset_size)
    else:
        raise ValueError(
            "`subset_size` must be a positive int or a fraction in (0, 1). "
            f"Received: subset_size={subset_size!r}"
        )
    if count >= positions:
        raise ValueError(
            f"`subset_size` must leave some of the input's {positions} positions "
            f"out. Received: subset_size={subset_size!r}"
        )
    return count


def subset_masks(
    first: tf.Tensor, n: tf.Tensor, positions: int, count: int, seed: tf.Tensor
) -> tf.Tensor:
    """float32 [n, positions]: 1 on the subsets of copies ``first .. first + n - 1``
    (see the module docstring)."""
    width = -(-positions // 4) * 4  # Philox draws 4 numbers per counter step
    start = tf.cast(tf.cast(first, tf.int64) * (width // 4), tf.uint64)
    draws = tf.raw_ops.StatelessRandomUniformFullIntV2(
        shape=tf.stack([n, width]),
        key=tf.reshape(tf.cast(seed, tf.uint64), [1]),
        counter=tf.stack([start, tf.constant(0, tf.uint64)]),
        alg=_PHILOX,
        dtype=tf.uint32,
    )[:, :positions]
    keys = tf.cast(draws, tf.int64) * positions + tf.range(positions, dtype=tf.int64)
    # The smallest of the `count` largest keys; unsorted, top_k skips a sort.
    largest = tf.math.top_k(keys, count, sorted=False).values
    threshold = tf.reduce_min(largest, axis=1, keepdims=True)
    return tf.cast(keys >= threshold, tf.float32)


def _build(
    plan: CopyPlan, count: int, samples: int, batch_size: int
) -> Callable[..., Any]:
    total = plan.batch * samples
    chunks = -(-total // batch_size)
    feeder, score_fn = plan.feeder, plan.score_fn

    @tf.function(reduce_retracing=True)
    def run(
        x: tf.Tensor,
        maps: tf.Tensor,
        class_ids: tf.Tensor | None,
        base: tf.Tensor,
        seed: tf.Tensor,
        *context: tf.Tensor,
    ) -> Any:
        if plan.predict:
            class_ids = feeder.predicted(x, context)
        full = score_fn(feeder.outputs(x, context, None), class_ids)

        def body(j: tf.Tensor, acc: tuple[Any, Any]) -> tuple[Any, Any]:
            first = j * batch_size
            idx = tf.range(first, tf.minimum(first + batch_size, total))
            sample = idx // samples
            hidden = subset_masks(first, tf.size(idx), plan.positions, count, seed)
            sums = tf.reduce_sum(tf.gather(maps, sample) * hidden, axis=1)
            hidden = hidden[..., None]
            fill = tf.gather(base, sample) if plan.base_rows else base
            copies = tf.gather(x, sample) * (1.0 - hidden) + fill * hidden
            outputs = feeder.outputs(copies, context, sample)
            scores = score_fn(outputs, tf.gather(class_ids, sample))
            return acc[0].write(j, tf.cast(scores, tf.float32)), acc[1].write(j, sums)

        arrays = tuple(
            tf.TensorArray(
                tf.float32, size=chunks, element_shape=[None], infer_shape=False
            )
            for _ in range(2)
        )
        scores, sums = chunked_accumulate(chunks, body, arrays)
        drops = full[:, None] - tf.reshape(scores.concat(), [plan.batch, samples])
        return tf.reshape(sums.concat(), [plan.batch, samples]), drops

    return run


def _counts(samples: Any, batch_size: Any) -> tuple[int, int]:
    """`samples` and `batch_size` checked.

    Raises:
      ValueError: not positive ints, or fewer than 2 samples.
    """
    samples = positive_int(samples, "samples")
    batch_size = positive_int(batch_size, "batch_size")
    if samples < 2:
        raise ValueError(
            "`samples` must be at least 2 for a correlation. "
            f"Received: samples={samples}"
        )
    return samples, batch_size


def faithfulness_correlation(
    model: Any,
    inputs: Any,
    maps: Any,
    class_ids: Any = None,
    *,
    subset_size: int | float = 0.1,
    samples: int = 100,
    baseline: Any = "zeros",
    seed: int | None = 0,
    score_fn: ScoreFn | None = None,
    softmax: bool = False,
    batch_size: int = 64,
    input: str | int | None = None,
) -> np.ndarray:
    """Faithfulness correlation of each map (see the module docstring; higher
    is better, at most 1).

    Args:
      model: A Keras model; its (first) output is [B, K] class scores.
      inputs: What the model takes (a dict by input name for several inputs),
        as for :func:`tbexplain.metrics.deletion`.
      maps: Attributions at input resolution, as for `deletion`.
      class_ids: The class explained per sample: None (the predicted class),
        an int, or one int per sample.
      subset_size: Positions replaced per copy: an int, or a fraction of the
        positions (default 0.1).
      samples: Random subsets per sample (default 100, as Quantus).
      baseline: What a replaced position becomes, as for `deletion`
        (default ``"zeros"``; token ids become the pad token).
      seed: The seed of the subsets (None: a fresh one per call).
      score_fn: ``f(outputs, class_ids) -> [n]`` to score copies another way.
      softmax: Score the softmax probability instead of the raw output.
      batch_size: Copies per forward pass (bounds the memory).
      input: For a model of several inputs, the one the maps explain.

    Returns:
      float64 [B] correlations in [-1, 1]; NaN for a map with a non-finite
      value, or where the subsets' sums or score drops do not vary.
    """
    samples, batch_size = _counts(samples, batch_size)
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
    count = subset_count(subset_size, setup.source.positions)
    settings = (count, samples, batch_size)
    run = setup.compiled(model, "faithfulness", settings, _build)
    sums, drops = run(*setup.arguments(tf.constant(check_seed(seed), tf.int32)))
    return setup.undefined_as_nan(pearson_rows(sums.numpy(), drops.numpy()))
