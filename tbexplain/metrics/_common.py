"""What every metric family shares: the score-function type, class ids and seeds
checked once, per-sample correlations, and the rule for maps that cannot be scored."""

from __future__ import annotations

import sys
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


def _keys(high: np.ndarray, low: np.ndarray) -> np.ndarray:
    """int64 keys ``high * 2**32 + low`` of int32 `high` [B, n] and
    non-negative int32 `low` [n], written as the two halves of each key:
    many times faster than widening `high` and shifting it."""
    keys = np.empty(high.shape, np.int64)
    halves = keys.view(np.int32).reshape(*high.shape, 2)
    if sys.byteorder == "little":
        halves[..., 1], halves[..., 0] = high, low
    else:
        halves[..., 0], halves[..., 1] = high, low
    return keys


def _sorted_rows(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the order that sorts each row of finite `values` [B, n], a key per
    sorted position that is equal exactly where the sorted values are).

    float32 rows (the maps methods make) take one sort of 64-bit keys, the
    value's order-preserving bits above its position, several times faster
    than an argsort; other dtypes take the argsort.
    """
    if values.dtype != np.float32:
        order = np.argsort(values, axis=1)
        return order, np.take_along_axis(values, order, axis=1)
    # -0.0 + 0.0 is +0.0, so equal values get equal bits. As int32, a
    # negative float's bits sort reversed: flipping its 31 low bits makes the
    # ints sort as the floats do.
    bits = (values + np.float32(0)).view(np.int32)
    flip = np.right_shift(bits, 31)
    np.bitwise_and(flip, 0x7FFFFFFF, out=flip)
    bits ^= flip
    keys = _keys(bits, np.arange(values.shape[1], dtype=np.int32))
    keys.sort(axis=1)
    order = keys & 0xFFFFFFFF
    keys >>= 32
    return order, keys


def rank_rows(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n within each row of finite `values` [B, n], ties given their
    average rank (one sort of all rows at once)."""
    order, ordered = _sorted_rows(values)
    rows, n = values.shape
    starts = np.ones(values.shape, bool)  # a sorted position that starts a run of ties
    np.not_equal(ordered[:, 1:], ordered[:, :-1], out=starts[:, 1:])
    if starts.all():
        average = np.broadcast_to(np.arange(1.0, n + 1.0), values.shape)
    else:
        # Every row starts a run, so runs of the flattened rows never cross
        # rows. A run at position p of its row, of length L, holds ranks
        # p + 1 .. p + L: their average is p + (L + 1) / 2.
        first = np.flatnonzero(starts)
        length = np.diff(first, append=rows * n)
        average = np.repeat(first % n + (length + 1) / 2.0, length).reshape(rows, n)
    # One scatter through flat indices: put_along_axis builds index arrays
    # for every axis, several times slower.
    order += np.arange(0, rows * n, n)[:, None]
    ranks = np.empty(values.size)
    ranks[order.ravel()] = average.ravel()
    return ranks.reshape(values.shape)


def _as_rows(a: Any, ranked: bool = False) -> np.ndarray:
    """`a` [B, ...] as float rows [B, P]: float64, or float32 kept when only
    their order counts (`ranked`)."""
    a = np.asarray(a)
    if not (ranked and a.dtype == np.float32):
        a = a.astype(np.float64)
    return a.reshape(len(a), -1)


def _pearson(a: np.ndarray, b: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """Row-wise Pearson correlation; NaN where not `ok` or a row is constant."""
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)

    def dot(u: np.ndarray, v: np.ndarray) -> np.ndarray:
        return np.einsum("ij,ij->i", u, v)

    denom = np.sqrt(dot(a, a) * dot(b, b))
    with np.errstate(invalid="ignore", divide="ignore"):
        out = dot(a, b) / denom
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
    a, b = _as_rows(a, ranked=True), _as_rows(b, ranked=True)
    ok = finite_rows(a) & finite_rows(b)
    a, b = np.where(ok[:, None], a, 0), np.where(ok[:, None], b, 0)
    return _pearson(rank_rows(a), rank_rows(b), ok)
