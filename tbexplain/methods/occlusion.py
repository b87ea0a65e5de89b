"""Occlusion sensitivity (Zeiler & Fergus, 2014).

The map is ``f(x) - f(x with a window occluded)``, averaged over all the windows that
cover a pixel (so overlapping windows, ``stride < patch``, give smooth maps and every
pixel is covered: a last window is added flush with the bottom/right border when the
  stride does not land there).
Several patch sizes can be averaged (multi-scale).

All windows of all images are built on the device from two small indicator matrices and
scored
``perturbation_batch`` copies at a time inside one compiled ``tf.while_loop``: a 224x224
  image with patch
4 and stride 4 (3,136 windows) holds ``perturbation_batch`` copies at once, not 3,136.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np
import tensorflow as tf

from tbexplain.methods._perturbation import PerturbationMethod
from tbexplain.methods.base import register
from tbexplain.perturbation import Fill, check_fill, chunked_scores

__all__ = ["Occlusion", "occlusion_windows"]

IntPair = int | tuple[int, int]


def _pair(value: Any, what: str) -> tuple[int, int]:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        pair = (int(value), int(value))
    elif (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value
        )
    ):
        pair = (int(value[0]), int(value[1]))
    else:
        raise ValueError(
            f"`{what}` must be an int or a pair of ints. Received: {what}={value!r}"
        )
    if min(pair) < 1:
        raise ValueError(f"`{what}` must be positive. Received: {what}={value!r}")
    return pair


def _starts(size: int, patch: int, stride: int) -> list[int]:
    last = size - patch
    starts = list(range(0, last + 1, stride))
    if starts[-1] != last:
        starts.append(last)
    return starts


def occlusion_windows(
    size: tuple[int, int], patch: IntPair, stride: IntPair | None = None
) -> int:
    """The number of windows (occluded copies per image) for ``size`` = (H, W)."""
    ph, pw = _pair(patch, "patch")
    sh, sw = _pair(stride, "stride") if stride is not None else (ph, pw)
    ph, pw = min(ph, size[0]), min(pw, size[1])
    return len(_starts(size[0], ph, sh)) * len(_starts(size[1], pw, sw))


def _indicators(size: int, patch: int, stride: int) -> np.ndarray:
    starts = _starts(size, patch, stride)
    ind = np.zeros((len(starts), size), np.float32)
    for i, s in enumerate(starts):
        ind[i, s : s + patch] = 1.0
    return ind


def occlusion_map(
    score: Callable[[tf.Tensor, tf.Tensor], tf.Tensor],
    x: tf.Tensor,
    filled: tf.Tensor,
    base_scores: tf.Tensor,
    patch: tuple[int, int],
    stride: tuple[int, int],
    perturbation_batch: int,
) -> tf.Tensor:
    """One scale of occlusion, inside a ``tf.function``.

    Args:
      score: ``score(copies [n, H, W, C], sample int32 [n]) -> [n]`` the target score of
        each copy for the sample it was made from.
      x: images [B, H, W, C] (H, W, C static).
      filled: the replacement values (`PerturbationMethod.fill_values`).
      base_scores: the scores of the unoccluded images [B].
      patch: (height, width) of the window (clamped to the image).
      stride: (vertical, horizontal) step between windows.
      perturbation_batch: copies per model call.

    Returns:
      float32 [B, H, W] maps.
    """
    _, height, width, _ = x.shape
    batch = tf.shape(x)[0]
    ph, pw = min(patch[0], height), min(patch[1], width)
    rows = _indicators(height, ph, stride[0])
    cols = _indicators(width, pw, stride[1])
    ny, nx = len(rows), len(cols)
    per_image = ny * nx
    rows_t, cols_t = tf.constant(rows), tf.constant(cols)

    def score_chunk(idx: tf.Tensor) -> tf.Tensor:
        sample = idx // per_image
        window = idx % per_image
        r = tf.gather(rows_t, window // nx)
        c = tf.gather(cols_t, window % nx)
        occluded = (r[:, :, None] * c[:, None, :])[..., None] > 0.5
        fill = PerturbationMethod.fill_rows(filled, sample)
        copies = tf.where(occluded, fill, tf.gather(x, sample))
        return score(copies, sample)

    scores = chunked_scores(batch * per_image, perturbation_batch, score_chunk)
    diffs = base_scores[:, None, None] - tf.reshape(scores, [batch, ny, nx])
    summed = tf.einsum("yh,byx,xw->bhw", rows_t, diffs, cols_t)
    coverage = tf.reduce_sum(rows_t, 0)[:, None] * tf.reduce_sum(cols_t, 0)[None, :]
    return summed / coverage


@register
class Occlusion(PerturbationMethod):
    """Occlusion sensitivity: the drop of the target score when a window is hidden.

    Example:
      >>> maps = tbx.Occlusion(patch=8, stride=4, fill="blur").explain(model, images)

    Args:
      patch: the window size, an int or (height, width); a list of them averages several
        scales (multi-scale occlusion), e.g. ``patch=[4, 8, 16]``.
      stride: the step between windows, an int or (vertical, horizontal); None uses the
        patch size (non-overlapping windows). With a list of patches, one stride for all
        or a list of the same length.
      fill: what an occluded pixel becomes: a constant, ``"mean"`` (the per-image,
        per-channel
        mean, the default: independent of how inputs are scaled), ``"blur"`` (the image
          blurred
        with sigma = max(H, W) / 20) or ``"zeros"``.
      perturbation_batch: occluded copies per forward pass (windows of all images are
        mixed in the same passes); bounds the memory.
      batch_size: samples per compiled call (None: all at once).
    """

    name: ClassVar[str] = "occlusion"
    signed: ClassVar[bool] = True

    def __init__(
        self,
        patch: IntPair | Sequence[IntPair] = 8,
        stride: IntPair | Sequence[IntPair] | None = None,
        fill: Fill = "mean",
        perturbation_batch: int = 64,
        batch_size: int | None = None,
    ) -> None:
        super().__init__(perturbation_batch=perturbation_batch, batch_size=batch_size)
        patches = list(patch) if isinstance(patch, list) else [patch]
        if not patches:
            raise ValueError(f"`patch` must not be empty. Received: patch={patch!r}")
        self.patches = [_pair(p, "patch") for p in patches]
        if isinstance(stride, list):
            if len(stride) != len(self.patches):
                raise ValueError(
                    "With several patches, `stride` is one value or a list of the "
                    "same length. "
                    f"Received: stride={stride!r}"
                )
            strides = [_pair(s, "stride") for s in stride]
        elif stride is None:
            strides = list(self.patches)
        else:
            strides = [_pair(stride, "stride")] * len(self.patches)
        self.strides = strides
        self.fill = check_fill(fill)

    def num_copies(self, shape: Sequence[int], channels: int | None = None) -> int:
        """Occluded copies per image for inputs of ``shape`` [B, H, W, C]."""
        return sum(
            occlusion_windows((shape[1], shape[2]), p, s)
            for p, s in zip(self.patches, self.strides, strict=True)
        )

    def _config_repr(self) -> str:
        return (
            f"patch={self.patches}, stride={self.strides}, fill={self.fill!r}, "
            f"perturbation_batch={self.perturbation_batch}, "
            f"batch_size={self.batch_size}"
        )

    def perturbation_maps(
        self,
        score: Any,
        x: tf.Tensor,
        base_scores: tf.Tensor,
        activations: tf.Tensor | None = None,
        seed: tf.Tensor | None = None,
        baseline: tf.Tensor | None = None,
    ) -> tf.Tensor:
        filled = self.fill_values(x, self.fill, baseline)
        maps = [
            occlusion_map(score, x, filled, base_scores, p, s, self.perturbation_batch)
            for p, s in zip(self.patches, self.strides, strict=True)
        ]
        return tf.add_n(maps) / len(maps)
