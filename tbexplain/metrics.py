"""Faithfulness, localisation and stability metrics of attribution maps.

These are what the logger writes as scalars under ``{name}/metrics/{method}/{metric}``.

* :func:`deletion` / :func:`insertion` (Petsiuk et al., 2018, "RISE"): pixels are
  removed from (deletion) or added to (insertion) the image in the order of the map,
  most important first, in ``steps`` equal fractions; the area under the curve of the
  target score is reported (x axis 0 to 1, trapezoid rule). Low deletion AUC and high
  insertion AUC mean a faithful map. All ``B * (steps + 1)`` copies are built on the
  device and scored ``batch_size`` at a time in one compiled function, so memory is
  bounded by ``batch_size`` copies.
* :func:`pointing_game` (Zhang et al., 2016) and :func:`energy_in_mask` (the
  "energy-based pointing game" of Score-CAM, Wang et al., 2020) when ground-truth masks
  are known.
* :func:`drift`: how much the maps of the same samples changed between two logged steps
  (Spearman rank correlation by default; 1 means the same ranking of pixels).

All functions return one value per sample (a float64 numpy array [B]); NaN marks samples
where the metric is undefined (an empty mask, an all-zero map, a constant map).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import numpy as np
import tensorflow as tf

from tbexplain.checks import positive_int
from tbexplain.perturbation import (
    ModelCache,
    as_image_batch,
    check_fill,
    chunked_scores,
    default_blur_sigma,
    fill_images,
    probabilities,
)

__all__ = ["deletion", "drift", "energy_in_mask", "insertion", "pointing_game"]

ScoreFn = Callable[[tf.Tensor, tf.Tensor], tf.Tensor]
"""``score_fn(outputs [n, K], class_ids int32 [n]) -> float32 [n]``, traceable."""

_CACHE = ModelCache()


def _first_output(outputs: Any) -> tf.Tensor:
    if isinstance(outputs, dict):
        outputs = next(iter(outputs.values()))
    if isinstance(outputs, (list, tuple)):
        outputs = outputs[0]
    return tf.cast(outputs, tf.float32)


def _class_score(outputs: tf.Tensor, class_ids: tf.Tensor) -> tf.Tensor:
    outputs = tf.reshape(outputs, [tf.shape(outputs)[0], -1])
    if outputs.shape[-1] == 1:
        return outputs[:, 0]
    return tf.gather(outputs, class_ids, axis=1, batch_dims=1)


def _softmax_score(outputs: tf.Tensor, class_ids: tf.Tensor) -> tf.Tensor:
    return _class_score(probabilities(outputs), class_ids)


def _as_maps(maps: Any, batch: int, height: int, width: int) -> np.ndarray:
    arr = np.asarray(maps, dtype=np.float32)
    if arr.ndim == 4 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.ndim == 2 and width == 1:
        arr = arr[:, :, None]
    if arr.shape != (batch, height, width):
        raise ValueError(
            "`maps` must have one map per input at input resolution, shape "
            f"{(batch, height, width)}"
            f" (or [B, T] for sequences). Received: maps with shape {np.shape(maps)}"
        )
    return np.where(np.isfinite(arr), arr, -np.inf).astype(np.float32)


def _build_curve_fn(
    model: Any,
    shape: tuple[int, int, int, int],
    steps: int,
    batch_size: int,
    insert: bool,
    baseline: Any,
    score_fn: ScoreFn,
    sequence: bool,
) -> Callable[..., Any]:
    batch, height, width, _ = shape
    n_pixels = height * width
    counts = tf.constant(
        np.round(np.arange(steps + 1) * n_pixels / steps).astype(np.int32), tf.int32
    )
    per_image = steps + 1
    total = batch * per_image
    sigma = default_blur_sigma(height, width)

    model_ref = weakref.ref(model)  # the cache is weakly keyed on the model

    def call(images: tf.Tensor) -> tf.Tensor:
        if sequence:
            images = images[:, :, 0, :]
        live = model_ref()
        if live is None:  # pragma: no cover
            raise RuntimeError("The model was garbage collected.")
        return _first_output(live(images, training=False))

    @tf.function(reduce_retracing=True)
    def run(
        x: tf.Tensor, maps: tf.Tensor, class_ids: tf.Tensor, base: tf.Tensor
    ) -> Any:
        if baseline is not None:
            base = fill_images(x, baseline, sigma)
        if class_ids is None:
            class_ids = tf.argmax(
                tf.reshape(call(x), [batch, -1]),
                axis=-1,
                output_type=tf.int32,
            )
        flat = tf.reshape(maps, [batch, n_pixels])
        order = tf.argsort(flat, axis=-1, direction="DESCENDING", stable=True)
        ranks = tf.argsort(order, axis=-1, stable=True)

        def score_chunk(idx: tf.Tensor) -> tf.Tensor:
            sample = idx // per_image
            count = tf.gather(counts, idx % per_image)
            chosen = tf.gather(ranks, sample) < count[:, None]
            chosen = tf.reshape(chosen, [-1, height, width, 1])
            xs, bs = tf.gather(x, sample), tf.gather(base, sample)
            copies = tf.where(chosen, xs, bs) if insert else tf.where(chosen, bs, xs)
            outputs = call(copies)
            return score_fn(outputs, tf.gather(class_ids, sample))

        curves = tf.reshape(
            chunked_scores(total, batch_size, score_chunk), [batch, per_image]
        )
        return curves, class_ids

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
) -> tuple[np.ndarray, np.ndarray]:
    steps = positive_int(steps, "steps")
    batch_size = positive_int(batch_size, "batch_size")
    x, sequence = as_image_batch(inputs)
    batch, height, width, _ = x.shape
    map_arr = _as_maps(maps, batch, height, width)

    base = x
    base_key: Any
    if isinstance(baseline, (np.ndarray, tf.Tensor)):
        base = tf.cast(
            tf.broadcast_to(tf.convert_to_tensor(baseline), tf.shape(x)), tf.float32
        )
        base_key = None
    else:
        baseline = check_fill(baseline, "baseline")
        if isinstance(baseline, float):
            base = tf.fill(tf.shape(x), baseline)
            base_key = None
        else:
            base_key = baseline

    if class_ids is not None:
        ids = np.asarray(class_ids)
        if ids.ndim == 0:
            ids = np.full([batch], int(ids))
        if ids.shape != (batch,) or not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(
                "`class_ids` must be None, an int or one int per sample. "
                f"Received: class_ids={class_ids!r}"
            )
        class_ids = tf.constant(ids.astype(np.int32))

    if score_fn is None:
        score_fn = _softmax_score if softmax else _class_score
    key = (
        "curve",
        tuple(x.shape),
        steps,
        batch_size,
        insert,
        base_key,
        score_fn,
        class_ids is None,
    )
    run = _CACHE.get(
        model,
        key,
        lambda: _build_curve_fn(
            model,
            tuple(x.shape),
            steps,
            batch_size,
            insert,
            base_key,
            score_fn,
            sequence,
        ),
    )
    curves, used = run(x, tf.constant(map_arr), class_ids, base)
    return curves.numpy().astype(np.float64), used.numpy()


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
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Deletion AUC: the score as the most important pixels are removed first (lower is
    better).

    Step ``k`` (0..``steps``) replaces the ``round(k/steps * H*W)`` pixels with the
    highest map values (all channels; ties in input order) by the baseline. The AUC is
    the trapezoid area under the ``steps + 1`` scores over x in [0, 1].

    Args:
      model: a callable Keras model; its (first) output is [B, K] class scores.
      inputs: images [B, H, W, C] or sequences [B, T, C] (numpy or tf.Tensor).
      maps: attributions [B, H, W] (or [B, T]) at input resolution.
      class_ids: the class explained per sample: None (the predicted class), an int, or
        one int per sample.
      steps: the number of deletion steps (the curve has ``steps + 1`` points).
      baseline: what a deleted pixel becomes: ``"zeros"`` (default, as in the RISE
        paper), ``"blur"`` (the image blurred with sigma = max(H, W) / 20), ``"mean"``
        (per image and channel), a constant, or an array broadcastable to the inputs.
      batch_size: copies per forward pass (bounds the memory).
      softmax: score the softmax probability of the class (sigmoid for one output)
        instead of the raw model output. Use it for models that output logits.
      score_fn: ``f(outputs, class_ids) -> [n]`` to score copies another way (overrides
        ``softmax``).
      return_curves: also return the curves [B, steps + 1].

    Returns:
      float64 [B] AUCs, or ``(aucs, curves)`` with ``return_curves=True``.
    """
    curves, _ = _curves(
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
    baseline: Any = "blur",
    batch_size: int = 64,
    softmax: bool = False,
    score_fn: ScoreFn | None = None,
    return_curves: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Insertion AUC: the score as the most important pixels are restored first (higher
    is better).

    Starts from the baseline (by default the blurred image, as in the RISE paper) and
    step ``k`` restores the ``round(k/steps * H*W)`` pixels with the highest map values.
    Arguments and return value as in :func:`deletion`.
    """
    curves, _ = _curves(
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
    )
    aucs = _auc(curves)
    return (aucs, curves) if return_curves else aucs


def _check_maps_masks(maps: Any, masks: Any) -> tuple[np.ndarray, np.ndarray]:
    m = np.asarray(maps, dtype=np.float64)
    g = np.asarray(masks)
    if g.ndim == m.ndim + 1 and g.shape[-1] == 1:
        g = g[..., 0]
    if m.ndim not in (2, 3) or g.shape != m.shape:
        raise ValueError(
            "`maps` and `masks` must have the same shape [B, H, W] (or [B, T]). "
            f"Received: maps with shape {np.shape(maps)}, masks with shape "
            f"{np.shape(masks)}"
        )
    return m, g.astype(bool)


def pointing_game(maps: Any, masks: Any, *, tolerance: float = 0.0) -> np.ndarray:
    """Pointing game: 1.0 where the map's maximum lies in (or within ``tolerance``
    pixels of) the mask.

    Args:
      maps: attributions [B, H, W] (or [B, T]).
      masks: ground-truth masks of the same shape (bool or 0/1; a trailing channel axis
        of 1 is dropped).
      tolerance: the hit radius in pixels (Zhang et al. use 15 at 224x224).

    Returns:
      float64 [B]: 1.0 hit, 0.0 miss, NaN for an empty mask or a map without a finite
        value.
    """
    if tolerance < 0:
        raise ValueError(f"`tolerance` must be >= 0. Received: tolerance={tolerance!r}")
    m, g = _check_maps_masks(maps, masks)
    out = np.full(m.shape[0], np.nan)
    for i in range(m.shape[0]):
        finite = np.where(np.isfinite(m[i]), m[i], -np.inf)
        if not g[i].any() or not np.isfinite(finite).any():
            continue
        peak = np.array(np.unravel_index(np.argmax(finite), finite.shape))
        inside = np.argwhere(g[i])
        dist = np.sqrt(((inside - peak) ** 2).sum(axis=1)).min()
        out[i] = float(dist <= tolerance)
    return out


def energy_in_mask(maps: Any, masks: Any) -> np.ndarray:
    """The fraction of the map's positive energy inside the mask: sum(relu(map)*mask) /
    sum(relu(map)).

    Returns:
      float64 [B] in [0, 1]; NaN where the map has no positive value or the mask is
      empty.
    """
    m, g = _check_maps_masks(maps, masks)
    pos = np.where(np.isfinite(m), np.maximum(m, 0.0), 0.0).reshape(m.shape[0], -1)
    g = g.reshape(g.shape[0], -1)
    total = pos.sum(axis=1)
    inside = (pos * g).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = inside / total
    out[(total <= 0) | ~g.any(axis=1)] = np.nan
    return out


def _rankdata(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n with ties given their average rank."""
    order = np.argsort(values, kind="mergesort")
    inverse = np.empty_like(order)
    inverse[order] = np.arange(len(values))
    sorted_values = values[order]
    new_group = np.r_[True, sorted_values[1:] != sorted_values[:-1]]
    group = np.cumsum(new_group)[inverse]
    bounds = np.r_[np.nonzero(new_group)[0], len(values)]
    return 0.5 * (bounds[group] + bounds[group - 1] + 1)


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    a = a - a.mean()
    b = b - b.mean()
    denom = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / denom) if denom > 0 else float("nan")


