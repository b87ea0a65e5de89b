"""What every metric family shares: the score-function type, class ids and seeds
checked once, per-sample correlations, and the rule for maps that cannot be scored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import tensorflow as tf

__all__ = [
    "ScoreFn",
    "check_class_ids",
    "check_seed",
    "finite_rows",
    "pearson_rows",
    "rank_rows",
    "spearman_rows",
]

ScoreFn = Callable[[tf.Tensor, tf.Tensor], tf.Tensor]
"""``score_fn(outputs [n, K], class_ids int32 [n]) -> float32 [n]``, traceable."""


def check_class_ids(class_ids: Any, batch: int) -> np.ndarray | None:
    """`class_ids` (None, an int or one int per sample) as int32 [batch], or None.

    Raises:
      ValueError: anything else.
    """
    if class_ids is None:
        return None
    ids = np.asarray(class_ids)
    if ids.ndim == 0:
        ids = np.full([batch], ids)
    if ids.shape != (batch,) or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(
            "`class_ids` must be None, an int or one int per sample. "
            f"Received: class_ids={class_ids!r}"
        )
    return ids.astype(np.int32)


def check_seed(seed: Any) -> int:
    """A metric's seed as a non-negative int32 (None draws a fresh one).

    Raises:
      TypeError: neither None nor an int.
    """
    if seed is None:
        return int(np.random.default_rng().integers(0, 2**31 - 1))
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"`seed` must be an int or None. Received: seed={seed!r}")
    return int(seed) % (2**31 - 1)


def finite_rows(values: np.ndarray) -> np.ndarray:
    """Whether each row of `values` [B, ...] holds only finite numbers: a map
    with a non-finite value has no defined metric (NaN)."""
    return np.isfinite(values.reshape(values.shape[0], -1)).all(axis=1)


def rank_rows(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n within each row of `values` [B, n], ties given their average
    rank (one sort of all rows at once)."""
    order = np.argsort(values, axis=1)
    ordered = np.take_along_axis(values, order, axis=1)
    n = values.shape[1]
    position = np.broadcast_to(np.arange(n), values.shape)
    first = np.ones(values.shape, bool)  # a position that starts a run of ties
    first[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    if first.all():
        average = position + 1.0
    else:
        start = np.maximum.accumulate(np.where(first, position, 0), axis=1)
        last = np.ones(values.shape, bool)
        last[:, :-1] = first[:, 1:]
        end = np.where(last, position, n - 1)
        end = np.minimum.accumulate(end[:, ::-1], axis=1)[:, ::-1]
        average = (start + end) / 2.0 + 1.0
    ranks = np.empty(values.shape)
    np.put_along_axis(ranks, order, average, axis=1)
    return ranks


def _as_rows(a: Any) -> np.ndarray:
    a = np.asarray(a, np.float64)
    return a.reshape(len(a), -1)


def _pearson(a: np.ndarray, b: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """Row-wise Pearson correlation; NaN where not `ok` or a row is constant."""
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    denom = np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (a * b).sum(axis=1) / denom
    out[~ok | ~(denom > 0)] = np.nan
    return out


def pearson_rows(a: Any, b: Any) -> np.ndarray:
    """The Pearson correlation of each row of `a` with the same row of `b`
    ([B, ...] each); NaN where a row is constant or not finite."""
    a, b = _as_rows(a), _as_rows(b)
    ok = finite_rows(a) & finite_rows(b)
    return _pearson(np.where(ok[:, None], a, 0), np.where(ok[:, None], b, 0), ok)


def spearman_rows(a: Any, b: Any) -> np.ndarray:
    """The Spearman rank correlation of each row of `a` with the same row of
    `b` (ties averaged); NaN where a row is constant or not finite."""
    a, b = _as_rows(a), _as_rows(b)
    ok = finite_rows(a) & finite_rows(b)
    a, b = np.where(ok[:, None], a, 0), np.where(ok[:, None], b, 0)
    return _pearson(rank_rows(a), rank_rows(b), ok)
