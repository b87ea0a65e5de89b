"""RISE: Randomized Input Sampling for Explanation (Petsiuk et al., 2018).

``N`` random masks are drawn: a coarse ``grid x grid`` binary grid (each cell kept with
probability ``keep``), bilinearly upsampled to ``(grid + 1)`` cells of ``ceil(H /
grid)`` pixels and cropped at a random shift, so that masks are smooth and not aligned
to the grid. Each image is scored with each mask applied (``x * m + fill * (1 - m)``)
and the map is the score-weighted average of the masks, normalised per pixel by how
often the pixel was kept: ``S = sum_i f(x_i) m_i / sum_i m_i`` (the paper divides by
``N * keep``, its expectation).

Scores are class probabilities as in the paper (softmax of the pre-activation outputs;
sigmoid for a single-unit binary model); a callable target is used as is.

Masks are seeded (stateless random ops), so the same seed gives the same maps whatever
the batch size. They are generated on the device inside one ``tf.while_loop``, a chunk
of masks at a time, each mask once and applied to every image of the batch (about
``perturbation_batch`` copies per forward pass), and never all held in memory.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import tensorflow as tf

from tbexplain.checks import positive_int
from tbexplain.methods._perturbation import PerturbationMethod
from tbexplain.methods.base import register
from tbexplain.perturbation import Fill, check_fill, chunked_accumulate

__all__ = ["RISE", "rise_masks"]


def rise_masks(
    indices: tf.Tensor,
    grids: tf.Tensor,
    shifts: tf.Tensor,
    height: int,
    width: int,
) -> tf.Tensor:
    """The smooth masks of ``indices`` [n] as float32 [n, H, W] in [0, 1].

    Args:
      indices: which masks, int32 [n].
      grids: all binary grids, float32 [N, g, g].
      shifts: all crop offsets, int32 [N, 2] (each in [0, cell)).
      height: H.
      width: W.
    """
    grid = grids.shape[1]
    cell_h, cell_w = math.ceil(height / grid), math.ceil(width / grid)
    up_h, up_w = (grid + 1) * cell_h, (grid + 1) * cell_w
    g = tf.gather(grids, indices)[..., None]
    # Pad by one cell (edge values) so that the upsampled grid spans (grid + 1) cells,
    # as in the paper's "upsample to (s + 1) C" followed by a crop of H x W at a random
    # shift.
    g = tf.pad(g, [[0, 0], [0, 1], [0, 1], [0, 0]], mode="SYMMETRIC")
    up = tf.image.resize(g, (up_h, up_w), method="bilinear")[..., 0]
    sh = tf.gather(shifts, indices)
    rows = sh[:, 0:1] + tf.range(height)[None, :]
    cols = sh[:, 1:2] + tf.range(width)[None, :]
    up = tf.gather(up, rows, axis=1, batch_dims=1)
    return tf.gather(up, cols, axis=2, batch_dims=1)


@register
class RISE(PerturbationMethod):
    """RISE: the score-weighted average of random smooth masks.

    Example:
      >>> maps = tbx.RISE(num_masks=2000, seed=0).explain(model, images)

    Args:
      num_masks: how many random masks (the paper uses 4,000-8,000 at 224x224; fewer
        give noisier maps at a proportional cost).
      grid: cells per side of the coarse grid (the paper's ``s``, 7 at 224x224).
      keep: the probability that a cell is kept (the paper's ``p``).
      fill: what a masked-out pixel becomes: 0.0 (the paper's ``x * m``, the default),
        another constant, ``"mean"`` or ``"blur"``.
      seed: the seed of the masks (same seed, same masks, whatever the batching); None
        draws new masks on every call.
      perturbation_batch: masked copies per forward pass (each mask of a chunk applied
        to every image; at least one mask per pass); bounds the memory.
      batch_size: samples per compiled call (None: all at once).
    """

    name: ClassVar[str] = "rise"
    signed: ClassVar[bool] = False
    probabilities: ClassVar[bool] = True

    def __init__(
        self,
        num_masks: int = 1000,
        grid: int = 7,
        keep: float = 0.5,
        fill: Fill = 0.0,
        seed: int | None = 0,
        perturbation_batch: int = 64,
        batch_size: int | None = None,
    ) -> None:
        super().__init__(perturbation_batch=perturbation_batch, batch_size=batch_size)
        if seed is not None and (
            not isinstance(seed, (int, np.integer)) or isinstance(seed, bool)
        ):
            raise ValueError(f"`seed` must be an int. Received: seed={seed!r}")
        if not 0.0 < float(keep) <= 1.0:
            raise ValueError(f"`keep` must be in (0, 1]. Received: keep={keep!r}")
        self.num_masks = positive_int(num_masks, "num_masks")
        self.grid = positive_int(grid, "grid")
        self.keep = float(keep)
        self.fill = check_fill(fill)
        self.seed = None if seed is None else int(seed)

    def _config_repr(self) -> str:
        return (
            f"num_masks={self.num_masks}, grid={self.grid}, keep={self.keep}, "
            f"fill={self.fill!r}, seed={self.seed}, "
            f"perturbation_batch={self.perturbation_batch}, "
            f"batch_size={self.batch_size}"
        )

    def _call_seed(self) -> int:
        if self.seed is None:
            return int(np.random.default_rng().integers(0, 2**31 - 1))
        return self.seed

    def num_copies(self, shape: Sequence[int], channels: int | None = None) -> int:
        """Masked copies per image (``num_masks``)."""
        return self.num_masks

    def _draw(
        self, height: int, width: int, seed: tf.Tensor
    ) -> tuple[tf.Tensor, tf.Tensor]:
        seed = tf.stack([tf.cast(seed, tf.int32), tf.constant(0x5EED, tf.int32)])
        grids = tf.cast(
            tf.random.stateless_uniform([self.num_masks, self.grid, self.grid], seed)
            < self.keep,
            tf.float32,
        )
        cells = tf.constant(
            [math.ceil(height / self.grid), math.ceil(width / self.grid)], tf.float32
        )
        unit = tf.random.stateless_uniform([self.num_masks, 2], seed + 1)
        shifts = tf.cast(tf.floor(unit * cells), tf.int32)
        return grids, shifts

    def perturbation_maps(
        self,
        score: Any,
        x: tf.Tensor,
        base_scores: tf.Tensor,
        activations: tf.Tensor | None = None,
        seed: tf.Tensor | None = None,
        baseline: tf.Tensor | None = None,
    ) -> tf.Tensor:
        _, height, width, _ = x.shape
        batch = tf.shape(x)[0]
        grids, shifts = self._draw(
            height, width, seed if seed is not None else tf.constant(0)
        )
        filled = self.fill_values(x, self.fill, baseline)
        fill = self.fill_rows(filled, tf.range(batch))[None]
        # Each chunk draws its masks once and applies them to every image, so a
        # mask is never rebuilt per image; a chunk holds about
        # `perturbation_batch` copies (at least one mask's worth: `batch`).
        per_chunk = tf.maximum(1, self.perturbation_batch // batch)
        n_chunks = (self.num_masks + per_chunk - 1) // per_chunk
        samples = tf.range(batch)

        def body(
            j: tf.Tensor, acc: tuple[tf.Tensor, tf.Tensor]
        ) -> tuple[tf.Tensor, tf.Tensor]:
            ids = tf.range(
                j * per_chunk, tf.minimum((j + 1) * per_chunk, self.num_masks)
            )
            masks = rise_masks(ids, grids, shifts, height, width)  # [m, H, W]
            m = masks[:, None, :, :, None]
            copies = x[None] * m + fill * (1.0 - m)  # [m, batch, H, W, C]
            n = tf.shape(ids)[0]
            copies = tf.reshape(copies, tf.concat([[n * batch], tf.shape(x)[1:]], 0))
            s = tf.cast(score(copies, tf.tile(samples, [n])), tf.float32)
            weighted = tf.einsum("mb,mhw->bhw", tf.reshape(s, [n, batch]), masks)
            return acc[0] + weighted, acc[1] + tf.reduce_sum(masks, axis=0)

        summed, counts = chunked_accumulate(
            n_chunks,
            body,
            (
                tf.zeros(tf.stack([batch, height, width]), tf.float32),
                tf.zeros([height, width], tf.float32),
            ),
        )
        return tf.math.divide_no_nan(summed, counts[None])
