"""The intermediate base of the methods that score perturbed copies of the inputs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import tensorflow as tf

from tbexplain.checks import positive_int
from tbexplain.methods.base import Method
from tbexplain.methods.forward import Forward, Result
from tbexplain.perturbation import Fill, fill_images, probabilities


class PerturbationMethod(Method):
    """Intermediate base of the methods that score perturbed copies of the inputs.

    Runs one forward pass on the inputs (with the layer captured for layer-based
    methods), then hands `perturbation_maps` a ``score(copies, sample)`` function
    that scores copies for the sample each was made from: the explained class's
    pre-activation score, or its probability for methods with
    ``probabilities = True`` (softmax of the pre-activation outputs; sigmoid for a
    single unit); a callable target is used as is. Images are seen as [B, H, W, C]
    (sequences as [B, T, 1, C]); maps come back at input resolution.

    Args:
      perturbation_batch: perturbed copies per forward pass (copies of all samples
        of a call are mixed in the same passes); bounds the memory.
      **kwargs: passed on (``batch_size``: samples per compiled call, None for all;
        ``layer`` for layer-based methods).
    """

    probabilities: ClassVar[bool] = False

    def __init__(self, *, perturbation_batch: int = 64, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.perturbation_batch = positive_int(perturbation_batch, "perturbation_batch")

    def num_copies(self, shape: Sequence[int], channels: int | None = None) -> int:
        """Perturbed copies scored per sample for inputs of ``shape`` [B, H, W, C]."""
        raise NotImplementedError

    def perturbation_maps(
        self,
        score: Callable[[tf.Tensor, tf.Tensor], tf.Tensor],
        x: tf.Tensor,
        base_scores: tf.Tensor,
        activations: tf.Tensor | None = None,
        seed: tf.Tensor | None = None,
        baseline: tf.Tensor | None = None,
    ) -> tf.Tensor:
        """The maps [b, H, W] of one batch (inside the compiled function).

        Args:
          score: ``score(copies [n, H, W, C], sample int32 [n]) -> float32 [n]``.
          x: float32 images [b, H, W, C] (sequences as [b, T, 1, C]).
          base_scores: float32 [b], the explained score of the unperturbed inputs.
          activations: the layer's output on ``x`` (layer-based methods only).
          seed: the int32 seed of the call.
          baseline: what a perturbed input becomes instead of the method's
            fill (token inputs: the pad token's embedding), or None.
        """
        raise NotImplementedError

    @staticmethod
    def fill_values(
        x: tf.Tensor, fill: Fill, baseline: tf.Tensor | None = None
    ) -> tf.Tensor:
        """What perturbed pixels of ``x`` become under ``fill``, kept small.

        A scalar for a constant fill, [B, 1, 1, C] for ``"mean"``, [B, H, W, C] for
        ``"blur"``; pick the rows of a chunk with `fill_rows`. A `baseline` of
        the input (token inputs: the pad token's embedding) replaces the fill.
        """
        if baseline is not None:
            return baseline
        if fill == "mean":
            return tf.reduce_mean(x, axis=[1, 2], keepdims=True)
        if fill == "blur":
            return fill_images(x, fill)
        return tf.constant(0.0 if fill == "zeros" else float(fill), x.dtype)

    @staticmethod
    def fill_rows(filled: tf.Tensor, sample: tf.Tensor) -> tf.Tensor:
        """The fill values of the copies made from ``sample`` (broadcastable)."""
        if filled.shape.rank == 0:
            return filled
        return tf.gather(filled, sample)

    def _attribute(
        self,
        forward: Forward,
        x: tf.Tensor,
        class_ids: tf.Tensor,
        index: tf.Tensor,
        seed: tf.Tensor,
    ) -> Result:
        if x.shape.rank not in (3, 4):
            raise ValueError(
                f"{type(self).__name__} perturbs images [B, H, W, C] and sequences "
                f"[B, T, C]. Received: inputs of shape {tuple(x.shape)}"
            )
        sequence = x.shape.rank == 3
        if self.uses_layer:
            activations, base_scores, ids = forward.layer_output(x, class_ids)
        else:
            activations = None
            base_scores, ids = forward.forward_scores(x, class_ids)
        use_probabilities = self.probabilities and forward.score_fn is None

        def score(copies: tf.Tensor, sample: tf.Tensor) -> tf.Tensor:
            if sequence:
                copies = copies[:, :, 0, :]
            outputs = forward.outputs(copies, rows=sample)
            copy_ids = tf.gather(ids, sample)
            if use_probabilities:
                outputs = probabilities(outputs)
            scores, _ = forward.scores(outputs, copy_ids, rows=sample)
            return tf.cast(scores, tf.float32)

        images = x[:, :, None, :] if sequence else x
        baseline = forward.baseline(x)
        if baseline is not None and sequence:
            baseline = baseline[:, :, None, :]
        maps = self.perturbation_maps(
            score, images, tf.cast(base_scores, tf.float32), activations, seed, baseline
        )
        if sequence:
            maps = maps[:, :, 0]
        return Result(maps, base_scores, ids)