def drift(previous: Any, current: Any, *, measure: str = "spearman") -> np.ndarray:
    """Similarity of the maps of the same samples at two logged steps.

    Args:
      previous: maps [B, ...] of the earlier step.
      current: maps [B, ...] of the later step (same shape).
      measure: ``"spearman"`` (rank correlation of the pixels, ties averaged; robust to
        any monotone rescaling of the maps) or ``"pearson"``.

    Returns:
      float64 [B] correlations in [-1, 1] (1: unchanged); NaN where a map is constant or
      has a non-finite value.
    """
    if measure not in ("spearman", "pearson"):
        raise ValueError(
            f"`measure` must be 'spearman' or 'pearson'. Received: measure={measure!r}"
        )
    a = np.asarray(previous, dtype=np.float64)
    b = np.asarray(current, dtype=np.float64)
    if a.shape != b.shape or a.ndim < 2:
        raise ValueError(
            "`previous` and `current` must have the same shape [B, ...]. "
            f"Received: previous with shape {a.shape}, current with shape {b.shape}"
        )
    a = a.reshape(a.shape[0], -1)
    b = b.reshape(b.shape[0], -1)
    out = np.full(a.shape[0], np.nan)
    for i in range(a.shape[0]):
        if not (np.isfinite(a[i]).all() and np.isfinite(b[i]).all()):
            continue
        if measure == "spearman":
            out[i] = _pearson(_rankdata(a[i]), _rankdata(b[i]))
        else:
            out[i] = _pearson(a[i], b[i])
    return out
