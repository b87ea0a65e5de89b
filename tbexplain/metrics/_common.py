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
    "rankdata",
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


def rankdata(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n of a vector, ties given their average rank."""
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


def pearson_rows(a: Any, b: Any) -> np.ndarray:
    """The Pearson correlation of each row of `a` with the same row of `b`
    ([B, ...] each); NaN where a row is constant or not finite."""
    a = np.asarray(a, np.float64).reshape(len(a), -1)
    b = np.asarray(b, np.float64).reshape(len(b), -1)
    ok = finite_rows(a) & finite_rows(b)
    return np.array(
        [_pearson(x, y) if k else np.nan for x, y, k in zip(a, b, ok, strict=True)]
    )


def spearman_rows(a: Any, b: Any) -> np.ndarray:
    """The Spearman rank correlation of each row of `a` with the same row of
    `b` (ties averaged); NaN where a row is constant or not finite."""
    a = np.asarray(a, np.float64).reshape(len(a), -1)
    b = np.asarray(b, np.float64).reshape(len(b), -1)
    ok = finite_rows(a) & finite_rows(b)
    return np.array(
        [
            _pearson(rankdata(x), rankdata(y)) if k else np.nan
            for x, y, k in zip(a, b, ok, strict=True)
        ]
    )
