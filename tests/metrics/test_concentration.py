"""sparseness (Gini index) and complexity (entropy) against independent references."""

from __future__ import annotations

import numpy as np
import pytest

from tbexplain import metrics


def gini_pairs(values: np.ndarray) -> float:
    """The Gini index as the mean absolute difference over all pairs (no sort)."""
    a = np.abs(values.ravel().astype(np.float64))
    n = a.size
    return float(np.abs(a[:, None] - a[None, :]).sum() / (2 * n * a.sum()))


def entropy(values: np.ndarray) -> float:
    """-sum p log p of |values| / sum |values|, term by term in float64."""
    a = np.abs(values.ravel().astype(np.float64))
    p = a / a.sum()
    return float(-sum(q * np.log(q) for q in p if q > 0))


@pytest.mark.parametrize("shape", [(4, 7, 9), (3, 20), (2, 3, 4, 5)])
def test_against_references_on_fixed_maps(shape):
    rng = np.random.default_rng(0)
    maps = rng.normal(size=shape) * rng.uniform(0, 1, size=shape) ** 4
    maps[0].flat[::3] = 0.0  # ties and zeros
    np.testing.assert_allclose(
        metrics.sparseness(maps), [gini_pairs(m) for m in maps], atol=1e-5
    )
    np.testing.assert_allclose(
        metrics.complexity(maps), [entropy(m) for m in maps], atol=1e-5
    )


@pytest.mark.parametrize("side", [512, 600])
@pytest.mark.parametrize("kind", ["ramp", "heavy tailed"])
def test_sparseness_of_large_float32_maps_against_the_lorenz_curve(kind, side):
    """A quarter of a million positions a map and more, float32 as methods
    give them, against the Lorenz-curve form of the index in float64."""
    shape = (2, side, side)
    if kind == "ramp":
        maps = np.broadcast_to(np.arange(side * side).reshape(side, side), shape)
    else:
        rng = np.random.default_rng(3)
        maps = rng.normal(size=shape) * rng.uniform(size=shape) ** 8
    maps = np.asarray(maps, np.float32)
    a = np.sort(np.abs(maps.reshape(2, -1).astype(np.float64)), axis=1)
    n = a.shape[1]
    lorenz = np.cumsum(a, axis=1).sum(axis=1) / a.sum(axis=1)
    np.testing.assert_allclose(
        metrics.sparseness(maps), (n + 1 - 2 * lorenz) / n, atol=1e-5
    )


def test_known_answers_and_scale_invariance():
    n = 64
    uniform = np.full((1, 8, 8), 0.3)
    one_hot = np.zeros((1, 8, 8))
    one_hot[0, 2, 5] = -4.0  # absolute values: the sign does not count
    maps = np.concatenate([uniform, one_hot])
    np.testing.assert_allclose(metrics.sparseness(maps), [0.0, 1 - 1 / n], atol=1e-7)
    np.testing.assert_allclose(metrics.complexity(maps), [np.log(n), 0.0], atol=1e-6)
    rng = np.random.default_rng(1)
    gradients = rng.normal(size=(3, 16, 16))
    for scale in (1e-30, 1e-8, 1e8):
        np.testing.assert_allclose(
            metrics.sparseness(gradients * scale),
            metrics.sparseness(gradients),
            atol=1e-6,
        )
        np.testing.assert_allclose(
            metrics.complexity(gradients * scale),
            metrics.complexity(gradients),
            atol=1e-5,
        )
    # Finite float32 maps whose sums pass float32's range.
    huge = (gradients * 1e37).astype(np.float32)
    assert np.isfinite(huge).all()
    with np.errstate(over="ignore"):
        assert not np.isfinite(np.abs(huge).sum(axis=(1, 2), dtype=np.float32)).any()
    np.testing.assert_allclose(
        metrics.sparseness(huge), metrics.sparseness(gradients), atol=1e-6
    )


def test_undefined_maps_are_nan():
    maps = np.random.default_rng(2).random((4, 5, 5)).astype(np.float32)
    maps[1] = 0.0
    maps[2, 0, 0] = np.nan
    maps[3, 4, 4] = np.inf
    for fn in (metrics.sparseness, metrics.complexity):
        out = fn(maps)
        assert out.dtype == np.float64 and out.shape == (4,)
        assert np.isfinite(out[0]) and np.isnan(out[1:]).all()
    with pytest.raises(ValueError, match="Received: maps with shape"):
        metrics.sparseness(np.ones((3, 1)))
